//! Simulated runs set against loaded traces: where the trace's t = 0 falls in the simulation,
//! which service and image are compared, and the comparison itself — all of `deploysim
//! compare` but loading files and printing (`commands::compare`).

use crate::model::record::{EndReason, RunRecord};
use crate::time::{SimDuration, SimTime};

use super::compare::{self, Comparison, Setup};
use super::observe::{self, RunObs};
use super::tolerance::Tolerance;
use super::trace::Trace;

/// Where the trace's t = 0 falls in the simulation, and what was done then.
#[derive(Clone, Debug, PartialEq)]
pub struct Alignment {
    /// Simulated time of the trace's t = 0.
    pub action_at: SimTime,
    /// The timeline action run then, if any (its text).
    pub action: Option<String>,
}

/// The first timeline action of the run (or `override_at`); time 0 when there is none (a
/// scenario whose recorded action is the service creation itself).
pub fn align(record: &RunRecord, override_at: Option<SimDuration>) -> Alignment {
    match override_at {
        Some(d) => {
            let at = SimTime::ZERO.plus(d);
            let action = record.actions.iter().find(|a| a.0 == at).map(|a| a.1.clone());
            Alignment { action_at: at, action }
        }
        None => match record.actions.first() {
            Some((t, text, _)) => Alignment { action_at: *t, action: Some(text.clone()) },
            None => Alignment { action_at: SimTime::ZERO, action: None },
        },
    }
}

/// The image the update's new tasks run: that of the first task the simulated forward updater
/// created after the action (whatever the aligned action is: a node cut before an update, a
/// setup step), else `--image X` of the action, else (no update at all) the image the service
/// ran at the action.
pub fn target_image(action: Option<&str>, sim: &RunObs) -> String {
    let first_update = sim
        .tasks
        .iter()
        .filter(|t| t.origin == Some(observe::Origin::Update))
        .filter_map(|t| t.created_after_action().map(|c| (c, t)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, task)) = first_update {
        return task.image.clone();
    }
    let words: Vec<&str> = action.unwrap_or("").split_whitespace().collect();
    if let Some(v) = words.iter().position(|w| *w == "--image").and_then(|i| words.get(i + 1)) {
        return v.to_string();
    }
    if let Some(v) = words.iter().find_map(|w| w.strip_prefix("--image=")) {
        return v.to_string();
    }
    sim.tasks
        .iter()
        .find(|t| t.states.iter().any(|(time, _)| *time <= 0.0))
        .map(|t| t.image.clone())
        .unwrap_or_default()
}

/// The simulated service to compare: the one named (full `stack_service` or short name), or the
/// only one.
pub fn pick_service(record: &RunRecord, wanted: Option<&str>) -> Result<String, String> {
    let names = observe::service_names(record);
    match wanted {
        Some(w) => names
            .iter()
            .find(|n| *n == w || n.split_once('_').is_some_and(|(_, short)| short == w))
            .cloned()
            .ok_or_else(|| format!("no service '{w}' in the scenario (services: {})", names.join(", "))),
        None if names.len() == 1 => Ok(names[0].clone()),
        None => Err(format!("the scenario has several services ({}): choose one with --service", names.join(", "))),
    }
}

/// Compares simulated runs (one per seed, all of one scenario) with loaded traces: the whole of
/// `compare` but the I/O.
pub fn compare_records(
    records: &[RunRecord],
    service: &str,
    action_at: Option<SimDuration>,
    traces: &[Trace],
    tolerance: Tolerance,
    widen_by_spread: bool,
) -> Result<Comparison, String> {
    let first = records.first().ok_or("no simulated run to compare")?;
    let alignment = align(first, action_at);
    // A simulation that stopped before the recording did cannot be judged on what came after.
    let longest = traces.iter().map(|t| t.run.window_end()).fold(0.0, f64::max);
    for record in records {
        let at = align(record, action_at).action_at;
        let ends = (record.end_time.0 as f64 - at.0 as f64) / 1e9;
        if record.end_reason != EndReason::Quiescent && ends < longest {
            return Err(format!(
                "the simulation stops at {:.3}s ({}), {ends:.3}s after the action at {:.3}s, but the recording runs \
                 {longest:.3}s after it: raise x-simulation.until to at least {}s",
                record.end_time.0 as f64 / 1e9,
                record.end_reason.as_str(),
                at.0 as f64 / 1e9,
                (at.0 as f64 / 1e9 + longest).ceil() as u64 + 1
            ));
        }
    }
    let sims: Vec<(u64, RunObs)> = records
        .iter()
        .map(|record| {
            let at = align(record, action_at).action_at;
            observe::from_record(record, service, at)
                .map(|run| (record.seed, run))
                .ok_or_else(|| format!("the simulation has no service {service}"))
        })
        .collect::<Result<_, String>>()?;
    let target = target_image(alignment.action.as_deref(), &sims[0].1);
    let setup = Setup { scenario: &first.scenario, service, target_image: &target, tolerance, widen_by_spread };
    let reals: Vec<RunObs> = traces.iter().map(|t| t.run.clone()).collect();
    let paths: Vec<String> = traces.iter().map(|t| t.path.prefix.display().to_string()).collect();
    Ok(compare::compare(&setup, &reals, &paths, &sims))
}

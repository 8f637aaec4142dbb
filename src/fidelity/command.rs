//! `deploysim compare` and `deploysim calibrate`: load the traces, run the scenario, align, compare,
//! print. Bad input (a missing trace file, an unknown service) is an [`UsageError`] (exit 2).

use std::path::PathBuf;

use crate::app::UsageError;
use crate::model::record::{EndReason, RunRecord};
use crate::time::{SimDuration, SimTime, parse_go_duration};

use super::calibrate;
use super::compare::{self, Comparison, Setup};
use super::observe::{self, RunObs};
use super::render;
use super::tolerance::Tolerance;
use super::trace::{self, Trace, TracePath};

/// Output format of both commands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table.
    #[default]
    Table,
    /// JSON (fixed field order).
    Json,
}

/// Options of `deploysim compare`.
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// Trace path prefixes (or paths of one of their files).
    pub traces: Vec<PathBuf>,
    /// Scenario file.
    pub scenario: PathBuf,
    /// The seeds to simulate (one: `--seed`, or the scenario's own; several: `--seeds`).
    pub seeds: Option<Seeds>,
    /// Seed override (one seed).
    pub seed: Option<u64>,
    /// Simulated time of the trace's t = 0 (default: the scenario's first timeline action).
    pub action_at: Option<SimDuration>,
    /// Simulated service to compare (default: the scenario's only service).
    pub service: Option<String>,
    /// Allow each time measure the real runs' own spread of it (opt-in).
    pub widen_by_spread: bool,
    /// Timing tolerance.
    pub tolerance: Tolerance,
    /// Output format.
    pub format: Format,
}

/// Options of `deploysim calibrate`.
#[derive(Clone, Debug)]
pub struct CalibrateOptions {
    /// Trace path prefix (or the path of one of its files).
    pub trace: PathBuf,
    /// Output format.
    pub format: Format,
}

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

/// Loads a trace, as a usage error naming the file when it cannot be read.
pub fn load_trace(arg: &std::path::Path) -> anyhow::Result<Trace> {
    trace::load(&TracePath::new(arg)).map_err(|e| anyhow::Error::new(UsageError(e)))
}

/// `deploysim compare`: prints the report; `Ok(true)` when every real run is reproduced, on
/// every measure, by some seed.
pub fn compare(options: &CompareOptions) -> anyhow::Result<bool> {
    if options.traces.is_empty() {
        return Err(UsageError("compare needs at least one TRACE".to_string()).into());
    }
    let traces: Vec<Trace> = options.traces.iter().map(|p| load_trace(p)).collect::<anyhow::Result<_>>()?;
    let (scenario, warnings) = crate::scenario::load_with_warnings(&options.scenario)
        .map_err(|e| anyhow::Error::new(UsageError(e.to_string())))?;
    for w in &warnings {
        eprintln!("{w}");
    }
    let seeds = match (&options.seeds, options.seed) {
        (Some(seeds), _) => seeds.0.clone(),
        (None, Some(seed)) => vec![seed],
        (None, None) => vec![scenario.seed],
    };
    let records: Vec<RunRecord> = seeds
        .iter()
        .map(|&seed| {
            let mut scenario = scenario.clone();
            scenario.seed = seed;
            crate::world::World::new(scenario).simulate()
        })
        .collect();
    let service = pick_service(&records[0], options.service.as_deref()).map_err(UsageError)?;
    let alignment = align(&records[0], options.action_at);
    if let Some((_, text, Some(err))) = records[0].actions.iter().find(|a| a.0 == alignment.action_at) {
        eprintln!("warning: the simulated action '{text}' was refused: {err}");
    }
    if let Some(d) = options.action_at
        && alignment.action.is_none()
    {
        eprintln!(
            "warning: no timeline action runs at {:.3}s (--action-at {}); the trace's t = 0 is set there anyway",
            alignment.action_at.0 as f64 / 1e9,
            d
        );
    }
    let comparison =
        compare_records(&records, &service, options.action_at, &traces, options.tolerance, options.widen_by_spread)
            .map_err(UsageError)?;
    match options.format {
        Format::Table => print!("{}", render::table(&comparison)),
        Format::Json => print!("{}", render::json(&comparison)),
    }
    Ok(comparison.passed)
}

/// The most seeds one `compare --seeds` simulates.
pub const MAX_SEEDS: u64 = 10_000;

/// The seeds of `--seeds`, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seeds(pub Vec<u64>);

/// Parses `--seeds`: `N` (seeds 1 to N) or `A..B` (A to B, both included), for clap.
pub fn parse_seeds_arg(text: &str) -> Result<Seeds, String> {
    let bad = || format!("bad seeds '{text}': expected N (seeds 1..N) or a range A..B such as 1..20");
    let (from, to) = match text.split_once("..") {
        Some((a, b)) => (a.trim().parse::<u64>().map_err(|_| bad())?, b.trim().parse::<u64>().map_err(|_| bad())?),
        None => (1, text.trim().parse::<u64>().map_err(|_| bad())?),
    };
    if to < from || to == 0 {
        return Err(format!("seeds '{text}' name no seed: the range must not be empty"));
    }
    if to - from >= MAX_SEEDS {
        // `to - from + 1` overflows for 0..u64::MAX: count in u128.
        let count = u128::from(to - from) + 1;
        return Err(format!("seeds '{text}' name {count} seeds; at most {MAX_SEEDS} per comparison"));
    }
    Ok(Seeds((from..=to).collect()))
}

/// `deploysim calibrate`: prints the image behaviour a trace shows.
pub fn calibrate(options: &CalibrateOptions) -> anyhow::Result<()> {
    let trace = load_trace(&options.trace)?;
    let report = calibrate::calibrate(&trace);
    match options.format {
        Format::Table => print!("{}", calibrate::render(&report)),
        Format::Json => print!("{}", calibrate::json(&report)),
    }
    Ok(())
}

/// Parses a Go duration argument (`30s`, `500ms`), for clap.
pub fn parse_duration_arg(text: &str) -> Result<SimDuration, String> {
    parse_go_duration(text).map_err(|e| format!("{e} (expected a Go duration such as 500ms or 30s)"))
}

/// Parses `--tolerance-rel` (`10%` or `0.1`), for clap.
pub fn parse_rel_arg(text: &str) -> Result<f64, String> {
    super::tolerance::parse_rel(text)
}

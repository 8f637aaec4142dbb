//! `deploysim compare` and `deploysim calibrate`: load the traces, run the scenario, align, compare,
//! print. Bad input (a missing trace file, an unknown service) is an [`UsageError`] (exit 2).

use std::path::PathBuf;

use crate::app::{self, UsageError};
use crate::model::record::RunRecord;
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
    /// Seed override.
    pub seed: Option<u64>,
    /// Simulated time of the trace's t = 0 (default: the scenario's first timeline action).
    pub action_at: Option<SimDuration>,
    /// Simulated service to compare (default: the scenario's only service).
    pub service: Option<String>,
    /// Pass when any one trace matches (a race with several legitimate outcomes).
    pub any_run: bool,
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

/// The image the update's new tasks run: `--image X` of the action, else (a spec change that
/// keeps the image, e.g. a secret rotation, or no update at all) the image the service ran at
/// the action.
pub fn target_image(action: Option<&str>, sim: &RunObs) -> String {
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

/// Compares a simulated run with loaded traces: the whole of `compare` but the I/O.
pub fn compare_record(
    record: &RunRecord,
    service: &str,
    alignment: &Alignment,
    traces: &[Trace],
    any_run: bool,
    tolerance: Tolerance,
) -> Result<Comparison, String> {
    let sim = observe::from_record(record, service, alignment.action_at)
        .ok_or_else(|| format!("the simulation has no service {service}"))?;
    let target = target_image(alignment.action.as_deref(), &sim);
    let setup = Setup { scenario: &record.scenario, service, target_image: &target, any_run, tolerance };
    let reals: Vec<RunObs> = traces.iter().map(|t| t.run.clone()).collect();
    let paths: Vec<String> = traces.iter().map(|t| t.path.prefix.display().to_string()).collect();
    Ok(compare::compare(&setup, &reals, &paths, &sim))
}

/// Loads a trace, as a usage error naming the file when it cannot be read.
pub fn load_trace(arg: &std::path::Path) -> anyhow::Result<Trace> {
    trace::load(&TracePath::new(arg)).map_err(|e| anyhow::Error::new(UsageError(e)))
}

/// `deploysim compare`: prints the report; `Ok(true)` when every measure is within tolerance.
pub fn compare(options: &CompareOptions) -> anyhow::Result<bool> {
    if options.traces.is_empty() {
        return Err(UsageError("compare needs at least one TRACE".to_string()).into());
    }
    let traces: Vec<Trace> = options.traces.iter().map(|p| load_trace(p)).collect::<anyhow::Result<_>>()?;
    let (record, warnings) = app::simulate_file(&options.scenario, options.seed)?;
    for w in &warnings {
        eprintln!("{w}");
    }
    let service = pick_service(&record, options.service.as_deref()).map_err(UsageError)?;
    let alignment = align(&record, options.action_at);
    if let Some((_, text, Some(err))) = record.actions.iter().find(|a| a.0 == alignment.action_at) {
        eprintln!("warning: the simulated action '{text}' was refused: {err}");
    }
    let comparison = compare_record(&record, &service, &alignment, &traces, options.any_run, options.tolerance)
        .map_err(UsageError)?;
    match options.format {
        Format::Table => print!("{}", render::table(&comparison)),
        Format::Json => print!("{}", render::json(&comparison)),
    }
    Ok(comparison.passed)
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

//! `deploysim test [PATHS...]`: finds the scenarios with `x-simulation.expect`, runs them in
//! parallel, prints one line per scenario (in path order, whatever finished first) and the
//! failed assertions with the command that reproduces each, and optionally writes JUnit XML.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::commands::Error;
use crate::commands::args::Format;
use crate::commands::simulate::{SimulateOptions, simulate};
use crate::expect::eval::{self, Evidence, Outcome};
use crate::expect::junit;
use crate::expect::results::{
    AssertionResult, Rate, ScenarioResult, Status, exit_code, percent, rate_text, render_json, render_text,
};
use crate::model::expect::{Check, Expectation, Statistical};
use crate::model::scenario::Scenario;
use crate::stats;

/// Check the expectations (`x-simulation.expect`) of scenarios: exit 0 when all hold, 1 when
/// any fails, 2 on bad input.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Scenario files or folders, searched recursively for *.yml and *.yaml.
    #[arg(value_name = "PATH", default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Also write JUnit XML to this file (for CI test reports).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs `deploysim test` and prints the report (which names every failure and invalid file):
/// fails when an assertion failed (exit 1), a file is invalid or nothing was tested (exit 2).
pub fn run(args: &TestArgs) -> Result<(), Error> {
    let files = discover(&args.paths)?;
    let results = run_all(&files);
    match args.format {
        Format::Text => print!("{}", render_text(&results)),
        Format::Json => println!("{}", render_json(&results)),
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, junit::render(&results))
            .map_err(Error::io(format!("could not write '{}'", path.display())))?;
    }
    match exit_code(&results) {
        0 => Ok(()),
        1 => Err(Error::Checked(None)),
        _ => Err(Error::Input(None)),
    }
}

/// Every `*.yml` / `*.yaml` under `paths`, sorted and without duplicates. A missing path is
/// bad input (exit 2).
fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            let message = format!("no such file or folder: {}", path.display());
            return Err(Error::input(message));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let listing = || format!("could not list '{}'", dir.display());
    let entries = std::fs::read_dir(dir).map_err(Error::io(listing()))?;
    for entry in entries {
        let path = entry.map_err(Error::io(listing()))?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Runs every file on a pool of threads; results come back in the files' order.
fn run_all(files: &[PathBuf]) -> Vec<ScenarioResult> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<ScenarioResult>>> = files.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(index) else { break };
                    let result = timed(|| run_file(file));
                    if let Ok(mut slot) = slots[index].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    slots.into_iter().filter_map(|slot| slot.into_inner().ok().flatten()).collect()
}

/// Runs `f` and records its wall time: for the `PASS file (0.01s)` line only, never written to
/// a file, and it never influences a simulation.
#[allow(clippy::disallowed_methods)]
fn timed(f: impl FnOnce() -> ScenarioResult) -> ScenarioResult {
    let start = std::time::Instant::now();
    let mut result = f();
    result.millis = start.elapsed().as_millis();
    result
}

/// Loads and checks one file.
fn run_file(file: &Path) -> ScenarioResult {
    let path = file.display().to_string();
    let scenario = match crate::scenario::load(file) {
        Ok(s) => s,
        Err(e) => {
            return ScenarioResult { path, status: Status::Invalid(e.to_string()), assertions: vec![], millis: 0 };
        }
    };
    let assertions = check_scenario(&scenario);
    let status = if scenario.expect.is_empty() {
        Status::Skipped
    } else if assertions.iter().all(|a| a.outcome.passed) {
        Status::Pass
    } else {
        Status::Fail
    };
    ScenarioResult { path, status, assertions, millis: 0 }
}

/// Every expectation of a loaded scenario, checked.
pub(crate) fn check_scenario(scenario: &Scenario) -> Vec<AssertionResult> {
    let once: Vec<&Check> =
        scenario.expect.iter().filter_map(|e| if let Expectation::Once(c) = e { Some(c) } else { None }).collect();
    // One run serves every plain check; the statistical forms run their own seeds.
    let base = (!once.is_empty()).then(|| simulate(scenario.clone(), None, &SimulateOptions::default()));
    let evidence = base.as_ref().map(Evidence::new);
    scenario
        .expect
        .iter()
        .filter_map(|e| match (e, &evidence) {
            (Expectation::Once(c), Some(ev)) => Some(single(c, ev, scenario.seed)),
            (Expectation::OverSeeds(s), _) => Some(statistical(s, scenario)),
            _ => None,
        })
        .collect()
}

fn single(c: &Check, ev: &Evidence<'_>, seed: u64) -> AssertionResult {
    AssertionResult {
        origin: c.origin.clone(),
        service: c.service.clone(),
        outcome: eval::check(c, ev),
        seed,
        rate: None,
    }
}

/// Runs seeds `1..=runs`; keeps the first failing run's outcome (the one worth reproducing).
fn statistical(s: &Statistical, scenario: &Scenario) -> AssertionResult {
    let mut successes = 0;
    let mut first_failure: Option<(u64, Outcome, String)> = None;
    for seed in 1..=s.runs {
        match failing_check(s, scenario, seed) {
            None => successes += 1,
            Some(failure) => {
                first_failure.get_or_insert((seed, failure.0, failure.1));
            }
        }
    }
    let rate = rate(s, successes);
    let observed = successes as f64 / s.runs as f64;
    let passed = if rate.lower_bound_rule { rate.interval.0 >= s.at_least } else { observed >= s.at_least };
    let checks: Vec<&str> = s.checks.iter().map(|c| c.kind.key()).collect();
    let expected = format!("{} held in at least {} of runs", checks.join(", "), percent(s.at_least));
    let (seed, actual, service) = match first_failure {
        Some((seed, o, service)) => {
            (seed, format!("{}: expected {}, got {}", rate_text(&rate), o.expected, o.actual), service)
        }
        None => (1, rate_text(&rate), String::new()),
    };
    AssertionResult {
        origin: s.origin.clone(),
        service,
        outcome: Outcome { passed, expected, actual },
        seed,
        rate: Some(rate),
    }
}

/// The first check that fails in the run at `seed`, with its service.
fn failing_check(s: &Statistical, scenario: &Scenario, seed: u64) -> Option<(Outcome, String)> {
    let run = simulate(scenario.clone(), Some(seed), &SimulateOptions::default());
    let ev = Evidence::new(&run);
    s.checks.iter().map(|c| (eval::check(c, &ev), c.service.clone())).find(|(o, _)| !o.passed)
}

fn rate(s: &Statistical, successes: u64) -> Rate {
    let level = s.confidence.unwrap_or(0.95);
    let z = stats::z_for(level).unwrap_or(stats::Z95);
    Rate {
        successes,
        runs: s.runs,
        at_least: s.at_least,
        level,
        lower_bound_rule: s.confidence.is_some(),
        interval: stats::wilson(successes, s.runs, z),
    }
}

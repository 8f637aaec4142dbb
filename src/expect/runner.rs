//! `deploysim test [PATHS...]`: finds the scenarios with `x-simulation.expect`, runs them in
//! parallel, prints one line per scenario (in path order, whatever finished first) and the
//! failed assertions with the command that reproduces each, and optionally writes JUnit XML.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;

use crate::expect::eval::{self, Evidence, Outcome};
use crate::expect::{Check, Expectation, Statistical, stats};
use crate::model::scenario::Scenario;
use crate::world::World;

pub use crate::cli::TextOrJson as Format;

/// Options of `deploysim test`.
#[derive(Clone, Debug)]
pub struct TestOptions {
    /// Files and folders (searched recursively for `*.yml` / `*.yaml`).
    pub paths: Vec<PathBuf>,
    /// Where to write JUnit XML.
    pub junit: Option<PathBuf>,
    /// Output format.
    pub format: Format,
}

/// One assertion's result.
#[derive(Clone, Debug, PartialEq)]
pub struct AssertionResult {
    /// Where it was written (`x-simulation.expect[1].min_serving`).
    pub origin: String,
    /// The service it is about (empty for `summary:`).
    pub service: String,
    /// What happened; for a statistical form, the first failing run's outcome (or, when every
    /// run passed, the last run's).
    pub outcome: Outcome,
    /// The seed of the run shown.
    pub seed: u64,
    /// The rate, for the statistical form.
    pub rate: Option<Rate>,
}

/// The observed rate of a statistical form.
#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    /// Runs in which every check held.
    pub successes: u64,
    /// Runs.
    pub runs: u64,
    /// The bound (`at_least`).
    pub at_least: f64,
    /// The level of the interval shown (the `confidence`, else 95 %).
    pub level: f64,
    /// Whether the interval's lower bound (not the point estimate) had to reach the bound.
    pub lower_bound_rule: bool,
    /// Wilson interval at `level`.
    pub interval: (f64, f64),
}

/// What became of one scenario file.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Every assertion held.
    Pass,
    /// Some did not.
    Fail,
    /// The file could not be loaded (the message lists the problems).
    Invalid(String),
    /// The file has no `expect`.
    Skipped,
}

/// One scenario's results.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioResult {
    /// The path as found.
    pub path: String,
    /// The outcome.
    pub status: Status,
    /// Every assertion, in file order.
    pub assertions: Vec<AssertionResult>,
    /// Wall time, for the text line only (never in a file).
    pub millis: u128,
}

/// Runs `deploysim test`; returns the exit code (0 all passed, 1 some failed, 2 bad input).
pub fn run(options: &TestOptions) -> anyhow::Result<u8> {
    let files = discover(&options.paths)?;
    let results = run_all(&files);
    match options.format {
        Format::Text => print!("{}", render_text(&results)),
        Format::Json => println!("{}", render_json(&results)),
    }
    if let Some(path) = &options.junit {
        std::fs::write(path, crate::expect::junit::render(&results))
            .with_context(|| format!("could not write '{}'", path.display()))?;
    }
    Ok(exit_code(&results))
}

/// 2 when a file is invalid or nothing was tested, else 1 when an assertion failed, else 0.
pub fn exit_code(results: &[ScenarioResult]) -> u8 {
    let tested = results.iter().filter(|r| matches!(r.status, Status::Pass | Status::Fail)).count();
    if tested == 0 || results.iter().any(|r| matches!(r.status, Status::Invalid(_))) {
        2
    } else if results.iter().any(|r| r.status == Status::Fail) {
        1
    } else {
        0
    }
}

/// Every `*.yml` / `*.yaml` under `paths`, sorted and without duplicates. A missing path is
/// bad input (a [`crate::app::UsageError`]).
pub fn discover(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            let message = format!("no such file or folder: {}", path.display());
            return Err(anyhow::Error::new(crate::app::UsageError(message)));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("could not list '{}'", dir.display()))?;
    for entry in entries {
        let path = entry.with_context(|| format!("could not list '{}'", dir.display()))?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Runs every file on a pool of threads; results come back in the files' order.
pub fn run_all(files: &[PathBuf]) -> Vec<ScenarioResult> {
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
pub fn run_file(file: &Path) -> ScenarioResult {
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
pub fn check_scenario(scenario: &Scenario) -> Vec<AssertionResult> {
    let once: Vec<&Check> =
        scenario.expect.iter().filter_map(|e| if let Expectation::Once(c) = e { Some(c) } else { None }).collect();
    // One run serves every plain check; the statistical forms run their own seeds.
    let base = (!once.is_empty()).then(|| World::new(scenario.clone()).simulate());
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
    let mut one = scenario.clone();
    one.seed = seed;
    let run = World::new(one).simulate();
    let ev = Evidence::new(&run);
    s.checks.iter().map(|c| (eval::check(c, &ev), c.service.clone())).find(|(o, _)| !o.passed)
}

fn rate(s: &Statistical, successes: u64) -> Rate {
    let level = s.confidence.unwrap_or(0.95);
    let z = stats::z_for(level).unwrap_or(1.959_963_984_540_054);
    Rate {
        successes,
        runs: s.runs,
        at_least: s.at_least,
        level,
        lower_bound_rule: s.confidence.is_some(),
        interval: stats::wilson(successes, s.runs, z),
    }
}

/// `99%`, `99.5%`, `12.34%`.
pub fn percent(x: f64) -> String {
    let text = format!("{:.2}", x * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// The command that reproduces a run: `deploysim run <path> --seed N` (the path quoted when
/// a shell would split it).
pub fn reproduce(path: &str, seed: u64) -> String {
    let plain = path.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c));
    let shown = if plain { path.to_string() } else { format!("'{}'", path.replace('\'', "'\\''")) };
    format!("deploysim run {shown} --seed {seed}")
}

/// The text report.
pub fn render_text(results: &[ScenarioResult]) -> String {
    let mut out = String::new();
    for r in results.iter().filter(|r| r.status != Status::Skipped) {
        out.push_str(&scenario_text(r));
    }
    out.push_str(&totals(results));
    out
}

fn scenario_text(r: &ScenarioResult) -> String {
    let secs = format!("{:.2}s", r.millis as f64 / 1000.0);
    let mut out = match &r.status {
        Status::Invalid(message) => {
            let body: Vec<String> = message.lines().map(|l| format!("  {l}").trim_end().to_string()).collect();
            return format!("ERROR {}\n{}\n", r.path, body.join("\n"));
        }
        Status::Pass => format!("PASS {} ({secs})\n", r.path),
        _ => format!("FAIL {} ({secs})\n", r.path),
    };
    for a in &r.assertions {
        // A failed statistical form shows its rate in the failure itself.
        if let Some(rate) = a.rate.as_ref().filter(|_| a.outcome.passed) {
            out.push_str(&format!("  {}: {}\n", a.origin, rate_text(rate)));
        }
        if !a.outcome.passed {
            out.push_str(&failure_text(&r.path, a));
        }
    }
    out
}

/// `194 of 200 runs (97%, 95% CI 93.6%..98.6%), required ≥ 99% (point estimate)`.
pub fn rate_text(rate: &Rate) -> String {
    let observed = rate.successes as f64 / rate.runs.max(1) as f64;
    let rule = if rate.lower_bound_rule { "CI lower bound" } else { "observed rate" };
    format!(
        "{} of {} runs ({}, {} CI {}..{}), required {rule} >= {}",
        rate.successes,
        rate.runs,
        percent(observed),
        percent(rate.level),
        percent(rate.interval.0),
        percent(rate.interval.1),
        percent(rate.at_least)
    )
}

/// One failed assertion: expected against actual, the seed and the command to reproduce it.
pub fn failure_text(path: &str, a: &AssertionResult) -> String {
    let about = if a.service.is_empty() { String::new() } else { format!("{}, ", a.service) };
    format!(
        "  ✗ {}\n      expected: {}\n      actual:   {} ({about}seed {})\n      reproduce: {}\n",
        a.origin,
        a.outcome.expected,
        a.outcome.actual,
        a.seed,
        reproduce(path, a.seed)
    )
}

fn totals(results: &[ScenarioResult]) -> String {
    let count = |f: fn(&Status) -> bool| results.iter().filter(|r| f(&r.status)).count();
    let (pass, fail) = (count(|s| *s == Status::Pass), count(|s| *s == Status::Fail));
    let (invalid, skipped) = (count(|s| matches!(s, Status::Invalid(_))), count(|s| *s == Status::Skipped));
    let mut line = format!("\n{} scenarios tested: {pass} passed, {fail} failed", pass + fail);
    if invalid > 0 {
        line.push_str(&format!(", {invalid} invalid"));
    }
    if skipped > 0 {
        line.push_str(&format!(" ({skipped} files without expect skipped)"));
    }
    if pass + fail == 0 && invalid == 0 {
        line.push_str("\nno scenario has x-simulation.expect: nothing to test");
    }
    line.push('\n');
    line
}

/// The JSON report (no wall times: it is meant to be diffed and stored).
pub fn render_json(results: &[ScenarioResult]) -> String {
    use serde_json::json;
    let scenarios: Vec<serde_json::Value> = results
        .iter()
        .filter(|r| r.status != Status::Skipped)
        .map(|r| {
            let (status, error) = match &r.status {
                Status::Pass => ("pass", None),
                Status::Fail => ("fail", None),
                Status::Invalid(m) => ("invalid", Some(m.clone())),
                Status::Skipped => ("skipped", None),
            };
            let assertions: Vec<serde_json::Value> = r.assertions.iter().map(|a| assertion_json(&r.path, a)).collect();
            json!({"path": r.path, "status": status, "error": error, "assertions": assertions})
        })
        .collect();
    let doc = json!({"exit_code": exit_code(results), "scenarios": scenarios});
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn assertion_json(path: &str, a: &AssertionResult) -> serde_json::Value {
    let rate = a.rate.as_ref().map(|r| {
        serde_json::json!({"successes": r.successes, "runs": r.runs, "at_least": r.at_least,
            "confidence_level": r.level, "lower_bound_rule": r.lower_bound_rule,
            "interval": [r.interval.0, r.interval.1]})
    });
    serde_json::json!({
        "origin": a.origin, "service": a.service, "passed": a.outcome.passed,
        "expected": a.outcome.expected, "actual": a.outcome.actual, "seed": a.seed,
        "reproduce": reproduce(path, a.seed), "rate": rate,
    })
}

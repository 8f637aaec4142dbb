//! What `deploysim test` found: each scenario's assertions and their outcomes, and the text
//! and JSON reports of them (JUnit XML is in [`crate::expect::junit`]).

use crate::expect::eval::Outcome;

/// One assertion's result.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AssertionResult {
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
pub(crate) struct Rate {
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
pub(crate) enum Status {
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
pub(crate) struct ScenarioResult {
    /// The path as found.
    pub path: String,
    /// The outcome.
    pub status: Status,
    /// Every assertion, in file order.
    pub assertions: Vec<AssertionResult>,
    /// Wall time, for the text line only (never in a file).
    pub millis: u128,
}

/// 2 when a file is invalid or nothing was tested, else 1 when an assertion failed, else 0.
pub(crate) fn exit_code(results: &[ScenarioResult]) -> u8 {
    let tested = results.iter().filter(|r| matches!(r.status, Status::Pass | Status::Fail)).count();
    if tested == 0 || results.iter().any(|r| matches!(r.status, Status::Invalid(_))) {
        2
    } else if results.iter().any(|r| r.status == Status::Fail) {
        1
    } else {
        0
    }
}

/// `99%`, `99.5%`, `12.34%`.
pub(crate) fn percent(x: f64) -> String {
    let text = format!("{:.2}", x * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// The command that reproduces a run: `deploysim run <path> --seed N` (the path quoted when
/// a shell would split it).
pub(crate) fn reproduce(path: &str, seed: u64) -> String {
    let plain = path.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c));
    let shown = if plain { path.to_string() } else { format!("'{}'", path.replace('\'', "'\\''")) };
    format!("deploysim run {shown} --seed {seed}")
}

/// The text report.
pub(crate) fn render_text(results: &[ScenarioResult]) -> String {
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
pub(crate) fn rate_text(rate: &Rate) -> String {
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
pub(crate) fn failure_text(path: &str, a: &AssertionResult) -> String {
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
pub(crate) fn render_json(results: &[ScenarioResult]) -> String {
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

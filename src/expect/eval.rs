//! Checks an assertion against a run. Most kinds read the run's `summary.json` (parsed back
//! with serde_json), so the "actual" value in a failure is exactly what the report shows.

use serde_json::Value;

use crate::expect::{Bound, Check, Kind, SummaryTest};
use crate::model::record::{RunRecord, UpdateState};
use crate::model::task::TaskState;

/// The outcome of one check on one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Whether the check held.
    pub passed: bool,
    /// What was expected, in words (`update_duration < 90s`).
    pub expected: String,
    /// What the run gave (`112.345s`, `paused`, `no rollback`).
    pub actual: String,
}

/// A run and its summary, parsed once for all checks.
pub struct Evidence<'r> {
    /// The run.
    pub run: &'r RunRecord,
    /// `summary.json` of the run.
    pub summary: Value,
}

impl<'r> Evidence<'r> {
    /// Renders and parses the run's summary.
    pub fn new(run: &'r RunRecord) -> Evidence<'r> {
        // The summary is this binary's own output: it always parses.
        let summary = serde_json::from_str(&crate::report::summary_json(run)).unwrap_or(Value::Null);
        Evidence { run, summary }
    }
}

/// Checks `check` against the evidence.
pub fn check(check: &Check, ev: &Evidence<'_>) -> Outcome {
    let svc = |field: &str| service_field(&ev.summary, &check.service, field);
    let key = check.kind.key();
    match &check.kind {
        Kind::UpdateState(want) => {
            let actual = svc("update.state").and_then(|v| v.as_str().map(str::to_string)).unwrap_or("none".into());
            Outcome { passed: actual == *want, expected: format!("{key} {want}"), actual }
        }
        Kind::UpdateDuration(b) => seconds(key, b, svc("update.duration_s"), "update not completed"),
        Kind::MinServing(b) => number(key, b, svc("availability.min_serving"), ""),
        Kind::MinServingRatio(b) => number(key, b, svc("availability.min_serving_ratio"), ""),
        Kind::SecondsBelowDesired(b) => seconds(key, b, svc("availability.seconds_below_desired"), ""),
        Kind::SecondsNoneServing(b) => seconds(key, b, svc("availability.seconds_none_serving"), ""),
        Kind::FailedRequests(b) => number(key, b, svc("requests.failed"), "no traffic"),
        Kind::TasksReplacedBeforeStop(b) => {
            let n = replaced_before_stop(ev.run, &check.service);
            Outcome { passed: b.holds(n as f64), expected: format!("{key} {}", b.text), actual: n.to_string() }
        }
        Kind::RollbackStartedBefore(limit) => rollback_before(*limit, svc("update.rollback_started_at_s")),
        Kind::Summary { path, is } => summary(path, is, lookup(&ev.summary, path)),
    }
}

/// `services.<service>.<field>` of the summary.
fn service_field<'v>(summary: &'v Value, service: &str, field: &str) -> Option<&'v Value> {
    let base = summary.get("services")?.get(service)?;
    field.split('.').try_fold(base, |v, part| v.get(part))
}

/// A dotted path; list items by index (`actions.0.command`).
fn lookup<'v>(summary: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(summary, |v, part| match v {
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        _ => v.get(part),
    })
}

fn number(key: &str, b: &Bound, v: Option<&Value>, missing: &str) -> Outcome {
    let expected = format!("{key} {}", b.text);
    match v.and_then(Value::as_f64) {
        Some(x) => Outcome { passed: b.holds(x), expected, actual: show(v) },
        None => Outcome { passed: false, expected, actual: missing_text(missing) },
    }
}

fn seconds(key: &str, b: &Bound, v: Option<&Value>, missing: &str) -> Outcome {
    let mut out = number(key, b, v, missing);
    if v.is_some_and(Value::is_number) {
        out.actual.push('s');
    }
    out
}

fn missing_text(missing: &str) -> String {
    if missing.is_empty() { "not in the summary".into() } else { missing.into() }
}

fn show(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "absent".into(),
    }
}

fn rollback_before(limit: f64, v: Option<&Value>) -> Outcome {
    let expected = format!("rollback_started_before {}", crate::time::SimDuration((limit * 1e9).round() as u64));
    match v.and_then(Value::as_f64) {
        Some(t) => Outcome { passed: t < limit, expected, actual: format!("rollback started at {}s", show(v)) },
        None => Outcome { passed: false, expected, actual: "no rollback".into() },
    }
}

fn summary(path: &str, is: &SummaryTest, v: Option<&Value>) -> Outcome {
    match is {
        SummaryTest::Number(b) => number(&format!("summary {path}"), b, v, "absent"),
        SummaryTest::Text(want) => {
            let actual = show(v);
            let passed = v.is_some() && actual == *want;
            Outcome { passed, expected: format!("summary {path} == {want}"), actual }
        }
    }
}

/// Slots (nodes, for global services) that got a new task between the last update's start and
/// its first pause or rollback (or its end): how far a bad release spread before Swarm stopped
/// it. Slots rather than tasks, so that a task the restart supervisor replaces in the same slot
/// is not counted twice.
pub fn replaced_before_stop(run: &RunRecord, service: &str) -> u64 {
    let Some(rec) = run.services.iter().find(|s| s.name == service) else { return 0 };
    let Some(start) = rec.update.started_at else { return 0 };
    let stop = rec
        .update
        .status_changes
        .iter()
        .filter(|c| c.t >= start)
        .find(|c| matches!(c.state, UpdateState::Paused | UpdateState::RollbackStarted))
        .map(|c| c.t)
        .unwrap_or(run.end_time);
    let mut slots: Vec<(u64, &str)> = run
        .task_events
        .iter()
        .filter(|e| &*e.service == service && e.state == TaskState::New && e.t >= start && e.t < stop)
        .map(|e| (e.slot, if e.slot == 0 { &*e.node } else { "" }))
        .collect();
    slots.sort_unstable();
    slots.dedup();
    slots.len() as u64
}

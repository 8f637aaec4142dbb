//! Checks an assertion against a run. Most kinds read the run's [`Summary`] — the figures of
//! `summary.json`, built once per run — so the "actual" value in a failure is exactly what the
//! report shows (numbers as a JSON reader prints them: `51.2`, `0.8`, `8`).

use std::cell::OnceCell;

use serde_json::Value;

use crate::model::expect::{Bound, Check, Kind, SummaryTest};
use crate::model::record::{RunRecord, UpdateState};
use crate::model::task::TaskState;
use crate::report::Summary;
use crate::report::summary::{Fixed4, Seconds};

/// The outcome of one check on one run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outcome {
    /// Whether the check held.
    pub passed: bool,
    /// What was expected, in words (`update_duration < 90s`).
    pub expected: String,
    /// What the run gave (`112.345s`, `paused`, `no rollback`).
    pub actual: String,
}

/// A run and its summary, built once for all checks.
pub(crate) struct Evidence<'r> {
    /// The run.
    pub run: &'r RunRecord,
    /// The run's summary.
    pub summary: Summary,
    /// The summary as a JSON tree, for `summary: {path: …}` checks only (made on first use).
    tree: OnceCell<Value>,
}

impl<'r> Evidence<'r> {
    /// The evidence of `run`.
    pub(crate) fn new(run: &'r RunRecord) -> Evidence<'r> {
        Evidence { run, summary: Summary::of(run), tree: OnceCell::new() }
    }

    /// The summary as the JSON tree `summary.json` holds.
    fn tree(&self) -> &Value {
        // The summary is plain data: it always serializes.
        self.tree.get_or_init(|| serde_json::to_value(&self.summary).unwrap_or(Value::Null))
    }
}

/// A number of the summary as a check reads it: its value, and its text as a JSON reader
/// prints the number (what failure messages have always shown).
struct Figure {
    value: f64,
    text: String,
}

impl Figure {
    fn count(n: u64) -> Figure {
        Figure { value: n as f64, text: n.to_string() }
    }

    fn seconds(s: Seconds) -> Figure {
        Figure::decimal(s.as_f64())
    }

    fn ratio(r: Fixed4) -> Figure {
        Figure::decimal(r.as_f64())
    }

    fn decimal(value: f64) -> Figure {
        let text = serde_json::Number::from_f64(value).map_or_else(|| value.to_string(), |n| n.to_string());
        Figure { value, text }
    }
}

/// Checks `check` against the evidence.
pub(crate) fn check(check: &Check, ev: &Evidence<'_>) -> Outcome {
    let svc = ev.summary.service(&check.service);
    let update = svc.map(|s| &s.update);
    let availability = svc.map(|s| &s.availability);
    let key = check.kind.key();
    match &check.kind {
        Kind::UpdateState(want) => {
            let actual = update.and_then(|u| u.state).map_or("none", UpdateState::as_str).to_string();
            Outcome { passed: actual == *want, expected: format!("{key} {want}"), actual }
        }
        Kind::UpdateDuration(b) => {
            seconds(key, b, update.and_then(|u| u.duration_s).map(Figure::seconds), "update not completed")
        }
        Kind::MinServing(b) => number(key, b, availability.map(|a| Figure::count(a.min_serving)), ""),
        Kind::MinServingRatio(b) => number(key, b, availability.map(|a| Figure::ratio(a.min_serving_ratio)), ""),
        Kind::SecondsBelowDesired(b) => {
            seconds(key, b, availability.map(|a| Figure::seconds(a.seconds_below_desired)), "")
        }
        Kind::SecondsNoneServing(b) => {
            seconds(key, b, availability.map(|a| Figure::seconds(a.seconds_none_serving)), "")
        }
        Kind::FailedRequests(b) => {
            let failed = svc.and_then(|s| s.requests.as_ref()).map(|r| Figure::count(r.failed));
            number(key, b, failed, "no traffic")
        }
        Kind::TasksReplacedBeforeStop(b) => {
            let n = replaced_before_stop(ev.run, &check.service);
            Outcome { passed: b.holds(n as f64), expected: format!("{key} {}", b.text), actual: n.to_string() }
        }
        Kind::RollbackStartedBefore(limit) => {
            rollback_before(*limit, update.and_then(|u| u.rollback_started_at_s).map(Figure::seconds))
        }
        Kind::Summary { path, is } => summary(path, is, lookup(ev.tree(), path)),
    }
}

/// A dotted path; list items by index (`actions.0.command`).
fn lookup<'v>(summary: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(summary, |v, part| match v {
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        _ => v.get(part),
    })
}

fn number(key: &str, b: &Bound, v: Option<Figure>, missing: &str) -> Outcome {
    let expected = format!("{key} {}", b.text);
    match v {
        Some(x) => Outcome { passed: b.holds(x.value), expected, actual: x.text },
        None => Outcome { passed: false, expected, actual: missing_text(missing) },
    }
}

fn seconds(key: &str, b: &Bound, v: Option<Figure>, missing: &str) -> Outcome {
    let found = v.is_some();
    let mut out = number(key, b, v, missing);
    if found {
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

fn rollback_before(limit: f64, v: Option<Figure>) -> Outcome {
    let expected = format!("rollback_started_before {}", crate::time::SimDuration((limit * 1e9).round() as u64));
    match v {
        Some(t) => Outcome { passed: t.value < limit, expected, actual: format!("rollback started at {}s", t.text) },
        None => Outcome { passed: false, expected, actual: "no rollback".into() },
    }
}

fn summary(path: &str, is: &SummaryTest, v: Option<&Value>) -> Outcome {
    match is {
        SummaryTest::Number(b) => {
            let figure = v.and_then(|x| Some(Figure { value: x.as_f64()?, text: show(Some(x)) }));
            number(&format!("summary {path}"), b, figure, "absent")
        }
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
pub(crate) fn replaced_before_stop(run: &RunRecord, service: &str) -> u64 {
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
        .events()
        // A slot taken in the instant the update stopped counts: a worker freed by the failure
        // may take its next slot before the failure is read (Go's `select`).
        .filter(|e| e.service == service && e.state == TaskState::New && e.t >= start && e.t <= stop)
        .map(|e| (e.slot, if e.slot == 0 { e.node } else { "" }))
        .collect();
    slots.sort_unstable();
    slots.dedup();
    slots.len() as u64
}

//! `deploysim explain`: why Swarm did what it did, one sentence per decision, each with its
//! evidence and the rule behind it. The sentences are read from the decisions the run recorded
//! where swarmkit makes them ([`crate::model::decision`]: the updater's
//! `failureTriggersAction`, its workers' `delay` and final monitor in swarmkit's
//! `manager/orchestrator/update/updater.go`; `Restart` and `DelayStart` in
//! `manager/orchestrator/restart/restart.go`), with the task events as evidence (pull, start,
//! the scheduler's PENDING reason, a stop) and moby's health monitor (`daemon/health.go`)
//! replayed for the probe times. Pure: a record (and the scenario) in, sentences out.

mod health;
mod races;
mod render;
mod sentences;

pub use races::{RacePaths, race_path};
pub use render::{json, text};

use serde::Serialize;

use crate::model::record::RunRecord;
use crate::model::scenario::Scenario;
use crate::time::SimTime;

/// One sentence of the account: what happened at `t_ms`, why, the evidence, and the rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// Simulated time in milliseconds (the instant of the decision).
    pub t_ms: u64,
    /// The service (full name); empty for the run as a whole.
    pub service: String,
    /// What kind of decision: `update`, `slot`, `wait`, `failure`, `pause`, `rollback`,
    /// `complete`, `restart`, `health`, `race`, `command`, `lesson`.
    pub kind: &'static str,
    /// The sentence.
    pub text: String,
    /// The facts it rests on (times, states, messages, arithmetic).
    pub evidence: Vec<String>,
    /// The swarmkit / moby rule behind it (file and function).
    pub rule: &'static str,
}

impl Explanation {
    fn new(t: SimTime, service: &str, kind: &'static str, text: String, rule: &'static str) -> Explanation {
        Explanation { t_ms: t.0 / 1_000_000, service: service.to_string(), kind, text, evidence: Vec::new(), rule }
    }

    fn with(mut self, evidence: impl IntoIterator<Item = String>) -> Explanation {
        self.evidence.extend(evidence);
        self
    }
}

/// Every sentence of a finished run, in time order (stable: decisions keep the order they were
/// made in): the run must have been simulated with decisions recorded
/// (`SimulateOptions::decisions`), else only the health-check and lesson sentences come out.
/// `lesson` is a lesson text shown first (`scenarios/lessons/*.md`).
pub fn explain(scenario: &Scenario, run: &RunRecord, lesson: Option<&str>) -> Vec<Explanation> {
    let mut out = Vec::new();
    if let Some(lesson) = lesson {
        // A lesson file is Markdown: its lines rewrap into one sentence.
        let text = lesson.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push(Explanation::new(SimTime::ZERO, "", "lesson", text, "the scenario's lesson (NAME.md beside it)"));
    }
    out.extend(health::rules_of_thumb(scenario));
    out.extend(sentences::from_decisions(scenario, run));
    out.sort_by_key(|e| e.t_ms);
    out
}

/// Keeps the sentences of `service` (full name, or the name without the stack prefix) and those
/// up to `at` (every one when `None`); run-wide sentences stay.
pub fn filter(
    explanations: Vec<Explanation>,
    scenario: &Scenario,
    service: Option<&str>,
    at: Option<SimTime>,
) -> Vec<Explanation> {
    let full = service.map(|s| {
        if scenario.services.iter().any(|x| x.name == s) { s.to_string() } else { format!("{}_{s}", scenario.stack) }
    });
    explanations
        .into_iter()
        .filter(|e| full.as_ref().is_none_or(|f| e.service.is_empty() || &e.service == f))
        .filter(|e| at.is_none_or(|at| e.t_ms <= at.0 / 1_000_000))
        .collect()
}

#[cfg(test)]
mod tests;

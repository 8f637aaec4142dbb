//! `deploysim check`: the effective update policy of each service and the hazards in it, each
//! with the number that makes it one, computed from the same model the simulation runs
//! (swarmkit's defaults, Docker's health monitor, the scenario's images and nodes).
//!
//! Pure: a validated [`Scenario`] in, [`ServiceCheck`]s out. Rendering is in [`render`]; loading
//! files and exit codes in `commands::check`.

pub(crate) mod hazards;
pub(crate) mod policy;
pub(crate) mod render;
pub(crate) mod timing;

#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::model::scenario::Scenario;

/// How bad a finding is. Only warnings fail `check --strict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Advice: the policy works, but not as its numbers suggest.
    Note,
    /// The policy will not do what it is there for (outage, deadlock, missed failure).
    Warning,
}

impl Severity {
    /// `warning` / `note`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
        }
    }
}

/// One hazard in a service's policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Finding {
    /// Stable identifier (`monitor-misses-unhealthy`), for tools and `--format json`.
    pub id: &'static str,
    /// Warning or note.
    pub severity: Severity,
    /// The field at fault in Docker's dotted style (`services.web.deploy.update_config.monitor`).
    pub field: String,
    /// What goes wrong, with the number that makes it a hazard.
    pub message: String,
    /// What to change.
    pub hint: Option<String>,
}

/// A service's effective policy and its hazards.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ServiceCheck {
    /// Defaults applied, as the engine will run it.
    pub policy: policy::EffectivePolicy,
    /// Hazards, in rule order.
    pub findings: Vec<Finding>,
}

/// Checks every service of `scenario`, in file order.
pub(crate) fn check(scenario: &Scenario) -> Vec<ServiceCheck> {
    scenario
        .services
        .iter()
        .map(|spec| {
            let policy = policy::effective(scenario, spec);
            let findings = hazards::find(scenario, spec, &policy);
            ServiceCheck { policy, findings }
        })
        .collect()
}

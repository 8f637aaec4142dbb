//! What `deploysim compare-strategies` compares: the same workload, image behaviour, faults and seeds rolled
//! out as a rolling update, blue-green and canary, side by side.
//!
//! The scenario's rollout — its first `docker service update --image` (with or without a
//! `strategy:`) — is run once per strategy (`x-simulation.strategies`, default rolling,
//! blue-green and canary with their defaults), everything else unchanged, with the same seed
//! (or seeds `1..=--seeds`, each strategy on the same ones: common random numbers). Every run
//! of one seed is measured up to the same instant — the latest end among them: a run that came
//! to rest earlier holds its last state until then — so their request counts cover the same
//! time.
//!
//! Outputs (`reports/<scenario>-strategies/`): `strategies.csv` (one row per strategy, the
//! figures of [`crate::report::rollout`] and the route's requests; means over seeds with
//! `--seeds`) and one plot per strategy (`<strategy>.svg`/`.png`, all on one time axis): tasks
//! receiving requests, old and new version, tasks starting and stopping, the rollout's phases,
//! and the requests per second. Stdout gives the table and what it shows.

pub(crate) mod figures;
pub(crate) mod plots;
#[cfg(test)]
mod tests;

use crate::model::record::{EndReason, RunRecord};
use crate::model::scenario::{Action, Scenario};
use crate::model::strategy::{BlueGreen, Canary, Strategy};
pub use figures::{Aggregate, Row};

/// The strategies to compare: the scenario's list, or the three with their defaults.
pub fn strategies(scenario: &Scenario) -> Vec<(String, Option<Strategy>)> {
    if !scenario.strategies.is_empty() {
        return scenario.strategies.clone();
    }
    vec![
        ("rolling".into(), None),
        ("blue_green".into(), Some(Strategy::BlueGreen(BlueGreen::default()))),
        ("canary".into(), Some(Strategy::Canary(Canary::default()))),
    ]
}

/// The index of the rollout in the timeline: its first update to a new image.
pub fn rollout_index(scenario: &Scenario) -> Option<usize> {
    scenario.timeline.iter().position(|a| match &a.action {
        Action::ServiceUpdate { update, .. } => update.image.is_some(),
        Action::Rollout { .. } => true,
        _ => false,
    })
}

/// `scenario` with its rollout done under `strategy` (`None`: rolling).
pub fn with_strategy(scenario: &Scenario, index: usize, strategy: &Option<Strategy>) -> Scenario {
    let mut s = scenario.clone();
    let (service, update) = match &s.timeline[index].action {
        Action::ServiceUpdate { service, update } | Action::Rollout { service, update, .. } => {
            (service.clone(), update.clone())
        }
        _ => unreachable!("rollout_index only returns updates"),
    };
    s.timeline[index].action = match strategy {
        None => Action::ServiceUpdate { service, update },
        Some(st) => Action::Rollout { service, update, strategy: Box::new(st.clone()) },
    };
    s
}

/// Brings the runs of one seed (one per strategy, simulated without their requests) to a
/// common end, the latest among them — a run at rest holds its last state — and measures each
/// run's requests up to its end.
pub(crate) fn to_common_end(runs: &mut [RunRecord], scenario: &Scenario) {
    let horizon = runs.iter().map(|r| r.end_time).max().unwrap_or_default();
    let errors = scenario.error_rates();
    for run in runs {
        if run.end_time < horizon && run.end_reason == EndReason::Quiescent {
            run.end_time = horizon;
        }
        run.requests = crate::traffic::evaluate(run, &scenario.traffic, &errors);
    }
}

//! The one way every command loads and simulates a scenario: load (printing the loader's
//! warnings), override the seed, run the world.

use std::path::Path;

use crate::model::record::RunRecord;
use crate::model::scenario::Scenario;
use crate::scenario::ScenarioError;
use crate::world::World;

/// How a run is made, beyond the scenario and its seed.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimulateOptions {
    /// Check the world's invariants after every event (slow: for tests).
    pub invariant_checks: bool,
    /// Leave the request outcomes to the caller, who measures them to another end (e.g. the
    /// common end of `compare-strategies`' runs) — computed once either way.
    pub requests_later: bool,
    /// Record the decisions behind the run (`RunRecord::decisions`, for `deploysim explain`).
    pub decisions: bool,
    /// Record only what a run's figures are computed from (a sweep's runs): no task rows
    /// (`events.csv`) or process rows, whose building is a good part of a small run's cost, and
    /// no serving spans unless the request outcomes or a rollout's analysis read them. The
    /// update history, timeline, routes, images, container counts, reservations and request
    /// outcomes are whole, the history budget still counts every task change, and the record
    /// says so (`RunRecord::figures_only`). Off by default: a full record.
    pub figures_only: bool,
}

/// Loads and validates a scenario named on the command line, printing its warnings (options
/// Docker would ignore, settings without effect) to stderr.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let (scenario, warnings) = crate::scenario::load_with_warnings(path)?;
    for w in &warnings {
        eprintln!("{w}");
    }
    Ok(scenario)
}

/// Runs `scenario` with `seed` in place of `x-simulation.seed` when given.
pub fn simulate(scenario: Scenario, seed: Option<u64>, options: &SimulateOptions) -> RunRecord {
    world(scenario, seed, options).simulate()
}

/// The world that runs `scenario` under `seed` and `options` ([`World::run`] runs it once;
/// [`World::renew`] readies it for the next run, with the same options: a sweep's worker runs
/// many seeds and policies in one world).
pub(crate) fn world(mut scenario: Scenario, seed: Option<u64>, options: &SimulateOptions) -> World {
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let mut world = World::new(scenario);
    if options.invariant_checks {
        world = world.with_invariant_checks();
    }
    if options.decisions {
        world = world.with_decisions();
    }
    if options.figures_only {
        world = world.with_figures_only();
    }
    if options.requests_later {
        world = world.without_requests();
    }
    world
}

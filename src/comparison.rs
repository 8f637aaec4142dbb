//! `deploysim compare-strategies`: the same workload, image behaviour, faults and seeds rolled
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

mod figures;
mod plots;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use anyhow::Context;

use crate::app::UsageError;
use crate::model::record::RunRecord;
use crate::model::scenario::{Action, Scenario};
use crate::model::strategy::{BlueGreen, Canary, Strategy};
use crate::world::World;
pub use figures::{Row, Summary};

/// Options of `deploysim compare-strategies`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The scenario.
    pub scenario: PathBuf,
    /// Seed of the single run per strategy (default: the scenario's).
    pub seed: Option<u64>,
    /// Run seeds 1..=N per strategy instead, and report means.
    pub seeds: Option<u64>,
    /// Report folder (default `reports/<scenario>-strategies/`).
    pub out: Option<PathBuf>,
    /// Print nothing.
    pub quiet: bool,
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}

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

/// Runs every strategy with `seed` and brings the runs to a common end.
pub fn run_seed(scenario: &Scenario, index: usize, list: &[(String, Option<Strategy>)], seed: u64) -> Vec<RunRecord> {
    let mut runs: Vec<RunRecord> = list
        .iter()
        .map(|(_, strategy)| {
            let mut s = with_strategy(scenario, index, strategy);
            s.seed = seed;
            World::new(s).simulate()
        })
        .collect();
    let horizon = runs.iter().map(|r| r.end_time).max().unwrap_or_default();
    let errors = scenario.error_rates();
    for run in &mut runs {
        // A run at rest holds its last state: measure its requests up to the common end.
        if run.end_time < horizon && run.end_reason == crate::model::record::EndReason::Quiescent {
            run.end_time = horizon;
            run.requests = crate::traffic::evaluate(run, &scenario.traffic, &errors);
        }
    }
    runs
}

/// `deploysim compare-strategies`.
pub fn run(options: &Options) -> anyhow::Result<()> {
    let (mut scenario, warnings) =
        crate::scenario::load_with_warnings(&options.scenario).map_err(|e| usage(e.to_string()))?;
    for w in &warnings {
        eprintln!("{w}");
    }
    let index = rollout_index(&scenario).ok_or_else(|| {
        usage(format!(
            "{}: the timeline has no rollout to compare: add an entry like `run: docker service update --image IMAGE:NEW SERVICE`",
            options.scenario.display()
        ))
    })?;
    if let Some(seed) = options.seed {
        scenario.seed = seed;
    }
    let seeds: Vec<u64> = match options.seeds {
        Some(0) => return Err(usage("--seeds must be at least 1")),
        Some(n) => (1..=n).collect(),
        None => vec![scenario.seed],
    };
    let list = strategies(&scenario);
    let per_seed: Vec<Vec<RunRecord>> = seeds.iter().map(|&seed| run_seed(&scenario, index, &list, seed)).collect();
    let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
    let summaries: Vec<Summary> = (0..list.len())
        .map(|i| {
            let start = scenario.timeline[index].at;
            let rows: Vec<Row> = per_seed.iter().map(|runs| Row::of_run(&runs[i], start)).collect();
            Summary::of(names[i], &rows)
        })
        .collect();
    let dir =
        options.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-strategies", scenario.name)));
    let mut files: Vec<(String, Vec<u8>)> = vec![("strategies.csv".into(), figures::csv(&summaries))];
    files.extend(plots::files(&scenario.name, seeds[0], scenario.timeline[index].at, &names, &per_seed[0]));
    let named: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    crate::report::write_atomically(&dir, &named)
        .with_context(|| format!("could not write the comparison to '{}'", dir.display()))?;
    if !options.quiet {
        print!("{}", figures::story(&scenario.name, &seeds, &summaries));
        println!("report: {}", dir.display());
    }
    Ok(())
}

//! `deploysim compare-strategies`: simulate the scenario's rollout once per strategy, on the
//! same seeds, and write `strategies.csv` and one plot per strategy.

use std::path::{Path, PathBuf};

use crate::commands::Error;
use crate::commands::simulate::{SimulateOptions, load, simulate};
use crate::model::record::RunRecord;
use crate::model::scenario::Scenario;
use crate::model::strategy::Strategy;
use crate::strategy_comparison::{
    Aggregate, Row, figures, plots, rollout_index, strategies, to_common_end, with_strategy,
};

/// Roll the scenario's update out as rolling, blue-green and canary (or the strategies in
/// x-simulation.strategies) on the same workload and seeds; write strategies.csv and one plot
/// per strategy on a common time axis.
#[derive(Debug, clap::Args)]
pub struct CompareStrategiesArgs {
    /// A scenario whose timeline has a `docker service update --image` (with or without
    /// `strategy:`).
    pub scenario: PathBuf,
    /// Seed of the runs (overrides `x-simulation.seed`).
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Run seeds 1..=N per strategy and report means (common random numbers).
    #[arg(long)]
    pub seeds: Option<u64>,
    /// Report folder (default: reports/<scenario name>-strategies/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing (the files are still written).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs every strategy with `seed` and brings the runs to a common end.
pub fn run_seed(scenario: &Scenario, index: usize, list: &[(String, Option<Strategy>)], seed: u64) -> Vec<RunRecord> {
    // Requests are measured once, to the runs' common end.
    let options = SimulateOptions { requests_later: true, ..SimulateOptions::default() };
    let mut runs: Vec<RunRecord> = list
        .iter()
        .map(|(_, strategy)| simulate(with_strategy(scenario, index, strategy), Some(seed), &options))
        .collect();
    to_common_end(&mut runs, scenario);
    runs
}

/// `deploysim compare-strategies`.
pub fn run(args: &CompareStrategiesArgs) -> Result<(), Error> {
    let scenario = load(&args.scenario)?;
    let index = rollout_index(&scenario).ok_or_else(|| {
        Error::input(format!(
            "{}: the timeline has no rollout to compare: add an entry like `run: docker service update --image IMAGE:NEW SERVICE`",
            args.scenario.display()
        ))
    })?;
    let seeds: Vec<u64> = match args.seeds {
        Some(0) => return Err(Error::input("--seeds must be at least 1")),
        Some(n) => (1..=n).collect(),
        None => vec![args.seed.unwrap_or(scenario.seed)],
    };
    let list = strategies(&scenario);
    let per_seed: Vec<Vec<RunRecord>> = seeds.iter().map(|&seed| run_seed(&scenario, index, &list, seed)).collect();
    let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
    let summaries: Vec<Aggregate> = (0..list.len())
        .map(|i| {
            let start = scenario.timeline[index].at;
            let rows: Vec<Row> = per_seed.iter().map(|runs| Row::of_run(&runs[i], start)).collect();
            Aggregate::of(names[i], &rows)
        })
        .collect();
    let dir =
        args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-strategies", scenario.name)));
    let mut files: Vec<(String, Vec<u8>)> = vec![("strategies.csv".into(), figures::csv(&summaries))];
    files.extend(plots::files(&scenario.name, seeds[0], scenario.timeline[index].at, &names, &per_seed[0]));
    // The folder is the comparison's report, replaced whole: strategies.csv and one plot per
    // strategy, this run's or the earlier comparison's (named in its strategies.csv), so the
    // plot of a strategy since removed goes too — but no other image a user put there.
    let mut plotted: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    plotted.extend(earlier_strategies(&dir));
    let owns = |name: &str| {
        name == "strategies.csv"
            || name
                .strip_suffix(".svg")
                .or_else(|| name.strip_suffix(".png"))
                .is_some_and(|stem| plotted.iter().any(|p| p == stem))
    };
    let folder = crate::report::Folder { owns: &owns, carries: &|_| false };
    crate::report::replace_folder(&dir, &files, &folder)
        .map_err(Error::report(format!("could not write the comparison to '{}'", dir.display())))?;
    if !args.quiet {
        print!("{}", figures::story(&scenario.name, &seeds, &summaries));
        println!("report: {}", dir.display());
    }
    Ok(())
}

/// The strategies an earlier comparison in `dir` listed (the first column of its
/// strategies.csv); none when there is no readable one.
fn earlier_strategies(dir: &Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(dir.join("strategies.csv")) else { return Vec::new() };
    csv::Reader::from_reader(bytes.as_slice()).records().filter_map(|r| r.ok()?.get(0).map(str::to_owned)).collect()
}

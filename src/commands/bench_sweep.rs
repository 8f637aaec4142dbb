//! `deploysim bench-sweep`: times a 100-policy × 100-seed sweep of the tutorial scenario (the
//! issue's target: under 5 s on 2 cores). A benchmark, not a test: run it on a quiet machine.

use std::path::PathBuf;
use std::time::Instant;

use crate::commands::Error;
use crate::commands::sweep::{default_threads, read_scenario, run_all};
use crate::sweep::exec::Shard;
use crate::sweep::{plan, policy_columns, runs_csv, sweep_csv};

/// The swept values: parallelism 1..10 × delay 0s..9s = 100 policies.
const SETS: [&str; 2] = [
    "services.web.deploy.update_config.parallelism=1..10",
    "services.web.deploy.update_config.delay=0s,1s,2s,3s,4s,5s,6s,7s,8s,9s",
];

/// Time a sweep of 100 policies (parallelism 1..10 × delay 0s..9s) × --seeds seeds.
#[derive(Debug, clap::Args)]
pub struct BenchSweepArgs {
    /// The scenario to sweep (its service must be named web).
    #[arg(default_value = "scenarios/rolling-update.yml")]
    pub scenario: PathBuf,
    /// Runs per policy.
    #[arg(long, default_value_t = 100)]
    pub seeds: u64,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Runs the benchmark and prints runs per second.
#[allow(clippy::disallowed_methods)] // wall-clock timing is what a benchmark measures
pub fn run(args: &BenchSweepArgs) -> Result<(), Error> {
    let (scenario, seeds) = (&args.scenario, args.seeds);
    let threads = args.threads.unwrap_or_else(default_threads).max(1);
    let started = Instant::now();
    let sets: Vec<String> = SETS.iter().map(|s| s.to_string()).collect();
    let (plan, scenarios) = plan(&read_scenario(scenario)?, scenario, &sets).map_err(Error::input)?;
    let loaded = started.elapsed().as_secs_f64();
    let runs = run_all(&scenarios, &plan.service, seeds, Shard::WHOLE, threads, None);
    let simulated = started.elapsed().as_secs_f64() - loaded;
    let columns = policy_columns(&plan, &runs);
    let bytes = runs_csv(&plan, &runs).len() + sweep_csv(&plan, &columns).len();
    let total = started.elapsed().as_secs_f64();
    println!(
        "bench-sweep: {} policies x {seeds} seeds of {} on {threads} threads",
        plan.policies.len(),
        scenario.display()
    );
    println!(
        "loaded in {loaded:.3} s; {} runs in {simulated:.3} s ({:.0} runs/s); {bytes} bytes of CSV",
        runs.len(),
        runs.len() as f64 / simulated.max(1e-9)
    );
    println!("total wall time: {total:.3} s (target < 5 s on 2 cores)");
    Ok(())
}

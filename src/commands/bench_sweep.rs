//! `deploysim bench-sweep`: times a 100-policy × 100-seed sweep of the tutorial scenario (the
//! issue's target: under 5 s on 2 cores). A benchmark, not a test: run it on a quiet machine.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::commands::Error;
use crate::commands::sweep::{default_threads, read_scenario, run_each};
use crate::sweep::collect::{ByteCount, Collector};
use crate::sweep::exec::Shard;
use crate::sweep::{plan, sweep_csv};

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
    let text = read_scenario(scenario)?;
    let SweepFigures { policies, runs, csv_bytes, planning_secs: loaded } =
        sweep(&text, scenario, &sets, seeds, threads)?;
    let total = started.elapsed().as_secs_f64();
    let simulated = total - loaded;
    println!("bench-sweep: {policies} policies x {seeds} seeds of {} on {threads} threads", scenario.display());
    println!(
        "loaded in {loaded:.3} s; {runs} runs in {simulated:.3} s ({:.0} runs/s); {csv_bytes} bytes of CSV",
        runs as f64 / simulated.max(1e-9)
    );
    println!("total wall time: {total:.3} s (target < 5 s on 2 cores)");
    Ok(())
}

/// A whole sweep as `deploysim sweep` makes it, short of writing files: plan the policies of
/// `sets` over `text` (read from `path`), run `seeds` seeds of each on `threads` threads and
/// build `runs.csv` and `sweep.csv` in memory. Public so that `cargo bench` times the same work
/// as this command.
#[allow(clippy::disallowed_methods)] // wall-clock timing is what a benchmark measures
pub fn sweep(text: &str, path: &Path, sets: &[String], seeds: u64, threads: usize) -> Result<SweepFigures, Error> {
    let started = Instant::now();
    let (plan, scenarios) = plan(text, path, sets).map_err(Error::input)?;
    let loaded = started.elapsed().as_secs_f64();
    // As `deploysim sweep` does it, runs.csv counted instead of written.
    let in_memory = "counting bytes cannot fail";
    let mut collector = Collector::new(&plan, scenarios.traffic(), ByteCount::default()).expect(in_memory);
    let mut runs = 0;
    run_each(&scenarios, &plan.service, seeds, Shard::WHOLE, threads.max(1), None, &mut |run| {
        runs += 1;
        collector.push(run).expect(in_memory);
        true
    });
    let (columns, ByteCount(runs_csv)) = collector.finish(false).expect(in_memory);
    let bytes = runs_csv + sweep_csv(&plan, &columns).len();
    Ok(SweepFigures { policies: plan.policies.len(), runs, csv_bytes: bytes, planning_secs: loaded })
}

/// What [`sweep`] did.
#[derive(Clone, Copy, Debug)]
pub struct SweepFigures {
    /// Policies planned (every combination of the `--set` values).
    pub policies: usize,
    /// Runs made: policies × seeds.
    pub runs: usize,
    /// Bytes of `runs.csv` and `sweep.csv` together.
    pub csv_bytes: usize,
    /// Wall seconds spent planning (loading every policy's scenario), before the first run.
    pub planning_secs: f64,
}

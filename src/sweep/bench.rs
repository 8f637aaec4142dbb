//! `deploysim bench-sweep`: times a 100-policy × 100-seed sweep of the tutorial scenario (the
//! issue's target: under 5 s on 2 cores). A benchmark, not a test: run it on a quiet machine.

use std::path::Path;
use std::time::Instant;

/// The swept values: parallelism 1..10 × delay 0s..9s = 100 policies.
const SETS: [&str; 2] = [
    "services.web.deploy.update_config.parallelism=1..10",
    "services.web.deploy.update_config.delay=0s,1s,2s,3s,4s,5s,6s,7s,8s,9s",
];

/// Runs the benchmark and prints runs per second.
#[allow(clippy::disallowed_methods)] // wall-clock timing is what a benchmark measures
pub fn run(scenario: &Path, seeds: u64, threads: Option<usize>) -> anyhow::Result<()> {
    let threads = threads.unwrap_or_else(super::default_threads).max(1);
    let started = Instant::now();
    let sets: Vec<String> = SETS.iter().map(|s| s.to_string()).collect();
    let (plan, scenarios) = super::plan(scenario, &sets)?;
    let loaded = started.elapsed().as_secs_f64();
    let runs = super::exec::run_all(&scenarios, &plan.service, seeds, super::Shard::WHOLE, threads, None);
    let simulated = started.elapsed().as_secs_f64() - loaded;
    let columns = super::policy_columns(&plan, &runs);
    let bytes = super::runs_csv(&plan, &runs).len() + super::sweep_csv(&plan, &columns).len();
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

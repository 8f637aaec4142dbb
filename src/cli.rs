//! Command-line types (clap derive): the top-level parser and the subcommands, each wrapping
//! its command's arguments (defined beside the command in `commands/`), and which command each
//! runs.

use clap::{Parser, Subcommand};

use crate::commands::Error;
use crate::commands::bench::BenchArgs;
use crate::commands::bench_sweep::BenchSweepArgs;
use crate::commands::calibrate::CalibrateArgs;
use crate::commands::check::CheckArgs;
use crate::commands::compare::CompareArgs;
use crate::commands::compare_strategies::CompareStrategiesArgs;
use crate::commands::explain::ExplainArgs;
use crate::commands::import::ImportArgs;
use crate::commands::merge::MergeArgs;
use crate::commands::plan::PlanArgs;
use crate::commands::plot::PlotArgs;
use crate::commands::ps::PsArgs;
use crate::commands::run::RunArgs;
use crate::commands::sweep::SweepArgs;
use crate::commands::test::TestArgs;
use crate::commands::{
    bench, bench_sweep, calibrate, check, compare, compare_strategies, explain, import, merge, plan, plot, ps, run,
    sweep, test,
};

/// deploysim: what will Docker Swarm do when you run `docker service update`?
#[derive(Debug, Parser)]
#[command(name = "deploysim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Sets a variable for `${VAR}` in the compose files of every scenario loaded (KEY=VALUE,
    /// repeatable); wins over --env-file and x-simulation.env. deploysim never reads its own
    /// environment, so that a scenario gives the same run everywhere.
    #[arg(long = "env", global = true, value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Reads variables for `${VAR}` from a file of KEY=VALUE lines (repeatable; `#` comments).
    #[arg(long = "env-file", global = true, value_name = "FILE")]
    pub env_file: Vec<std::path::PathBuf>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write its report (events.csv, timeline.csv, summary.json).
    Run(RunArgs),
    /// Simulate a scenario and print `docker service ps` (or `service ls`, or the UpdateStatus) as
    /// it would look at a simulated instant; --watch replays the rollout.
    Ps(PsArgs),
    /// Simulate a scenario and compare it with traces recorded from a real swarm, each run on its
    /// own (exit 0: every real run reproduced on every measure, by some seed with --seeds; 1: not;
    /// 2: bad input).
    Compare(CompareArgs),
    /// Simulate a scenario and explain why Swarm did what it did: each failure and whether it
    /// counted, each pause or rollback with its ratio arithmetic, each wait, the completion, the
    /// races (over seeds 1..20), with the rule behind each sentence.
    Explain(ExplainArgs),
    /// Estimate image behaviour (prepare, start, first healthy probe, stop) from a real trace and
    /// print an `x-simulation.images` block.
    Calibrate(CalibrateArgs),
    /// Write a scenario from a real cluster: `docker service inspect` JSON (and, with --nodes,
    /// the nodes), with a comment on every value it had to assume.
    Import(ImportArgs),
    /// Validate stack files or scenarios and lint their update policies (exit 0: clean; 1: warnings
    /// with --strict; 2: a file is invalid).
    Check(CheckArgs),
    /// Predict what `docker stack deploy` of NEW over OLD would do: which services are created,
    /// updated (which fields), removed or left, which replace tasks, and each rollout (exit 0:
    /// nothing replaced; 1: tasks would be replaced; 2: bad input).
    Plan(PlanArgs),
    /// Time a large rolling update (100,000 replicas on 5,000 nodes by default).
    Bench(BenchArgs),
    /// Redraw a report's plots (timeline.svg/png, or timeline-<service>.svg/png) from its
    /// timeline.csv alone; summary.json, events.csv and requests.csv beside it are used if there.
    Plot(PlotArgs),
    /// Check the expectations (`x-simulation.expect`) of scenarios: exit 0 when all hold, 1 when
    /// any fails, 2 on bad input.
    Test(TestArgs),
    /// Run a scenario under every combination of policy values over many seeds, write runs.csv
    /// and sweep.csv, and recommend a policy (see the README's sweep section).
    Sweep(SweepArgs),
    /// Combine the outputs of every `sweep --shard I/N` into exactly the files (and the
    /// recommendation) the whole sweep would have written.
    Merge(MergeArgs),
    /// Roll the scenario's update out as rolling, blue-green and canary (or the strategies in
    /// x-simulation.strategies) on the same workload and seeds; write strategies.csv and one plot
    /// per strategy on a common time axis.
    CompareStrategies(CompareStrategiesArgs),
    /// Time a sweep of 100 policies (parallelism 1..10 × delay 0s..9s) × --seeds seeds.
    BenchSweep(BenchSweepArgs),
}

impl Command {
    /// Runs the command. `Err` says why it did not succeed, and with it the exit code.
    pub fn run(&self) -> Result<(), Error> {
        match self {
            Command::Run(args) => run::run(args),
            Command::Ps(args) => ps::run(args),
            Command::Compare(args) => compare::run(args),
            Command::Explain(args) => explain::run(args),
            Command::Calibrate(args) => calibrate::run(args),
            Command::Check(args) => check::run(args),
            Command::Import(args) => import::run(args),
            Command::Plan(args) => plan::run(args),
            Command::Bench(args) => bench::run(args),
            Command::Plot(args) => plot::run(args),
            Command::Test(args) => test::run(args),
            Command::Sweep(args) => sweep::run(args),
            Command::Merge(args) => merge::run(args),
            Command::CompareStrategies(args) => compare_strategies::run(args),
            Command::BenchSweep(args) => bench_sweep::run(args),
        }
    }
}

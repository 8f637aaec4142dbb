//! Command-line types (clap derive only; `app` does the work).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// deploysim: what will Docker Swarm do when you run `docker service update`?
#[derive(Debug, Parser)]
#[command(name = "deploysim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write its report (events.csv, timeline.csv, summary.json).
    Run {
        /// A stack file with an `x-simulation:` section, or a simulation file naming its stack.
        scenario: PathBuf,
        /// Seed for every random stream (overrides `x-simulation.seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Report folder (default: reports/<scenario name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Time a large rolling update (100,000 replicas on 5,000 nodes by default).
    Bench {
        /// Replicas of the benchmark service.
        #[arg(long, default_value_t = 100_000)]
        replicas: u64,
        /// Nodes in the cluster.
        #[arg(long, default_value_t = 5_000)]
        nodes: u64,
        /// update_config.parallelism.
        #[arg(long, default_value_t = 1_000)]
        parallelism: u64,
        /// Also build the report files in memory (as `run` does, without writing them).
        #[arg(long)]
        with_reports: bool,
    },
}

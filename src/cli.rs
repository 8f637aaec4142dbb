//! Command-line types (clap derive only; `app` does the work).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::fidelity::command::{Format, parse_duration_arg, parse_rel_arg};
use crate::time::SimDuration;

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
        /// Print one line per task state change, UpdateStatus change and timeline action before
        /// the summary (also with --quiet); the format is in `src/ps/trace.rs`.
        #[arg(long)]
        trace: bool,
    },
    /// Simulate a scenario and print `docker service ps` (or `service ls`, or the UpdateStatus) as
    /// it would look at a simulated instant; --watch replays the rollout.
    Ps {
        /// A stack file with an `x-simulation:` section, or a simulation file naming its stack.
        scenario: PathBuf,
        /// Services to show (`web_web` or `web`; default: every service, as `docker stack ps`).
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
        /// The simulated instant (default: the end of the run; with --watch, where it starts).
        #[arg(long, value_parser = parse_duration_arg)]
        at: Option<SimDuration>,
        /// Seed for every random stream (overrides `x-simulation.seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Do not truncate ids, images or errors (as `docker service ps --no-trunc`).
        #[arg(long)]
        no_trunc: bool,
        /// What to print: `docker service ps`, `docker service ls`, the UpdateStatus JSON, or all.
        #[arg(long, value_enum, default_value_t)]
        format: crate::ps::command::Format,
        /// Replay the rollout from --at (default 0) to the end, like `watch docker stack ps`;
        /// without a terminal, print snapshots one after another.
        #[arg(long)]
        watch: bool,
        /// Replay speed with --watch in a terminal: simulated seconds per wall second.
        #[arg(long, value_parser = crate::ps::watch::parse_speed, default_value = "1x")]
        speed: f64,
        /// Simulated time between --watch frames (default: 1s in a terminal, 10s otherwise).
        #[arg(long, value_parser = parse_duration_arg)]
        interval: Option<SimDuration>,
    },
    /// Simulate a scenario and compare it with traces recorded from a real swarm, each run on its
    /// own (exit 0: every real run reproduced on every measure, by some seed with --seeds; 1: not;
    /// 2: bad input).
    Compare {
        /// One or more traces, each a path prefix (`traces/s01-rolling-basic.r1`) or the path of
        /// one of its csv files.
        #[arg(required = true, num_args = 1.., value_name = "TRACE")]
        traces: Vec<PathBuf>,
        /// The scenario reproducing them.
        #[arg(required = true, value_name = "SCENARIO")]
        scenario: PathBuf,
        /// Seed for every random stream (overrides `x-simulation.seed`).
        #[arg(long, conflicts_with = "seeds")]
        seed: Option<u64>,
        /// Simulate several seeds (`20` = 1..20, or `5..24`): Swarm's races (which goroutine
        /// commits first, Go map order) are random, so each real run must be reproduced by some
        /// seed; prints which seeds took each recorded path.
        #[arg(long, value_parser = crate::fidelity::command::parse_seeds_arg)]
        seeds: Option<crate::fidelity::command::Seeds>,
        /// Simulated time of the trace's t = 0 (default: the scenario's first timeline action).
        #[arg(long, value_parser = parse_duration_arg)]
        action_at: Option<SimDuration>,
        /// Simulated service to compare (default: the scenario's only service).
        #[arg(long)]
        service: Option<String>,
        /// Allow each time measure the real runs' own spread of that measure where it is larger
        /// than the tolerance (runs paired on what both show). Off by default.
        #[arg(long)]
        widen_by_spread: bool,
        /// Removed: a race is matched by seeds (`--seeds`), not by passing on any one run.
        #[arg(long, hide = true)]
        any_run: bool,
        /// Absolute timing tolerance.
        #[arg(long, value_parser = parse_duration_arg, default_value = "500ms")]
        tolerance_abs: SimDuration,
        /// Relative timing tolerance, of the real time after the action (`10%` or `0.1`).
        #[arg(long, value_parser = parse_rel_arg, default_value = "10%")]
        tolerance_rel: f64,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Estimate image behaviour (prepare, start, first healthy probe, stop) from a real trace and
    /// print an `x-simulation.images` block.
    Calibrate {
        /// A trace path prefix (`traces/s01-rolling-basic.r1`) or the path of one of its csv files.
        trace: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Validate stack files or scenarios and lint their update policies (exit 0: clean; 1: warnings
    /// with --strict; 2: a file is invalid).
    Check {
        /// Stack files (a plain `docker stack deploy` file is fine) or scenarios.
        #[arg(required = true, num_args = 1.., value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Exit 1 when there are warnings.
        #[arg(long)]
        strict: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: crate::check::command::Format,
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
        /// Jitter every latency by ±20 % (almost no two events share an instant).
        #[arg(long)]
        jitter: bool,
    },
    /// Redraw a report's plots (timeline.svg/png, or timeline-<service>.svg/png) from its
    /// timeline.csv alone; summary.json, events.csv and requests.csv beside it are used if there.
    Plot {
        /// A report's `timeline.csv`.
        csv: PathBuf,
        /// Folder for the images (default: the CSV's folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the expectations (`x-simulation.expect`) of scenarios: exit 0 when all hold, 1 when
    /// any fails, 2 on bad input.
    Test {
        /// Scenario files or folders, searched recursively for *.yml and *.yaml.
        #[arg(value_name = "PATH", default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// Also write JUnit XML to this file (for CI test reports).
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: crate::expect::runner::Format,
    },
    /// Run a scenario under every combination of policy values over many seeds, write runs.csv
    /// and sweep.csv, and recommend a policy (see the README's sweep section).
    Sweep {
        /// A stack file with an `x-simulation:` section.
        scenario: PathBuf,
        /// PATH=V1,V2,… (or a range `1..6`, inclusive): a dotted path in the scenario file and the
        /// values to try, e.g. services.web.deploy.update_config.parallelism=1,2,4. Repeatable.
        #[arg(long = "set", value_name = "PATH=VALUES")]
        sets: Vec<String>,
        /// Runs per policy: seeds 1..=N, the same for every policy (common random numbers).
        #[arg(long, default_value_t = 20)]
        seeds: u64,
        /// Report folder (default: reports/<scenario name>-sweep/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: every core); the results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// What to optimise: min:METRIC or max:METRIC, METRIC a sweep.csv column
        /// (default min:duration_p95).
        #[arg(long)]
        objective: Option<String>,
        /// A bound the recommended policy must meet: METRIC>=V, <=, > or <. Repeatable
        /// (default, when none: min_serving_ratio_p5>=0.8).
        #[arg(long = "constraint", value_name = "METRIC<OP>V")]
        constraints: Vec<String>,
        /// Print nothing (the files are still written).
        #[arg(long, short)]
        quiet: bool,
        /// Run only share I of N of the runs (1 <= I <= N) and write DIR/shard.json for
        /// `deploysim merge` (default DIR: reports/<scenario name>-sweep/shard-I-of-N/).
        #[arg(long, value_name = "I/N", value_parser = crate::sweep::Shard::parse)]
        shard: Option<crate::sweep::Shard>,
    },
    /// Combine the outputs of every `sweep --shard I/N` into exactly the files (and the
    /// recommendation) the whole sweep would have written.
    Merge {
        /// Every shard's folder (or its shard.json), in any order.
        #[arg(required = true, num_args = 1.., value_name = "SHARD")]
        shards: Vec<PathBuf>,
        /// Report folder (default: reports/<scenario name>-sweep/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing (the files are still written).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Roll the scenario's update out as rolling, blue-green and canary (or the strategies in
    /// x-simulation.strategies) on the same workload and seeds; write strategies.csv and one plot
    /// per strategy on a common time axis.
    CompareStrategies {
        /// A scenario whose timeline has a `docker service update --image` (with or without
        /// `strategy:`).
        scenario: PathBuf,
        /// Seed of the runs (overrides `x-simulation.seed`).
        #[arg(long, conflicts_with = "seeds")]
        seed: Option<u64>,
        /// Run seeds 1..=N per strategy and report means (common random numbers).
        #[arg(long)]
        seeds: Option<u64>,
        /// Report folder (default: reports/<scenario name>-strategies/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing (the files are still written).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Time a sweep of 100 policies (parallelism 1..10 × delay 0s..9s) × --seeds seeds.
    BenchSweep {
        /// The scenario to sweep (its service must be named web).
        #[arg(default_value = "scenarios/rolling-update.yml")]
        scenario: PathBuf,
        /// Runs per policy.
        #[arg(long, default_value_t = 100)]
        seeds: u64,
        /// Worker threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
    },
}

/// `--format` of the commands that print either a readable report or one JSON document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    /// Readable text.
    #[default]
    Text,
    /// JSON with a fixed field order.
    Json,
}

//! The `deploysim` binary: parse arguments, call the app, map errors to exit codes
//! (0 ran, 1 runtime or I/O failure or, for `compare`, a simulation outside tolerance,
//! 2 bad input).

use std::process::ExitCode;

use clap::Parser;
use deploysim::app::{self, RunOptions, UsageError};
use deploysim::cli::{Cli, Command};
use deploysim::fidelity::Tolerance;
use deploysim::fidelity::command::{self, CalibrateOptions, CompareOptions};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Each command says whether it succeeded; only `compare` can run and still fail (exit 1:
    // the simulation is outside tolerance).
    let result = match cli.command {
        Command::Run { scenario, seed, out, quiet, trace } => {
            app::run(&RunOptions { scenario, seed, out, quiet, trace }).map(|()| true)
        }
        Command::Ps { scenario, services, at, seed, no_trunc, format, watch, speed, interval } => {
            let options = deploysim::ps::command::PsOptions {
                scenario,
                services,
                at,
                seed,
                no_trunc,
                format,
                watch,
                speed,
                interval,
            };
            deploysim::ps::command::run(&options).map(|()| true)
        }
        Command::Compare {
            traces,
            scenario,
            seed,
            seeds,
            action_at,
            service,
            widen_by_spread,
            any_run,
            tolerance_abs,
            tolerance_rel,
            format,
        } => {
            if any_run {
                let hint = "--any-run was removed: a race is matched by seeds, e.g. --seeds 1..20 \
                            (each real run must be reproduced by some seed)";
                return usage_error(hint);
            }
            let tolerance = Tolerance { abs_s: tolerance_abs.0 as f64 / 1e9, rel: tolerance_rel };
            let options = CompareOptions {
                traces,
                scenario,
                seeds,
                seed,
                action_at,
                service,
                widen_by_spread,
                tolerance,
                format,
            };
            command::compare(&options)
        }
        Command::Calibrate { trace, format } => command::calibrate(&CalibrateOptions { trace, format }).map(|()| true),
        Command::Check { files, strict, format } => {
            // `check` has its own exit codes: 0 clean, 1 warnings under --strict, 2 invalid input.
            let options = deploysim::check::command::CheckOptions { files, strict, format };
            match deploysim::check::command::run(&options) {
                Ok(code) => return ExitCode::from(code),
                Err(e) => Err(e),
            }
        }
        Command::Bench { replicas, nodes, parallelism, with_reports, jitter } => {
            deploysim::bench::run(replicas, nodes, parallelism, with_reports, jitter).map(|()| true)
        }
        Command::Plot { csv, out } => app::plot(&csv, out.as_deref()).map(|()| true),
        Command::Sweep { scenario, sets, seeds, out, threads, objective, constraints, quiet, shard } => {
            let options = deploysim::sweep::SweepOptions {
                scenario,
                sets,
                seeds,
                out,
                threads,
                objective,
                constraints,
                quiet,
                shard,
            };
            deploysim::sweep::run(&options).map(|()| true)
        }
        Command::Merge { shards, out, quiet } => {
            deploysim::sweep::merge(&deploysim::sweep::MergeOptions { shards, out, quiet }).map(|()| true)
        }
        Command::CompareStrategies { scenario, seed, seeds, out, quiet } => {
            let options = deploysim::comparison::Options { scenario, seed, seeds, out, quiet };
            deploysim::comparison::run(&options).map(|()| true)
        }
        Command::BenchSweep { scenario, seeds, threads } => {
            deploysim::sweep::bench::run(&scenario, seeds, threads).map(|()| true)
        }
        Command::Test { paths, junit, format } => {
            // `test` has its own exit codes: 0 all hold, 1 an expectation failed, 2 bad input.
            let options = deploysim::expect::runner::TestOptions { paths, junit, format };
            match deploysim::expect::runner::run(&options) {
                Ok(code) => return ExitCode::from(code),
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if e.is::<UsageError>() => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

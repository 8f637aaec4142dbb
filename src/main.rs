//! The `deploysim` binary: parse arguments, call the app, map errors to exit codes
//! (0 ran, 1 runtime or I/O failure, 2 bad input).

use std::process::ExitCode;

use clap::Parser;
use deploysim::app::{self, RunOptions, UsageError};
use deploysim::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { scenario, seed, out, quiet } => app::run(&RunOptions { scenario, seed, out, quiet }),
        Command::Bench { replicas, nodes, parallelism, with_reports } => {
            deploysim::bench::run(replicas, nodes, parallelism, with_reports)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
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

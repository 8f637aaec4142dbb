//! The `deploysim` binary: parse arguments, run the command, map errors to exit codes
//! (0 ran, 1 runtime or I/O failure or, for `compare`, a simulation outside tolerance,
//! 2 bad input).

use std::process::ExitCode;

use clap::Parser;
use deploysim::cli::Cli;
use deploysim::commands::{UsageError, dispatch};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(&cli.command) {
        Ok(code) => ExitCode::from(code),
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

//! The commands: one file per `deploysim` subcommand, each with its clap arguments and the
//! function that runs it. Every command that simulates goes through [`simulate::simulate`].
//! Commands load files, simulate, call the pure modules below them and print or write what
//! those return; nothing below `commands` prints or chooses an exit code. Every command fails
//! with the one [`Error`], whose kind is the exit code.

pub mod args;
pub mod bench;
pub mod bench_sweep;
pub mod calibrate;
pub mod check;
pub mod compare;
pub mod compare_strategies;
mod error;
pub mod merge;
pub mod plot;
pub mod ps;
pub mod run;
pub mod simulate;
pub mod sweep;
pub mod test;

pub use error::Error;

use crate::cli::Command;

/// Runs `command`. `Err` says why it did not succeed, and with it the exit code.
pub fn dispatch(command: &Command) -> Result<(), Error> {
    match command {
        Command::Run(args) => run::run(args),
        Command::Ps(args) => ps::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Check(args) => check::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Test(args) => test::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Merge(args) => merge::run(args),
        Command::CompareStrategies(args) => compare_strategies::run(args),
        Command::BenchSweep(args) => bench_sweep::run(args),
    }
}

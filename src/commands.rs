//! The commands: one file per `deploysim` subcommand, each with its clap arguments and the
//! function that runs it. Every command that simulates goes through [`simulate::simulate`].
//! Commands load files, simulate, call the pure modules below them and print or write what
//! those return; nothing below `commands` prints or chooses an exit code.

pub mod args;
pub mod bench;
pub mod bench_sweep;
pub mod calibrate;
pub mod check;
pub mod compare;
pub mod compare_strategies;
pub mod merge;
pub mod plot;
pub mod ps;
pub mod run;
pub mod simulate;
pub mod sweep;
pub mod test;

use crate::cli::Command;

/// An error of the user's making (bad scenario or arguments): exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A usage error (exit 2) as an `anyhow::Error`.
pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}

/// Runs `command`; `Ok` holds the exit code of a command that ran (0, or 1 when what it
/// checked failed: `compare` outside tolerance, `check --strict` with warnings, `test` with
/// a failed expectation, or 2 for `check`/`test` with an invalid file).
pub fn dispatch(command: &Command) -> anyhow::Result<u8> {
    let ran = |result: anyhow::Result<()>| result.map(|()| 0);
    match command {
        Command::Run(args) => ran(run::run(args)),
        Command::Ps(args) => ran(ps::run(args)),
        Command::Compare(args) => compare::run(args).map(|passed| if passed { 0 } else { 1 }),
        Command::Calibrate(args) => ran(calibrate::run(args)),
        Command::Check(args) => check::run(args),
        Command::Bench(args) => ran(bench::run(args)),
        Command::Plot(args) => ran(plot::run(args)),
        Command::Test(args) => test::run(args),
        Command::Sweep(args) => ran(sweep::run(args)),
        Command::Merge(args) => ran(merge::run(args)),
        Command::CompareStrategies(args) => ran(compare_strategies::run(args)),
        Command::BenchSweep(args) => ran(bench_sweep::run(args)),
    }
}

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
pub mod explain;
pub mod import;
pub mod merge;
pub mod plan;
pub mod plot;
pub mod ps;
pub mod run;
pub mod simulate;
pub mod sweep;
pub mod test;

pub use error::Error;

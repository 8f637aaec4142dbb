//! `deploysim calibrate`: the image behaviour a recorded trace shows, as an
//! `x-simulation.images` block to paste.

use std::path::PathBuf;

use crate::commands::Error;
use crate::commands::args::{Format, table_or_json};
use crate::commands::compare::load_trace;
use crate::fidelity::calibrate;

/// Estimate image behaviour (prepare, start, first healthy probe, stop) from a real trace and
/// print an `x-simulation.images` block.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// A trace path prefix (`traces/s01-rolling-basic.r1`) or the path of one of its csv files.
    pub trace: PathBuf,
    /// Output format.
    #[arg(long, value_parser = table_or_json(), default_value = "table")]
    pub format: Format,
}

/// `deploysim calibrate`: prints the image behaviour a trace shows.
pub fn run(args: &CalibrateArgs) -> Result<(), Error> {
    let trace = load_trace(&args.trace)?;
    let report = calibrate::calibrate(&trace);
    match args.format {
        Format::Text => print!("{}", calibrate::render(&report)),
        Format::Json => print!("{}", calibrate::json(&report)),
    }
    Ok(())
}

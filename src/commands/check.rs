//! `deploysim check FILE...`: loads each file, checks each service, prints the report; fails
//! when a file does not load (exit 2) or, under `--strict`, when anything warned (exit 1).

use std::path::{Path, PathBuf};

use crate::check::render::{self, FileReport, Outcome};
use crate::commands::Error;
use crate::commands::args::Format;

/// Validate stack files or scenarios and lint their update policies (exit 0: clean; 1: warnings
/// with --strict; 2: a file is invalid).
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Stack files (a plain `docker stack deploy` file is fine) or scenarios.
    #[arg(required = true, num_args = 1.., value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Exit 1 when there are warnings.
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs `check` and prints the report to stdout (which names every problem).
pub fn run(args: &CheckArgs) -> Result<(), Error> {
    let reports: Vec<FileReport> = args.files.iter().map(|f| check_file(f)).collect();
    let verdict = verdict(&reports, args.strict);
    match args.format {
        Format::Text => print!("{}", render::text(&reports)),
        Format::Json => {
            print!("{}", render::json(&reports, verdict.as_ref().map_or_else(Error::exit_code, |()| 0)))
        }
    }
    verdict
}

/// Loads and checks one file. A plain stack file (no `x-simulation`) is checked against the
/// simulator's defaults: one node, Engine 27, the default image behaviour.
fn check_file(path: &Path) -> FileReport {
    let file = path.display().to_string();
    let outcome = match crate::scenario::load_with_diagnostics(path) {
        Ok((scenario, warnings)) => Outcome::Checked { warnings, services: crate::check::check(&scenario) },
        Err(e) => Outcome::Invalid(e.diagnostics),
    };
    FileReport { file, outcome }
}

/// Bad input if any file is invalid; else, under `strict`, a failed check if anything warned.
/// Notes never fail. The report lists the problems, so the errors carry no message.
fn verdict(reports: &[FileReport], strict: bool) -> Result<(), Error> {
    let t = render::totals(reports);
    if t.invalid > 0 {
        Err(Error::Input(None))
    } else if strict && t.warnings > 0 {
        Err(Error::Checked(None))
    } else {
        Ok(())
    }
}

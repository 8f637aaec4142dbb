//! `deploysim check FILE...`: loads each file, checks each service, prints the report and
//! returns the exit code (0 clean, 1 warnings under `--strict`, 2 a file does not load).

use std::path::{Path, PathBuf};

use crate::check::render::{self, FileReport, Outcome};

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
    pub format: crate::commands::args::TextOrJson,
}

/// Runs `check`, prints the report to stdout and returns the exit code.
pub fn run(args: &CheckArgs) -> anyhow::Result<u8> {
    let reports: Vec<FileReport> = args.files.iter().map(|f| check_file(f)).collect();
    let code = exit_code(&reports, args.strict);
    match args.format {
        crate::commands::args::TextOrJson::Text => print!("{}", render::text(&reports)),
        crate::commands::args::TextOrJson::Json => print!("{}", render::json(&reports, code)),
    }
    Ok(code)
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

/// 2 if any file is invalid; else 1 if `strict` and anything warned; else 0. Notes never fail.
fn exit_code(reports: &[FileReport], strict: bool) -> u8 {
    let t = render::totals(reports);
    if t.invalid > 0 {
        2
    } else if strict && t.warnings > 0 {
        1
    } else {
        0
    }
}

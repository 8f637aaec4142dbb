//! `deploysim check FILE...`: loads each file, checks each service, prints the report and
//! returns the exit code (0 clean, 1 warnings under `--strict`, 2 a file does not load).

use std::path::{Path, PathBuf};

use crate::check::render::{self, FileReport, Outcome};

pub use crate::cli::TextOrJson as Format;

/// Options of `deploysim check`.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Stack files or scenarios.
    pub files: Vec<PathBuf>,
    /// Warnings make the exit code 1.
    pub strict: bool,
    /// Output format.
    pub format: Format,
}

/// Runs `check`, prints the report to stdout and returns the exit code.
pub fn run(options: &CheckOptions) -> anyhow::Result<u8> {
    let reports: Vec<FileReport> = options.files.iter().map(|f| check_file(f)).collect();
    let code = exit_code(&reports, options.strict);
    match options.format {
        Format::Text => print!("{}", render::text(&reports)),
        Format::Json => print!("{}", render::json(&reports, code)),
    }
    Ok(code)
}

/// Loads and checks one file. A plain stack file (no `x-simulation`) is checked against the
/// simulator's defaults: one node, Engine 27, the default image behaviour.
pub fn check_file(path: &Path) -> FileReport {
    let file = path.display().to_string();
    let outcome = match crate::scenario::load_with_diagnostics(path) {
        Ok((scenario, warnings)) => Outcome::Checked { warnings, services: crate::check::check(&scenario) },
        Err(e) => Outcome::Invalid(e.diagnostics),
    };
    FileReport { file, outcome }
}

/// 2 if any file is invalid; else 1 if `strict` and anything warned; else 0. Notes never fail.
pub fn exit_code(reports: &[FileReport], strict: bool) -> u8 {
    let t = render::totals(reports);
    if t.invalid > 0 {
        2
    } else if strict && t.warnings > 0 {
        1
    } else {
        0
    }
}

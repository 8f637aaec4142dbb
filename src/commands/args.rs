//! Argument types and parsers more than one command shares.

use crate::time::{SimDuration, parse_go_duration};

/// `--format` of the commands that print either a readable report or one JSON document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    /// Readable text.
    #[default]
    Text,
    /// JSON with a fixed field order.
    Json,
}

/// Parses a Go duration argument (`30s`, `500ms`), for clap.
pub fn parse_duration_arg(text: &str) -> Result<SimDuration, String> {
    parse_go_duration(text).map_err(|e| format!("{e} (expected a Go duration such as 500ms or 30s)"))
}

/// `--format` of `compare` and `calibrate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TableOrJson {
    /// A readable table.
    #[default]
    Table,
    /// JSON (fixed field order).
    Json,
}

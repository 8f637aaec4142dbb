//! Argument types and parsers more than one command shares.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use crate::time::{SimDuration, parse_go_duration};

/// `--format` of every command that prints either a readable report or one JSON document
/// (`check`, `test`, `compare`, `calibrate`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable text.
    #[default]
    Text,
    /// JSON with a fixed field order.
    Json,
}

/// Parses a Go duration argument (`30s`, `500ms`), for clap.
pub(crate) fn parse_duration_arg(text: &str) -> Result<SimDuration, String> {
    parse_go_duration(text).map_err(|e| format!("{e} (expected a Go duration such as 500ms or 30s)"))
}

/// `--format table|json` of `compare` and `calibrate`, whose readable report is a table: a
/// [`Format`] under the names (and help) those commands have always had.
pub(crate) fn table_or_json() -> impl TypedValueParser<Value = Format> {
    let values = [
        PossibleValue::new("table").help("A readable table"),
        PossibleValue::new("json").help("JSON (fixed field order)"),
    ];
    PossibleValuesParser::new(values).map(|name| if name == "json" { Format::Json } else { Format::Text })
}

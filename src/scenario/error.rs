//! The loader's error type: every problem found in the input files, each with its file, line,
//! column, dotted field path, message and an optional hint, rendered the way compilers do.

use std::fmt;

/// One problem (or warning) found in a scenario or stack file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file it is in, as the user named it.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The field in Docker's dotted style (`services.web.deploy`), empty for the whole file.
    pub path: String,
    /// What is wrong, in Docker's wording where Docker has one.
    pub message: String,
    /// How to fix it (`did you mean ...?`).
    pub hint: Option<String>,
    /// The offending source line, when the line is known.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// The headline: `services.web.deploy Additional property x is not allowed`.
    pub fn headline(&self) -> String {
        if self.path.is_empty() { self.message.clone() } else { format!("{} {}", self.path, self.message) }
    }

    /// `file:line:column`, with the parts that are known.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file),
            (Some(l), None) => format!("{}:{l}", self.file),
            _ => self.file.clone(),
        }
    }

    /// The diagnostic as a paragraph, headed by `kind` (`error` or `warning`).
    pub fn render(&self, kind: &str) -> String {
        let mut out = format!("{kind}: {}\n  --> {}", self.headline(), self.location());
        if let (Some(line), Some(src)) = (self.line, &self.source_line) {
            let num = line.to_string();
            let pad = " ".repeat(num.len());
            out.push_str(&format!("\n {pad} |\n {num} | {src}"));
            if let Some(col) = self.column {
                let caret_pad: String =
                    src.chars().take(col.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                out.push_str(&format!("\n {pad} | {caret_pad}^"));
            }
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n  = hint: {hint}"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("error"))
    }
}

/// Why a scenario could not be loaded: all the problems found, not only the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file the user asked to load.
    pub file: String,
    /// Every problem found, in file order where possible.
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    /// An error that is not tied to a line (e.g. the file cannot be read).
    pub fn whole_file(file: &str, message: String) -> ScenarioError {
        ScenarioError {
            file: file.to_string(),
            diagnostics: vec![Diagnostic {
                file: file.to_string(),
                line: None,
                column: None,
                path: String::new(),
                message,
                hint: None,
                source_line: None,
            }],
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        let noun = if n == 1 { "problem" } else { "problems" };
        writeln!(f, "invalid scenario {}: {n} {noun}", self.file)?;
        for d in &self.diagnostics {
            write!(f, "\n{}\n", d.render("error"))?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

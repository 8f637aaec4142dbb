//! The one error every command returns, and the exit code each kind maps to — the same for
//! every command (the README's "Exit codes"):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | ok |
//! | 1 | what was checked failed: an expectation, a comparison outside tolerance, a merge refused, `check --strict` with warnings |
//! | 2 | bad input: an invalid scenario, bad arguments (clap's own errors exit 2 too), a file named on the command line missing or malformed |
//! | 3 | an I/O or internal error: a report could not be written, a bug |

use std::fmt;

use crate::report::files::WriteError;
use crate::scenario::ScenarioError;

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What was checked failed (exit 1). `None` when the report printed on stdout already
    /// says what; else the reason, printed as `error: …`.
    #[error("{}", .0.as_deref().unwrap_or_default())]
    Checked(Option<String>),
    /// An invalid scenario (exit 2): every problem, with file, line, field path and hint.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Other bad input (exit 2). `None` when the report printed on stdout already lists the
    /// problems (`check`, `test`).
    #[error("{}", .0.as_deref().unwrap_or_default())]
    Input(Option<String>),
    /// Reading or writing failed (exit 3).
    #[error("{}", Io(.context, .source))]
    Io {
        /// What was being done (`could not write the report to 'reports/x'`); empty when the
        /// failure needs no more words (writing to stdout).
        context: String,
        /// The failure.
        source: std::io::Error,
    },
    /// A bug: something this binary produced did not read back (exit 3).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// Bad input, with its message.
    pub(crate) fn input(message: impl Into<String>) -> Error {
        Error::Input(Some(message.into()))
    }

    /// An I/O failure while doing `context`.
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        move |source| Error::Io { context: context.into(), source }
    }

    /// A report folder that could not be written while doing `context`: bad input (exit 2)
    /// when the folder holds someone else's files or is not a folder — deploysim replaces its
    /// report folders whole and never touches those —, else an I/O failure (exit 3).
    pub(crate) fn report(context: impl Into<String>) -> impl FnOnce(WriteError) -> Error {
        move |e| match e {
            WriteError::Io(source) => Error::Io { context: context.into(), source },
            refused => Error::input(format!(
                "{}: {refused}\n  hint: give --out a new or empty folder (or an earlier report of this command): \
                 deploysim replaces its report folder whole, so it never writes into a folder holding other files",
                context.into()
            )),
        }
    }

    /// The process exit code: 1 checked and failed, 2 bad input, 3 I/O or internal error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Checked(_) => 1,
            Error::Scenario(_) | Error::Input(_) => 2,
            Error::Io { .. } | Error::Internal(_) => 3,
        }
    }
}

/// `context: source`, or the source alone without a context.
struct Io<'a>(&'a String, &'a std::io::Error);

impl fmt::Display for Io<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { write!(f, "{}", self.1) } else { write!(f, "{}: {}", self.0, self.1) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_exit_code_and_message() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        assert_eq!(Error::Checked(None).exit_code(), 1);
        assert_eq!(Error::Checked(None).to_string(), "", "the printed report says what failed");
        assert_eq!(Error::Checked(Some("missing shard 2/3".into())).to_string(), "missing shard 2/3");
        assert_eq!(Error::input("bad").exit_code(), 2);
        assert_eq!(Error::Input(None).to_string(), "");
        let wrote = Error::io("could not write 'x'")(io());
        assert_eq!((wrote.exit_code(), wrote.to_string()), (3, "could not write 'x': gone".to_string()));
        assert_eq!(Error::io("")(io()).to_string(), "gone");
        assert_eq!(Error::Internal("a bug".into()).exit_code(), 3);
        let invalid = ScenarioError::whole_file("s.yml", "cannot read scenario file".into());
        assert_eq!(Error::from(invalid).exit_code(), 2);
    }
}

//! Integer simulated time: `SimTime` and `SimDuration` in nanoseconds, with Go-style duration
//! parsing and printing (Docker's update/health fields are Go `time.Duration`s).

use std::fmt;

/// Nanoseconds per unit, as Go's `time` package defines them.
const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;
const NANOS_PER_MIN: u64 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MIN;

/// An instant of simulated time: nanoseconds since the scenario started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time in nanoseconds (never negative).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of the simulation.
    pub const ZERO: SimTime = SimTime(0);
    /// The far future: used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// `self + d`, saturating at [`SimTime::MAX`].
    pub fn plus(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The time elapsed since `earlier` (zero when `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// Seconds with millisecond precision, printed from the integer (never through `f64`):
    /// `12.345`. Sub-millisecond parts are truncated.
    pub fn secs_ms(self) -> String {
        format_secs_ms(self.0)
    }
}

impl SimDuration {
    /// Zero length.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `n` nanoseconds.
    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }
    /// A duration of `n` milliseconds.
    pub const fn from_millis(n: u64) -> Self {
        SimDuration(n * NANOS_PER_MILLI)
    }
    /// A duration of `n` seconds.
    pub const fn from_secs(n: u64) -> Self {
        SimDuration(n * NANOS_PER_SEC)
    }
    /// Length in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Whole seconds, truncating as Docker's `int(StopGracePeriod.Seconds())` does.
    pub const fn whole_secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }
    /// `self + other`, saturating.
    pub fn plus(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
    /// `self * n`, saturating.
    pub fn times(self, n: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(n))
    }
    /// Seconds with millisecond precision (see [`SimTime::secs_ms`]).
    pub fn secs_ms(self) -> String {
        format_secs_ms(self.0)
    }
}

fn format_secs_ms(nanos: u64) -> String {
    let millis = nanos / NANOS_PER_MILLI;
    format!("{}.{:03}", millis / 1000, millis % 1000)
}

/// Why a duration string was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DurationError {
    /// The string was empty.
    Empty,
    /// A number without a unit, e.g. `10` (Go and Docker require `10s`).
    MissingUnit(String),
    /// A unit Go does not know, e.g. `10sec`.
    UnknownUnit(String),
    /// Not a number where one was expected.
    Invalid(String),
    /// Negative durations are rejected by Docker for every field we read.
    Negative(String),
    /// Larger than Go's `time.Duration` can hold (about 292 years).
    Overflow(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Empty => write!(f, "empty duration"),
            DurationError::MissingUnit(s) => {
                write!(f, "duration \"{s}\" has no unit; write it as Go does, e.g. \"{s}s\" or \"{s}ms\"")
            }
            DurationError::UnknownUnit(s) => {
                write!(f, "unknown unit in duration \"{s}\"; valid units are ns, us, µs, ms, s, m, h")
            }
            DurationError::Invalid(s) => {
                write!(f, "invalid duration \"{s}\"; expected e.g. \"500ms\", \"10s\", \"1m30s\"")
            }
            DurationError::Negative(s) => write!(f, "duration \"{s}\" cannot be negative"),
            DurationError::Overflow(s) => write!(f, "duration \"{s}\" is too large"),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration exactly as Go's `time.ParseDuration` does (`"1m30s"`, `"1.5h"`, `"500ms"`,
/// `"0"`), into integer nanoseconds with no floating point. Negative values are rejected.
///
/// ```
/// use deploysim::time::{parse_go_duration, SimDuration};
/// assert_eq!(parse_go_duration("1m30s"), Ok(SimDuration::from_secs(90)));
/// assert_eq!(parse_go_duration("1.5s").unwrap().to_string(), "1.5s");
/// assert!(parse_go_duration("10").is_err()); // Docker needs a unit: "10s"
/// ```
pub fn parse_go_duration(text: &str) -> Result<SimDuration, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    if let Some(rest) = s.strip_prefix('-') {
        return match parse_go_duration(rest) {
            Ok(d) if d.0 == 0 => Ok(d),
            _ => Err(DurationError::Negative(text.to_string())),
        };
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    if s == "0" {
        return Ok(SimDuration::ZERO);
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u128 = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let int_part = &s[start..i];
        let mut frac_part = "";
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let fstart = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            frac_part = &s[fstart..i];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(DurationError::Invalid(text.to_string()));
        }
        let ustart = i;
        while i < bytes.len() && !bytes[i].is_ascii_digit() && bytes[i] != b'.' {
            i += 1;
        }
        let unit = &s[ustart..i];
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(text.to_string()));
        }
        let scale: u64 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => NANOS_PER_MICRO,
            "ms" => NANOS_PER_MILLI,
            "s" => NANOS_PER_SEC,
            "m" => NANOS_PER_MIN,
            "h" => NANOS_PER_HOUR,
            _ => return Err(DurationError::UnknownUnit(text.to_string())),
        };
        let int_value: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse::<u128>().map_err(|_| DurationError::Overflow(text.to_string()))?
        };
        let mut value =
            int_value.checked_mul(scale as u128).ok_or_else(|| DurationError::Overflow(text.to_string()))?;
        // Fractional digits: Go truncates below one nanosecond; so do we.
        let mut frac_scale = scale as u128;
        for digit in frac_part.bytes() {
            frac_scale /= 10;
            if frac_scale == 0 {
                break;
            }
            value += (digit - b'0') as u128 * frac_scale;
        }
        total = total.checked_add(value).ok_or_else(|| DurationError::Overflow(text.to_string()))?;
    }
    if total > i64::MAX as u128 {
        return Err(DurationError::Overflow(text.to_string()));
    }
    Ok(SimDuration(total as u64))
}

impl fmt::Display for SimDuration {
    /// Prints as Go's `Duration.String()` does for the common cases: `1m30s`, `500ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n == 0 {
            return write!(f, "0s");
        }
        if n < NANOS_PER_SEC {
            return if n.is_multiple_of(NANOS_PER_MILLI) {
                write!(f, "{}ms", n / NANOS_PER_MILLI)
            } else if n.is_multiple_of(NANOS_PER_MICRO) {
                write!(f, "{}µs", n / NANOS_PER_MICRO)
            } else {
                write!(f, "{n}ns")
            };
        }
        let hours = n / NANOS_PER_HOUR;
        let mins = (n % NANOS_PER_HOUR) / NANOS_PER_MIN;
        let nanos = n % NANOS_PER_MIN;
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if hours > 0 || mins > 0 {
            write!(f, "{mins}m")?;
        }
        let secs = nanos / NANOS_PER_SEC;
        let frac = nanos % NANOS_PER_SEC;
        if frac == 0 {
            write!(f, "{secs}s")
        } else {
            let digits = format!("{frac:09}");
            write!(f, "{secs}.{}s", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> u64 {
        parse_go_duration(s).unwrap().0
    }

    #[test]
    fn parses_go_syntax_exactly() {
        assert_eq!(p("500ms"), 500_000_000);
        assert_eq!(p("10s"), 10_000_000_000);
        assert_eq!(p("1m30s"), 90_000_000_000);
        assert_eq!(p("1.5h"), 5_400_000_000_000);
        assert_eq!(p("0"), 0);
        assert_eq!(p("0s"), 0);
        assert_eq!(p("1us"), 1_000);
        assert_eq!(p("1µs"), 1_000);
        assert_eq!(p(".5s"), 500_000_000);
        assert_eq!(p("2h45m"), (2 * 3600 + 45 * 60) * NANOS_PER_SEC);
        assert_eq!(p("1.000000001s"), 1_000_000_001);
    }

    #[test]
    fn rejects_what_go_rejects() {
        assert_eq!(parse_go_duration("10"), Err(DurationError::MissingUnit("10".into())));
        assert!(matches!(parse_go_duration("10sec"), Err(DurationError::UnknownUnit(_))));
        assert!(matches!(parse_go_duration(""), Err(DurationError::Empty)));
        assert!(matches!(parse_go_duration("s"), Err(DurationError::Invalid(_))));
        assert!(matches!(parse_go_duration("-5s"), Err(DurationError::Negative(_))));
        assert!(parse_go_duration("1.s.s").is_err());
        assert!(matches!(parse_go_duration("3000000h"), Err(DurationError::Overflow(_))));
    }

    #[test]
    fn display_round_trips() {
        for s in ["0s", "500ms", "10s", "1m30s", "1h0m0s", "1.5s", "250µs", "7ns", "2h3m4s"] {
            let d = parse_go_duration(s).unwrap();
            assert_eq!(d.to_string(), s);
            assert_eq!(parse_go_duration(&d.to_string()).unwrap(), d);
        }
    }

    #[test]
    fn seconds_are_printed_from_integers() {
        assert_eq!(SimTime(0).secs_ms(), "0.000");
        assert_eq!(SimTime(30_699_999_999).secs_ms(), "30.699");
        assert_eq!(SimDuration::from_millis(1234567).secs_ms(), "1234.567");
    }

    #[test]
    fn grace_period_truncates_to_whole_seconds() {
        assert_eq!(parse_go_duration("1.5s").unwrap().whole_secs(), 1);
        assert_eq!(parse_go_duration("500ms").unwrap().whole_secs(), 0);
    }
}

//! The timing tolerance: a simulated time matches a real one within max(absolute, relative × t).

use serde::Serialize;

/// How far a simulated time may be from the real one. Real runs of the same scenario usually
/// differ by 0.1–0.5 s (tests/data/fidelity/observations.md), so the defaults (0.5 s, 10 %) test
/// the model, not the noise. Each real run is judged alone with this rule; where runs differ
/// more because Swarm raced (which task failed first, which goroutine committed first), the
/// simulation must reproduce each run with some seed, not be excused by a wider tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Tolerance {
    /// Seconds always allowed.
    pub abs_s: f64,
    /// Share of the real time (seconds after the action) allowed, 0.1 = 10 %.
    pub rel: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { abs_s: 0.5, rel: 0.1 }
    }
}

impl Tolerance {
    /// The allowed difference around a real time `t` (seconds after the action).
    pub fn allowed(&self, t: f64) -> f64 {
        (self.rel * t.abs()).max(self.abs_s)
    }

    /// Whether `sim` is within tolerance of `real`.
    pub fn within(&self, real: f64, sim: f64) -> bool {
        // A thousandth of a millisecond of slack: both sides are printed and parsed in
        // milliseconds, so a difference of exactly the tolerance must not fail on rounding.
        (sim - real).abs() <= self.allowed(real) + 1e-6
    }
}

/// Parses a relative tolerance: `10%` or a fraction `0.1`.
pub fn parse_rel(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("bad relative tolerance '{text}': expected a percentage like 10% or a fraction like 0.1"))?;
    if !(0.0..=10.0).contains(&value) {
        return Err(format!("relative tolerance '{text}' out of range (0% to 1000%)"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_of_absolute_and_relative() {
        // Checks the rule max(0.5 s, 10 %) at both ends and exactly on the boundary.
        let t = Tolerance::default();
        assert_eq!(t.allowed(1.0), 0.5);
        assert!((t.allowed(30.0) - 3.0).abs() < 1e-9);
        assert!(t.within(30.0, 33.0));
        assert!(!t.within(30.0, 33.01));
        assert!(t.within(1.0, 0.5));
        assert!(!t.within(1.0, 1.51));
    }

    #[test]
    fn relative_tolerance_syntax() {
        // Checks both accepted spellings and a rejected one.
        assert_eq!(parse_rel("10%"), Ok(0.1));
        assert_eq!(parse_rel("0.25"), Ok(0.25));
        assert!(parse_rel("ten").is_err());
        assert!(parse_rel("-5%").is_err());
    }
}

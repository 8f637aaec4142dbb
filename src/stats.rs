//! The Wilson score interval, the one confidence interval for a success rate used by `test`'s
//! statistical expectations and by the sweep's pause and rollback probabilities: it stays
//! inside [0, 1] and behaves at 0 % and 100 % (where the normal approximation collapses to a
//! point), so 0 pauses in 100 runs still reads "up to 3.7 %".

/// The two-sided z-value of a 95 % interval.
pub(crate) const Z95: f64 = 1.959_963_984_540_054;

/// The two-sided z-value of a confidence level; only the levels people write are built in,
/// so no inverse normal function is needed.
pub(crate) fn z_for(level: f64) -> Option<f64> {
    const LEVELS: &[(f64, f64)] = &[(0.90, 1.644_853_626_951_472), (0.95, Z95), (0.99, 2.575_829_303_548_901)];
    LEVELS.iter().find(|(l, _)| (l - level).abs() < 1e-9).map(|(_, z)| *z)
}

/// The Wilson interval `(low, high)` for `successes` out of `runs` at z-value `z`. With no
/// runs nothing is known: the whole of `[0, 1]`.
pub(crate) fn wilson(successes: u64, runs: u64, z: f64) -> (f64, f64) {
    if runs == 0 {
        return (0.0, 1.0);
    }
    let n = runs as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-4 && (a.1 - b.1).abs() < 1e-4
    }

    #[test]
    fn wilson_interval_on_known_values() {
        let z = z_for(0.95).expect("95% is built in");
        assert!(close(wilson(50, 100, z), (0.4038, 0.5962)));
        assert!(close(wilson(0, 10, z), (0.0, 0.2775)));
        assert!(close(wilson(0, 100, Z95), (0.0, 0.037)));
        assert!(close(wilson(5, 10, Z95), (0.2366, 0.7634)));
        assert!(close(wilson(10, 10, z), (0.7225, 1.0)));
        assert!(close(wilson(198, 200, z), (0.9642, 0.9973)));
        assert_eq!(z_for(0.5), None);
    }

    #[test]
    fn no_runs_know_nothing() {
        assert_eq!(wilson(0, 0, Z95), (0.0, 1.0));
        assert_eq!(wilson(0, 0, z_for(0.99).unwrap()), (0.0, 1.0));
    }
}

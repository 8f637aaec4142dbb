//! The Wilson score interval: a confidence interval for a success rate that stays inside
//! [0, 1] and behaves at 0 % and 100 % (where the normal approximation collapses to a point).

/// The two-sided z-value of a confidence level; only the levels people write are built in,
/// so no inverse normal function is needed.
pub fn z_for(level: f64) -> Option<f64> {
    const LEVELS: &[(f64, f64)] =
        &[(0.90, 1.644_853_626_951_472), (0.95, 1.959_963_984_540_054), (0.99, 2.575_829_303_548_901)];
    LEVELS.iter().find(|(l, _)| (l - level).abs() < 1e-9).map(|(_, z)| *z)
}

/// The Wilson interval `(low, high)` for `successes` out of `runs` at z-value `z`.
pub fn wilson(successes: u64, runs: u64, z: f64) -> (f64, f64) {
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

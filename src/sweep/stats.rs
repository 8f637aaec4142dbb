//! Summary statistics of a policy's runs: nearest-rank percentiles, means with a normal
//! approximation confidence interval, and proportions with a Wilson score interval (95 %).

use crate::stats::{Z95, wilson};

/// The `pct`-th percentile by the nearest-rank method: the smallest observed value with at
/// least `pct` % of the values at or below it (rank `ceil(pct·n/100)`, at least 1). Always an
/// observed value, computed with integers, so it is exact and the same on every machine. NaN
/// when there are no values.
pub(crate) fn percentile(sorted: &[f64], pct: u32) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let n = sorted.len();
    let rank = (pct as usize * n).div_ceil(100).clamp(1, n);
    sorted[rank - 1]
}

/// An estimate with its 95 % confidence interval (NaN bounds when there is none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Estimate {
    /// Point estimate.
    pub value: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// The mean with `mean ± 1.96·s/√n` (`s` the sample standard deviation, n−1 in the
/// denominator). Needs two values for an interval; an infinite value makes the mean infinite
/// and the interval undefined.
pub(crate) fn mean(values: &[f64]) -> Estimate {
    let n = values.len() as f64;
    if values.is_empty() {
        return Estimate { value: f64::NAN, low: f64::NAN, high: f64::NAN };
    }
    let m = values.iter().sum::<f64>() / n;
    if values.len() < 2 || !m.is_finite() {
        return Estimate { value: m, low: f64::NAN, high: f64::NAN };
    }
    let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    let half = Z95 * (var / n).sqrt();
    Estimate { value: m, low: m - half, high: m + half }
}

/// The proportion `k/n` with its 95 % Wilson score interval ([`crate::stats::wilson`]). With
/// no runs the proportion is NaN and the interval all of [0, 1].
pub(crate) fn proportion(k: usize, n: usize) -> Estimate {
    let (low, high) = wilson(k as u64, n as u64, Z95);
    Estimate { value: k as f64 / n as f64, low, high }
}

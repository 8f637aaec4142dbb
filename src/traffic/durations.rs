//! A request duration distribution as a few equally likely values, so that "what share of the
//! requests that started at `a` are still running at `c`?" is a count, not an integral.
//!
//! A fixed duration is itself (exact). A random one is represented by its 64 quantiles at
//! probabilities (i + ½) / 64: uniform ones computed on integers, normal and log-normal ones
//! from a table of standard normal quantiles (no random draw, no inverse-CDF code whose last
//! bits could differ between platforms). The share of requests that a cut at `c` kills is then
//! exact to 1/64 (≈ 1.6 %).

use crate::rng::Dist;
use crate::time::SimDuration;

/// Number of values a random distribution is represented by.
pub(super) const POINTS: usize = 64;

/// Standard normal quantiles at (i + ½) / 64 for i = 32 … 63 (the lower half is their
/// negation), from Python's `statistics.NormalDist().inv_cdf`.
const Z_UPPER: [f64; POINTS / 2] = [
    0.019584285230126924,
    0.05878293606894306,
    0.09807215248866105,
    0.13751340214433588,
    0.1771698209917398,
    0.21710694721012969,
    0.25739352610093824,
    0.29810241293048695,
    0.3393116065388173,
    0.38110545476355645,
    0.4235760842011995,
    0.4668251228525896,
    0.5109658067382474,
    0.5561255936186913,
    0.6024494531644237,
    0.6501040706479952,
    0.6992833023832199,
    0.7502153754679404,
    0.8031725655979177,
    0.858484474141832,
    0.9165566675331125,
    0.977897543940542,
    1.043158263318454,
    1.1131942771609284,
    1.1891643501993368,
    1.2726986411905357,
    1.3662038163720984,
    1.4734675779471014,
    1.6010086648860757,
    1.7616704103630663,
    1.9874278859298957,
    2.417559016236505,
];

/// The equally likely values standing for `dist`, ascending.
pub(super) fn points(dist: &Dist) -> Vec<SimDuration> {
    match *dist {
        Dist::Fixed(d) => vec![d],
        Dist::Uniform(lo, hi) => (0..POINTS as u128)
            .map(|i| {
                let span = (hi.0 - lo.0) as u128;
                SimDuration(lo.0 + (span * (2 * i + 1) / (2 * POINTS as u128)) as u64)
            })
            .collect(),
        Dist::Normal { mean, stddev } => z_values().map(|z| nanos(mean.0 as f64 + stddev.0 as f64 * z)).collect(),
        Dist::LogNormal { median, sigma } => z_values().map(|z| nanos(median.0 as f64 * (sigma * z).exp())).collect(),
    }
}

/// The 64 standard normal quantiles, ascending.
fn z_values() -> impl Iterator<Item = f64> {
    Z_UPPER.iter().rev().map(|z| -z).chain(Z_UPPER.iter().copied())
}

/// Rounds to whole nanoseconds, truncating the normal at zero as `Dist::sample` does.
fn nanos(x: f64) -> SimDuration {
    if x.is_nan() || x <= 0.0 { SimDuration::ZERO } else { SimDuration(x.round().min(u64::MAX as f64) as u64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_is_exact_and_uniform_is_evenly_spread() {
        assert_eq!(points(&Dist::Fixed(SimDuration(7))), [SimDuration(7)]);
        // [0, 128 ns]: quantile midpoints 1, 3, 5, … 127.
        let u = points(&Dist::Uniform(SimDuration(0), SimDuration(128)));
        assert_eq!(u.len(), 64);
        assert_eq!((u[0], u[1], u[63]), (SimDuration(1), SimDuration(3), SimDuration(127)));
    }

    #[test]
    fn normal_is_symmetric_and_truncated_at_zero() {
        let n = points(&Dist::Normal { mean: SimDuration(1_000), stddev: SimDuration(100) });
        assert!(n.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(n[31].0 + n[32].0, 2_000);
        assert_eq!(n[63], SimDuration(1_242)); // 1000 + 100 × 2.4176
        let wide = points(&Dist::Normal { mean: SimDuration(10), stddev: SimDuration(100) });
        assert_eq!(wide[0], SimDuration::ZERO);
        let log = points(&Dist::LogNormal { median: SimDuration(1_000), sigma: 0.0 });
        assert!(log.iter().all(|d| d.0 == 1_000));
    }
}

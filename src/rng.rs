//! Seeded randomness: one ChaCha8 stream per subsystem, derived from the scenario seed by label,
//! so adding a random consumer never shifts the draws of the others; plus the duration
//! distributions scenarios use (fixed, uniform, truncated normal, log-normal).

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::time::SimDuration;

/// A deterministic random stream for one subsystem.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: ChaCha8Rng,
}

impl SimRng {
    /// The stream named `label` for the run seeded with `seed`. The label is mixed into the
    /// seed with FNV-1a (stable across platforms and Rust versions, unlike `DefaultHasher`).
    pub fn stream(seed: u64, label: &str) -> SimRng {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in label.bytes() {
            hash ^= byte as u64;
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&hash.to_le_bytes());
        key[16..24].copy_from_slice(&(seed ^ hash.rotate_left(17)).to_le_bytes());
        SimRng { inner: ChaCha8Rng::from_seed(key) }
    }

    /// A uniform integer in `[low, high]` (inclusive).
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        self.inner.gen_range(low..=high)
    }

    /// True with probability `p` (`p` is clamped to `[0, 1]`; 0 never draws).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        self.unit() < p
    }

    /// Shuffles `items` uniformly (Fisher–Yates on our own draws, so that the order a seed gives
    /// does not depend on `rand`'s `SliceRandom`).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.between(0, i as u64) as usize;
            items.swap(i, j);
        }
    }

    /// A uniform float in `[0, 1)` built from 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.inner.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller; our own code so that a `rand_distr` upgrade cannot
    /// change the values a seed produces).
    pub fn standard_normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// How long something takes: a fixed value or a random draw.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always this long.
    Fixed(SimDuration),
    /// Uniform between the two bounds (inclusive, in nanoseconds).
    Uniform(SimDuration, SimDuration),
    /// Normal with this mean and standard deviation, truncated at zero.
    Normal {
        /// Mean.
        mean: SimDuration,
        /// Standard deviation.
        stddev: SimDuration,
    },
    /// Log-normal with this median and shape `sigma` (the standard deviation of the log).
    LogNormal {
        /// Median (`exp(mu)`).
        median: SimDuration,
        /// Shape parameter.
        sigma: f64,
    },
}

impl Dist {
    /// Zero, always.
    pub const ZERO: Dist = Dist::Fixed(SimDuration::ZERO);

    /// Draws a duration. A fixed distribution consumes no randomness, so scenarios without
    /// random settings never touch the stream.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        match *self {
            Dist::Fixed(d) => d,
            Dist::Uniform(lo, hi) => SimDuration(rng.between(lo.0, hi.0)),
            Dist::Normal { mean, stddev } => {
                let x = mean.0 as f64 + stddev.0 as f64 * rng.standard_normal();
                SimDuration(clamp_nanos(x))
            }
            Dist::LogNormal { median, sigma } => {
                let x = median.0 as f64 * (sigma * rng.standard_normal()).exp();
                SimDuration(clamp_nanos(x))
            }
        }
    }

    /// True when drawing from it uses randomness.
    pub fn is_random(&self) -> bool {
        !matches!(self, Dist::Fixed(_))
    }

    /// The typical value (fixed value, midpoint, mean or median), for reports and lints.
    pub fn typical(&self) -> SimDuration {
        match *self {
            Dist::Fixed(d) => d,
            Dist::Uniform(lo, hi) => SimDuration(lo.0 / 2 + hi.0 / 2),
            Dist::Normal { mean, .. } => mean,
            Dist::LogNormal { median, .. } => median,
        }
    }
}

fn clamp_nanos(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= i64::MAX as f64 {
        i64::MAX as u64
    } else {
        x.round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a1: Vec<u64> = (0..5).map(|_| SimRng::stream(7, "pull").between(0, 1000)).collect();
        let mut s = SimRng::stream(7, "pull");
        let a2: Vec<u64> = (0..5).map(|_| s.between(0, 1000)).collect();
        // A fresh stream each time gives the first draw only; the same stream continues.
        assert!(a1.iter().all(|&x| x == a1[0]));
        assert_eq!(a2[0], a1[0]);
        let mut other = SimRng::stream(7, "health");
        let b: Vec<u64> = (0..5).map(|_| other.between(0, 1000)).collect();
        assert_ne!(a2, b, "different labels must give different streams");
        let mut seed8 = SimRng::stream(8, "pull");
        let c: Vec<u64> = (0..5).map(|_| seed8.between(0, 1000)).collect();
        assert_ne!(a2, c, "different seeds must give different streams");
    }

    #[test]
    fn distributions_stay_in_range() {
        let mut rng = SimRng::stream(1, "t");
        let u = Dist::Uniform(SimDuration(10), SimDuration(20));
        let n = Dist::Normal { mean: SimDuration(100), stddev: SimDuration(1000) };
        let l = Dist::LogNormal { median: SimDuration::from_secs(1), sigma: 0.5 };
        let mut log_sum = 0.0;
        for _ in 0..2000 {
            let x = u.sample(&mut rng).0;
            assert!((10..=20).contains(&x));
            let _ = n.sample(&mut rng); // truncated at zero: u64 cannot be negative
            log_sum += (l.sample(&mut rng).0 as f64 / 1e9).ln();
        }
        // The log of a log-normal with median 1 s has mean ~0.
        assert!((log_sum / 2000.0).abs() < 0.05, "mean log = {}", log_sum / 2000.0);
        assert_eq!(Dist::Fixed(SimDuration(5)).sample(&mut rng), SimDuration(5));
    }
}

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

    /// Puts `items`, given in the order they were inserted into a fresh Go map, in the order a
    /// `range` over that map visits them (Go 1.19 runtime `map.go`, `mapiterinit`/`mapiternext`,
    /// the runtime of Docker 20.10's binaries). A map of up to 8 entries is one bucket whose
    /// slots fill in insertion order; a range starts at a random slot offset (0–7) and visits the
    /// slots from there, wrapping around and skipping empty ones, so it sees a rotation of the
    /// insertion order — the insertion order itself whenever the offset falls on an empty slot
    /// (for 2 entries, 7 times in 8). A larger map spreads its entries over buckets by a hash
    /// seeded per map (drawn here): its range is [`crate::gomap::GoMap`]'s, keyed by position.
    pub fn go_map_order<T: Copy>(&mut self, items: &mut [T]) {
        const BUCKET_SLOTS: u64 = 8;
        if items.len() as u64 > BUCKET_SLOTS {
            let seed = self.between(0, u64::MAX);
            let map = crate::gomap::GoMap::of_keys(0..items.len(), |i| crate::gomap::seeded_hash(seed, i as u64));
            let order = map.range(self.between(0, u64::from(u32::MAX)));
            let inserted = items.to_vec();
            for (item, i) in items.iter_mut().zip(order) {
                *item = inserted[i];
            }
            return;
        }
        let offset = self.between(0, BUCKET_SLOTS - 1) as usize;
        if offset < items.len() {
            items.rotate_left(offset);
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
    fn a_small_go_map_ranges_over_a_rotation_of_its_insertion_order() {
        // Go's `mapiternext` over one bucket: slots visited from a random offset of 8, wrapping,
        // empty slots skipped. Two entries: in order unless the offset is 1 (1 in 8).
        let mut rng = SimRng::stream(7, "races");
        let mut in_order = 0;
        let draws = 8_000;
        for _ in 0..draws {
            let mut pair = [0, 1];
            rng.go_map_order(&mut pair);
            in_order += usize::from(pair == [0, 1]);
        }
        let share = in_order as f64 / draws as f64;
        assert!((0.85..0.90).contains(&share), "in insertion order {share} of the time, not 7/8");
        // Five entries: only rotations, each start 1/8 except the first (4/8).
        let mut starts = [0usize; 5];
        for _ in 0..draws {
            let mut five = [0, 1, 2, 3, 4];
            rng.go_map_order(&mut five);
            let start = five[0];
            let rotation: Vec<usize> = (0..5).map(|i| (start + i) % 5).collect();
            assert_eq!(five.to_vec(), rotation, "not a rotation");
            starts[start] += 1;
        }
        assert!(starts[0] > 3 * starts[1] && starts[1..].iter().all(|&n| n > draws / 10), "{starts:?}");
    }

    #[test]
    fn a_larger_go_map_ranges_in_any_order() {
        // Nine entries spread over two buckets by a per-map hash: not only rotations, but each
        // entry exactly once.
        let mut rng = SimRng::stream(7, "races");
        let mut rotated = true;
        for _ in 0..200 {
            let mut nine: Vec<usize> = (0..9).collect();
            rng.go_map_order(&mut nine);
            rotated &= (0..9).all(|i| nine[i] == (nine[0] + i) % 9);
            let mut seen = nine.clone();
            seen.sort_unstable();
            assert_eq!(seen, (0..9).collect::<Vec<_>>(), "not a permutation: {nine:?}");
        }
        assert!(!rotated);
    }

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

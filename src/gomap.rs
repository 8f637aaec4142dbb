//! Go's classic hash map, as far as the order a `range` over it takes: the runtime of Docker
//! 20.10.24's binaries (Go 1.19, `src/runtime/map.go`; the same code from Go 1.12 to 1.23, before
//! the Swiss tables of 1.24). swarmkit hands its updater slots in such an order (`reconcile`
//! ranges over the map `updatableAndDeadSlots` fills), so the order a seed gives must be the
//! one Go would give for the same keys, hashes and iterator draw.
//!
//! What `map.go` does, and this type with it:
//! - **Buckets of 8 cells** (`bucketCnt`), `2^B` of them (`hmap.B`); a key goes to bucket
//!   `hash & (2^B - 1)` (`mapassign`), into the first empty cell of the bucket or of its
//!   overflow chain, a new overflow bucket when all are full (`newoverflow`). Cells never move
//!   within a bucket; `mapdelete` empties a cell in place, and a later key may fill it.
//! - **Growth** (`hashGrow`, `overLoadFactor`): a new key that would make the map hold more
//!   than 8 keys and more than 6.5 per bucket doubles the buckets (the 9th key, the 14th, the
//!   27th, ...); as many overflow buckets as buckets (`tooManyOverflowBuckets`) instead
//!   re-packs them at the same size. `evacuate` copies each old bucket's chain, cell 0 to 7,
//!   bucket after overflow bucket, into bucket `j` ("X") or `j + 2^oldB` ("Y") by the hash's
//!   next bit, each destination filled from its first cell. Go does this incrementally, one or
//!   two old buckets per later write (`growWork`), but a write into a bucket always evacuates
//!   that bucket's old one first, so the buckets end the same as when all is copied at once,
//!   which this type does. Only a `range` begun while a growth is unfinished would differ
//!   (`mapiternext` then walks the old bucket's cells): not modelled, see [`GoMap::range`].
//! - **Iteration** (`mapiterinit`, `mapiternext`): one random number `r` (`fastrand`) gives a
//!   start bucket `r & (2^B - 1)` and a cell offset `(r >> B) & 7`; the buckets are visited
//!   from the start one, wrapping around, each bucket's chain in order, and in every bucket
//!   of the chain the cells from the offset, wrapping, empty cells skipped.
//!
//! Hashes are the caller's: Go hashes a key with a seed drawn per map (`makemap_small`,
//! `makemap`: `hash0 = fastrand()`), so the caller draws one per key per map. A map of at most
//! 8 keys has one bucket: its hashes do not matter, and its range is its cells rotated — the
//! insertion order rotated, when nothing was deleted.

/// The hash of `key` in a map whose hash seed (`hash0`) is `seed`. Not Go's function (its
/// AES-based hash of the real key, a random id or a slot number, with a seed drawn at run time,
/// cannot be known here): a mix as uniform as Go's, the same for a key as long as the map lives.
pub(crate) fn seeded_hash(seed: u64, key: u64) -> u64 {
    // splitmix64's finalizer.
    let mut z = seed ^ key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Cells per bucket (`bucketCnt`).
const BUCKET_CELLS: usize = 8;

/// One bucket or overflow bucket (`bmap`): its cells (key and hash) and the next bucket of its
/// chain.
#[derive(Clone)]
struct Bucket<K> {
    cells: [Option<(K, u64)>; BUCKET_CELLS],
    overflow: Option<u32>,
}

impl<K: Copy> Bucket<K> {
    fn empty() -> Bucket<K> {
        Bucket { cells: [None; BUCKET_CELLS], overflow: None }
    }
}

/// A Go map's layout (`hmap`), keys only.
#[derive(Clone)]
pub(crate) struct GoMap<K> {
    /// `B`: the map has `2^B` buckets.
    b: u8,
    /// The `2^B` buckets, then every overflow bucket in the order they were added.
    buckets: Vec<Bucket<K>>,
    /// Keys held (`count`).
    count: usize,
    /// Overflow buckets added since the last growth (`noverflow`; Go counts it exactly below
    /// 2^16 buckets, and only a map of more than 400,000 keys has more).
    noverflow: usize,
}

impl<K: Copy + Eq> GoMap<K> {
    /// An empty map (`make(map[K]V)`: no size hint, `B` = 0).
    pub(crate) fn new() -> GoMap<K> {
        GoMap { b: 0, buckets: vec![Bucket::empty()], count: 0, noverflow: 0 }
    }

    /// A new map with `keys` inserted in their order, each with the hash `hash` gives it.
    pub(crate) fn of_keys(keys: impl IntoIterator<Item = K>, hash: impl Fn(K) -> u64) -> GoMap<K> {
        let mut map = GoMap::new();
        for key in keys {
            map.insert(key, hash(key));
        }
        map
    }

    /// Keys held.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// `2^B`.
    fn bucket_count(&self) -> usize {
        1 << self.b
    }

    /// `overLoadFactor`: `count` keys in `2^b` buckets are too many.
    fn over_load_factor(count: usize, b: u8) -> bool {
        count > BUCKET_CELLS && count > 13 * ((1usize << b) / 2)
    }

    /// `tooManyOverflowBuckets`.
    fn too_many_overflow_buckets(noverflow: usize, b: u8) -> bool {
        noverflow >= 1usize << b.min(15)
    }

    /// `m[key] = v` (`mapassign`): a key already held keeps its cell; a new one takes the first
    /// empty cell of its bucket's chain, after a growth if the map is full.
    pub(crate) fn insert(&mut self, key: K, hash: u64) {
        loop {
            let mut at = hash as usize & (self.bucket_count() - 1);
            let mut free = None;
            loop {
                for (i, cell) in self.buckets[at].cells.iter().enumerate() {
                    match cell {
                        None if free.is_none() => free = Some((at, i)),
                        Some((k, _)) if *k == key => return,
                        _ => {}
                    }
                }
                match self.buckets[at].overflow {
                    Some(next) => at = next as usize,
                    None => break,
                }
            }
            if Self::over_load_factor(self.count + 1, self.b) || Self::too_many_overflow_buckets(self.noverflow, self.b)
            {
                self.grow();
                continue; // `goto again`
            }
            let (bucket, cell) = free.unwrap_or_else(|| (self.new_overflow(at), 0));
            self.buckets[bucket].cells[cell] = Some((key, hash));
            self.count += 1;
            return;
        }
    }

    /// `delete(m, key)` (`mapdelete`): its cell becomes empty; no other key moves.
    pub(crate) fn remove(&mut self, key: K, hash: u64) {
        let mut at = hash as usize & (self.bucket_count() - 1);
        loop {
            if let Some(cell) = self.buckets[at].cells.iter_mut().find(|c| c.is_some_and(|(k, _)| k == key)) {
                *cell = None;
                self.count -= 1;
                return;
            }
            match self.buckets[at].overflow {
                Some(next) => at = next as usize,
                None => return,
            }
        }
    }

    /// `newoverflow`: a new, empty overflow bucket chained after `last`.
    fn new_overflow(&mut self, last: usize) -> usize {
        let at = self.buckets.len();
        self.buckets.push(Bucket::empty());
        self.buckets[last].overflow = Some(at as u32);
        self.noverflow += 1;
        at
    }

    /// `hashGrow` and every `evacuate` it leads to: twice the buckets when the map is over its
    /// load factor, else the same number (too many overflow buckets), and each old chain's
    /// keys copied in cell order to the first free cells of their new bucket.
    fn grow(&mut self) {
        let bigger = Self::over_load_factor(self.count + 1, self.b);
        let old_count = self.bucket_count();
        let old = std::mem::take(&mut self.buckets);
        self.b += u8::from(bigger);
        self.buckets = vec![Bucket::empty(); self.bucket_count()];
        self.noverflow = 0;
        for j in 0..old_count {
            // `evacDst` X (bucket j) and Y (bucket j + newbit): where each writes next.
            let mut dst = [(j, 0usize), (j + old_count, 0usize)];
            let mut at = Some(j);
            while let Some(from) = at {
                for &(key, hash) in old[from].cells.iter().flatten() {
                    let y = usize::from(bigger && hash as usize & old_count != 0);
                    let (mut bucket, mut cell) = dst[y];
                    if cell == BUCKET_CELLS {
                        bucket = self.new_overflow(bucket);
                        cell = 0;
                    }
                    self.buckets[bucket].cells[cell] = Some((key, hash));
                    dst[y] = (bucket, cell + 1);
                }
                at = old[from].overflow.map(|n| n as usize);
            }
        }
    }

    /// The keys in the order `for k := range m` visits them when `mapiterinit`'s `fastrand`
    /// gives `r` (start bucket `r & (2^B - 1)`, cell offset `(r >> B) & 7`), appended to `out`.
    /// The map is taken as fully grown (see the module's notes). That holds for `reconcile`'s
    /// slot map (every key is written again before the range, so `growWork` has finished), not
    /// for the dispatcher's status batch (`processUpdates` ranges over `taskUpdates` right after
    /// its last insert): a batch whose last inserts began a growth (27–30 updates, 53–60,
    /// 105–120, 209–240, …) is walked in Go partly through its old buckets, with the offset
    /// applied to their cells, an order this method does not give (review36; no recorded run
    /// has a batch of more than 8).
    pub(crate) fn range_into(&self, r: u64, out: &mut Vec<K>) {
        let buckets = self.bucket_count();
        let start = r as usize & (buckets - 1);
        let offset = (r >> self.b) as usize & (BUCKET_CELLS - 1);
        for j in 0..buckets {
            let mut at = Some((start + j) & (buckets - 1));
            while let Some(bucket) = at {
                let cells = &self.buckets[bucket].cells;
                out.extend((0..BUCKET_CELLS).filter_map(|i| cells[(i + offset) & (BUCKET_CELLS - 1)].map(|(k, _)| k)));
                at = self.buckets[bucket].overflow.map(|n| n as usize);
            }
        }
    }

    /// [`GoMap::range_into`] into a new list.
    pub(crate) fn range(&self, r: u64) -> Vec<K> {
        let mut out = Vec::with_capacity(self.count);
        self.range_into(r, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map of `keys` inserted in order, key `k` hashing to `hash(k)`.
    fn filled(keys: impl IntoIterator<Item = u64>, hash: impl Fn(u64) -> u64) -> GoMap<u64> {
        let mut m = GoMap::new();
        for k in keys {
            m.insert(k, hash(k));
        }
        m
    }

    #[test]
    fn one_bucket_ranges_over_its_cells_from_the_offset() {
        // B = 0: `startBucket` = 0, `offset` = r & 7; `mapiternext` visits cells
        // (i + offset) & 7 for i in 0..8 and skips the empty ones (`isEmpty(b.tophash[offi])`).
        let m = filled([10, 11, 12], |_| 0xdead_beef);
        assert_eq!(m.range(0), [10, 11, 12]);
        assert_eq!(m.range(1), [11, 12, 10]);
        assert_eq!(m.range(2), [12, 10, 11]);
        // An offset past the last filled cell wraps to cell 0: the insertion order.
        for r in 3..8 {
            assert_eq!(m.range(r), [10, 11, 12], "offset {r}");
        }
        // Only r's low 3 bits count while B = 0 (`r >> 0 & 7`).
        assert_eq!(m.range(9), m.range(1));
        // So the first key leads for 6 offsets of 8, each other key for one.
        let first_leads = (0..8).filter(|&r| m.range(r)[0] == 10).count();
        assert_eq!(first_leads, 6);
    }

    #[test]
    fn a_deleted_key_leaves_a_hole_the_next_key_fills() {
        // `mapdelete` marks the cell empty (`emptyOne`) in place; `mapassign` takes the first
        // empty cell it meets (`isEmpty(b.tophash[i]) && inserti == nil`).
        let mut m = filled([1, 2, 3, 4], |_| 0);
        m.remove(2, 0);
        assert_eq!(m.len(), 3);
        assert_eq!(m.range(1), [3, 4, 1], "the hole in cell 1 is skipped");
        m.insert(5, 0);
        assert_eq!(m.range(0), [1, 5, 3, 4], "the new key took cell 1, not cell 4");
        m.insert(3, 0);
        assert_eq!(m.len(), 4, "a key already held keeps its cell");
    }

    #[test]
    fn the_ninth_key_doubles_the_buckets_and_splits_them_by_hash() {
        // `overLoadFactor(9, 0)`: 9 > bucketCnt and 9 > 13 * (1 / 2) = 0, so the 9th key grows
        // the map to B = 1 before it is placed; `evacuate` sends each key to bucket
        // hash & 1, keeping the old cell order; the 9th goes to the first free cell of its bucket.
        let m = filled(1..=9, |k| k);
        assert_eq!(m.b, 1);
        // r = 0: bucket 0 from cell 0 (even hashes), then bucket 1 (odd ones).
        assert_eq!(m.range(0), [2, 4, 6, 8, 1, 3, 5, 7, 9]);
        // r = 1: start bucket 1, offset (1 >> 1) & 7 = 0.
        assert_eq!(m.range(1), [1, 3, 5, 7, 9, 2, 4, 6, 8]);
        // r = 0b110: start bucket 0, offset 3, applied in each bucket: bucket 0 holds
        // 2, 4, 6, 8 in cells 0-3 (cell 3 first), bucket 1 holds 1, 3, 5, 7, 9 in cells 0-4.
        assert_eq!(m.range(0b110), [8, 2, 4, 6, 7, 9, 1, 3, 5]);
    }

    #[test]
    fn growth_comes_at_the_14th_and_the_27th_key() {
        // 6.5 keys per bucket: `count > 13 * (2^B / 2)`.
        let b_after = |n: u64| filled(1..=n, |k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15)).b;
        assert_eq!(b_after(8), 0);
        assert_eq!(b_after(13), 1);
        assert_eq!(b_after(14), 2);
        assert_eq!(b_after(26), 2);
        assert_eq!(b_after(27), 3);
        assert_eq!(b_after(52), 3);
        assert_eq!(b_after(53), 4);
    }

    #[test]
    fn a_full_bucket_chains_an_overflow_bucket_visited_with_the_same_offset() {
        // Ten keys all hashing to bucket 0 of 2: cells 0-7 of bucket 0, then an overflow bucket
        // (`newoverflow`) holding the last two in its cells 0-1. `mapiternext` applies the
        // offset to every bucket of the chain (`offi := (i + it.offset) & (bucketCnt - 1)`).
        let m = filled(0..10, |_| 2);
        assert_eq!(m.b, 1);
        assert_eq!(m.noverflow, 1);
        // r = 3 << 1: bucket 0 first, offset 3.
        assert_eq!(m.range(3 << 1), [3, 4, 5, 6, 7, 0, 1, 2, 8, 9]);
        // Offset 1: the overflow bucket's cell 1 comes before its cell 0.
        assert_eq!(m.range(1 << 1), [1, 2, 3, 4, 5, 6, 7, 0, 9, 8]);
    }

    #[test]
    fn evacuation_keeps_each_bucket_in_insertion_order() {
        // Whatever the growth steps, each bucket of the grown map holds its keys in the order
        // they were inserted: `evacuate` copies in cell order, later keys take later cells.
        let hash = |k: u64| k.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7;
        let m = filled(0..100, hash);
        assert_eq!(m.b, 4);
        let order = m.range(0);
        assert_eq!(order.len(), 100);
        let mut expected = Vec::new();
        for bucket in 0..16 {
            expected.extend((0..100).filter(|&k| hash(k) & 15 == bucket));
        }
        assert_eq!(order, expected);
    }

    #[test]
    fn a_range_starts_in_a_random_bucket_and_wraps() {
        // B = 2 (14 keys): start bucket r & 3, offset (r >> 2) & 7.
        let m = filled(0..14, |k| k);
        assert_eq!(m.b, 2);
        let r = 2 | (1 << 2);
        // Buckets 2, 3, 0, 1; each holds k ≡ bucket (mod 4), visited from cell 1.
        assert_eq!(m.range(r), [6, 10, 2, 7, 11, 3, 4, 8, 12, 0, 5, 9, 13, 1]);
    }

    #[test]
    fn same_size_growth_repacks_sparse_chains() {
        // `tooManyOverflowBuckets`: with B = 1, two overflow buckets make the next new key
        // grow the map at the same size (`hashGrow`, `sameSizeGrow`), and `evacuate` packs
        // each chain afresh from its first cell, dropping the holes.
        let mut m = filled(0..9, |k| k & 1); // bucket 0: 0 2 4 6 8, bucket 1: 1 3 5 7
        for k in [10, 12, 14, 16] {
            m.insert(k, 0); // 16 overflows bucket 0: 13 keys, not over 6.5 a bucket
        }
        assert_eq!((m.b, m.noverflow, m.len()), (1, 1, 13));
        for k in [2, 4, 6, 8, 10, 12, 14] {
            m.remove(k, 0);
        }
        for k in [31, 33, 35, 37, 39] {
            m.insert(k, 1); // 39 overflows bucket 1
        }
        assert_eq!((m.b, m.noverflow, m.len()), (1, 2, 11));
        m.insert(41, 1);
        assert_eq!(m.b, 1, "the same size");
        assert_eq!(m.noverflow, 1, "bucket 0 packed into one bucket, bucket 1 still needs an overflow");
        assert_eq!(m.range(0), [0, 16, 1, 3, 5, 7, 31, 33, 35, 37, 39, 41]);
    }
}

//! Step series reduced to one (min, max) per pixel column, so a plot of a million rows is as
//! cheap as one of ten and a one-millisecond dip still shows.

/// A step function: `values[i]` holds from `times[i]` until `times[i + 1]` (the last one until
/// the end of the plot). Times are milliseconds, ascending.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Step {
    /// When each value starts.
    pub times: Vec<u64>,
    /// The values.
    pub values: Vec<i64>,
}

impl Step {
    /// Builds a series from `(time, value)` pairs in time order.
    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (u64, i64)>) -> Step {
        let (times, values) = pairs.into_iter().unzip();
        Step { times, values }
    }

    /// Largest value (0 when empty).
    pub(crate) fn max(&self) -> i64 {
        self.values.iter().copied().max().unwrap_or(0)
    }
}

/// The time span a plot covers and how many pixel columns it is drawn on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Columns {
    /// Start, ms.
    pub start: u64,
    /// End, ms (after start).
    pub end: u64,
    /// Number of columns (at least 1).
    pub count: usize,
}

impl Columns {
    /// Start of column `c` in ms (column `count` is the end). Integer arithmetic: the same
    /// span always splits the same way.
    pub(crate) fn edge(&self, c: usize) -> u64 {
        let span = u128::from(self.end - self.start);
        self.start + (span * c as u128 / self.count as u128) as u64
    }

    /// The column holding instant `t` (clamped to the plot).
    pub(crate) fn of(&self, t: u64) -> usize {
        let t = t.clamp(self.start, self.end);
        let span = u128::from(self.end - self.start).max(1);
        let c = (u128::from(t - self.start) * self.count as u128 / span) as usize;
        c.min(self.count - 1)
    }
}

/// Per column, the smallest and largest value the series takes in it; `None` before the
/// series' first point.
pub(crate) fn min_max(series: &Step, cols: Columns) -> Vec<Option<(i64, i64)>> {
    let mut out: Vec<Option<(i64, i64)>> = vec![None; cols.count];
    for (i, (&t, &v)) in series.times.iter().zip(&series.values).enumerate() {
        let until = series.times.get(i + 1).copied().unwrap_or(cols.end.max(t));
        if until <= cols.start || t >= cols.end {
            continue;
        }
        // A value that holds for no time (several rows at one instant) still counts.
        let last = if until > t { cols.of(until - 1) } else { cols.of(t) };
        for slot in &mut out[cols.of(t)..=last] {
            *slot = Some(match *slot {
                Some((lo, hi)) => (lo.min(v), hi.max(v)),
                None => (v, v),
            });
        }
    }
    out
}

/// Runs of consecutive columns with the same value: `(first column, past-last column, value)`.
/// Drawing runs instead of columns keeps a 3-replica plot's SVG small.
pub(crate) fn runs(values: &[Option<(i64, i64)>]) -> Vec<(usize, usize, (i64, i64))> {
    let mut out: Vec<(usize, usize, (i64, i64))> = Vec::new();
    for (c, value) in values.iter().enumerate() {
        let Some(v) = *value else { continue };
        match out.last_mut() {
            Some((_, end, last)) if *end == c && *last == v => *end = c + 1,
            _ => out.push((c, c + 1, v)),
        }
    }
    out
}

/// Stretches of constant text (`update_state`): `(start ms, end ms, state)`, the last one
/// ending at `end`.
pub(crate) fn segments<'a>(points: impl IntoIterator<Item = (u64, &'a str)>, end: u64) -> Vec<(u64, u64, &'a str)> {
    let mut out: Vec<(u64, u64, &'a str)> = Vec::new();
    for (t, state) in points {
        if out.last().is_some_and(|last| last.2 == state) {
            continue;
        }
        if let Some(last) = out.last_mut() {
            last.1 = t;
        }
        out.push((t, end.max(t), state));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(end: u64, count: usize) -> Columns {
        Columns { start: 0, end, count }
    }

    #[test]
    fn a_one_millisecond_dip_survives_a_wide_column() {
        let s = Step::from_pairs([(0, 3000), (5_000, 0), (5_001, 3000)]);
        let mm = min_max(&s, cols(100_000, 10));
        assert_eq!(mm[0], Some((0, 3000)));
        assert_eq!(mm[1], Some((3000, 3000)));
    }

    #[test]
    fn columns_before_the_first_point_are_empty() {
        let s = Step::from_pairs([(50, 1)]);
        let mm = min_max(&s, cols(100, 4));
        assert_eq!(mm, [None, None, Some((1, 1)), Some((1, 1))]);
    }

    #[test]
    fn equal_columns_merge_into_runs() {
        let values = [Some((1, 1)), Some((1, 1)), None, Some((2, 2)), Some((2, 2)), Some((1, 1))];
        assert_eq!(runs(&values), [(0, 2, (1, 1)), (3, 5, (2, 2)), (5, 6, (1, 1))]);
    }

    #[test]
    fn segments_split_where_the_state_changes() {
        let pts = [(0, ""), (10, "updating"), (20, "updating"), (30, "completed")];
        assert_eq!(segments(pts, 50), [(0, 10, ""), (10, 30, "updating"), (30, 50, "completed")]);
    }

    #[test]
    fn edges_and_columns_agree() {
        let c = Columns { start: 1_000, end: 4_000, count: 3 };
        assert_eq!((c.edge(0), c.edge(1), c.edge(3)), (1_000, 2_000, 4_000));
        assert_eq!((c.of(0), c.of(1_999), c.of(2_000), c.of(9_999)), (0, 0, 1, 2));
    }
}

//! The sweep over a service's window: segments of constant rate, serving count and doomed
//! share, each turned into expected ok and failed requests (in 10⁻¹² requests), gathered into
//! one-second buckets and rounded (see the module docs of [`crate::traffic`]).

use crate::model::traffic::{MilliRps, Overload, RequestBucket, RequestSeries, ServingInterval, TrafficSpec};
use crate::time::{SimDuration, SimTime};

/// Nanoseconds per bucket.
const BUCKET: u64 = 1_000_000_000;

/// Units of 10⁻¹² request (millirequests per second × nanoseconds) in one request.
const PICO: u128 = 1_000_000_000_000;

/// At `t`, the serving count changes by `dn` and the count of doomed duration points (over
/// serving tasks; each point is 1/k of a task's requests) by `dm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// When.
    pub t: SimTime,
    /// Change of the number of serving tasks.
    pub dn: i64,
    /// Change of the number of doomed duration points.
    pub dm: i64,
}

/// The changes the spans make, in time order. A span `[s, e)` counts in `n`; if it is cut at
/// `c`, each duration point `d` with `c − d < e` is doomed from `max(s, c − d)` to `e`: a request
/// of that duration arriving then would still be running at `c`.
pub fn changes(spans: &[&ServingInterval], points: &[SimDuration], until: SimTime) -> Vec<Change> {
    let mut out = Vec::with_capacity(spans.len() * 2);
    for span in spans {
        let (s, e) = (span.start, span.end.unwrap_or(until).max(span.start));
        out.push(Change { t: s, dn: 1, dm: 0 });
        out.push(Change { t: e, dn: -1, dm: 0 });
        let Some(cut) = span.cut else { continue };
        let mut doomed = 0;
        for d in points {
            let from = SimTime(cut.0.saturating_sub(d.0));
            if from < e {
                out.push(Change { t: from.max(s), dn: 0, dm: 1 });
                doomed += 1;
            }
        }
        if doomed > 0 {
            out.push(Change { t: e, dn: 0, dm: -doomed });
        }
    }
    // Stable and by time only: all changes at one instant apply before the next segment.
    out.sort_by_key(|c| c.t);
    out
}

/// What holds during a segment, and the queue carried between segments.
#[derive(Default)]
struct State {
    n: i64,
    m: i64,
    queue: u128,
}

impl State {
    /// Applies the changes from index `next` that happen at or before `t`; returns the index of
    /// the first one left.
    fn apply(&mut self, changes: &[Change], mut next: usize, t: SimTime) -> usize {
        while let Some(c) = changes.get(next).filter(|c| c.t <= t) {
            self.n += c.dn;
            self.m += c.dm;
            next += 1;
        }
        next
    }
}

/// Sweeps `[from, until)` and returns the rounded series.
pub fn sweep(spec: &TrafficSpec, changes: &[Change], k: u64, (from, until): (SimTime, SimTime)) -> RequestSeries {
    let mut state = State::default();
    let mut next = state.apply(changes, 0, from);
    let (mut buckets, mut outage) = (Buckets::default(), Outage::default());
    let mut t = from;
    while t < until {
        let end = segment_end(spec, changes.get(next).map(|c| c.t), t, until);
        let rate = rate_at(&spec.rate, t);
        let (ok, failed) = outcome(spec, k, &mut state, rate, end.since(t).as_nanos() as u128);
        buckets.add(t, ok, failed);
        outage.observe(t, state.n <= 0 || state.m >= k as i64 * state.n);
        t = end;
        next = state.apply(changes, next, t);
    }
    // Still queued at the end: within their timeout, so served.
    buckets.add_to_last(state.queue);
    let (longest_outage, longest_outage_at) = outage.finish(until);
    RequestSeries {
        service: spec.service.clone(),
        from,
        until,
        buckets: buckets.rounded(),
        longest_outage,
        longest_outage_at,
    }
}

/// The next instant something changes: a span change, a rate step, a bucket boundary, the end.
fn segment_end(spec: &TrafficSpec, next_change: Option<SimTime>, t: SimTime, until: SimTime) -> SimTime {
    let second = SimTime((t.0 / BUCKET + 1).saturating_mul(BUCKET));
    let step = spec.rate.iter().map(|(at, _)| *at).find(|at| *at > t);
    [Some(until), Some(second), next_change, step].into_iter().flatten().min().expect("until is always there")
}

/// The rate in force at `t` (0 before the first step).
pub(super) fn rate_at(steps: &[(SimTime, MilliRps)], t: SimTime) -> MilliRps {
    steps.iter().rev().find(|(at, _)| *at <= t).map_or(0, |(_, r)| *r)
}

/// Ok and failed requests (10⁻¹² units) of a segment of `len` ns at `rate`, updating the queue.
fn outcome(spec: &TrafficSpec, k: u64, state: &mut State, rate: MilliRps, len: u128) -> (u128, u128) {
    let arrivals = rate as u128 * len;
    if state.n <= 0 {
        // Nothing to send a request to, nor to wait at: every arrival and every queued request
        // fails.
        return (0, arrivals + std::mem::take(&mut state.queue));
    }
    let n = state.n as u128;
    let (served, overloaded) = match (spec.capacity_per_task, spec.overload) {
        (None, _) => (arrivals, 0),
        (Some(cap), Overload::Reject) => {
            let served = (rate as u128).min(cap as u128 * n) * len;
            (served, arrivals - served)
        }
        (Some(cap), Overload::Queue { timeout }) => queue(&mut state.queue, rate, cap as u128 * n, len, timeout),
    };
    // Each serving task gets 1/n of what is served; of a task's requests, the doomed points'
    // share (1/k each) will still be running when it is cut.
    let doomed = served * state.m.max(0) as u128 / (k as u128 * n);
    (served - doomed, overloaded + doomed)
}

/// Fluid FIFO queue over one segment with capacity `c` (millirequests/s): returns (served,
/// failed). It holds at most `c × timeout` (a longer wait would exceed the timeout).
fn queue(q: &mut u128, rate: MilliRps, c: u128, len: u128, timeout: SimDuration) -> (u128, u128) {
    let limit = c * timeout.as_nanos() as u128;
    // Capacity fell (a task stopped serving): the requests beyond the new limit time out now.
    let mut failed = q.saturating_sub(limit);
    *q = (*q).min(limit);
    let rate = rate as u128;
    if rate >= c {
        let filled = *q + (rate - c) * len;
        failed += filled.saturating_sub(limit);
        *q = filled.min(limit);
        (c * len, failed)
    } else {
        let drained = (*q).min((c - rate) * len);
        *q -= drained;
        (rate * len + drained, failed)
    }
}

/// Exact ok/failed sums per one-second bucket, in time order.
#[derive(Default)]
struct Buckets(Vec<(SimTime, u128, u128)>);

impl Buckets {
    fn add(&mut self, t: SimTime, ok: u128, failed: u128) {
        let start = SimTime(t.0 - t.0 % BUCKET);
        match self.0.last_mut() {
            Some(last) if last.0 == start => {
                last.1 += ok;
                last.2 += failed;
            }
            _ => self.0.push((start, ok, failed)),
        }
    }

    fn add_to_last(&mut self, ok: u128) {
        if let Some(last) = self.0.last_mut() {
            last.1 += ok;
        }
    }

    /// Whole counts by cumulative rounding (half up): buckets add up to the rounded totals.
    fn rounded(&self) -> Vec<RequestBucket> {
        let round = |x: u128| ((x + PICO / 2) / PICO) as u64;
        let (mut ok_sum, mut failed_sum) = (0u128, 0u128);
        self.0
            .iter()
            .map(|&(t, ok, failed)| {
                let (ok_before, failed_before) = (round(ok_sum), round(failed_sum));
                ok_sum += ok;
                failed_sum += failed;
                RequestBucket { t, ok: round(ok_sum) - ok_before, failed: round(failed_sum) - failed_before }
            })
            .collect()
    }
}

/// The longest run of consecutive outage segments (the earliest of equal ones).
#[derive(Default)]
struct Outage {
    current: Option<SimTime>,
    longest: Option<(SimDuration, SimTime)>,
}

impl Outage {
    fn observe(&mut self, start: SimTime, all_fail: bool) {
        if all_fail {
            self.current.get_or_insert(start);
        } else {
            self.close(start);
        }
    }

    fn close(&mut self, at: SimTime) {
        if let Some(began) = self.current.take() {
            let len = at.since(began);
            if self.longest.is_none_or(|(l, _)| len > l) {
                self.longest = Some((len, began));
            }
        }
    }

    fn finish(mut self, until: SimTime) -> (SimDuration, Option<SimTime>) {
        self.close(until);
        match self.longest {
            Some((len, at)) if len > SimDuration::ZERO => (len, Some(at)),
            _ => (SimDuration::ZERO, None),
        }
    }
}

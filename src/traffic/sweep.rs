//! The sweep over a route's window: segments within which the rate, the backends and their
//! weights, and each backend's serving count, doomed share, error rate and new-version count
//! are constant, each turned into expected ok and failed requests (in 10⁻¹² requests),
//! gathered into one-second buckets and rounded (see the module docs of [`crate::traffic`]).

use crate::model::traffic::{MilliRps, Overload, RequestBucket, TrafficSpec};
use crate::time::{SimDuration, SimTime};

/// Nanoseconds per bucket.
const BUCKET: u64 = 1_000_000_000;

/// Units of 10⁻¹² request (millirequests per second × nanoseconds) in one request.
pub(super) const PICO: u128 = 1_000_000_000_000;

/// Parts per million.
const PPM: u128 = 1_000_000;

/// What the serving tasks of a backend (or of several) add up to: as counts during a
/// segment, or as a change of them at an instant (`T = i64`); as the group requests are spread
/// over (`T = u128`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Counts<T> {
    /// Serving tasks.
    pub n: T,
    /// Doomed duration points over them (each point is 1/k of a task's requests).
    pub m: T,
    /// Sum of their error rates (ppm).
    pub e: T,
    /// Serving new-version tasks.
    pub v: T,
    /// Doomed points of new-version tasks.
    pub m_new: T,
    /// Sum of the new-version tasks' error rates (ppm).
    pub e_new: T,
}

impl<T: std::ops::AddAssign + Copy> Counts<T> {
    fn add(&mut self, o: Counts<T>) {
        self.n += o.n;
        self.m += o.m;
        self.e += o.e;
        self.v += o.v;
        self.m_new += o.m_new;
        self.e_new += o.e_new;
    }
}

/// At `t`, backend `backend`'s counts change by `delta`; or, with `membership`, every
/// backend's weight is replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Change {
    /// When.
    pub t: SimTime,
    /// Which backend (index into the route's backends).
    pub backend: usize,
    /// How its counts change.
    pub delta: Counts<i64>,
    /// The route's backends from now on: per backend, `None` when not one, else its weight
    /// (`Some(None)`: no weight label).
    pub membership: Option<Vec<Option<Option<u64>>>>,
}

impl Change {
    /// A change of one backend's counts.
    pub(super) fn counts(t: SimTime, backend: usize, delta: Counts<i64>) -> Change {
        Change { t, backend, delta, membership: None }
    }

    /// New backends and weights from `t` on.
    pub(super) fn membership(t: SimTime, members: Vec<Option<Option<u64>>>) -> Change {
        Change { t, backend: 0, delta: Counts::default(), membership: Some(members) }
    }
}

/// What holds for one backend during a segment.
#[derive(Clone, Copy, Debug, Default)]
struct Backend {
    /// Member of the route, and its weight label.
    member: Option<Option<u64>>,
    counts: Counts<i64>,
    /// Requests waiting for this backend (weighted routing: one queue per backend).
    queue: u128,
}

/// What holds during a segment, and the queue carried between segments.
struct State {
    backends: Vec<Backend>,
    /// The shared queue of replica-ratio routing.
    queue: u128,
}

impl State {
    /// Applies the changes from index `next` that happen at or before `t`; returns the index of
    /// the first one left.
    fn apply(&mut self, changes: &[Change], mut next: usize, t: SimTime) -> usize {
        while let Some(c) = changes.get(next).filter(|c| c.t <= t) {
            if let Some(members) = &c.membership {
                let was_weighted = self.weighted();
                for (b, member) in self.backends.iter_mut().zip(members) {
                    b.member = *member;
                }
                self.move_queue(was_weighted);
            } else {
                self.backends[c.backend].counts.add(c.delta);
            }
            next += 1;
        }
        next
    }

    fn weighted(&self) -> bool {
        self.backends.iter().any(|b| matches!(b.member, Some(Some(_))))
    }

    /// When the routing mode changes, the waiting requests move with it: from the shared queue
    /// to the heaviest backend's, or from every backend's into the shared one.
    fn move_queue(&mut self, was_weighted: bool) {
        match (was_weighted, self.weighted()) {
            (false, true) => {
                let heaviest = (0..self.backends.len()).max_by_key(|&i| {
                    let b = &self.backends[i];
                    (b.member.map_or(0, |w| w.unwrap_or(1)), std::cmp::Reverse(i))
                });
                if let Some(i) = heaviest {
                    self.backends[i].queue += std::mem::take(&mut self.queue);
                }
            }
            (true, false) => {
                for b in &mut self.backends {
                    self.queue += std::mem::take(&mut b.queue);
                }
            }
            _ => {}
        }
    }
}

/// Exact sums (10⁻¹² requests) of one backend or of the whole route.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Tally {
    /// Requests that succeeded.
    pub ok: u128,
    /// Requests that failed.
    pub failed: u128,
    /// Requests answered by a new-version task (ok or failed).
    pub to_new: u128,
    /// Of those, the failed ones.
    pub new_failed: u128,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.ok += other.ok;
        self.failed += other.failed;
        self.to_new += other.to_new;
        self.new_failed += other.new_failed;
    }

    /// Whole requests, rounded half up.
    pub(super) fn whole(x: u128) -> u64 {
        ((x + PICO / 2) / PICO) as u64
    }
}

/// What a sweep over a window found.
#[derive(Debug, Default)]
pub(super) struct Sweep {
    /// Per one-second bucket, rounded cumulatively.
    pub buckets: Vec<RequestBucket>,
    /// The whole route, exact.
    pub total: Tally,
    /// Per backend, exact.
    pub per_backend: Vec<Tally>,
    /// Longest time every arriving request would fail, and when it began.
    pub longest_outage: (SimDuration, Option<SimTime>),
}

/// Sweeps `[from, until)` of a route with `backends` backends.
pub(super) fn sweep(
    spec: &TrafficSpec,
    changes: &[Change],
    backends: usize,
    k: u64,
    (from, until): (SimTime, SimTime),
) -> Sweep {
    let mut state = State { backends: vec![Backend::default(); backends], queue: 0 };
    let mut next = state.apply(changes, 0, from);
    let (mut buckets, mut outage) = (Buckets::default(), Outage::default());
    let mut out = Sweep { per_backend: vec![Tally::default(); backends], ..Sweep::default() };
    let mut t = from;
    while t < until {
        let end = segment_end(spec, changes.get(next).map(|c| c.t), t, until);
        let rate = rate_at(&spec.rate, t);
        let (tally, all_fail) =
            segment(spec, k, &mut state, rate, end.since(t).as_nanos() as u128, &mut out.per_backend);
        buckets.add(t, tally.ok, tally.failed);
        out.total.add(tally);
        outage.observe(t, all_fail);
        t = end;
        next = state.apply(changes, next, t);
    }
    // Still queued at the end: within their timeout, so served.
    let queued = state.queue + state.backends.iter().map(|b| b.queue).sum::<u128>();
    buckets.add_to_last(queued);
    out.total.ok += queued;
    out.buckets = buckets.rounded();
    out.longest_outage = outage.finish(until);
    out
}

/// The next instant something changes: a backend or route change, a rate step, a bucket
/// boundary, the end.
fn segment_end(spec: &TrafficSpec, next_change: Option<SimTime>, t: SimTime, until: SimTime) -> SimTime {
    let second = SimTime((t.0 / BUCKET + 1).saturating_mul(BUCKET));
    let step = spec.rate.iter().map(|(at, _)| *at).find(|at| *at > t);
    [Some(until), Some(second), next_change, step].into_iter().flatten().min().expect("until is always there")
}

/// The rate in force at `t` (0 before the first step).
pub(super) fn rate_at(steps: &[(SimTime, MilliRps)], t: SimTime) -> MilliRps {
    steps.iter().rev().find(|(at, _)| *at <= t).map_or(0, |(_, r)| *r)
}

/// One segment of `len` ns at `rate`: the route's tally (adding each backend's to
/// `per_backend`), and whether every arrival fails.
fn segment(
    spec: &TrafficSpec,
    k: u64,
    state: &mut State,
    rate: MilliRps,
    len: u128,
    per_backend: &mut [Tally],
) -> (Tally, bool) {
    let arrivals = rate as u128 * len;
    let mut total = Tally::default();
    if state.weighted() {
        // A weighted round robin: each backend its share, over its own tasks and queue.
        let weight = |b: &Backend| b.member.map_or(0, |w| w.unwrap_or(1)) as u128;
        let sum: u128 = state.backends.iter().map(weight).sum();
        let mut all_fail = true;
        for (i, b) in state.backends.iter_mut().enumerate() {
            let w = weight(b);
            if w == 0 && b.queue == 0 {
                continue;
            }
            let share = (arrivals * w).checked_div(sum).unwrap_or(0);
            let share_rate = (rate as u128 * w).checked_div(sum).unwrap_or(0);
            let g = Group::of(b);
            let (tally, fails) = match serve(spec, g, share, share_rate, len, &mut b.queue) {
                Served::Nobody(failed) => (Tally { failed, ..Tally::default() }, true),
                Served::By { served, overloaded } => (split(served, overloaded, g, g, k), g.m >= k as u128 * g.n),
            };
            all_fail &= fails || w == 0;
            per_backend[i].add(tally);
            total.add(tally);
        }
        if sum == 0 {
            // Every backend weighs 0: nothing answers.
            total.failed += arrivals;
        }
        (total, all_fail)
    } else {
        let members: Vec<usize> = (0..state.backends.len()).filter(|&i| state.backends[i].member.is_some()).collect();
        let mut whole = Group::default();
        for &i in &members {
            whole.add(Group::of(&state.backends[i]));
        }
        match serve(spec, whole, arrivals, rate as u128, len, &mut state.queue) {
            Served::Nobody(failed) => (Tally { failed, ..Tally::default() }, true),
            Served::By { served, overloaded } => {
                // Each member's part is in proportion to its serving tasks.
                for &i in &members {
                    per_backend[i].add(split(served, overloaded, Group::of(&state.backends[i]), whole, k));
                }
                (split(served, overloaded, whole, whole, k), whole.m >= k as u128 * whole.n)
            }
        }
    }
}

/// The serving tasks requests are spread over.
type Group = Counts<u128>;

impl Group {
    fn of(b: &Backend) -> Group {
        let u = |x: i64| x.max(0) as u128;
        let c = b.counts;
        Group { n: u(c.n), m: u(c.m), e: u(c.e), v: u(c.v), m_new: u(c.m_new), e_new: u(c.e_new) }
    }
}

/// What a group of tasks did with the requests sent to it.
enum Served {
    /// No task serves: these requests (arrivals and the queue) fail.
    Nobody(u128),
    /// `served` reached a task; `overloaded` exceeded capacity and failed.
    By {
        /// Reached a task.
        served: u128,
        /// Refused or timed out.
        overloaded: u128,
    },
}

/// Sends `arrivals` (10⁻¹² requests, at `rate` millirequests/s over `len` ns) to `g`, by the
/// overload rule, updating its queue.
fn serve(spec: &TrafficSpec, g: Group, arrivals: u128, rate: u128, len: u128, queue: &mut u128) -> Served {
    if g.n == 0 {
        // Nothing to send a request to, nor to wait at: every arrival and every queued request
        // fails.
        return Served::Nobody(arrivals + std::mem::take(queue));
    }
    let (served, overloaded) = match (spec.capacity_per_task, spec.overload) {
        (None, _) => (arrivals, 0),
        (Some(cap), Overload::Reject) => {
            let served = (rate.min(cap as u128 * g.n) * len).min(arrivals);
            (served, arrivals - served)
        }
        (Some(cap), Overload::Queue { timeout }) => fluid_queue(queue, rate, cap as u128 * g.n, len, timeout),
    };
    Served::By { served, overloaded }
}

/// The outcome of the requests that fell on `part` of the `whole` group's serving tasks: each
/// task gets 1/n of what is served (and of what overloaded); of a task's requests, the doomed
/// points' share (1/k each) will still be running when it is cut, and of the rest its error
/// rate fails. `part == whole` gives the group's own outcome.
fn split(served: u128, overloaded: u128, part: Group, whole: Group, k: u64) -> Tally {
    let kn = k as u128 * whole.n;
    let mine = served * part.n / whole.n;
    let doomed = (served * part.m / kn).min(mine);
    let errors = if part.n == 0 { 0 } else { (mine - doomed) * part.e / (part.n * PPM) };
    let to_new = served * part.v / whole.n;
    let doomed_new = (served * part.m_new / kn).min(to_new);
    let errors_new = if part.v == 0 { 0 } else { (to_new - doomed_new) * part.e_new / (part.v * PPM) };
    let failed = overloaded * part.n / whole.n + doomed + errors;
    Tally { ok: mine - doomed - errors, failed, to_new, new_failed: doomed_new + errors_new }
}

/// Fluid FIFO queue over one segment with capacity `c` (millirequests/s): returns (served,
/// failed). It holds at most `c × timeout` (a longer wait would exceed the timeout).
fn fluid_queue(q: &mut u128, rate: u128, c: u128, len: u128, timeout: SimDuration) -> (u128, u128) {
    let limit = c * timeout.as_nanos() as u128;
    // Capacity fell (a task stopped serving): the requests beyond the new limit time out now.
    let mut failed = q.saturating_sub(limit);
    *q = (*q).min(limit);
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
        let (mut ok_sum, mut failed_sum) = (0u128, 0u128);
        self.0
            .iter()
            .map(|&(t, ok, failed)| {
                let (ok_before, failed_before) = (Tally::whole(ok_sum), Tally::whole(failed_sum));
                ok_sum += ok;
                failed_sum += failed;
                RequestBucket {
                    t,
                    ok: Tally::whole(ok_sum) - ok_before,
                    failed: Tally::whole(failed_sum) - failed_before,
                }
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

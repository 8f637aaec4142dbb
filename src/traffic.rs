//! Request-level availability: how many client requests succeeded or failed during a run,
//! computed from what the run recorded — each task's serving spans ([`ServingInterval`]) —
//! never by simulating requests one by one, so a run of 100,000 tasks stays cheap and the
//! figures are exact and reproducible.
//!
//! # Semantics
//!
//! Clients send `rate` requests per second (`x-simulation.traffic`; a piecewise-constant
//! profile, 0 before its first step) to the service's published port. The routing mesh sends
//! each request, round-robin, to one of the `n` tasks that are *serving* at its arrival —
//! running, healthy, not yet signalled, on a reachable node (`serving` in `timeline.csv`) — so
//! each serving task sees `rate / n`. A request **fails** when:
//!
//! 1. **no task serves** at its arrival (connection refused; even with `overload: queue` there
//!    is nothing to wait at);
//! 2. **its task is cut while it is in flight**: the container's process exits before the
//!    request's duration has elapsed — SIGKILL after the grace period (an image that ignores
//!    SIGTERM), a crash, an image that exits on SIGTERM sooner than its requests finish (it does
//!    not drain) — or the task's node is lost. The mesh stops sending a task new requests when
//!    its binding is removed (SIGTERM, or a failed health check); requests already on it run on
//!    until they end or the process goes. A request arriving at `a` on a task cut at `c` fails
//!    when `a + duration > c`;
//! 3. **load exceeds capacity** (`capacity_per_task` × `n`, when set), by the `overload` rule:
//!    - `reject`: what exceeds capacity fails at once (a 503, a full accept backlog);
//!    - `queue`: it waits, first in first out, in a queue shared by the service's tasks; a
//!      request that would wait longer than `timeout` fails. This is a fluid queue: with
//!      capacity `C = n × capacity_per_task`, the queue holds at most `C × timeout` requests
//!      (those wait at most `timeout`); arrivals that find it full fail (tail drop), and when `C`
//!      falls (a task stops serving) the requests beyond the new limit fail at that instant. A
//!      queued request's in-flight time starts when it is served.
//!
//! # Expected values
//!
//! Request outcomes are expected values (Little's law: a task holds `rate / n × duration`
//! requests in flight), computed exactly on integers: rates are millirequests per second,
//! times nanoseconds, so counts are in units of 10⁻¹² requests (rate × time). The run is cut
//! into segments within which the rate, `n` and the share of arrivals doomed by an upcoming cut
//! are constant (see `durations` for random request durations); a segment's doomed share is
//! `Σ P(duration > c_T − a) / n` over its serving tasks `T`.
//!
//! **Buckets and rounding.** Each request is counted once, in the second (`[k s, k+1 s)`) its
//! fate is settled: when a task starts serving it (ok, or failed if its task will be cut first)
//! or when it is refused or times out. With `reject` (and without capacity) that is its arrival
//! second. Requests still queued when the run ends count as ok in the last second. Fractional
//! counts are rounded once, cumulatively: a bucket's `ok` is `round(ok up to its end) −
//! round(ok up to its start)` (half up), the same for `failed`, so buckets are whole numbers
//! that add up to the rounded totals and a run never loses or invents a request by rounding.
//!
//! **Window.** Requests are counted from the first moment the service had every desired
//! replica serving (its initial deploy is not what traffic measures; `from:` overrides) until
//! the run's end. `longest_outage` is the longest continuous time in that window during which
//! every arriving request would fail: no task serving, or every serving task about to be cut
//! before any request could finish.

mod durations;
mod sweep;
#[cfg(test)]
mod tests;

use crate::model::record::RunRecord;
use crate::model::traffic::{RequestSeries, ServingInterval, TrafficSpec};
use crate::time::SimTime;

/// The request outcomes of every service with traffic, in `specs` order.
pub fn evaluate(run: &RunRecord, specs: &[TrafficSpec]) -> Vec<RequestSeries> {
    specs.iter().map(|spec| series(run, spec)).collect()
}

/// One service's outcomes over its window.
fn series(run: &RunRecord, spec: &TrafficSpec) -> RequestSeries {
    let until = run.end_time;
    let from = spec.from.unwrap_or_else(|| deploy_done(run, &spec.service)).min(until);
    let spans: Vec<&ServingInterval> = run.serving.iter().filter(|s| *s.service == *spec.service).collect();
    let points = durations::points(&spec.request_duration);
    let changes = sweep::changes(&spans, &points, until);
    sweep::sweep(spec, &changes, points.len() as u64, (from, until))
}

/// The first instant the service had every desired replica serving (the same start as the
/// availability window), or 0 if it never did.
fn deploy_done(run: &RunRecord, service: &str) -> SimTime {
    run.timeline.iter().filter(|s| s.service == service).find(|s| s.serving >= s.desired).map_or(SimTime::ZERO, |s| s.t)
}

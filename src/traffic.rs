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
use crate::model::route::RouteState;
use crate::model::traffic::{BackendRequests, RequestSeries, ServingInterval, TrafficSpec};
use crate::time::SimTime;
use sweep::{Change, Counts, Tally};

// The world names it here (`crate::traffic::ErrorRates`); it is plain data, kept in `model`.
pub(crate) use crate::model::traffic::ErrorRates;

/// The request outcomes of every route with traffic, in `specs` order.
pub(crate) fn evaluate(run: &RunRecord, specs: &[TrafficSpec], errors: &ErrorRates) -> Vec<RequestSeries> {
    specs.iter().map(|spec| series(run, spec, errors)).collect()
}

/// What the recorded spans and routes say of one route.
struct Route<'r> {
    /// Backend services, in the order first seen.
    backends: Vec<String>,
    /// Its states over time (empty: the named service alone, all along).
    states: Vec<&'r RouteState>,
    /// The route's new version: the last image brought to any of its backends.
    new_image: Option<String>,
}

impl<'r> Route<'r> {
    fn of(routes: &'r [RouteState], images: &[(SimTime, String, String)], spec: &TrafficSpec) -> Route<'r> {
        let states: Vec<&RouteState> = routes.iter().filter(|r| r.route == spec.service).collect();
        let mut backends: Vec<String> = Vec::new();
        if !spec.route_only {
            backends.push(spec.service.clone());
        }
        for b in states.iter().flat_map(|s| &s.backends) {
            if !backends.contains(&b.service) {
                backends.push(b.service.clone());
            }
        }
        let new_image =
            images.iter().rev().find(|(_, svc, _)| backends.contains(svc)).map(|(_, _, image)| image.clone());
        Route { backends, states, new_image }
    }

    /// The changes the spans and route states make, in time order.
    fn changes(
        &self,
        spans: impl IntoIterator<Item = ServingInterval>,
        names: &crate::model::record::Names,
        spec: &TrafficSpec,
        errors: &ErrorRates,
        points: &[crate::time::SimDuration],
        until: SimTime,
    ) -> Vec<Change> {
        let mut out = Vec::new();
        if self.states.first().is_none_or(|s| s.t > SimTime::ZERO) && !spec.route_only {
            // Before anything was recorded: the named service alone (it is backend 0).
            let named = (0..self.backends.len()).map(|i| (i == 0).then_some(None)).collect();
            out.push(Change::membership(SimTime::ZERO, named));
        }
        for state in &self.states {
            let members = self
                .backends
                .iter()
                .map(|name| state.backends.iter().find(|b| &b.service == name).map(|b| b.weight))
                .collect();
            out.push(Change::membership(state.t, members));
        }
        for span in spans {
            let (service, image) = (names.get(span.service), names.get(span.image));
            let Some(backend) = self.backends.iter().position(|b| b == service) else { continue };
            let new = self.new_image.as_deref() == Some(image);
            let e = errors.get(image).copied().unwrap_or(0) as i64;
            let (s, end) = (span.start, span.end.unwrap_or(until).max(span.start));
            let v = new as i64;
            let serving = Counts { n: 1, e, v, e_new: e * v, ..Counts::default() };
            out.push(Change::counts(s, backend, serving));
            out.push(Change::counts(end, backend, Counts { n: -1, e: -e, v: -v, e_new: -e * v, ..Counts::default() }));
            let Some(cut) = span.cut else { continue };
            // A request of duration d arriving after cut − d is still running at the cut.
            let mut doomed = 0;
            for d in points {
                let from = SimTime(cut.0.saturating_sub(d.0));
                if from < end {
                    out.push(Change::counts(from.max(s), backend, Counts { m: 1, m_new: v, ..Counts::default() }));
                    doomed += 1;
                }
            }
            if doomed > 0 {
                out.push(Change::counts(end, backend, Counts { m: -doomed, m_new: -doomed * v, ..Counts::default() }));
            }
        }
        // Stable and by time only: all changes at one instant apply before the next segment.
        out.sort_by_key(|c| c.t);
        out
    }
}

/// One route's outcomes over its window.
fn series(run: &RunRecord, spec: &TrafficSpec, errors: &ErrorRates) -> RequestSeries {
    let until = run.end_time;
    let route = Route::of(&run.routes, &run.image_changes, spec);
    let from = spec.from.unwrap_or_else(|| deploy_done(run, &route)).min(until);
    let points = durations::points(&spec.request_duration);
    let changes = route.changes(run.serving.iter(), &run.names, spec, errors, &points, until);
    let swept = sweep::sweep(spec, &changes, route.backends.len(), points.len() as u64, (from, until));
    RequestSeries {
        service: spec.service.clone(),
        from,
        until,
        buckets: swept.buckets,
        longest_outage: swept.longest_outage.0,
        longest_outage_at: swept.longest_outage.1,
        new_image: route.new_image.clone(),
        to_new: Tally::whole(swept.total.to_new),
        new_failed: Tally::whole(swept.total.new_failed),
        backends: route
            .backends
            .iter()
            .zip(&swept.per_backend)
            .map(|(name, t)| BackendRequests {
                service: name.clone(),
                total: Tally::whole(t.ok + t.failed),
                failed: Tally::whole(t.failed),
            })
            .collect(),
    }
}

/// Requests a route sent to one of its backends in `[from, until)`, and how many failed: what
/// a canary analysis measures while the run goes on (from the spans recorded so far; spans
/// still open are taken as serving until `until`).
pub(crate) fn measure(
    (spans, names): (&crate::model::record::ServingLog, &crate::model::record::Names),
    routes: &[RouteState],
    images: &[(SimTime, String, String)],
    spec: &TrafficSpec,
    errors: &ErrorRates,
    backend: &str,
    (from, until): (SimTime, SimTime),
) -> (u64, u64) {
    let route = Route::of(routes, images, spec);
    let Some(index) = route.backends.iter().position(|b| b == backend) else { return (0, 0) };
    let points = durations::points(&spec.request_duration);
    // Only the route's spans still serving in the window matter (this runs during the run,
    // once per measurement: it must not grow with everything recorded so far more than it must).
    let live = spans
        .iter()
        .filter(|s| s.end.is_none_or(|e| e >= from) && route.backends.iter().any(|b| **b == *names.get(s.service)));
    let changes = route.changes(live, names, spec, errors, &points, until);
    let swept = sweep::sweep(spec, &changes, route.backends.len(), points.len() as u64, (from, until));
    let t = swept.per_backend[index];
    (Tally::whole(t.ok + t.failed), Tally::whole(t.failed))
}

/// The first instant the route's backends present at the start had every desired replica
/// serving (the same start as the availability window), or 0 if that never happened.
fn deploy_done(run: &RunRecord, route: &Route<'_>) -> SimTime {
    let initial: Vec<&str> = match route.states.first() {
        Some(s) => s.backends.iter().map(|b| b.service.as_str()).collect(),
        None => route.backends.iter().map(String::as_str).collect(),
    };
    initial
        .iter()
        .map(|service| {
            run.timeline
                .iter()
                .filter(|s| *s.service == **service)
                .find(|s| s.serving >= s.desired)
                .map_or(SimTime::ZERO, |s| s.t)
        })
        .max()
        .unwrap_or(SimTime::ZERO)
}

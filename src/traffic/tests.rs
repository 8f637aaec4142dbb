//! Tests of the traffic model on hand-made serving spans; every expected number is worked out
//! by hand in the comments.

use std::sync::Arc;

use super::evaluate;
use crate::model::record::{Name, RunRecord};
use crate::model::traffic::{Overload, RequestSeries, ServingEnd, ServingInterval, TrafficSpec};
use crate::report::fixtures::{MS, S, empty_run};
use crate::rng::Dist;
use crate::time::{SimDuration, SimTime};

/// Every name the spans here carry: [`run_until`]'s runs hold them in this order.
const NAMES: [&str; 7] = ["web_web", "t", "app:1", "web_db", "web_web-canary", "app:2", "web_web-green"];

/// The [`Name`] of one of [`NAMES`].
fn name(text: &str) -> Name {
    Name(NAMES.iter().position(|n| *n == text).expect("a name of NAMES") as u32)
}

/// A span of `web_web` from `start` to `end` (ns; `None` = still serving), cut at `cut`.
fn span(start: u64, end: Option<u64>, cut: Option<u64>) -> ServingInterval {
    let ended_by = end.map(|e| if cut == Some(e) { ServingEnd::Exited } else { ServingEnd::Unbound });
    ServingInterval {
        service: name("web_web"),
        task_id: name("t"),
        image: name("app:1"),
        start: SimTime(start),
        end: end.map(SimTime),
        ended_by,
        cut: cut.map(SimTime),
    }
}

/// `rate_milli` from 0, fixed `duration`, unlimited capacity, window from 0.
fn spec(rate_milli: u64, duration: u64) -> TrafficSpec {
    TrafficSpec {
        service: "web_web".into(),
        route_only: false,
        rate: vec![(SimTime::ZERO, rate_milli)],
        request_duration: Dist::Fixed(SimDuration(duration)),
        capacity_per_task: None,
        overload: Overload::Reject,
        from: Some(SimTime::ZERO),
    }
}

fn run_until(end: u64, serving: Vec<ServingInterval>) -> RunRecord {
    let mut run = empty_run();
    run.end_time = SimTime(end);
    run.names = NAMES.iter().map(|n| Arc::from(*n)).collect();
    run.serving = serving.into();
    run
}

fn one(run: &RunRecord, spec: TrafficSpec) -> RequestSeries {
    evaluate(run, &[spec], &Default::default()).remove(0)
}

/// (ok, failed) per bucket.
fn counts(s: &RequestSeries) -> Vec<(u64, u64)> {
    s.buckets.iter().map(|b| (b.ok, b.failed)).collect()
}

#[test]
fn nothing_serving_is_an_outage() {
    // 100 rps. Task A serves [0, 3.5 s) and drains 50 ms requests in 50 ms (cut 3.55 s: no
    // request is still running then); task B serves from 5.25 s. Window [0, 10 s).
    // [3,4): 3.0–3.5 served (50 ok), 3.5–4.0 nothing serves (50 failed); [4,5): 100 failed;
    // [5,6): 5.0–5.25 failed (25), 5.25–6.0 ok (75). Outage 3.5 → 5.25 = 1.75 s.
    let run = run_until(10 * S, vec![span(0, Some(3_500 * MS), Some(3_550 * MS)), span(5_250 * MS, None, None)]);
    let s = one(&run, spec(100_000, 50 * MS));
    let want = [(100, 0), (100, 0), (100, 0), (50, 50), (0, 100), (75, 25), (100, 0), (100, 0), (100, 0), (100, 0)];
    assert_eq!(counts(&s), want);
    assert_eq!((s.total(), s.failed()), (1_000, 175));
    assert_eq!(s.longest_outage, SimDuration(1_750 * MS));
    assert_eq!(s.longest_outage_at, Some(SimTime(3_500 * MS)));
    assert_eq!(s.buckets[3].t, SimTime(3 * S));
}

#[test]
fn sigkill_drops_the_requests_still_in_flight() {
    // 10 rps over A [0, 10 s) and B [0, 4 s), 5 rps each. B ignores SIGTERM and is killed at
    // 6 s (grace 2 s); requests take 3 s, so B's arrivals after 6 − 3 = 3 s are still running
    // at 6 s: 5 rps × 1 s = 5 failed, all in [3,4). A serves throughout: no outage.
    let run = run_until(10 * S, vec![span(0, None, None), span(0, Some(4 * S), Some(6 * S))]);
    let s = one(&run, spec(10_000, 3 * S));
    assert_eq!(counts(&s)[2..5], [(10, 0), (5, 5), (10, 0)]);
    assert_eq!((s.total(), s.failed()), (100, 5));
    assert_eq!((s.longest_outage, s.longest_outage_at), (SimDuration::ZERO, None));
}

#[test]
fn a_crash_kills_in_flight_requests_and_doomed_arrivals_count_as_outage() {
    // 10 rps on one task that crashes at 2.5 s (cut = end); requests take 200 ms. Arrivals in
    // (2.3, 2.5) cannot finish: 2 failed, and every arrival fails from 2.3 s on (doomed, then
    // nothing serving) until the end at 4 s: outage 1.7 s. [2,3): 3 ok (2.0–2.3), 2 + 5 failed.
    let run = run_until(4 * S, vec![span(0, Some(2_500 * MS), Some(2_500 * MS))]);
    let s = one(&run, spec(10_000, 200 * MS));
    assert_eq!(counts(&s), [(10, 0), (10, 0), (3, 7), (0, 10)]);
    assert_eq!(s.longest_outage, SimDuration(1_700 * MS));
    assert_eq!(s.longest_outage_at, Some(SimTime(2_300 * MS)));
}

#[test]
fn reject_refuses_what_exceeds_capacity() {
    // 100 rps, 30 rps per task. Two tasks until 2 s: 60 served, 40 refused per second; then one
    // (unbound, never cut in the run): 30 served, 70 refused.
    let run = run_until(4 * S, vec![span(0, None, None), span(0, Some(2 * S), None)]);
    let spec = TrafficSpec { capacity_per_task: Some(30_000), ..spec(100_000, 50 * MS) };
    let s = one(&run, spec);
    assert_eq!(counts(&s), [(60, 40), (60, 40), (30, 70), (30, 70)]);
    assert_eq!(s.longest_outage, SimDuration::ZERO);
}

#[test]
fn queue_waits_up_to_the_timeout_then_drops() {
    // One task, 50 rps capacity, timeout 1 s: the queue holds at most 50 × 1 = 50 requests.
    // 80 rps for 2 s, then 0. [0,1): 50 served, queue 30. [1,2): queue would reach 60 → 10
    // dropped, 50 served, queue 50. [2,3): no arrivals, the queue drains: 50 served. [3,4): 0.
    // 160 arrived = 150 ok + 10 failed.
    let run = run_until(4 * S, vec![span(0, None, None)]);
    let spec = TrafficSpec {
        rate: vec![(SimTime::ZERO, 80_000), (SimTime(2 * S), 0)],
        capacity_per_task: Some(50_000),
        overload: Overload::Queue { timeout: SimDuration::from_secs(1) },
        ..spec(0, 50 * MS)
    };
    let s = one(&run, spec);
    assert_eq!(counts(&s), [(50, 0), (50, 10), (50, 0), (0, 0)]);
}

#[test]
fn losing_capacity_times_out_the_queue_beyond_the_new_limit() {
    // Two tasks of 50 rps, 150 rps offered, timeout 500 ms: limit 100 × 0.5 = 50 queued.
    // [0,1): 100 served, the queue grows by 50 to exactly 50. At 1 s one task leaves: limit
    // 25, so 25 time out at once; [1,2): 50 served, 100 more than capacity arrive → 100
    // dropped, queue stays 25, served after the end (counted ok in the last second).
    // 300 arrived = 100 + 50 + 25 ok + 125 failed.
    let run = run_until(2 * S, vec![span(0, None, None), span(0, Some(S), None)]);
    let spec = TrafficSpec {
        capacity_per_task: Some(50_000),
        overload: Overload::Queue { timeout: SimDuration::from_millis(500) },
        ..spec(150_000, 50 * MS)
    };
    let s = one(&run, spec);
    assert_eq!(counts(&s), [(100, 0), (75, 125)]);
}

#[test]
fn fractional_counts_round_cumulatively() {
    // 0.5 rps: cumulative 0.5, 1.0, 1.5, 2.0 round (half up) to 1, 1, 2, 2, so the buckets are
    // 1, 0, 1, 0 and add up to the exact total of 2.
    let run = run_until(4 * S, vec![span(0, None, None)]);
    let s = one(&run, spec(500, 50 * MS));
    assert_eq!(counts(&s), [(1, 0), (0, 0), (1, 0), (0, 0)]);
}

#[test]
fn random_durations_use_their_quantiles() {
    // Uniform [0, 6.4 s] stands for 64 values 0.05 × (2i + 1) s. One task crashes at 7 s with
    // 64 rps: a request of duration d is lost if it arrived after 7 − d, so 64 × Σd/64 = Σd =
    // 0.05 × 64² = 204.8 are lost — exactly rate × mean duration (64 × 3.2). 448 arrived:
    // 243.2 ok (243) and 204.8 failed (205). All 64 values are doomed only in the last 50 ms.
    let run = run_until(7 * S, vec![span(0, Some(7 * S), Some(7 * S))]);
    let spec =
        TrafficSpec { request_duration: Dist::Uniform(SimDuration::ZERO, SimDuration(6_400 * MS)), ..spec(64_000, 0) };
    let s = one(&run, spec);
    assert_eq!((s.total(), s.failed()), (448, 205));
    assert_eq!(s.longest_outage, SimDuration(50 * MS));
}

#[test]
fn the_window_starts_once_the_deploy_is_done_and_spans_of_other_services_are_ignored() {
    // No `from`: the window starts at the first sample with every desired replica serving
    // (2.5 s); the run ends at 4.5 s. 10 rps: [2,3) 5, [3,4) 10, [4,5) 5.
    let mut run = run_until(4_500 * MS, vec![span(2_500 * MS, None, None)]);
    let mut other = span(0, Some(S), Some(S));
    other.service = name("web_db");
    run.serving.push(other);
    run.timeline = vec![
        crate::report::fixtures::sample("web_web", 0, 1, 0),
        crate::report::fixtures::sample("web_web", 2_500 * MS, 1, 1),
    ]
    .into();
    let s = one(&run, TrafficSpec { from: None, ..spec(10_000, 50 * MS) });
    assert_eq!(s.from, SimTime(2_500 * MS));
    assert_eq!(counts(&s), [(5, 0), (10, 0), (5, 0)]);
}

#[test]
fn a_rate_profile_is_piecewise_constant() {
    // 0 before 1 s, 10 rps from 1 s, 30 rps from 2.5 s: [0,1) 0, [1,2) 10, [2,3) 5 + 15.
    let run = run_until(3 * S, vec![span(0, None, None)]);
    let spec = TrafficSpec { rate: vec![(SimTime(S), 10_000), (SimTime(2_500 * MS), 30_000)], ..spec(0, 50 * MS) };
    assert_eq!(counts(&one(&run, spec)), [(0, 0), (10, 0), (20, 0)]);
}

/// A span of `service` running `image`, serving from `start` to `end` (ns), never cut.
fn span_of(service: &str, image: &str, start: u64, end: Option<u64>) -> ServingInterval {
    ServingInterval {
        service: name(service),
        image: name(image),
        ended_by: end.map(|_| ServingEnd::Unbound),
        ..span(start, end, None)
    }
}

/// The route `web_web` with these backends from `t` (ns) on.
fn route_state(t: u64, backends: &[(&str, Option<u64>)]) -> crate::model::route::RouteState {
    crate::model::route::RouteState {
        t: SimTime(t),
        route: "web_web".into(),
        backends: backends
            .iter()
            .map(|(s, w)| crate::model::route::Backend { service: s.to_string(), weight: *w })
            .collect(),
    }
}

#[test]
fn replica_ratio_routing_spreads_requests_over_every_serving_task_of_every_backend() {
    // 90 rps. Stable: 2 tasks of app:1 all along; canary (app:2, labelled for the route from
    // 0): 1 task from 2 s. [0,2): 2 tasks, nothing to the canary. [2,4): 3 tasks, the canary
    // answers a third: 30 rps × 2 s = 60 requests, 20 % of them errors (12).
    let mut run = run_until(
        4 * S,
        vec![
            span_of("web_web", "app:1", 0, None),
            span_of("web_web", "app:1", 0, None),
            span_of("web_web-canary", "app:2", 2 * S, None),
        ],
    );
    run.routes = vec![route_state(0, &[("web_web", None), ("web_web-canary", None)])];
    run.image_changes = vec![(SimTime(S), "web_web-canary".into(), "app:2".into())];
    let errors = [("app:2".to_string(), 200_000)].into_iter().collect();
    let s = evaluate(&run, &[spec(90_000, 50 * MS)], &errors).remove(0);
    assert_eq!((s.total(), s.failed()), (360, 12));
    assert_eq!((s.new_image.as_deref(), s.to_new, s.new_failed), (Some("app:2"), 60, 12));
    let canary = s.backends.iter().find(|b| b.service == "web_web-canary").unwrap();
    assert_eq!((canary.total, canary.failed), (60, 12));
    assert_eq!(counts(&s), [(90, 0), (90, 0), (84, 6), (84, 6)]);
}

#[test]
fn weighted_routing_splits_by_weight_and_a_backend_with_nothing_serving_fails_its_share() {
    // 100 rps. Blue (app:1, 1 task) weighs 90, green (app:2) 10 from 0; green's only task
    // serves from 1 s. [0,1): green's 10 % fails (no task): 10 failed, 90 ok. [1,3): 90 + 10
    // ok. At 3 s the weights flip to blue 0, green 100: [3,4): 100 to green.
    let mut run =
        run_until(4 * S, vec![span_of("web_web", "app:1", 0, None), span_of("web_web-green", "app:2", S, None)]);
    run.routes = vec![
        route_state(0, &[("web_web", Some(90)), ("web_web-green", Some(10))]),
        route_state(3 * S, &[("web_web", Some(0)), ("web_web-green", Some(100))]),
    ];
    run.image_changes = vec![(SimTime::ZERO, "web_web-green".into(), "app:2".into())];
    let s = evaluate(&run, &[spec(100_000, 50 * MS)], &Default::default()).remove(0);
    assert_eq!(counts(&s), [(90, 10), (100, 0), (100, 0), (100, 0)]);
    // The new version answered 10 + 10 + 100 requests (its failed share in [0,1) reached no
    // task, so it is not counted as answered by it)...
    assert_eq!(s.to_new, 120);
    // ...but the green backend was sent 130, of which 10 failed.
    let green = s.backends.iter().find(|b| b.service == "web_web-green").unwrap();
    assert_eq!((green.total, green.failed), (130, 10));
}

#[test]
fn a_backend_outside_the_route_gets_no_requests() {
    // Green serves from 0 but joins the route only at 2 s (a blue-green switch by labels):
    // before that it answers nothing.
    let mut run =
        run_until(4 * S, vec![span_of("web_web", "app:1", 0, None), span_of("web_web-green", "app:2", 0, None)]);
    run.routes = vec![
        route_state(0, &[("web_web", None)]),
        route_state(2 * S, &[("web_web", Some(0)), ("web_web-green", Some(100))]),
    ];
    run.image_changes = vec![(SimTime::ZERO, "web_web-green".into(), "app:2".into())];
    let s = evaluate(&run, &[spec(10_000, 50 * MS)], &Default::default()).remove(0);
    assert_eq!((s.total(), s.failed(), s.to_new), (40, 0, 20));
}

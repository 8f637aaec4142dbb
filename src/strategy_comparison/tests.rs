//! Comparison figures on hand-built runs whose every number is worked out in the comments, and
//! the table they make.

use super::figures::{Aggregate, HEADER, Row, csv};
use crate::model::record::RunRecord;
use crate::model::route::{Backend, RouteState};
use crate::model::strategy::{PhaseChange, StrategyRecord};
use crate::model::traffic::{ServingEnd, ServingInterval, TrafficSpec};
use crate::report::Ratio;
use crate::report::fixtures::{S, empty_run, sample, service};
use crate::time::{SimDuration, SimTime};

fn span(run: &mut RunRecord, service: &str, image: &str, start: u64, end: Option<u64>) -> ServingInterval {
    ServingInterval {
        service: run.intern(service),
        task_id: run.intern("t"),
        image: run.intern(image),
        start: SimTime(start * S),
        end: end.map(|e| SimTime(e * S)),
        ended_by: end.map(|_| ServingEnd::Unbound),
        cut: None,
    }
}

fn state(t: u64, backends: &[(&str, Option<u64>)]) -> RouteState {
    RouteState {
        t: SimTime(t * S),
        route: "web_web".into(),
        backends: backends.iter().map(|(s, w)| Backend { service: s.to_string(), weight: *w }).collect(),
    }
}

/// `serving` running tasks of `service` at `t` s (desired `desired`, `starting` on their way).
fn running(service: &str, t: u64, desired: u64, serving: u64, starting: u64) -> crate::model::record::TimelineSample {
    let mut s = sample(service, t * S, desired, serving);
    s.running_old = serving;
    s.healthy_old = serving;
    s.starting = starting;
    s
}

/// A blue-green of 2 replicas at 10 rps: blue (app:1) serves from 0; at 30 s green (app:2) is
/// created, starting 2 tasks that serve from 40 s; at 50 s the router switches (green 100,
/// blue 0); blue is removed at 80 s (its tasks stop serving then). The run ends at 100 s.
fn blue_green_run() -> RunRecord {
    let mut run = empty_run();
    run.end_time = SimTime(100 * S);
    run.services = vec![service("web_web", 2), service("web_web-green", 2)];
    run.services[0].removed_at = Some(SimTime(80 * S));
    run.services[1].created_at = SimTime(30 * S);
    run.serving = vec![
        span(&mut run, "web_web", "app:1", 0, Some(80)),
        span(&mut run, "web_web", "app:1", 0, Some(80)),
        span(&mut run, "web_web-green", "app:2", 40, None),
        span(&mut run, "web_web-green", "app:2", 40, None),
    ]
    .into();
    run.timeline = vec![
        running("web_web", 0, 2, 2, 0),
        running("web_web-green", 30, 2, 0, 2),
        running("web_web-green", 40, 2, 2, 0),
        running("web_web", 80, 0, 0, 0),
    ]
    .into();
    // Containers: blue's two from 0 until they exit at 80 s; green's two from 35 s (starting).
    run.containers = [(SimTime::ZERO, 2), (SimTime(35 * S), 2), (SimTime(80 * S), -2)].into_iter().collect();
    run.routes =
        vec![state(30, &[("web_web", None)]), state(50, &[("web_web", Some(0)), ("web_web-green", Some(100))])];
    run.image_changes = vec![(SimTime(30 * S), "web_web-green".into(), "app:2".into())];
    run.strategies = vec![StrategyRecord {
        strategy: "blue_green".into(),
        service: "web_web".into(),
        new_service: "web_web-green".into(),
        image: "app:2".into(),
        route: "web_web".into(),
        started_at: SimTime(30 * S),
        phases: vec![PhaseChange { t: SimTime(50 * S), phase: "switched".into(), message: String::new() }],
        outcome: Some("completed".into()),
        message: String::new(),
        ended_at: Some(SimTime(80 * S)),
    }];
    let traffic = TrafficSpec {
        service: "web_web".into(),
        route_only: false,
        rate: vec![(SimTime::ZERO, 10_000)],
        request_duration: crate::rng::Dist::Fixed(SimDuration(50_000_000)),
        capacity_per_task: None,
        overload: crate::model::traffic::Overload::Reject,
        from: Some(SimTime::ZERO),
    };
    run.requests = crate::traffic::evaluate(&run, &[traffic], &Default::default());
    run
}

#[test]
fn a_blue_green_run_reads_as_worked_out_by_hand() {
    let r = Row::of_run(&blue_green_run(), SimTime(30 * S));
    // Only green is routed from the switch at 50 s: 20 s after the start at 30 s.
    assert_eq!(r.time_to_fully_new, Some(SimDuration::from_secs(20)));
    // 2 blue containers in the steady state; from 35 s (green starting) to 80 s also 2 green: 2 extra.
    assert_eq!(r.peak_extra_tasks, 2);
    // Two tasks are routed at every instant (blue until 50 s, then green).
    assert_eq!(r.min_serving_ratio, Ratio::of_sample(2, 2));
    // Never both versions at once; never back to the old one.
    assert_eq!((r.mixed, r.time_to_recover), (SimDuration::ZERO, None));
    // 10 rps: the new version answered from 50 s to 100 s, 500 requests; none failed.
    assert_eq!((r.requests_to_new, r.new_failed, r.failed_requests), (Some(500), Some(0), Some(0)));
    assert_eq!(r.outcome, "completed");
}

#[test]
fn a_switch_back_recovers_when_the_new_version_stops_answering() {
    // The same run, but at 60 s the router switches back (blue weight dropped, green out of
    // the route) and green is removed; blue keeps serving to the end.
    let mut run = blue_green_run();
    let mut spans: Vec<_> = run.serving.iter().collect();
    spans[0].end = None;
    spans[1].end = None;
    spans[2].end = Some(SimTime(60 * S));
    spans[3].end = Some(SimTime(60 * S));
    run.serving = spans.into();
    run.services[0].removed_at = None;
    run.timeline.pop();
    run.routes.push(state(60, &[("web_web", None)]));
    run.strategies[0].outcome = Some("switched_back".into());
    let r = Row::of_run(&run, SimTime(30 * S));
    assert_eq!(r.outcome, "switched_back");
    assert_eq!(r.time_to_fully_new, None);
    // The last instant the new version answered was 60 s: 30 s after the start.
    assert_eq!(r.time_to_recover, Some(SimDuration::from_secs(30)));
}

#[test]
fn summaries_count_outcomes_and_average_over_seeds() {
    let one = |outcome: &str, extra: u64, new: Option<u64>| Row {
        outcome: outcome.into(),
        time_to_fully_new: new.map(SimDuration::from_secs),
        peak_extra_tasks: extra,
        min_serving_ratio: Ratio::of_sample(9, 10),
        failed_requests: Some(4),
        requests_to_new: Some(100),
        new_failed: Some(0),
        mixed: SimDuration::from_secs(10),
        time_to_recover: None,
    };
    let s = Aggregate::of("canary", &[one("completed", 2, Some(20)), one("aborted", 4, None)]);
    assert_eq!(s.outcome_text(), "completed 1/2, aborted 1/2");
    let cells = s.cells();
    assert_eq!(cells.len(), HEADER.len());
    // Fully new in 1 of the 2 runs (20 s); 3 extra tasks on average; the lowest ratio.
    assert_eq!((cells[3].as_str(), cells[4].as_str()), ("20.000", "1"));
    assert_eq!((cells[5].as_str(), cells[6].as_str()), ("3.000", "0.9000"));
    assert_eq!((cells[11].as_str(), cells[12].as_str()), ("", "0"), "no run recovered");
    let single = Aggregate::of("rolling", &[one("completed", 2, Some(20))]);
    assert_eq!(single.cells()[2..6], ["completed", "20.000", "1", "2"]);
    let text = String::from_utf8(csv(&[single])).unwrap();
    assert!(text.starts_with("strategy,runs,outcome,time_to_fully_new_s,fully_new_runs,"), "{text}");
}

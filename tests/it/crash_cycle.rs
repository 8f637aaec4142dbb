//! One crash-loop cycle, phase by phase (`tests/data/fidelity/observations.md` § 14): the
//! container exits, its task's FAILED is reported (`exit_report`), the dispatcher commits it with
//! its next status batch and the restart supervisor creates the replacement at that commit
//! (swarmkit `restart.go` `Restart`), whose `DelayStart` timer starts in the same transaction,
//! so desired RUNNING comes exactly the restart delay after the creation.
//!
//! What the recordings show and a fixed chain of latencies did not: the report lands anywhere in
//! the 100 ms batch (FAILED → replacement created, run medians 30–84 ms), where with every
//! latency fixed each cycle was the same whole number of batches and every report waited the
//! same time (2 ms or 98 ms, whichever side of a batch the chain's sum fell).

use std::collections::BTreeMap;
use std::path::Path;

use deploysim::model::record::{ProcessChange, RunRecord};
use deploysim::model::task::TaskState;

/// One replica of the recorded crash image (s34–s39's `websim:crash`), restart delay 1 s.
fn crash_loop(races: &str) -> deploysim::model::scenario::Scenario {
    let yaml = format!(
        "services:\n  web:\n    image: crash:1\n    deploy:\n      replicas: 1\n      restart_policy: \
         {{condition: any, delay: 1s}}\nx-simulation:\n  stack: t\n  until: 60s\n  races: {races}\n  images:\n    \
         crash:1: {{cached: true, start: 273ms, exit: {{code: 1, after: 1028ms}}}}\n"
    );
    deploysim::scenario::load_str(&yaml, Path::new("crash-loop.yml")).expect("valid scenario")
}

/// Per task, in creation order: (created, desired RUNNING, exited, FAILED), in seconds.
fn cycles(run: &RunRecord) -> Vec<(f64, f64, f64, f64)> {
    let secs = |t: deploysim::time::SimTime| t.0 as f64 / 1e9;
    let mut tasks: BTreeMap<String, [Option<f64>; 4]> = BTreeMap::new();
    for e in run.events() {
        let row = tasks.entry(e.task_id.to_string()).or_default();
        let t = secs(e.t);
        if e.state == TaskState::New {
            row[0].get_or_insert(t);
        }
        if e.desired_state == TaskState::Running && e.state < TaskState::Running {
            row[1].get_or_insert(t);
        }
        if e.state == TaskState::Failed {
            row[3].get_or_insert(t);
        }
    }
    for p in run.process_events.iter() {
        if p.change == ProcessChange::Exited(1)
            && let Some(row) = tasks.get_mut(run.name(p.task_id))
        {
            row[2].get_or_insert(secs(p.t));
        }
    }
    let mut done: Vec<_> = tasks.values().filter_map(|r| Some((r[0]?, r[1]?, r[2]?, r[3]?))).collect();
    done.sort_by(|a, b| a.0.total_cmp(&b.0));
    done
}

/// (exit report, FAILED → replacement created, created → desired RUNNING) of every cycle.
fn phases(scenario: &deploysim::model::scenario::Scenario, seeds: std::ops::RangeInclusive<u64>) -> Vec<[f64; 3]> {
    let mut out = Vec::new();
    for seed in seeds {
        let run = deploysim::commands::simulate::simulate(scenario.clone(), Some(seed), &Default::default());
        let c = cycles(&run);
        assert!(c.len() >= 15, "seed {seed}: a 60 s crash loop of ~2.5 s cycles, got {} tasks", c.len());
        for (prev, next) in c.iter().zip(&c[1..]) {
            out.push([prev.3 - prev.2, next.0 - prev.3, next.1 - next.0]);
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn a_crash_loops_replacement_waits_for_the_next_status_batch_at_a_drawn_point_of_it() {
    let p = phases(&crash_loop("random"), 1..=10);
    // `DelayStart`'s timer starts with the restart's transaction: desired RUNNING exactly the
    // restart delay after the replacement's creation.
    assert!(p.iter().all(|x| (x[2] - 1.0).abs() < 1e-6), "created → desired RUNNING: {p:?}");
    // The replacement comes with the first batch after the report reaches the dispatcher
    // (`status_report`, 2 ms): never before the report, never more than a batch after it.
    let restart: Vec<f64> = p.iter().map(|x| x[1]).collect();
    assert!(restart.iter().all(|&d| (0.0..=0.1025).contains(&d)), "FAILED → created: {restart:?}");
    // ...and at every point of that batch, as recorded, not always the same one.
    let (lo, hi) = restart.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &d| (lo.min(d), hi.max(d)));
    assert!(lo < 0.02 && hi > 0.08, "FAILED → created spans the batch: {lo:.3}..{hi:.3}");
    let m = median(restart);
    assert!((0.025..=0.075).contains(&m), "FAILED → created median {m:.3} (recorded run medians 0.030–0.084)");
    // The exit report itself is drawn around its recorded median, 70 ms.
    let report: Vec<f64> = p.iter().map(|x| x[0]).collect();
    let m = median(report.clone());
    assert!((m - 0.070).abs() < 0.008, "exit → FAILED median {m:.3}");
    assert!(report.iter().any(|&d| d < 0.055) && report.iter().any(|&d| d > 0.09), "drawn: {report:?}");
}

#[test]
fn with_races_fixed_every_exit_is_reported_at_the_median_and_every_cycle_is_the_same() {
    let p = phases(&crash_loop("fixed"), 1..=3);
    assert!(p.iter().all(|x| (x[0] - 0.070).abs() < 1e-6), "exit → FAILED at 70 ms: {p:?}");
    // From the first restart on, each cycle is the same fixed chain from a batch commit to the
    // next report, so every report waits the same time for its batch (the first task's own start
    // path is another chain).
    let per_seed = p.len() / 3;
    for seed in p.chunks(per_seed) {
        let again = seed[1][1];
        assert!(seed[1..].iter().all(|x| (x[1] - again).abs() < 1e-6), "one batch phase in every cycle: {seed:?}");
    }
}

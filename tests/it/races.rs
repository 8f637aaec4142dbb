//! Races real Swarm resolves either way must come out both ways across seeds, with the default
//! latencies (Swarm's races are random by default) and with jittered ones. The s05 trace (a failed update with failure_action rollback) went two ways in two
//! real runs: in r1 the updater rolled back before the orchestrator restarted the failed tasks,
//! so their replacements already ran the old image and the rollback had nothing to do
//! (rollback_completed 2 ms after rollback_started); in r2 the orchestrator restarted the first
//! failed task with the bad image first, and the rollback updater then replaced both slots
//! (rollback_completed ~8 s later).

use crate::common;

use std::path::Path;

use deploysim::model::record::{RunRecord, UpdateState};

/// The s05 scenario with the control-plane latencies jittered within the ranges the real traces
/// show (status reports 10–60 ms, watchers 0–60 ms apart, stop signal 1.15–1.45 s, ...).
fn jittered_s05(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string("scenarios/fidelity/s05-bad-health-rollback.yml").expect("scenario");
    let jitter = "  engine: \"20.10\"\n  latencies:\n    status_report: {uniform: [10ms, 60ms]}\n    \
                  watch: {uniform: [0ms, 60ms]}\n    stop_signal: {uniform: [1.15s, 1.45s]}\n    \
                  start_begin: {uniform: [80ms, 120ms]}\n    probe: {uniform: [60ms, 80ms]}\n";
    let text = text.replacen("  engine: \"20.10\"\n", jitter, 1).replacen(
        "websim:bad-health: {cached: true, missing: true, start: 500ms",
        "websim:bad-health: {cached: true, missing: true, start: {uniform: [480ms, 520ms]}",
        1,
    );
    assert!(text.contains("watch: {uniform"), "the scenario's engine line moved: update this test");
    let path = dir.join("s05-jittered.yml");
    std::fs::write(&path, text).expect("write scenario");
    path
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// r1: the rollback had no slot left to replace.
    RestartedWithOldSpec,
    /// r2: the rollback updater replaced both failed slots.
    RollbackReplacedBoth,
    /// Anything else (e.g. one slot each way): legitimate, but neither recorded run.
    Other,
}

fn outcome(run: &RunRecord) -> Outcome {
    let update = &run.services[0].update;
    let at = |state| update.status_changes.iter().find(|c| c.state == state).map(|c| c.t);
    let (Some(started), Some(completed)) = (at(UpdateState::RollbackStarted), at(UpdateState::RollbackCompleted))
    else {
        panic!("seed {}: the update did not roll back: {:?}", run.seed, update.status_changes);
    };
    // The update replaced 2 slots (parallelism 2) before the first failure; the rollback adds
    // its own replacements to the count.
    let by_rollback = update
        .tasks_replaced
        .checked_sub(2)
        .unwrap_or_else(|| panic!("seed {}: the update replaced {} slots, not 2", run.seed, update.tasks_replaced));
    match (by_rollback, completed.since(started).as_nanos()) {
        (0, d) if d < 100_000_000 => Outcome::RestartedWithOldSpec,
        (2, _) => Outcome::RollbackReplacedBoth,
        _ => Outcome::Other,
    }
}

/// Both recorded outcomes of the s05 race appear across 40 seeds with jittered latencies too.
#[test]
fn s05_race_goes_both_ways_across_seeds_with_jittered_latencies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jittered_s05(dir.path());
    let mut seen = std::collections::BTreeMap::new();
    for seed in 1..=40 {
        let run = common::simulate_file(&path, Some(seed)).expect("simulate");
        *seen.entry(outcome(&run)).or_insert(0) += 1;
    }
    assert!(seen.contains_key(&Outcome::RestartedWithOldSpec), "r1's outcome never happened: {seen:?}");
    assert!(seen.contains_key(&Outcome::RollbackReplacedBoth), "r2's outcome never happened: {seen:?}");
}

/// With the default (fixed, calibrated) latencies the race is still random: both recorded
/// outcomes appear in seeds 1..20. With `races: fixed` every seed takes one and the same path.
#[test]
fn s05_race_is_random_by_default_and_one_path_with_races_fixed() {
    let fixed = Path::new("scenarios/fidelity/s05-bad-health-rollback.yml");
    let outcomes: Vec<Outcome> =
        (1..=20).map(|seed| outcome(&common::simulate_file(fixed, Some(seed)).expect("simulate"))).collect();
    assert!(outcomes.contains(&Outcome::RestartedWithOldSpec), "{outcomes:?}");
    assert!(outcomes.contains(&Outcome::RollbackReplacedBoth), "{outcomes:?}");

    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(fixed).expect("scenario").replacen(
        "x-simulation:\n",
        "x-simulation:\n  races: fixed\n",
        1,
    );
    let path = dir.path().join("s05-fixed.yml");
    std::fs::write(&path, text).expect("write scenario");
    let first = outcome(&common::simulate_file(&path, Some(1)).expect("simulate"));
    for seed in 2..=20 {
        let run = common::simulate_file(&path, Some(seed)).expect("simulate");
        assert_eq!(outcome(&run), first, "seed {seed}");
    }
}

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
use deploysim::time::SimTime;

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

/// `latencies.start_spread` (observations § 10): each container's start is its image's fixed
/// `start` times a log-normal factor of median 1, drawn per start from the seed; 0 (the default)
/// keeps every start exact, and an image whose `start` is a distribution is drawn from it alone.
#[test]
fn start_spread_draws_each_start_around_the_images_fixed_start() {
    fn start_times(spread: Option<&str>, start: &str, seeds: std::ops::RangeInclusive<u64>) -> Vec<f64> {
        let spread = spread.map(|s| format!("  latencies: {{start_spread: {s}}}\n")).unwrap_or_default();
        let yaml = format!(
            "services:\n  web:\n    image: web:1\n    deploy: {{replicas: 1}}\nx-simulation:\n  stack: t\n  \
             until: 10s\n{spread}  images:\n    web:1: {{cached: true, start: {start}}}\n"
        );
        let scenario = deploysim::scenario::load_str(&yaml, Path::new("spread.yml")).expect("valid scenario");
        seeds
            .map(|seed| {
                let run = deploysim::commands::simulate::simulate(scenario.clone(), Some(seed), &Default::default());
                let at = |state| {
                    run.events().find(|e| e.state == state).map(|e| e.t.0 as f64 / 1e9).expect("the task got there")
                };
                at(deploysim::model::task::TaskState::Running) - at(deploysim::model::task::TaskState::Starting)
            })
            .collect()
    }
    let exact = start_times(None, "500ms", 1..=20);
    assert!(exact.iter().all(|d| (d - 0.5).abs() < 1e-9), "no spread: every start takes 500 ms: {exact:?}");

    let mut drawn = start_times(Some("0.17"), "500ms", 1..=400);
    drawn.sort_by(f64::total_cmp);
    let q = |p: f64| drawn[(p * (drawn.len() - 1) as f64).round() as usize] / 0.5;
    // A log-normal of σ = 0.17: median 1, 10 % and 90 % at exp(∓1.2816 σ) = 0.80 and 1.24 (the
    // recorded 0.82 and 1.26); 400 draws put the sample quantiles within a few hundredths.
    assert!((q(0.5) - 1.0).abs() < 0.04, "median factor {}", q(0.5));
    assert!((q(0.1) - 0.80).abs() < 0.04, "10 % factor {}", q(0.1));
    assert!((q(0.9) - 1.24).abs() < 0.05, "90 % factor {}", q(0.9));
    assert_eq!(start_times(Some("0.17"), "500ms", 7..=7), start_times(Some("0.17"), "500ms", 7..=7), "seeded");

    let uniform = start_times(Some("0.17"), "{uniform: [400ms, 420ms]}", 1..=40);
    assert!(uniform.iter().all(|d| (0.4..=0.42).contains(d)), "an image's own distribution alone: {uniform:?}");
}

/// s05's race is decided by how far apart its first batch's two failures land (one dispatcher
/// batch or two), and that gap comes from their starts. With every start exact, it is the same
/// in every seed and the r2 path needs a rare batch phase; with the recorded start spread, more
/// seeds take it (recorded: 3 runs of 8).
#[test]
fn s05_start_spread_makes_the_r2_path_more_common_than_exact_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string("scenarios/fidelity/s05-bad-health-rollback.yml").expect("scenario");
    let spread = text.replacen("  engine: \"20.10\"\n", "  engine: \"20.10\"\n  latencies: {start_spread: 0.17}\n", 1);
    assert_ne!(spread, text, "the scenario's engine line moved: update this test");
    let path = dir.path().join("s05-spread.yml");
    std::fs::write(&path, spread).expect("write scenario");
    let count = |path: &Path| {
        let mut seen = std::collections::BTreeMap::new();
        for seed in 1..=40 {
            *seen.entry(outcome(&common::simulate_file(path, Some(seed)).expect("simulate"))).or_insert(0) += 1;
        }
        seen
    };
    let exact = count(Path::new("scenarios/fidelity/s05-bad-health-rollback.yml"));
    let drawn = count(&path);
    let r1_share = |seen: &std::collections::BTreeMap<Outcome, u32>| {
        seen.get(&Outcome::RestartedWithOldSpec).copied().unwrap_or(0)
    };
    assert!(r1_share(&drawn) < r1_share(&exact), "exact starts {exact:?}, spread starts {drawn:?}");
    assert!(r1_share(&drawn) > 0, "the common path still happens: {drawn:?}");
}

/// swarmkit `updater.go` `Run`: when a task of the update fails before RUNNING while slots
/// remain, the same store event frees its worker (`updateTask` returns) and reaches the failure
/// watch, and `Run`'s `slotsLoop` — parked in `select` on `slotQueue <- slot` and
/// `<-failedTaskWatch` since the worker took its slot — takes whichever becomes ready first. Go's
/// select is uniform only among cases ready at once; here the worker's receive comes after its
/// own watch's delivery and cancellation, so it is goroutine timing, and the recordings say how
/// often the worker wins: 6 of 21 races (`SLOT_FIRST_ON_FAILURE`, 7/23 by Laplace's rule), not
/// half. In s22b each seed has one such race, the forward update's first failure, and a seed
/// whose worker won it has updated a second slot.
#[test]
fn a_worker_freed_by_a_failure_takes_the_next_slot_in_about_7_of_23_races_not_half() {
    let path = Path::new("scenarios/fidelity/s22b-rollback-fails-pause.yml");
    let seeds = 1..=120u64;
    let n = seeds.clone().count();
    let mut second_slot = 0;
    for seed in seeds {
        let run = common::simulate_file(path, Some(seed)).expect("simulate");
        let slots = run.services[0].update.slots_updated;
        assert!(slots == 1 || slots == 2, "seed {seed}: the update took {slots} slots");
        second_slot += usize::from(slots == 2);
    }
    // 120 × 7/23 = 36.5 (σ ≈ 5); a fair coin gives 60.
    assert!((20..=50).contains(&second_slot), "the freed worker won {second_slot} of {n} races");
}

/// A stop-first step (swarmkit `manager/orchestrator/update/updater.go`, `updateTask`) creates
/// its task and sets the old one's desired state to SHUTDOWN in one store batch, then waits in
/// `restart.Supervisor.DelayStart` (`manager/orchestrator/restart/restart.go`, `waitStop`) for
/// the old task's SHUTDOWN to commit before it makes the new task desired RUNNING. The updater
/// acts on a dispatcher commit, and the old task is reported stopped ≈ 1.3 s later, within a few
/// ms of the 13th 100 ms batch after it: whether it makes that batch or waits for the 14th is
/// decided by the spread of the report (`latencies.stop_report`, drawn: recorded median 92 ms,
/// quartiles 71 / 123 ms). Recorded (s29, its 28 update steps): the new task desired RUNNING 13
/// batches after its creation (1.31-1.33 s) in 18 steps, 14 (1.37-1.42 s) in 10. With a fixed
/// report every step of every seed took 14, which held s29's 4th update step a batch behind the
/// first crash's restart: the update paused in 188 of seeds 1..200 against 3 of 7 runs.
#[test]
fn stop_first_steps_make_the_13th_or_the_14th_batch_and_s29_goes_both_ways() {
    let path = Path::new("scenarios/fidelity/s29-alternate-crash.yml");
    let (mut batches, mut states) = (std::collections::BTreeMap::new(), std::collections::BTreeMap::new());
    for seed in 1..=20 {
        let run = common::simulate_file(path, Some(seed)).expect("simulate");
        // The update's tasks (desired READY at creation) and when each was made desired RUNNING.
        let mut created = std::collections::BTreeMap::new();
        for e in run.events() {
            use deploysim::model::task::TaskState;
            if e.image != "websim:v2-alt" {
                continue;
            }
            if e.state == TaskState::New && e.desired_state == TaskState::Ready {
                created.entry(e.task_id.to_string()).or_insert(e.t);
            } else if e.desired_state == TaskState::Running
                && let Some(c) = created.remove(e.task_id)
            {
                let waited = e.t.since(c).as_nanos() as f64 / 1e8;
                // 13 or 14 batches (a restart task's 5 s delay is not a step: left out).
                if (12.5..14.5).contains(&waited) {
                    *batches.entry(waited.round() as u32).or_insert(0) += 1;
                }
            }
        }
        *states.entry(format!("{:?}", run.services[0].update.state)).or_insert(0) += 1;
    }
    assert!(batches.get(&13).copied().unwrap_or(0) > 0, "no step made the 13th batch: {batches:?}");
    assert!(batches.get(&14).copied().unwrap_or(0) > 0, "no step waited for the 14th batch: {batches:?}");
    assert!(states.len() == 2, "s29 must end completed in some seeds and paused in others: {states:?}");
}

/// `races: fixed` is one readable path whatever the seed, node faults included: the chances
/// swarmkit, gRPC and the kernel take there (a heartbeat's period and phase, an agent's backoff
/// wait, a gRPC re-dial's jitter, a cut link's address probes, a restarted manager's election)
/// take the middle of their ranges. With random races the same faults come out differently
/// across seeds (so the comparison below can tell).
#[test]
fn races_fixed_gives_one_run_whatever_the_seed_with_node_faults_too() {
    /// What a run did, task ids aside (they are drawn from the seed whatever the races).
    fn story(run: &RunRecord) -> Vec<String> {
        run.events()
            .map(|e| {
                let (t, slot, node, image, desired, state) = (e.t, e.slot, e.node, e.image, e.desired_state, e.state);
                format!("{t:?} {slot:?} {node} {image} {desired:?} {state:?} {}", e.message)
            })
            .collect()
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["m01-node-down", "m09-worker-daemon-kill", "m12-manager-restart"] {
        let random = Path::new("scenarios/fidelity").join(format!("{name}.yml"));
        let text = std::fs::read_to_string(&random).expect("scenario");
        let fixed = dir.path().join(format!("{name}-fixed.yml"));
        std::fs::write(&fixed, text.replacen("x-simulation:\n", "x-simulation:\n  races: fixed\n", 1)).expect("write");
        let stories = |path: &Path| -> Vec<Vec<String>> {
            (1..=4).map(|seed| story(&common::simulate_file(path, Some(seed)).expect("simulate"))).collect()
        };
        let random = stories(&random);
        assert!(random.iter().any(|s| *s != random[0]), "{name}: random races gave four identical runs");
        let fixed = stories(&fixed);
        for (i, s) in fixed.iter().enumerate().skip(1) {
            let first = s.iter().zip(&fixed[0]).position(|(a, b)| a != b);
            assert!(s == &fixed[0], "{name}, races: fixed: seed {} differs from seed 1 at event {first:?}", i + 1);
        }
    }
}

/// `n` seconds into the run.
fn secs(n: u64) -> SimTime {
    SimTime::ZERO.plus(deploysim::time::SimDuration::from_secs(n))
}

/// The slots an update to `image` took, in the order it took them: each slot at the first task
/// of `image` in it after `after`.
fn slots_in_update_order(run: &RunRecord, image: &str, after: SimTime) -> Vec<u64> {
    let mut order = Vec::new();
    for e in run.task_events.iter().filter(|e| e.t >= after && run.names.get(e.image) == image) {
        if !order.contains(&e.slot) {
            order.push(e.slot);
        }
    }
    order
}

/// A global service's update takes its nodes in the order of a range over the global
/// orchestrator's long-lived map of nodes (swarmkit `manager/orchestrator/global/global.go`:
/// `reconcileServices` ranges over `g.nodes`), whose cells hold the nodes in the order they
/// joined: the manager first. A range starts at a random cell of 8 and wraps, skipping empty
/// cells (Go's `mapiterinit`, `mapiternext`). In m10 the update is forced while mn-w2 is paused
/// (its task is left alone), so the manager's task leads unless the range starts at mn-w1's
/// cell: 7 times in 8 — both recorded runs updated vm first — where a shuffle gives half.
#[test]
fn a_global_update_takes_the_node_that_joined_first_7_times_in_8() {
    let path = Path::new("scenarios/fidelity/m10-global-pause-drain.yml");
    let seeds = 1..=80u64;
    let mut manager_first = 0;
    for seed in seeds.clone() {
        let run = common::simulate_file(path, Some(seed)).expect("simulate");
        // The forced update at 45 s replaces each task with one of the same image: its tasks
        // are the ones created from then on, before the drain at 60 s.
        let order: Vec<String> = {
            let mut nodes = Vec::new();
            let mut old: std::collections::BTreeSet<String> = Default::default();
            for e in run.task_events.iter().filter(|e| e.t < secs(45)) {
                old.insert(run.names.get(e.task_id).to_string());
            }
            for e in run.task_events.iter().filter(|e| e.t >= secs(45) && e.t < secs(60)) {
                let (id, node) = (run.names.get(e.task_id), run.names.get(e.node));
                if !old.contains(id) && !node.is_empty() && !nodes.iter().any(|n: &String| n == node) {
                    nodes.push(node.to_string());
                }
            }
            nodes
        };
        assert_eq!(order.len(), 2, "seed {seed}: the update replaced the tasks of {order:?}, not vm's and mn-w1's");
        manager_first += usize::from(order[0] == "vm");
    }
    // 80 × 7/8 = 70 (σ ≈ 3); a shuffle gives 40.
    assert!((60..=78).contains(&manager_first), "vm's task was updated first in {manager_first} of 80 seeds");
}

/// A scale-down hands the updater the kept slots sorted as `reconcile` sorts them to choose the
/// removed ones (`sortedSlots[:specifiedSlots]`: running slots first, then by slot number, then
/// by how many of the service's tasks share their node), not in a Go map's order: a
/// `docker service update --replicas 3 --image …` from 6 replicas on one node updates slots 1,
/// 2 and 3 in that order, whatever the seed.
#[test]
fn a_scale_down_updates_the_kept_slots_in_the_order_it_sorted_them() {
    let text = std::fs::read_to_string("scenarios/fidelity/s01-rolling-basic.yml").expect("scenario");
    let text = text
        .replacen("        parallelism: 2\n        delay: 5s", "        parallelism: 1\n        delay: 1s", 1)
        .replacen("--image websim:v2-trap fid_web", "--replicas 3 --image websim:v2-trap fid_web", 1);
    assert!(text.contains("--replicas 3") && text.contains("parallelism: 1\n        delay: 1s"), "s01 changed");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("scale-down-update.yml");
    std::fs::write(&path, text).expect("write scenario");
    for seed in 1..=12 {
        let run = common::simulate_file(&path, Some(seed)).expect("simulate");
        let order = slots_in_update_order(&run, "websim:v2-trap", secs(30));
        assert_eq!(order, [1, 2, 3], "seed {seed}");
    }
}

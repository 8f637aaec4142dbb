//! Fidelity: every scenario in scenarios/fidelity against every recorded run of a real Docker
//! 20.10 swarm in tests/data/fidelity/traces (single node `s*`, three nodes `m*`), judged as
//! `deploysim compare --seeds 1..20` judges: each real run alone, strictly (times within
//! max(0.5 s, 10 %), no widening: `--widen-by-spread` cannot tell apart race paths that leave the
//! same slot histories, so the suite never uses it), and races by seeds: a run is matched when some seed
//! reproduces it on every measure. The measures are in src/fidelity/ (the command's own code).
//!
//! Scenarios the model does not match yet are listed as open, with the reason, here and in the
//! README's fidelity table (checked below); an open case that starts to match fails too, so the
//! table is never stale. A judge that stays honest: deliberately wrong variants of matched
//! scenarios must fail, with one run and with all runs.

use crate::common;

use std::path::{Path, PathBuf};

use deploysim::commands::simulate::{SimulateOptions, simulate};
use deploysim::fidelity::trace::{self, Trace, TracePath};
use deploysim::fidelity::{Comparison, Tolerance, align, matching};
use deploysim::model::scenario::Scenario;
use deploysim::time::SimDuration;

/// The service's name in the simulation (`web` in the trace, which holds no other service).
const SIM_SERVICE: &str = "fid_web";

/// The seeds every comparison simulates.
const SEEDS: std::ops::RangeInclusive<u64> = 1..=20;

/// One recorded scenario: its runs, where its recorded action is in the simulation, and what
/// the model matches today.
struct Case {
    name: &'static str,
    runs: u32,
    /// Simulated time of the trace's t = 0, when it is not the first timeline action (a setup
    /// step comes first).
    action_at_s: Option<u64>,
    /// How many of the runs some seed reproduces today.
    matched: u32,
    /// Why the others are not, when some are not (the README says the same).
    open: &'static str,
}

const fn matched(name: &'static str, runs: u32) -> Case {
    Case { name, runs, action_at_s: None, matched: runs, open: "" }
}

const CASES: &[Case] = &[
    matched("s01-rolling-basic", 2),
    matched("s02-start-first", 2),
    matched("s03-parallelism-zero", 2),
    matched("s04-bad-health-pause", 2),
    Case {
        name: "s05-bad-health-rollback",
        runs: 14,
        action_at_s: None,
        matched: 11,
        open: "r5 and r13's path (both first-batch slots put back by the rollback alone, no bad-health task from the \
               restart supervisor) is the path of 20 of seeds 1..200 (the first is 23), none of 1..20, since the \
               slots' Go map order (fid35) shifted the race draws: the same 87 seeds of 1..200 take r2's or r5's \
               path as before, split 67/20 instead of 64/23; r12's path (held out, 2026-12-07j: the rollback \
               updater replaced both first-batch slots, the second bad-health task stopped by it while still \
               starting, so it ended shutdown, not complete) is the path of seed 148 of 1..200, none of 1..20: its \
               container started 204 ms after the first's (its health failure 21 ms after the rollback's stop of it \
               was written), which the model gives only when the two old tasks' SHUTDOWN reports (drawn) land two \
               dispatcher batches apart",
    },
    matched("s08-health-timing", 2),
    matched("s09a-slow-stop-grace10", 2),
    matched("s09b-slow-stop-grace2", 2),
    matched("s10-secret-rotate", 2),
    matched("s15-monitor-zero-bad-health", 2),
    matched("s17-bad-health-exit143", 2),
    matched("s18b-late-crash-monitor5", 2),
    matched("s19-missing-image-par1", 2),
    Case {
        name: "s20-crash-restart-delay0",
        runs: 2,
        action_at_s: None,
        matched: 0,
        open: "r1: 2 of its 24 crash-loop cycles took 0.5-0.7 s longer than the model's fixed cycle (the agent's \
               timing noise is not modelled); r2: the CLI took 1.2 s (registry digest lookup) before the update \
               began, the model's CLI is instant",
    },
    Case { name: "s21-manual-rollback-par2-delay3", runs: 5, action_at_s: Some(30), matched: 5, open: "" },
    matched("s22-rollback-of-rollback", 5),
    matched("s22b-rollback-fails-pause", 6),
    matched("s23-start-first-full-node", 2),
    matched("s23b-stop-first-full-node", 2),
    matched("s24-docker-kill-task", 2),
    matched("s25-health-flip", 2),
    matched("s26-pull-tag-not-found", 2),
    matched("s27-pull-registry-refused", 2),
    matched("s28-stack-deploy-update", 2),
    matched("s28b-bare-update-base", 2),
    matched("s29-alternate-crash", 7),
    matched("s30-stack-redeploy-identical", 2),
    matched("s31-update-restart-none", 3),
    Case {
        name: "s32-update-network-add",
        runs: 5,
        action_at_s: None,
        matched: 4,
        open: "r3's first update ran slow (its network-attaching first step took 3.80 s from creation to running \
               against 2.88-3.00 s in the other runs, its third old task was signalled 1.51 s after its replacement's \
               creation against 1.17-1.23 s): the engine's timing noise is not modelled; no seed of 1..200 reproduces it",
    },
    matched("s33-health-interval-merge", 3),
    matched("s34-reaper-crash-limit2", 3),
    matched("s35-reaper-max-attempts", 3),
    matched("s36-reaper-scale-down", 3),
    Case {
        name: "s37-reaper-limit-change",
        runs: 3,
        action_at_s: None,
        matched: 2,
        open: "r3: one crash task took 3.15 s from creation to failure against 2.52-2.60 s in every other cycle, and \
               the next deletions of both slots came as late: the engine's timing noise is not modelled",
    },
    Case {
        name: "s38-service-rm-history",
        runs: 3,
        action_at_s: None,
        matched: 2,
        open: "r2: its containers started faster than in r1 and r3 (starting to container start, median 0.22 s \
               against 0.26 s; the scenario's image says 0.32 s), so slot 1's loop was a cycle ahead at the rm (a \
               sixth failed task just before it): a run's own engine speed is not modelled",
    },
    Case {
        name: "s39-dead-slot-reconcile",
        runs: 3,
        action_at_s: None,
        matched: 2,
        open: "r1: its first cycles' containers took 0.66-0.92 s from starting to the container's start \
               (0.18-0.30 s in every other cycle of the three runs), so both loops ran 0.5-1.2 s behind the \
               model's from the first crash on and the slots do not pair: the engine's timing noise is not modelled",
    },
    Case {
        name: "s40-update-status-resets",
        runs: 3,
        action_at_s: None,
        matched: 2,
        open: "r3: its third update step ran slow (the old task's SIGTERM 1.66 s after its replacement's creation \
               against 1.17-1.32 s in the other eight steps, its exit 272 ms after the signal against 26-65 ms), so \
               that slot's old task shut down 1.30 s and its replacement ran 1.35 s later than the model's: the \
               engine's timing noise is not modelled; every UpdateStatus row of all three runs matches",
    },
    // r1, r3, r4's `die` of the old container is from their own dockerd log (the stream lost it; repaired
    // 2026-12-07n), r5's from the recorder's docker inspect fallback.
    matched("s41-daemon-restart-sigterm-ignored", 8),
    // A task told a new desired state while its image pull is in flight (2026-12-07l, a slow registry).
    matched("s42-pull-then-stop-first", 3),
    matched("s42b-short-pull-then-stop-first", 5),
    matched("s42c-quick-pull-then-stop-first", 2),
    matched("s43-shutdown-while-pulling", 3),
    Case {
        name: "s43b-shutdown-pull-ends-in-retry",
        runs: 3,
        action_at_s: None,
        matched: 2,
        open: "r1: one API poll (mid-request 3.107 s) caught the UpdateStatus none that controlapi's UpdateService \
               writes with the second spec (3.055 s) before the updater's updating (3.078 s), a row the model's \
               UpdateStatus changes never have; every task measure of the three runs is within tolerance",
    },
    // A READY task (waiting for its delayed start) shut down by a newer update (2026-12-07m).
    matched("s44-ready-task-shutdown-stack", 2),
    matched("s44b-ready-task-shutdown-bare", 2),
    // The order of an update's slots past 8 (a Go map of several buckets) (2026-12-08).
    Case {
        name: "s45-update-order-16-par1",
        runs: 6,
        action_at_s: None,
        matched: 5,
        open: "r6 was a slow run (its first seven steps took 3.05-3.40 s, the model's 2.9 s, the other runs' \
               2.7-3.3 s; other sessions' niced builds held 57 % of the two cores): three task times of its eighth \
               and ninth steps are 0.05-0.14 s past the tolerance. The slot order itself is not what compare judges \
               (it pairs slots by their histories): all six recorded orders fit a Go 1.19 map range \
               (notes/rec34_order.py; a uniform order fits in 0 of 2000 draws), recording-2026-12-08.md",
    },
    Case {
        name: "s46-update-order-40-par1",
        runs: 8,
        action_at_s: None,
        matched: 0,
        open: "r1-r5 ran on a machine other sessions' builds saturated; r6-r8 (recording-2026-12-08d.md) on a quiet \
               one, and the two cores were busier still (idle 8-14 % over each call, nothing niced): the 40 \
               containers' 1 s health probes with dockerd and containerd saturate them by themselves. A step took \
               3.3-4.0 s (median; 3.5-4.1 s in r1, r4, r5; 2.9-3.1 s with 16 slots, s45, and in the model), so the \
               step times drift from the start (best 44-75 % of measures); in r2, r3 and r6 a stall failed 10-35 \
               health checks at once (t = 57 s, 45 s, 19.5 s: restarts, r2 paused). The five undisturbed orders \
               (r1, r4, r5, r7, r8) fit a Go 1.19 map range over 8 buckets (recording-2026-12-08.md, -08d.md)",
    },
    matched("m01-node-down", 5),
    matched("m02-drain", 2),
    matched("m03-update-spread", 2),
    Case {
        name: "m06-node-down-before-update",
        runs: 2,
        action_at_s: None,
        matched: 1,
        open: "r2 is a rare path (the three slots before the silent node's, the heartbeat deadline after the \
               fourth slot was placed there, and the freed worker winning the select): no seed of 1..200 reproduces \
               it since the slots follow Go's map order (fid35; before, seed 198 up to where the node-down \
               replacements land)",
    },
    matched("m07-global-node-down", 2),
    Case { name: "m08-scale-down-balance", runs: 2, action_at_s: Some(30), matched: 2, open: "" },
    matched("m09-worker-daemon-kill", 2),
    Case {
        name: "m09b-worker-daemon-kill-during-update",
        runs: 3,
        action_at_s: None,
        matched: 1,
        open: "r2 and r3 are rare paths of many (which slot the update held on the dead node when its heartbeat \
               deadline passed): r2 needs the first step on mn-w1, the other mn-w1 slot last of six and the deadline \
               after it was placed (seeds 42, 49, 156 of 1..200 with the slots in Go's map order, fid35), r3 two steps \
               off mn-w1 then one on it, the freed worker winning Run's select and the next slot one of vm's (no seed \
               of 1..200 since fid35, 6 of 1..1000; before, seeds 153, 182); none within 1..20 (observations § 12)",
    },
    matched("m10-global-pause-drain", 2),
    matched("m11-node-rm-force", 5),
    Case {
        name: "m12-manager-restart",
        runs: 5,
        action_at_s: None,
        matched: 4,
        open: "r3: mn-w1's Session RPC failed 0.34 s before the new leader (its channel still refused) and its next \
               one waited 7.45 s, READY 7.1 s after the leader; the model takes that path in 8 % of seeds (38, 50, \
               69 … of 1..200), none of 1..20",
    },
    // The trace's t = 0 is the manager's kill; the worker's link is cut 5 s before.
    Case { name: "m12b-manager-restart-worker-cut", runs: 5, action_at_s: Some(30), matched: 5, open: "" },
    matched("m13-brief-link-cut", 5),
    matched("m13b-link-cut-8s", 5),
    matched("m14-worker-daemon-restart-manager-down", 6),
    matched("m15-global-node-rm", 5),
    // The trace's t = 0 is the rm; the worker's link is cut 25 s before.
    Case { name: "m15b-global-node-rm-down", runs: 3, action_at_s: Some(30), matched: 3, open: "" },
    matched("m16-worker-daemon-kill-during-stop", 3),
    matched("m16b-worker-daemon-kill-during-stop-late", 3),
    Case {
        name: "m16c-worker-daemon-kill-during-stop-grace5",
        runs: 4,
        action_at_s: None,
        matched: 3,
        open: "r3: its restarted dockerd took 3.05 s to begin loading its containers (0.16-0.34 s in the other nine \
               runs of the session), and everything after it came as late: a daemon's start-up time is not modelled",
    },
    matched("m17-service-rm-worker-daemon-dead", 3),
    matched("m17b-scale0-worker-daemon-dead", 3),
    matched("m17c-scale-up-rm-worker-daemon-dead", 3),
    matched("m17d-node-rm-worker-daemon-dead", 3),
    matched("m18-manager-restart-sigterm-ignored", 4),
    Case {
        name: "m19-crash-loop-3nodes",
        runs: 4,
        action_at_s: None,
        matched: 0,
        open: "each run is ~175 crash-loop tasks judged one by one within max(0.5 s, 10 %) and no seed pairs them \
               all (best 78.1-83.8 % of measures, every miss a task time): the real first generation took 1.29 s \
               (0.87-1.52) from STARTING to `start`, nine starts in flight on the one host the three dockerds share \
               (later starts with 7-8 in flight are as slow), and its starts spread over 0.5-0.9 s, so its 9 failures \
               spread over 0.6-1.0 s and 83 % of the replacements were placed one per scheduling pass; the model's \
               take about 0.52 s (three per daemon), fail within 0.15 s and its passes hold up to 9 (54 % single); \
               created -> failed median 3.0-3.15 s real, 2.84 s model. A host-wide cap would fit the level, not the \
               spread (per-start variation): not modelled, observations.md section 16. Where the replacements go \
               agrees: 99 % real, 98 % model on the least-failed node (recording-2026-12-07p.md)",
    },
    // Which slots a scale-down of more than 12 keeps: Go 1.19's sort.Sort is pdqsort there, not
    // stable (2026-12-08; src/gosort.rs); m20d is the control where both sorts keep the same slots.
    Case { name: "m20-scale-down-15-to-8", runs: 3, action_at_s: Some(40), matched: 3, open: "" },
    Case {
        name: "m20b-scale-down-20-to-10",
        runs: 3,
        action_at_s: Some(40),
        matched: 0,
        open: "the slots kept agree since gosort (slot 11 of the tied fourth copies, mn-w1 4, as pdqsort orders \
               them); ten stops at once (four on vm) were reported SHUTDOWN 1.58-2.04 s after the scale, the model's \
               1.30-1.41 s (with six or seven stops, m20 and m20c, 1.35-1.62 s, within tolerance): 3-9 stop times \
               per run past it, recorded on a loaded machine (recording-2026-12-08b.md)",
    },
    Case { name: "m20c-scale-down-14-to-8", runs: 3, action_at_s: Some(40), matched: 3, open: "" },
    Case { name: "m20d-scale-down-15-to-7", runs: 3, action_at_s: Some(40), matched: 3, open: "" },
    Case {
        name: "m20e-scale-down-update-15-to-7",
        runs: 3,
        action_at_s: Some(40),
        matched: 2,
        open: "r2, whose eight removed containers were destroyed 0.50-0.88 s after the update (r1 0.40-0.74, r3 \
               0.43-0.62), the model's 0.25-0.63 s (seeds 1..20): three removals at once on each node, `die` -> `stop` 0.18-0.31 s \
               in r2 (m15's lone removal: 50-104 ms), as m20b's ten stops. The mechanism is modelled: the update's \
               `startUpdate` commit reconciles the service again, and the scaled-away slots, holding only \
               desired-REMOVE tasks, are dead and deleted at once while running (observations § 17); the tasks per \
               node at the end (vm 3 in every run) is a scheduler tie the model breaks at random (7 of 20 seeds)",
    },
    // swarmkit's constraint enforcer (2026-12-08c): a node whose label no longer meets the
    // service's current constraints has its tasks REJECTED, when it is (or becomes) active.
    Case { name: "m21-label-rm-active", runs: 3, action_at_s: None, matched: 3, open: "" },
    Case { name: "m21b-label-rm-paused", runs: 3, action_at_s: None, matched: 3, open: "" },
    Case { name: "m21c-constraint-add-then-label-rm", runs: 3, action_at_s: None, matched: 3, open: "" },
];

fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn traces_dir() -> PathBuf {
    crate_root().join("tests/data/fidelity/traces")
}

fn scenario_path(name: &str) -> PathBuf {
    crate_root().join("scenarios/fidelity").join(format!("{name}.yml"))
}

fn case(name: &str) -> &'static Case {
    CASES.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no fidelity case {name}"))
}

fn load_traces(case: &Case) -> Vec<Trace> {
    (1..=case.runs)
        .map(|r| {
            let prefix = traces_dir().join(format!("{}.r{r}", case.name));
            trace::load(&TracePath::new(&prefix)).unwrap_or_else(|e| panic!("{}: {e}", case.name))
        })
        .collect()
}

/// Simulates `scenario` with every seed and compares the runs with `traces`, each alone.
fn compare(scenario: &Scenario, case: &Case, traces: &[Trace]) -> Comparison {
    compare_widened(scenario, case, traces, false)
}

/// As [`compare`], optionally allowing each time measure the real runs' own spread.
fn compare_widened(scenario: &Scenario, case: &Case, traces: &[Trace], widen: bool) -> Comparison {
    let records: Vec<_> =
        SEEDS.map(|seed| simulate(scenario.clone(), Some(seed), &SimulateOptions::default())).collect();
    let action_at = case.action_at_s.map(SimDuration::from_secs);
    align::compare_records(&records, SIM_SERVICE, action_at, traces, Tolerance::default(), widen)
        .unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

fn load_scenario(path: &Path) -> Scenario {
    deploysim::scenario::load_with_warnings(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).0
}

/// A case against all its runs: exactly `matched` runs reproduced, every one when the case is
/// matched. Panics with the report.
fn check(name: &str) {
    let case = case(name);
    let scenario = load_scenario(&scenario_path(name));
    let comparison = compare(&scenario, case, &load_traces(case));
    let report = deploysim::fidelity::render::table(&comparison);
    println!("{report}");
    if !case.open.is_empty() {
        println!("{name} is open: {}", case.open);
    }
    let reproduced = (0..comparison.runs.len()).filter(|&i| comparison.run_matches(i)).count() as u32;
    if case.matched == case.runs {
        assert!(comparison.passed, "{name}: the simulation disagrees with the real swarm:\n{report}");
    } else if reproduced > case.matched {
        panic!(
            "{name}: {reproduced} of {} runs now match (expected {}): update CASES and the README's fidelity table\n{report}",
            case.runs, case.matched
        );
    } else {
        assert_eq!(
            reproduced, case.matched,
            "{name}: fewer runs match than the README says ({}):\n{report}",
            case.open
        );
    }
}

#[test]
fn every_run_of_every_case_has_its_files() {
    // Checks that every trace file the suite reads is in the repository (with its recording
    // end), and that every scenario in scenarios/fidelity is a case: nothing passes by
    // comparing nothing, and no recording is left out.
    let dir = traces_dir();
    let mut missing = Vec::new();
    for case in CASES {
        for r in 1..=case.runs {
            for kind in ["tasks", "containers", "service", "recording"] {
                let file = dir.join(format!("{}.r{r}.{kind}.csv", case.name));
                if !file.is_file() {
                    missing.push(file.display().to_string());
                }
            }
        }
        assert!(
            !dir.join(format!("{}.r{}.tasks.csv", case.name, case.runs + 1)).exists(),
            "{}: more runs recorded than the case lists",
            case.name
        );
    }
    assert!(missing.is_empty(), "missing trace files: {missing:?}");
    let mut scenarios: Vec<String> = std::fs::read_dir(crate_root().join("scenarios/fidelity"))
        .expect("scenarios/fidelity")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    scenarios.sort();
    let mut names: Vec<String> = CASES.iter().map(|c| c.name.to_string()).collect();
    names.sort();
    assert_eq!(scenarios, names, "scenarios/fidelity and the fidelity cases differ");
}

#[test]
fn the_readme_fidelity_table_says_what_the_suite_checks() {
    // Checks that the README's table lists every case with its runs, the runs matched and, for
    // an open case, its defect, so that what users read is what CI holds the model to.
    let readme = std::fs::read_to_string(crate_root().join("README.md")).expect("README.md");
    for case in CASES {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", case.name)))
            .unwrap_or_else(|| panic!("README's fidelity table has no row for {}", case.name));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[2], case.runs.to_string(), "{}: runs in README: {row}", case.name);
        assert_eq!(cells[3], case.matched.to_string(), "{}: runs matched in README: {row}", case.name);
        if case.matched < case.runs {
            assert!(cells[4].starts_with("open"), "{}: an open case must say so: {row}", case.name);
        } else {
            assert!(cells[4].is_empty(), "{}: a matched case has no open defect: {row}", case.name);
        }
    }
}

#[test]
fn comparison_rules() {
    // Checks the comparison's own rules on small cases: subsequence of distinct states with the
    // same final state, and the timing tolerance, so that a bug there cannot hide a mismatch.
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matching::is_subsequence(
        &s(&["new", "ready", "running"]),
        &s(&["new", "pending", "assigned", "ready", "starting", "running"])
    ));
    assert!(!matching::is_subsequence(&s(&["running", "ready"]), &s(&["ready", "running"])));
    let real = vec![("websim:v2".to_string(), s(&["new", "ready", "running"]))];
    let sim_ok = vec![("websim:v2".to_string(), s(&["new", "pending", "ready", "starting", "running"]))];
    let sim_late = vec![("websim:v2".to_string(), s(&["new", "pending", "ready", "starting"]))];
    let sim_other = vec![("websim:v1".to_string(), s(&["new", "pending", "ready", "starting", "running"]))];
    assert!(matching::history_matches(&real, &sim_ok));
    assert!(!matching::history_matches(&real, &sim_late), "the final state must match");
    assert!(!matching::history_matches(&real, &sim_other), "the image must match");
    assert!(!matching::history_matches(&real, &[sim_ok.clone(), sim_ok].concat()), "same number of tasks");
    let tolerance = Tolerance::default();
    assert_eq!(tolerance.allowed(1.0), 0.5);
    assert!((tolerance.allowed(30.0) - 3.0).abs() < 1e-9);
}

#[test]
fn s01_rolling_basic() {
    // A plain stop-first rolling update (parallelism 2, delay 5 s = monitor).
    check("s01-rolling-basic");
}

#[test]
fn s02_start_first() {
    // A start-first rolling update: the new task runs before the old one stops.
    check("s02-start-first");
}

#[test]
fn s03_parallelism_zero() {
    // Parallelism 0: all six slots replaced at once.
    check("s03-parallelism-zero");
}

#[test]
fn s04_bad_health_pause() {
    // A never-healthy image with failure_action pause: paused after the first batch, the failed
    // slots restart-looping on the bad image.
    check("s04-bad-health-pause");
}

#[test]
fn s05_bad_health_rollback() {
    // failure_action rollback: a race between the updater and the restart supervisor, which
    // fourteen real runs resolved four ways; each of the first three must be some seed's path
    // (the fourth, r12, is open).
    check("s05-bad-health-rollback");
}

#[test]
fn s08_health_timing() {
    // Health-check timing and the restart loop of a never-healthy service from its creation.
    check("s08-health-timing");
}

#[test]
fn s09a_slow_stop_grace10() {
    // A SIGTERM-ignoring image: each stop lasts the 10 s grace period.
    check("s09a-slow-stop-grace10");
}

#[test]
fn s09b_slow_stop_grace2() {
    // A SIGTERM-ignoring image with a 2 s grace period.
    check("s09b-slow-stop-grace2");
}

#[test]
fn s10_secret_rotate() {
    // A secret rotation: a rolling update of every task with the image unchanged.
    check("s10-secret-rotate");
}

#[test]
fn s15_monitor_zero_bad_health() {
    // A never-running task fails the update even with monitor 0 s.
    check("s15-monitor-zero-bad-health");
}

#[test]
fn s17_bad_health_exit143() {
    // An unhealthy image that exits 143 on SIGTERM (task failed, not complete).
    check("s17-bad-health-exit143");
}

#[test]
fn s18b_late_crash_monitor5() {
    // Crashes after the monitor period are not counted: the update completes.
    check("s18b-late-crash-monitor5");
}

#[test]
fn s19_missing_image_par1() {
    // An image that does not exist, one slot at a time (open: the restart loop's cadence).
    check("s19-missing-image-par1");
}

#[test]
fn s20_crash_restart_delay0() {
    // A crash loop with restart delay 0 (open for r2: the CLI's own delay).
    check("s20-crash-restart-delay0");
}

#[test]
fn s21_manual_rollback_par2_delay3() {
    // A manual rollback of a completed update, parallelism 2 and delay 3 s.
    check("s21-manual-rollback-par2-delay3");
}

#[test]
fn s22_rollback_of_rollback() {
    check("s22-rollback-of-rollback");
}

#[test]
fn s22b_rollback_fails_pause() {
    check("s22b-rollback-fails-pause");
}

#[test]
fn s23_start_first_full_node() {
    // Six tasks reserve 1.8 of the node's 2 CPUs: start-first's extra task stays PENDING ("no
    // suitable node (insufficient resources on 1 node)"), the old tasks keep running and the
    // update stays `updating`.
    check("s23-start-first-full-node");
}

#[test]
fn s23b_stop_first_full_node() {
    // The same full node with stop-first: each new task waits PENDING until its old task is seen
    // shut down (its reservation freed), then is placed.
    check("s23b-stop-first-full-node");
}

#[test]
fn s24_docker_kill_task() {
    check("s24-docker-kill-task");
}

#[test]
fn s25_health_flip() {
    check("s25-health-flip");
}

#[test]
fn s26_pull_tag_not_found() {
    check("s26-pull-tag-not-found");
}

#[test]
fn s27_pull_registry_refused() {
    check("s27-pull-registry-refused");
}

#[test]
fn s28_stack_deploy_update() {
    // A stack service: every stop waits moby's 2 s gossip delay (its task is on the stack's
    // overlay network).
    check("s28-stack-deploy-update");
}

#[test]
fn s30_stack_redeploy_identical() {
    // `docker stack deploy` of the same file: a service update that replaces no task and sets no
    // UpdateStatus.
    check("s30-stack-redeploy-identical");
}

#[test]
fn s28b_bare_update_base() {
    // The update of s28 (stack deploy), of a service made by `docker service create`: the baseline
    // that shows what the stack's network adds.
    check("s28b-bare-update-base");
}

#[test]
fn s29_alternate_crash() {
    // Every other container of the new image crashes: whether the update pauses is a race between
    // its 4th step and the first crash's restart (which container draws an odd count).
    check("s29-alternate-crash");
}

#[test]
fn s31_update_restart_none() {
    // `--restart-condition none` by update: a rolling update of every task (the restart policy is
    // in the task spec), after which a killed container's task is not replaced.
    check("s31-update-restart-none");
}

#[test]
fn s32_update_network_add() {
    // `--network-add` of an overlay: the first update stops tasks with no network; the next one's
    // stops (tasks now on the overlay) each wait moby's 2 s gossip delay.
    check("s32-update-network-add");
}

#[test]
fn s33_health_interval_merge() {
    // A service check with only an interval over an image HEALTHCHECK: the new tasks run the
    // image's test at the service's interval (moby's field-by-field merge), healthy after 2 s.
    check("s33-health-interval-merge");
}

#[test]
fn s34_reaper_crash_limit2() {
    // A crash loop under a task history limit of 2: the reaper deletes each slot's oldest
    // failed task 250 ms after the creation that took the slot past the limit.
    check("s34-reaper-crash-limit2");
}

#[test]
fn s35_reaper_max_attempts() {
    // A restart policy's max_attempts 3 overrides the swarm's history limit (max_attempts + 1).
    check("s35-reaper-max-attempts");
}

#[test]
fn s36_reaper_scale_down() {
    // A scale-down 6 → 2: the scaled-away tasks get desired REMOVE and are deleted once shut down.
    check("s36-reaper-scale-down");
}

#[test]
fn s37_reaper_limit_change() {
    // `docker swarm update --task-history-limit 1` during a crash loop.
    check("s37-reaper-limit-change");
}

#[test]
fn s38_service_rm_history() {
    // `docker service rm` deletes every task of the service, its history included.
    check("s38-service-rm-history");
}

#[test]
fn s39_dead_slot_reconcile() {
    // A scaled-away slot's failed history stays until the next reconcile deletes the dead slot.
    check("s39-dead-slot-reconcile");
}

#[test]
fn s40_update_status_resets() {
    // A spec update that asks for no new task clears UpdateStatus (none); its rollback is started and
    // completed at once; a scale clears it again.
    check("s40-update-status-resets");
}

#[test]
fn s41_daemon_restart_sigterm_ignored() {
    // The single node's dockerd killed and started 5 s later, its one task ignoring SIGTERM: the
    // restore SIGKILLs it 10 s after its SIGTERM (exit 137, failed), the control plane comes only
    // then, and the task is replaced after the restart delay.
    check("s41-daemon-restart-sigterm-ignored");
}

#[test]
fn s42_pull_then_stop_first() {
    // A stop-first step whose new task pulls its image for ~4 s: the old task's shutdown makes it
    // desired RUNNING while it is still PREPARING (the agent cancels the Prepare and retries it a
    // second later; the pull goes on); READY when the pull ends.
    check("s42-pull-then-stop-first");
}

#[test]
fn s42b_short_pull_then_stop_first() {
    // As s42 with a ~1.7 s pull that ends within the second after the desired RUNNING reached the
    // agent: READY only when the cancelled Prepare is retried, ~1 s after the desired change.
    check("s42b-short-pull-then-stop-first");
}

#[test]
fn s42c_quick_pull_then_stop_first() {
    // As s42 with a ~0.6 s pull that ends before the old task is down: READY at the pull's end.
    check("s42c-quick-pull-then-stop-first");
}

#[test]
fn s43_shutdown_while_pulling() {
    // A task told SHUTDOWN 3 s into its ~8 s pull: SHUTDOWN a second after the desired change
    // reached the agent (the retried operation's Shutdown cancels the pull), never READY.
    check("s43-shutdown-while-pulling");
}

#[test]
fn s43b_shutdown_pull_ends_in_retry() {
    // As s43 with a ~3.3 s pull that ends inside that second: still SHUTDOWN, never READY.
    check("s43b-shutdown-pull-ends-in-retry");
}

#[test]
fn s44_ready_task_shutdown_stack() {
    // A READY task of a stack service told SHUTDOWN by a newer update: moby's Shutdown waits the
    // 2 s gossip delay first (a service binding) although the task never started.
    check("s44-ready-task-shutdown-stack");
}

#[test]
fn s44b_ready_task_shutdown_bare() {
    // As s44 with `docker service create` (no network): SHUTDOWN at once.
    check("s44b-ready-task-shutdown-bare");
}

#[test]
fn s45_update_order_16_par1() {
    // A parallelism-1 update of 16 slots, one node: the timings of a long update (the order
    // itself is checked against Go's map range by tools/swarm-lab/notes/rec34_order.py).
    check("s45-update-order-16-par1");
}

#[test]
fn s46_update_order_40_par1() {
    // As s45 with 40 slots: open, the recording machine was saturated (see CASES).
    check("s46-update-order-40-par1");
}

#[test]
fn every_case_has_its_test() {
    // Checks that no case listed above is left out of CI: each has a test calling `check` on it
    // (s34-s39 were listed for a day with none).
    let source = include_str!("fidelity.rs");
    for case in CASES {
        assert!(source.contains(&format!("check(\"{}\")", case.name)), "{} has no test calling check", case.name);
    }
}

#[test]
fn m01_node_down() {
    // A worker whose link is cut for 60 s: replaced elsewhere once the heartbeat expires.
    check("m01-node-down");
}

#[test]
fn m02_drain() {
    // A drain: the node's tasks replaced on the other two, each waiting for its old task.
    check("m02-drain");
}

#[test]
fn m03_update_spread() {
    // A rolling update of a service spread over three nodes.
    check("m03-update-spread");
}

#[test]
fn m06_node_down_before_update() {
    // An update issued while a worker is silent but not yet down (open: r2, a rare path).
    check("m06-node-down-before-update");
}

#[test]
fn m07_global_node_down() {
    // A global service's node cut and restored.
    check("m07-global-node-down");
}

#[test]
fn m08_scale_down_balance() {
    // A scale-down of an unevenly spread service.
    check("m08-scale-down-balance");
}

#[test]
fn m09_worker_daemon_kill() {
    check("m09-worker-daemon-kill");
}

#[test]
fn m09b_worker_daemon_kill_during_update() {
    check("m09b-worker-daemon-kill-during-update");
}

#[test]
fn m10_global_pause_drain() {
    check("m10-global-pause-drain");
}

#[test]
fn m11_node_rm_force() {
    // A live worker removed: its tasks orphaned at once, replaced after the restart delay; its
    // containers stopped or left running, as the session's end races the shutdowns (4 of 5).
    check("m11-node-rm-force");
}

#[test]
fn m12_manager_restart() {
    // The manager's own dockerd killed and started: every node UNKNOWN under the new leader,
    // READY as each agent's backoff fires; the manager's old tasks complete (its dockerd stops
    // them while loading) and are replaced after the restart delay, on the manager again.
    check("m12-manager-restart");
}

#[test]
fn m12b_manager_restart_worker_cut() {
    // As m12 with a worker cut off: UNKNOWN, then DOWN after twice the usual grace (27–33 s
    // after the new leader), its tasks replaced then.
    check("m12b-manager-restart-worker-cut");
}

#[test]
fn m13_brief_link_cut() {
    // A 3 s cut of a worker's link: a heartbeat sent into it is delayed, not lost (its 5 s
    // deadline falls after the link is back); the session carries on, the manager sees nothing.
    check("m13-brief-link-cut");
}

#[test]
fn m13b_link_cut_8s() {
    // An 8 s cut: a heartbeat whose 5 s deadline falls in it fails the session (not in r5); the
    // agent reconnects within the manager's grace (3 heartbeat periods), so the node never
    // leaves READY and no task changes.
    check("m13b-link-cut-8s");
}

#[test]
fn m14_worker_daemon_restart_manager_down() {
    // A worker's dockerd killed and started while the manager is down: its fresh agent's
    // backoff starts at 0 (swarmkit `agent.go`, `run`) and has grown to 6.3–8 s by the time
    // the manager leads again, so the restarted worker registers no sooner than one failing
    // all along (recorded: each first in 3 of 6 runs).
    check("m14-worker-daemon-restart-manager-down");
}

#[test]
fn m15_global_node_rm() {
    // A live worker removed under a global service: the global orchestrator deletes its task
    // (`EventDeleteNode`), nothing replaces it; the removed agent removes its container when
    // the deletion reaches it before its session ends (4 of 5 runs).
    check("m15-global-node-rm");
}

#[test]
fn m15b_global_node_rm_down() {
    // As m15 with the worker cut off and DOWN before the rm: its task deleted, its container
    // left running on the silent node.
    check("m15b-global-node-rm-down");
}

#[test]
fn m16_worker_daemon_kill_during_stop() {
    // A worker's dockerd killed 2 s into the stop of a container that ignores SIGTERM (grace
    // 20 s) and started 5 s later: the old daemon's SIGKILL died with it; the new one stops the
    // container while it loads (SIGTERM, SIGKILL 10 s later) and only then registers.
    check("m16-worker-daemon-kill-during-stop");
}

#[test]
fn m16b_worker_daemon_kill_during_stop_late() {
    // As m16, started again 30 s after the kill, after the grace period would have ended: the
    // container runs on unsignalled until the restarted daemon stops it; the node DOWN meanwhile.
    check("m16b-worker-daemon-kill-during-stop-late");
}

#[test]
fn m16c_worker_daemon_kill_during_stop_grace5() {
    // As m16 with a 5 s grace period: the restarted daemon's SIGKILL still comes 10 s after its
    // SIGTERM (the container's default stop timeout, longer than the grace here). Open: r3.
    check("m16c-worker-daemon-kill-during-stop-grace5");
}

#[test]
fn m17_service_rm_worker_daemon_dead() {
    // A worker's dockerd killed, its service removed 3 s later: its tasks stay `running` with
    // desired REMOVE (the reaper deletes none still RUNNING), the node goes DOWN; the dockerd
    // started again stops the containers while it loads, its agent reports them complete, and
    // only then are they deleted and their containers removed.
    check("m17-service-rm-worker-daemon-dead");
}

#[test]
fn m17b_scale0_worker_daemon_dead() {
    // As m17 with a scale to 0 instead of the rm: the same desired REMOVE, the same end.
    check("m17b-scale0-worker-daemon-dead");
}

#[test]
fn m17c_scale_up_rm_worker_daemon_dead() {
    // As m17 with a scale to 6 between the kill and the rm: the new tasks, ASSIGNED to the dead
    // node and never started, are reported shutdown by its returning agent (no container).
    check("m17c-scale-up-rm-worker-daemon-dead");
}

#[test]
fn m17d_node_rm_worker_daemon_dead() {
    // As m17 with `docker node rm --force` of the dead node instead: its tasks orphaned,
    // replacements pending; the restarted dockerd stops the containers, its agent is refused.
    check("m17d-node-rm-worker-daemon-dead");
}

#[test]
fn m18_manager_restart_sigterm_ignored() {
    // As m12 with the manager's own tasks ignoring SIGTERM: the restarted dockerd's restore
    // SIGKILLs them 10 s after its SIGTERM (exit 137, tasks failed), and the swarm component
    // (listener, leader, dispatcher) starts only after that, ~10 s later than in m12.
    check("m18-manager-restart-sigterm-ignored");
}

#[test]
fn m19_crash_loop_3nodes() {
    // 9 crash-looping replicas created on three nodes: once a node has 5 recent failures the
    // scheduler puts replacements on the least-failed node (swarmkit nodeLess), in the real
    // swarm as in the model; open on the per-task timings of a 60 s loop (see CASES).
    check("m19-crash-loop-3nodes");
}

#[test]
fn m20_scale_down_15_to_8() {
    // 15 slots in one block per node scaled to 8: which node keeps the extra third copy is
    // decided by Go 1.19's pdqsort in the real swarm (open: the model sorts stably).
    check("m20-scale-down-15-to-8");
}

#[test]
fn m20b_scale_down_20_to_10() {
    check("m20b-scale-down-20-to-10");
}

#[test]
fn m20c_scale_down_14_to_8() {
    check("m20c-scale-down-14-to-8");
}

#[test]
fn m20d_scale_down_15_to_7() {
    // The control of m20: the same 15 slots scaled to 7, where pdqsort and a stable sort keep
    // the same slots (1-3 on vm, 6-7 on mn-w1, 11-12 on mn-w2).
    check("m20d-scale-down-15-to-7");
}

#[test]
fn m20e_scale_down_update_15_to_7() {
    // m20d's scale-down together with an image update: the kept slots are updated in the order
    // reconcile sorted them (pdqsort's), and the removed ones leave the store at once (open).
    check("m20e-scale-down-update-15-to-7");
}

#[test]
fn m21_label_rm_active() {
    // The label removed from an active node: its two tasks REJECTED by the constraint enforcer.
    check("m21-label-rm-active");
}

#[test]
fn m21b_label_rm_paused() {
    // The label removed while the node is paused (the enforcer skips it), then made active.
    check("m21b-label-rm-paused");
}

#[test]
fn m21c_constraint_add_then_label_rm() {
    // A constraint every node meets added by an update (no task replaced), then a label removed:
    // the enforcer checks the service's current constraints.
    check("m21c-constraint-add-then-label-rm");
}

/// A deliberately wrong variant of a matched scenario: `from` replaced once by `to`.
struct Variant {
    case: &'static str,
    what: &'static str,
    from: &'static str,
    to: &'static str,
}

const WRONG: &[Variant] = &[
    Variant {
        case: "s28-stack-deploy-update",
        what: "no gossip delay before a stop (the service as if made by docker service create)",
        from: "deployed_with: \"docker stack deploy\"",
        to: "deployed_with: \"docker service create\"",
    },
    Variant {
        case: "s05-bad-health-rollback",
        what: "failure_action pause instead of rollback",
        from: "failure_action: rollback",
        to: "failure_action: pause",
    },
    Variant {
        case: "s02-start-first",
        what: "stop-first instead of start-first",
        from: "order: start-first",
        to: "order: stop-first",
    },
    Variant {
        case: "s01-rolling-basic",
        what: "update parallelism 1 instead of 2",
        from: "update_config:\n        parallelism: 2",
        to: "update_config:\n        parallelism: 1",
    },
    Variant {
        case: "s01-rolling-basic",
        what: "update parallelism 3 instead of 2",
        from: "update_config:\n        parallelism: 2",
        to: "update_config:\n        parallelism: 3",
    },
    Variant {
        case: "s01-rolling-basic",
        what: "update delay 6 s instead of 5 s",
        from: "parallelism: 2\n        delay: 5s",
        to: "parallelism: 2\n        delay: 6s",
    },
    Variant {
        case: "s18b-late-crash-monitor5",
        what: "the image crashes 4 s after start instead of 8 s",
        from: "exit: {code: 1, after: 8s}",
        to: "exit: {code: 1, after: 4s}",
    },
    Variant {
        case: "s21-manual-rollback-par2-delay3",
        what: "rollback delay 2 s instead of 3 s",
        from: "rollback_config:\n        parallelism: 2\n        delay: 3s",
        to: "rollback_config:\n        parallelism: 2\n        delay: 2s",
    },
    Variant {
        case: "s04-bad-health-pause",
        what: "restart delay 2.5 s instead of 5 s",
        from: "restart_policy:\n        condition: any\n        delay: 5s",
        to: "restart_policy:\n        condition: any\n        delay: 2500ms",
    },
    Variant {
        case: "s31-update-restart-none",
        what: "restart condition on-failure instead of none (the killed task is replaced)",
        from: "run: docker service update --detach --restart-condition none",
        to: "run: docker service update --detach --restart-condition on-failure",
    },
    Variant {
        case: "s32-update-network-add",
        what: "the first update adds an environment variable, not the overlay (no gossip delay later)",
        from: "run: docker service update --detach --network-add simnet",
        to: "run: docker service update --detach --env-add SIMNET=1",
    },
    Variant {
        case: "m13b-link-cut-8s",
        what: "the link back after 20 s instead of 8 s (past the manager's grace: the node DOWN, its tasks replaced)",
        from: "at: 38s\n      node_up: mn-w1",
        to: "at: 50s\n      node_up: mn-w1",
    },
    Variant {
        case: "s34-reaper-crash-limit2",
        what: "the default task history limit (5) instead of the recorded 2: the old tasks' containers stay longer",
        from: "  swarm: {task_history_limit: 2}\n",
        to: "  swarm: {task_history_limit: 5}\n",
    },
    Variant {
        case: "s01-rolling-basic",
        what: "a task history limit of 0: the old tasks' containers removed where the recordings keep them",
        from: "  deployed_with: \"docker service create\"\n",
        to: "  deployed_with: \"docker service create\"\n  swarm: {task_history_limit: 0}\n",
    },
    Variant {
        case: "s36-reaper-scale-down",
        // 0.7 s, not 0.6: the removal follows the scale-down's SHUTDOWN commit, which a drawn
        // `stop_report` moves by a dispatcher batch (100 ms) across seeds, and 0.6 s late less a
        // batch is inside the 0.5 s tolerance for some seed.
        what: "containers removed 0.7 s later than recorded (latencies.container_remove 770ms)",
        from: "  deployed_with: \"docker service create\"\n",
        to: "  deployed_with: \"docker service create\"\n  latencies: {container_remove: 770ms}\n",
    },
    Variant {
        case: "s33-health-interval-merge",
        what: "health interval 3 s instead of 2 s",
        from: "run: docker service update --detach --health-interval 2s",
        to: "run: docker service update --detach --health-interval 3s",
    },
    Variant {
        case: "s41-daemon-restart-sigterm-ignored",
        what: "the container exits at SIGTERM: no 10 s restore, so the task completes, not fails, and earlier",
        from: "stop: ignore_sigterm}",
        to: "stop: {after: 50ms, exit_code: 0}}",
    },
    Variant {
        case: "m18-manager-restart-sigterm-ignored",
        what: "the manager's containers exit at SIGTERM: no 10 s restore, so no hold of its control plane",
        from: "stop: ignore_sigterm}",
        to: "stop: {after: 50ms, exit_code: 0}}",
    },
];

#[test]
fn deliberately_wrong_variants_fail_against_each_run_and_all_runs() {
    // Checks that the judge cannot be fooled: each variant above changes one thing a user
    // could get wrong, and compare must fail it against every real run alone (no seed
    // reproduces that run) and against all runs together, also with --widen-by-spread. If a
    // future change to the judge or
    // the model lets any of them pass, this fails.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut passed = Vec::new();
    for v in WRONG {
        let case = case(v.case);
        let text = std::fs::read_to_string(scenario_path(v.case)).expect("scenario");
        assert_eq!(text.matches(v.from).count(), 1, "{}: '{}' must occur once in the scenario", v.case, v.from);
        let path = dir.path().join(format!("{}.yml", v.case));
        std::fs::write(&path, text.replacen(v.from, v.to, 1)).expect("write the variant");
        let scenario = load_scenario(&path);
        let traces = load_traces(case);
        if compare(&scenario, case, &traces).passed {
            passed.push(format!("{} ({}) with all runs", v.case, v.what));
        }
        // Even the opt-in widening by the real runs' spread must not excuse them.
        if compare_widened(&scenario, case, &traces, true).passed {
            passed.push(format!("{} ({}) with all runs, widened by their spread", v.case, v.what));
        }
        for t in &traces {
            if compare(&scenario, case, std::slice::from_ref(t)).passed {
                passed.push(format!("{} ({}) with run {}", v.case, v.what, t.run.label));
            }
        }
    }
    assert!(passed.is_empty(), "deliberately wrong variants passed compare: {passed:#?}");
}

/// The most containers a real run held above its steady state just before the action: tasks
/// observed `starting` or `running` (a container exists from `starting`, the traces'
/// `container_id` appears then), from the run's tasks.csv.
fn real_peak_extra_containers(tasks_csv: &Path) -> u64 {
    let mut reader = csv::Reader::from_path(tasks_csv).unwrap_or_else(|e| panic!("{}: {e}", tasks_csv.display()));
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column"));
    let (t, id, state) = (col("t_s"), col("task_id"), col("state"));
    let mut rows: Vec<(f64, String, bool)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[t].parse().unwrap(), r[id].to_string(), matches!(&r[state], "starting" | "running"))
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut holds = std::collections::BTreeMap::new();
    let (mut now, mut before, mut peak) = (0i64, None, 0i64);
    for (at, task, holding) in rows {
        if holds.insert(task, holding).unwrap_or(false) == holding {
            continue;
        }
        if at >= 0.0 && before.is_none() {
            before = Some(now);
        }
        now += if holding { 1 } else { -1 };
        if at >= 0.0 {
            peak = peak.max(now);
        }
    }
    (peak - before.unwrap_or(now)).max(0) as u64
}

#[test]
fn the_capacity_an_update_costs_matches_every_traced_run() {
    // `summary.json`'s rollout.peak_extra_tasks against the containers the real swarm held:
    // stop-first updates start a new container only after the old one exited (0 extra),
    // start-first ones run the new one beside the old (2 extra at parallelism 2).
    let updates = ["s01-rolling-basic", "s02-start-first", "s03-parallelism-zero", "s04-bad-health-pause"]
        .into_iter()
        .chain(["s05-bad-health-rollback", "s09a-slow-stop-grace10", "s09b-slow-stop-grace2"])
        .chain(["s15-monitor-zero-bad-health", "s17-bad-health-exit143", "s18b-late-crash-monitor5"]);
    for name in updates {
        let run = common::simulate_file(&scenario_path(name), None).unwrap();
        let simulated = deploysim::report::rollout::figures(&run).expect("an update").peak_extra_tasks;
        for r in 1..=case(name).runs {
            let real = real_peak_extra_containers(&traces_dir().join(format!("{name}.r{r}.tasks.csv")));
            assert_eq!(simulated, real, "{name} r{r}: simulated {simulated} extra containers, the real run {real}");
        }
    }
}

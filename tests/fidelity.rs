//! Fidelity: every scenario in scenarios/fidelity must reproduce the real Docker 20.10 swarm
//! traces in ../shared/fidelity/traces (two runs each) and ../shared/fidelity/multinode/traces
//! (3 nodes: m01 three runs, m02 and m03 two) on every measure of `deploysim compare`: the final
//! UpdateStatus, each UpdateStatus change, the slots the update replaced, the order of
//! replacement, each slot's task history, the minimum number of serving tasks, the tasks per
//! node, and when each paired task was created, ran and ended.
//!
//! Alignment: t = 0 in a trace is the instant the action command was issued; the scenarios run it
//! at t = 30 s (s08's action is the service creation itself, at t = 0), so simulated times are
//! shifted by the time of the scenario's first timeline action (or 0 when it has none).
//! The measures and their exact definitions are in src/fidelity/ (the same code as the command).

use std::path::{Path, PathBuf};

use deploysim::fidelity::trace::{self, Trace, TracePath};
use deploysim::fidelity::{Tolerance, command, matching, render};
use deploysim::time::SimTime;

/// The service's name in the simulation (`web` in the trace, which holds no other service).
const SIM_SERVICE: &str = "fid_web";

/// Scenarios whose two real runs took different, equally legitimate paths (a race in Swarm):
/// the simulation must match at least one run. s05: in r1 the restart supervisor replaced both
/// failed tasks with the rolled-back spec (rollback completed in 2 ms); in r2 the rollback
/// updater replaced them (summary_notes.md §6).
const RACE_SCENARIOS: [&str; 1] = ["s05-bad-health-rollback"];

/// The scenario whose action is the service creation (at t = 0), so it has no timeline action.
const CREATE_SCENARIO: &str = "s08-health-timing";

/// When the scenarios issue the recorded action.
const ACTION_AT_S: u64 = 30;

/// Every scenario with a trace, for the presence check.
const SCENARIOS: [&str; 12] = [
    "s01-rolling-basic",
    "s02-start-first",
    "s03-parallelism-zero",
    "s04-bad-health-pause",
    "s05-bad-health-rollback",
    "s08-health-timing",
    "s09a-slow-stop-grace10",
    "s09b-slow-stop-grace2",
    "s10-secret-rotate",
    "s15-monitor-zero-bad-health",
    "s17-bad-health-exit143",
    "s18b-late-crash-monitor5",
];

/// The 3-node scenarios and how many runs each has (m01 was recorded three times).
const MULTINODE: [(&str, u32); 3] = [("m01-node-down", 3), ("m02-drain", 2), ("m03-update-spread", 2)];

/// Trace files every multi-node run has besides the single-node three.
const MULTINODE_EXTRA: [&str; 3] = ["nodes", "actions", "daemons"];

fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The traces live beside the crate (a sibling `shared/` folder), not in it.
fn traces_dir() -> PathBuf {
    crate_root().join("tests/data/fidelity/traces")
}

fn multinode_dir() -> PathBuf {
    crate_root().join("tests/data/fidelity/traces")
}

/// Fails loudly when the traces are absent: a fidelity test that cannot see the ground truth must
/// not pass by comparing nothing.
fn require(dir: PathBuf) -> PathBuf {
    assert!(
        dir.is_dir(),
        "fidelity traces not found at {} (expected ../shared/fidelity/ beside the crate root, \
         i.e. a copy of shared/ next to the checkout); these tests compare the simulator with them \
         and cannot run without them",
        dir.display()
    );
    dir
}

/// Simulates `name` with the scenario's own seed and compares it with its real runs in `dir`;
/// panics with the report table when the simulation does not match.
fn check_runs(dir: &Path, name: &str, runs: u32) {
    let path = crate_root().join("scenarios/fidelity").join(format!("{name}.yml"));
    let (record, _warnings) = deploysim::app::simulate_file(&path, None)
        .unwrap_or_else(|e| panic!("scenario {} failed to load: {e:#}", path.display()));

    // The alignment is only right if the scenario issues its action where this test assumes.
    let alignment = command::align(&record, None);
    if name == CREATE_SCENARIO {
        assert!(record.actions.is_empty(), "{name}: the action is the creation itself; expected no timeline action");
    } else {
        let (t, text, error) =
            record.actions.first().unwrap_or_else(|| panic!("{name}: the scenario has no timeline action"));
        assert_eq!(*t, SimTime(ACTION_AT_S * 1_000_000_000), "{name}: the action must run at {ACTION_AT_S} s");
        assert!(error.is_none(), "{name}: the simulated action was refused: {error:?} ({text})");
    }
    assert_eq!(alignment.action_at, record.actions.first().map_or(SimTime::ZERO, |a| a.0));

    let traces: Vec<Trace> = (1..=runs)
        .map(|r| {
            trace::load(&TracePath::new(&dir.join(format!("{name}.r{r}")))).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect();
    let _ = RACE_SCENARIOS;
    let comparison = command::compare_records(&[record], SIM_SERVICE, None, &traces, Tolerance::default(), false)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let report = render::table(&comparison);
    // Printed on success too, for `cargo test -- --nocapture`.
    println!("{report}");
    assert!(comparison.passed, "the simulation disagrees with the real swarm:\n{report}");
}

/// A single-node scenario against its two runs.
fn check(name: &str) {
    check_runs(&require(traces_dir()), name, 2);
}

/// A 3-node scenario against all its runs.
fn check_multinode(name: &str) {
    let runs = MULTINODE.iter().find(|(n, _)| *n == name).map(|(_, r)| *r).expect("a known multi-node scenario");
    check_runs(&require(multinode_dir()), name, runs);
}

#[test]
fn traces_are_present() {
    // Checks that every trace file this suite compares against exists, so that a missing or
    // partial copy of shared/ fails with a clear message rather than passing vacuously.
    let dir = require(traces_dir());
    let mut missing: Vec<String> = SCENARIOS
        .iter()
        .flat_map(|name| {
            (1..=2).flat_map(move |r| ["tasks", "containers", "service"].map(|k| format!("{name}.r{r}.{k}.csv")))
        })
        .filter(|f| !dir.join(f).is_file())
        .collect();
    let mdir = require(multinode_dir());
    missing.extend(
        MULTINODE
            .iter()
            .flat_map(|(name, runs)| {
                (1..=*runs).flat_map(move |r| {
                    ["tasks", "containers", "service"]
                        .iter()
                        .chain(&MULTINODE_EXTRA)
                        .map(move |k| format!("{name}.r{r}.{k}.csv"))
                        .collect::<Vec<_>>()
                })
            })
            .filter(|f| !mdir.join(f).is_file()),
    );
    assert!(missing.is_empty(), "missing trace files in {} or {}: {missing:?}", dir.display(), mdir.display());
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
    // Checks a plain stop-first rolling update (parallelism 2, delay 5 s = monitor) against both runs.
    check("s01-rolling-basic");
}

#[test]
fn s02_start_first() {
    // Checks a start-first rolling update: new task running before the old one stops.
    check("s02-start-first");
}

#[test]
fn s03_parallelism_zero() {
    // Checks parallelism 0: all six slots replaced at once.
    check("s03-parallelism-zero");
}

#[test]
fn s04_bad_health_pause() {
    // Checks a never-healthy image with failure_action pause: paused after the first batch,
    // failed slots keep restart-looping on the bad image.
    check("s04-bad-health-pause");
}

#[test]
fn s05_bad_health_rollback() {
    // Checks a never-healthy image with failure_action rollback; a race in Swarm, so the
    // simulation must match at least one of the two real runs.
    check("s05-bad-health-rollback");
}

#[test]
fn s08_health_timing() {
    // Checks the health-check timing and restart loop of a never-healthy service from its
    // creation (no update: UpdateStatus none on both sides).
    check("s08-health-timing");
}

#[test]
fn s09a_slow_stop_grace10() {
    // Checks a SIGTERM-ignoring image: each stop lasts the 10 s grace period.
    check("s09a-slow-stop-grace10");
}

#[test]
fn s09b_slow_stop_grace2() {
    // Checks a SIGTERM-ignoring image with a 2 s grace period.
    check("s09b-slow-stop-grace2");
}

#[test]
fn s10_secret_rotate() {
    // Checks a secret rotation: a rolling update of every task with the image unchanged.
    check("s10-secret-rotate");
}

#[test]
fn s15_monitor_zero_bad_health() {
    // Checks that a never-running task fails the update even with monitor 0 s.
    check("s15-monitor-zero-bad-health");
}

#[test]
fn s17_bad_health_exit143() {
    // Checks an unhealthy image that exits 143 on SIGTERM (task failed, not complete).
    check("s17-bad-health-exit143");
}

#[test]
fn s18b_late_crash_monitor5() {
    // Checks crashes after the monitor period: not counted, so the update completes although
    // every new task crash-loops.
    check("s18b-late-crash-monitor5");
}

#[test]
fn m01_node_down() {
    // Checks a worker whose link is cut for 60 s (three runs): its tasks are replaced on the
    // other nodes after the node is marked down (restart delay before they start), and the old
    // tasks' histories end in `shutdown` once the node answers again.
    check_multinode("m01-node-down");
}

#[test]
fn m02_drain() {
    // Checks a drain: the drained node's tasks are replaced on the other two nodes without the
    // restart delay, each replacement waiting for its old task to stop.
    check_multinode("m02-drain");
}

#[test]
fn m03_update_spread() {
    // Checks a rolling update (parallelism 2, delay 2 s) of a service spread over three nodes:
    // the timing and where the new tasks run.
    check_multinode("m03-update-spread");
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
    let dir = require(traces_dir());
    let updates = SCENARIOS.iter().filter(|s| **s != CREATE_SCENARIO && **s != "s10-secret-rotate");
    for scenario in updates {
        let path = crate_root().join("scenarios/fidelity").join(format!("{scenario}.yml"));
        let run = deploysim::app::simulate_file(&path, None).unwrap().0;
        let simulated = deploysim::report::rollout::figures(&run).expect("an update").peak_extra_tasks;
        for r in 1..=2 {
            let real = real_peak_extra_containers(&dir.join(format!("{scenario}.r{r}.tasks.csv")));
            assert_eq!(simulated, real, "{scenario} r{r}: simulated {simulated} extra containers, the real run {real}");
        }
    }
}

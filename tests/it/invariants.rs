//! Property tests of the whole world: many seeded random rolling updates built in code, each
//! run with the world's own per-event checks, then checked from its `RunRecord` against what
//! real Swarm guarantees (time order, forward-only task states, parallelism, replica bounds for
//! stop-first and start-first, pause/rollback rules).
//!
//! The scenarios come from a proptest strategy with a fixed seed: the same 200 on every machine,
//! and a failing one shrinks to a minimal scenario, printed with its parameters (`seed` is the
//! run's). `INVARIANT_CASES=2000` runs a longer campaign; `INVARIANT_REPORTS=1` also writes each
//! run's report files to a temp folder and prints where.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;

use deploysim::commands::simulate::{SimulateOptions, simulate};
use deploysim::model::cluster::{Availability, NodeRole, NodeSpec};
use deploysim::model::image::{ExitBehavior, HealthBehavior, ImageBehavior, StopBehavior};
use deploysim::model::record::{RunRecord, UpdateState};
use deploysim::model::scenario::{Action, EngineVersion, Latencies, Scenario, ServiceUpdate, TimedAction};
use deploysim::model::spec::{
    FailureAction, HealthConfig, ServiceMode, ServiceSpec, TaskSpec, UpdateConfig, UpdateOrder,
};
use deploysim::model::task::TaskState;
use deploysim::rng::Dist;
use deploysim::time::{SimDuration, SimTime};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// Generated scenarios per run of the property test.
const CASES: u32 = 200;
const SERVICE: &str = "inv_app";
const OLD: &str = "app:v1";
const NEW: &str = "app:v2";

// ---------------------------------------------------------------------------------------------
// Random scenarios
// ---------------------------------------------------------------------------------------------

/// Everything a seed generated, printed on failure.
#[derive(Clone, Debug)]
struct Params {
    seed: u64,
    replicas: u64,
    nodes: u64,
    engine: EngineVersion,
    update_at: SimDuration,
    update: UpdateConfig,
    rollback: UpdateConfig,
    new_kind: &'static str,
    old_crashes: bool,
    stop_grace_period: Option<SimDuration>,
    old_image: ImageBehavior,
    new_image: ImageBehavior,
    old_cached: bool,
    new_cached: bool,
    latencies: Latencies,
    /// `docker swarm update --task-history-limit`: mostly the default, sometimes a limit small
    /// enough that the task reaper deletes tasks while the updater and restarts use the slots.
    task_history_limit: i64,
}

impl Params {
    fn summary(&self) -> String {
        let u = &self.update;
        format!(
            "seed {}: replicas {}, nodes {}, parallelism {}, delay {}, monitor {}, {}, failure_action {} (rollback's {}), \
             max_failure_ratio {}, new image {}{}, update at {}, task history limit {}",
            self.seed,
            self.replicas,
            self.nodes,
            u.parallelism,
            u.delay,
            u.monitor,
            u.order.as_str(),
            u.failure_action.as_str(),
            self.rollback.failure_action.as_str(),
            u.max_failure_ratio,
            self.new_kind,
            if self.old_crashes { ", old image crashes" } else { "" },
            self.update_at,
            self.task_history_limit,
        )
    }
}

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

/// A uniform distribution between `lo` and `lo + spread` milliseconds.
fn uniform(lo: u64, spread: u64) -> impl Strategy<Value = Dist> + Clone {
    (lo..=lo + spread / 2, 0..=spread).prop_map(|(a, b)| Dist::Uniform(ms(a), ms(a + b)))
}

fn health_config() -> impl Strategy<Value = HealthConfig> + Clone {
    (500u64..=3000, 1u32..=3, 0u64..=3000).prop_map(|(interval, retries, start_period)| HealthConfig {
        test: vec!["CMD-SHELL".into(), "probe".into()],
        interval: Some(ms(interval)),
        timeout: Some(ms(1000)),
        retries: Some(retries),
        start_period: Some(ms(start_period)),
        start_interval: None,
    })
}

/// Old-task stops stay far below swarmkit's 60 s old-task timeout (stop signal ≤ 2 s, grace
/// ≤ 10 s), so stop-first never starts a new task beside a still-running old one.
fn stop_behavior() -> impl Strategy<Value = StopBehavior> + Clone {
    prop_oneof![
        1 => Just(StopBehavior::IgnoresSigterm),
        4 => (uniform(10, 2000), prop::sample::select(vec![0, 143]))
            .prop_map(|(after, exit_code)| StopBehavior::Graceful { after, exit_code }),
    ]
}

fn update_config() -> impl Strategy<Value = UpdateConfig> {
    let actions = vec![FailureAction::Pause, FailureAction::Continue, FailureAction::Rollback];
    (
        0u64..=4,
        prop_oneof![3 => Just(0u64), 7 => 0u64..=5000],
        1000u64..=10_000,
        prop::sample::select(actions),
        prop::sample::select(vec![0.0, 0.3, 1.0]),
        prop::sample::select(vec![UpdateOrder::StopFirst, UpdateOrder::StartFirst]),
    )
        .prop_map(|(parallelism, delay, monitor, failure_action, max_failure_ratio, order)| UpdateConfig {
            parallelism,
            delay: ms(delay),
            monitor: ms(monitor),
            failure_action,
            max_failure_ratio,
            order,
        })
}

/// An image as the update finds it: pulls, starts, stops, maybe a health check.
fn image() -> impl Strategy<Value = ImageBehavior> {
    (uniform(200, 4000), uniform(100, 1500), stop_behavior(), prop::option::of(health_config())).prop_map(
        |(pull, start, stop, healthcheck)| ImageBehavior { pull, start, stop, healthcheck, ..ImageBehavior::default() },
    )
}

/// What the new image does, and the image itself.
fn new_image() -> impl Strategy<Value = (&'static str, ImageBehavior)> {
    let kinds = vec!["healthy", "never healthy", "crashes", "exits 0", "flaky"];
    (prop::sample::select(kinds), image(), health_config(), uniform(500, 15_000), 20u32..=70).prop_map(
        |(kind, mut image, check, exit_after, flaky)| {
            match kind {
                "healthy" => {}
                "never healthy" => {
                    image.healthcheck = Some(check);
                    image.health = HealthBehavior::NeverHealthy;
                }
                "crashes" | "exits 0" => {
                    let code = if kind == "crashes" { 1 } else { 0 };
                    image.exit = ExitBehavior::ExitsAfter { code, after: exit_after };
                }
                _ => {
                    image.healthcheck = Some(check);
                    image.health = HealthBehavior::Flaky(flaky as f64 / 100.0);
                }
            }
            (kind, image)
        },
    )
}

fn latencies() -> impl Strategy<Value = Latencies> {
    let drawn = (
        (uniform(5, 150), uniform(5, 150), uniform(1, 5), uniform(10, 100), uniform(50, 400)),
        (uniform(200, 1800), uniform(10, 60), uniform(20, 200), uniform(20, 300), uniform(20, 150)),
        (uniform(20, 300), uniform(20, 300)),
    )
        .prop_map(
            |(
                (status_report, dispatch, allocate, schedule, pull_cached),
                (stop_signal, unhealthy_kill, exit_report, start_begin, probe),
                (stop_report, container_remove),
            )| Latencies {
                status_report,
                dispatch,
                allocate,
                schedule,
                pull_cached,
                stop_signal,
                unhealthy_kill,
                exit_report,
                start_begin,
                probe,
                stop_report,
                container_remove,
                // Fields added later keep their calibrated values.
                ..Latencies::calibrated()
            },
        );
    prop_oneof![1 => Just(Latencies::calibrated()), 3 => drawn]
}

/// Every generated scenario's parameters. proptest shrinks a failing one towards fewer
/// replicas and nodes, smaller values and the first choice of each list.
fn params() -> impl Strategy<Value = Params> {
    let actions = vec![FailureAction::Pause, FailureAction::Continue, FailureAction::Rollback];
    (
        (0u64..1000, 1u64..=12, 1u64..=4, prop::sample::select(vec![EngineVersion::V20_10, EngineVersion::V27])),
        (15u64..=60, update_config(), prop::sample::select(actions)),
        (image(), prop::option::weighted(0.3, uniform(1000, 8000)), new_image()),
        (
            prop::option::of(1u64..=10),
            prop::bool::ANY,
            prop::bool::weighted(0.3),
            latencies(),
            prop::sample::select(vec![5i64, 5, 5, 0, 1, 2, -1]),
        ),
    )
        .prop_map(
            |(
                (seed, replicas, nodes, engine),
                (update_at, update, rollback_action),
                (mut old_image, old_exit, (new_kind, new_image)),
                (grace, old_cached, new_cached, latencies, task_history_limit),
            )| {
                // Sometimes the old image crashes too, so that rollbacks (which run it) can fail.
                if let Some(after) = old_exit.clone() {
                    old_image.exit = ExitBehavior::ExitsAfter { code: 1, after };
                }
                // The rollback uses the same pacing and order (so the replica bounds below hold
                // for the whole run) but its own failure action, to exercise "never roll back a
                // rollback".
                let rollback = UpdateConfig { failure_action: rollback_action, ..update.clone() };
                Params {
                    seed,
                    replicas,
                    nodes,
                    engine,
                    update_at: SimDuration::from_secs(update_at),
                    update,
                    rollback,
                    new_kind,
                    old_crashes: old_exit.is_some(),
                    stop_grace_period: grace.map(SimDuration::from_secs),
                    old_image,
                    new_image,
                    old_cached,
                    new_cached,
                    latencies,
                    task_history_limit,
                }
            },
        )
}

/// A runner with a fixed seed: the same scenarios on every machine; no failure files.
fn runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]))
}

fn scenario(p: &Params) -> Scenario {
    let mut cached = Vec::new();
    if p.old_cached {
        cached.push(OLD.to_string());
    }
    if p.new_cached {
        cached.push(NEW.to_string());
    }
    let nodes = (0..p.nodes)
        .map(|i| NodeSpec {
            name: format!("node-{}", i + 1),
            role: if i == 0 { NodeRole::Manager } else { NodeRole::Worker },
            labels: BTreeMap::new(),
            availability: Availability::Active,
            cached_images: cached.clone(),
            down: false,
            capacity: deploysim::model::cluster::DEFAULT_NODE_CAPACITY,
        })
        .collect();
    let mut task = TaskSpec::with_image(OLD);
    task.stop_grace_period = p.stop_grace_period;
    let service = ServiceSpec {
        name: SERVICE.into(),
        mode: ServiceMode::Replicated { replicas: p.replicas },
        task,
        update: p.update.clone(),
        rollback: p.rollback.clone(),
        labels: BTreeMap::new(),
    };
    let images = BTreeMap::from([(OLD.to_string(), p.old_image.clone()), (NEW.to_string(), p.new_image.clone())]);
    let at = SimTime(p.update_at.as_nanos());
    Scenario {
        name: format!("invariants-{}", p.seed),
        stack: "inv".into(),
        seed: p.seed,
        until: at.plus(SimDuration::from_secs(200)),
        max_events: 2_000_000,
        engine: p.engine,
        latencies: p.latencies.clone(),
        races: Default::default(),
        nodes,
        images,
        services: vec![service],
        secrets: vec![],
        timeline: vec![TimedAction {
            jitter: SimDuration::ZERO,
            at,
            action: Action::ServiceUpdate {
                service: SERVICE.into(),
                update: Box::new(ServiceUpdate { image: Some(NEW.into()), ..Default::default() }),
            },
            text: format!("docker service update --image {NEW} {SERVICE}"),
        }],
        input_digest: "invariants".into(),
        traffic: vec![],
        task_history_limit: p.task_history_limit,
        expect: vec![],
        strategies: vec![],
    }
}

// ---------------------------------------------------------------------------------------------
// Checks on the record
// ---------------------------------------------------------------------------------------------

/// Who created a task, told from the rows alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Creator {
    /// The orchestrator at deploy (desired RUNNING at once).
    Orchestrator,
    /// The update's updater (new image, desired READY, between the update and any rollback).
    Update,
    /// The rollback's updater (old image, desired READY, after rollback_started).
    Rollback,
    /// The restart supervisor: created at the instant the slot's previous task, observed past
    /// RUNNING, was set to desired SHUTDOWN (the row just before the creation).
    Restart,
}

#[derive(Clone, Debug)]
struct Tracked {
    slot: u64,
    creator: Creator,
    desired: TaskState,
    state: TaskState,
}

fn up(state: TaskState) -> bool {
    matches!(state, TaskState::Starting | TaskState::Running)
}

/// Workers of a run: `parallelism`, or one per dirty slot when 0 (every slot is dirty here).
fn workers(config: &UpdateConfig, replicas: u64) -> usize {
    if config.parallelism == 0 { replicas as usize } else { config.parallelism as usize }
}

struct Checker<'a> {
    p: &'a Params,
    violations: Vec<String>,
    /// Largest number of update slots seen in flight at once.
    max_in_flight: usize,
    /// Whether a start-first slot was abandoned.
    abandoned_any: bool,
}

impl Checker<'_> {
    fn fail(&mut self, message: String) {
        if self.violations.len() < 8 {
            self.violations.push(message);
        }
    }

    fn check(&mut self, record: &RunRecord) {
        let p = self.p;
        let svc = &record.services[0];
        let changes = &svc.update.status_changes;
        let first = |s: UpdateState| changes.iter().find(|c| c.state == s).map(|c| c.t);
        let t_update = SimTime(p.update_at.as_nanos());
        let t_pause = first(UpdateState::Paused);
        let t_rollback = first(UpdateState::RollbackStarted);
        let t_rollback_paused = first(UpdateState::RollbackPaused);

        // Time never goes back: task rows, timeline samples, status changes.
        let rows: Vec<_> = record.task_events.iter().collect();
        for w in rows.windows(2) {
            if w[1].t < w[0].t {
                self.fail(format!("events.csv goes back in time: {} after {}", w[1].t.secs_ms(), w[0].t.secs_ms()));
            }
        }
        for w in record.timeline.to_vec().windows(2) {
            if w[1].t < w[0].t {
                self.fail(format!("timeline goes back in time: {} after {}", w[1].t.secs_ms(), w[0].t.secs_ms()));
            }
        }
        for w in changes.windows(2) {
            if w[1].t < w[0].t {
                self.fail(format!("status changes go back in time: {:?} after {:?}", w[1], w[0]));
            }
        }

        self.check_status_changes(record);

        // Replay the rows.
        let replicas = p.replicas;
        let p_update = workers(&p.update, replicas);
        let p_rollback = workers(&p.rollback, replicas);
        let mut tasks: BTreeMap<&str, Tracked> = BTreeMap::new();
        // Per slot, the tasks that may still count (desired RUNNING or container possibly up).
        let mut by_slot: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
        let mut in_flight: BTreeSet<&str> = BTreeSet::new();
        // start-first slots the updater gave up on (see `check_instant`).
        let mut abandoned: BTreeSet<u64> = BTreeSet::new();
        let mut now = SimTime::ZERO;
        for (i, e) in record.events().enumerate() {
            if e.t > now {
                self.check_instant(now, &tasks, &by_slot, &abandoned, t_rollback, p_update, p_rollback);
                now = e.t;
            }
            let id: &str = e.task_id;
            match tasks.get_mut(id) {
                None => {
                    if e.state != TaskState::New {
                        self.fail(format!("task {id}'s first row at {} is {}, not new", e.t.secs_ms(), e.state));
                    }
                    let restart = i > 0 && {
                        let prev = record.view(&rows[i - 1]);
                        prev.t == e.t
                            && prev.slot == e.slot
                            && prev.task_id != e.task_id
                            && prev.desired_state == TaskState::Shutdown
                            && prev.state > TaskState::Running
                    };
                    let creator = if e.desired_state == TaskState::Running && e.t < t_update {
                        Creator::Orchestrator
                    } else if restart {
                        Creator::Restart
                    } else if e.image == NEW && e.t >= t_update && t_rollback.is_none_or(|rb| e.t <= rb) {
                        Creator::Update
                    } else if e.image == OLD && t_rollback.is_some_and(|rb| e.t >= rb) {
                        Creator::Rollback
                    } else {
                        self.fail(format!(
                            "task {id} created at {} (image {}, desired {}) by no known creator",
                            e.t.secs_ms(),
                            e.image,
                            e.desired_state
                        ));
                        Creator::Orchestrator
                    };
                    if (creator == Creator::Update || creator == Creator::Rollback)
                        && e.desired_state != TaskState::Ready
                    {
                        self.fail(format!("updater task {id} created with desired {}, not ready", e.desired_state));
                    }
                    if creator == Creator::Update {
                        // A slot is in flight from its new task's creation until that task is
                        // seen running or ended (the updater releases it even later, on
                        // observation, so this count never overstates the updater's).
                        in_flight.insert(id);
                        self.max_in_flight = self.max_in_flight.max(in_flight.len());
                        if in_flight.len() > p_update {
                            self.fail(format!(
                                "{} update slots in flight at {} (parallelism {}): {:?}",
                                in_flight.len(),
                                e.t.secs_ms(),
                                p.update.parallelism,
                                in_flight
                            ));
                        }
                        if t_pause.is_some_and(|tp| e.t > tp) {
                            self.fail(format!("the updater created {id} at {} after the update paused", e.t.secs_ms()));
                        }
                    }
                    if creator == Creator::Rollback && t_rollback_paused.is_some_and(|tp| e.t > tp) {
                        self.fail(format!("the rollback created {id} at {} after it paused", e.t.secs_ms()));
                    }
                    tasks.insert(id, Tracked { slot: e.slot, creator, desired: e.desired_state, state: e.state });
                    by_slot.entry(e.slot).or_default().push(id);
                }
                Some(t) => {
                    if e.state < t.state {
                        self.fail(format!("task {id} moved back from {} to {} at {}", t.state, e.state, e.t.secs_ms()));
                    }
                    // swarmkit never lowers a desired state (READY → RUNNING → SHUTDOWN/REMOVE).
                    if e.desired_state < t.desired {
                        self.fail(format!(
                            "task {id}'s desired state moved back from {} to {} at {}",
                            t.desired,
                            e.desired_state,
                            e.t.secs_ms()
                        ));
                    }
                    if e.slot != t.slot {
                        self.fail(format!("task {id} changed slot {} -> {}", t.slot, e.slot));
                    }
                    t.state = e.state;
                    t.desired = e.desired_state;
                }
            }
            let t = &tasks[id];
            if t.state >= TaskState::Running {
                in_flight.remove(id);
            }
            // start-first keeps the old task when the new one ends without being seen RUNNING
            // (`updateTask` removes old tasks only on state == RUNNING): from then on the restart
            // supervisor's replacements may run beside the old task, a slot no longer bounded by
            // parallelism. Such slots leave the start-first count.
            if t.creator == Creator::Update && t.state.is_terminal() {
                let old_kept = by_slot[&t.slot].iter().any(|&o| o != id && tasks[o].desired == TaskState::Running);
                if old_kept {
                    self.abandoned_any = true;
                    abandoned.insert(t.slot);
                }
            }
            // Forget tasks that can never count again (both states only move forward).
            let slot = t.slot;
            by_slot.get_mut(&slot).expect("slot").retain(|&o| {
                let t = &tasks[o];
                t.desired <= TaskState::Running || !t.state.is_terminal()
            });
        }
        self.check_instant(now, &tasks, &by_slot, &abandoned, t_rollback, p_update, p_rollback);

        // stop-first, cross-checked on the timeline: RUNNING tasks with desired RUNNING never
        // exceed the replicas.
        if p.update.order == UpdateOrder::StopFirst {
            for s in &record.timeline {
                if s.running_old + s.running_new > s.desired {
                    self.fail(format!(
                        "stop-first: timeline at {} has {} running tasks for {} desired",
                        s.t.secs_ms(),
                        s.running_old + s.running_new,
                        s.desired
                    ));
                }
            }
        }
    }

    /// The replica bounds at the end of one instant (changes at one instant are simultaneous).
    #[allow(clippy::too_many_arguments)]
    fn check_instant(
        &mut self,
        t: SimTime,
        tasks: &BTreeMap<&str, Tracked>,
        by_slot: &BTreeMap<u64, Vec<&str>>,
        abandoned: &BTreeSet<u64>,
        t_rollback: Option<SimTime>,
        p_update: usize,
        p_rollback: usize,
    ) {
        let p = self.p;
        match p.update.order {
            UpdateOrder::StopFirst => {
                // What stop-first guarantees in real Swarm: the old task gets desired SHUTDOWN
                // in the same store batch that creates the new one (desired READY), and the new
                // one is moved to RUNNING only once the removed task is observed past RUNNING
                // (or after the 60 s old-task timeout, which these scenarios never reach).
                // Restarts shut the failed task down before creating its replacement. So per
                // slot at most one task is meant to run: never more than `replicas` running.
                //
                // Containers: within one updater run, at most one is up (STARTING or RUNNING)
                // per slot. Not across a rollback: `DelayStart` waits only for the task that the
                // rollback's `removeOldTasks` shut down (the cancelled update's new task), not
                // for the older task that the update had already shut down and that may still
                // be stopping, so both containers can be up for a moment (as in swarmkit).
                let one_run = t_rollback.is_none_or(|rb| t < rb);
                for (slot, ids) in by_slot {
                    let desired_running: Vec<&&str> =
                        ids.iter().filter(|&&o| tasks[o].desired == TaskState::Running).collect();
                    if desired_running.len() > 1 {
                        self.fail(format!(
                            "stop-first: slot {slot} has {} tasks desired running at {}: {desired_running:?}",
                            desired_running.len(),
                            t.secs_ms()
                        ));
                    }
                    let containers: Vec<&&str> = ids.iter().filter(|&&o| up(tasks[o].state)).collect();
                    if one_run && containers.len() > 1 {
                        self.fail(format!(
                            "stop-first: slot {slot} has {} containers up at {}: {containers:?}",
                            containers.len(),
                            t.secs_ms()
                        ));
                    }
                }
            }
            UpdateOrder::StartFirst => {
                // What start-first guarantees: the old task keeps running until the new one is
                // observed RUNNING, then gets desired SHUTDOWN (the updater does not wait for it
                // to stop, so containers being stopped are not bounded: only tasks meant to run
                // are). Only slots held by a worker have two such tasks, so tasks RUNNING with
                // desired RUNNING ≤ replicas + parallelism. After a rollback starts, the cancelled
                // update's in-flight slots keep their two tasks until the rollback reaches them:
                // + the rollback's parallelism. Abandoned slots (see `check`) are left out.
                let mut count = 0usize;
                for (slot, ids) in by_slot {
                    if abandoned.contains(slot) {
                        continue;
                    }
                    count += ids
                        .iter()
                        .filter(|&&o| tasks[o].desired == TaskState::Running && tasks[o].state == TaskState::Running)
                        .count();
                }
                let rolled_back = t_rollback.is_some_and(|rb| t >= rb);
                let bound =
                    (p.replicas as usize - abandoned.len()) + p_update + if rolled_back { p_rollback } else { 0 };
                if count > bound {
                    self.fail(format!(
                        "start-first: {count} tasks running with desired running at {} (bound {bound}: replicas {}, \
                         {} abandoned slots, parallelism {}{})",
                        t.secs_ms(),
                        p.replicas,
                        abandoned.len(),
                        p.update.parallelism,
                        if rolled_back { " + rollback's" } else { "" }
                    ));
                }
            }
        }
    }

    /// UpdateStatus moves as in swarmkit (research note §1.9) and the failure actions are the
    /// configured ones.
    fn check_status_changes(&mut self, record: &RunRecord) {
        let p = self.p;
        let svc = &record.services[0];
        let changes = &svc.update.status_changes;
        let mut previous: Option<UpdateState> = None;
        let mut rollback_paused = false;
        for c in changes {
            rollback_paused |= c.state == UpdateState::RollbackPaused;
            let ok =
                matches!(
                    (previous, c.state),
                    (None, UpdateState::Updating)
                    | (
                        Some(UpdateState::Updating),
                        UpdateState::Paused | UpdateState::Completed | UpdateState::RollbackStarted
                    )
                    | (
                        Some(UpdateState::RollbackStarted),
                        UpdateState::RollbackPaused | UpdateState::RollbackCompleted
                    )
                    // "Never roll back a rollback" pauses without stopping the run, which then
                    // completes (s22); a further failure meanwhile pauses it as an update.
                    | (Some(UpdateState::RollbackPaused), UpdateState::Paused | UpdateState::Completed)
                ) || (previous == Some(UpdateState::Paused) && c.state == UpdateState::Completed && rollback_paused);
            if !ok {
                self.fail(format!(
                    "status {} follows {} at {} (\"{}\")",
                    c.state.as_str(),
                    previous.map_or("none", |s| s.as_str()),
                    c.t.secs_ms(),
                    c.message
                ));
            }
            previous = Some(c.state);
        }
        let count = |s: UpdateState| changes.iter().filter(|c| c.state == s).count();
        // Never roll back a rollback: one update, at most one rollback.
        if count(UpdateState::RollbackStarted) > 1 {
            self.fail(format!("{} rollback_started in one update", count(UpdateState::RollbackStarted)));
        }
        let reacts = |c: &UpdateConfig| c.failure_action != FailureAction::Continue && c.max_failure_ratio < 1.0;
        // `paused` comes from the update's pause action, or from a second failure of a rollback
        // already paused by "never roll back a rollback".
        let paused_by_update = reacts(&p.update) && p.update.failure_action == FailureAction::Pause;
        if count(UpdateState::Paused) > 0 && !paused_by_update && count(UpdateState::RollbackPaused) == 0 {
            self.fail("paused, but the update's failure action is not pause (or its ratio is 1)".into());
        }
        if count(UpdateState::RollbackStarted) > 0
            && !(reacts(&p.update) && p.update.failure_action == FailureAction::Rollback)
        {
            self.fail("rollback_started, but the update's failure action is not rollback (or its ratio is 1)".into());
        }
        if count(UpdateState::RollbackPaused) > 0 && !reacts(&p.rollback) {
            self.fail("rollback_paused, but the rollback's failure action is continue (or its ratio is 1)".into());
        }
        // A failure count past the ratio takes effect: the update leaves `updating`. (The count
        // also holds the rollback's failures, but a rollback implies rollback_started.)
        let ratio = svc.update.failures as f32 / p.replicas as f32;
        if reacts(&p.update)
            && ratio > p.update.max_failure_ratio
            && count(UpdateState::Paused) + count(UpdateState::RollbackStarted) == 0
        {
            self.fail(format!(
                "{} failures counted over {} slots (ratio {ratio} > {}) but the update never paused or rolled back; last status {:?}",
                svc.update.failures,
                p.replicas,
                p.update.max_failure_ratio,
                svc.update.state
            ));
        }
    }
}

/// What one seed's run reached, for the coverage check.
struct Outcome {
    states: BTreeSet<&'static str>,
    parallelism_reached: bool,
    abandoned: bool,
    failures: u64,
}

fn run_params(p: &Params) -> Result<Outcome, String> {
    let p = p.clone();
    let seed = p.seed;
    let scenario = scenario(&p);
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        simulate(scenario, None, &SimulateOptions { invariant_checks: true, ..SimulateOptions::default() })
    }));
    let record = match outcome {
        Ok(r) => r,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(non-string panic)".into());
            return Err(format!("{}\n    the world's own checks panicked: {msg}\n    params: {p:?}", p.summary()));
        }
    };
    if std::env::var("INVARIANT_REPORTS").is_ok() {
        // Keep the run's report to read.
        let dir = std::env::temp_dir().join(format!("deploysim-invariants-{seed}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (name, bytes) in deploysim::commands::run::report_files(&record) {
            std::fs::write(dir.join(name), bytes).expect("write report");
        }
        println!("{}\nreport: {}", p.summary(), dir.display());
    }
    let mut checker = Checker { p: &p, violations: Vec::new(), max_in_flight: 0, abandoned_any: false };
    checker.check(&record);
    if !checker.violations.is_empty() {
        return Err(format!("{}\n    - {}\n    params: {p:?}", p.summary(), checker.violations.join("\n    - ")));
    }
    let update = &record.services[0].update;
    Ok(Outcome {
        states: update.status_changes.iter().map(|c| c.state.as_str()).collect(),
        parallelism_reached: p.update.parallelism > 1 && checker.max_in_flight == p.update.parallelism as usize,
        abandoned: checker.abandoned_any,
        failures: update.failures,
    })
}

#[test]
fn random_rolling_updates_keep_swarms_invariants() {
    // INVARIANT_CASES=n runs more; a failure shrinks to a minimal scenario, printed with its
    // parameters (`seed` is the run's seed). INVARIANT_REPORTS=1 keeps each run's report files.
    let cases = std::env::var("INVARIANT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(CASES);
    let outcomes = std::cell::RefCell::new(Vec::new());
    let result = runner(cases).run(&params(), |p| {
        let outcome = run_params(&p).map_err(TestCaseError::fail)?;
        outcomes.borrow_mut().push(outcome);
        Ok(())
    });
    if let Err(e) = result {
        panic!("a generated rolling update broke an invariant (shrunk to a minimal case):\n{e}");
    }
    // The runs must reach every outcome the checks are about, or they prove little.
    let outcomes = outcomes.into_inner();
    for state in ["completed", "paused", "rollback_started", "rollback_completed", "rollback_paused"] {
        assert!(outcomes.iter().any(|o| o.states.contains(state)), "no case reached {state}");
    }
    assert!(outcomes.iter().any(|o| o.parallelism_reached), "no case filled its parallelism");
    assert!(outcomes.iter().any(|o| o.abandoned), "no start-first slot was abandoned");
    assert!(outcomes.iter().any(|o| o.failures > 0 && !o.states.contains("paused")), "no failure without a pause");
}

#[test]
fn generated_scenarios_cover_every_option() {
    // The generator must actually produce each configuration the invariants are meant to
    // cover; a change to it that loses one would make the property test silently weaker.
    let mut runner = runner(CASES);
    let strategy = params();
    let ps: Vec<Params> = (0..CASES).map(|_| strategy.new_tree(&mut runner).expect("a value").current()).collect();
    let has = |f: &dyn Fn(&Params) -> bool| ps.iter().any(f);
    assert!(has(&|p| p.update.parallelism == 0));
    assert!(has(&|p| p.update.parallelism == 4));
    assert!(has(&|p| p.update.delay == SimDuration::ZERO));
    assert!(has(&|p| p.update.delay >= p.update.monitor));
    assert!(has(&|p| p.update.order == UpdateOrder::StartFirst));
    assert!(has(&|p| p.update.order == UpdateOrder::StopFirst));
    for a in [FailureAction::Pause, FailureAction::Continue, FailureAction::Rollback] {
        assert!(has(&|p| p.update.failure_action == a));
        assert!(has(&|p| p.update.failure_action == FailureAction::Rollback && p.rollback.failure_action == a));
    }
    for r in [0.0, 0.3, 1.0] {
        assert!(has(&|p| p.update.max_failure_ratio == r));
    }
    for k in ["healthy", "never healthy", "crashes", "exits 0", "flaky"] {
        assert!(has(&|p| p.new_kind == k), "no {k} image");
    }
    assert!(has(&|p| p.replicas == 1) && has(&|p| p.replicas == 12));
    assert!(has(&|p| p.nodes == 1) && has(&|p| p.nodes == 4));
}

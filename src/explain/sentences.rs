//! Decisions (and the task events that are their evidence) into sentences.

use std::collections::BTreeMap;

use crate::check::timing::{failures_to_trigger, health_timing};
use crate::model::decision::{
    Decision, DecisionKind, Declined, FailureOutcome, RaceDraw, Release, ScaleDownSlot, Verdict,
};
use crate::model::record::{EventView, Name, ProcessChange, RunRecord, UpdateState};
use crate::model::scenario::Scenario;
use crate::model::spec::{FailureAction, UpdateConfig, UpdateOrder};
use crate::model::task::TaskState;
use crate::time::{SimDuration, SimTime};

use super::Explanation;

const RUN: &str = "swarmkit manager/orchestrator/update/updater.go: Updater.Run (dirtySlots; parallelism workers \
                   fed one slot at a time)";
const UPDATE_TASK: &str = "swarmkit updater.go: worker → updateTask (stop-first: removeOldTasks, then DelayStart \
                           until the old task stopped) / useExistingTask";
const WINDOW: &str = "swarmkit updater.go: updateTask records when its task is RUNNING in updatedTasks; \
                      failureTriggersAction counts a failure within monitoringPeriod of it";
const DELAY: &str = "swarmkit updater.go: worker sleeps UpdateConfig.Delay after each slot";
const MONITOR: &str = "swarmkit updater.go Run: after wg.Wait(), one more monitoringPeriod (delay + 1s when delay \
                       ≥ monitor, swarmkit#3003), then completeUpdate";
const RATIO: &str = "swarmkit updater.go failureTriggersAction: float32(totalFailures) / float32(len(dirtySlots)) \
                     > MaxFailureRatio triggers FailureAction";
const NOT_THIS_RUN: &str = "swarmkit updater.go failureTriggersAction: only tasks in updatedTasks (created by this \
                            run) count";
const CONTINUE: &str = "swarmkit updater.go Run: the failure watch is set up only when FailureAction is not \
                        CONTINUE";
const UNWATCHED: &str = "swarmkit updater.go: the failure watch lives only while Updater.Run runs";
const NOTHING_DIRTY: &str = "swarmkit updater.go Run: no dirty slot → completeUpdate at once";
const CANCELLED: &str = "swarmkit updater.go Supervisor.Update: a new spec cancels the running updater";
const RESTART: &str = "swarmkit manager/orchestrator/restart/restart.go: Restart (a new task with the service's \
                       current spec) and DelayStart (restart_policy.delay, then the old task's stop)";
const DECLINED: &str = "swarmkit restart.go: shouldRestart (condition; max_attempts within window)";
const RELEASE: &str = "swarmkit restart.go DelayStart: waits for the old task to stop (at most TaskTimeout) before \
                       StartNow. The stop: the order reaches the agent with its node's next assignments batch \
                       (dispatcher.go, 100 ms after the latest change); the agent's task manager cancels the \
                       task's operation and runs it again a second later (agent/task.go); a task on a swarm \
                       network waits 2s for the overlay's gossip (moby controller.Shutdown); then SIGTERM, \
                       SIGKILL after stop_grace_period";
const RELEASE_SHUT_DOWN: &str = "swarmkit restart.go DelayStart → StartNow: sets desired RUNNING only for a task \
                                 still desired below it (a task told to shut down meanwhile stays down)";
const PENDING: &str = "swarmkit manager/scheduler/scheduler.go: a task no node passes the filters for stays PENDING";
const RACE_SELECT: &str = "swarmkit updater.go Run: Go's select, parked on slotQueue <- slot and failedTaskWatch, \
                           takes whichever becomes ready first (goroutine timing: the freed worker first in 6 of 21 \
                           recorded races)";
const RACE_ORDER: &str = "swarmkit reconcile: the updater gets the slots in the order of a range over a Go map \
                          (updatableAndDeadSlots' map, filled in task-id order; global: g.nodes), which Go's \
                          mapiterinit starts at a random bucket and cell";
const COMMAND: &str = "x-simulation.timeline";
const ENFORCER: &str = "swarmkit manager/orchestrator/constraintenforcer/constraint_enforcer.go: rejectNoncompliantTasks \
    on every node update of an active node, against the service's current placement constraints; the restart \
    supervisor then replaces the REJECTED task (restart.go Restart)";
const SCALE_DOWN: &str = "swarmkit manager/orchestrator/replicated/services.go reconcile: sort.Sort(slotsByRunningState) \
    (running first, then slot number), each one-task slot numbered as the nth copy on its node, \
    sort.Sort(slotsByIndex); the first `replicas` stay, the rest get desired REMOVE. Go 1.19's sort.Sort: insertion \
    sort up to 12 elements, pdqsort (not stable) beyond";

/// The task events of each task, in order (indices into the record's events), and the signals
/// and exits of its container.
struct Tasks<'a> {
    by_task: BTreeMap<&'a str, Vec<EventView<'a>>>,
    signals: BTreeMap<&'a str, Vec<(SimTime, ProcessChange)>>,
}

impl<'a> Tasks<'a> {
    fn new(run: &'a RunRecord) -> Tasks<'a> {
        let mut by_task: BTreeMap<&str, Vec<EventView<'_>>> = BTreeMap::new();
        for e in run.events() {
            by_task.entry(e.task_id).or_default().push(e);
        }
        let mut signals: BTreeMap<&str, Vec<(SimTime, ProcessChange)>> = BTreeMap::new();
        for p in run.process_events.iter() {
            if matches!(p.change, ProcessChange::Sigterm | ProcessChange::Sigkill | ProcessChange::Exited(_)) {
                signals.entry(run.name(p.task_id)).or_default().push((p.t, p.change));
            }
        }
        Tasks { by_task, signals }
    }

    /// The first `change` (compared by kind) of the task's container at or after `from`.
    fn signal(&self, task: &str, from: SimTime, kind: fn(&ProcessChange) -> bool) -> Option<(SimTime, ProcessChange)> {
        self.signals.get(task)?.iter().find(|(t, c)| *t >= from && kind(c)).copied()
    }

    fn events(&self, task: &str) -> &[EventView<'a>] {
        self.by_task.get(task).map_or(&[], Vec::as_slice)
    }

    /// When the task was first seen in `state`.
    fn first(&self, task: &str, state: TaskState) -> Option<SimTime> {
        self.events(task).iter().find(|e| e.state == state).map(|e| e.t)
    }

    /// When the task was first seen in `state`, at or before `t` (`t` itself when never).
    fn at_or_before(&self, task: &str, state: TaskState, t: SimTime) -> SimTime {
        self.events(task).iter().find(|e| e.state == state && e.t <= t).map_or(t, |e| e.t)
    }

    fn image(&self, task: &str) -> &'a str {
        self.events(task).first().map_or("", |e| e.image)
    }

    /// The message of the task's event in `state` at or before `t` (its last such).
    fn message(&self, task: &str, state: TaskState, t: SimTime) -> &'a str {
        self.events(task).iter().rev().find(|e| e.state == state && e.t <= t).map_or("", |e| e.message)
    }
}

fn secs(t: SimTime) -> String {
    format!("{}s", t.secs_ms())
}

fn dur(a: SimTime, b: SimTime) -> String {
    format!("{}s", b.since(a).secs_ms())
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// The sentences of every recorded decision, plus each scheduler PENDING reason and each
/// timeline command.
pub(super) fn from_decisions(scenario: &Scenario, run: &RunRecord) -> Vec<Explanation> {
    let tasks = Tasks::new(run);
    let mut out = Vec::new();
    for (t, command, error) in &run.actions {
        let text = match error {
            Some(e) => format!("{command} — refused: {e}"),
            None => command.clone(),
        };
        out.push(Explanation::new(*t, "", "command", text, COMMAND));
    }
    out.extend(pending(&tasks));
    let mut runs: BTreeMap<(String, u32), (bool, UpdateConfig, u32)> = BTreeMap::new();
    for d in &run.decisions {
        let service = run.name(d.service).to_string();
        if let DecisionKind::RunStarted { run: n, rollback, dirty, config, .. } = &d.what {
            runs.insert((service.clone(), *n), (*rollback, config.clone(), *dirty));
        }
        if let Some(e) = sentence(scenario, run, &tasks, &runs, &service, d) {
            out.push(e);
        }
    }
    if run.decisions_dropped > 0 {
        out.push(Explanation::new(
            run.end_time,
            "",
            "note",
            format!(
                "{} later decisions were not recorded (deploysim's limit): the account stops there.",
                run.decisions_dropped
            ),
            "src/limits.rs MAX_DECISIONS",
        ));
    }
    out
}

/// Each task's PENDING with the scheduler's reason, and how long it lasted.
fn pending<'a>(tasks: &Tasks<'a>) -> Vec<Explanation> {
    let mut out = Vec::new();
    for (id, events) in &tasks.by_task {
        let Some(p) =
            events.iter().find(|e| e.state == TaskState::Pending && e.message.starts_with("no suitable node"))
        else {
            continue;
        };
        let left = events.iter().find(|e| e.state > TaskState::Pending && e.t >= p.t);
        let until = match left {
            Some(l) => format!("until {} ({} later, {})", secs(l.t), dur(p.t, l.t), l.state.as_str()),
            None => "until the end of the run".to_string(),
        };
        out.push(
            Explanation::new(
                p.t,
                p.service,
                "wait",
                format!("Task {} (slot {}) is PENDING {until}: the scheduler found {}.", short(id), p.slot, p.message),
                PENDING,
            )
            .with([format!("{} pending: \"{}\"", secs(p.t), p.message)]),
        );
    }
    out
}

fn config_text(c: &UpdateConfig) -> String {
    format!(
        "parallelism {}, {}, delay {}, monitor {}, failure_action {}, max_failure_ratio {}",
        c.parallelism,
        c.order.as_str(),
        c.delay,
        c.monitor,
        c.failure_action.as_str(),
        c.max_failure_ratio
    )
}

/// `1/10 = 0.100`.
fn ratio(failures: u32, dirty: u32) -> String {
    format!("{failures}/{dirty} = {:.3}", failures as f64 / f64::from(dirty.max(1)))
}

fn sentence(
    scenario: &Scenario,
    run: &RunRecord,
    tasks: &Tasks<'_>,
    runs: &BTreeMap<(String, u32), (bool, UpdateConfig, u32)>,
    service: &str,
    d: &Decision,
) -> Option<Explanation> {
    let t = d.t;
    let name = |n| run.name(n);
    let what = |n: u32| {
        if runs.get(&(service.to_string(), n)).is_some_and(|r| r.0) { "rollback" } else { "update" }
    };
    let e = match &d.what {
        DecisionKind::RunStarted { run: n, rollback, dirty, slots, config } => {
            let trigger = if config.failure_action == FailureAction::Continue {
                "failure_action continue: failures are not watched.".to_string()
            } else {
                match failures_to_trigger(config.max_failure_ratio, u64::from(*dirty)) {
                    Some(k) => format!(
                        "The failure ratio's denominator is its {}: the {} counted failure ({} > {}) triggers {}.",
                        plural(u64::from(*dirty), "dirty slot", "dirty slots"),
                        ordinal(k),
                        ratio(k as u32, *dirty),
                        config.max_failure_ratio,
                        config.failure_action.as_str()
                    ),
                    None => format!(
                        "Even {} failures ({} ) do not exceed max_failure_ratio {}: failure_action never triggers.",
                        dirty,
                        ratio(*dirty, *dirty),
                        config.max_failure_ratio
                    ),
                }
            };
            let kind = if *rollback { "rollback" } else { "update" };
            let with = if *rollback { "rollback_config" } else { "update_config" };
            Explanation::new(
                t,
                service,
                kind,
                format!(
                    "The {kind} starts (run {n}): {dirty} of {} dirty (their task's spec differs from the service's); \
                     {with}: {}. {trigger}",
                    plural(u64::from(*slots), "slot is", "slots are"),
                    config_text(config)
                ),
                RUN,
            )
        }
        DecisionKind::RunCancelled { run: n } => Explanation::new(
            t,
            service,
            "update",
            format!(
                "The running {} (run {n}) is cancelled: the service's spec changed; the tasks it created go on.",
                what(*n)
            ),
            CANCELLED,
        ),
        DecisionKind::NothingDirty { rollback } => {
            let text = if *rollback {
                "The rollback completes at once: no slot is dirty. Every slot's task already runs the restored spec — \
                 the restart supervisor replaced the failed tasks with the service's current spec, which the rollback \
                 had just restored — so Updater.Run has nothing to do."
            } else {
                "The update completes at once: no task's spec differs from the service's."
            };
            Explanation::new(t, service, "complete", text.to_string(), NOTHING_DIRTY)
        }
        DecisionKind::SlotTaken { run: n, worker, slot, task, created, old } => {
            let task = name(*task);
            let order = runs.get(&(service.to_string(), *n)).map_or(UpdateOrder::StopFirst, |r| r.1.order);
            let where_ = if *slot == 0 { "its node".to_string() } else { format!("slot {slot}") };
            let text = if *created {
                let old_text = match (old, order) {
                    (Some(o), UpdateOrder::StopFirst) => format!(
                        " stop-first: old task {} is told to shut down now; the new one is held READY until it has \
                         stopped.",
                        short(name(*o))
                    ),
                    (Some(o), UpdateOrder::StartFirst) => format!(
                        " start-first: it starts now; old task {} is shut down once the new one runs.",
                        short(name(*o))
                    ),
                    (None, _) => String::new(),
                };
                format!(
                    "Worker {} of the {} takes {where_}: new task {} ({}).{old_text}",
                    worker + 1,
                    what(*n),
                    short(task),
                    tasks.image(task)
                )
            } else {
                format!(
                    "Worker {} of the {} takes {where_}: task {} already runs the target spec and is kept.",
                    worker + 1,
                    what(*n),
                    short(task)
                )
            };
            Explanation::new(t, service, "slot", text, UPDATE_TASK)
        }
        DecisionKind::WindowOpened { task, state, window, .. } => {
            let task = name(*task);
            if *state > TaskState::Running {
                let ended = tasks.at_or_before(task, *state, t);
                return Some(Explanation::new(
                    t,
                    service,
                    "wait",
                    format!(
                        "Task {} ended ({}) at {} without the worker seeing it RUNNING: the worker is free.",
                        short(task),
                        state.as_str(),
                        secs(ended)
                    ),
                    WINDOW,
                ));
            }
            let (text, evidence) = lifecycle(tasks, task, t);
            let probe = task_health(scenario, tasks, task).map_or(String::new(), |h| {
                format!(
                    " With a health check a task is RUNNING only once a probe passes: Docker runs the first one \
                     interval {} after the container starts{}.",
                    h.resolved.interval,
                    match h.resolved.start_interval {
                        Some(si) if si != h.resolved.interval && h.resolved.start_period > SimDuration::ZERO => {
                            format!(" (start_interval {si} inside the start period)")
                        }
                        _ => String::new(),
                    }
                )
            });
            Explanation::new(
                t,
                service,
                "wait",
                format!(
                    "Task {} is RUNNING at {}{text}.{probe} The worker is free; its monitor window runs to {}.",
                    short(task),
                    secs(t),
                    secs(t.plus(*window))
                ),
                WINDOW,
            )
            .with(evidence)
        }
        DecisionKind::Sleep { worker, until, .. } => Explanation::new(
            t,
            service,
            "wait",
            format!(
                "Worker {} sleeps delay {} until {} before its next slot.",
                worker + 1,
                SimDuration::from_nanos(until.0.saturating_sub(t.0)),
                secs(*until)
            ),
            DELAY,
        ),
        DecisionKind::FinalMonitor { run: n, until, stretched_from } => {
            let period = SimDuration::from_nanos(until.0.saturating_sub(t.0));
            let stretched = match stretched_from {
                Some(m) => format!(" (monitor {m} stretched to delay + 1s = {period}, because delay ≥ monitor)"),
                None => String::new(),
            };
            Explanation::new(
                t,
                service,
                "wait",
                format!(
                    "Every slot of the {} is done: it watches one more monitoring period, {period}{stretched}, until \
                     {}; a counted failure over the ratio before then still stops it.",
                    what(*n),
                    secs(*until)
                ),
                MONITOR,
            )
        }
        DecisionKind::MonitorEnded { run: n, early } => Explanation::new(
            t,
            service,
            "complete",
            if *early {
                format!(
                    "The {} completes at {}: the failure that paused it (never roll back a rollback) broke its \
                     monitor loop without stopping the run, so completeUpdate runs at once and overwrites \
                     rollback_paused (real Docker 20.10 does the same).",
                    what(*n),
                    secs(t)
                )
            } else {
                format!(
                    "The {} completes at {}: its final monitoring period ended and nothing had stopped \
                     the run (completeUpdate).",
                    what(*n),
                    secs(t)
                )
            },
            MONITOR,
        ),
        DecisionKind::FailureJudged { run: n, task, state, verdict, failures, dirty, max_ratio, outcome } => {
            let task = name(*task);
            let (failed, mut evidence) = failure_text(scenario, tasks, task, *state, t);
            let (kind, why, rule) = match verdict {
                Verdict::Counted => {
                    let when = match tasks.first(task, TaskState::Running) {
                        Some(r) if r <= t => {
                            let window =
                                runs.get(&(service.to_string(), *n)).map_or(SimDuration::ZERO, |r| r.1.monitor);
                            format!("it ran at {}, {} before: inside its monitor window ({window})", secs(r), dur(r, t))
                        }
                        _ => "it never reached RUNNING, and a failure before RUNNING always counts".to_string(),
                    };
                    let cmp = if *outcome == FailureOutcome::BelowRatio { "≤" } else { ">" };
                    let action = match outcome {
                        FailureOutcome::BelowRatio => "the update goes on".to_string(),
                        FailureOutcome::Pause => "failure_action pause: the update pauses (UpdateStatus paused) and \
                                                  hands out no more slots; it waits for an operator"
                            .to_string(),
                        FailureOutcome::Rollback => "failure_action rollback: the previous spec is restored and a \
                                                     rollback starts with rollback_config"
                            .to_string(),
                        FailureOutcome::RollbackPaused => "never roll back a rollback: the rollback pauses \
                                                           (rollback_paused) — but that branch does not stop the \
                                                           run, which goes on to its final monitor and completes"
                            .to_string(),
                    };
                    evidence.push(format!("{} {cmp} {max_ratio}", ratio(*failures, *dirty)));
                    let kind = match outcome {
                        FailureOutcome::BelowRatio => "failure",
                        FailureOutcome::Pause | FailureOutcome::RollbackPaused => "pause",
                        FailureOutcome::Rollback => "rollback",
                    };
                    (
                        kind,
                        format!(
                            "counted — this {} created it and {when}. Failures / dirty slots: {} {cmp} \
                             max_failure_ratio {max_ratio}: {action}.",
                            what(*n),
                            ratio(*failures, *dirty)
                        ),
                        RATIO,
                    )
                }
                Verdict::AlreadyCounted => return None,
                Verdict::NotThisRun => (
                    "failure",
                    format!(
                        "not counted — the running {} did not create it (a task the restart supervisor made, or an \
                         old one): a crash-looping slot counts once.",
                        what(*n)
                    ),
                    NOT_THIS_RUN,
                ),
                Verdict::OutsideWindow { running_at, window } => (
                    "failure",
                    format!(
                        "not counted — it ran at {} and its monitor window of {window} ended at {}, before this failure.",
                        secs(*running_at),
                        secs(running_at.plus(*window))
                    ),
                    WINDOW,
                ),
                Verdict::Queued => (
                    "failure",
                    "arrived while the workers finished their last slots: judged when the final monitor starts."
                        .to_string(),
                    MONITOR,
                ),
                Verdict::Unwatched => (
                    "failure",
                    format!("not counted — failure_action continue: the {} does not watch failures.", what(*n)),
                    CONTINUE,
                ),
                Verdict::AfterStop => (
                    "failure",
                    format!(
                        "not counted — the {} had already stopped; its workers were only finishing their slots \
                         (stopped: no final monitor judges it).",
                        what(*n)
                    ),
                    MONITOR,
                ),
            };
            Explanation::new(t, service, kind, format!("Task {} {failed}: {why}", short(task)), rule).with(evidence)
        }
        DecisionKind::FailureUnwatched { task, state } => {
            let task = name(*task);
            let (failed, evidence) = failure_text(scenario, tasks, task, *state, t);
            let status = run
                .services
                .iter()
                .find(|s| s.name == service)
                .and_then(|s| s.status_changes.iter().rev().find(|c| c.t <= t))
                .map(|c| c.state);
            let why = match status {
                None => "no update has run yet".to_string(),
                Some(UpdateState::Paused | UpdateState::RollbackPaused) => "the update is paused".to_string(),
                Some(s) => format!("the last update is {}", s.as_str()),
            };
            Explanation::new(
                t,
                service,
                "failure",
                format!(
                    "Task {} {failed}: no updater is running ({why}), so nothing counts it; the restart supervisor \
                     decides what follows.",
                    short(task)
                ),
                UNWATCHED,
            )
            .with(evidence)
        }
        DecisionKind::Restarted { old, new, slot, delay } => {
            let (old, new) = (name(*old), name(*new));
            let (old_image, new_image) = (tasks.image(old), tasks.image(new));
            let spec = if old_image == new_image {
                format!("({new_image})")
            } else {
                format!("with the service's current spec, {new_image} (the ended task ran {old_image})")
            };
            Explanation::new(
                t,
                service,
                "restart",
                format!(
                    "The restart supervisor replaces task {} in slot {slot}: new task {} {spec}, started after \
                     restart_policy.delay {delay} and once the old task has stopped.",
                    short(old),
                    short(new)
                ),
                RESTART,
            )
        }
        DecisionKind::RestartDeclined { task, slot, why } => {
            let task = name(*task);
            let why = match why {
                Declined::ConditionNone => "restart_policy condition none".to_string(),
                Declined::CompletedOnFailure => "it exited 0 and restart_policy condition is on-failure".to_string(),
                Declined::MaxAttempts { max_attempts, window } if *window == SimDuration::ZERO => {
                    format!("restart_policy max_attempts {max_attempts}: that many replacements were already made")
                }
                Declined::MaxAttempts { max_attempts, window } => format!(
                    "restart_policy max_attempts {max_attempts}: that many replacements were made within window {window}"
                ),
            };
            let next = run
                .events()
                .find(|e| e.t > t && e.service == service && e.slot == *slot && *slot != 0 && e.task_id != task)
                .map(|e| e.t);
            let until = match next {
                Some(n) => format!("until {} ({})", secs(n), dur(t, n)),
                None => format!("to the end of the run ({})", dur(t, run.end_time)),
            };
            Explanation::new(
                t,
                service,
                "restart",
                format!("Slot {slot} is left without a task {until}: task {} is not replaced — {why}.", short(task)),
                DECLINED,
            )
        }
        DecisionKind::Released { task, old, since, how } => {
            let task = name(*task);
            match (how, old) {
                (Release::OldStopped, Some(o)) => {
                    let o = name(*o);
                    let grace = scenario
                        .services
                        .iter()
                        .find(|s| s.name == service)
                        .and_then(|s| s.task.stop_grace_period)
                        .unwrap_or(SimDuration::from_secs(10));
                    let stopped = tasks.events(o).iter().rev().find(|e| e.t <= t && e.state > TaskState::Running);
                    let how_stopped =
                        stopped.map_or(String::new(), |e| format!(" ({}: \"{}\")", e.state.as_str(), e.message));
                    // How it stopped: a task that never reached STARTING had no container to signal.
                    let had_container = tasks.events(o).iter().any(|e| e.t <= t && e.state == TaskState::Starting);
                    let sigterm = tasks.signal(o, *since, |c| *c == ProcessChange::Sigterm);
                    let exited = tasks.signal(o, *since, |c| matches!(c, ProcessChange::Exited(_)));
                    let sigkill = tasks.signal(o, *since, |c| *c == ProcessChange::Sigkill);
                    let how = if let (true, Some((term, _))) = (had_container, sigterm) {
                        // Where the time went: the stop's own steps, as the run took them.
                        let end = match (sigkill, exited) {
                            (Some((kill, _)), _) => {
                                format!(", SIGKILL {} after it (stop_grace_period {grace})", dur(term, kill))
                            }
                            (None, Some((exit, ProcessChange::Exited(code)))) => {
                                format!(", and its process exited ({code}) {} after it", dur(term, exit))
                            }
                            _ => String::new(),
                        };
                        format!("— SIGTERM {} after the order{end}", dur(*since, term))
                    } else if had_container {
                        format!("(SIGTERM, SIGKILL after stop_grace_period {grace})")
                    } else {
                        "— it had no container yet, so nothing was signalled; a task on a swarm network still waits \
                         2s for the overlay's gossip before its agent reports it shut down (moby controller.Shutdown)"
                            .to_string()
                    };
                    let (stopped_text, since) = (format!("old task {} stopped{how_stopped}", short(o)), dur(*since, t));
                    // `StartNow` leaves a task already told to shut down alone.
                    let told_to_stop = (tasks.events(task).iter().rev().find(|e| e.t <= t))
                        .filter(|e| e.desired_state > TaskState::Running)
                        .map(|_| {
                            tasks.events(task).iter().find(|e| e.desired_state > TaskState::Running).map_or(t, |e| e.t)
                        });
                    match told_to_stop {
                        Some(at) => Explanation::new(
                            t,
                            service,
                            "wait",
                            format!(
                                "Task {}'s wait is over: {stopped_text}, {since} after it was told to {how}. But task {} \
                                 itself was told to shut down at {}: nothing starts.",
                                short(task),
                                short(task),
                                secs(at)
                            ),
                            RELEASE_SHUT_DOWN,
                        ),
                        None => Explanation::new(
                            t,
                            service,
                            "wait",
                            format!(
                                "Task {} may start: {stopped_text}, {since} after it was told to {how}.",
                                short(task)
                            ),
                            RELEASE,
                        ),
                    }
                }
                (Release::TimedOut, o) => Explanation::new(
                    t,
                    service,
                    "wait",
                    format!(
                        "Task {} may start: old task {} had not stopped {} after it was told to; Swarm starts the new \
                         one anyway.",
                        short(task),
                        o.map_or("?", |o| short(name(o))),
                        dur(*since, t)
                    ),
                    RELEASE,
                ),
                _ if t > *since => Explanation::new(
                    t,
                    service,
                    "wait",
                    format!("Task {} may start: its restart delay of {} has passed.", short(task), dur(*since, t)),
                    RELEASE,
                ),
                _ => return None,
            }
        }
        DecisionKind::ScaledDown { kept, order } => {
            Explanation::new(t, service, "scale", scale_down_sentence(*kept as usize, order, &name), SCALE_DOWN)
        }
        DecisionKind::ConstraintRejected { task, node, failing } => Explanation::new(
            t,
            service,
            "reject",
            format!(
                "Task {} is REJECTED by the constraint enforcer (\"assigned node no longer meets constraints\"): \
                 node {} is active and no longer meets the service's current placement {} {}. The enforcer checks \
                 a node's tasks on every update of the node (labels, availability, a new session), not while it \
                 is paused or drained, and against the service's constraints, not the task's own; the restart \
                 supervisor replaces the task (restart_policy.delay applies, the old container is stopped).",
                short(name(*task)),
                name(*node),
                if failing.len() == 1 { "constraint" } else { "constraints" },
                failing.join(", ")
            ),
            ENFORCER,
        ),
        DecisionKind::Race { draw } => match draw {
            RaceDraw::SlotBeforeFailure { slot_first } => Explanation::new(
                t,
                service,
                "race",
                if *slot_first {
                    "Race: a worker was freed by the same event as a failure; Go's select handed it the next slot \
                     first, so one more slot was updated before the failure was judged."
                        .to_string()
                } else {
                    "Race: a worker was freed by the same event as a failure; Go's select read the failure first, so \
                     no further slot was handed out before it was judged."
                        .to_string()
                },
                RACE_SELECT,
            ),
            RaceDraw::SlotOrder { first, slots } => Explanation::new(
                t,
                service,
                "race",
                format!(
                    "Race: the {slots} dirty slots are taken in a Go map's order; this seed's starts with slot {first}."
                ),
                RACE_ORDER,
            ),
        },
    };
    Some(e)
}

/// What a scale-down kept and removed, copy by copy: the slots in the orchestrator's order
/// grouped by their copy number on their node.
fn scale_down_sentence<'a>(kept: usize, order: &[ScaleDownSlot], name: &impl Fn(Name) -> &'a str) -> String {
    let groups = |slots: &[ScaleDownSlot]| {
        if slots.is_empty() {
            return "none".to_string();
        }
        let mut out: Vec<String> = Vec::new();
        for chunk in slots.chunk_by(|a, b| a.nth == b.nth) {
            let list = chunk.iter().map(|s| s.slot.to_string()).collect::<Vec<_>>().join(", ");
            let what = match chunk[0].nth {
                u64::MAX => "unplaced, or several tasks".to_string(),
                nth if chunk.len() == 1 => format!("{} copy", ordinal(nth)),
                nth => format!("{} copies", ordinal(nth)),
            };
            out.push(format!("{list} ({what})"));
        }
        out.join("; ")
    };
    let (stay, go) = order.split_at(kept.min(order.len()));
    let mut per_node: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (i, s) in order.iter().enumerate() {
        if let Some(node) = s.node {
            let counts = per_node.entry(name(node)).or_default();
            counts.0 += 1;
            counts.1 += u64::from(i < kept);
        }
    }
    let nodes = per_node.iter().map(|(n, (before, after))| format!("{n} {before} → {after}")).collect::<Vec<_>>();
    let mut text = format!(
        "Scaled down from {} to {kept} slots. The orchestrator numbers the copies of the service on each node \
         (running ones first, then by slot number) and keeps every node's 1st copies, then the 2nd copies, and so \
         on, so the nodes holding the most copies lose theirs first; a slot that is not one task on a node \
         (unplaced, or two tasks during a start-first step) ranks last. Copies per node (one-task slots): {}. \
         Kept: {}. Removed: {}.",
        order.len(),
        if nodes.is_empty() { "none".to_string() } else { nodes.join(", ") },
        groups(stay),
        groups(go)
    );
    let idle: Vec<String> =
        order.iter().filter(|s| !s.running && s.nth != u64::MAX).map(|s| s.slot.to_string()).collect();
    if !idle.is_empty() {
        text += &format!(
            " Not running when scaled: slot{} {} (numbered after the running copies on {}).",
            if idle.len() == 1 { "" } else { "s" },
            idle.join(", "),
            if idle.len() == 1 { "its node" } else { "their nodes" }
        );
    }
    // A copy number split between kept and removed: which of the equal copies stay is the sort's
    // order (running first, then ascending slots, up to 12 slots; pdqsort's own beyond).
    if let (Some(last), Some(first)) = (stay.last(), go.first())
        && last.nth == first.nth
        && last.nth != u64::MAX
    {
        let nth = ordinal(last.nth);
        text += &if order.len() > 12 {
            format!(
                " Past 12 slots Go's sort.Sort is pdqsort, which is not stable: which of the equal {nth} copies stay \
                 is its order, not the lowest slot numbers."
            )
        } else {
            format!(
                " Of the equal {nth} copies the running ones stay first, then the lower slot numbers (Go sorts up to \
                 12 slots stably)."
            )
        };
    }
    text
}

/// `1 slot`, `2 slots` (`many` is the plural word, possibly with its verb).
fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

fn ordinal(k: u64) -> String {
    let suffix = match (k % 10, k % 100) {
        (1, n) if n != 11 => "st",
        (2, n) if n != 12 => "nd",
        (3, n) if n != 13 => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
}

/// `failed at 73.450s (complete: "finished"), never RUNNING: its health check never passed…`,
/// and the evidence.
fn failure_text(
    scenario: &Scenario,
    tasks: &Tasks<'_>,
    task: &str,
    state: TaskState,
    t: SimTime,
) -> (String, Vec<String>) {
    let message = tasks.message(task, state, t);
    let ended = tasks.at_or_before(task, state, t);
    let mut text = format!("ended at {} ({}: \"{message}\")", secs(ended), state.as_str());
    let mut evidence = Vec::new();
    let started = tasks.first(task, TaskState::Starting);
    let running = tasks.first(task, TaskState::Running).filter(|&r| r <= t);
    if let Some(s) = started {
        evidence.push(format!("container started at {}", secs(s)));
    }
    if let Some(r) = running {
        evidence.push(format!("RUNNING at {}", secs(r)));
    }
    let health = task_health(scenario, tasks, task);
    let unhealthy = health.map(|h| health_timing(&h.resolved, h.probe).unhealthy_after());
    // An unhealthy container is killed and exits (complete); a crash fails with its exit code.
    if let (Some(s), None, Some(unhealthy), TaskState::Complete) = (started, running, unhealthy, state)
        && ended >= s.plus(unhealthy)
    {
        text += &format!(
            ", {} after its container started, never RUNNING: its probes never passed, the health monitor marked it \
             unhealthy {}s after start (see the health-check sentence) and Swarm stopped it, {} later",
            dur(s, ended),
            unhealthy.secs_ms(),
            dur(s.plus(unhealthy), ended)
        );
        evidence.push(format!("unhealthy at about {}", secs(s.plus(unhealthy))));
    }
    evidence.push(format!("{} {}: \"{message}\"", secs(ended), state.as_str()));
    (text, evidence)
}

/// The health check a task runs: its service's (as deployed), else its image's `HEALTHCHECK`.
fn task_health(scenario: &Scenario, tasks: &Tasks<'_>, task: &str) -> Option<crate::check::policy::Health> {
    let first = tasks.events(task).first()?;
    let spec = scenario.services.iter().find(|s| s.name == first.service)?;
    crate::check::policy::health(scenario, &spec.task.healthcheck, first.image)
}

/// `, 5.410s after it was created: pull and create 3.120s, held READY 1.000s, …`, and evidence.
fn lifecycle(tasks: &Tasks<'_>, task: &str, running: SimTime) -> (String, Vec<String>) {
    let events = tasks.events(task);
    let Some(created) = events.first().map(|e| e.t) else { return (String::new(), Vec::new()) };
    let at = |s| tasks.first(task, s);
    let mut parts = Vec::new();
    if let (Some(p), Some(a)) = (at(TaskState::Pending), at(TaskState::Assigned))
        && a.since(p) > SimDuration::ZERO
    {
        parts.push(format!("pending {}", dur(p, a)));
    }
    // A task created held (desired READY, a stop-first step) and released while it still
    // prepared: the change cancels the agent's operation in flight, and swarmkit's task manager
    // runs it again a fixed second later (agent/task.go, ErrTaskRetry; recorded s42b).
    let released_preparing = (events.windows(2))
        .find(|w| {
            w[0].desired_state < TaskState::Running
                && w[1].desired_state == TaskState::Running
                && w[1].state == TaskState::Preparing
        })
        .map(|w| w[1].t);
    if let (Some(p), Some(r)) = (at(TaskState::Preparing), at(TaskState::Ready)) {
        match released_preparing {
            Some(rel) => parts.push(format!(
                "pull and create {} (released at {} while it prepared: the change cancels the agent's \
                 operation, and swarmkit's task manager runs it again a second later, once its image is \
                 pulled: READY {} after the release)",
                dur(p, r),
                secs(rel),
                dur(rel, r)
            )),
            None => parts.push(format!("pull and create {}", dur(p, r))),
        }
    }
    if let (Some(r), Some(s)) = (at(TaskState::Ready), at(TaskState::Starting))
        && s.since(r) > SimDuration::ZERO
    {
        match released_preparing {
            Some(_) => parts.push(format!("READY → STARTING {}", dur(r, s))),
            None => parts.push(format!("held READY {} (until released)", dur(r, s))),
        }
    }
    if let Some(s) = at(TaskState::Starting) {
        parts.push(format!("starting → RUNNING {}", dur(s, running)));
    }
    let evidence = events
        .iter()
        .filter(|e| e.t <= running && e.desired_state <= TaskState::Running)
        .map(|e| format!("{} {}: \"{}\"", secs(e.t), e.state.as_str(), e.message))
        .collect();
    let text = if parts.is_empty() {
        String::new()
    } else {
        format!(", {} after it was created: {}", dur(created, running), parts.join(", "))
    };
    (text, evidence)
}

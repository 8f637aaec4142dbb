//! The rolling updater, mirroring swarmkit's `manager/orchestrator/update/updater.go`
//! (`Updater.Run`, `worker`, `updateTask`, `failureTriggersAction`) as a state machine.
//!
//! swarmkit runs `parallelism` goroutines fed one slot at a time through an unbuffered channel,
//! with a main loop that selects between handing out the next slot and judging failure events.
//! Here each worker is an explicit state, the main loop is [`Phase`], and every blocking wait
//! becomes an input: [`Updater::on_slot_work`], [`Updater::on_gate_open`],
//! [`Updater::on_task_state`] and [`Updater::on_timer`]. Outputs are [`UpdaterCommand`]s.

use std::collections::BTreeSet;

use crate::model::decision::{FailureOutcome, Verdict};
use crate::model::record::UpdateState;
use crate::model::spec::{FailureAction, UpdateConfig, UpdateOrder};
use crate::model::task::{TaskId, TaskState};
use crate::time::{SimDuration, SimTime};
use crate::world::tasktable::TaskTable;

/// A timer the updater asks the world to arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdaterTimer {
    /// A worker's `delay` sleep ended.
    Delay {
        /// Which worker.
        worker: usize,
    },
    /// The final monitoring period ended.
    MonitorDone,
}

/// What the world must do for the updater.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdaterCommand {
    /// Run `worker`'s per-slot step on `slot` (swarmkit `worker`: use an existing clean task or
    /// create a new one with `order`), then report with [`Updater::on_slot_work`].
    UpdateSlot {
        /// The worker taking the slot.
        worker: usize,
        /// Slot number (replicated) or node index (global).
        slot: u64,
        /// stop-first or start-first.
        order: UpdateOrder,
    },
    /// start-first: the new task is RUNNING; set desired SHUTDOWN on the slot's other tasks
    /// (`removeOldTasks` after `startThenStop`).
    RemoveOldTasks {
        /// The slot.
        slot: u64,
        /// The task to keep.
        keep: TaskId,
    },
    /// Arm a timer.
    ArmTimer {
        /// Which.
        timer: UpdaterTimer,
        /// When it fires.
        at: SimTime,
    },
    /// `pauseUpdate`: set UpdateStatus.
    Pause {
        /// `paused` or `rollback_paused`, as this run sees it; the store has the last word
        /// (`pauseUpdate` pauses a status that is `rollback_started` as `rollback_paused`, any
        /// other as `paused`).
        state: UpdateState,
        /// Docker's message.
        message: String,
    },
    /// `rollbackUpdate`: restore the previous spec and start a rollback.
    Rollback {
        /// Docker's message.
        message: String,
    },
    /// `completeUpdate`.
    Complete,
    /// A failure was counted toward the ratio (for reports).
    FailureCounted {
        /// The failed task.
        task: TaskId,
    },
    /// `Run` returned: the world may drop this updater.
    Finished,
    /// Why the run did what it did (only when started with `explain`: `deploysim explain`).
    Note(UpdaterNote),
}

/// A decision's facts, as the updater knows them, for `deploysim explain`.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdaterNote {
    /// A worker saw its new task RUNNING (or past it): the task's monitor window opens.
    WindowOpened {
        /// The task.
        task: TaskId,
        /// The state seen (past RUNNING: the task ended before the worker saw it run).
        state: TaskState,
        /// The monitoring period in force.
        window: SimDuration,
    },
    /// `failureTriggersAction` judged a task that ended.
    Judged {
        /// The task.
        task: TaskId,
        /// Its state.
        state: TaskState,
        /// Counted or not, and why.
        verdict: Verdict,
        /// Failures counted so far.
        failures: u64,
        /// The denominator (`len(dirtySlots)`).
        dirty: usize,
        /// What followed.
        outcome: FailureOutcome,
    },
    /// The final monitoring period starts.
    FinalMonitor {
        /// When it ends.
        until: SimTime,
        /// The configured monitor, when `delay >= monitor` stretched it.
        stretched_from: Option<SimDuration>,
    },
    /// The final monitoring period ended (`early`: "never roll back a rollback" broke the
    /// monitor loop without stopping the run): the update completes.
    MonitorEnded {
        /// Broken off by a failure instead of ending.
        early: bool,
    },
}

/// What the world did for an `UpdateSlot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotWork {
    /// `useExistingTask` with a task already desired RUNNING: nothing to wait for.
    Done,
    /// `useExistingTask` with a clean task below RUNNING: wait for its delayed start.
    WaitGate {
        /// The existing clean task.
        task: TaskId,
    },
    /// `updateTask`: a new task was created; wait for its start gate, then for it to reach a
    /// state ≥ RUNNING.
    NewTask {
        /// The new task.
        task: TaskId,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Worker {
    /// Ready for a slot.
    Idle,
    /// Waiting for the world to report what it did with a slot.
    Dispatched { slot: u64 },
    /// Waiting for an existing task's delayed start.
    Gate { task: TaskId },
    /// Waiting for a new task: first its start gate, then a state ≥ RUNNING.
    Await { slot: u64, task: TaskId, gate_open: bool, seen: Option<TaskState> },
    /// Sleeping `delay`.
    Sleeping,
    /// The slot queue is closed: this worker returned.
    Exited,
}

/// Where `Run` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `slotsLoop`: handing out slots and judging failures at once.
    Dispatching,
    /// `wg.Wait()`: every slot handed out (or dispatch stopped); failures queue up.
    Draining,
    /// `monitorLoop`: one more monitoring period.
    Monitoring,
    /// `Run` returned.
    Done,
}

/// One run of swarmkit's `Updater` for one service.
pub struct Updater {
    config: UpdateConfig,
    /// `UpdateStatus.State == ROLLBACK_STARTED` when this run began.
    is_rollback: bool,
    dirty_slots: Vec<u64>,
    next_slot: usize,
    workers: Vec<Worker>,
    /// Idle workers, lowest index first (which goroutine takes a slot is immaterial).
    idle: BTreeSet<usize>,
    /// The worker waiting on each task (its gate or its first state ≥ RUNNING). This and
    /// `updated_tasks` are read for every state the manager observes and filled for every
    /// task the run creates (100,000 of them in W100k), and never iterated: tables by task id
    /// instead of B-trees.
    waiting: TaskTable<usize>,
    /// Workers that have returned.
    exited: usize,
    /// `updatedTasks`: tasks this run created, with the time each was seen ≥ RUNNING.
    updated_tasks: TaskTable<Option<SimTime>>,
    failed_tasks: BTreeSet<TaskId>,
    total_failures: u64,
    monitoring_period: SimDuration,
    phase: Phase,
    /// `stopped` in `Run`: set by pause/rollback; skips the final monitor and completion.
    stopped: bool,
    /// Failure events that arrived during `wg.Wait()`, judged when monitoring starts.
    queued_failures: Vec<(TaskId, TaskState)>,
    /// Emit [`UpdaterCommand::Note`]s (`deploysim explain`).
    explain: bool,
}

impl Updater {
    /// `Updater.Run` up to the first slot hand-out. `dirty_slots` must be non-empty and in the
    /// order to update them (real Swarm's order comes from a range over a Go map: the world
    /// draws it as Go would, `crate::gomap`, or keeps them ascending with `races: fixed`).
    pub fn start(
        now: SimTime,
        config: UpdateConfig,
        is_rollback: bool,
        dirty_slots: Vec<u64>,
    ) -> (Updater, Vec<UpdaterCommand>) {
        assert!(!dirty_slots.is_empty(), "the world completes updates with no dirty slot itself");
        let parallelism = if config.parallelism == 0 { dirty_slots.len() } else { config.parallelism as usize };
        let monitoring_period = config.monitor;
        let mut updater = Updater {
            config,
            is_rollback,
            dirty_slots,
            next_slot: 0,
            workers: vec![Worker::Idle; parallelism],
            idle: (0..parallelism).collect(),
            waiting: TaskTable::default(),
            exited: 0,
            updated_tasks: TaskTable::default(),
            failed_tasks: BTreeSet::new(),
            total_failures: 0,
            monitoring_period,
            phase: Phase::Dispatching,
            stopped: false,
            queued_failures: Vec::new(),
            explain: false,
        };
        let mut out = Vec::new();
        updater.hand_out_slots(now, &mut out);
        (updater, out)
    }

    /// Emit [`UpdaterCommand::Note`]s from now on: the facts of each decision, for `deploysim
    /// explain` (call right after [`Updater::start`]; the first slots' hand-out needs none).
    pub fn explaining(mut self) -> Updater {
        self.explain = true;
        self
    }

    /// True once `Run` has returned.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Whether this run is a rollback.
    pub fn is_rollback(&self) -> bool {
        self.is_rollback
    }

    /// The parallelism this run was started with (0: every dirty slot at once). The service's
    /// spec may have changed since (a manual rollback restores another update config before the
    /// orchestrator cancels this run).
    pub fn parallelism(&self) -> u64 {
        self.config.parallelism
    }

    /// `max_failure_ratio` of the config this run was started with.
    pub fn max_failure_ratio(&self) -> f32 {
        self.config.max_failure_ratio
    }

    /// Number of dirty slots this run started with (the failure-ratio denominator).
    pub fn dirty_slot_count(&self) -> usize {
        self.dirty_slots.len()
    }

    /// The dirty slot `k` hand-outs from now will take (0: the next), if any: a lookahead for
    /// the world's memory prefetches, never for a decision.
    pub fn upcoming_slot(&self, k: usize) -> Option<u64> {
        self.dirty_slots.get(self.next_slot + k).copied()
    }

    /// Slots currently held by workers (for invariant checks): at most `parallelism`.
    pub fn slots_in_flight(&self) -> usize {
        self.workers
            .iter()
            .filter(|w| matches!(w, Worker::Dispatched { .. } | Worker::Gate { .. } | Worker::Await { .. }))
            .count()
    }

    /// The world finished `UpdateSlot` for `worker`.
    pub fn on_slot_work(&mut self, now: SimTime, worker: usize, work: SlotWork) -> Vec<UpdaterCommand> {
        let mut out = Vec::new();
        let Worker::Dispatched { slot } = self.workers[worker] else {
            panic!("slot work reported for worker {worker} in state {:?}", self.workers[worker]);
        };
        match work {
            SlotWork::Done => self.worker_slot_done(now, worker, &mut out),
            SlotWork::WaitGate { task } => {
                self.workers[worker] = Worker::Gate { task };
                self.waiting.insert(task, worker);
            }
            SlotWork::NewTask { task } => {
                // updateTask registers the task with a zero time before creating it, so a
                // failure before RUNNING always counts.
                self.updated_tasks.insert(task, None);
                self.workers[worker] = Worker::Await { slot, task, gate_open: false, seen: None };
                self.waiting.insert(task, worker);
            }
        }
        self.after_change(now, &mut out);
        out
    }

    /// `DelayStart` released `task` (its desired state is now RUNNING, or it was abandoned).
    pub fn on_gate_open(&mut self, now: SimTime, task: TaskId) -> Vec<UpdaterCommand> {
        let mut out = Vec::new();
        if let Some(&worker) = self.waiting.get(task) {
            match self.workers[worker] {
                Worker::Gate { .. } => self.worker_slot_done(now, worker, &mut out),
                Worker::Await { slot, gate_open: false, seen, .. } => {
                    self.workers[worker] = Worker::Await { slot, task, gate_open: true, seen: None };
                    // Events that arrived while the worker waited on the gate are still in its
                    // watch channel (the watch starts before the task is created).
                    if let Some(state) = seen {
                        self.worker_saw_state(now, worker, state, &mut out);
                    }
                }
                _ => {}
            }
        }
        self.after_change(now, &mut out);
        out
    }

    /// The manager observed `task` (of this service) in `state`; when the failure watch and a
    /// freed worker race, the failure is read first (see [`Updater::on_task_state_racing`]).
    pub fn on_task_state(&mut self, now: SimTime, task: TaskId, state: TaskState) -> Vec<UpdaterCommand> {
        self.on_task_state_racing(now, task, state, || false)
    }

    /// The manager observed `task` (of this service) in `state`. When the event both frees the
    /// worker that waited on the task and is a failure to judge while slots remain, `Run`'s
    /// `select` can go two ways — handing the next slot to the freed worker, or reading the
    /// failure — whichever becomes ready first (goroutine timing; the world's odds are
    /// `SLOT_FIRST_ON_FAILURE`): `slot_first` is asked, once, which it was.
    /// Handing the slot out first updates one more slot before the update stops (m06 r2: the
    /// worker freed by a task's termination took the next slot in the instant the update paused).
    pub fn on_task_state_racing(
        &mut self,
        now: SimTime,
        task: TaskId,
        state: TaskState,
        slot_first: impl FnOnce() -> bool,
    ) -> Vec<UpdaterCommand> {
        let mut out = Vec::new();
        if self.phase == Phase::Done {
            return out;
        }
        // The worker waiting on this task (updateTask's own watch).
        if let Some(&worker) = self.waiting.get(task)
            && let Worker::Await { slot, gate_open, seen, .. } = self.workers[worker]
            && state >= TaskState::Running
        {
            if gate_open {
                self.worker_saw_state(now, worker, state, &mut out);
            } else if seen.is_none() {
                self.workers[worker] = Worker::Await { slot, task, gate_open, seen: Some(state) };
            }
        }
        if state > TaskState::Running
            && self.config.failure_action == FailureAction::Continue
            && self.updated_tasks.contains(task)
        {
            self.note_verdict(task, state, Verdict::Unwatched, FailureOutcome::BelowRatio, &mut out);
        }
        // The failure watch: only states > RUNNING, and only when the action is not continue.
        if state > TaskState::Running && self.config.failure_action != FailureAction::Continue {
            let racing = self.phase == Phase::Dispatching
                && !self.idle.is_empty()
                && self.next_slot < self.dirty_slots.len()
                && !self.failed_tasks.contains(&task)
                && self.updated_tasks.contains(task);
            if racing && slot_first() {
                self.hand_out_slots(now, &mut out);
            }
            match self.phase {
                Phase::Dispatching | Phase::Monitoring => self.judge_failure(now, task, state, &mut out),
                Phase::Draining => {
                    self.queued_failures.push((task, state));
                    let verdict = if self.stopped { Verdict::AfterStop } else { Verdict::Queued };
                    self.note_verdict(task, state, verdict, FailureOutcome::BelowRatio, &mut out);
                }
                Phase::Done => {}
            }
        }
        self.after_change(now, &mut out);
        out
    }

    /// A timer armed by this updater fired.
    pub fn on_timer(&mut self, now: SimTime, timer: UpdaterTimer) -> Vec<UpdaterCommand> {
        let mut out = Vec::new();
        match timer {
            UpdaterTimer::Delay { worker } => {
                assert_eq!(self.workers[worker], Worker::Sleeping, "delay timer for a worker that is not sleeping");
                self.set_idle(worker);
            }
            UpdaterTimer::MonitorDone => {
                if self.phase == Phase::Monitoring {
                    if self.explain {
                        out.push(UpdaterCommand::Note(UpdaterNote::MonitorEnded { early: false }));
                    }
                    out.push(UpdaterCommand::Complete);
                    self.finish(&mut out);
                }
            }
        }
        self.after_change(now, &mut out);
        out
    }

    /// The worker's task reached a state ≥ RUNNING (after its gate opened).
    fn worker_saw_state(&mut self, now: SimTime, worker: usize, state: TaskState, out: &mut Vec<UpdaterCommand>) {
        let Worker::Await { slot, task, .. } = self.workers[worker] else { unreachable!() };
        self.updated_tasks.insert(task, Some(now));
        if self.explain {
            out.push(UpdaterCommand::Note(UpdaterNote::WindowOpened { task, state, window: self.monitoring_period }));
        }
        if self.config.order == UpdateOrder::StartFirst && state == TaskState::Running {
            out.push(UpdaterCommand::RemoveOldTasks { slot, keep: task });
        }
        self.worker_slot_done(now, worker, out);
    }

    /// The end of one loop iteration of `worker`: sleep `delay` (if any) before the next slot.
    fn worker_slot_done(&mut self, now: SimTime, worker: usize, out: &mut Vec<UpdaterCommand>) {
        if let Worker::Gate { task } | Worker::Await { task, .. } = self.workers[worker] {
            self.waiting.remove(task);
        }
        if self.config.delay > SimDuration::ZERO {
            self.workers[worker] = Worker::Sleeping;
            out.push(UpdaterCommand::ArmTimer {
                timer: UpdaterTimer::Delay { worker },
                at: now.plus(self.config.delay),
            });
        } else {
            self.set_idle(worker);
        }
    }

    fn set_idle(&mut self, worker: usize) {
        self.workers[worker] = Worker::Idle;
        self.idle.insert(worker);
    }

    /// Runs the main loop forward after any input: hand out slots, close the queue, finish
    /// `wg.Wait()` and start the final monitor.
    fn after_change(&mut self, now: SimTime, out: &mut Vec<UpdaterCommand>) {
        if self.phase == Phase::Dispatching {
            self.hand_out_slots(now, out);
        }
        if self.phase == Phase::Draining {
            // The queue is closed: idle workers return.
            while let Some(worker) = self.idle.pop_first() {
                self.workers[worker] = Worker::Exited;
                self.exited += 1;
            }
            if self.exited == self.workers.len() {
                self.start_monitoring(now, out);
            }
        }
    }

    fn hand_out_slots(&mut self, _now: SimTime, out: &mut Vec<UpdaterCommand>) {
        while self.next_slot < self.dirty_slots.len() {
            let Some(worker) = self.idle.pop_first() else { return };
            let slot = self.dirty_slots[self.next_slot];
            self.next_slot += 1;
            self.workers[worker] = Worker::Dispatched { slot };
            out.push(UpdaterCommand::UpdateSlot { worker, slot, order: self.config.order });
        }
        self.phase = Phase::Draining;
    }

    /// After `wg.Wait()`: unless stopped, stretch the monitor when `delay >= monitor`
    /// (swarmkit#3003/#3014, in Docker 20.10 via moby#42875), judge the failures that queued up
    /// meanwhile, then watch one more monitoring period.
    fn start_monitoring(&mut self, now: SimTime, out: &mut Vec<UpdaterCommand>) {
        if self.stopped {
            self.finish(out);
            return;
        }
        if self.config.delay >= self.monitoring_period {
            self.monitoring_period = self.config.delay.plus(SimDuration::from_secs(1));
        }
        self.phase = Phase::Monitoring;
        for (task, state) in std::mem::take(&mut self.queued_failures) {
            if self.phase != Phase::Monitoring {
                break;
            }
            self.judge_failure(now, task, state, out);
        }
        if self.phase == Phase::Monitoring {
            if self.explain {
                let stretched_from = (self.monitoring_period != self.config.monitor).then_some(self.config.monitor);
                let until = now.plus(self.monitoring_period);
                out.push(UpdaterCommand::Note(UpdaterNote::FinalMonitor { until, stretched_from }));
            }
            out.push(UpdaterCommand::ArmTimer {
                timer: UpdaterTimer::MonitorDone,
                at: now.plus(self.monitoring_period),
            });
        }
    }

    /// With `explain`, the verdict on a failed task.
    fn note_verdict(
        &self,
        task: TaskId,
        state: TaskState,
        verdict: Verdict,
        outcome: FailureOutcome,
        out: &mut Vec<UpdaterCommand>,
    ) {
        if self.explain {
            let dirty = self.dirty_slots.len();
            let failures = self.total_failures;
            out.push(UpdaterCommand::Note(UpdaterNote::Judged { task, state, verdict, failures, dirty, outcome }));
        }
    }

    /// `failureTriggersAction`.
    fn judge_failure(&mut self, now: SimTime, task: TaskId, state: TaskState, out: &mut Vec<UpdaterCommand>) {
        if self.failed_tasks.contains(&task) {
            self.note_verdict(task, state, Verdict::AlreadyCounted, FailureOutcome::BelowRatio, out);
            return;
        }
        // Only tasks this run created count; replacements made by the restart supervisor and
        // old tasks never do (so a crash-looping slot counts once).
        let Some(&started_at) = self.updated_tasks.get(task) else {
            self.note_verdict(task, state, Verdict::NotThisRun, FailureOutcome::BelowRatio, out);
            return;
        };
        let within_window = match started_at {
            None => true,
            Some(t) => now.since(t) <= self.monitoring_period,
        };
        if !within_window {
            let running_at = started_at.expect("a task without a start time is always within the window");
            let verdict = Verdict::OutsideWindow { running_at, window: self.monitoring_period };
            self.note_verdict(task, state, verdict, FailureOutcome::BelowRatio, out);
            return;
        }
        self.failed_tasks.insert(task);
        self.total_failures += 1;
        out.push(UpdaterCommand::FailureCounted { task });
        // swarmkit compares in float32, strictly: with ratio 0.2 and 5 slots one failure is
        // not enough.
        let ratio = self.total_failures as f32 / self.dirty_slots.len() as f32;
        let outcome = if ratio <= self.config.max_failure_ratio {
            FailureOutcome::BelowRatio
        } else {
            match self.config.failure_action {
                FailureAction::Continue => FailureOutcome::BelowRatio,
                FailureAction::Pause => FailureOutcome::Pause,
                FailureAction::Rollback if self.is_rollback => FailureOutcome::RollbackPaused,
                FailureAction::Rollback => FailureOutcome::Rollback,
            }
        };
        self.note_verdict(task, state, Verdict::Counted, outcome, out);
        if ratio <= self.config.max_failure_ratio {
            return;
        }
        let id = task.docker_id();
        // The status change comes first: stopping may end the run (`Finished`).
        let command = match self.config.failure_action {
            FailureAction::Continue => return,
            FailureAction::Pause => UpdaterCommand::Pause {
                state: if self.is_rollback { UpdateState::RollbackPaused } else { UpdateState::Paused },
                message: format!("update paused due to failure or early termination of task {id}"),
            },
            // Never roll back a rollback: pause instead — but this branch of `updater.go` does
            // not set `stopped`. The loop it was in ends; the run goes on to its final monitor
            // (straight to `completeUpdate` if it was monitoring already), and the completion
            // overwrites `rollback_paused` with `completed`. Every recorded run shows it (s22:
            // completed within 1 ms of the pause, or one rollback monitor later when a second
            // slot was still to be handed out).
            FailureAction::Rollback if self.is_rollback => {
                out.push(UpdaterCommand::Pause {
                    state: UpdateState::RollbackPaused,
                    message: format!("rollback paused due to failure or early termination of task {id}"),
                });
                self.break_loop(out);
                return;
            }
            FailureAction::Rollback => UpdaterCommand::Rollback {
                message: format!("update rolled back due to failure or early termination of task {id}"),
            },
        };
        out.push(command);
        self.stop(now, out);
    }

    /// `stopped = true` and `break slotsLoop` / `break monitorLoop`: no more slots; workers
    /// finish their current slot (and delay) but the run will not complete.
    fn stop(&mut self, _now: SimTime, out: &mut Vec<UpdaterCommand>) {
        self.stopped = true;
        self.break_loop(out);
    }

    /// `break slotsLoop` / `break monitorLoop`: no more slots are handed out; after the workers
    /// finish, the final monitor runs unless the run was stopped. Breaking the monitor loop of a
    /// run not stopped completes it at once.
    fn break_loop(&mut self, out: &mut Vec<UpdaterCommand>) {
        match self.phase {
            Phase::Dispatching => self.phase = Phase::Draining,
            Phase::Monitoring => {
                if !self.stopped {
                    if self.explain {
                        out.push(UpdaterCommand::Note(UpdaterNote::MonitorEnded { early: true }));
                    }
                    out.push(UpdaterCommand::Complete);
                }
                self.finish(out);
            }
            Phase::Draining | Phase::Done => {}
        }
    }

    fn finish(&mut self, out: &mut Vec<UpdaterCommand>) {
        if self.phase != Phase::Done {
            self.phase = Phase::Done;
            out.push(UpdaterCommand::Finished);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    fn verdicts(commands: &[UpdaterCommand]) -> Vec<Verdict> {
        commands
            .iter()
            .filter_map(|c| match c {
                UpdaterCommand::Note(UpdaterNote::Judged { verdict, .. }) => Some(*verdict),
                _ => None,
            })
            .collect()
    }

    /// The first of two slots, monitor 5 s, delay 20 s (the worker sleeps, so the run is still
    /// handing out slots): the new task runs at 1 s; a failure at 10 s is outside its window, a failure of a task this run did not create is not its own — and without
    /// `explaining` the same run says nothing of either.
    #[test]
    fn explaining_notes_each_verdict_and_changes_no_decision() {
        let config = UpdateConfig { parallelism: 1, delay: SimDuration::from_secs(20), ..UpdateConfig::default() };
        for explain in [true, false] {
            let (mut u, _) = Updater::start(SimTime::ZERO, config.clone(), false, vec![1, 2]);
            if explain {
                u = u.explaining();
            }
            let new = TaskId(7);
            u.on_slot_work(SimTime::ZERO, 0, SlotWork::NewTask { task: new });
            u.on_gate_open(SimTime::ZERO, new);
            let seen = u.on_task_state(secs(1), new, TaskState::Running);
            let opened = seen.iter().any(|c| matches!(c, UpdaterCommand::Note(UpdaterNote::WindowOpened { .. })));
            assert_eq!(opened, explain);
            let late = u.on_task_state(secs(10), new, TaskState::Failed);
            let other = u.on_task_state(secs(10), TaskId(99), TaskState::Failed);
            let expected_late = [Verdict::OutsideWindow { running_at: secs(1), window: SimDuration::from_secs(5) }];
            if explain {
                assert_eq!(verdicts(&late), expected_late);
                assert_eq!(verdicts(&other), [Verdict::NotThisRun]);
            } else {
                assert!(verdicts(&late).is_empty() && verdicts(&other).is_empty());
            }
            let decisions = |cs: &[UpdaterCommand]| cs.iter().filter(|c| !matches!(c, UpdaterCommand::Note(_))).count();
            assert_eq!(decisions(&late), 0, "a late failure neither counts nor stops the update");
        }
    }
}

//! The decisions a run made, recorded where swarmkit makes them (the updater's
//! `failureTriggersAction`, its workers' `delay` and final monitor in `update/updater.go`; the
//! restart supervisor's `Restart`/`DelayStart` in `restart/restart.go`) so that `deploysim
//! explain` can say *why* without re-deriving anything from task events. Recorded only when a
//! caller asks for them (`explain`); every other run pays one branch per decision point.

use crate::model::record::Name;
use crate::model::spec::UpdateConfig;
use crate::model::task::TaskState;
use crate::time::{SimDuration, SimTime};

/// One decision: when, of which service, what.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// When it was made.
    pub t: SimTime,
    /// The service (full name).
    pub service: Name,
    /// What was decided.
    pub what: DecisionKind,
}

/// Why the updater did or did not count a failed task toward `max_failure_ratio`
/// (`failureTriggersAction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Counted: a task this run created, failed before RUNNING or within the monitor window.
    Counted,
    /// Already counted once (a task counts once).
    AlreadyCounted,
    /// Not a task this run created: the restart supervisor's replacement, or an old task.
    NotThisRun,
    /// It ran at `running_at`; the window of `window` had ended.
    OutsideWindow {
        /// When the updater saw it RUNNING (the window's start).
        running_at: SimTime,
        /// The monitoring period then in force.
        window: SimDuration,
    },
    /// Arrived while the workers finished their slots (`wg.Wait()`): judged when the final
    /// monitor starts.
    Queued,
    /// `failure_action: continue`: the run does not watch failures at all.
    Unwatched,
    /// Arrived after the run had stopped (paused or rolled back) while its workers finished
    /// their slots: never judged.
    AfterStop,
}

/// What the updater did after a counted failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureOutcome {
    /// The ratio was not exceeded: the update goes on.
    BelowRatio,
    /// `pauseUpdate`.
    Pause,
    /// `rollbackUpdate`.
    Rollback,
    /// A rollback failed: "never roll back a rollback", paused without stopping the run.
    RollbackPaused,
}

/// Why the restart supervisor did not replace a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declined {
    /// `condition: none`.
    ConditionNone,
    /// `condition: on-failure` and the task completed (exit 0).
    CompletedOnFailure,
    /// `max_attempts` replacements already made (within `window`, when set).
    MaxAttempts {
        /// The policy's `max_attempts`.
        max_attempts: u64,
        /// The policy's `window` (0: for the spec's whole life).
        window: SimDuration,
    },
}

/// How a delayed start (`DelayStart`) was released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Nothing to wait for but the delay.
    NoWait,
    /// The old task was observed stopped (or its node down).
    OldStopped,
    /// The old task had not stopped within swarmkit's wait (`TaskTimeout`).
    TimedOut,
}

/// Which of Swarm's races was drawn, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaceDraw {
    /// The dirty slots' order (a Go map's): the first slot handed out.
    SlotOrder {
        /// The first slot of the drawn order.
        first: u64,
        /// Dirty slots.
        slots: u32,
    },
    /// Go's `select` between a freed worker and a failure: which it read first.
    SlotBeforeFailure {
        /// True: one more slot was handed out before the failure was judged.
        slot_first: bool,
    },
}

/// One slot of a scale-down, as the orchestrator ranked it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleDownSlot {
    /// The slot number.
    pub slot: u64,
    /// Its node, when the slot is one task on a node; None otherwise (such slots go last).
    pub node: Option<Name>,
    /// The slot counted as the nth copy of the service on its node (with `node`).
    pub nth: u64,
    /// A task of the slot is RUNNING (such slots are kept first).
    pub running: bool,
}

/// What was decided.
#[derive(Clone, Debug, PartialEq)]
pub enum DecisionKind {
    /// `Updater.Run` started (an update or a rollback) over `dirty` of `slots` slots.
    RunStarted {
        /// The supervisor's run number.
        run: u32,
        /// A rollback's run.
        rollback: bool,
        /// Dirty slots: the failure ratio's denominator.
        dirty: u32,
        /// All the service's slots.
        slots: u32,
        /// The update (or rollback) config in force.
        config: UpdateConfig,
    },
    /// A running run was cancelled (the spec changed under it).
    RunCancelled {
        /// Its number.
        run: u32,
    },
    /// The update found no dirty slot: complete at once.
    NothingDirty {
        /// A rollback.
        rollback: bool,
    },
    /// A worker took a slot and created a new task (`updateTask`) or kept a clean one.
    SlotTaken {
        /// The run.
        run: u32,
        /// The worker.
        worker: u32,
        /// The slot (replicated) or node index + 1 (global).
        slot: u64,
        /// The new task (or the clean task kept).
        task: Name,
        /// True when a new task was created.
        created: bool,
        /// The old task it stops (stop-first: now; start-first: once the new one runs).
        old: Option<Name>,
    },
    /// The worker saw its task RUNNING: the task's monitor window starts.
    WindowOpened {
        /// The run.
        run: u32,
        /// The task.
        task: Name,
        /// The state seen (past RUNNING: it ended before the worker saw it run).
        state: TaskState,
        /// The window's length then in force.
        window: SimDuration,
    },
    /// A worker sleeps `delay` before taking the next slot.
    Sleep {
        /// The run.
        run: u32,
        /// The worker.
        worker: u32,
        /// Until when.
        until: SimTime,
    },
    /// Every slot handed out and every worker done: the final monitoring period starts.
    FinalMonitor {
        /// The run.
        run: u32,
        /// Its end.
        until: SimTime,
        /// The configured monitor, when `delay >= monitor` stretched it to `delay + 1s`.
        stretched_from: Option<SimDuration>,
    },
    /// A task of the service failed while the run watched: the verdict.
    FailureJudged {
        /// The run.
        run: u32,
        /// The task.
        task: Name,
        /// Its state.
        state: TaskState,
        /// Counted or not, and why.
        verdict: Verdict,
        /// Failures counted so far (this one included when counted).
        failures: u32,
        /// The denominator: the run's dirty slots.
        dirty: u32,
        /// `max_failure_ratio`.
        max_ratio: f32,
        /// What followed (counted failures only).
        outcome: FailureOutcome,
    },
    /// A failure of the service's task when no updater was running.
    FailureUnwatched {
        /// The task.
        task: Name,
        /// Its state.
        state: TaskState,
    },
    /// The final monitor ended without a failure over the ratio: `completeUpdate`.
    MonitorEnded {
        /// The run.
        run: u32,
        /// Broken off by "never roll back a rollback" (which pauses without stopping the run).
        early: bool,
    },
    /// The restart supervisor replaced a task.
    Restarted {
        /// The task that ended.
        old: Name,
        /// Its replacement.
        new: Name,
        /// The slot.
        slot: u64,
        /// `restart_policy.delay` (0 on a drained node).
        delay: SimDuration,
    },
    /// The restart supervisor left a task's slot empty.
    RestartDeclined {
        /// The task.
        task: Name,
        /// The slot.
        slot: u64,
        /// Why.
        why: Declined,
    },
    /// A delayed start was released: the task may start.
    Released {
        /// The task starting.
        task: Name,
        /// The old task it waited for.
        old: Option<Name>,
        /// When the delayed start was set up.
        since: SimTime,
        /// How.
        how: Release,
    },
    /// The replicated orchestrator scaled the service down (`reconcile`): the slots in the order
    /// it sorted them, the first `kept` staying, the rest removed.
    ScaledDown {
        /// How many slots stay (`replicas`).
        kept: u32,
        /// Every slot, sorted as swarmkit sorts them (`slotsByRunningState`, then `slotsByIndex`).
        order: Vec<ScaleDownSlot>,
    },
    /// The constraint enforcer rejected a task whose active node no longer meets its service's
    /// current placement constraints (`rejectNoncompliantTasks`).
    ConstraintRejected {
        /// The task.
        task: Name,
        /// Its node.
        node: Name,
        /// The constraints the node fails, as docker writes them (`node.labels.tier==web`).
        failing: Vec<String>,
    },
    /// One of Swarm's races was drawn from the seed.
    Race {
        /// Which, and how.
        draw: RaceDraw,
    },
}

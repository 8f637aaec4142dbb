//! The dispatcher (swarmkit `manager/dispatcher/dispatcher.go`): the manager's end of every
//! node's session. Two of its jobs shape what the control loops see:
//!
//! - **Status batching** (`UpdateTaskStatus`, `processUpdates`, `maxBatchInterval`). Agents
//!   report task states to the dispatcher, which keeps the latest status per task in a map and
//!   commits the map to the store in one batch when its timer fires: every `maxBatchInterval`
//!   (100 ms), the timer being reset after each batch. The orchestrator, the restart supervisor
//!   and the updater only learn a state when its batch commits, all in the same instant, and the
//!   batch's updates are applied in Go map order (a rotation of their arrival order for a batch
//!   of up to 8, buckets placed by hash beyond: [`crate::rng::SimRng::go_map_order`]). That is why two tasks failing 15 ms
//!   apart are seen together (the s05 trace's first run), and why real runs differ by up to a
//!   tenth of a second on every manager reaction. The recorded commits (`UpdatedAt` of the
//!   traces' raw task versions) are 100–110 ms apart, each 1–105 ms after the agent's own
//!   timestamp.
//! - **Assignment batching** (`Assignments`, `batchingWaitTime`, `modificationBatchLimit`). A
//!   node hears of its tasks through one stream: every change to the node's set (a task
//!   assigned to it, a desired state changed, a task deleted) restarts a 100 ms timer, and the
//!   changes go out together when it fires (or at once after 100 of them). A stop-first step
//!   that stops a task and places its replacement on the same node 50 ms later is therefore
//!   sent 100 ms after the placement: recorded m09b, ASSIGNED → PREPARING 106–109 ms, and an
//!   old task told SHUTDOWN 99 ms before its node's dockerd was killed never heard of it (r1:
//!   its container ended `complete`, killed by the restarted daemon, not `shutdown`).
//! - **Heartbeats** (`markNodeNotReady`, `heartbeat.Heartbeat`): a node that stops sending
//!   heartbeats (period 5 s ± 0.5 s) is marked DOWN when three periods pass in silence; its
//!   tasks are then restarted elsewhere, and become ORPHANED after 24 h
//!   (`defaultNodeDownPeriod`). A node whose session registers again is READY.
//! - **A new leader** (`Run` → `markNodesUnknown`): the dispatcher starts with an empty batch
//!   and no sessions. Every node not DOWN becomes UNKNOWN ("Node moved to "unknown" state due
//!   to leadership change in cluster") with a deadline of a heartbeat period (5 s ± 0.5 s) times
//!   twice the grace multiplier (`nodeStore.AddUnknown`, `gracePeriodMultiplierUnknown`: 27–33
//!   s; m12b: DOWN 27.4–33.0 s after the leader, "heartbeat failure for node in "unknown"
//!   state"); a node that registers before is READY. A node already DOWN stays DOWN, its tasks
//!   orphaned a `defaultNodeDownPeriod` later (`downNodes.Add`).
//! - **Streams die with the dispatcher** (`Assignments` runs on the leader's dispatcher; a
//!   stopped dispatcher's streams end, `batchingLoop` with them): the changes a node's stream
//!   had not sent when the manager was killed are never sent. The node's next session opens a
//!   new stream whose first message is the COMPLETE set (`AssignmentsMessage_COMPLETE`: every
//!   task of the node from ASSIGNED on, `store.FindTasks(ByNodeID)` → `addOrUpdateTask`), and the
//!   agent reconciles with it (`agent/worker.go`, `reconcileTaskState` with `fullSnapshot`):
//!   each task in it updates its task manager or starts one, and every task the worker has that
//!   the set lacks (deleted meanwhile) is closed and its container removed, as an incremental
//!   `AssignmentActionRemove` would. An ended task whose desired state changed is in the set
//!   with it: its task manager, seeing the task changed (`TasksEqualStable` false), runs
//!   `exec.Do` and reports the final status again (`agent/task.go`). So a lost change is acted
//!   on at the registration instant (`node_reconnected`).
//! - **Statuses the dispatcher never got** (a node that could not report, or a batch lost with
//!   the old leader) reach it when the node registers again: the agent re-reports every task's
//!   status on each new session (swarmkit `agent/agent.go`: `worker.Report` once registered).

use std::collections::{BTreeMap, BTreeSet};
// Lookups only, never iterated (see `Batch::index`).
#[allow(clippy::disallowed_types)]
use std::collections::HashMap;

use crate::model::task::{TaskId, TaskState};
use crate::time::{SimDuration, SimTime};

use crate::model::scenario::{Races, Scenario};
use crate::model::task::NodeId;
use crate::rng::SimRng;
use crate::world::cluster::{ClusterView, Message};
use crate::world::{AgentStep, Event, Io};

use super::Manager;
use super::store::Store;

/// `DefaultHeartBeatPeriod`.
const HEARTBEAT_PERIOD_MS: u64 = 5_000;
/// `periodChooser` jitter: ± 10 % of the period.
const HEARTBEAT_JITTER_MS: u64 = 500;
/// `defaultGracePeriodMultiplier`.
const GRACE_MULTIPLIER: u64 = 3;
/// `gracePeriodMultiplierUnknown`: twice the normal multiplier, for a node a new leader marked
/// UNKNOWN (`nodes.go`, `newNodeStore`).
const GRACE_MULTIPLIER_UNKNOWN: u64 = 2 * GRACE_MULTIPLIER;
/// How often the updater commits before the orchestrator on the last event of a batch (both
/// goroutines watch the store; the orchestrator acts on the transaction's commit at once, the
/// updater runs a transaction of its own first). Of seventeen recorded batches whose last (or
/// only) event was a failed task both acted on, the restart came first in thirteen (s05 r2, r8,
/// r9, r12; s22 r1–r5; s22b r1, r2, r3, r6) and the rollback in four (s05 r5, r13; s22b r4,
/// r5): Laplace's rule of succession, (4 + 1) / (17 + 2), estimates the rollback's chance
/// without calling either path impossible. (It was 0.2, from the first eight, until the
/// held-out runs of 2026-12-07j.)
const UPDATER_FIRST_ON_LAST_EVENT: f64 = 5.0 / 19.0;

/// `batchingWaitTime`: a node's assignments stream sends its changes this long after the latest.
pub(crate) const ASSIGNMENT_BATCH_WAIT: SimDuration = SimDuration::from_millis(100);
/// `modificationBatchLimit`: a stream sends at once when this many changes are waiting.
const ASSIGNMENT_BATCH_LIMIT: usize = 100;

/// A change of a node's assignment set, as its stream sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AssignmentChange {
    /// A task newly assigned to the node: its agent accepts it.
    Assigned(TaskId),
    /// A task's desired state changed.
    Desired(TaskId),
    /// The task was deleted (the task reaper): the agent lets it go.
    Removed(TaskId),
    /// An ended task's desired state changed: its agent has nothing to do but report the final
    /// status again (see `Manager::set_desired`).
    Reapplied(TaskId),
}

/// One node's assignments stream: the changes not sent yet (swarmkit `Assignments`'
/// `batchingLoop`).
#[derive(Clone, Debug, Default)]
struct AssignmentBatch {
    changes: Vec<AssignmentChange>,
    /// When the batch goes out: `batchingWaitTime` after its latest change.
    due: SimTime,
    /// An `AssignmentsDue` event is queued (at `due` or before it: it re-arms itself).
    armed: bool,
}

/// `defaultNodeDownPeriod`: tasks of a node DOWN this long become ORPHANED.
const ORPHAN_AFTER: SimDuration = SimDuration::from_secs(24 * 3600);

/// The dispatcher's state: the pending status batches and each node's session.
pub(super) struct Dispatcher {
    batcher: StatusBatcher,
    /// Per node, which session (outage) it is in: a deadline or a reconnection of an earlier
    /// one is stale.
    epochs: Vec<u32>,
    /// Tasks whose latest state (≥ RUNNING) was set while their node could not report it, or
    /// whose report was lost with a leader: re-reported when the node registers.
    unsent: BTreeSet<TaskId>,
    /// Per node, its assignments stream's pending batch.
    assignments: Vec<AssignmentBatch>,
    /// Ended tasks whose re-report (`AssignmentChange::Reapplied`) was in a batch lost with a
    /// stopped dispatcher: their node's next full set makes the agent report them again.
    reapply_on_register: BTreeSet<TaskId>,
}

impl Dispatcher {
    /// The dispatcher of the scenario's manager. Its batch timer started whenever the manager
    /// did: the phase is anyone's guess (fixed races: 0).
    pub(super) fn new(scenario: &Scenario) -> Dispatcher {
        Dispatcher::new_for(scenario, scenario.nodes.len())
    }

    /// [`Dispatcher::new`] with room for `nodes` nodes' epochs.
    fn new_for(scenario: &Scenario, nodes: usize) -> Dispatcher {
        let batch = scenario.latencies.status_batch;
        let phase = match scenario.races {
            Races::Random => {
                SimDuration(SimRng::stream(scenario.seed, "dispatcher").between(0, batch.0.saturating_sub(1)))
            }
            Races::Fixed => SimDuration::ZERO,
        };
        Dispatcher {
            batcher: StatusBatcher::new(batch, phase),
            epochs: vec![0; nodes],
            unsent: BTreeSet::new(),
            assignments: vec![AssignmentBatch::default(); nodes],
            reapply_on_register: BTreeSet::new(),
        }
    }

    /// Makes this dispatcher the one `Dispatcher::new(scenario)` makes, keeping its emptied
    /// batch lists and its lists' room (a world reused from run to run). Every field is named,
    /// so that one added later must be said here too.
    pub(super) fn renew(&mut self, scenario: &Scenario) {
        let Dispatcher { batcher, epochs, unsent, assignments, reapply_on_register } = self;
        let Dispatcher { batcher: fresh, .. } = Dispatcher::new_for(scenario, 0);
        batcher.renew(fresh);
        epochs.clear();
        epochs.resize(scenario.nodes.len(), 0);
        unsent.clear();
        assignments.clear();
        assignments.resize(scenario.nodes.len(), AssignmentBatch::default());
        reapply_on_register.clear();
    }

    /// A status of `task` waits in a batch not yet committed.
    pub(super) fn reporting(&self, task: TaskId) -> bool {
        self.batcher.pending.values().any(|b| b.find(task).is_some())
    }

    /// A state the node could not report: it goes up when the node registers again.
    pub(super) fn note_unsent(&mut self, task: TaskId) {
        self.unsent.insert(task);
    }

    /// The dispatcher stops with its leader: its pending batch is lost (the agents' reports in
    /// it were acknowledged; they re-report on their next session), and so is every heartbeat
    /// deadline and every assignments stream with the changes it had not sent (each node learns
    /// them from the full set of its next session: `Manager::node_reconnected`). A stream's
    /// queued `AssignmentsDue` stays armed: it finds nothing to send.
    pub(super) fn stop(&mut self) {
        for (task, _) in self.batcher.drain() {
            self.unsent.insert(task);
        }
        for batch in &mut self.assignments {
            for change in batch.changes.drain(..) {
                if let AssignmentChange::Reapplied(task) = change {
                    self.reapply_on_register.insert(task);
                }
            }
        }
        for epoch in &mut self.epochs {
            *epoch += 1;
        }
    }

    /// A heartbeat deadline for `node` (a fresh epoch): `multiplier` periods of 5 s ± 0.5 s
    /// from now (`periodChooser.Choose` × the grace multiplier).
    fn arm_deadline(&mut self, node: NodeId, multiplier: u64, io: &mut Io<'_>) {
        let epoch = &mut self.epochs[node.0 as usize];
        *epoch += 1;
        let epoch = *epoch;
        let period = SimDuration::from_millis(io.chance_between(
            |s| &mut s.heartbeat,
            HEARTBEAT_PERIOD_MS - HEARTBEAT_JITTER_MS,
            HEARTBEAT_PERIOD_MS + HEARTBEAT_JITTER_MS,
        ));
        io.q.after(period.times(multiplier), Event::NodeDownDetected { node, epoch });
    }

    /// A task status reaches the dispatcher at `arrival`; the batch it joins commits later.
    pub(super) fn enqueue(&mut self, arrival: SimTime, task: TaskId, state: TaskState, io: &mut Io<'_>) {
        if let Some(commit) = self.batcher.enqueue(arrival, task, state) {
            io.q.at(commit, Event::DispatcherCommit);
        }
    }

    /// An ended task's unchanged status, re-reported, reaches the dispatcher at `arrival`: its
    /// batch applies it again. Kept apart from the batch's changes: the watchers that act on
    /// states ignore it (its task is already desired past RUNNING), and it is not drawn into the
    /// batch's order, which decides their races.
    pub(super) fn enqueue_reapplied(&mut self, arrival: SimTime, task: TaskId, io: &mut Io<'_>) {
        if let Some(commit) = self.batcher.enqueue_reapplied(arrival, task) {
            io.q.at(commit, Event::DispatcherCommit);
        }
    }
}

impl Manager {
    /// `processUpdates`: the batch due now is committed; the updater and the orchestrator (with
    /// its restart supervisor) each see all of it, on their own goroutines. Which of them acts
    /// first is a race whose outcome shows when both act on one failed task: a rollback the
    /// updater commits first makes the restart supervisor's replacement use the restored spec
    /// (the s05 trace's first run); a restart committed first leaves a slot of the bad spec for
    /// the rollback to replace (its second run).
    pub(crate) fn dispatcher_commit(&mut self, io: &mut Io<'_>) {
        let (mut batch, mut reapplied) = self.dispatcher.batcher.take(io.now());
        // `processUpdates` skips a status whose task was deleted meanwhile ("task may have been
        // deleted"); only a run with task deletions meets one, so no other run draws otherwise.
        if batch.iter().any(|&(t, _)| self.store.is_deleted(t)) {
            batch.retain(|&(t, _)| !self.store.is_deleted(t));
        }
        reapplied.retain(|&t| !self.store.is_deleted(t));
        // Each status the batch writes is `AppliedAt` now: what the task reaper orders by.
        for &(task, _) in &batch {
            self.store.note_applied(task, io.now());
        }
        let only_reapplied = batch.is_empty() && !reapplied.is_empty();
        for task in reapplied {
            self.store.note_applied(task, io.now());
            let arm = self.reaper.updated(self.store.task(task), io.now());
            self.arm_reaper(arm, io);
        }
        if only_reapplied {
            // Nothing for the state watchers (and no draw of the batch's order: the runs
            // before re-reports were modelled draw exactly as they did).
            self.dispatcher.batcher.recycle(batch);
            return;
        }
        self.commit_batch(&mut batch, io);
        self.dispatcher.batcher.recycle(batch);
    }

    /// [`Manager::dispatcher_commit`] of `batch`.
    fn commit_batch(&mut self, batch: &mut [(TaskId, TaskState)], io: &mut Io<'_>) {
        // The scheduler watches the same commit: tasks past RUNNING give back what they held.
        // So does the task reaper (each update is an `EventUpdateTask`).
        for &(task, state) in &*batch {
            if state.is_terminal() && self.store.holds_resources(task) {
                self.release_resources(task, io);
            }
            let arm = self.reaper.updated(self.store.task(task), io.now());
            self.arm_reaper(arm, io);
        }
        let random = io.random_races();
        if random {
            // `taskUpdates` is a fresh Go map per batch, filled in arrival order (a task's later
            // status overwrites its entry in place, as the batch here keeps it): its updates are
            // applied in that map's range order.
            io.rng.races.go_map_order(batch);
        }
        let to_updater = io.latency(|l| &l.watch);
        let to_orchestrator = io.latency(|l| &l.watch);
        if to_updater != to_orchestrator {
            for &(task, state) in &*batch {
                io.q.after(to_updater, Event::UpdaterObserves { task, state });
                io.q.after(to_orchestrator, Event::Observe { task, state });
            }
            return;
        }
        // Both read the batch's events one by one at the same pace, but the orchestrator acts
        // (`tickTasks`) only on the transaction's commit event, after the last of them, while
        // the updater acts on each as it comes: it is ahead on every event but the last, and
        // the last is a race. Eight recorded s05 runs agree: both failures in one batch, the
        // rollback always committed first (5 of 5); a failure alone in its batch, either way
        // (the restart first in 2 of 3).
        let Some((&(last, last_state), before)) = batch.split_last() else { return };
        for &(task, state) in before {
            io.q.after(to_updater, Event::UpdaterObserves { task, state });
        }
        let updater_first = !random || io.rng.races.chance(UPDATER_FIRST_ON_LAST_EVENT);
        if updater_first {
            io.q.after(to_updater, Event::UpdaterObserves { task: last, state: last_state });
        }
        for &(task, state) in &*batch {
            io.q.after(to_orchestrator, Event::Observe { task, state });
        }
        if !updater_first {
            io.q.after(to_updater, Event::UpdaterObserves { task: last, state: last_state });
        }
    }

    /// The node went silent. The manager notices only when the heartbeat deadline passes:
    /// rather than step every heartbeat, draw when the last one was sent and the deadline it
    /// set. Its containers are cut off from the routing mesh at once.
    /// With no leader there is no deadline: the next leader marks the node UNKNOWN.
    /// Returns when the node's agent sends its next heartbeat (a period after the last answer:
    /// swarmkit `agent/session.go`, `heartbeat`), or `None` with no leader.
    pub(crate) fn node_silent(&mut self, node: NodeId, cluster: ClusterView<'_>, io: &mut Io<'_>) -> Option<SimTime> {
        let epoch = &mut self.dispatcher.epochs[node.0 as usize];
        *epoch += 1;
        let epoch = *epoch;
        if self.halted() {
            for id in self.store.tasks_on(node) {
                self.recorder.touch(id, &self.store, cluster);
            }
            return None;
        }
        let since_last = SimDuration::from_millis(io.chance_between(|s| &mut s.heartbeat, 0, HEARTBEAT_PERIOD_MS - 1));
        let period = SimDuration::from_millis(io.chance_between(
            |s| &mut s.heartbeat,
            HEARTBEAT_PERIOD_MS - HEARTBEAT_JITTER_MS,
            HEARTBEAT_PERIOD_MS + HEARTBEAT_JITTER_MS,
        ));
        let now = io.now();
        let last = SimTime(now.0.saturating_sub(since_last.as_nanos()));
        let deadline = last.plus(period.times(GRACE_MULTIPLIER)).max(now);
        io.q.at(deadline, Event::NodeDownDetected { node, epoch });
        for id in self.store.tasks_on(node) {
            self.recorder.touch(id, &self.store, cluster);
        }
        Some(last.plus(period))
    }

    /// Heartbeat deadline passed: the node is DOWN and its tasks are restarted elsewhere
    /// (replacements do not wait for the old tasks, but the restart delay applies).
    pub(crate) fn node_down_detected(&mut self, node: NodeId, epoch: u32, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        if self.dispatcher.epochs[node.0 as usize] != epoch || cluster.reachable(node) {
            return;
        }
        self.store.set_down(node, true);
        self.record_node(node);
        // DOWN is an `EventUpdateNode`: the constraint enforcer looks at the node (an active one).
        self.enforce_constraints(node, cluster, io);
        io.q.after(ORPHAN_AFTER, Event::NodeOrphanDeadline { node, epoch });
        for id in self.store.tasks_on(node) {
            // Gates waiting for a task on this node stop waiting.
            self.release_gates_waiting_on(id, cluster, io);
            let t = self.store.task(id);
            if t.desired <= TaskState::Running && !self.store.service(t.service).is_global() {
                self.restart(id, cluster, io);
            }
        }
        self.reconcile_node_change(io);
    }

    /// The node has been DOWN for 24 h: its tasks become ORPHANED.
    pub(crate) fn node_orphan_deadline(&mut self, node: NodeId, epoch: u32, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        if self.dispatcher.epochs[node.0 as usize] != epoch || !self.store.node(node).down {
            return;
        }
        for id in self.store.tasks_on(node) {
            let s = self.store.task(id).state;
            if s >= TaskState::Assigned && s <= TaskState::Running {
                self.set_state(id, TaskState::Orphaned, Message::Fixed("orphaned"), cluster, io);
            }
        }
    }

    /// The node was removed: its pending deadlines are stale.
    pub(super) fn dispatcher_forget(&mut self, node: NodeId) {
        self.dispatcher.epochs[node.0 as usize] += 1;
    }

    /// The node's session is registered again: READY; its new assignments stream's first
    /// message is the full set of its tasks (`AssignmentsMessage_COMPLETE`), from which its agent
    /// learns at once the desired states it missed, lets go of the tasks deleted meanwhile, and
    /// reports again the ended tasks whose change it did not hear.
    pub(crate) fn node_reconnected(&mut self, node: NodeId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        if self.store.node(node).removed {
            return; // its certificate is revoked: "node … was removed from swarm"
        }
        self.store.set_down(node, false);
        self.record_node(node);
        self.enforce_constraints(node, cluster, io);
        self.dispatcher.epochs[node.0 as usize] += 1;
        for id in self.store.tasks_on(node) {
            self.recorder.touch(id, &self.store, cluster);
            if !self.store.task(id).state.is_terminal() {
                io.q.at(io.now(), Event::DesiredArrives { task: id });
            }
        }
        // `reconcileTaskState` with a full snapshot closes every task the set lacks: a deletion
        // the node has not heard (its `Removed` lost with a stopped dispatcher, or still
        // waiting in the stream's batch) is acted on now. A node that heard it already, or
        // never had the task, finds nothing more to do (`unassign`).
        for id in self.deleted_held_on(node) {
            io.q.at(io.now(), Event::Agent { task: id, step: AgentStep::Unassigned });
        }
        self.resend_unsent(node, io);
        self.reapply_lost(node, io);
        self.reconcile_node_change(io);
        self.arm_schedule_tick(io);
    }

    /// Tasks of `node` the store deleted but still holds (the node may still have them: they go
    /// once it lets them go), from ASSIGNED on (the node's stream never named the others).
    fn deleted_held_on(&self, node: NodeId) -> Vec<TaskId> {
        self.store.held_on(node, |t| t.deleted && t.state >= TaskState::Assigned)
    }

    /// The ended tasks of `node` whose re-report was lost with a stopped dispatcher's stream:
    /// the full set carries them changed, and the agent reports them again (see
    /// [`AssignmentChange::Reapplied`]).
    fn reapply_lost(&mut self, node: NodeId, io: &mut Io<'_>) {
        if self.dispatcher.reapply_on_register.is_empty() {
            return;
        }
        for id in take_node_tasks(&mut self.dispatcher.reapply_on_register, &self.store, node) {
            // A task deleted or forgotten since has nothing left to report.
            if self.store.is_deleted(id) {
                continue;
            }
            let arrival = io.now().plus(io.latency(|l| &l.status_report));
            self.dispatcher.enqueue_reapplied(arrival, id, io);
        }
    }
}

impl Manager {
    /// A change of `node`'s assignment set joins its stream's batch, which goes out
    /// `batchingWaitTime` after the latest change (swarmkit `Assignments`: `oneModification`
    /// resets the timer), or at once when `modificationBatchLimit` changes wait.
    pub(super) fn send_to_node(&mut self, node: NodeId, change: AssignmentChange, io: &mut Io<'_>) {
        let batch = &mut self.dispatcher.assignments[node.0 as usize];
        batch.changes.push(change);
        if batch.changes.len() >= ASSIGNMENT_BATCH_LIMIT {
            self.send_assignments(node, io);
            return;
        }
        let batch = &mut self.dispatcher.assignments[node.0 as usize];
        batch.due = io.now().plus(ASSIGNMENT_BATCH_WAIT);
        if !batch.armed {
            batch.armed = true;
            io.q.at(batch.due, Event::AssignmentsDue { node });
        }
    }

    /// `node`'s stream timer may be due: a change since it was armed moved it later (armed
    /// again for then); otherwise the batch goes out.
    pub(crate) fn assignments_due(&mut self, node: NodeId, io: &mut Io<'_>) {
        let halted = self.halted();
        let batch = &mut self.dispatcher.assignments[node.0 as usize];
        if halted {
            // No dispatcher, no stream: `stop` dropped the batch, and nothing is sent until a
            // new leader's stream opens with the node's full set.
            batch.changes.clear();
            batch.armed = false;
            return;
        }
        if batch.due > io.now() {
            io.q.at(batch.due, Event::AssignmentsDue { node });
            return;
        }
        batch.armed = false;
        self.send_assignments(node, io);
    }

    /// The stream sends its batch (one message, `AssignmentsMessage_INCREMENTAL`): every change
    /// reaches the node after `dispatch`, in the order made. Each is read there as the task is
    /// then (its assignment carries its current desired state), so a change made twice in one
    /// batch is heard once.
    fn send_assignments(&mut self, node: NodeId, io: &mut Io<'_>) {
        let batch = &mut self.dispatcher.assignments[node.0 as usize];
        if batch.changes.is_empty() {
            return;
        }
        let d = io.latency(|l| &l.dispatch);
        let mut changes = std::mem::take(&mut batch.changes);
        for &change in &changes {
            let event = match change {
                AssignmentChange::Assigned(task) => Event::Agent { task, step: AgentStep::Accept },
                AssignmentChange::Desired(task) => Event::DesiredArrives { task },
                AssignmentChange::Removed(task) => Event::Agent { task, step: AgentStep::Unassigned },
                AssignmentChange::Reapplied(task) => {
                    let arrival = io.now().plus(d).plus(io.latency(|l| &l.status_report));
                    self.dispatcher.enqueue_reapplied(arrival, task, io);
                    continue;
                }
            };
            io.q.after(d, event);
        }
        // The list's room is kept for the node's next batch.
        changes.clear();
        self.dispatcher.assignments[node.0 as usize].changes = changes;
    }

    /// The agent re-reports its tasks on its new session (`worker.Report`): the states the
    /// dispatcher never got join its batch. Only those of tasks still meant to run can make
    /// the manager act; the others changed nothing it tracks (their resources were freed when
    /// they ended), so they are not sent again.
    fn resend_unsent(&mut self, node: NodeId, io: &mut Io<'_>) {
        for id in take_node_tasks(&mut self.dispatcher.unsent, &self.store, node) {
            // A task forgotten since (deleted, its node's record gone) has nothing left to send.
            let Some(t) = self.store.get(id) else { continue };
            if t.desired <= TaskState::Running && t.state >= TaskState::Running {
                let (state, arrival) = (t.state, io.now().plus(io.latency(|l| &l.status_report)));
                self.dispatcher.enqueue(arrival, id, state, io);
            }
        }
    }

    /// `markNodesUnknown`, as a new leader's dispatcher starts: every node not DOWN is UNKNOWN
    /// until it registers, DOWN after the unknown grace; a DOWN node stays DOWN and its tasks
    /// are orphaned a day later.
    pub(super) fn mark_nodes_unknown(&mut self, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        for i in 0..self.store.nodes().len() {
            let node = NodeId(i as u32);
            let n = self.store.node(node);
            if n.removed {
                continue;
            }
            if n.down {
                let epoch = &mut self.dispatcher.epochs[i];
                *epoch += 1;
                io.q.after(ORPHAN_AFTER, Event::NodeOrphanDeadline { node, epoch: *epoch });
                continue;
            }
            self.store.set_unknown(node);
            self.record_node(node);
            self.enforce_constraints(node, cluster, io);
            self.dispatcher.arm_deadline(node, GRACE_MULTIPLIER_UNKNOWN, io);
            for id in self.store.tasks_on(node) {
                self.recorder.touch(id, &self.store, cluster);
            }
        }
    }
}

/// The dispatcher's pending task status updates, by the instant their batch commits.
#[derive(Clone, Debug)]
struct StatusBatcher {
    /// Time between commits (`maxBatchInterval`); zero commits each update as it arrives.
    period: SimDuration,
    /// Where the timer's ticks fall: commits happen at `phase + k × period`.
    phase: SimDuration,
    /// Updates waiting, per commit instant.
    pending: BTreeMap<SimTime, Batch>,
    /// Lists of committed batches, emptied, for the next batches (a run commits a batch every
    /// few reports: one list each would be an allocation, and its growth more).
    spare: Vec<Vec<(TaskId, TaskState)>>,
}

/// Emptied batch lists kept for reuse, at most.
const SPARE_BATCHES: usize = 4;
/// Only lists this small are kept (a large update's batches hold thousands).
const SPARE_BATCH_CAPACITY: usize = 256;

/// One batch: (task, latest state) in arrival order, and where each task's entry is (a batch
/// of a large update holds thousands).
#[derive(Clone, Debug, Default)]
struct Batch {
    updates: Vec<(TaskId, TaskState)>,
    /// Ended tasks whose unchanged status was re-reported (see `enqueue_reapplied`).
    reapplied: Vec<TaskId>,
    /// Each task's entry, once the batch holds more than [`SMALL_BATCH`] (a smaller one is
    /// searched: most batches hold a few updates, and a map per batch was an allocation per
    /// report). A hash table, for lookups only and never iterated, so its order reaches
    /// nothing (clippy.toml bans it for that reason): a batch of a large update holds
    /// thousands of tasks scattered over every id the run made, and a B-tree of them cost a
    /// search of several scattered nodes per report (about 2 % of W100k).
    #[allow(clippy::disallowed_types)]
    index: HashMap<TaskId, usize, BuildTaskIdHasher>,
}

/// Hashes a [`TaskId`] with one multiplication (Fibonacci hashing): ids are the simulator's
/// own, never chosen to collide, and the table is only looked up. Deterministic.
#[derive(Default)]
struct TaskIdHasher(u64);

impl std::hash::Hasher for TaskIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type BuildTaskIdHasher = std::hash::BuildHasherDefault<TaskIdHasher>;

/// Updates a batch holds before it indexes them.
const SMALL_BATCH: usize = 16;

impl Batch {
    /// Where `task`'s entry is.
    fn find(&self, task: TaskId) -> Option<usize> {
        if self.index.is_empty() {
            self.updates.iter().position(|&(t, _)| t == task)
        } else {
            self.index.get(&task).copied()
        }
    }

    /// Appends `task`'s first entry.
    fn push(&mut self, task: TaskId, state: TaskState) {
        self.updates.push((task, state));
        if !self.index.is_empty() {
            self.index.insert(task, self.updates.len() - 1);
        } else if self.updates.len() > SMALL_BATCH {
            self.index = self.updates.iter().enumerate().map(|(i, &(t, _))| (t, i)).collect();
        }
    }
}

impl StatusBatcher {
    /// A dispatcher whose timer ticks every `period`, the first tick `phase` after t = 0
    /// (`phase` is taken modulo `period`).
    fn new(period: SimDuration, phase: SimDuration) -> StatusBatcher {
        let phase = if period.as_nanos() == 0 { SimDuration::ZERO } else { SimDuration(phase.0 % period.0) };
        StatusBatcher { period, phase, pending: BTreeMap::new(), spare: Vec::new() }
    }

    /// Makes this batcher `fresh` (a new one's timer, no batch pending), keeping the lists of
    /// the batches it still held as spares. Every field is named, so that one added later must
    /// be said here too.
    fn renew(&mut self, fresh: StatusBatcher) {
        let StatusBatcher { period, phase, pending, spare: _ } = fresh;
        debug_assert!(pending.is_empty(), "a new batcher holds no batch");
        self.period = period;
        self.phase = phase;
        // Popped one by one: the map keeps its node for the next run's batches.
        while let Some((_, batch)) = self.pending.pop_first() {
            self.recycle(batch.updates);
        }
    }

    /// The first commit at or after `arrival`.
    fn commit_time(&self, arrival: SimTime) -> SimTime {
        if self.period.as_nanos() == 0 {
            return arrival;
        }
        let (period, phase) = (self.period.0, self.phase.0);
        if arrival.0 <= phase {
            return SimTime(phase);
        }
        let ticks = (arrival.0 - phase).div_ceil(period);
        SimTime(phase + ticks * period)
    }

    /// The batch a report arriving at `arrival` joins: its commit instant, the batch, and
    /// whether it was empty (its first report asks for the commit).
    fn batch_at(&mut self, arrival: SimTime) -> (SimTime, &mut Batch, bool) {
        let at = self.commit_time(arrival);
        let spare = &mut self.spare;
        let batch = self
            .pending
            .entry(at)
            .or_insert_with(|| Batch { updates: spare.pop().unwrap_or_default(), ..Batch::default() });
        let first = batch.updates.is_empty() && batch.reapplied.is_empty();
        (at, batch, first)
    }

    /// `UpdateTaskStatus`: `state` of `task` reaches the dispatcher at `arrival`. A task already
    /// waiting in that batch keeps one entry with its latest state (the map overwrites it, so
    /// the store never sees the state in between). Returns the commit instant when this is the
    /// batch's first update (the caller schedules the commit then), else `None`.
    fn enqueue(&mut self, arrival: SimTime, task: TaskId, state: TaskState) -> Option<SimTime> {
        let (at, batch, first) = self.batch_at(arrival);
        match batch.find(task) {
            Some(i) => batch.updates[i].1 = batch.updates[i].1.max(state),
            None => batch.push(task, state),
        }
        first.then_some(at)
    }

    /// An ended task's status re-reported at `arrival` (see [`Dispatcher::enqueue_reapplied`]);
    /// returns the commit instant when its batch was empty.
    fn enqueue_reapplied(&mut self, arrival: SimTime, task: TaskId) -> Option<SimTime> {
        let (at, batch, first) = self.batch_at(arrival);
        if !batch.reapplied.contains(&task) {
            batch.reapplied.push(task);
        }
        first.then_some(at)
    }

    /// Every pending update, batches in commit order (the dispatcher stopped).
    fn drain(&mut self) -> Vec<(TaskId, TaskState)> {
        std::mem::take(&mut self.pending).into_values().flat_map(|b| b.updates).collect()
    }

    /// `processUpdates` at `now`: the batch that commits now, in arrival order, and the ended
    /// tasks re-reported in it.
    fn take(&mut self, now: SimTime) -> (Vec<(TaskId, TaskState)>, Vec<TaskId>) {
        self.pending.remove(&now).map(|b| (b.updates, b.reapplied)).unwrap_or_default()
    }

    /// A committed batch's list, to be reused (see `spare`).
    fn recycle(&mut self, mut list: Vec<(TaskId, TaskState)>) {
        if self.spare.len() < SPARE_BATCHES && (1..=SPARE_BATCH_CAPACITY).contains(&list.capacity()) {
            list.clear();
            self.spare.push(list);
        }
    }
}

/// Takes out of `pending` (ascending) the tasks that `node` holds, and those forgotten since
/// (whose node is no longer known: the caller skips them).
fn take_node_tasks(pending: &mut BTreeSet<TaskId>, store: &Store, node: NodeId) -> Vec<TaskId> {
    let mine: Vec<TaskId> =
        (pending.iter().copied()).filter(|&id| store.get(id).is_none_or(|t| t.node == Some(node))).collect();
    for id in &mine {
        pending.remove(id);
    }
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn updates_commit_at_the_next_tick_of_the_timer() {
        // Checks the tick arithmetic: ticks at phase + k × period, an update exactly on a tick
        // goes with it, and a zero period commits at once.
        let b = StatusBatcher::new(SimDuration::from_millis(100), SimDuration::from_millis(130));
        assert_eq!(b.commit_time(SimTime(0)), SimTime(30 * MS), "the phase is taken modulo the period");
        assert_eq!(b.commit_time(SimTime(30 * MS)), SimTime(30 * MS));
        assert_eq!(b.commit_time(SimTime(30 * MS + 1)), SimTime(130 * MS));
        assert_eq!(b.commit_time(SimTime(8_577 * MS)), SimTime(8_630 * MS));
        let now = StatusBatcher::new(SimDuration::ZERO, SimDuration::from_millis(7));
        assert_eq!(now.commit_time(SimTime(5)), SimTime(5));
    }

    #[test]
    fn a_batch_keeps_the_latest_state_of_each_task() {
        // Checks the dispatcher's map: one entry per task, the later state wins, the first
        // update of a batch asks for the commit, and a taken batch is gone.
        let mut b = StatusBatcher::new(SimDuration::from_millis(100), SimDuration::ZERO);
        let (x, y) = (TaskId(1), TaskId(2));
        assert_eq!(b.enqueue(SimTime(10 * MS), x, TaskState::Running), Some(SimTime(100 * MS)));
        assert_eq!(b.enqueue(SimTime(20 * MS), y, TaskState::Running), None);
        assert_eq!(b.enqueue(SimTime(60 * MS), x, TaskState::Failed), None);
        assert_eq!(b.enqueue(SimTime(120 * MS), y, TaskState::Complete), Some(SimTime(200 * MS)));
        assert_eq!(b.take(SimTime(100 * MS)).0, vec![(x, TaskState::Failed), (y, TaskState::Running)]);
        assert!(b.take(SimTime(100 * MS)).0.is_empty());
        assert_eq!(b.take(SimTime(200 * MS)).0, vec![(y, TaskState::Complete)]);
    }

    #[test]
    fn a_re_reported_status_is_applied_with_its_batch_but_apart_from_its_changes() {
        // An ended task's unchanged status asks for a commit when its batch is empty, is kept
        // once, and does not join the changes the watchers act on (nor their order).
        let mut b = StatusBatcher::new(SimDuration::from_millis(100), SimDuration::ZERO);
        let (x, y) = (TaskId(1), TaskId(2));
        assert_eq!(b.enqueue_reapplied(SimTime(10 * MS), x), Some(SimTime(100 * MS)));
        assert_eq!(b.enqueue_reapplied(SimTime(20 * MS), x), None);
        assert_eq!(b.enqueue(SimTime(30 * MS), y, TaskState::Failed), None, "the batch already commits");
        assert_eq!(b.take(SimTime(100 * MS)), (vec![(y, TaskState::Failed)], vec![x]));
    }

    #[test]
    fn a_stopped_dispatcher_sends_no_pending_assignment_change() {
        // The streams die with the dispatcher: every node's unsent changes are dropped, and an
        // ended task's re-report among them is kept for the node's next full set.
        let yaml = "services: {web: {image: \"a:1\"}}\nx-simulation: {cluster: {nodes: 2}}\n";
        let scenario = crate::scenario::load_str(yaml, std::path::Path::new("t.yml")).expect("valid");
        let mut d = Dispatcher::new(&scenario);
        let (x, y, z) = (TaskId(1), TaskId(2), TaskId(3));
        d.assignments[0].changes = vec![AssignmentChange::Desired(x), AssignmentChange::Removed(y)];
        d.assignments[1].changes = vec![AssignmentChange::Reapplied(z), AssignmentChange::Assigned(x)];
        d.assignments[1].armed = true;
        d.stop();
        assert!(d.assignments.iter().all(|b| b.changes.is_empty()), "nothing left to send");
        assert!(d.assignments[1].armed, "its queued timer is left to find nothing");
        assert_eq!(d.reapply_on_register.iter().copied().collect::<Vec<_>>(), vec![z]);
    }
}

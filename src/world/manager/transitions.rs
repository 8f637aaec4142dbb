//! Task transitions as store transactions with their watchers: every task creation, observed
//! state and desired state goes through here, so that each becomes a row of `events.csv`, keeps
//! the node tallies the scheduler uses, reaches the dispatcher's batch (states ≥ RUNNING, which
//! the orchestrators and updater act on) and tells the node of a new desired state.

use std::sync::Arc;

use crate::model::task::{NodeId, TaskId, TaskState};
use crate::world::cluster::{ClusterView, Message};
use crate::world::{AgentStep, Event, Io};

use super::Manager;
use super::dispatcher::AssignmentChange;
use super::store::NewTask;

impl Manager {
    /// `CreateTask`: a NEW task for `slot` of a service running `spec`; the allocator takes
    /// it next.
    pub(super) fn create_task(&mut self, new: NewTask, cluster: ClusterView<'_>, io: &mut Io<'_>) -> TaskId {
        let message = self.messages.shared(Message::Fixed("created"), &mut self.recorder);
        let (service, slot) = (new.service, new.slot);
        let id_rank = io.rng.ids.between(0, u64::MAX);
        let (id, held) = self.store.create_task(new, id_rank, message, io.now());
        let arm = self.reaper.created(service, slot, held, &self.store, io.now());
        self.arm_reaper(arm, io);
        self.recorder.touch(id, &self.store, cluster);
        self.recorder.log_task(id, &self.store, io.now());
        let d = io.latency(|l| &l.allocate);
        io.q.after(d, Event::Agent { task: id, step: AgentStep::Allocate });
        id
    }

    /// A new observed state. States only move forward.
    pub(super) fn set_state(
        &mut self,
        id: TaskId,
        state: TaskState,
        message: Message<'_>,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        let Some(task_node) = self.write_state(id, state, message, io) else { return };
        // A node that cannot be reached cannot report (its agent reports again on reconnect).
        let reported = task_node.is_none_or(|n| cluster.reachable(n) && !self.store.node(n).removed);
        let batched = state >= TaskState::Running && reported;
        if !batched {
            // A batched report reaches the store's watchers when its batch commits.
            let arm = self.reaper.updated(self.store.task(id), io.now());
            self.arm_reaper(arm, io);
        }
        self.recorder.touch(id, &self.store, cluster);
        self.recorder.log_task(id, &self.store, io.now());
        if state >= TaskState::Running && reported {
            // The report waits in the dispatcher for its batch (see `dispatcher`).
            let arrival = io.now().plus(io.latency(|l| &l.status_report));
            self.dispatcher.enqueue(arrival, id, state, io);
        } else if state >= TaskState::Running && task_node.is_some() {
            self.dispatcher.note_unsent(id);
        }
        if state.is_terminal() {
            self.release_from_node(id, io);
            // The scheduler frees a task's reservations when it sees the task past RUNNING:
            // a reported state when its dispatcher batch commits (see `dispatcher_commit`), one
            // no agent reports (an unreachable node, an orphaned task) at once.
            if !reported {
                self.release_resources(id, io);
            }
        }
    }

    /// A new observed state the manager writes itself (the constraint enforcer's REJECTED):
    /// no agent reported it, so no dispatcher batch carries it; the scheduler and the task
    /// reaper see it at once, and the caller tells the orchestrators and the updater.
    pub(super) fn set_state_by_manager(
        &mut self,
        id: TaskId,
        state: TaskState,
        message: Message<'_>,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        if self.write_state(id, state, message, io).is_none() {
            return;
        }
        let arm = self.reaper.updated(self.store.task(id), io.now());
        self.arm_reaper(arm, io);
        self.recorder.touch(id, &self.store, cluster);
        self.recorder.log_task(id, &self.store, io.now());
        if state.is_terminal() {
            self.release_from_node(id, io);
            self.release_resources(id, io);
        }
    }

    /// Writes a task's new observed state into the store, counting the containers held; the
    /// task's node (None: unassigned), or None when the task is deleted or forgotten: swarmkit's
    /// `UpdateTask` of a deleted task fails (and the dispatcher skips a status for one: "task may
    /// have been deleted"), so such a task never changes again.
    fn write_state(
        &mut self,
        id: TaskId,
        state: TaskState,
        message: Message<'_>,
        io: &mut Io<'_>,
    ) -> Option<Option<NodeId>> {
        let task = self.store.get(id).filter(|t| !t.deleted)?;
        assert!(state > task.state, "task {} moved backwards: {} -> {}", task.id.docker_id(), task.state, state);
        // A task holds a container from `starting` until it is observed past `running`.
        let holds = |s: TaskState| (TaskState::Starting..=TaskState::Running).contains(&s);
        if holds(task.state) != holds(state) {
            self.recorder.container_count(io.now(), holds(state));
        }
        let node = task.node;
        let message = self.messages.shared(message, &mut self.recorder);
        self.store.set_state(id, state, message, io.now());
        Some(node)
    }

    /// The scheduler sees the task past RUNNING (swarmkit `scheduler.updateTask` →
    /// `deleteTask` → `nodeInfo.removeTask`): its reservations and host ports are free again,
    /// and a pending task may fit now.
    pub(super) fn release_resources(&mut self, id: TaskId, io: &mut Io<'_>) {
        if !self.store.release_resources(id) {
            return;
        }
        let r = self.store.reservations(id);
        if !r.is_zero() {
            self.recorder.reservation(r, false, || self.store.cluster_capacity());
        }
        if self.scheduler.has_pending() {
            self.arm_schedule_tick(io);
        }
    }

    /// The manager changes a task's desired state; the node hears of it after `dispatch`.
    pub(super) fn set_desired(&mut self, id: TaskId, desired: TaskState, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        if self.store.is_deleted(id) || !self.store.set_desired(id, desired) {
            return;
        }
        let arm = self.reaper.updated(self.store.task(id), io.now());
        self.arm_reaper(arm, io);
        if desired > TaskState::Running {
            self.release_from_node(id, io);
            // A task not yet placed that should stop stays with the scheduler, which ignores
            // desired states (swarmkit `scheduler.createTask`/`updateTask`): it is still
            // assigned, and its agent then reports it shut down (the s05 trace's second run:
            // the rollback's `assigned -> shutdown`). One that cannot be placed stays PENDING,
            // as `docker service ps` shows it (Shutdown / Pending). Only a removed task is
            // dropped at once: the task reaper deletes unassigned tasks meant for removal.
            if desired == TaskState::Remove
                && self.store.task(id).state < TaskState::Assigned
                && self.scheduler.forget(id)
            {
                self.set_state(id, TaskState::Shutdown, Message::Fixed("shutdown"), cluster, io);
            }
        }
        self.recorder.touch(id, &self.store, cluster);
        self.recorder.log_task(id, &self.store, io.now());
        let task = self.store.task(id);
        // The dispatcher sends a node its tasks from ASSIGNED on (a global task names its node
        // from creation, but is not the node's until the scheduler assigns it). A task the
        // manager itself ended may still be running on its node: an orphaned one (its node was
        // removed, or silent for a day), one the constraint enforcer rejected (m21: its
        // container is stopped when the shutdown arrives). The change is sent all the same, for
        // whoever still listens.
        let sent = task.state >= TaskState::Assigned && (!task.state.is_terminal() || ended_by_manager(task));
        if let Some(node) = task.node.filter(|_| sent) {
            self.send_to_node(node, AssignmentChange::Desired(id), io);
        }
        // An ended task's node hears of the change too, and has nothing to do but report the
        // final status again: its task manager runs `exec.Do` on every update and "always
        // reports the status if it gets one back" (swarmkit `agent/task.go`), and the dispatcher
        // applies it again (`Status.AppliedAt`, which the task reaper orders a slot by: s19's
        // old task, shut down after the first rejected one, is deleted before it). That report
        // is all the node does, so it is sent from here.
        let task = self.store.task(id);
        // (Not a task the manager ended: its agent's own later states are below the manager's
        // and the dispatcher ignores them, "task status invalid transition".)
        let reports_again = task.state.is_terminal()
            && !ended_by_manager(task)
            && task.node.is_some_and(|n| cluster.reachable(n) && !self.store.node(n).removed);
        if let Some(node) = task.node.filter(|_| reports_again) {
            // The change goes out in the node's next assignments batch.
            self.send_to_node(node, AssignmentChange::Reapplied(id), io);
        }
    }

    /// A task stops counting toward its node's active tasks (desired past RUNNING, or ended):
    /// room for a pending task.
    fn release_from_node(&mut self, id: TaskId, io: &mut Io<'_>) {
        if self.store.release_from_node(id) && self.scheduler.has_pending() {
            self.arm_schedule_tick(io);
        }
    }
}

/// Whether the manager itself ended the task (ORPHANED, or REJECTED by the constraint
/// enforcer) while its agent may still hold it.
fn ended_by_manager(task: &super::store::Task) -> bool {
    task.state == TaskState::Orphaned
        || (task.state == TaskState::Rejected && *task.message == *super::constraintenforcer::REJECTED_ERR)
}

/// Entries of [`Messages`] (a power of two).
const MESSAGE_SLOTS: usize = 64;

/// The shared copy of each fixed status message ([`Message::Fixed`]) a transition carries, by
/// its address: nearly every transition's message is one of a few fixed words ("accepted",
/// "preparing", "scheduler assigned task to node", …), so each is looked up in the recorder's
/// table of shared strings once a run, not once a transition. A fixed word is `'static`: the
/// text at an address, of a length, never changes, so a hit needs no comparison of the text.
/// Other messages go to the recorder as before.
pub(super) struct Messages {
    /// (address, length, shared copy).
    slots: [Option<(usize, usize, Arc<str>)>; MESSAGE_SLOTS],
}

impl Default for Messages {
    fn default() -> Messages {
        Messages { slots: std::array::from_fn(|_| None) }
    }
}

impl Messages {
    /// The shared copy of `message` (made by the recorder the first time).
    pub(super) fn shared(&mut self, message: Message<'_>, recorder: &mut super::record::Recorder) -> Arc<str> {
        let Message::Fixed(text) = message else { return recorder.intern(message.text()) };
        let (address, len) = (text.as_ptr() as usize, text.len());
        // Fibonacci hashing: the top bits of the address times 2^64 / φ.
        let slot = (address as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - MESSAGE_SLOTS.trailing_zeros());
        let entry = &mut self.slots[slot as usize];
        if let Some((at, length, shared)) = entry
            && (*at, *length) == (address, len)
        {
            return Arc::clone(shared);
        }
        let shared = recorder.intern(text);
        *entry = Some((address, len, Arc::clone(&shared)));
        shared
    }
}

//! The constraint enforcer (swarmkit `manager/orchestrator/constraintenforcer/
//! constraint_enforcer.go`): the leader runs `rejectNoncompliantTasks` for every node when it
//! starts (`Run`) and again on every `EventUpdateNode` (availability, labels, status READY /
//! DOWN / UNKNOWN, a new registration). For an ACTIVE node only ("if the availability is
//! pause, we shouldn't touch the tasks on this node"; a drained node's tasks are the
//! orchestrator's), each task there with desired state ASSIGNED..COMPLETED and observed state
//! below COMPLETED is checked against its service's CURRENT placement constraints (not the
//! task's own: an update that only changes constraints every node meets replaces no task), and
//! one the node no longer meets is set, in the store, to observed REJECTED with
//! `Status.Message` "task rejected by constraint enforcer" and `Status.Err` "assigned node no
//! longer meets constraints". The enforcer leaves the desired state to the orchestrator, whose
//! `handleTaskChange` then hands the task to the restart supervisor: the task is shut down and
//! a replacement created at once, started after the restart delay (the node is not drained)
//! without waiting for the old task (it is already past RUNNING). The m21/m21b traces
//! (2026-12-08c) show exactly this: REJECTED 0.06-0.12 s after the `node update`, the
//! replacements created the same millisecond and started 5 s later, the old containers
//! stopped ~1.2 s after the rejection.
//!
//! The enforcer's second check, resource reservations against the node's resources, cannot
//! fail in the model: a node's resources never change and the tasks it counts (desired up to
//! COMPLETED, not yet ended) are a subset of those the scheduler placed within them.
//! Global services are left to the global orchestrator's `reconcileOneNode`, which shuts a
//! task on a node its constraints now exclude down on the same node event (both watch the
//! store: which writes first is a race the model does not draw).

use crate::model::cluster::Availability;
use crate::model::decision::DecisionKind;
use crate::model::task::{NodeId, TaskId, TaskState};
use crate::world::cluster::{ClusterView, Message};
use crate::world::{Event, Io};

use super::Manager;

/// `Status.Err` of a task the enforcer rejects (the record keeps a rejected task's error as its
/// message, as `docker service ps` shows it in its ERROR column).
pub(super) const REJECTED_ERR: &str = "assigned node no longer meets constraints";

impl Manager {
    /// `rejectNoncompliantTasks(node)`: see the module's documentation.
    pub(super) fn enforce_constraints(&mut self, node: NodeId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        let n = self.store.node(node);
        if n.availability != Availability::Active || n.removed {
            return;
        }
        for id in self.store.tasks_on(node) {
            let t = self.store.task(id);
            if t.deleted
                || t.desired < TaskState::Assigned
                || t.desired > TaskState::Complete
                || t.state >= TaskState::Complete
            {
                continue;
            }
            let service = self.store.service(t.service);
            if service.is_global() {
                continue;
            }
            let view = self.node_view(node, t.service);
            let failing: Vec<String> = (service.spec().task.placement.constraints.iter())
                .filter(|c| !crate::swarm::placement::constraint_matches(c, &view))
                .map(ToString::to_string)
                .collect();
            if !failing.is_empty() {
                let sid = t.service;
                self.decide(sid, io.now(), |recorder, store| DecisionKind::ConstraintRejected {
                    task: recorder.task_name(id, store),
                    node: recorder.node_row_name(node, store),
                    failing,
                });
                self.reject_by_enforcer(id, cluster, io);
            }
        }
    }

    /// `rejectNoncompliantTasks` on every node (`Run`'s first pass, when a leader starts).
    pub(super) fn enforce_constraints_everywhere(&mut self, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        for i in 0..self.store.nodes().len() {
            self.enforce_constraints(NodeId(i as u32), cluster, io);
        }
    }

    /// The enforcer's store update: observed REJECTED, written by the manager itself (no agent
    /// report, no dispatcher batch). The scheduler and the task reaper see it at once; the
    /// orchestrator (`handleTaskChange` → restart) and the updater after `watch`.
    fn reject_by_enforcer(&mut self, id: TaskId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        let state = TaskState::Rejected;
        self.set_state_by_manager(id, state, Message::Fixed(REJECTED_ERR), cluster, io);
        let watch = io.latency(|l| &l.watch);
        io.q.after(watch, Event::UpdaterObserves { task: id, state });
        io.q.after(watch, Event::Observe { task: id, state });
    }
}

//! Node faults and availability: the dispatcher's heartbeat deadline (period 5 s ± 0.5 s, DOWN
//! after 3 periods of silence), restarts of a DOWN or drained node's tasks, ORPHANED after 24 h,
//! and reconnection.

use crate::engine::EventQueue;
use crate::model::cluster::Availability;
use crate::model::task::{NodeId, TaskId, TaskState};
use crate::time::{SimDuration, SimTime};

use super::state::ContainerPhase;
use super::{Event, World};

/// `DefaultHeartBeatPeriod`.
const HEARTBEAT_PERIOD_MS: u64 = 5_000;
/// `periodChooser` jitter: ± 10 % of the period.
const HEARTBEAT_JITTER_MS: u64 = 500;
/// `defaultGracePeriodMultiplier`.
const GRACE_MULTIPLIER: u64 = 3;
/// Range of the wait between a node's network coming back and its session re-registering.
const RECONNECT_MIN_MS: u64 = 500;
const RECONNECT_MAX_MS: u64 = 5_500;
/// `defaultNodeDownPeriod`: tasks of a node DOWN this long become ORPHANED.
const ORPHAN_AFTER: SimDuration = SimDuration::from_secs(24 * 3600);

impl World {
    fn tasks_on(&self, node: NodeId) -> Vec<TaskId> {
        self.tasks.iter().filter(|t| t.node == Some(node)).map(|t| t.id).collect()
    }

    /// The node stops answering. Its containers are cut off from the routing mesh at once; the
    /// manager notices only when the heartbeat deadline passes. Rather than step every
    /// heartbeat, draw when the last one was sent and the deadline it set.
    pub(super) fn node_goes_silent(&mut self, node: NodeId, q: &mut EventQueue<Event>) {
        let now = q.now();
        let n = &mut self.nodes[node.0 as usize];
        if !n.reachable {
            return;
        }
        n.reachable = false;
        n.reconnecting = false;
        n.epoch += 1;
        let epoch = n.epoch;
        let rng = &mut self.streams.heartbeat;
        let since_last = SimDuration::from_millis(rng.between(0, HEARTBEAT_PERIOD_MS - 1));
        let period = SimDuration::from_millis(
            rng.between(HEARTBEAT_PERIOD_MS - HEARTBEAT_JITTER_MS, HEARTBEAT_PERIOD_MS + HEARTBEAT_JITTER_MS),
        );
        let last = SimTime(now.0.saturating_sub(since_last.as_nanos()));
        let deadline = last.plus(period.times(GRACE_MULTIPLIER)).max(now);
        q.at(deadline, Event::NodeDownDetected { node, epoch });
        for id in self.tasks_on(node) {
            self.touch(id);
        }
    }

    /// Heartbeat deadline passed: the node is DOWN and its tasks are restarted elsewhere
    /// (replacements do not wait for the old tasks, but the restart delay applies).
    pub(super) fn node_down_detected(&mut self, node: NodeId, epoch: u32, q: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node.0 as usize];
        if n.epoch != epoch || n.reachable {
            return;
        }
        n.down = true;
        q.after(ORPHAN_AFTER, Event::NodeOrphanDeadline { node, epoch });
        for id in self.tasks_on(node) {
            // Gates waiting for a task on this node stop waiting.
            self.release_gates_waiting_on(id, q);
            let t = self.task(id);
            if t.desired <= TaskState::Running && !self.service(t.service).is_global() {
                self.restart(id, true, q);
            }
        }
        self.reconcile_all(q);
    }

    pub(super) fn node_orphan_deadline(&mut self, node: NodeId, epoch: u32, q: &mut EventQueue<Event>) {
        let n = &self.nodes[node.0 as usize];
        if n.epoch != epoch || !n.down {
            return;
        }
        for id in self.tasks_on(node) {
            let s = self.task(id).state;
            if s >= TaskState::Assigned && s <= TaskState::Running {
                self.set_state(id, TaskState::Orphaned, "orphaned", q);
            }
        }
    }

    /// The node's network is back. Its agent re-registers only on its next session attempt:
    /// after a long outage its reconnect backoff is at its 8 s cap, with a random wait (real
    /// 3-node traces: READY 0.6–5.4 s after the link came back).
    pub(super) fn node_answers(&mut self, node: NodeId, q: &mut EventQueue<Event>) {
        let n = &self.nodes[node.0 as usize];
        if n.reachable || n.reconnecting {
            return;
        }
        let epoch = n.epoch;
        self.nodes[node.0 as usize].reconnecting = true;
        let wait = SimDuration::from_millis(self.streams.heartbeat.between(RECONNECT_MIN_MS, RECONNECT_MAX_MS));
        q.after(wait, Event::NodeReconnects { node, epoch });
    }

    /// The agent's session is registered again: READY; it learns the desired states it missed.
    pub(super) fn node_reconnects(&mut self, node: NodeId, epoch: u32, q: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node.0 as usize];
        if n.epoch != epoch || n.reachable {
            return;
        }
        n.reconnecting = false;
        n.reachable = true;
        n.down = false;
        n.epoch += 1;
        for id in self.tasks_on(node) {
            self.touch(id);
            if !self.task(id).state.is_terminal() {
                q.at(q.now(), Event::DesiredArrives { task: id });
            }
        }
        self.reconcile_all(q);
        self.arm_schedule_tick(q);
    }

    /// `docker node update --availability`.
    pub(super) fn set_availability(&mut self, node: NodeId, availability: Availability, q: &mut EventQueue<Event>) {
        self.nodes[node.0 as usize].availability = availability;
        if availability == Availability::Drain {
            // Replicated tasks are restarted elsewhere with no restart delay; global ones are
            // shut down by the global orchestrator's reconcile.
            for id in self.tasks_on(node) {
                let t = self.task(id);
                let live = t.desired <= TaskState::Running && t.container.phase != ContainerPhase::Exited;
                if live && !self.service(t.service).is_global() {
                    self.restart(id, false, q);
                }
            }
        }
        self.reconcile_all(q);
        self.arm_schedule_tick(q);
    }

    fn reconcile_all(&mut self, q: &mut EventQueue<Event>) {
        for i in 0..self.services.len() {
            // A global service's desired count follows the nodes.
            self.services[i].sample_due = true;
            q.at(q.now(), Event::Reconcile { service: self.services[i].id });
        }
    }
}

//! The orchestrators and the restart supervisor: swarmkit's `replicated` and `global`
//! orchestrators (`reconcile`, `addTasks`, `deleteTasks`, `handleTaskChange`) and
//! `restart.Supervisor` (`Restart`, `DelayStart`).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::EventQueue;
use crate::model::record::UpdateState;
use crate::model::spec::ServiceMode;
use crate::model::task::{NodeId, ServiceId, SpecVersion, TaskId, TaskState};
use crate::swarm::placement::{NodeView, constraint_matches};
use crate::swarm::restart::{self, OLD_TASK_TIMEOUT};
use crate::time::SimDuration;

use super::state::{Counts, Gate, Service};
use super::{Event, World};

impl World {
    /// `docker stack deploy` at t = 0: creates every service and reconciles it.
    pub(super) fn deploy_stack(&mut self, q: &mut EventQueue<Event>) {
        for spec in self.scenario.services.clone() {
            self.add_service(spec, q);
        }
        self.refresh_routes(q.now());
    }

    /// Adds a service (`docker stack deploy`, `docker service create`) and reconciles it.
    pub(super) fn add_service(
        &mut self,
        spec: crate::model::spec::ServiceSpec,
        q: &mut EventQueue<Event>,
    ) -> ServiceId {
        let id = ServiceId(self.services.len() as u32);
        self.services.push(Service {
            id,
            name: Arc::from(spec.name.as_str()),
            newest_requested: spec.task.clone(),
            version_is_new: vec![true],
            images: vec![Arc::from(spec.task.image.as_str())],
            specs: vec![spec],
            current: SpecVersion(0),
            previous: None,
            status: None,
            updater: None,
            tasks: Vec::new(),
            restart_history: BTreeMap::new(),
            counts: Counts::default(),
            sample_due: true,
            last_sample: None,
            by_slot: BTreeMap::new(),
            record: Default::default(),
            created_at: q.now(),
            removed_at: None,
            failures: 0,
        });
        q.at(q.now(), Event::Reconcile { service: id });
        id
    }

    /// The tasks that fill each slot (`UpdatableTasksInSlot`): tasks whose desired state is at
    /// most RUNNING; a slot whose last task ended and will not be restarted stays filled by
    /// that dead task, except during a rollback, which must converge.
    pub(super) fn slots_of(&self, sid: ServiceId) -> BTreeMap<u64, Vec<TaskId>> {
        let svc = self.service(sid);
        svc.by_slot.keys().filter_map(|&slot| self.slot_members(sid, slot).map(|tasks| (slot, tasks))).collect()
    }

    /// The tasks filling one slot, or None when the slot is empty.
    pub(super) fn slot_members(&self, sid: ServiceId, slot: u64) -> Option<Vec<TaskId>> {
        let svc = self.service(sid);
        let history = svc.by_slot.get(&slot)?;
        let live: Vec<TaskId> =
            history.iter().copied().filter(|&id| self.task(id).desired <= TaskState::Running).collect();
        if !live.is_empty() {
            return Some(live);
        }
        let rollback = svc.status.as_ref().is_some_and(|s| s.state == UpdateState::RollbackStarted);
        let last = *history.last()?;
        let t = self.task(last);
        (!rollback && t.restart_declined && t.desired != TaskState::Remove).then(|| vec![last])
    }

    /// Reconciles a service with its spec: add or remove tasks, then hand the slots to the
    /// update supervisor.
    pub(super) fn reconcile(&mut self, sid: ServiceId, q: &mut EventQueue<Event>) {
        if self.service(sid).is_removed() {
            return;
        }
        match self.service(sid).spec().mode {
            ServiceMode::Replicated { replicas } => self.reconcile_replicated(sid, replicas, q),
            ServiceMode::Global => self.reconcile_global(sid, q),
        }
    }

    fn reconcile_replicated(&mut self, sid: ServiceId, replicas: u64, q: &mut EventQueue<Event>) {
        let slots = self.slots_of(sid);
        let mut keep: Vec<u64> = slots.keys().copied().collect();
        if (keep.len() as u64) < replicas {
            // addTasks: the missing slots get the newest spec directly, outside the updater.
            let current = self.service(sid).current;
            let mut next = 1u64;
            for _ in keep.len() as u64..replicas {
                while slots.contains_key(&next) {
                    next += 1;
                }
                self.create_task(sid, next, None, current, TaskState::Running, q);
                next += 1;
            }
        } else if keep.len() as u64 > replicas {
            // Scale down: running slots first, then lower slot numbers; the rest are removed.
            keep.sort_by_key(|slot| {
                let running = slots[slot].iter().any(|&t| self.task(t).state == TaskState::Running);
                (!running, *slot)
            });
            for slot in keep.split_off(replicas as usize) {
                for &t in &slots[&slot] {
                    if self.task(t).desired <= TaskState::Running {
                        self.set_desired(t, TaskState::Remove, q);
                    }
                }
            }
        }
        keep.sort_unstable();
        let slot_tasks: Vec<(u64, Vec<TaskId>)> = keep.into_iter().map(|s| (s, slots[&s].clone())).collect();
        self.supervise_update(sid, slot_tasks, q);
    }

    /// Can `node` run a task of global service `sid`?
    pub(super) fn global_node_eligible(&self, sid: ServiceId, node: NodeId) -> bool {
        let n = &self.nodes[node.0 as usize];
        if n.down || n.availability == crate::model::cluster::Availability::Drain {
            return false;
        }
        let view = self.node_view(n.id, sid);
        self.service(sid).spec().task.placement.constraints.iter().all(|c| constraint_matches(c, &view))
    }

    fn reconcile_global(&mut self, sid: ServiceId, q: &mut EventQueue<Event>) {
        let slots = self.slots_of(sid);
        let current = self.service(sid).current;
        let mut keep = Vec::new();
        for i in 0..self.nodes.len() {
            let node = NodeId(i as u32);
            let slot = i as u64 + 1;
            let eligible = self.global_node_eligible(sid, node);
            match (slots.get(&slot), eligible) {
                (None, true) => {
                    self.create_task(sid, slot, Some(node), current, TaskState::Running, q);
                }
                (Some(tasks), true) => keep.push((slot, tasks.clone())),
                (Some(tasks), false) if !self.nodes[i].down => {
                    for &t in tasks {
                        self.set_desired(t, TaskState::Shutdown, q);
                    }
                }
                _ => {}
            }
        }
        self.supervise_update(sid, keep, q);
    }

    /// A node as the scheduler and constraints see it, for service `sid`.
    pub(super) fn node_view(&self, node: NodeId, sid: ServiceId) -> NodeView<'_> {
        let n = &self.nodes[node.0 as usize];
        let spec_version = self.service(sid).current;
        let recent_failures = n.failures.iter().filter(|(s, v, _)| *s == sid && *v == spec_version).count() as u32;
        NodeView {
            name: &n.spec.name,
            id: &n.docker_id,
            role: n.spec.role,
            labels: &n.spec.labels,
            ready: !n.down && n.reachable,
            availability: n.availability,
            service_tasks: n.service_tasks.get(&sid).copied().unwrap_or(0),
            total_tasks: n.total_tasks,
            recent_failures,
        }
    }

    /// The manager learns a task's state (≥ RUNNING).
    pub(super) fn observe(&mut self, id: TaskId, state: TaskState, q: &mut EventQueue<Event>) {
        // When the updater saw this first and started a rollback, the restored spec is already
        // committed, so the replacement below uses it (the s05 trace's first run); the
        // rollback's reconcile is queued behind events already due now.
        if state > TaskState::Running {
            // A task that ended while it should run (failed, rejected, or exited — an unhealthy
            // container killed with status 0 completes) counts against a rollout's new version.
            if self.task(id).desired <= TaskState::Running {
                let sid = self.task(id).service;
                self.service_mut(sid).failures += 1;
            }
            self.note_node_failure(id, state, q.now());
            self.release_gates_waiting_on(id, q);
            let node_invalid = false;
            if restart::needs_restart(self.task(id).desired, state, node_invalid) {
                self.restart(id, false, q);
            }
        }
    }

    fn note_node_failure(&mut self, id: TaskId, state: TaskState, now: crate::time::SimTime) {
        if !matches!(state, TaskState::Failed | TaskState::Rejected) {
            return;
        }
        let t = self.task(id);
        let (sid, version) = (t.service, t.spec);
        if let Some(node) = t.node {
            let failures = &mut self.nodes[node.0 as usize].failures;
            // `monitorFailures`: only the last 5 minutes count.
            let horizon = crate::time::SimTime(now.0.saturating_sub(300_000_000_000));
            failures.retain(|&(_, _, at)| at >= horizon);
            failures.push((sid, version, now));
        }
    }

    /// `restart.Supervisor.Restart`: shut the task down and, if the policy allows, create a
    /// replacement in the same slot with the service's current spec, started after the delay.
    pub(super) fn restart(&mut self, id: TaskId, node_down: bool, q: &mut EventQueue<Event>) {
        if self.task(id).restart_handled {
            return;
        }
        self.task_mut(id).restart_handled = true;
        self.set_desired(id, TaskState::Shutdown, q);
        let t = self.task(id);
        let (sid, slot, old_spec, state) = (t.service, t.slot, t.spec, t.state);
        let node = t.node;
        let node_drained =
            node.is_some_and(|n| self.nodes[n.0 as usize].availability == crate::model::cluster::Availability::Drain);
        let policy = self.service(sid).spec_at(old_spec).task.restart.clone();
        let current = self.service(sid).current;
        let now = q.now();
        let history = self.service_mut(sid).restart_history.entry(slot).or_default();
        if !history.should_restart(&policy, current, state, now) {
            self.task_mut(id).restart_declined = true;
            return;
        }
        history.record(&policy, current, now);
        let global_node = if self.service(sid).is_global() { node } else { None };
        let new = self.create_task(sid, slot, global_node, current, TaskState::Ready, q);
        let delay = restart::restart_delay(&policy, node_drained);
        let wait_stop = !(state > TaskState::Running || node_down);
        self.delay_start(Some(id), new, delay, wait_stop, q);
    }

    /// `DelayStart`: start `new` after `delay` and, when `wait_stop`, after `old` stops (or
    /// its node goes down, or 60 s pass: the timer starts with the delay).
    pub(super) fn delay_start(
        &mut self,
        old: Option<TaskId>,
        new: TaskId,
        delay: SimDuration,
        wait_stop: bool,
        q: &mut EventQueue<Event>,
    ) {
        let now = q.now();
        let wait_for = old.filter(|&o| wait_stop && self.task(o).state <= TaskState::Running);
        let gate = Gate {
            task: new,
            delay_until: now.plus(delay),
            wait_for,
            timeout_at: now.plus(OLD_TASK_TIMEOUT),
            old_stopped: false,
            done: false,
        };
        let index = self.gates.len();
        self.gates.push(gate);
        if let Some(o) = wait_for {
            self.gates_waiting.entry(o).or_default().push(index);
        }
        // With no delay, a gate waiting for the old task opens on its stop or its timeout.
        if delay > SimDuration::ZERO || wait_for.is_none() {
            q.at(now.plus(delay), Event::Gate { gate: index as u32 });
        }
        if wait_for.is_some() {
            let timeout = now.plus(OLD_TASK_TIMEOUT);
            self.gate_timeouts.insert((timeout, index));
            if self.gate_sweep_at.is_none_or(|at| timeout < at) {
                self.gate_sweep_at = Some(timeout);
                q.at(timeout, Event::GateTimeouts);
            }
        }
    }

    /// Opens the gates whose old-task timeout has passed, then re-arms for the next one.
    pub(super) fn gate_timeouts_due(&mut self, q: &mut EventQueue<Event>) {
        let now = q.now();
        if self.gate_sweep_at == Some(now) {
            self.gate_sweep_at = None;
        }
        while let Some(&(at, gate)) = self.gate_timeouts.first() {
            if at > now {
                break;
            }
            self.gate_timeouts.pop_first();
            self.check_gate(gate, q);
        }
        if let Some(&(next, _)) = self.gate_timeouts.first()
            && self.gate_sweep_at.is_none_or(|at| next < at)
        {
            self.gate_sweep_at = Some(next);
            q.at(next, Event::GateTimeouts);
        }
    }

    /// Releases a gate if its conditions now hold.
    pub(super) fn check_gate(&mut self, index: usize, q: &mut EventQueue<Event>) {
        let now = q.now();
        let g = &self.gates[index];
        if g.done || now < g.delay_until {
            return;
        }
        let old_done = g.wait_for.is_none() || g.old_stopped || now >= g.timeout_at;
        if !old_done {
            return;
        }
        self.gates[index].done = true;
        let timeout = self.gates[index].timeout_at;
        self.gate_timeouts.remove(&(timeout, index));
        let task = self.gates[index].task;
        // StartNow: only a task still below RUNNING is moved.
        if self.task(task).desired < TaskState::Running {
            self.set_desired(task, TaskState::Running, q);
        }
        let sid = self.task(task).service;
        self.updater_gate_open(sid, task, q);
    }

    /// Gates waiting on `old` (observed past RUNNING, or its node DOWN) may open.
    pub(super) fn release_gates_waiting_on(&mut self, old: TaskId, q: &mut EventQueue<Event>) {
        let waiting = self.gates_waiting.remove(&old).unwrap_or_default();
        for i in waiting {
            self.gates[i].old_stopped = true;
            self.check_gate(i, q);
        }
    }
}

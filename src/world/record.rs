//! Task mutation and recording: every state or desired-state change goes through here, so each
//! one becomes a row of `events.csv` and keeps the per-service timeline counts exact.

use std::sync::Arc;

use crate::engine::EventQueue;
use crate::model::record::{EndReason, RunRecord, ServiceRecord, TaskEvent, TimelineSample};
use crate::model::spec::{ServiceMode, TaskSpec};
use crate::model::task::{TaskId, TaskState};
use crate::model::traffic::{ServingEnd, ServingInterval};
use crate::time::SimTime;

use super::state::{Class, ContainerPhase, Task};
use super::{Event, World};

/// Rows collected during a run.
#[derive(Default)]
pub(super) struct Recorder {
    pub task_events: Vec<TaskEvent>,
    pub timeline: Vec<TimelineSample>,
    pub actions: Vec<(SimTime, String, Option<String>)>,
    pub outputs: Vec<crate::model::record::CommandOutput>,
    pub secret_mounts: Vec<crate::model::record::SecretMount>,
    /// Time of the last recorded change.
    pub last_change_at: SimTime,
    /// One shared copy of each distinct string rows carry (messages, images, node names).
    strings: std::collections::BTreeMap<String, Arc<str>>,
    /// Serving spans, in the order they began (see [`ServingInterval`]).
    pub serving: Vec<ServingInterval>,
    /// The span of each task whose in-flight requests are not settled yet (still serving, or
    /// unbound with its process still running), by task.
    open_serving: std::collections::BTreeMap<TaskId, usize>,
    /// Time of the event being handled: `touch` has no clock, and serving spans need one.
    pub now: SimTime,
    /// Images brought in by `docker service update --image` or `docker service create`:
    /// (when, service, image).
    pub image_changes: Vec<(SimTime, String, String)>,
    /// Each traffic route's backends whenever they changed.
    pub routes: Vec<crate::model::route::RouteState>,
    /// Containers gained (+1) and lost (−1), in time order.
    pub containers: Vec<(SimTime, i64)>,
}

impl Recorder {
    /// The shared copy of `s`.
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        self.strings.insert(s.to_string(), shared.clone());
        shared
    }

    /// Follows a task's serving flag (`was` → `is`) and whether its process is gone (`lost`:
    /// exited, or cut off with its node), so that the traffic model knows both when the mesh
    /// stopped sending it requests and when the requests it still had were cut off.
    fn note_serving(
        &mut self,
        id: TaskId,
        (was, is): (bool, bool),
        lost: Option<ServingEnd>,
        (service, task_id, image): (Arc<str>, Arc<str>, Arc<str>),
    ) {
        let now = self.now;
        if is && !was {
            self.open_serving.insert(id, self.serving.len());
            let span = ServingInterval { service, task_id, image, start: now, end: None, ended_by: None, cut: None };
            self.serving.push(span);
            return;
        }
        let Some(&index) = self.open_serving.get(&id) else { return };
        let span = &mut self.serving[index];
        if was && !is {
            span.end = Some(now);
            span.ended_by = Some(lost.unwrap_or(ServingEnd::Unbound));
        }
        if lost.is_some() {
            span.cut = Some(now);
            self.open_serving.remove(&id);
        }
    }
}

impl World {
    pub(super) fn task(&self, id: TaskId) -> &Task {
        &self.tasks[id.0 as usize]
    }

    pub(super) fn task_mut(&mut self, id: TaskId) -> &mut Task {
        &mut self.tasks[id.0 as usize]
    }

    pub(super) fn task_spec(&self, id: TaskId) -> &TaskSpec {
        let t = self.task(id);
        &self.service(t.service).spec_at(t.spec).task
    }

    /// The agent reports a new observed state. States only move forward.
    pub(super) fn set_state(&mut self, id: TaskId, state: TaskState, message: &str, q: &mut EventQueue<Event>) {
        let task = self.task(id);
        assert!(state > task.state, "task {} moved backwards: {} -> {}", task.docker_id, task.state, state);
        // A task holds a container from `starting` until it is observed past `running`.
        let holds = |s: TaskState| (TaskState::Starting..=TaskState::Running).contains(&s);
        if holds(task.state) != holds(state) {
            self.recorder.containers.push((q.now(), if holds(state) { 1 } else { -1 }));
        }
        self.task_mut(id).state = state;
        self.task_mut(id).message = self.recorder.intern(message);
        self.touch(id);
        self.log_task(id, q.now());
        if state >= TaskState::Running && self.task_reachable_for_reports(id) {
            // The report waits in the dispatcher for its batch (see `dispatcher`).
            let arrival = q.now().plus(self.latency(|l| &l.status_report));
            if let Some(commit) = self.dispatcher.enqueue(arrival, id, state) {
                q.at(commit, Event::DispatcherCommit);
            }
        }
        if state.is_terminal() {
            self.release_from_node(id, q);
        }
    }

    /// `processUpdates`: the batch due now is committed; the updater and the orchestrator (with
    /// its restart supervisor) each see all of it, on their own goroutines. Which of them acts
    /// first is a race whose outcome shows when both act on one failed task: a rollback the
    /// updater commits first makes the restart supervisor's replacement use the restored spec
    /// (the s05 trace's first run); a restart committed first leaves a slot of the bad spec for
    /// the rollback to replace (its second run).
    pub(super) fn dispatcher_commit(&mut self, q: &mut EventQueue<Event>) {
        let mut batch = self.dispatcher.take(q.now());
        let random = self.scenario.races == crate::model::scenario::Races::Random;
        if random {
            // `taskUpdates` is a Go map: its updates are applied in random order.
            self.streams.races.shuffle(&mut batch);
        }
        let to_updater = self.latency(|l| &l.watch);
        let to_orchestrator = self.latency(|l| &l.watch);
        if to_updater != to_orchestrator {
            for &(task, state) in &batch {
                q.after(to_updater, Event::UpdaterObserves { task, state });
                q.after(to_orchestrator, Event::Observe { task, state });
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
            q.after(to_updater, Event::UpdaterObserves { task, state });
        }
        let updater_first = !random || self.streams.races.chance(0.5);
        if updater_first {
            q.after(to_updater, Event::UpdaterObserves { task: last, state: last_state });
        }
        for &(task, state) in &batch {
            q.after(to_orchestrator, Event::Observe { task, state });
        }
        if !updater_first {
            q.after(to_updater, Event::UpdaterObserves { task: last, state: last_state });
        }
    }

    fn task_reachable_for_reports(&self, id: TaskId) -> bool {
        match self.task(id).node {
            Some(n) => self.nodes[n.0 as usize].reachable,
            None => true,
        }
    }

    /// The manager changes a task's desired state; the agent hears of it after `dispatch`.
    pub(super) fn set_desired(&mut self, id: TaskId, desired: TaskState, q: &mut EventQueue<Event>) {
        if self.task(id).desired == desired {
            return;
        }
        self.task_mut(id).desired = desired;
        if desired > TaskState::Running {
            self.release_from_node(id, q);
            // A task not yet placed that should stop stays with the scheduler, which ignores
            // desired states (swarmkit `scheduler.createTask`/`updateTask`): it is still
            // assigned, and its agent then reports it shut down (the s05 trace's second run:
            // the rollback's `assigned -> shutdown`). One that cannot be placed stays PENDING,
            // as `docker service ps` shows it (Shutdown / Pending). Only a removed task is
            // dropped at once: the task reaper deletes unassigned tasks meant for removal.
            if desired == TaskState::Remove && self.task(id).state < TaskState::Assigned && self.pending.remove(&id) {
                self.set_state(id, TaskState::Shutdown, "shutdown", q);
            }
        }
        self.touch(id);
        self.log_task(id, q.now());
        if self.task(id).node.is_some() && !self.task(id).state.is_terminal() {
            let d = self.latency(|l| &l.dispatch);
            q.after(d, Event::DesiredArrives { task: id });
        }
    }

    /// A task stops counting toward its node's active tasks (desired past RUNNING, or ended).
    fn release_from_node(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        let task = self.task(id);
        if !task.counted_on_node {
            return;
        }
        let (node, service) = (task.node.expect("counted tasks have a node"), task.service);
        self.task_mut(id).counted_on_node = false;
        let n = &mut self.nodes[node.0 as usize];
        n.total_tasks -= 1;
        *n.service_tasks.get_mut(&service).expect("counted") -= 1;
        if !self.pending.is_empty() {
            self.arm_schedule_tick(q);
        }
    }

    /// Recomputes a task's timeline class and updates its service's counts.
    pub(super) fn touch(&mut self, id: TaskId) {
        let task = self.task(id);
        let service = self.service(task.service);
        let reachable = task.node.is_none_or(|n| self.nodes[n.0 as usize].reachable);
        let c = &task.container;
        let class = Class {
            running: task.state == TaskState::Running && task.desired <= TaskState::Running,
            serving: c.phase == ContainerPhase::Running && c.healthy && !c.signalled && reachable,
            starting: task.desired <= TaskState::Running && task.state < TaskState::Running,
            stopping: task.desired > TaskState::Running && c.phase == ContainerPhase::Running,
            new: service.version_is_new[task.spec.0 as usize],
        };
        let old = task.class;
        let lost = if c.phase == ContainerPhase::Exited {
            Some(ServingEnd::Exited)
        } else if !reachable {
            Some(ServingEnd::NodeLost)
        } else {
            None
        };
        let serving_news = old.serving != class.serving || (lost.is_some() && !class.serving);
        let names = serving_news
            .then(|| (service.name.clone(), task.docker_id.clone(), service.images[task.spec.0 as usize].clone()));
        if class != old {
            let sid = task.service;
            self.task_mut(id).class = class;
            let svc = self.service_mut(sid);
            svc.counts.apply(old, false);
            svc.counts.apply(class, true);
            svc.sample_due = true;
        }
        if let Some(names) = names {
            self.recorder.note_serving(id, (old.serving, class.serving), lost, names);
        }
    }

    /// Logs a PENDING task's new scheduling error.
    pub(super) fn log_pending(&mut self, id: TaskId, t: SimTime) {
        self.log_task(id, t);
    }

    /// Appends an `events.csv` row for the task's current state.
    fn log_task(&mut self, id: TaskId, t: SimTime) {
        let task = &self.tasks[id.0 as usize];
        let service = &self.services[task.service.0 as usize];
        let node = match task.node {
            Some(n) => self.nodes[n.0 as usize].name.clone(),
            None => self.recorder.intern(""),
        };
        let slot = if service.is_global() { 0 } else { task.slot };
        let row = TaskEvent {
            t,
            service: service.name.clone(),
            task_id: task.docker_id.clone(),
            slot,
            node,
            image: service.images[task.spec.0 as usize].clone(),
            desired_state: task.desired,
            state: task.state,
            message: task.message.clone(),
        };
        self.recorder.task_events.push(row);
        self.recorder.last_change_at = t;
    }

    /// Desired replicas as the timeline shows them (global: nodes that accept the service).
    pub(super) fn desired_count(&self, sid: crate::model::task::ServiceId) -> u64 {
        let svc = self.service(sid);
        if svc.is_removed() {
            return 0;
        }
        match svc.spec().mode {
            ServiceMode::Replicated { replicas } => replicas,
            ServiceMode::Global => self.nodes.iter().filter(|n| self.global_node_eligible(sid, n.id)).count() as u64,
        }
    }

    /// Emits one timeline sample per service whose counts changed during this event.
    pub(super) fn flush_samples(&mut self, now: SimTime) {
        for i in 0..self.services.len() {
            if !self.services[i].sample_due {
                continue;
            }
            self.services[i].sample_due = false;
            let sid = self.services[i].id;
            let desired = self.desired_count(sid);
            let svc = &self.services[i];
            let c = svc.counts;
            let sample = TimelineSample {
                t: now,
                service: svc.name.to_string(),
                desired,
                running_old: c.running_old,
                running_new: c.running_new,
                healthy_old: c.healthy_old,
                healthy_new: c.healthy_new,
                starting: c.starting,
                stopping: c.stopping,
                serving: c.healthy_old + c.healthy_new,
                update_state: svc.status.as_ref().map(|s| s.state.as_str().to_string()).unwrap_or_default(),
            };
            // Several changes at one instant collapse into the last one; an unchanged sample
            // is not repeated.
            let timeline = &mut self.recorder.timeline;
            if let Some(idx) = self.services[i].last_sample {
                let prev = &timeline[idx];
                if prev.t == now {
                    timeline[idx] = sample;
                    continue;
                }
                if same_counts(prev, &sample) {
                    continue;
                }
            }
            self.services[i].last_sample = Some(timeline.len());
            self.recorder.last_change_at = now;
            timeline.push(sample);
        }
    }

    /// Builds the final record.
    pub(super) fn into_record(self, end_reason: EndReason, end_time: SimTime, events: u64) -> RunRecord {
        let strategies = self.strategy_records();
        let services = self
            .services
            .iter()
            .map(|s| ServiceRecord {
                name: s.name.to_string(),
                desired_replicas: match s.spec().mode {
                    ServiceMode::Replicated { replicas } => replicas,
                    ServiceMode::Global => self.desired_count(s.id),
                },
                update: s.record.clone(),
                created_at: s.created_at,
                removed_at: s.removed_at,
            })
            .collect();
        let mut record = RunRecord {
            scenario: self.scenario.name.clone(),
            seed: self.scenario.seed,
            input_digest: self.scenario.input_digest.clone(),
            engine: self.scenario.engine.as_str().to_string(),
            end_reason,
            end_time,
            events_handled: events,
            task_events: self.recorder.task_events,
            timeline: self.recorder.timeline,
            services,
            actions: self.recorder.actions,
            outputs: self.recorder.outputs,
            secret_mounts: self.recorder.secret_mounts,
            serving: self.recorder.serving,
            requests: Vec::new(),
            image_changes: self.recorder.image_changes,
            routes: self.recorder.routes,
            containers: self.recorder.containers,
            strategies,
        };
        // Request outcomes are computed from what was recorded, never simulated per request.
        record.requests = crate::traffic::evaluate(&record, &self.scenario.traffic, &self.error_rates);
        record
    }

    /// Creates a task (NEW) for `slot` of a service running `spec`.
    pub(super) fn create_task(
        &mut self,
        sid: crate::model::task::ServiceId,
        slot: u64,
        node: Option<crate::model::task::NodeId>,
        spec: crate::model::task::SpecVersion,
        desired: TaskState,
        q: &mut EventQueue<Event>,
    ) -> TaskId {
        let id = TaskId(self.tasks.len() as u32);
        self.tasks.push(Task {
            id,
            docker_id: Arc::from(id.docker_id()),
            service: sid,
            slot,
            node,
            spec,
            desired,
            agent_desired: desired,
            state: TaskState::New,
            message: self.recorder.intern("created"),
            counted_on_node: false,
            restart_declined: false,
            restart_handled: false,
            container: Default::default(),
            class: Class::default(),
        });
        self.service_mut(sid).tasks.push(id);
        self.service_mut(sid).by_slot.entry(slot).or_default().push(id);
        self.touch(id);
        self.log_task(id, q.now());
        let d = self.latency(|l| &l.allocate);
        q.after(d, Event::Agent { task: id, step: super::AgentStep::Allocate });
        id
    }

    /// Invariants checked after every event in tests.
    pub(super) fn assert_invariants(&self) {
        for svc in &self.services {
            if let Some(active) = &svc.updater {
                let spec = svc.spec();
                let config = if active.updater.is_rollback() { &spec.rollback } else { &spec.update };
                if config.parallelism > 0 {
                    assert!(
                        active.updater.slots_in_flight() as u64 <= config.parallelism,
                        "{}: more than parallelism slots in flight",
                        svc.name
                    );
                }
            }
        }
    }
}

fn same_counts(a: &TimelineSample, b: &TimelineSample) -> bool {
    a.desired == b.desired
        && a.running_old == b.running_old
        && a.running_new == b.running_new
        && a.healthy_old == b.healthy_old
        && a.healthy_new == b.healthy_new
        && a.starting == b.starting
        && a.stopping == b.stopping
        && a.update_state == b.update_state
}

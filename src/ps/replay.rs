//! The swarm's task store at an instant, rebuilt from a run's `task_events`: every event up to
//! and including the instant is applied, and swarmkit's task reaper deletes old history as it
//! would (`manager/orchestrator/taskreaper/task_reaper.go`).
//!
//! The reaper, as modelled:
//! - a slot (replicated: service + slot; global: service + node) becomes dirty when a task is
//!   created in it, and stays dirty while it holds more than one task that may still run;
//! - it keeps `TaskHistoryRetentionLimit` tasks per slot (5, counting the current one), or
//!   `max_attempts + 1` when the service's restart policy sets `max_attempts`;
//! - it deletes, oldest status first, tasks past RUNNING and tasks that were never assigned
//!   but are desired past RUNNING, until the slot is within the limit;
//! - tasks desired REMOVE (scale-down) are deleted once unassigned or COMPLETE or later.
//!
//! Swarmkit batches reaping 250 ms after the store goes quiet; here it runs at every recorded
//! instant, so history rows may vanish up to a fraction of a second earlier than on a real swarm.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::record::{RunRecord, TaskEvent};
use crate::model::scenario::Scenario;
use crate::model::task::TaskState;
use crate::time::SimTime;

/// swarmkit's default `TaskHistoryRetentionLimit` (`docker swarm init --task-history-limit`).
pub const DEFAULT_HISTORY_LIMIT: usize = 5;

/// A task as the manager's store holds it at an instant: what `docker service ps` lists.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRow {
    /// Docker-style task id (25 characters).
    pub id: Arc<str>,
    /// Full service name.
    pub service: Arc<str>,
    /// Slot, 0 for a global service's task.
    pub slot: u64,
    /// Node name, empty before assignment.
    pub node: Arc<str>,
    /// `image:tag` of the task's spec.
    pub image: Arc<str>,
    /// Desired state.
    pub desired: TaskState,
    /// Observed state.
    pub state: TaskState,
    /// Status message; for FAILED and REJECTED tasks (and PENDING ones no node fits) the error.
    pub message: Arc<str>,
    /// `Meta.CreatedAt`: when the task was created.
    pub created: SimTime,
    /// `Status.Timestamp`: when the observed state last changed.
    pub status_at: SimTime,
}

impl TaskRow {
    fn from_event(e: &TaskEvent, r: &RunRecord) -> TaskRow {
        TaskRow {
            id: r.shared(e.task_id).clone(),
            service: r.shared(e.service).clone(),
            slot: e.slot,
            node: r.shared(e.node).clone(),
            image: r.shared(e.image).clone(),
            desired: e.desired_state,
            state: e.state,
            message: r.shared(e.message).clone(),
            created: e.t,
            status_at: e.t,
        }
    }

    fn apply(&mut self, e: &TaskEvent, r: &RunRecord) {
        // The status timestamp moves with the observed state only: a desired-state change is
        // the manager's write, not a status report.
        if e.state != self.state {
            self.status_at = e.t;
        }
        self.node = r.shared(e.node).clone();
        self.desired = e.desired_state;
        self.state = e.state;
        self.message = r.shared(e.message).clone();
    }

    /// The reaper may delete it: past RUNNING, or never assigned and no longer wanted.
    fn reapable(&self) -> bool {
        self.state > TaskState::Running || (self.state < TaskState::Assigned && self.desired > TaskState::Running)
    }

    fn removed_for_good(&self) -> bool {
        self.desired == TaskState::Remove && (self.state < TaskState::Assigned || self.state >= TaskState::Complete)
    }
}

/// The history limit of each service (`max_attempts + 1` where the restart policy sets it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryLimits {
    per_service: BTreeMap<String, usize>,
}

impl HistoryLimits {
    /// The limits of a scenario's services.
    pub fn from_scenario(scenario: &Scenario) -> HistoryLimits {
        let mut limits = HistoryLimits::default();
        for s in &scenario.services {
            let attempts = s.task.restart.max_attempts as usize;
            let keep = if attempts > 0 { attempts + 1 } else { DEFAULT_HISTORY_LIMIT };
            limits.per_service.insert(s.name.clone(), keep);
        }
        limits
    }

    /// The number of tasks the reaper keeps per slot of `service`.
    pub fn limit(&self, service: &str) -> usize {
        self.per_service.get(service).copied().unwrap_or(DEFAULT_HISTORY_LIMIT)
    }
}

/// Slot identity: (service, slot, node for global tasks).
type SlotKey = (Arc<str>, u64, Arc<str>);

/// An incremental replay of `task_events`: advance it to increasing instants and read the store.
pub struct Replay<'a> {
    record: &'a RunRecord,
    events: &'a [TaskEvent],
    limits: HistoryLimits,
    next: usize,
    /// Live tasks by id (deleted tasks are removed).
    tasks: BTreeMap<Arc<str>, TaskRow>,
    /// Task ids per slot, in creation order.
    slots: BTreeMap<SlotKey, Vec<Arc<str>>>,
    dirty: Vec<SlotKey>,
    /// Tasks changed at the instant being applied (only they can have become removable).
    touched: Vec<Arc<str>>,
    /// The slot of every task ever seen, fixed at creation (a deleted task stays here, so a
    /// stray later event for it is ignored).
    slot_of: BTreeMap<Arc<str>, SlotKey>,
}

impl<'a> Replay<'a> {
    /// A replay of `record` before its first event.
    pub fn new(record: &'a RunRecord, limits: HistoryLimits) -> Replay<'a> {
        Replay {
            record,
            events: &record.task_events,
            limits,
            next: 0,
            tasks: BTreeMap::new(),
            slots: BTreeMap::new(),
            dirty: Vec::new(),
            touched: Vec::new(),
            slot_of: BTreeMap::new(),
        }
    }

    /// Applies every event at or before `t` (instants already passed are not revisited).
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some(e) = self.events.get(self.next).filter(|e| e.t <= t) {
            let instant = e.t;
            while let Some(e) = self.events.get(self.next).filter(|e| e.t == instant) {
                self.apply(e);
                self.next += 1;
            }
            self.reap();
        }
    }

    /// The tasks in the store, in no particular order (the table sorts them).
    pub fn tasks(&self) -> impl Iterator<Item = &TaskRow> {
        self.tasks.values()
    }

    fn apply(&mut self, e: &TaskEvent) {
        let r = self.record;
        let id = r.shared(e.task_id);
        self.touched.push(id.clone());
        match self.tasks.get_mut(&**id) {
            Some(task) => task.apply(e, r),
            None if self.slot_of.contains_key(&**id) => {}
            None => {
                let key = slot_key(e, r);
                self.slot_of.insert(id.clone(), key.clone());
                self.slots.entry(key.clone()).or_default().push(id.clone());
                self.tasks.insert(id.clone(), TaskRow::from_event(e, r));
                if !self.dirty.contains(&key) {
                    self.dirty.push(key);
                }
            }
        }
    }

    fn reap(&mut self) {
        for id in std::mem::take(&mut self.touched) {
            if self.tasks.get(&id).is_some_and(TaskRow::removed_for_good) {
                self.delete(&id);
            }
        }
        let dirty = std::mem::take(&mut self.dirty);
        for key in dirty {
            if self.reap_slot(&key) {
                self.dirty.push(key);
            }
        }
    }

    /// Trims one slot to its limit; true when it stays dirty (more than one task may still run).
    fn reap_slot(&mut self, key: &SlotKey) -> bool {
        let ids = self.slots.get(key).cloned().unwrap_or_default();
        let mut keep = self.limits.limit(&key.0);
        if ids.len() <= keep {
            return false;
        }
        let mut by_status: Vec<&TaskRow> = ids.iter().filter_map(|id| self.tasks.get(id)).collect();
        by_status.sort_by_key(|t| t.status_at);
        let mut doomed = Vec::new();
        let mut may_run = 0;
        for t in by_status {
            if !t.reapable() {
                may_run += 1;
                continue;
            }
            doomed.push(t.id.clone());
            keep += 1;
            if ids.len() <= keep {
                break;
            }
        }
        for id in doomed {
            self.delete(&id);
        }
        may_run > 1
    }

    fn delete(&mut self, id: &Arc<str>) {
        self.tasks.remove(id);
        if let Some(ids) = self.slot_of.get(id).and_then(|key| self.slots.get_mut(key)) {
            ids.retain(|x| x != id);
        }
    }
}

fn slot_key(e: &TaskEvent, r: &RunRecord) -> SlotKey {
    let node = if e.slot == 0 { r.shared(e.node).clone() } else { Arc::from("") };
    (r.shared(e.service).clone(), e.slot, node)
}

/// The store at `t`: every task of `record` still present then.
pub fn tasks_at(record: &RunRecord, limits: &HistoryLimits, t: SimTime) -> Vec<TaskRow> {
    let mut replay = Replay::new(record, limits.clone());
    replay.advance_to(t);
    replay.tasks().cloned().collect()
}

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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::model::record::{Name, RunRecord, TaskEvent};
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

/// Slot identity: (service, slot, node for global tasks — `None` for a replicated one), by
/// each name's canonical [`Name`].
type SlotKey = (Name, u64, Option<Name>);

/// An incremental replay of `task_events`: advance it to increasing instants and read the store.
///
/// Tasks and slots are keyed by the [`Name`]s the rows carry — integers — rather than by their
/// texts: a large run's replay makes millions of lookups. Each name is first mapped to the
/// first name with the same text (`canonical`), so two names spelling one text (a service
/// removed and created again) are one key, as their texts were.
pub struct Replay<'a> {
    record: &'a RunRecord,
    /// The events not applied yet.
    events: std::iter::Peekable<crate::model::event_log::Rows<'a>>,
    limits: HistoryLimits,
    /// Each name's canonical name (the first with its text), by [`Name`] index.
    canonical: Vec<Name>,
    /// Live tasks by id (deleted tasks are removed).
    tasks: BTreeMap<Name, TaskRow>,
    /// Task ids per slot, in creation order.
    slots: BTreeMap<SlotKey, Vec<Name>>,
    dirty: Vec<SlotKey>,
    /// The keys in `dirty`, to ask whether one is there without a scan (a deploy creates a
    /// task in each of 100,000 slots at one instant).
    dirty_set: BTreeSet<SlotKey>,
    /// Tasks changed at the instant being applied (only they can have become removable).
    touched: Vec<Name>,
    /// The slot of every task ever seen, fixed at creation (a deleted task stays here, so a
    /// stray later event for it is ignored).
    slot_of: BTreeMap<Name, SlotKey>,
}

impl<'a> Replay<'a> {
    /// A replay of `record` before its first event.
    pub fn new(record: &'a RunRecord, limits: HistoryLimits) -> Replay<'a> {
        let mut first: BTreeMap<&str, Name> = BTreeMap::new();
        let canonical =
            record.names.iter().enumerate().map(|(i, text)| *first.entry(&**text).or_insert(Name(i as u32))).collect();
        Replay {
            record,
            events: record.task_events.iter().peekable(),
            limits,
            canonical,
            tasks: BTreeMap::new(),
            slots: BTreeMap::new(),
            dirty: Vec::new(),
            dirty_set: BTreeSet::new(),
            touched: Vec::new(),
            slot_of: BTreeMap::new(),
        }
    }

    /// Applies every event at or before `t` (instants already passed are not revisited).
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some(instant) = self.events.peek().map(|e| e.t).filter(|&at| at <= t) {
            while let Some(e) = self.events.next_if(|e| e.t == instant) {
                self.apply(&e);
            }
            self.reap();
        }
    }

    /// The tasks in the store, in no particular order (the table sorts them).
    pub fn tasks(&self) -> impl Iterator<Item = &TaskRow> {
        self.tasks.values()
    }

    fn canonical(&self, name: Name) -> Name {
        self.canonical[name.0 as usize]
    }

    fn apply(&mut self, e: &TaskEvent) {
        let r = self.record;
        let id = self.canonical(e.task_id);
        self.touched.push(id);
        match self.tasks.get_mut(&id) {
            Some(task) => task.apply(e, r),
            None if self.slot_of.contains_key(&id) => {}
            None => {
                let node = (e.slot == 0).then(|| self.canonical(e.node));
                let key = (self.canonical(e.service), e.slot, node);
                self.slot_of.insert(id, key);
                self.slots.entry(key).or_default().push(id);
                self.tasks.insert(id, TaskRow::from_event(e, r));
                if self.dirty_set.insert(key) {
                    self.dirty.push(key);
                }
            }
        }
    }

    fn reap(&mut self) {
        for id in std::mem::take(&mut self.touched) {
            if self.tasks.get(&id).is_some_and(TaskRow::removed_for_good) {
                self.delete(id);
            }
        }
        let dirty = std::mem::take(&mut self.dirty);
        for key in dirty {
            if self.reap_slot(&key) {
                self.dirty.push(key);
            } else {
                self.dirty_set.remove(&key);
            }
        }
    }

    /// Trims one slot to its limit; true when it stays dirty (more than one task may still run).
    fn reap_slot(&mut self, key: &SlotKey) -> bool {
        let ids = self.slots.get(key).cloned().unwrap_or_default();
        let mut keep = self.limits.limit(self.record.name(key.0));
        if ids.len() <= keep {
            return false;
        }
        let mut by_status: Vec<(Name, &TaskRow)> =
            ids.iter().filter_map(|id| self.tasks.get(id).map(|t| (*id, t))).collect();
        by_status.sort_by_key(|(_, t)| t.status_at);
        let mut doomed = Vec::new();
        let mut may_run = 0;
        for (id, t) in by_status {
            if !t.reapable() {
                may_run += 1;
                continue;
            }
            doomed.push(id);
            keep += 1;
            if ids.len() <= keep {
                break;
            }
        }
        for id in doomed {
            self.delete(id);
        }
        may_run > 1
    }

    fn delete(&mut self, id: Name) {
        self.tasks.remove(&id);
        if let Some(ids) = self.slot_of.get(&id).and_then(|key| self.slots.get_mut(key)) {
            ids.retain(|x| *x != id);
        }
    }
}

/// The store at `t`: every task of `record` still present then.
pub fn tasks_at(record: &RunRecord, limits: &HistoryLimits, t: SimTime) -> Vec<TaskRow> {
    let mut replay = Replay::new(record, limits.clone());
    replay.advance_to(t);
    replay.tasks().cloned().collect()
}

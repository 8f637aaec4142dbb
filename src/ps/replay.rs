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

/// A [`TaskRow`] as the replay keeps it: names as [`Name`]s (read when the store is listed), so
/// that applying an event copies integers and a store of 200,000 tasks stays small.
#[derive(Clone, Copy, Debug)]
struct Live {
    id: Name,
    service: Name,
    slot: u64,
    node: Name,
    image: Name,
    desired: TaskState,
    state: TaskState,
    message: Name,
    created: SimTime,
    status_at: SimTime,
}

impl Live {
    fn from_event(e: &TaskEvent) -> Live {
        Live {
            id: e.task_id,
            service: e.service,
            slot: e.slot,
            node: e.node,
            image: e.image,
            desired: e.desired_state,
            state: e.state,
            message: e.message,
            created: e.t,
            status_at: e.t,
        }
    }

    fn apply(&mut self, e: &TaskEvent) {
        // The status timestamp moves with the observed state only: a desired-state change is
        // the manager's write, not a status report.
        if e.state != self.state {
            self.status_at = e.t;
        }
        self.node = e.node;
        self.desired = e.desired_state;
        self.state = e.state;
        self.message = e.message;
    }

    fn row(&self, r: &RunRecord) -> TaskRow {
        TaskRow {
            id: r.shared(self.id),
            service: r.shared(self.service),
            slot: self.slot,
            node: r.shared(self.node),
            image: r.shared(self.image),
            desired: self.desired,
            state: self.state,
            message: r.shared(self.message),
            created: self.created,
            status_at: self.status_at,
        }
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

/// "None" in the tables indexed by a name ([`Replay::row_of`], [`Replay::slot_of`]).
const NONE: u32 = u32::MAX;

/// Each name's canonical name: the first name of `record.names` with the same text. Readers
/// that key by [`Name`] (integers: a large run's replay makes millions of lookups) map a name
/// through this first, so two names spelling one text (a service removed and created again, a
/// message formatted twice) are one key, as their texts are.
#[allow(clippy::disallowed_types)] // looked up only, never iterated
pub fn canonical_names(record: &RunRecord) -> Vec<Name> {
    let mut first: std::collections::HashMap<&str, Name, Fast> =
        std::collections::HashMap::with_capacity_and_hasher(record.names.len(), Fast::default());
    record.names.iter().enumerate().map(|(i, text)| *first.entry(text).or_insert(Name(i as u32))).collect()
}

/// Hashes a key eight bytes at a time with a multiply and a rotation: the standard SipHash
/// guards against keys chosen to collide, which a report's names, task ids and slots are not,
/// and was a third of reading a large `events.csv`.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        // The multiply leaves its best bits high; hash tables index by the low ones.
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, word: u32) {
        self.write_u64(u64::from(word));
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Hash tables keyed by names, ids and slots ([`KeyHasher`]).
pub(crate) type Fast = std::hash::BuildHasherDefault<KeyHasher>;

/// A slot's tasks and whether the reaper still watches it.
struct Slot {
    /// Tasks the reaper keeps in it (its service's history limit).
    limit: usize,
    /// Task ids (canonical), in creation order.
    ids: Vec<Name>,
    /// In [`Replay::dirty`].
    dirty: bool,
}

/// An incremental replay of `task_events`: advance it to increasing instants and read the store.
///
/// Tasks and slots are found through tables indexed by the canonical [`Name`] of the task id
/// ([`canonical_names`]) — integers, no search — since a large run's replay applies millions of
/// events.
pub struct Replay<'a> {
    record: &'a RunRecord,
    /// The events not applied yet.
    events: std::iter::Peekable<crate::model::event_log::Rows<'a, crate::model::record::TaskEvent>>,
    limits: HistoryLimits,
    /// Each name's canonical name (the first with its text), by [`Name`] index.
    canonical: Vec<Name>,
    /// Live tasks, in no order (with their canonical ids); `row_of` says where each is.
    rows: Vec<(Name, Live)>,
    /// Index in `rows` of each live task, by canonical id ([`NONE`]: not live).
    row_of: Vec<u32>,
    /// Every slot ever used, numbered in order of first use.
    slots: Vec<Slot>,
    /// The number of each slot key.
    #[allow(clippy::disallowed_types)] // looked up only, never iterated
    slot_number: std::collections::HashMap<SlotKey, u32, Fast>,
    /// Slots the reaper watches, in the order they became dirty.
    dirty: Vec<u32>,
    /// Tasks changed at the instant being applied to desired REMOVE (only they can have
    /// become removable for good).
    touched: Vec<Name>,
    /// The slot number of every task ever seen, fixed at creation, by canonical id (a deleted
    /// task stays here, so a stray later event for it is ignored; [`NONE`]: never seen).
    slot_of: Vec<u32>,
}

impl<'a> Replay<'a> {
    /// A replay of `record` before its first event.
    pub fn new(record: &'a RunRecord, limits: HistoryLimits) -> Replay<'a> {
        Replay::with_canonical(record, limits, canonical_names(record))
    }

    /// [`Replay::new`] with the record's [`canonical_names`] already at hand.
    pub fn with_canonical(record: &'a RunRecord, limits: HistoryLimits, canonical: Vec<Name>) -> Replay<'a> {
        let names = record.names.len();
        Replay {
            record,
            events: record.task_events.iter().peekable(),
            limits,
            canonical,
            rows: Vec::new(),
            row_of: vec![NONE; names],
            slots: Vec::new(),
            slot_number: Default::default(),
            dirty: Vec::new(),
            touched: Vec::new(),
            slot_of: vec![NONE; names],
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

    /// The number of tasks in the store.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the store holds no task.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The tasks in the store, in the order of their ids' first appearance in the record's
    /// names (a fixed order; the table sorts them anyway).
    pub fn tasks(&self) -> Vec<TaskRow> {
        let mut live: Vec<(Name, u32)> = self.rows.iter().enumerate().map(|(i, (id, _))| (*id, i as u32)).collect();
        live.sort_unstable();
        live.into_iter().map(|(_, i)| self.rows[i as usize].1.row(self.record)).collect()
    }

    fn canonical(&self, name: Name) -> Name {
        self.canonical[name.0 as usize]
    }

    fn row_mut(&mut self, id: Name) -> Option<&mut Live> {
        match self.row_of[id.0 as usize] {
            NONE => None,
            i => Some(&mut self.rows[i as usize].1),
        }
    }

    fn row(&self, id: Name) -> Option<&Live> {
        match self.row_of[id.0 as usize] {
            NONE => None,
            i => Some(&self.rows[i as usize].1),
        }
    }

    fn apply(&mut self, e: &TaskEvent) {
        let r = self.record;
        let id = self.canonical(e.task_id);
        // Only a task desired REMOVE can be removed for good, and a row's desired state is its
        // last event's: a task none of whose events at this instant says REMOVE is not one.
        if e.desired_state == TaskState::Remove {
            self.touched.push(id);
        }
        if let Some(task) = self.row_mut(id) {
            task.apply(e);
            return;
        }
        if self.slot_of[id.0 as usize] != NONE {
            return;
        }
        let node = (e.slot == 0).then(|| self.canonical(e.node));
        let key = (self.canonical(e.service), e.slot, node);
        let next = self.slots.len() as u32;
        let number = *self.slot_number.entry(key).or_insert(next);
        if number == next {
            let limit = self.limits.limit(r.name(e.service));
            self.slots.push(Slot { limit, ids: Vec::new(), dirty: false });
        }
        self.slot_of[id.0 as usize] = number;
        let slot = &mut self.slots[number as usize];
        slot.ids.push(id);
        if !slot.dirty {
            slot.dirty = true;
            self.dirty.push(number);
        }
        self.row_of[id.0 as usize] = self.rows.len() as u32;
        self.rows.push((id, Live::from_event(e)));
    }

    fn reap(&mut self) {
        for id in std::mem::take(&mut self.touched) {
            if self.row(id).is_some_and(Live::removed_for_good) {
                self.delete(id);
            }
        }
        let dirty = std::mem::take(&mut self.dirty);
        for number in dirty {
            if self.reap_slot(number) {
                self.dirty.push(number);
            } else {
                self.slots[number as usize].dirty = false;
            }
        }
    }

    /// Trims one slot to its limit; true when it stays dirty (more than one task may still run).
    fn reap_slot(&mut self, number: u32) -> bool {
        let slot = &self.slots[number as usize];
        let mut keep = slot.limit;
        let count = slot.ids.len();
        if count <= keep {
            return false;
        }
        let mut by_status: Vec<(Name, &Live)> =
            slot.ids.iter().filter_map(|id| self.row(*id).map(|t| (*id, t))).collect();
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
            if count <= keep {
                break;
            }
        }
        for id in doomed {
            self.delete(id);
        }
        may_run > 1
    }

    fn delete(&mut self, id: Name) {
        let at = self.row_of[id.0 as usize];
        if at != NONE {
            self.rows.swap_remove(at as usize);
            if let Some((moved, _)) = self.rows.get(at as usize) {
                self.row_of[moved.0 as usize] = at;
            }
            self.row_of[id.0 as usize] = NONE;
        }
        let number = self.slot_of[id.0 as usize];
        if number != NONE {
            self.slots[number as usize].ids.retain(|x| *x != id);
        }
    }
}

/// The store at `t`: every task of `record` still present then.
pub fn tasks_at(record: &RunRecord, limits: &HistoryLimits, t: SimTime) -> Vec<TaskRow> {
    let mut replay = Replay::new(record, limits.clone());
    replay.advance_to(t);
    replay.tasks()
}

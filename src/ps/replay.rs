//! The swarm's task store at an instant, rebuilt from a run's `task_events`: every event up to
//! and including the instant is applied, and every task the simulated task reaper deleted by
//! then is gone (its `ProcessChange::Deleted` rows: the world models swarmkit's
//! `manager/orchestrator/taskreaper/task_reaper.go`, its 250 ms batches and its order, so that
//! what `docker service ps` lists is what the simulated manager's store held).

use std::sync::Arc;

use crate::model::record::{Name, PerName, ProcessChange, ProcessEvent, RunRecord, TaskEvent};
use crate::model::task::{TaskId, TaskState};
use crate::time::SimTime;

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
}

/// "None" in the table indexed by a name ([`Replay::row_of`]).
const NONE: u32 = u32::MAX;

/// Each name's canonical name: one name for every name of the same text. Readers that key by
/// [`Name`] (integers: a large run's replay makes millions of lookups) map a name through this
/// first, so two names spelling one text (a service removed and created again, a message
/// formatted twice) are one key, as their texts are.
#[allow(clippy::disallowed_types)] // looked up only, never iterated
pub fn canonical_names(record: &RunRecord) -> PerName<Name> {
    let names = &record.names;
    // Most names of a large run are task ids, each named by its task's index and so the only
    // name of its text (Docker ids are unique): a task id is its own canonical name. Only a
    // shared string could spell a task id; if one does (no run makes one), the task ids go
    // through the table of texts too.
    let spells_a_task_id = |text: &str| {
        text.len() == crate::model::task::DOCKER_ID_LEN
            && text.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    let mut first: std::collections::HashMap<&str, Name, Fast> = std::collections::HashMap::default();
    let shared: Vec<Name> = names.shared_names().map(|n| *first.entry(names.get(n)).or_insert(n)).collect();
    let task_names = (0..names.task_bound() as u32).map(|i| Name::of_task(TaskId(i)));
    let tasks: Vec<Name> = if first.keys().any(|text| spells_a_task_id(text)) {
        task_names.map(|n| *first.entry(names.get(n)).or_insert(n)).collect()
    } else {
        task_names.collect()
    };
    PerName::from_parts(shared, tasks)
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

/// The record's `ProcessChange::Deleted` rows, in time order.
type Deletions<'a> = std::iter::Filter<crate::model::event_log::Rows<'a, ProcessEvent>, fn(&ProcessEvent) -> bool>;

/// An incremental replay of `task_events` and the reaper's deletions: advance it to increasing
/// instants and read the store.
///
/// Tasks are found through tables indexed by the canonical [`Name`] of the task id
/// ([`canonical_names`]) — integers, no search — since a large run's replay applies millions of
/// events.
pub struct Replay<'a> {
    record: &'a RunRecord,
    /// The events not applied yet.
    events: std::iter::Peekable<crate::model::event_log::Rows<'a, TaskEvent>>,
    /// The deletions not applied yet.
    deletions: std::iter::Peekable<Deletions<'a>>,
    /// Each name's canonical name ([`canonical_names`]).
    canonical: PerName<Name>,
    /// Live tasks, in no order (with their canonical ids); `row_of` says where each is.
    rows: Vec<(Name, Live)>,
    /// Index in `rows` of each live task, by canonical id ([`NONE`]: not live).
    row_of: PerName<u32>,
    /// Tasks deleted so far, by canonical id (a stray later event for one is ignored).
    deleted: PerName<bool>,
}

impl<'a> Replay<'a> {
    /// A replay of `record` before its first event.
    pub fn new(record: &'a RunRecord) -> Replay<'a> {
        Replay::with_canonical(record, canonical_names(record))
    }

    /// [`Replay::new`] with the record's [`canonical_names`] already at hand.
    pub fn with_canonical(record: &'a RunRecord, canonical: PerName<Name>) -> Replay<'a> {
        let names = &record.names;
        let is_deletion: fn(&ProcessEvent) -> bool = |p| p.change == ProcessChange::Deleted;
        Replay {
            record,
            events: record.task_events.iter().peekable(),
            deletions: record.process_events.iter().filter(is_deletion).peekable(),
            canonical,
            rows: Vec::new(),
            row_of: PerName::new(names, NONE),
            deleted: PerName::new(names, false),
        }
    }

    /// Applies every event and deletion at or before `t` (instants already passed are not
    /// revisited), an instant's events before its deletions.
    pub fn advance_to(&mut self, t: SimTime) {
        loop {
            let next_event = self.events.peek().map(|e| e.t).filter(|&at| at <= t);
            let next_deletion = self.deletions.peek().map(|d| d.t).filter(|&at| at <= t);
            let instant = match (next_event, next_deletion) {
                (Some(e), Some(d)) => e.min(d),
                (Some(e), None) => e,
                (None, Some(d)) => d,
                (None, None) => break,
            };
            while let Some(e) = self.events.next_if(|e| e.t == instant) {
                self.apply(&e);
            }
            while let Some(d) = self.deletions.next_if(|d| d.t == instant) {
                let id = self.canonical(d.task_id);
                self.delete(id);
            }
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

    /// The tasks in the store, in the order of their canonical ids: ids kept as shared strings
    /// (a record built by hand) first, then task ids by task index (a fixed order; the table
    /// sorts them anyway).
    pub fn tasks(&self) -> Vec<TaskRow> {
        let mut live: Vec<(Name, u32)> = self.rows.iter().enumerate().map(|(i, (id, _))| (*id, i as u32)).collect();
        live.sort_unstable();
        live.into_iter().map(|(_, i)| self.rows[i as usize].1.row(self.record)).collect()
    }

    fn canonical(&self, name: Name) -> Name {
        self.canonical[name]
    }

    fn apply(&mut self, e: &TaskEvent) {
        let id = self.canonical(e.task_id);
        if self.deleted[id] {
            return;
        }
        match self.row_of[id] {
            NONE => {
                self.row_of[id] = self.rows.len() as u32;
                self.rows.push((id, Live::from_event(e)));
            }
            at => self.rows[at as usize].1.apply(e),
        }
    }

    fn delete(&mut self, id: Name) {
        self.deleted[id] = true;
        let at = self.row_of[id];
        if at != NONE {
            self.rows.swap_remove(at as usize);
            if let Some((moved, _)) = self.rows.get(at as usize) {
                self.row_of[*moved] = at;
            }
            self.row_of[id] = NONE;
        }
    }
}

/// The store at `t`: every task of `record` still present then.
pub fn tasks_at(record: &RunRecord, t: SimTime) -> Vec<TaskRow> {
    let mut replay = Replay::new(record);
    replay.advance_to(t);
    replay.tasks()
}

//! The manager's object store (swarmkit `manager/state/store`): services with their spec
//! history and UpdateStatus, tasks as the manager records them, and nodes as the manager knows
//! them. Everyone reads it; it changes only through the narrow methods below, each one a
//! store transaction of swarmkit's (`CreateTask`, `UpdateTask`, `UpdateService`, `UpdateNode`).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::cluster::{Availability, NodeSpec};
use crate::model::record::UpdateState;
use crate::model::spec::{Resources, ServiceMode, ServiceSpec, TaskSpec};
use crate::model::task::{NodeId, ServiceId, SpecVersion, TaskId, TaskState};
use crate::time::SimTime;
use crate::world::tasktable::TaskTable;

/// A node as the manager knows it (`api.Node`).
pub(crate) struct NodeRecord {
    /// Index.
    pub id: NodeId,
    /// As declared.
    pub spec: NodeSpec,
    /// `Spec.Availability`.
    pub availability: Availability,
    /// `Status.State` is DOWN: its heartbeat deadline passed.
    pub down: bool,
    /// `Status.State` is UNKNOWN: a new leader took over and the node has not registered with
    /// it yet (swarmkit `markNodesUnknown`). Not READY, so the scheduler passes it over.
    pub unknown: bool,
    /// It went DOWN from UNKNOWN (its message says so: `heartbeat failure for node in
    /// "unknown" state`).
    pub down_from_unknown: bool,
    /// Removed by `docker node rm` (swarmkit deletes the object; its index stays so that task
    /// records keep naming it).
    pub removed: bool,
    /// Active tasks (assigned, desired ≤ RUNNING) per service: the scheduler's `nodeInfo`.
    pub service_tasks: BTreeMap<ServiceId, u64>,
    /// Active tasks of every service.
    pub total_tasks: u64,
    /// Reservations of the tasks that hold the node's resources: assigned and not yet observed
    /// past RUNNING (swarmkit `nodeInfo.addTask` on assignment, `removeTask` once the
    /// scheduler's `updateTask` sees a state past RUNNING, whatever the desired state).
    pub reserved: Resources,
    /// Host-mode published ports held by those same tasks (`usedHostPorts`), with how many
    /// tasks hold each.
    pub host_ports: BTreeMap<u64, u32>,
    /// Recent task failures: (service, spec version, time), for the scheduler's
    /// `monitorFailures`.
    pub failures: Vec<(ServiceId, SpecVersion, SimTime)>,
    /// Node id as Docker prints it.
    pub docker_id: String,
    /// Hostname, shared by every recorded row.
    pub name: Arc<str>,
}

impl NodeRecord {
    /// Node `index` as declared, before anything runs on it.
    fn declared(index: usize, spec: &NodeSpec) -> NodeRecord {
        NodeRecord {
            id: NodeId(index as u32),
            availability: spec.availability,
            down: spec.down,
            unknown: false,
            down_from_unknown: false,
            removed: false,
            service_tasks: BTreeMap::new(),
            total_tasks: 0,
            reserved: Resources::default(),
            host_ports: BTreeMap::new(),
            failures: Vec::new(),
            // Node ids are drawn from the same id space as tasks, far above them.
            docker_id: TaskId(1_000_000 + index as u32).docker_id(),
            name: Arc::from(spec.name.as_str()),
            spec: spec.clone(),
        }
    }

    /// Makes this record `NodeRecord::declared(index, spec)`, keeping its strings when they
    /// say the same and its tables' room (a world reused from run to run: a sweep's runs
    /// declare the same nodes each time). Every field is named, so that one added later must
    /// be said here too.
    fn renew(&mut self, index: usize, declared: &NodeSpec) {
        let NodeRecord {
            id,
            spec,
            availability,
            down,
            unknown,
            down_from_unknown,
            removed,
            service_tasks,
            total_tasks,
            reserved,
            host_ports,
            failures,
            docker_id,
            name,
        } = self;
        if *id != NodeId(index as u32) {
            *id = NodeId(index as u32);
            *docker_id = TaskId(1_000_000 + index as u32).docker_id();
        }
        if *spec != *declared {
            *spec = declared.clone();
        }
        if **name != *declared.name {
            *name = Arc::from(declared.name.as_str());
        }
        *availability = declared.availability;
        *down = declared.down;
        *unknown = false;
        *down_from_unknown = false;
        *removed = false;
        service_tasks.clear();
        *total_tasks = 0;
        *reserved = Resources::default();
        host_ports.clear();
        failures.clear();
    }
}

/// `UpdateStatus`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UpdateStatus {
    /// State.
    pub state: UpdateState,
    /// Message.
    pub message: String,
}

/// A service and its spec history.
pub(crate) struct Service {
    /// Index.
    pub id: ServiceId,
    /// Every spec it has had; tasks point into this by `SpecVersion`.
    specs: Vec<ServiceSpec>,
    /// Each spec's task part, shared with the nodes that run it.
    task_specs: Vec<Arc<TaskSpec>>,
    /// `Spec`.
    pub current: SpecVersion,
    /// `PreviousSpec`.
    pub previous: Option<SpecVersion>,
    /// The task spec of the last `docker service update` / deploy: tasks running it are "new"
    /// (shared with `task_specs`, where it was added).
    newest_requested: Arc<TaskSpec>,
    /// Per spec version: does it equal `newest_requested`?
    version_is_new: Vec<bool>,
    /// `UpdateStatus` (None = nil).
    pub status: Option<UpdateStatus>,
    /// Every task created for it, in creation order, and some the task reaper deleted since
    /// (dropped in one pass once they are half the list: a deletion costs no search); read it
    /// through [`Store::service_tasks`].
    tasks: Vec<TaskId>,
    /// How many of `tasks` were deleted.
    deleted_tasks: usize,
    /// Its tasks by slot (global: node index + 1), in creation order, less those the task reaper
    /// deleted.
    pub by_slot: SlotTasks,
    /// Full name, shared by every recorded row.
    pub name: Arc<str>,
    /// Per spec version, its image, shared by every recorded row.
    images: Vec<Arc<str>>,
    /// When it was created.
    pub created_at: SimTime,
    /// When `docker service rm` removed it (from then on it is no longer reconciled and its
    /// tasks are shut down).
    pub removed_at: Option<SimTime>,
    /// Tasks that ended (failed, rejected or exited) while they should have been running, for
    /// the strategy controllers' analysis.
    pub failures: u64,
}

impl Service {
    /// The current spec.
    pub(super) fn spec(&self) -> &ServiceSpec {
        &self.specs[self.current.0 as usize]
    }

    /// A spec by version.
    pub(super) fn spec_at(&self, v: SpecVersion) -> &ServiceSpec {
        &self.specs[v.0 as usize]
    }

    /// A spec's task part, as handed to nodes.
    pub(super) fn task_spec_at(&self, v: SpecVersion) -> &Arc<TaskSpec> {
        &self.task_specs[v.0 as usize]
    }

    /// A spec's image.
    pub(super) fn image_at(&self, v: SpecVersion) -> &Arc<str> {
        &self.images[v.0 as usize]
    }

    /// Tasks of this spec version run what the last update asked for.
    pub(super) fn is_new(&self, v: SpecVersion) -> bool {
        self.version_is_new[v.0 as usize]
    }

    /// Removed by `docker service rm`.
    pub(super) fn is_removed(&self) -> bool {
        self.removed_at.is_some()
    }

    /// Replicated or global.
    pub(super) fn is_global(&self) -> bool {
        matches!(self.spec().mode, ServiceMode::Global)
    }

    /// Adds a spec version, its task part `task` (a copy of `spec.task`), and returns it.
    fn push_spec(&mut self, spec: ServiceSpec, task: Arc<TaskSpec>) -> SpecVersion {
        let v = SpecVersion(self.specs.len() as u32);
        self.version_is_new.push(spec.task == *self.newest_requested);
        self.images.push(Arc::from(spec.task.image.as_str()));
        self.task_specs.push(task);
        self.specs.push(spec);
        v
    }
}

/// A service's tasks by slot, in creation order, less those the task reaper deleted; a slot
/// left with none counts as absent.
///
/// Slots are dense (replicated: 1 up to the most replicas the service has had; global: node
/// index + 1), so they index a list: the updater, the orchestrator and the reaper look a slot
/// up for nearly every task change, and a B-tree of 100,000 slots cost a search of five or six
/// scattered nodes each time (about 3 % of W100k). Read in ascending slot order, as the
/// B-tree was. A slot's tasks are kept in its entry while they are few (a slot holds its
/// running task, the one replacing it and the reaper's short history): a list of their own
/// cost an allocation per slot and a second scattered read per lookup.
#[derive(Default)]
pub(crate) struct SlotTasks {
    /// Each slot's tasks by slot number (an empty list: no task; slots start at 1).
    slots: Vec<SlotList>,
}

/// Tasks a slot keeps in its own entry ([`SlotList::Inline`]): as many as fit in the 32 bytes
/// the entry takes anyway.
const SLOT_INLINE: usize = 6;

/// One slot's tasks, in creation order.
enum SlotList {
    /// Up to [`SLOT_INLINE`] tasks, the first `len` of `ids`.
    Inline { len: u8, ids: [TaskId; SLOT_INLINE] },
    /// More than fit in place (a slot whose tasks keep failing, or a history limit above
    /// [`SLOT_INLINE`]); it stays a list until the slot is emptied.
    Spilled(Vec<TaskId>),
}

impl Default for SlotList {
    fn default() -> SlotList {
        SlotList::Inline { len: 0, ids: [TaskId(0); SLOT_INLINE] }
    }
}

impl SlotList {
    fn as_slice(&self) -> &[TaskId] {
        match self {
            SlotList::Inline { len, ids } => &ids[..*len as usize],
            SlotList::Spilled(ids) => ids,
        }
    }

    fn push(&mut self, id: TaskId) {
        match self {
            SlotList::Inline { len, ids } if (*len as usize) < SLOT_INLINE => {
                ids[*len as usize] = id;
                *len += 1;
            }
            SlotList::Inline { ids, .. } => {
                let mut spilled = Vec::with_capacity(2 * SLOT_INLINE);
                spilled.extend_from_slice(ids);
                spilled.push(id);
                *self = SlotList::Spilled(spilled);
            }
            SlotList::Spilled(ids) => ids.push(id),
        }
    }

    /// Takes `id` out, keeping the others' order.
    fn remove(&mut self, id: TaskId) {
        match self {
            SlotList::Inline { len, ids } => {
                let n = *len as usize;
                if let Some(at) = ids[..n].iter().position(|&t| t == id) {
                    ids.copy_within(at + 1..n, at);
                    *len -= 1;
                }
            }
            SlotList::Spilled(ids) => {
                ids.retain(|&t| t != id);
                if ids.is_empty() {
                    // Given back once empty, as the map's entry was.
                    *self = SlotList::default();
                }
            }
        }
    }
}

impl SlotTasks {
    /// The tasks of `slot`, when it has any.
    pub(crate) fn get(&self, slot: u64) -> Option<&[TaskId]> {
        self.slots.get(slot as usize).map(SlotList::as_slice).filter(|tasks| !tasks.is_empty())
    }

    /// The entry of `slot` will be read soon (see `crate::prefetch`).
    pub(crate) fn prefetch(&self, slot: u64) {
        if let Some(entry) = self.slots.get(slot as usize) {
            crate::prefetch::prefetch(entry);
        }
    }

    /// Every slot with a task, in ascending order.
    pub(crate) fn slots(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots.iter().enumerate().filter(|(_, tasks)| !tasks.as_slice().is_empty()).map(|(slot, _)| slot as u64)
    }

    /// Adds `id` to `slot`; how many tasks the slot holds now.
    fn push(&mut self, slot: u64, id: TaskId) -> usize {
        let slot = usize::try_from(slot).expect("a slot number fits in memory");
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, SlotList::default);
        }
        let tasks = &mut self.slots[slot];
        tasks.push(id);
        tasks.as_slice().len()
    }

    /// Takes `id` out of `slot`.
    fn remove(&mut self, slot: u64, id: TaskId) {
        if let Some(tasks) = self.slots.get_mut(slot as usize) {
            tasks.remove(id);
        }
    }
}

/// What a new task is made of.
pub(crate) struct NewTask {
    /// Its service.
    pub service: ServiceId,
    /// Its slot (global: node index + 1).
    pub slot: u64,
    /// Its node, when it is bound to one (global services).
    pub node: Option<NodeId>,
    /// The spec version it runs.
    pub spec: SpecVersion,
    /// The desired state it is created with (RUNNING, or READY for a delayed start).
    pub desired: TaskState,
}

/// A task as the manager records it (`api.Task`); its container is the node's business.
pub(crate) struct Task {
    /// Index (its Docker id is made from it when needed: [`TaskId::docker_id`]; keeping one
    /// per task cost 64 bytes a task the run ever created).
    pub id: TaskId,
    /// Its service.
    pub service: ServiceId,
    /// Slot number (replicated) or node index + 1 (global).
    pub slot: u64,
    /// Where its id sorts among the others' (swarmkit's ids are random, `identity.NewID`, and
    /// memdb lists a service's tasks in id order: `store.FindTasks(ByServiceID)`). The id the
    /// reports print is a fixed function of `id`, so that they diff cleanly; this is the order
    /// the real ids would have.
    pub id_rank: u64,
    /// Assigned node.
    pub node: Option<NodeId>,
    /// Spec version it runs.
    pub spec: SpecVersion,
    /// `DesiredState`.
    pub desired: TaskState,
    /// `Status.State`, as reported.
    pub state: TaskState,
    /// `Status.Message` or `Status.Err`.
    pub message: Arc<str>,
    /// What swarmkit orders a slot's tasks by (`TasksByTimestamp`: `Status.AppliedAt`, else
    /// `Status.Timestamp`): when the dispatcher last applied a status the agent reported (also
    /// an ended task's unchanged one, re-reported when its desired state changed), or when the
    /// manager itself last wrote the status (creation, assignment, orphaned). The task reaper
    /// deletes a slot's oldest first.
    pub status_at: SimTime,
    /// The task reaper deleted it (`DeleteTask`): it is in no list of its service any more, and
    /// nothing looks it up by the lists. Its record stays for the observers that name it until
    /// its node has forgotten it too ([`Store::forget_task`]).
    pub deleted: bool,
    /// Its node let it go after the deletion (its container removed, or it had none), or no
    /// node ever had it: nothing will report it again.
    let_go: bool,
    /// Counted on its node's active-task tally.
    counted_on_node: bool,
    /// Holds its reservations and host ports on its node.
    holds_resources: bool,
    /// The restart supervisor declined to replace it: its slot stays filled by it.
    pub restart_declined: bool,
    /// The restart supervisor already handled its end.
    restart_handled: bool,
}

/// A task the store holds, to change (a free function, so that the other tables of the store
/// can be borrowed beside it).
fn held(tasks: &mut TaskTable<Task>, id: TaskId) -> &mut Task {
    tasks.get_mut(id).unwrap_or_else(|| panic!("task {} is no longer in the store", id.docker_id()))
}

/// Services, tasks and nodes.
pub(crate) struct Store {
    services: Vec<Service>,
    /// The tasks created and not forgotten yet, by id: a deleted task's record goes once
    /// nothing will name it again, so that the store holds the live tasks and the reaper's
    /// history, not every task the run created.
    tasks: TaskTable<Task>,
    /// Tasks created so far (the next task's id).
    created: u32,
    nodes: Vec<NodeRecord>,
    /// Nodes removed by `docker node rm` so far.
    removed_nodes: usize,
    /// For each service the scheduler asked about (see [`Store::nodes_by_load`]): every node
    /// by its load for that service, kept up to date as tasks are assigned and released, so
    /// the least loaded nodes are found without a scan.
    load_index: BTreeMap<ServiceId, LoadIndex>,
    /// Per node, the tasks ever assigned to it and not forgotten yet, in assignment order: what
    /// a node's registration, loss or removal walks ([`Store::tasks_on`]) without a scan of
    /// every task (a manager's restart registers every node: N nodes × T tasks otherwise).
    on_node: Vec<Vec<TaskId>>,
}

/// A load level: (active tasks of the service, active tasks in total).
type Level = (u64, u64);

/// One service's load index: the nodes grouped by [`Level`], levels in ascending order.
///
/// A node's place within its level is not kept in any order: the scheduler ranks a level's
/// nodes by their tie order (node index or a hash of it), never by where they sit here. So an
/// assignment moves its node from one level's list to another's in constant time (a swap
/// with the list's last node), where an ordered set of every node paid a removal and an
/// insertion in a tree of all the nodes, and the scheduler reads a level as one contiguous
/// list rather than walking the tree (about 7 % of a 1,000,000-replica run).
struct LoadIndex {
    /// Each level's nodes. A level emptied keeps its (empty) list: loads take few distinct
    /// values, and a node moving back and forth allocates nothing.
    levels: BTreeMap<Level, Vec<u32>>,
    /// Each node's place in its level's list, by node index.
    place: Vec<u32>,
}

impl LoadIndex {
    /// Every node of `nodes` at its level for `service`.
    fn new(nodes: &[NodeRecord], service: ServiceId) -> LoadIndex {
        let mut index = LoadIndex { levels: BTreeMap::new(), place: vec![0; nodes.len()] };
        for n in nodes {
            let level = (n.service_tasks.get(&service).copied().unwrap_or(0), n.total_tasks);
            index.enter(n.id.0, level);
        }
        index
    }

    /// Puts `node` at the end of `level`'s list.
    fn enter(&mut self, node: u32, level: Level) {
        let list = self.levels.entry(level).or_default();
        self.place[node as usize] = list.len() as u32;
        list.push(node);
    }

    /// Moves `node` from level `from` (where it is) to level `to`.
    fn move_node(&mut self, node: u32, from: Level, to: Level) {
        let list = self.levels.get_mut(&from).expect("a node is at its level");
        let at = self.place[node as usize] as usize;
        debug_assert_eq!(list.get(at), Some(&node), "load index out of date");
        list.swap_remove(at);
        if let Some(&moved) = list.get(at) {
            self.place[moved as usize] = at as u32;
        }
        self.enter(node, to);
    }

    /// Every node as (tasks of the service, tasks in total, index), levels in ascending order.
    fn iter(&self) -> impl Iterator<Item = (u64, u64, usize)> + '_ {
        self.levels.iter().flat_map(|(&(svc, total), nodes)| nodes.iter().map(move |&i| (svc, total, i as usize)))
    }
}

impl Store {
    /// A store knowing the declared nodes and nothing else.
    pub(super) fn new(nodes: &[NodeSpec], expected_tasks: usize) -> Store {
        let nodes = nodes.iter().enumerate().map(|(i, spec)| NodeRecord::declared(i, spec)).collect();
        let tasks = TaskTable::with_capacity(expected_tasks);
        Store {
            services: Vec::new(),
            tasks,
            created: 0,
            nodes,
            removed_nodes: 0,
            load_index: BTreeMap::new(),
            on_node: Vec::new(),
        }
    }

    /// Makes this store the one `Store::new(nodes, expected_tasks)` makes, keeping the room
    /// its lists grew (a world reused from run to run). Every field is named, so that one added
    /// later must be said here too.
    pub(super) fn renew(&mut self, nodes: &[NodeSpec], expected_tasks: usize) {
        let Store { services, tasks, created, nodes: records, removed_nodes, load_index, on_node } = self;
        services.clear();
        tasks.clear(expected_tasks);
        *created = 0;
        records.truncate(nodes.len());
        for (i, (record, spec)) in records.iter_mut().zip(nodes).enumerate() {
            record.renew(i, spec);
        }
        let known = records.len();
        records.extend(nodes.iter().enumerate().skip(known).map(|(i, spec)| NodeRecord::declared(i, spec)));
        *removed_nodes = 0;
        load_index.clear();
        on_node.iter_mut().for_each(Vec::clear);
    }

    /// Tasks created so far.
    pub(super) fn task_count(&self) -> usize {
        self.created as usize
    }

    /// A task the store holds (every task not forgotten: a caller with an id that may be a
    /// forgotten task's asks [`Store::get`]).
    pub(super) fn task(&self, id: TaskId) -> &Task {
        self.tasks.get(id).unwrap_or_else(|| panic!("task {} is no longer in the store", id.docker_id()))
    }

    /// The task's record will be read soon (see `Model::prefetch`).
    pub(super) fn prefetch_task(&self, id: TaskId) {
        self.tasks.prefetch(id);
    }

    /// A task, unless it was forgotten.
    pub(super) fn get(&self, id: TaskId) -> Option<&Task> {
        self.tasks.get(id)
    }

    /// Deleted, or forgotten since: a task that never changes again.
    pub(super) fn is_deleted(&self, id: TaskId) -> bool {
        self.tasks.get(id).is_none_or(|t| t.deleted)
    }

    /// Every task held (not forgotten), in creation order.
    pub(super) fn tasks(&self) -> impl Iterator<Item = &Task> + '_ {
        self.tasks.iter().map(|(_, t)| t)
    }

    /// The deleted task's node let it go (its container removed, or it had none), or no node
    /// ever had it: no report of it will come.
    pub(super) fn let_go(&mut self, id: TaskId) {
        if let Some(task) = self.tasks.get_mut(id).filter(|t| t.deleted) {
            task.let_go = true;
        }
    }

    /// `DeleteTask` has passed and no node will report the task again ([`Store::let_go`]):
    /// its record goes, once the caller knows that nothing of the manager names it any more.
    /// False when the task is not both deleted and let go (then it stays).
    pub(super) fn forget_task(&mut self, id: TaskId) -> bool {
        if !self.tasks.get(id).is_some_and(|t| t.deleted && t.let_go) {
            return false;
        }
        let node = self.tasks.get(id).and_then(|t| t.node);
        if let Some(list) = node.and_then(|n| self.on_node.get_mut(n.0 as usize)) {
            list.retain(|&t| t != id);
        }
        self.tasks.remove(id);
        true
    }

    /// A service.
    pub(super) fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.0 as usize]
    }

    /// Every service, in creation order.
    pub(super) fn services(&self) -> &[Service] {
        &self.services
    }

    /// A node.
    pub(super) fn node(&self, id: NodeId) -> &NodeRecord {
        &self.nodes[id.0 as usize]
    }

    /// Every node, in declaration order.
    pub(super) fn nodes(&self) -> &[NodeRecord] {
        &self.nodes
    }

    /// Every task of service `sid` not deleted, in creation order.
    pub(super) fn service_tasks(&self, sid: ServiceId) -> Vec<TaskId> {
        let tasks = &self.services[sid.0 as usize].tasks;
        tasks.iter().copied().filter(|&t| !self.is_deleted(t)).collect()
    }

    /// Every task assigned to `node` and not deleted, in creation order.
    pub(super) fn tasks_on(&self, node: NodeId) -> Vec<TaskId> {
        self.held_on(node, |t| !t.deleted)
    }

    /// Every task assigned to `node` that `keep` keeps (deleted ones included), in creation
    /// order (ids grow with creation; the index is in assignment order).
    pub(super) fn held_on(&self, node: NodeId, keep: impl Fn(&Task) -> bool) -> Vec<TaskId> {
        let Some(list) = self.on_node.get(node.0 as usize) else { return Vec::new() };
        let mut out: Vec<TaskId> = (list.iter().copied())
            .filter(|&id| self.tasks.get(id).is_some_and(|t| t.node == Some(node) && keep(t)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// `CreateService`.
    pub(super) fn add_service(&mut self, spec: ServiceSpec, now: SimTime) -> ServiceId {
        let id = ServiceId(self.services.len() as u32);
        let task = Arc::new(spec.task.clone());
        self.services.push(Service {
            id,
            name: Arc::from(spec.name.as_str()),
            newest_requested: Arc::clone(&task),
            version_is_new: vec![true],
            images: vec![Arc::from(spec.task.image.as_str())],
            task_specs: vec![task],
            specs: vec![spec],
            current: SpecVersion(0),
            previous: None,
            status: None,
            tasks: Vec::new(),
            deleted_tasks: 0,
            by_slot: SlotTasks::default(),
            created_at: now,
            removed_at: None,
            failures: 0,
        });
        id
    }

    /// `UpdateService` with a new spec (`controlapi.UpdateService`): PreviousSpec = Spec and
    /// UpdateStatus nil. When `asks_new_tasks`, its task spec becomes what "new" means.
    pub(super) fn update_service(&mut self, sid: ServiceId, spec: ServiceSpec, asks_new_tasks: bool) {
        let svc = &mut self.services[sid.0 as usize];
        let task = Arc::new(spec.task.clone());
        if asks_new_tasks {
            svc.newest_requested = Arc::clone(&task);
            let newest = &*svc.newest_requested;
            svc.version_is_new = svc.specs.iter().map(|s| s.task == *newest).collect();
        }
        let version = svc.push_spec(spec, task);
        svc.previous = Some(svc.current);
        svc.current = version;
        svc.status = None;
    }

    /// `docker service rollback`: Spec and PreviousSpec swap. None when there is no previous spec.
    pub(super) fn swap_to_previous(&mut self, sid: ServiceId) -> Option<SpecVersion> {
        let svc = &mut self.services[sid.0 as usize];
        let previous = svc.previous?;
        svc.previous = Some(svc.current);
        svc.current = previous;
        Some(previous)
    }

    /// The updater's `rollbackUpdate`: Spec = PreviousSpec, which is forgotten.
    pub(super) fn restore_previous(&mut self, sid: ServiceId) -> Option<SpecVersion> {
        let svc = &mut self.services[sid.0 as usize];
        let previous = svc.previous.take()?;
        svc.current = previous;
        Some(previous)
    }

    /// Sets UpdateStatus.
    pub(super) fn set_update_status(&mut self, sid: ServiceId, status: UpdateStatus) {
        self.services[sid.0 as usize].status = Some(status);
    }

    /// `docker service rm`.
    pub(super) fn remove_service(&mut self, sid: ServiceId, now: SimTime) {
        self.services[sid.0 as usize].removed_at = Some(now);
    }

    /// A task of the service ended while it should have run.
    pub(super) fn count_failure(&mut self, sid: ServiceId) {
        self.services[sid.0 as usize].failures += 1;
    }

    /// `CreateTask`: a NEW task whose id sorts at `id_rank`; with how many tasks its slot holds
    /// now.
    pub(super) fn create_task(
        &mut self,
        new: NewTask,
        id_rank: u64,
        message: Arc<str>,
        now: SimTime,
    ) -> (TaskId, usize) {
        let NewTask { service: sid, slot, node, spec, desired } = new;
        let id = TaskId(self.created);
        self.created += 1;
        self.tasks.insert(
            id,
            Task {
                id,
                service: sid,
                slot,
                id_rank,
                node,
                spec,
                desired,
                state: TaskState::New,
                message,
                status_at: now,
                deleted: false,
                let_go: false,
                counted_on_node: false,
                holds_resources: false,
                restart_declined: false,
                restart_handled: false,
            },
        );
        if let Some(node) = node {
            self.index_on_node(id, node); // a global task is made for its node
        }
        let svc = &mut self.services[sid.0 as usize];
        svc.tasks.push(id);
        let held = svc.by_slot.push(slot, id);
        (id, held)
    }

    /// `id` is held on `node` from now on ([`Store::held_on`]).
    fn index_on_node(&mut self, id: TaskId, node: NodeId) {
        let at = node.0 as usize;
        if self.on_node.len() <= at {
            self.on_node.resize_with(at + 1, Vec::new);
        }
        self.on_node[at].push(id);
    }

    /// Sets DesiredState; false when it already was that.
    pub(super) fn set_desired(&mut self, id: TaskId, desired: TaskState) -> bool {
        let task = held(&mut self.tasks, id);
        let changed = task.desired != desired;
        task.desired = desired;
        changed
    }

    /// Sets the observed state and its message.
    pub(super) fn set_state(&mut self, id: TaskId, state: TaskState, message: Arc<str>, now: SimTime) {
        let task = held(&mut self.tasks, id);
        task.state = state;
        task.message = message;
        task.status_at = now;
    }

    /// The dispatcher applied a status of the task at `now` (`Status.AppliedAt`).
    pub(super) fn note_applied(&mut self, id: TaskId, now: SimTime) {
        held(&mut self.tasks, id).status_at = now;
    }

    /// `DeleteTask` (the task reaper): the task leaves its service's lists, and a slot left with
    /// no task leaves the service. False when it was already deleted.
    pub(super) fn delete_task(&mut self, id: TaskId) -> bool {
        let Some(task) = self.tasks.get_mut(id) else { return false };
        if std::mem::replace(&mut task.deleted, true) {
            return false;
        }
        let (sid, slot) = (task.service, task.slot);
        let Store { services, tasks, .. } = self;
        let svc = &mut services[sid.0 as usize];
        svc.deleted_tasks += 1;
        if svc.deleted_tasks * 2 > svc.tasks.len() {
            svc.tasks.retain(|&t| tasks.get(t).is_some_and(|t| !t.deleted));
            svc.deleted_tasks = 0;
        }
        svc.by_slot.remove(slot, id);
        true
    }

    /// Sets the status message alone (the scheduler's reason a task stays PENDING).
    pub(super) fn set_message(&mut self, id: TaskId, message: Arc<str>) {
        held(&mut self.tasks, id).message = message;
    }

    /// The scheduler places the task: it counts on the node from now on.
    pub(super) fn assign(&mut self, id: TaskId, node: NodeId) {
        if self.tasks.get(id).is_some_and(|t| t.node != Some(node)) {
            self.index_on_node(id, node);
        }
        let task = held(&mut self.tasks, id);
        task.node = Some(node);
        task.counted_on_node = true;
        let (service, version) = (task.service, task.spec);
        let spec = &self.services[service.0 as usize].task_specs[version.0 as usize];
        if !spec.resources.reservations.is_zero() || !spec.host_ports.is_empty() {
            task.holds_resources = true;
            let n = &mut self.nodes[node.0 as usize];
            let r = spec.resources.reservations;
            n.reserved.nano_cpus += r.nano_cpus;
            n.reserved.memory_bytes += r.memory_bytes;
            for &port in &spec.host_ports {
                *n.host_ports.entry(port).or_insert(0) += 1;
            }
        }
        self.count_on_node(node, service, true);
    }

    /// The task no longer holds its reservations and host ports (the scheduler saw it past
    /// RUNNING); false when it held none.
    pub(super) fn release_resources(&mut self, id: TaskId) -> bool {
        let task = held(&mut self.tasks, id);
        if !std::mem::replace(&mut task.holds_resources, false) {
            return false;
        }
        let spec = &self.services[task.service.0 as usize].task_specs[task.spec.0 as usize];
        let n = &mut self.nodes[task.node.expect("a task holding resources has a node").0 as usize];
        let r = spec.resources.reservations;
        n.reserved.nano_cpus -= r.nano_cpus;
        n.reserved.memory_bytes -= r.memory_bytes;
        for port in &spec.host_ports {
            if let Some(held) = n.host_ports.get_mut(port) {
                *held -= 1;
                if *held == 0 {
                    n.host_ports.remove(port);
                }
            }
        }
        true
    }

    /// The task holds its reservations on its node.
    pub(super) fn holds_resources(&self, id: TaskId) -> bool {
        self.task(id).holds_resources
    }

    /// What the task reserves (`Spec.Resources.Reservations`).
    pub(super) fn reservations(&self, id: TaskId) -> Resources {
        let task = self.task(id);
        self.services[task.service.0 as usize].task_specs[task.spec.0 as usize].resources.reservations
    }

    /// Every node's capacity, summed.
    pub(super) fn cluster_capacity(&self) -> Resources {
        self.nodes.iter().fold(Resources::default(), |sum, n| Resources {
            nano_cpus: sum.nano_cpus + n.spec.capacity.nano_cpus,
            memory_bytes: sum.memory_bytes + n.spec.capacity.memory_bytes,
        })
    }

    /// The task stops counting on its node (desired past RUNNING, or ended); false when it
    /// no longer did.
    pub(super) fn release_from_node(&mut self, id: TaskId) -> bool {
        let task = held(&mut self.tasks, id);
        if !task.counted_on_node {
            return false;
        }
        task.counted_on_node = false;
        let (node, service) = (task.node.expect("counted tasks have a node"), task.service);
        self.count_on_node(node, service, false);
        true
    }

    /// One more (`added`) or one fewer active task of `service` on `node`, in the node's counts
    /// and in every load index.
    fn count_on_node(&mut self, node: NodeId, service: ServiceId, added: bool) {
        let n = &mut self.nodes[node.0 as usize];
        let total = n.total_tasks;
        let new_total = if added { total + 1 } else { total - 1 };
        for (sid, index) in &mut self.load_index {
            let tasks = n.service_tasks.get(sid).copied().unwrap_or(0);
            let new_tasks = match (*sid == service, added) {
                (false, _) => tasks,
                (true, true) => tasks + 1,
                (true, false) => tasks - 1,
            };
            index.move_node(node.0, (tasks, total), (new_tasks, new_total));
        }
        n.total_tasks = new_total;
        let tasks = n.service_tasks.entry(service).or_insert(0);
        *tasks = if added { *tasks + 1 } else { tasks.checked_sub(1).expect("counted") };
    }

    /// Keeps a load index for `service` from now on (built on the first call); false once a node
    /// was removed: the scheduler's positions then differ from node indices, and it scans.
    pub(super) fn index_load(&mut self, service: ServiceId) -> bool {
        if self.removed_nodes > 0 {
            return false;
        }
        let nodes = &self.nodes;
        self.load_index.entry(service).or_insert_with(|| LoadIndex::new(nodes, service));
        true
    }

    /// The nodes from the least to the most loaded for `service`: (active tasks of the service,
    /// active tasks in total, node index), levels in ascending order and the nodes of a level
    /// in no particular order; empty unless [`Store::index_load`] said true.
    pub(super) fn nodes_by_load(&self, service: ServiceId) -> impl Iterator<Item = (u64, u64, usize)> + '_ {
        self.load_index.get(&service).into_iter().flat_map(LoadIndex::iter)
    }

    /// The restart supervisor takes the task's end in hand; false when it already had.
    pub(super) fn take_restart(&mut self, id: TaskId) -> bool {
        let task = held(&mut self.tasks, id);
        !std::mem::replace(&mut task.restart_handled, true)
    }

    /// The restart supervisor will not replace the task: it keeps its slot.
    pub(super) fn decline_restart(&mut self, id: TaskId) {
        held(&mut self.tasks, id).restart_declined = true;
    }

    /// `docker node update --availability`.
    pub(super) fn set_availability(&mut self, node: NodeId, availability: Availability) {
        self.nodes[node.0 as usize].availability = availability;
    }

    /// `docker node update --label-add/--label-rm`.
    pub(super) fn set_labels(&mut self, node: NodeId, labels: BTreeMap<String, String>) {
        self.nodes[node.0 as usize].spec.labels = labels;
    }

    /// The node's status: DOWN (heartbeat expired) or READY again.
    pub(super) fn set_down(&mut self, node: NodeId, down: bool) {
        let n = &mut self.nodes[node.0 as usize];
        n.down_from_unknown = down && n.unknown;
        n.down = down;
        n.unknown = false;
    }

    /// `Status.State` UNKNOWN (a new leader's `markNodesUnknown`).
    pub(super) fn set_unknown(&mut self, node: NodeId) {
        let n = &mut self.nodes[node.0 as usize];
        n.unknown = true;
        n.down = false;
        n.down_from_unknown = false;
    }

    /// `DeleteNode`: the node is gone from the store.
    pub(super) fn remove_node(&mut self, node: NodeId) {
        if !std::mem::replace(&mut self.nodes[node.0 as usize].removed, true) {
            self.removed_nodes += 1;
        }
    }

    /// The live (not removed) node with this name.
    pub(super) fn node_named(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().find(|n| !n.removed && n.spec.name == name).map(|n| n.id)
    }

    /// A task of `sid` at `version` failed on `node` at `now` (`monitorFailures`: only the
    /// last 5 minutes count).
    pub(super) fn note_failure(&mut self, node: NodeId, sid: ServiceId, version: SpecVersion, now: SimTime) {
        let failures = &mut self.nodes[node.0 as usize].failures;
        let horizon = SimTime(now.0.saturating_sub(300_000_000_000));
        failures.retain(|&(_, _, at)| at >= horizon);
        failures.push((sid, version, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_lists_keep_creation_order_in_place_and_spilled() {
        // Pushes and removals on a few slots, past the in-place room and back: every slot must
        // read as a plain list of its tasks would, and an emptied slot as absent.
        let (mut slots, mut reference) = (SlotTasks::default(), vec![Vec::<TaskId>::new(); 4]);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for n in 0..5_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let slot = 1 + (x % 3) as usize;
            let list = &mut reference[slot];
            if x % 5 < 3 || list.is_empty() {
                assert_eq!(slots.push(slot as u64, TaskId(n)), list.len() + 1);
                list.push(TaskId(n));
            } else {
                let id = list[(x >> 8) as usize % list.len()];
                list.retain(|&t| t != id);
                slots.remove(slot as u64, id);
            }
            for (s, tasks) in reference.iter().enumerate() {
                assert_eq!(slots.get(s as u64), (!tasks.is_empty()).then_some(tasks.as_slice()), "slot {s}");
            }
            let filled: Vec<u64> = (0..4).filter(|&s| !reference[s as usize].is_empty()).collect();
            assert_eq!(slots.slots().collect::<Vec<_>>(), filled);
        }
        assert!(slots.get(99).is_none());
    }
}

#[cfg(test)]
mod node_index_tests {
    use super::*;

    /// [`Store::held_on`] reads the per-node index: it must list exactly what a scan of every
    /// task held would, in creation order, through creations with and without a node (a global
    /// task is made for its node), assignments, deletions and forgetting.
    #[test]
    fn the_per_node_index_lists_what_a_scan_of_every_task_would() {
        let yaml = "services: {web: {image: \"a:1\"}}\nx-simulation: {cluster: {nodes: 4}}\n";
        let scenario = crate::scenario::load_str(yaml, std::path::Path::new("t.yml")).expect("valid");
        let mut store = Store::new(&scenario.nodes, 0);
        let sid = store.add_service(scenario.services[0].clone(), SimTime(0));
        let spec = store.service(sid).current;
        let scan = |store: &Store, node: NodeId, deleted: bool| -> Vec<TaskId> {
            (store.tasks()).filter(|t| t.node == Some(node) && t.deleted == deleted).map(|t| t.id).collect()
        };
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for step in 0..2_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let node = NodeId((x % 4) as u32);
            let ids: Vec<TaskId> = store.tasks().map(|t| t.id).collect();
            match (x >> 8) % 5 {
                0 | 1 => {
                    let bound = (x >> 12).is_multiple_of(2);
                    let new = NewTask {
                        service: sid,
                        slot: 1 + step % 7,
                        node: bound.then_some(node),
                        spec,
                        desired: TaskState::Running,
                    };
                    store.create_task(new, x, Arc::from(""), SimTime(step));
                }
                2 if !ids.is_empty() => {
                    let id = ids[(x >> 16) as usize % ids.len()];
                    if store.task(id).node.is_none() {
                        store.assign(id, node);
                    }
                }
                3 if !ids.is_empty() => {
                    store.delete_task(ids[(x >> 16) as usize % ids.len()]);
                }
                4 if !ids.is_empty() => {
                    let id = ids[(x >> 16) as usize % ids.len()];
                    store.let_go(id);
                    store.forget_task(id);
                }
                _ => {}
            }
            for n in 0..4 {
                let n = NodeId(n);
                assert_eq!(store.tasks_on(n), scan(&store, n, false), "step {step}, node {n:?}: live tasks");
                assert_eq!(store.held_on(n, |t| t.deleted), scan(&store, n, true), "step {step}, node {n:?}: deleted");
            }
        }
        let indexed: usize = store.on_node.iter().map(Vec::len).sum();
        assert_eq!(indexed, store.tasks().filter(|t| t.node.is_some()).count(), "a forgotten task leaves the index");
    }
}

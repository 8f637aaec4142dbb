//! What a run records: task transitions, per-service availability samples and UpdateStatus
//! changes. The report writers turn a [`RunRecord`] into files; they never see engine state.

use std::sync::Arc;

use crate::model::cluster::{Availability, NodeRole};
pub use crate::model::event_log::{
    ContainerLog, ProcessEventLog, ServingLog, ServingSample, TaskEventLog, TimelineLog,
};
use crate::model::task::TaskState;
use crate::time::SimTime;

/// `UpdateStatus.State` as Docker reports it (`docker service inspect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdateState {
    /// `updating`
    Updating,
    /// `paused`
    Paused,
    /// `completed`
    Completed,
    /// `rollback_started`
    RollbackStarted,
    /// `rollback_paused`
    RollbackPaused,
    /// `rollback_completed`
    RollbackCompleted,
}

impl UpdateState {
    /// Docker's lowercase spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateState::Updating => "updating",
            UpdateState::Paused => "paused",
            UpdateState::Completed => "completed",
            UpdateState::RollbackStarted => "rollback_started",
            UpdateState::RollbackPaused => "rollback_paused",
            UpdateState::RollbackCompleted => "rollback_completed",
        }
    }

    /// The state Docker spells `text` (the inverse of [`UpdateState::as_str`]).
    pub fn parse(text: &str) -> Option<UpdateState> {
        UpdateState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Every state, in lifecycle order.
    pub const ALL: [UpdateState; 6] = [
        UpdateState::Updating,
        UpdateState::Paused,
        UpdateState::Completed,
        UpdateState::RollbackStarted,
        UpdateState::RollbackPaused,
        UpdateState::RollbackCompleted,
    ];

    /// True for the states an updater is still working in.
    pub fn is_active(self) -> bool {
        matches!(self, UpdateState::Updating | UpdateState::RollbackStarted)
    }
}

/// A name a run's rows carry (a service, a task id, a node, an image, a status message). A
/// large run records millions of rows naming the same few services, nodes and images and one id
/// per task; four bytes a name keep a row small. A task's id is named by the task's index itself
/// (`TASK_NAME | index`), so naming it takes no memory: the run's names grow with its shared
/// strings, not with the tasks it ever created. A shared string's name is its index in
/// [`RunRecord::names`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(pub u32);

/// The bit that makes a [`Name`] a task's id (the other bits are the task's index).
const TASK_NAME: u32 = 1 << 31;

// Every task index of a run fits beside the bit (a run stops at `MAX_TASKS`): the fallback of
// [`Names::push_task_id`] for larger ones is never taken by a run.
const _: () = assert!(crate::limits::MAX_TASKS < (TASK_NAME - 1) as usize);

impl Name {
    /// The name of task `id`'s Docker id, as [`Names::push_task_id`] gives it (for an id
    /// below [`Names::task_bound`]).
    pub fn of_task(id: crate::model::task::TaskId) -> Name {
        debug_assert!(id.0 < TASK_NAME - 1, "a task index beyond any run's");
        Name(TASK_NAME | id.0)
    }

    /// The task whose id this name is, or `None` for a shared string's name.
    pub fn task(self) -> Option<crate::model::task::TaskId> {
        (self.0 & TASK_NAME != 0).then_some(crate::model::task::TaskId(self.0 & !TASK_NAME))
    }

    /// The name as the history's task-id fields store it ([`crate::model::event_log`], as a
    /// variable-length integer): the task bit flipped, so that a task's name takes the bytes of
    /// its index (1-3) rather than the 5 of a number past 2^28, and a shared string there (a
    /// record built by hand) the 5. [`Name::from_task_field`] reads it back.
    pub(crate) fn task_field(self) -> u32 {
        self.0 ^ TASK_NAME
    }

    /// The name [`Name::task_field`] stored as `field`.
    pub(crate) fn from_task_field(field: u32) -> Name {
        Name(field ^ TASK_NAME)
    }
}

/// Length of a Docker task id as the simulator makes them ([`crate::model::task::TaskId::docker_id`]).
const TASK_ID_LEN: usize = crate::model::task::DOCKER_ID_LEN;

/// Task ids per block of `Names::task_ids`.
const TASK_ID_BLOCK: usize = 1024;

/// The names a run's rows carry, by [`Name`]: the shared strings of services, nodes, images
/// and messages (a few, each an `Arc` the store also holds), and the task ids. A task id's text
/// is a function of the task's index, and its name is the index (see [`Name`]): the texts are
/// made when a reader first asks for one, a block of [`TASK_ID_BLOCK`] consecutive ids at a
/// time. So a run's memory does not grow for every task it ever created (a crash loop's names
/// stay as they were after its first minute; its reports, which read every row, make the
/// texts once).
#[derive(Clone, Default)]
pub struct Names {
    /// The shared strings, by name.
    texts: Vec<Arc<str>>,
    /// One past the highest task index named.
    task_bound: u32,
    /// The texts of task ids `TASK_ID_BLOCK * b ..` at `b`, [`TASK_ID_LEN`] ASCII bytes each,
    /// made on first read (a pure function of the ids: kept from run to run).
    task_ids: Vec<std::sync::OnceLock<Box<str>>>,
}

impl Names {
    /// Shared strings named so far: their names are `Name(0) .. Name(shared_len())`.
    pub fn shared_len(&self) -> usize {
        self.texts.len()
    }

    /// One past the highest task index named so far: every task name is `Name::task` of an
    /// index below it (some of them may name no row).
    pub fn task_bound(&self) -> usize {
        self.task_bound as usize
    }

    /// Every shared string's name, in the order they were named.
    pub fn shared_names(&self) -> impl ExactSizeIterator<Item = Name> + Clone + use<> {
        (0..self.texts.len() as u32).map(Name)
    }

    /// The text of `name`.
    pub fn get(&self, name: Name) -> &str {
        match name.task() {
            Some(task) => {
                let index = task.0 as usize;
                let block = self.task_ids[index / TASK_ID_BLOCK].get_or_init(|| {
                    let first = index / TASK_ID_BLOCK * TASK_ID_BLOCK;
                    let mut text = String::with_capacity(TASK_ID_BLOCK * TASK_ID_LEN);
                    for i in first..first + TASK_ID_BLOCK {
                        crate::model::task::TaskId(i as u32).write_docker_id(&mut text);
                    }
                    text.into_boxed_str()
                });
                let at = index % TASK_ID_BLOCK * TASK_ID_LEN;
                &block[at..at + TASK_ID_LEN]
            }
            None => &self.texts[name.0 as usize],
        }
    }

    /// The text of `name`, shared: the string itself, or a task id copied out of its table.
    pub fn shared(&self, name: Name) -> Arc<str> {
        match name.task() {
            Some(_) => Arc::from(self.get(name)),
            None => self.texts[name.0 as usize].clone(),
        }
    }

    /// Forgets every name, keeping the room they took (a table reused from run to run; the
    /// task ids' texts made so far, the same in every run, are kept too).
    pub fn clear(&mut self) {
        self.texts.clear();
        self.task_bound = 0;
    }

    /// Names a shared string (a new [`Name`] even if an equal text has one).
    pub fn push(&mut self, text: Arc<str>) -> Name {
        self.texts.push(text);
        Name(self.texts.len() as u32 - 1)
    }

    /// The name of task `id`'s Docker id (its text made when first read): the same name each
    /// time, and nothing kept for it but the room of its block of texts.
    pub fn push_task_id(&mut self, id: crate::model::task::TaskId) -> Name {
        let index = id.0 as usize;
        if id.0 >= TASK_NAME - 1 {
            // Beyond any run's tasks (see the assertion on `MAX_TASKS`): a shared string.
            return self.push(Arc::from(id.docker_id()));
        }
        let blocks = index / TASK_ID_BLOCK + 1;
        if self.task_ids.len() < blocks {
            self.task_ids.resize_with(blocks, std::sync::OnceLock::new);
        }
        self.task_bound = self.task_bound.max(id.0 + 1);
        Name::of_task(id)
    }

    /// Room for `additional` more shared strings.
    pub fn reserve(&mut self, additional: usize) {
        self.texts.reserve(additional);
    }
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Names").field("shared", &self.texts).field("task_bound", &self.task_bound).finish()
    }
}

// Two tables are equal when they give the same texts to the same names (a task id's text is
// its index's, the same in both).
impl PartialEq for Names {
    fn eq(&self, other: &Names) -> bool {
        self.texts == other.texts && self.task_bound == other.task_bound
    }
}

impl Eq for Names {}

impl FromIterator<Arc<str>> for Names {
    fn from_iter<I: IntoIterator<Item = Arc<str>>>(texts: I) -> Names {
        let mut names = Names::default();
        for text in texts {
            names.push(text);
        }
        names
    }
}

/// A value per [`Name`] of a finished run's [`Names`], in two dense tables (the shared strings'
/// and the task ids'), for readers that key millions of rows by name.
#[derive(Clone, Debug)]
pub struct PerName<T> {
    shared: Vec<T>,
    tasks: Vec<T>,
}

impl<T: Clone> PerName<T> {
    /// `fill` for every name of `names`.
    pub fn new(names: &Names, fill: T) -> PerName<T> {
        PerName { shared: vec![fill.clone(); names.shared_len()], tasks: vec![fill; names.task_bound()] }
    }
}

impl<T> PerName<T> {
    /// A table made of the shared strings' values and the task ids' (by task index).
    pub fn from_parts(shared: Vec<T>, tasks: Vec<T>) -> PerName<T> {
        PerName { shared, tasks }
    }
}

impl<T> std::ops::Index<Name> for PerName<T> {
    type Output = T;

    fn index(&self, name: Name) -> &T {
        match name.task() {
            Some(task) => &self.tasks[task.0 as usize],
            None => &self.shared[name.0 as usize],
        }
    }
}

impl<T> std::ops::IndexMut<Name> for PerName<T> {
    fn index_mut(&mut self, name: Name) -> &mut T {
        match name.task() {
            Some(task) => &mut self.tasks[task.0 as usize],
            None => &mut self.shared[name.0 as usize],
        }
    }
}

/// One observed task state change (a row of `events.csv`); its names are read with
/// [`RunRecord::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskEvent {
    /// When the agent (or manager) recorded it.
    pub t: SimTime,
    /// Full service name.
    pub service: Name,
    /// Docker-style task id.
    pub task_id: Name,
    /// Slot (replicated) or 0 (global; the node names the slot).
    pub slot: u64,
    /// Node name, empty before assignment.
    pub node: Name,
    /// `image:tag` of the task's spec.
    pub image: Name,
    /// Desired state at that instant.
    pub desired_state: TaskState,
    /// Observed state.
    pub state: TaskState,
    /// The status message (`started`, `preparing`, `task: non-zero exit (1)` ...).
    pub message: Name,
}

/// A node's `Status.State` as the manager records it (`docker node ls` STATUS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    /// `ready`: its agent's session is registered.
    Ready,
    /// `down`: its heartbeat deadline passed (or it was declared down).
    Down,
    /// `unknown`: a new leader took over and the node has not registered with it yet
    /// (swarmkit `manager/dispatcher/dispatcher.go`, `markNodesUnknown`).
    Unknown,
}

impl NodeState {
    /// Docker's lowercase spelling (`api.NodeStatus_State`).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Ready => "ready",
            NodeState::Down => "down",
            NodeState::Unknown => "unknown",
        }
    }
}

/// One change of a node as the manager's store has it (a row of `nodes.csv`): its state, its
/// availability, its status message, or its removal. Each node also has a row at 0 s with its
/// declared state. 16 bytes and a time: a run with many nodes keeps them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeEvent {
    /// When the store changed.
    pub t: SimTime,
    /// Hostname.
    pub node: Name,
    /// `Status.State` from then on.
    pub state: NodeState,
    /// `Spec.Availability` from then on.
    pub availability: Availability,
    /// Removed by `docker node rm` (its last row; `docker node ls` no longer lists it).
    pub removed: bool,
    /// `Status.Message` from then on (swarmkit's `heartbeat failure` when the deadline passed,
    /// empty when READY).
    pub message: Name,
}

/// A node as `docker node ls` describes it, fixed for the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// Hostname.
    pub name: String,
    /// Node id as Docker prints it (25 characters).
    pub docker_id: String,
    /// manager or worker.
    pub role: NodeRole,
    /// The raft leader (the first declared manager: a leader election is not simulated); the
    /// simulated CLI talks to it, so `docker node ls` marks it `*`.
    pub leader: bool,
}

/// A signal sent to a task's container, or its process's exit: what `--trace` shows between
/// the task states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessChange {
    /// SIGTERM from the agent's stop (`ContainerStop`) or `docker kill -s TERM`.
    Sigterm,
    /// SIGKILL when the stop's grace period ran out, or from `docker kill`.
    Sigkill,
    /// The process exited with this status.
    Exited(i32),
    /// The container was removed from its node (`docker rm` by the agent, whose task the
    /// manager deleted: the `destroy` event of `docker events`).
    Removed,
    /// The task was deleted from the manager's store (by the task reaper, or by the replicated
    /// orchestrator with a dead slot): `docker service ps` no longer lists it (swarmkit
    /// `DeleteTask`). Not a change of the process; logged with them because
    /// it is keyed by the task's id and time alike.
    Deleted,
}

/// One [`ProcessChange`] of a task's container (16 bytes and a time: the task's service, slot
/// and node are its [`TaskEvent`]s').
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessEvent {
    /// When.
    pub t: SimTime,
    /// Docker-style task id.
    pub task_id: Name,
    /// What happened.
    pub change: ProcessChange,
}

/// Per-service counts at an instant (a row of `timeline.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineSample {
    /// When the counts took these values.
    pub t: SimTime,
    /// Full service name (shared by every sample of the service).
    pub service: Arc<str>,
    /// Desired replicas (global: eligible nodes).
    pub desired: u64,
    /// Tasks RUNNING with desired RUNNING, on a spec other than the newest requested one.
    pub running_old: u64,
    /// Tasks RUNNING with desired RUNNING, on the newest requested spec.
    pub running_new: u64,
    /// Old-spec containers passing health and receiving traffic.
    pub healthy_old: u64,
    /// New-spec containers passing health and receiving traffic.
    pub healthy_new: u64,
    /// Tasks on their way up (NEW … STARTING) with desired ≤ RUNNING.
    pub starting: u64,
    /// Tasks with desired > RUNNING whose container has not exited yet.
    pub stopping: u64,
    /// `healthy_old + healthy_new`: what the routing mesh sends requests to.
    pub serving: u64,
    /// UpdateStatus state ([`UpdateState::as_str`]), empty when none.
    pub update_state: &'static str,
}

/// One UpdateStatus change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// When.
    pub t: SimTime,
    /// New state.
    pub state: UpdateState,
    /// Docker's message.
    pub message: String,
}

/// One update of a service, from the command that started it (`docker service update` with a
/// task change, `docker service rollback`) to the next: every figure counts this update alone,
/// its automatic rollback included.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UpdateRecord {
    /// Its last UpdateStatus state.
    pub state: Option<UpdateState>,
    /// Its last UpdateStatus message.
    pub message: String,
    /// StartedAt.
    pub started_at: Option<SimTime>,
    /// CompletedAt.
    pub completed_at: Option<SimTime>,
    /// Tasks its updaters created (the update's and its rollback's).
    pub tasks_replaced: u64,
    /// Each task an updater created, in creation order: (Docker task id, whether the updater was
    /// a rollback). Tells the forward update's tasks from the rollback's and from the restart
    /// supervisor's replacements, which `events.csv` alone cannot.
    pub updater_tasks: Vec<(crate::model::task::TaskId, bool)>,
    /// Failures its updaters counted toward `max_failure_ratio`.
    pub failures: u64,
    /// Slots the forward update's updater took (a new task, or a clean one kept).
    pub slots_updated: u64,
    /// Slots its rollback's updater took back to the previous spec.
    pub slots_rolled_back: u64,
    /// Tasks the restart supervisor created while this update was the service's latest.
    pub restart_tasks: u64,
    /// The service's tasks that ended while meant to run (failed, rejected, exited, unhealthy),
    /// while this update was the service's latest: counted toward the ratio or not.
    pub task_failures: u64,
    /// When its rollback started.
    pub rollback_started_at: Option<SimTime>,
    /// Its UpdateStatus changes, in order.
    pub status_changes: Vec<StatusChange>,
}

/// One service's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRecord {
    /// Full name.
    pub name: String,
    /// Desired replicas at the end.
    pub desired_replicas: u64,
    /// Its last update (the one UpdateStatus shows at the end).
    pub update: UpdateRecord,
    /// Its earlier updates, oldest first.
    pub previous_updates: Vec<UpdateRecord>,
    /// Every UpdateStatus change of the run, across updates, in order.
    pub status_changes: Vec<StatusChange>,
    /// Each time a spec update set a service's UpdateStatus back to nil (swarmkit
    /// `controlapi.UpdateService` does on every update but a rollback: a `docker service scale`
    /// after an update shows no UpdateStatus), as (when, how many of `status_changes` came
    /// before it). An update that asks for new tasks gets `updating` in the same instant.
    pub status_resets: Vec<(SimTime, usize)>,
    /// When it was created (0 for the stack's services).
    pub created_at: SimTime,
    /// When `docker service rm` removed it.
    pub removed_at: Option<SimTime>,
}

impl ServiceRecord {
    /// When a spec update that asked for no new task (`docker service scale`) set UpdateStatus
    /// to nil for good: nothing set it again after.
    pub fn status_cleared_at(&self) -> Option<SimTime> {
        match self.status_timeline().last() {
            Some((t, None, _)) => Some(t),
            _ => None,
        }
    }

    /// UpdateStatus over the run, in order: each change (`Some`) and each reset to nil (`None`,
    /// with an empty message) that lasted, where it happened among them. A reset followed by a
    /// change in the same instant (an update's `updating`) is left out: nothing sees it.
    pub fn status_timeline(&self) -> impl Iterator<Item = (SimTime, Option<UpdateState>, &str)> + '_ {
        let changes = &self.status_changes;
        let mut resets = self.status_resets.iter().peekable();
        let mut next = 0;
        std::iter::from_fn(move || {
            while let Some(&&(t, before)) = resets.peek() {
                if before > next {
                    break;
                }
                resets.next();
                if changes.get(next).is_none_or(|c| c.t > t) {
                    return Some((t, None, ""));
                }
            }
            let c = changes.get(next)?;
            next += 1;
            Some((c.t, Some(c.state), c.message.as_str()))
        })
    }
}

/// Why the simulation stopped, in report words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// Nothing left to happen.
    Quiescent,
    /// Reached `x-simulation.until`.
    UntilReached,
    /// Reached `x-simulation.max_events`: the run is incomplete.
    MaxEventsReached,
    /// Created as many tasks as deploysim allows one run (a crash loop without end): the run is
    /// incomplete.
    TaskLimitReached,
    /// Recorded as many task state changes as deploysim allows one run (the history its
    /// reports are made from): the run is incomplete.
    HistoryLimitReached,
}

impl EndReason {
    /// Report spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Quiescent => "quiescent",
            EndReason::UntilReached => "until_reached",
            EndReason::MaxEventsReached => "max_events_reached",
            EndReason::TaskLimitReached => "task_limit_reached",
            EndReason::HistoryLimitReached => "history_limit_reached",
        }
    }
}

/// Everything a run recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Digest of the inputs.
    pub input_digest: String,
    /// Engine version reproduced.
    pub engine: String,
    /// Why the run stopped.
    pub end_reason: EndReason,
    /// Simulated time at the end (the `until` time, or the last event when quiescent).
    pub end_time: SimTime,
    /// Engine events handled.
    pub events_handled: u64,
    /// Task transitions, in time order (kept compact: [`TaskEventLog`]).
    pub task_events: TaskEventLog,
    /// The names the rows carry, by [`Name`] (each distinct string once).
    pub names: Names,
    /// Availability samples, in time order (interleaved across services; kept compact:
    /// [`TimelineLog`]).
    pub timeline: TimelineLog,
    /// Per-service results, in scenario order.
    pub services: Vec<ServiceRecord>,
    /// Timeline actions as applied: (time, text, error if Docker would have refused it).
    pub actions: Vec<(SimTime, String, Option<String>)>,
    /// What query commands (`docker secret ls`, `docker secret inspect`) printed.
    pub outputs: Vec<CommandOutput>,
    /// Secrets mounted into containers as they started.
    pub secret_mounts: Vec<SecretMount>,
    /// When each task received requests from the routing mesh and how that ended, in the
    /// order the spans began (every service, whether or not it has traffic; kept compact:
    /// [`ServingLog`]).
    pub serving: ServingLog,
    /// Request outcomes per service with `x-simulation.traffic`, in traffic order.
    pub requests: Vec<crate::model::traffic::RequestSeries>,
    /// Images brought in by `docker service update --image` or `docker service create`, in
    /// order: (when, service, image). A route's *new version* is the last one brought to any of
    /// its backends.
    pub image_changes: Vec<(SimTime, String, String)>,
    /// Each traffic route's backends, whenever they changed (see [`crate::model::route`]).
    pub routes: Vec<crate::model::route::RouteState>,
    /// Every task's container appearing (+1, observed `starting`) and going (−1, observed past
    /// `running`), over every service, in time order: the run's capacity use. A run records one
    /// entry per instant, the sum of that instant's changes (readers apply an instant's changes
    /// together); kept compact like the other history ([`ContainerLog`]).
    pub containers: ContainerLog,
    /// Blue-green and canary rollouts, in the order they started.
    pub strategies: Vec<crate::model::strategy::StrategyRecord>,
    /// The decisions behind the run, in order (recorded only when asked: `deploysim explain`).
    pub decisions: Vec<crate::model::decision::Decision>,
    /// Decisions not recorded past [`crate::limits::MAX_DECISIONS`].
    pub decisions_dropped: u64,
    /// What the scheduler set aside for task reservations, when any task reserved anything.
    pub reservations: Option<ReservationRecord>,
    /// The declared nodes, in declaration order.
    pub nodes: Vec<NodeInfo>,
    /// Every node change, in time order (each node's declared state first, at 0 s).
    pub node_events: Vec<NodeEvent>,
    /// Signals sent to task containers and their processes' exits, in time order (kept compact
    /// and spilled to disk like `task_events`: [`ProcessEventLog`]).
    pub process_events: ProcessEventLog,
    /// Recorded for figures only (`SimulateOptions::figures_only`, a sweep's runs):
    /// `task_events` and `process_events` are empty, though the run made those changes (the
    /// history budget counted them), and so is `serving` when the scenario has neither
    /// `x-simulation.traffic` nor a blue-green or canary rollout (nothing reads it then).
    /// Every other field is whole.
    pub figures_only: bool,
}

/// Task reservations over the whole cluster (swarmkit `nodeInfo.AvailableResources`, summed):
/// the capacity they draw on and their peak, CPU and memory each at its own peak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ReservationRecord {
    /// Every node's advertised capacity, summed.
    pub capacity: crate::model::spec::Resources,
    /// The most reserved at once.
    pub peak: crate::model::spec::Resources,
}

impl ReservationRecord {
    /// CPUs left unreserved at the CPU peak.
    pub fn cpu_headroom(&self) -> i64 {
        self.capacity.nano_cpus as i64 - self.peak.nano_cpus as i64
    }

    /// Bytes left unreserved at the memory peak.
    pub fn memory_headroom(&self) -> i64 {
        self.capacity.memory_bytes as i64 - self.peak.memory_bytes as i64
    }
}

/// A [`TaskEvent`] with its names read: what readers of a record want.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventView<'a> {
    /// When the agent (or manager) recorded it.
    pub t: SimTime,
    /// Full service name.
    pub service: &'a str,
    /// Docker-style task id.
    pub task_id: &'a str,
    /// Slot (replicated) or 0 (global; the node names the slot).
    pub slot: u64,
    /// Node name, empty before assignment.
    pub node: &'a str,
    /// `image:tag` of the task's spec.
    pub image: &'a str,
    /// Desired state at that instant.
    pub desired_state: TaskState,
    /// Observed state.
    pub state: TaskState,
    /// The status message.
    pub message: &'a str,
}

impl RunRecord {
    /// Every task event in order, with its names read.
    pub fn events(&self) -> impl ExactSizeIterator<Item = EventView<'_>> + Clone + '_ {
        self.task_events.iter().map(|e| self.view(&e))
    }

    /// One task event with its names read.
    pub fn view(&self, e: &TaskEvent) -> EventView<'_> {
        EventView {
            t: e.t,
            service: self.name(e.service),
            task_id: self.name(e.task_id),
            slot: e.slot,
            node: self.name(e.node),
            image: self.name(e.image),
            desired_state: e.desired_state,
            state: e.state,
            message: self.name(e.message),
        }
    }

    /// Appends a task event given by its texts (building a record by hand: tests, tools).
    pub fn push_event(&mut self, e: EventView<'_>) {
        let row = TaskEvent {
            t: e.t,
            service: self.intern(e.service),
            task_id: self.intern(e.task_id),
            slot: e.slot,
            node: self.intern(e.node),
            image: self.intern(e.image),
            desired_state: e.desired_state,
            state: e.state,
            message: self.intern(e.message),
        };
        self.task_events.push(row);
    }

    /// The text of a name its rows carry, shared (for readers that keep it beyond the record's
    /// borrow; a task id is copied out of its packed table).
    pub fn shared(&self, name: Name) -> Arc<str> {
        self.names.shared(name)
    }

    /// The text of a name its rows carry.
    pub fn name(&self, name: Name) -> &str {
        self.names.get(name)
    }

    /// The [`Name`] of `text`, added when new: for building a record by hand (tests, tools).
    /// A linear search: a simulation interns as it records, in constant time.
    pub fn intern(&mut self, text: &str) -> Name {
        let found = self.names.shared_names().find(|&n| self.names.get(n) == text);
        found.unwrap_or_else(|| self.names.push(Arc::from(text)))
    }
}

/// A secret mounted into a task's container when it started (a row of `mounts.csv`). Names and
/// paths only: values never enter the simulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretMount {
    /// When the container started (Docker writes the secrets to its tmpfs then).
    pub t: SimTime,
    /// Full service name.
    pub service: Arc<str>,
    /// Docker-style task id.
    pub task_id: Arc<str>,
    /// Node name.
    pub node: Arc<str>,
    /// Secret name.
    pub secret: String,
    /// Path inside the container.
    pub path: String,
    /// File owner uid.
    pub uid: String,
    /// File owner gid.
    pub gid: String,
    /// File mode.
    pub mode: u32,
}

/// The text a query command printed at its simulated instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOutput {
    /// When it ran.
    pub t: SimTime,
    /// The command as written.
    pub command: String,
    /// What Docker would print (never a secret's value).
    pub output: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::task::TaskId;

    #[test]
    fn task_ids_are_named_by_index_and_read_back_beside_shared_strings() {
        let mut names = Names::default();
        let web: Arc<str> = Arc::from("web_web");
        let a = names.push(web.clone());
        let t0 = names.push_task_id(TaskId(0));
        let b = names.push(Arc::from("nginx:1.25"));
        let t1 = names.push_task_id(TaskId(123_456));
        let t2 = names.push_task_id(TaskId(7));
        assert_eq!([a, b].map(|n| n.0), [0, 1], "shared strings are numbered in order");
        assert_eq!(
            [a, t0, b, t1, t2].map(|n| n.task()),
            [None, Some(TaskId(0)), None, Some(TaskId(123_456)), Some(TaskId(7))]
        );
        assert_eq!(names.push_task_id(TaskId(7)), t2, "a task's id has one name, however often it is named");
        assert_eq!((names.shared_len(), names.task_bound()), (2, 123_457));
        assert!(names.task_ids.iter().all(|block| block.get().is_none()), "no text made before it is read");
        assert_eq!(names.get(a), "web_web");
        assert_eq!(names.get(t0), TaskId(0).docker_id());
        assert_eq!(names.get(b), "nginx:1.25");
        assert_eq!(names.get(t1), TaskId(123_456).docker_id());
        assert_eq!(names.get(t2), TaskId(7).docker_id());
        let made = names.task_ids.iter().filter(|block| block.get().is_some()).count();
        assert_eq!(made, 2, "the blocks of the ids read, and only those");
        assert!(Arc::ptr_eq(&names.shared(a), &web), "a shared string is shared, not copied");
        assert_eq!(&*names.shared(t1), TaskId(123_456).docker_id());
        assert_eq!(names.shared_names().collect::<Vec<_>>(), [a, b]);
        // Equal when they give the same texts to the same names.
        let mut other = names.clone();
        assert_eq!(other, names);
        other.push(Arc::from("x"));
        assert_ne!(other, names);
        // A table reused for another run keeps the texts made, and names from 0 again.
        names.clear();
        assert_eq!((names.shared_len(), names.task_bound()), (0, 0));
        assert_eq!(names.push(Arc::from("web_web")), Name(0));
        assert_eq!(names.get(t1), TaskId(123_456).docker_id(), "a task's text is the same in every run");
    }

    #[test]
    fn memory_of_names_does_not_grow_with_the_tasks_named() {
        let mut names = Names::default();
        names.push(Arc::from("web_web"));
        for id in 0..100_000 {
            names.push_task_id(TaskId(id));
        }
        // One block pointer per 1,024 tasks, no entry per task.
        assert_eq!(names.shared_len(), 1);
        assert!(names.task_ids.capacity() <= 100_000 / TASK_ID_BLOCK + 1 + 64);
    }

    #[test]
    fn a_value_per_name_keys_shared_strings_and_task_ids_apart() {
        let mut names = Names::default();
        let (s0, t5) = (names.push(Arc::from("a")), names.push_task_id(TaskId(5)));
        let mut per = PerName::new(&names, 0u8);
        per[s0] = 1;
        per[t5] = 2;
        assert_eq!((per[s0], per[t5], per[names.push_task_id(TaskId(0))]), (1, 2, 0));
    }

    #[test]
    fn a_record_built_by_hand_names_each_text_once() {
        let mut run = crate::report::fixtures::empty_run();
        let a = run.intern("web_web");
        let b = run.intern(&TaskId(3).docker_id());
        assert_eq!(run.intern("web_web"), a);
        assert_eq!(run.intern(&TaskId(3).docker_id()), b);
        assert_ne!(a, b);
        assert_eq!(run.name(b), TaskId(3).docker_id());
    }
}

//! The run's recorder, a watcher of the store as swarmkit's event stream has them (`docker
//! events`, `docker service ps` history): every task state or desired-state change becomes a row
//! of `events.csv`, each service's counts a row of `timeline.csv` when they change, and each
//! task's serving span is followed for the traffic model. It reads the substrate only through
//! [`ClusterView`] (is the container up and healthy, is its node reachable).

// Lookups only, never iterated: its order cannot reach any output (clippy.toml bans it for
// that reason), and a hash lookup per row name is what keeps a row cheap.
#[allow(clippy::disallowed_types)]
use std::collections::HashMap;
use std::sync::Arc;

use crate::limits::MAX_DECISIONS;
use crate::model::cluster::NodeRole;
use crate::model::decision::{Decision, DecisionKind};
use crate::model::record::{
    CommandOutput, Name, NodeEvent, NodeInfo, NodeState, ProcessChange, ProcessEvent, ReservationRecord, RunRecord,
    SecretMount, ServiceRecord, StatusChange, TaskEvent, UpdateRecord, UpdateState,
};
use crate::model::route::RouteState;
use crate::model::scenario::Scenario;
use crate::model::spec::{Resources, ServiceMode};
use crate::model::strategy::StrategyRecord;
use crate::model::task::{ServiceId, TaskId, TaskState};
use crate::model::traffic::{ServingEnd, ServingInterval};
use crate::time::SimTime;
use crate::world::cluster::{ClusterView, ContainerPhase};

use super::Manager;
use super::store::{NodeRecord, Store};

/// swarmkit's `Status.Message` of a node whose heartbeat deadline passed
/// (`manager/dispatcher/dispatcher.go`, `markNodeNotReady`); a READY status has none.
const HEARTBEAT_FAILURE: &str = "heartbeat failure";
/// The message of a node whose deadline passed while it was UNKNOWN (`markNodesUnknown`'s
/// expiry function).
const HEARTBEAT_FAILURE_UNKNOWN: &str = "heartbeat failure for node in \"unknown\" state";
/// The message of every node a new leader marks UNKNOWN (`markNodesUnknown`).
const UNKNOWN_AFTER_LEADER_CHANGE: &str = "Node moved to \"unknown\" state due to leadership change in cluster";
/// The last row of a node removed by `docker node rm` (swarmkit deletes the object: Docker has
/// no message for it).
const NODE_REMOVED: &str = "removed from the swarm (docker node rm)";

/// What a run recorded so far that request outcomes are computed from.
pub(crate) struct TrafficInputs<'a> {
    /// Serving spans, in the order they began.
    pub serving: &'a crate::model::record::ServingLog,
    /// The names the spans carry, by [`crate::model::record::Name`].
    pub names: &'a crate::model::record::Names,
    /// Each route's backends whenever they changed.
    pub routes: &'a [RouteState],
    /// (when, service, image) of every image a service was given.
    pub image_changes: &'a [(SimTime, String, String)],
}

/// A task's contribution to its service's timeline counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Class {
    /// RUNNING with desired RUNNING.
    running: bool,
    /// Serving traffic (healthy, not signalled, node reachable).
    serving: bool,
    /// On its way up.
    starting: bool,
    /// Desired past RUNNING, container not exited yet.
    stopping: bool,
    /// Runs the newest requested spec.
    new: bool,
}

/// What the recorder keeps of a task while the store holds it: its class and its open serving
/// span (its id's name is its index, `Names::push_task_id`). Forgotten with the store's
/// record ([`Recorder::forget_task`]), so that the recorder too holds the tasks alive.
#[derive(Clone, Copy, Debug)]
struct TaskTrack {
    class: Class,
    /// The index in `Recorder::serving` of the task's span whose in-flight requests are not
    /// settled yet (still serving, or unbound with its process still running), or
    /// [`NO_SPAN`]. Kept here rather than in a map by task id: every serving change of every
    /// task looks it up, and the task's record is already at hand (a B-tree of the open spans
    /// cost about 4 % of a large run). No span is looked up once the store forgot its task,
    /// so none is lost with the record.
    open_span: u32,
}

/// `TaskTrack::open_span` of a task with no open span.
const NO_SPAN: u32 = u32::MAX;

impl Default for TaskTrack {
    fn default() -> TaskTrack {
        TaskTrack { class: Class::default(), open_span: NO_SPAN }
    }
}

/// Per-service counts for `timeline.csv`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// running, old spec.
    pub running_old: u64,
    /// running, new spec.
    pub running_new: u64,
    /// serving, old spec.
    pub healthy_old: u64,
    /// serving, new spec.
    pub healthy_new: u64,
    /// starting.
    pub starting: u64,
    /// stopping.
    pub stopping: u64,
}

impl Counts {
    /// Adds (`add`) or removes one task's class.
    fn apply(&mut self, class: Class, add: bool) {
        let bump = |x: &mut u64| if add { *x += 1 } else { *x -= 1 };
        if class.running {
            bump(if class.new { &mut self.running_new } else { &mut self.running_old });
        }
        if class.serving {
            bump(if class.new { &mut self.healthy_new } else { &mut self.healthy_old });
        }
        if class.starting {
            bump(&mut self.starting);
        }
        if class.stopping {
            bump(&mut self.stopping);
        }
    }

    /// Tasks serving, old and new.
    pub(crate) fn serving(&self) -> u64 {
        self.healthy_old + self.healthy_new
    }
}

/// What the recorder follows of one service.
#[derive(Default)]
struct ServiceTrack {
    /// Timeline counts.
    counts: Counts,
    /// The counts changed since the last sample.
    sample_due: bool,
    /// This service's last row in the recorded timeline, and its index in
    /// `Recorder::pending` (meaningful while its instant is the one being recorded).
    last_sample: Option<(Row, usize)>,
    /// The service's name as its rows carry it (the store's shared copy, taken once a run: a
    /// row refers to its service by index until it is logged, so that sampling after every
    /// event counts no reference up or down).
    name: Option<Arc<str>>,
    /// The current (last) update.
    update: UpdateRecord,
    /// The earlier updates, oldest first.
    previous_updates: Vec<UpdateRecord>,
    /// Every UpdateStatus change, across updates.
    status_changes: Vec<StatusChange>,
    /// Each reset of UpdateStatus to nil ([`ServiceRecord::status_resets`]).
    status_resets: Vec<(SimTime, usize)>,
}

/// A timeline row short of its service's name (see [`ServiceTrack::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Row {
    /// When the counts took these values.
    pub t: SimTime,
    /// Desired replicas (global: eligible nodes).
    pub desired: u64,
    /// The service's timeline counts.
    pub counts: Counts,
    /// UpdateStatus state ([`UpdateState::as_str`]), empty when none.
    pub update_state: &'static str,
}

impl Row {
    /// The same values but for the time (what a repeated row would show again).
    fn same_counts(&self, other: &Row) -> bool {
        self.desired == other.desired && self.counts == other.counts && self.update_state == other.update_state
    }
}

/// Hashes an address (a `usize` already unique per string) with one multiplication, and a
/// string a word at a time (FxHash's mixing): the default SipHash guards against chosen keys,
/// which addresses and the simulator's own status messages are not, and cost a seventh of a
/// large run's time here. Deterministic (no random keys), and only ever used for lookups.
#[derive(Default)]
struct AddressHasher(u64);

impl AddressHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        for &b in words.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(26);
    }
}

type BuildAddressHasher = std::hash::BuildHasherDefault<AddressHasher>;

/// Entries of `Recorder::recent_names` (a power of two).
const RECENT_NAMES: usize = 256;
/// Entries of `Recorder::recent_names` while the run has named at most as many strings (a
/// power of two).
const FEW_RECENT_NAMES: usize = 32;
/// Shared status messages a renewed recorder keeps for the next run, at most (see
/// [`Recorder::clear`]).
const STRINGS_KEPT: usize = 1024;
/// Entries of `Recorder::recent_strings`.
const RECENT_STRINGS: usize = 16;

/// Rows collected during a run.
#[derive(Default)]
pub(crate) struct Recorder {
    task_events: crate::model::record::TaskEventLog,
    /// Timeline rows of the instants before the one being recorded (final: logged).
    timeline: crate::model::record::TimelineLog,
    /// Timeline rows of the instant being recorded, by service: a later change at the same
    /// instant still replaces its service's row.
    pending: Vec<(ServiceId, Row)>,
    /// Timeline commands (and a rollout's own): when, the command, Docker's refusal if any.
    actions: Vec<(SimTime, String, Option<String>)>,
    outputs: Vec<CommandOutput>,
    secret_mounts: Vec<SecretMount>,
    /// Time of the last recorded change.
    last_change_at: SimTime,
    /// One shared copy of each distinct status message (the store's tasks hold them).
    #[allow(clippy::disallowed_types)]
    strings: HashMap<Arc<str>, (), BuildAddressHasher>,
    /// A direct-mapped cache of `strings`, by the address of the text asked for: every task
    /// transition interns its message, nearly always one of a few literals at fixed
    /// addresses. A hit is checked by content (a passed `String`'s address may be reused by
    /// another text), so the cache can only save the hash and the probe, never change a result.
    recent_strings: [Option<Arc<str>>; RECENT_STRINGS],
    /// The names rows carry, each once, by [`Name`].
    names: crate::model::record::Names,
    /// The [`Name`] of each shared string the rows carry, by its address (the store shares
    /// one `Arc` per service, node, image and message, and `names` keeps each alive, so an
    /// address names one string for the whole run): no string is hashed per row. Task ids are
    /// not in it (see `tasks`).
    #[allow(clippy::disallowed_types)]
    name_of: HashMap<usize, Name, BuildAddressHasher>,
    /// A direct-mapped cache of `name_of` (address, name): [`FEW_RECENT_NAMES`] entries once
    /// used, [`RECENT_NAMES`] once the run names more strings than that.
    recent_names: Vec<Option<(usize, Name)>>,
    /// Each node's name as the rows carry it, by node index, with the address of the shared
    /// string it was read from (a row names its node without a probe into `name_of`).
    node_names: Vec<Option<(usize, Name)>>,
    /// The name of the empty node of a task not assigned yet.
    unassigned: Option<Name>,
    /// Each task's id name and timeline class, by task id, while the store holds the task
    /// (its service and image names are the shared strings', see `name`).
    tasks: crate::world::tasktable::TaskTable<TaskTrack>,
    /// Serving spans, in the order they began (see [`ServingInterval`]); each task's open one
    /// is named by its `TaskTrack::open_span`.
    serving: crate::model::record::ServingLog,
    /// Time of the event being handled: `touch` has no clock, and serving spans need one.
    now: SimTime,
    /// Images brought in by `docker service update --image` or `docker service create`:
    /// (when, service, image).
    image_changes: Vec<(SimTime, String, String)>,
    /// Each traffic route's backends whenever they changed.
    routes: Vec<RouteState>,
    /// Containers gained and lost (each instant's sum), in time order.
    containers: crate::model::record::ContainerLog,
    /// The sum of the instant being recorded, logged once a later instant changes the count.
    containers_now: Option<(SimTime, i64)>,
    /// Reserved now, and the peak (None until a task reserves something).
    reserved: Option<(Resources, ReservationRecord)>,
    /// Each service's counts and update history, by service index.
    services: Vec<ServiceTrack>,
    /// The decisions behind the run, when asked for (`deploysim explain`); None: not recorded.
    decisions: Option<Vec<Decision>>,
    /// Decisions past [`MAX_DECISIONS`], not recorded.
    decisions_dropped: u64,
    /// Node changes (`nodes.csv`).
    node_events: Vec<NodeEvent>,
    /// Each node's last recorded row, by node index.
    node_last: Vec<Option<NodeEvent>>,
    /// Signals and exits of task containers.
    process_events: crate::model::record::ProcessEventLog,
    /// Figures-only recording (see [`Recorder::record_figures_only`]): no task or process rows.
    figures_only: bool,
    /// Figures-only recording of a run whose serving spans nothing reads: none are followed.
    no_serving_spans: bool,
    /// Task state changes so far, whether or not rows were kept for them: the history budget
    /// counts every change in either recording mode.
    task_changes: usize,
}

impl Recorder {
    /// Records the decisions behind the run from now on (`deploysim explain`).
    pub(super) fn record_decisions(&mut self) {
        self.decisions = Some(Vec::new());
    }

    /// From now on, records only what a run's figures are computed from (`deploysim sweep`):
    /// the update history, timeline, routes, images, container counts and reservations stay
    /// whole; the task rows (`events.csv`) and process rows are not kept (their names are never
    /// looked up), while every task change is still counted for the history budget and still
    /// moves `last_change_at`. Serving spans are kept whole when `spans_read` (request outcomes
    /// or a rollout's analysis read them) and not followed at all otherwise: following them
    /// (a task id named, a span logged and closed per serving change) cost a sweep's runs a
    /// tenth of their time for nothing. The record says so (`RunRecord::figures_only`).
    pub(super) fn record_figures_only(&mut self, spans_read: bool) {
        self.figures_only = true;
        self.no_serving_spans = !spans_read;
    }

    /// Forgets the run recorded so far: afterwards the recorder is the one
    /// `Recorder::default()` makes, with the same recording options (decisions, figures-only,
    /// serving spans), but keeps the room its lists and tables grew, for the next run of a
    /// world reused from run to run. Every field is named, so that one added later must be said
    /// here too: nothing of a run may reach the next. The shared copies of status messages are
    /// the exception: they are only copies of texts, which the next run's tasks use again (a
    /// sweep's runs say the same few words; made anew they were an allocation each, run after
    /// run), and which row names nothing by (`name_of` is emptied). They are forgotten only
    /// past [`STRINGS_KEPT`], so that a long sweep's memory stays flat; returns whether they
    /// were.
    pub(super) fn clear(&mut self) -> bool {
        let Recorder {
            task_events,
            timeline,
            pending,
            actions,
            outputs,
            secret_mounts,
            last_change_at,
            strings,
            recent_strings,
            names,
            name_of,
            recent_names,
            node_names,
            unassigned,
            tasks,
            serving,
            now,
            image_changes,
            routes,
            containers,
            containers_now,
            reserved,
            services,
            decisions,
            decisions_dropped,
            node_events,
            node_last,
            process_events,
            // Options, not what a run recorded.
            figures_only: _,
            no_serving_spans: _,
            task_changes,
        } = self;
        task_events.clear();
        timeline.clear();
        pending.clear();
        actions.clear();
        outputs.clear();
        secret_mounts.clear();
        *last_change_at = SimTime::ZERO;
        let forget_strings = strings.len() > STRINGS_KEPT;
        if forget_strings {
            strings.clear();
            *recent_strings = Default::default();
        }
        names.clear();
        name_of.clear();
        // Emptied, not shortened: a cache of addresses, its size only decides how often it hits.
        recent_names.fill(None);
        node_names.clear();
        *unassigned = None;
        tasks.clear(0);
        serving.clear();
        *now = SimTime::ZERO;
        image_changes.clear();
        routes.clear();
        containers.clear();
        *containers_now = None;
        *reserved = None;
        services.clear();
        if let Some(decisions) = decisions {
            decisions.clear();
        }
        *decisions_dropped = 0;
        node_events.clear();
        node_last.clear();
        process_events.clear();
        *task_changes = 0;
        forget_strings
    }

    /// Whether the recording is figures-only (see [`Recorder::record_figures_only`]).
    pub(super) fn is_figures_only(&self) -> bool {
        self.figures_only
    }

    /// Whether decisions are recorded: callers build a decision only when they are.
    pub(super) fn explaining(&self) -> bool {
        self.decisions.is_some()
    }

    /// Records a decision of service `service` (bounded by [`MAX_DECISIONS`]).
    pub(super) fn decide(&mut self, t: SimTime, service: &Arc<str>, what: DecisionKind) {
        let Some(decisions) = &self.decisions else { return };
        if decisions.len() >= MAX_DECISIONS {
            self.decisions_dropped += 1;
            return;
        }
        let service = self.name(service);
        if let Some(decisions) = &mut self.decisions {
            decisions.push(Decision { t, service, what });
        }
    }

    /// The row name of a task's Docker id.
    pub(super) fn task_name(&mut self, id: TaskId, store: &Store) -> Name {
        self.named_task(id, store)
    }

    /// The shared copy of `s`.
    pub(super) fn intern(&mut self, s: &str) -> Arc<str> {
        let slot = ((s.as_ptr() as usize).wrapping_mul(0x9e37_79b9) >> 8) % RECENT_STRINGS;
        if let Some(shared) = &self.recent_strings[slot]
            && **shared == *s
        {
            return shared.clone();
        }
        let shared = match self.strings.get_key_value(s) {
            Some((shared, ())) => shared.clone(),
            None => {
                let shared: Arc<str> = Arc::from(s);
                self.strings.insert(shared.clone(), ());
                shared
            }
        };
        self.recent_strings[slot] = Some(shared.clone());
        shared
    }

    /// A task's service, id and image names (the service's named before the image's the first
    /// time, so that the shared strings are numbered as they always were; the id's name is its
    /// index).
    fn task_names(&mut self, id: TaskId, store: &Store) -> (Name, Name, Name) {
        let task = store.task(id);
        let service = store.service(task.service);
        let service_name = self.name(&service.name);
        let task_id = self.id_name(id);
        (service_name, task_id, self.name(service.image_at(task.spec)))
    }

    /// A task's id name: its index (a name that takes no memory, the same every time).
    fn id_name(&mut self, id: TaskId) -> Name {
        self.names.push_task_id(id)
    }

    /// The task's id name, for a row that names the task alone (a decision, a process
    /// change): named as [`Recorder::task_names`] names it (with its service and image) while
    /// the store holds the task; a task the store forgot (a late mention of a deleted task
    /// whose node removed it) has the same name, its index.
    fn named_task(&mut self, id: TaskId, store: &Store) -> Name {
        match store.get(id) {
            Some(_) => self.task_names(id, store).1,
            None => self.id_name(id),
        }
    }

    /// The store forgot the task (see `Store::forget_task`): so does the recorder. Nothing
    /// records a row of it again.
    pub(super) fn forget_task(&mut self, id: TaskId) {
        self.tasks.remove(id);
    }

    /// The row name of a shared string (see `name_of`). Not for a task's id: `id_name` gives
    /// each task's id its one name, its index (readers compare names by number, so a second
    /// name for the same id would split its rows).
    fn name(&mut self, shared: &Arc<str>) -> Name {
        let address = Arc::as_ptr(shared) as *const u8 as usize;
        // Most rows repeat a few strings (messages, node names): a small direct-mapped cache
        // answers them without a probe into `name_of`.
        let hash = address.wrapping_mul(0x9e37_79b9) >> 8;
        if !self.recent_names.is_empty() {
            let slot = hash & (self.recent_names.len() - 1);
            if let Some((a, name)) = self.recent_names[slot]
                && a == address
            {
                return name;
            }
        }
        let name = match self.name_of.get(&address) {
            Some(&name) => name,
            None => {
                let name = self.names.push(shared.clone());
                self.name_of.insert(address, name);
                name
            }
        };
        // The cache starts small and grows once the run names more strings than it has
        // entries (task ids are not in it): a sweep's run names about a dozen, and a first
        // block of 1 KiB or more sent every run through the allocator's consolidation of its
        // small free blocks.
        let wanted = if self.name_of.len() > FEW_RECENT_NAMES { RECENT_NAMES } else { FEW_RECENT_NAMES };
        if self.recent_names.len() < wanted {
            if self.recent_names.is_empty() {
                // The run's first name: room for a small run's names at once.
                self.names.reserve(FEW_RECENT_NAMES);
                self.name_of.reserve(FEW_RECENT_NAMES / 2);
            }
            self.recent_names = vec![None; wanted];
        }
        let slot = hash & (self.recent_names.len() - 1);
        self.recent_names[slot] = Some((address, name));
        name
    }

    /// The row name of a node's name (for a decision).
    pub(super) fn node_row_name(&mut self, node: crate::model::task::NodeId, store: &Store) -> Name {
        self.node_name(node.0 as usize, &store.node(node).name)
    }

    /// The row name of node `index`'s name `shared` (see `node_names`).
    fn node_name(&mut self, index: usize, shared: &Arc<str>) -> Name {
        let address = Arc::as_ptr(shared) as *const u8 as usize;
        if let Some(Some((a, name))) = self.node_names.get(index)
            && *a == address
        {
            return *name;
        }
        let name = self.name(shared);
        if self.node_names.len() <= index {
            self.node_names.resize(index + 1, None);
        }
        self.node_names[index] = Some((address, name));
        name
    }

    /// The clock of the event being handled.
    pub(super) fn set_now(&mut self, now: SimTime) {
        self.now = now;
    }

    /// Time of the last recorded change.
    pub(super) fn last_change_at(&self) -> SimTime {
        self.last_change_at
    }

    /// A new service named `name`, followed from now on.
    pub(super) fn service_added(&mut self, name: &Arc<str>) {
        self.services.push(ServiceTrack { sample_due: true, name: Some(Arc::clone(name)), ..Default::default() });
    }

    /// A service's counts changed in a way `touch` cannot see (desired replicas, removal).
    pub(super) fn sample_due(&mut self, sid: ServiceId) {
        self.services[sid.0 as usize].sample_due = true;
    }

    /// A service's timeline counts.
    pub(super) fn counts(&self, sid: ServiceId) -> Counts {
        self.services[sid.0 as usize].counts
    }

    /// A service's update history.
    pub(super) fn update(&self, sid: ServiceId) -> &UpdateRecord {
        &self.services[sid.0 as usize].update
    }

    /// A service's update history, to add to.
    pub(super) fn update_mut(&mut self, sid: ServiceId) -> &mut UpdateRecord {
        &mut self.services[sid.0 as usize].update
    }

    /// An update of the service begins at `now`: the figures count it alone from here on.
    pub(super) fn begin_update(&mut self, sid: ServiceId, now: SimTime) {
        let track = &mut self.services[sid.0 as usize];
        let earlier = std::mem::take(&mut track.update);
        if earlier.started_at.is_some() {
            track.previous_updates.push(earlier);
        }
        track.update.started_at = Some(now);
    }

    /// A new UpdateStatus of a service.
    pub(super) fn status_changed(&mut self, sid: ServiceId, state: UpdateState, message: &str) {
        let track = &mut self.services[sid.0 as usize];
        let change = StatusChange { t: self.now, state, message: message.to_string() };
        track.update.state = Some(state);
        track.update.message = message.to_string();
        track.update.status_changes.push(change.clone());
        track.status_changes.push(change);
        track.sample_due = true;
    }

    /// A spec update set the service's UpdateStatus back to nil.
    pub(super) fn status_reset(&mut self, sid: ServiceId) {
        let track = &mut self.services[sid.0 as usize];
        track.status_resets.push((self.now, track.status_changes.len()));
        track.sample_due = true;
    }

    /// A task starts or stops holding a container (`starting` until observed past `running`).
    /// Every reader applies an instant's changes together (the rollout report's rows, a sweep's
    /// peak), so the changes of one instant are kept as their sum: a batch of a rolling update
    /// or of a crash loop's restarts takes one entry, not one per task.
    pub(super) fn container_count(&mut self, now: SimTime, gained: bool) {
        let change = if gained { 1 } else { -1 };
        match &mut self.containers_now {
            Some((t, sum)) if *t == now => *sum += change,
            instant => {
                if let Some(done) = instant.replace((now, change)) {
                    self.containers.push(done);
                }
            }
        }
    }

    /// A task starts (`taken`) or stops holding `r` of its node's capacity, out of `capacity`
    /// over the cluster.
    pub(super) fn reservation(&mut self, r: Resources, taken: bool, capacity: impl FnOnce() -> Resources) {
        let (now, record) = self.reserved.get_or_insert_with(|| {
            (Resources::default(), ReservationRecord { capacity: capacity(), peak: Resources::default() })
        });
        if taken {
            now.nano_cpus += r.nano_cpus;
            now.memory_bytes += r.memory_bytes;
            record.peak.nano_cpus = record.peak.nano_cpus.max(now.nano_cpus);
            record.peak.memory_bytes = record.peak.memory_bytes.max(now.memory_bytes);
        } else {
            now.nano_cpus -= r.nano_cpus;
            now.memory_bytes -= r.memory_bytes;
        }
    }

    /// Logs a command; its outcome follows with [`Recorder::action_result`].
    pub(super) fn action(&mut self, now: SimTime, text: String) -> usize {
        self.actions.push((now, text, None));
        self.actions.len() - 1
    }

    /// The outcome of a logged command: Docker's refusal, if any.
    pub(super) fn action_result(&mut self, index: usize, refusal: Option<String>) {
        self.actions[index].2 = refusal;
    }

    /// What a command printed (`docker secret ls`).
    pub(super) fn output(&mut self, output: CommandOutput) {
        self.outputs.push(output);
    }

    /// Secrets written into a starting container.
    pub(super) fn secret_mounts(&mut self, mounts: Vec<SecretMount>) {
        self.secret_mounts.extend(mounts);
    }

    /// A service now runs `image` (created, or updated with `--image`).
    pub(super) fn image_change(&mut self, now: SimTime, service: String, image: String) {
        self.image_changes.push((now, service, image));
    }

    /// Serving spans, routes and image changes so far, for a rollout's analysis.
    pub(super) fn traffic_inputs(&self) -> TrafficInputs<'_> {
        TrafficInputs {
            serving: &self.serving,
            names: &self.names,
            routes: &self.routes,
            image_changes: &self.image_changes,
        }
    }

    /// Records a route's backends if they changed. Several changes at one instant collapse
    /// into the last one.
    pub(super) fn route(&mut self, state: RouteState) {
        let routes = &mut self.routes;
        let last = routes.iter().rposition(|r| r.route == state.route);
        if last.is_some_and(|i| routes[i].backends == state.backends) {
            return;
        }
        match last {
            Some(i) if routes[i].t == state.t => routes[i] = state,
            _ => routes.push(state),
        }
    }

    /// The task's track will be read soon (see `Model::prefetch`).
    pub(super) fn prefetch_task(&self, id: TaskId) {
        self.tasks.prefetch(id);
    }

    /// Recomputes a task's timeline class and updates its service's counts.
    pub(super) fn touch(&mut self, id: TaskId, store: &Store, cluster: ClusterView<'_>) {
        // A task forgotten since counts nowhere any more.
        let Some(task) = store.get(id) else { return };
        let service = store.service(task.service);
        // A container serves while its node's agent is in touch with the manager: a node cut
        // off, or whose daemon was killed (its containers still run, unwatched), gets no traffic
        // — the fidelity judge's definition too. A node whose session ended only because the
        // manager went away still serves (the mesh does not need the manager).
        let reachable = task.node.is_none_or(|n| cluster.serves(n));
        let c = cluster.container(id);
        let class = Class {
            running: task.state == TaskState::Running && task.desired <= TaskState::Running,
            serving: c.phase == ContainerPhase::Running && c.healthy && !c.signalled && reachable,
            starting: task.desired <= TaskState::Running && task.state < TaskState::Running,
            stopping: task.desired > TaskState::Running && c.phase == ContainerPhase::Running,
            new: service.is_new(task.spec),
        };
        let track = match self.tasks.get_mut(id) {
            Some(track) => track,
            None => self.tasks.insert(id, TaskTrack::default()),
        };
        let old = track.class;
        let lost = if c.phase == ContainerPhase::Exited {
            Some(ServingEnd::Exited)
        } else if !reachable {
            Some(ServingEnd::NodeLost)
        } else {
            None
        };
        if class != old {
            track.class = class;
            let track = &mut self.services[task.service.0 as usize];
            track.counts.apply(old, false);
            track.counts.apply(class, true);
            track.sample_due = true;
        }
        if self.no_serving_spans {
            return;
        }
        if old.serving != class.serving || (lost.is_some() && !class.serving) {
            let names = self.task_names(id, store);
            self.note_serving(id, (old.serving, class.serving), lost, names);
        }
    }

    /// Follows a task's serving flag (`was` → `is`) and whether its process is gone (`lost`:
    /// exited, or cut off with its node), so that the traffic model knows both when the mesh
    /// stopped sending it requests and when the requests it still had were cut off.
    fn note_serving(
        &mut self,
        id: TaskId,
        (was, is): (bool, bool),
        lost: Option<ServingEnd>,
        (service, task_id, image): (Name, Name, Name),
    ) {
        let now = self.now;
        let track = self.tasks.get_mut(id).expect("a task touched is tracked");
        if is && !was {
            let span = ServingInterval { service, task_id, image, start: now, end: None, ended_by: None, cut: None };
            let index = self.serving.push(span);
            // At most one span per event (`limits::MAX_EVENTS` is far below `u32::MAX`).
            let earlier = std::mem::replace(&mut track.open_span, u32::try_from(index).expect("a span index"));
            if earlier != NO_SPAN {
                // The task's earlier span (unbound, its process still running) is never
                // followed again: its ending is final.
                self.serving.settle(earlier as usize);
            }
            return;
        }
        if track.open_span == NO_SPAN {
            return;
        }
        let index = track.open_span as usize;
        if lost.is_some() {
            track.open_span = NO_SPAN;
        }
        let (mut end, mut ended_by, mut cut) = self.serving.ending(index);
        if was && !is {
            end = Some(now);
            ended_by = Some(lost.unwrap_or(ServingEnd::Unbound));
        }
        if lost.is_some() {
            cut = Some(now);
        }
        self.serving.set_ending(index, end, ended_by, cut);
        if lost.is_some() {
            self.serving.settle(index);
        }
    }

    /// Appends a `nodes.csv` row for the node as the store has it now, unless nothing that
    /// row shows changed. Neither this nor [`Recorder::process`] moves `last_change_at`: the
    /// run's end is decided by task changes alone.
    pub(super) fn node(&mut self, node: &NodeRecord) {
        let (state, message) = match (node.removed, node.down, node.unknown) {
            (true, _, _) => (if node.down { NodeState::Down } else { NodeState::Ready }, NODE_REMOVED),
            (false, true, _) if node.down_from_unknown => (NodeState::Down, HEARTBEAT_FAILURE_UNKNOWN),
            (false, true, _) => (NodeState::Down, HEARTBEAT_FAILURE),
            (false, false, true) => (NodeState::Unknown, UNKNOWN_AFTER_LEADER_CHANGE),
            (false, false, false) => (NodeState::Ready, ""),
        };
        let message = self.intern(message);
        let row = NodeEvent {
            t: self.now,
            node: self.name(&node.name),
            state,
            availability: node.availability,
            removed: node.removed,
            message: self.name(&message),
        };
        let index = node.id.0 as usize;
        if self.node_last.len() <= index {
            self.node_last.resize(index + 1, None);
        }
        let same = |a: &NodeEvent| {
            (a.state, a.availability, a.removed, a.message) == (row.state, row.availability, row.removed, row.message)
        };
        if self.node_last[index].as_ref().is_some_and(same) {
            return;
        }
        self.node_last[index] = Some(row);
        self.node_events.push(row);
    }

    /// A signal sent to a task's container, or its process's exit.
    pub(super) fn process(&mut self, id: TaskId, change: ProcessChange, store: &Store) {
        if self.figures_only {
            return;
        }
        let task_id = self.named_task(id, store);
        self.process_events.push(ProcessEvent { t: self.now, task_id, change });
    }

    /// Task state changes recorded so far (as rows, or only counted: figures-only).
    pub(super) fn recorded_changes(&self) -> usize {
        self.task_changes
    }

    /// Appends an `events.csv` row for the task's current state (figures-only: counts the
    /// change without a row).
    pub(super) fn log_task(&mut self, id: TaskId, store: &Store, t: SimTime) {
        self.task_changes += 1;
        self.last_change_at = t;
        if self.figures_only {
            return;
        }
        let task = store.task(id);
        let service = store.service(task.service);
        let node = match task.node {
            Some(n) => self.node_name(n.0 as usize, &store.node(n).name),
            None => match self.unassigned {
                Some(name) => name,
                None => {
                    let empty = self.intern("");
                    let name = self.name(&empty);
                    self.unassigned = Some(name);
                    name
                }
            },
        };
        let slot = if service.is_global() { 0 } else { task.slot };
        let (service_name, task_id, image) = self.task_names(id, store);
        let row = TaskEvent {
            t,
            service: service_name,
            task_id,
            slot,
            node,
            image,
            desired_state: task.desired,
            state: task.state,
            message: self.name(&task.message),
        };
        self.task_events.push(row);
    }

    /// Appends a timeline row for a service whose counts changed, unless an unchanged one
    /// would repeat; several changes at one instant collapse into the last one.
    fn sample(&mut self, sid: ServiceId, sample: Row) {
        // Samples come in time order: an instant's rows are final once a later one is sampled.
        if self.pending.first().is_some_and(|p| p.1.t != sample.t) {
            self.log_pending_samples();
        }
        let track = &mut self.services[sid.0 as usize];
        if let Some((prev, index)) = &mut track.last_sample {
            // A row of this instant is still pending (nothing was logged since it was made).
            if prev.t == sample.t
                && let Some(row) = self.pending.get_mut(*index)
            {
                row.1 = sample;
                *prev = sample;
                return;
            }
            if prev.same_counts(&sample) {
                return;
            }
        }
        self.last_change_at = sample.t;
        track.last_sample = Some((sample, self.pending.len()));
        self.pending.push((sid, sample));
    }

    /// Moves the rows of the instant last sampled into the timeline log.
    fn log_pending_samples(&mut self) {
        for (sid, row) in self.pending.drain(..) {
            let name = self.services[sid.0 as usize].name.as_ref().expect("a followed service is named");
            let c = row.counts;
            let counts = [
                row.desired,
                c.running_old,
                c.running_new,
                c.healthy_old,
                c.healthy_new,
                c.starting,
                c.stopping,
                c.serving(),
            ];
            self.timeline.push_counts(row.t, name, row.update_state, counts);
        }
    }
}

impl Manager {
    /// Emits one timeline sample per service whose counts changed during this event.
    pub(crate) fn flush_samples(&mut self, now: SimTime) {
        for i in 0..self.store.services().len() {
            let sid = ServiceId(i as u32);
            let track = &mut self.recorder.services[i];
            if !track.sample_due {
                continue;
            }
            track.sample_due = false;
            let counts = track.counts;
            let desired = self.desired_count(sid);
            let svc = self.store.service(sid);
            let update_state = svc.status.as_ref().map_or("", |s| s.state.as_str());
            self.recorder.sample(sid, Row { t: now, desired, counts, update_state });
        }
    }

    /// The run record of everything recorded (its end, event count and request outcomes are
    /// the world's to fill in). What was recorded moves into the record uncopied: the manager
    /// is spent, and must be renewed ([`Manager::renew`]) before another run.
    pub(crate) fn take_record(&mut self, scenario: &Scenario, strategies: Vec<StrategyRecord>) -> RunRecord {
        // The last instant's rows are final (they name their services through the tracks).
        self.recorder.log_pending_samples();
        let mut tracks = std::mem::take(&mut self.recorder.services);
        let services = self
            .store
            .services()
            .iter()
            .map(|s| ServiceRecord {
                name: s.name.to_string(),
                desired_replicas: match s.spec().mode {
                    ServiceMode::Replicated { replicas } => replicas,
                    ServiceMode::Global => self.desired_count(s.id),
                },
                update: std::mem::take(&mut tracks[s.id.0 as usize].update),
                previous_updates: std::mem::take(&mut tracks[s.id.0 as usize].previous_updates),
                status_changes: std::mem::take(&mut tracks[s.id.0 as usize].status_changes),
                status_resets: std::mem::take(&mut tracks[s.id.0 as usize].status_resets),
                created_at: s.created_at,
                removed_at: s.removed_at,
            })
            .collect();
        // The list's room is kept for the next run (renewed worlds: one service added a run
        // would otherwise grow it anew each time).
        tracks.clear();
        self.recorder.services = tracks;
        let mut leader_seen = false;
        let nodes = self
            .store
            .nodes()
            .iter()
            .map(|n| {
                let leader = n.spec.role == NodeRole::Manager && !std::mem::replace(&mut leader_seen, true);
                NodeInfo { name: n.spec.name.clone(), docker_id: n.docker_id.clone(), role: n.spec.role, leader }
            })
            .collect();
        let r = &mut self.recorder;
        use std::mem::take;
        RunRecord {
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            input_digest: scenario.input_digest.clone(),
            engine: scenario.engine.as_str().to_string(),
            end_reason: crate::model::record::EndReason::Quiescent,
            end_time: SimTime::ZERO,
            events_handled: 0,
            task_events: take(&mut r.task_events),
            names: take(&mut r.names),
            timeline: take(&mut r.timeline),
            services,
            actions: take(&mut r.actions),
            outputs: take(&mut r.outputs),
            secret_mounts: take(&mut r.secret_mounts),
            serving: take(&mut r.serving),
            requests: Vec::new(),
            image_changes: take(&mut r.image_changes),
            routes: take(&mut r.routes),
            containers: {
                if let Some(last) = r.containers_now.take() {
                    r.containers.push(last);
                }
                take(&mut r.containers)
            },
            strategies,
            decisions: r.decisions.as_mut().map(take).unwrap_or_default(),
            decisions_dropped: r.decisions_dropped,
            reservations: r.reserved.take().map(|(_, record)| record),
            nodes,
            node_events: take(&mut r.node_events),
            process_events: take(&mut r.process_events),
            figures_only: r.figures_only,
        }
    }

    /// Takes back the lists [`Manager::take_record`] moved into `record`, once its reader is
    /// done with it, so that the next run of this (renewed) manager fills them again instead
    /// of growing new ones: a sweep reads each run's figures and drops the record. Nothing
    /// of them reaches the next run: renewing empties them (`Recorder::clear`), as it empties
    /// the lists of a run whose record was not given back.
    pub(crate) fn recycle_record(&mut self, record: RunRecord) {
        let RunRecord {
            task_events,
            names,
            timeline,
            actions,
            outputs,
            secret_mounts,
            serving,
            image_changes,
            routes,
            containers,
            node_events,
            process_events,
            ..
        } = record;
        let r = &mut self.recorder;
        r.task_events = task_events;
        r.names = names;
        r.timeline = timeline;
        r.actions = actions;
        r.outputs = outputs;
        r.secret_mounts = secret_mounts;
        r.serving = serving;
        r.image_changes = image_changes;
        r.routes = routes;
        r.containers = containers;
        r.node_events = node_events;
        r.process_events = process_events;
    }

    /// Records every node's row (at 0 s: its declared state).
    pub(super) fn record_nodes(&mut self) {
        for n in self.store.nodes() {
            self.recorder.node(n);
        }
    }

    /// Records one node's row after a change.
    pub(super) fn record_node(&mut self, node: crate::model::task::NodeId) {
        self.recorder.node(self.store.node(node));
    }
}

//! The substrate: the machines of the swarm — each node's network link, its swarmkit agent
//! (`agent/`), its moby container daemon (`daemon/`) and image store — and the registry they
//! pull from. It knows nothing of the manager: a node hears of a task through an
//! [`Assignment`] (swarmkit's `dispatcher.Assignments` stream) and reports task states through
//! an [`Uplink`] (`dispatcher.UpdateTaskStatus`), so another control plane could drive the same
//! machines.

mod agent;
mod daemon;
mod images;
mod network;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::cluster::NodeSpec;
use crate::model::image::{ImageBehavior, ImagePatch};
use crate::model::record::ProcessChange;
use crate::model::scenario::KillSignal;
use crate::model::spec::TaskSpec;
use crate::model::task::{NodeId, TaskId, TaskState};
use crate::time::SimTime;

use super::tasktable::TaskTable;
use super::{Event, Io};
use agent::{AgentQueue, TaskRun};
pub(crate) use agent::{Container, ContainerPhase};
use daemon::Daemon;
use images::ImageStore;
pub(crate) use network::{SessionAttempt, SessionOutcome};

/// What a node's agent is told of a task: with the assignment, and again with every change of
/// its desired state.
pub(crate) struct Assignment {
    /// The task.
    pub task: TaskId,
    /// The node it is assigned to.
    pub node: NodeId,
    /// Its state as the manager has it (the agent ignores a task that has moved on).
    pub state: TaskState,
    /// The state the manager wants.
    pub desired: TaskState,
    /// What to run: sent only to an agent that has not heard of the task yet (see
    /// [`Cluster::has_heard_of`]); one that has keeps the spec it was sent, so a desired-state
    /// change carries none (and counts no reference up and down).
    pub spec: Option<Arc<TaskSpec>>,
}

/// A task's status message: one of the simulator's fixed words ("accepted", "shutdown", …), or
/// a text made for the occasion (an exit code's, a missing image's). A fixed word is `'static`,
/// so whoever keeps a shared copy of it may know it by its address and length alone.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Message<'a> {
    /// A fixed word.
    Fixed(&'static str),
    /// A text made for this status.
    Text(&'a str),
}

impl Message<'_> {
    /// The words.
    pub(crate) fn text(&self) -> &str {
        match self {
            Message::Fixed(text) => text,
            Message::Text(text) => text,
        }
    }
}

/// What a node sends up to whoever manages it.
pub(crate) trait Uplink {
    /// The agent reports a task's new state with its status message (`UpdateTaskStatus`).
    fn task_status(
        &mut self,
        task: TaskId,
        state: TaskState,
        message: Message<'_>,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    );
    /// A container started, turned healthy or unhealthy, was signalled or exited: what an
    /// observer of the routing mesh sees changes, though nothing is reported yet.
    fn container_changed(&mut self, task: TaskId, cluster: ClusterView<'_>);
    /// The daemon wrote the task's secrets into its container's tmpfs as it started, at `now`
    /// (the record names the task and its service from the manager's store: the agent keeps
    /// neither name, so that the run of every task it ever heard of stays small).
    fn secrets_mounted(&mut self, task: TaskId, now: SimTime);
    /// A signal was sent to the task's container, or its process exited (observers only:
    /// the exit reaches the manager as a task status).
    fn process_changed(&mut self, task: TaskId, change: ProcessChange);
    /// The node has forgotten a task the manager deleted (its container removed, or it never
    /// had one): nothing of it will be reported again, and whoever keeps a record of it for
    /// the node's reports may let it go.
    fn task_forgotten(&mut self, task: TaskId);
}

/// One machine of the swarm.
struct Machine {
    /// Hostname, shared by every recorded row.
    name: Arc<str>,
    /// Its agent's session with the manager is up: the link is up, the daemon runs and the
    /// agent has registered (false from `node_down` or `daemon_kill` until the session is back).
    reachable: bool,
    /// The node is in the swarm's network: false from `node_down` until its session is back
    /// (the routing mesh learns it again then: as recorded, serving resumes with READY).
    link_up: bool,
    /// The last cut of its link (`node_down`, or `status: down` from the start) and whether
    /// the link is back: what its agent's dials meet.
    cut: Option<network::LinkCut>,
    /// Cuts so far.
    cuts: u32,
    /// Its dockerd (with containerd and the swarm agent inside) runs.
    daemon_up: bool,
    /// How many times its dockerd was started again (`daemon_start`): a stop's SIGKILL timer
    /// belongs to the daemon that set it, and dies with it.
    daemon_starts: u32,
    /// `node_up` or `daemon_start` happened; the agent has not registered yet.
    reconnecting: bool,
    /// What its restarted dockerd's `restore` still waits for before the daemon starts its
    /// swarm agent: 1 (the load itself) from the start until `DaemonRestored`, then the
    /// containers it is stopping (moby `restore` waits for them to exit).
    restoring: u32,
    /// Its agent's registration came due while the daemon was still loading: it goes ahead
    /// when the last of those containers has exited.
    registration_held: bool,
    /// The containers its restarted dockerd stopped while loading that have exited: their final
    /// state is known to the agent only once it starts.
    restored_exits: Vec<TaskId>,
    /// When the registration queued by its restarted dockerd's `restore_done` is due: a
    /// `NodeReconnects` before then is a dead daemon's (killed after its restore, before its
    /// agent registered), which must not register this one's agent early.
    registers_at: Option<SimTime>,
    /// A sole manager's control plane (its listener opening, its raft leadership), due while
    /// its restarted dockerd was still in `restore`, with when each was due: moby starts the
    /// swarm component only after `NewDaemon`, so they go ahead, with their gap kept, the rest
    /// of the daemon's start after the restore is done.
    control_plane_held: Vec<(SimTime, Event)>,
    /// A restarted dockerd answers its API only once its swarm component has started (moby
    /// `cmd/dockerd` serves the API after `createAndStartCluster`, and `cluster.New` waits for
    /// the node to be ready, at most `swarmConnectTimeout`): until its agent registers, or this
    /// instant (`SimTime::MAX` while `restore` runs), the CLI cannot connect to it (recorded
    /// m16: `docker ps` on the node timed out 2 and 7 s after the start).
    api_waits_until: Option<SimTime>,
    /// Removed from the swarm (`docker node rm`): its agent is refused for good.
    removed: bool,
    /// Its session ended (the manager went away, or its heartbeat failed in a cut): the agent
    /// retries on its backoff (`SessionAttempt`); the routing mesh still reaches its containers
    /// unless the link was cut.
    retrying: bool,
    /// While retrying: the current attempt's gRPC channel to the manager, made as the previous
    /// attempt failed.
    channel: network::Channel,
    /// Session attempts so far (a dial's end for an earlier one is stale).
    attempt: u32,
    /// The current attempt's Session RPC waits for its channel's dial.
    rpc_wait: Option<network::RpcWait>,
    /// Its session outlives a cut until then, when the heartbeat sent into it times out.
    heartbeat_fails_at: Option<SimTime>,
    /// Its agent's task operations, handled one at a time.
    agent: AgentQueue,
    /// Its container daemon (starts and stops share it).
    daemon: Daemon,
    /// Its local images and downloads.
    images: ImageStore,
}

/// A node declared down from the start was cut long before, its resolutions' clock arbitrary.
fn declared_cut(spec: &NodeSpec) -> Option<network::LinkCut> {
    spec.down.then(|| network::LinkCut::new(0, SimTime::ZERO, SimTime::ZERO))
}

impl Machine {
    /// A machine as declared: its link up unless declared down, its daemon running, nothing
    /// running on it, its cache holding the images declared cached.
    fn declared(spec: &NodeSpec) -> Machine {
        Machine {
            name: Arc::from(spec.name.as_str()),
            reachable: !spec.down,
            link_up: !spec.down,
            cut: declared_cut(spec),
            cuts: 0,
            daemon_up: true,
            daemon_starts: 0,
            reconnecting: false,
            restoring: 0,
            registration_held: false,
            restored_exits: Vec::new(),
            registers_at: None,
            control_plane_held: Vec::new(),
            api_waits_until: None,
            removed: false,
            retrying: false,
            channel: network::Channel::default(),
            attempt: 0,
            rpc_wait: None,
            heartbeat_fails_at: None,
            agent: AgentQueue::default(),
            daemon: Daemon::default(),
            images: ImageStore::new(&spec.cached_images),
        }
    }

    /// Makes this machine the one `Machine::declared(spec)` makes, keeping the room its
    /// agent's and daemon's lists grew. Every field is named, so that one added later must be
    /// said here too.
    fn renew(&mut self, spec: &NodeSpec) {
        let Machine {
            name,
            reachable,
            link_up,
            cut,
            cuts,
            daemon_up,
            daemon_starts,
            reconnecting,
            restoring,
            registration_held,
            restored_exits,
            registers_at,
            control_plane_held,
            api_waits_until,
            removed,
            retrying,
            channel,
            attempt,
            rpc_wait,
            heartbeat_fails_at,
            agent,
            daemon,
            images,
        } = self;
        if **name != *spec.name {
            *name = Arc::from(spec.name.as_str());
        }
        *reachable = !spec.down;
        *link_up = !spec.down;
        *daemon_up = true;
        *daemon_starts = 0;
        *reconnecting = false;
        *restoring = 0;
        *registration_held = false;
        restored_exits.clear();
        *registers_at = None;
        control_plane_held.clear();
        *api_waits_until = None;
        *removed = false;
        *cut = declared_cut(spec);
        *cuts = 0;
        *retrying = false;
        *channel = network::Channel::default();
        *attempt = 0;
        *rpc_wait = None;
        *heartbeat_fails_at = None;
        agent.clear();
        daemon.clear();
        images.renew(&spec.cached_images);
    }
}

/// How each described image behaves at the start of a run.
fn described(images: &BTreeMap<String, ImageBehavior>) -> BTreeMap<String, Arc<ImageBehavior>> {
    images.iter().map(|(name, b)| (name.clone(), Arc::new(b.clone()))).collect()
}

/// Makes `behaviors` what [`described`] makes of `images`, keeping each entry that already
/// describes its image so (a renewed world of the same scenario then copies nothing; one that
/// a timeline `image:` entry changed is made again).
fn describe_again(behaviors: &mut BTreeMap<String, Arc<ImageBehavior>>, images: &BTreeMap<String, ImageBehavior>) {
    behaviors.retain(|name, b| images.get(name).is_some_and(|i| **b == *i));
    for (name, b) in images {
        if !behaviors.contains_key(name) {
            behaviors.insert(name.clone(), Arc::new(b.clone()));
        }
    }
}

/// The machines, the tasks their agents run, the images' behaviour and the registry.
pub(crate) struct Cluster {
    machines: Vec<Machine>,
    /// How each image behaves now (a timeline `image:` entry changes it from an instant on);
    /// images not described behave as [`ImageBehavior::default`].
    behaviors: BTreeMap<String, Arc<ImageBehavior>>,
    /// The behaviour of images not described.
    default_behavior: Arc<ImageBehavior>,
    /// Each task a node has heard of and not forgotten yet (a task the manager deleted is
    /// forgotten once its container is removed: see `unassign`), by task id.
    runs: TaskTable<TaskRun>,
    /// The registry refuses pulls until then.
    registry_down_until: SimTime,
    /// Containers created so far, by image (only images whose behaviour depends on it).
    containers_created: BTreeMap<String, u64>,
    /// The jobs a daemon just finished, while they are acted on (kept, empty, from one
    /// completion to the next: no list is made per completion).
    finished_jobs: Vec<(TaskId, daemon::JobKind)>,
}

/// A read-only look at the substrate, for observers and for what the control plane is allowed
/// to see of it.
#[derive(Clone, Copy)]
pub(crate) struct ClusterView<'a> {
    machines: &'a [Machine],
    runs: &'a TaskTable<TaskRun>,
}

impl ClusterView<'_> {
    /// The node's agent can talk to the manager (its reports arrive).
    pub(super) fn reachable(&self, node: NodeId) -> bool {
        self.machines[node.0 as usize].reachable
    }

    /// The routing mesh reaches the node's containers: its agent is in touch with the manager,
    /// or lost touch only because the manager went away (the data plane does not need it).
    pub(super) fn serves(&self, node: NodeId) -> bool {
        let m = &self.machines[node.0 as usize];
        m.reachable || (m.retrying && m.link_up && m.daemon_up)
    }

    /// The node's record of `task` will be read soon (see `crate::prefetch`).
    pub(super) fn prefetch_task(&self, task: TaskId) {
        self.runs.prefetch(task);
    }

    /// The task's container (not started when no node has it).
    pub(super) fn container(&self, task: TaskId) -> Container {
        self.runs.get(task).map_or_else(Container::default, |run| run.container)
    }
}

impl Cluster {
    /// Machines as declared, nothing running, images as described; room for `expected_tasks`
    /// tasks' records to start with (see `world::expected_tasks`).
    pub(super) fn new(nodes: &[NodeSpec], images: &BTreeMap<String, ImageBehavior>, expected_tasks: usize) -> Cluster {
        Cluster {
            machines: nodes.iter().map(Machine::declared).collect(),
            behaviors: described(images),
            default_behavior: Arc::new(ImageBehavior::default()),
            runs: TaskTable::with_capacity(expected_tasks),
            registry_down_until: SimTime::ZERO,
            containers_created: BTreeMap::new(),
            finished_jobs: Vec::new(),
        }
    }

    /// The node's record of `task` will be read soon (see `Model::prefetch`).
    pub(super) fn prefetch_task(&self, task: TaskId) {
        self.runs.prefetch(task);
    }

    /// The machine of `task` will be read soon (its run, asked for earlier, names it).
    pub(super) fn prefetch_task_node(&self, task: TaskId) {
        if let Some(run) = self.runs.get(task) {
            let m = &self.machines[run.node.0 as usize];
            crate::prefetch::prefetch(&m.reachable);
            crate::prefetch::prefetch(&m.agent);
            m.agent.prefetch();
            m.images.prefetch();
            crate::prefetch::prefetch(&m.daemon);
        }
    }

    /// The daemon of `node` will be read soon.
    pub(super) fn prefetch_node(&self, node: NodeId) {
        if let Some(m) = self.machines.get(node.0 as usize) {
            crate::prefetch::prefetch(&m.daemon);
            crate::prefetch::prefetch(&m.reachable);
        }
    }

    /// The jobs of `node`'s daemon will be read soon (its record, asked for earlier, holds
    /// where they are).
    pub(super) fn prefetch_daemon_jobs(&self, node: NodeId) {
        if let Some(m) = self.machines.get(node.0 as usize) {
            m.daemon.prefetch_jobs();
        }
    }

    /// Makes this cluster the one `Cluster::new(nodes, images, expected_tasks)` makes, keeping
    /// the room its lists grew (a world reused from run to run). Every field is named, so that
    /// one added later must be said here too.
    pub(super) fn renew(
        &mut self,
        nodes: &[NodeSpec],
        images: &BTreeMap<String, ImageBehavior>,
        expected_tasks: usize,
    ) {
        let Cluster {
            machines,
            behaviors,
            // Never changed (a described image's change goes to `behaviors`).
            default_behavior: _,
            runs,
            registry_down_until,
            containers_created,
            finished_jobs,
        } = self;
        machines.truncate(nodes.len());
        for (machine, spec) in machines.iter_mut().zip(nodes) {
            machine.renew(spec);
        }
        let known = machines.len();
        machines.extend(nodes[known..].iter().map(Machine::declared));
        describe_again(behaviors, images);
        runs.clear(expected_tasks);
        *registry_down_until = SimTime::ZERO;
        containers_created.clear();
        finished_jobs.clear();
    }

    /// What observers may see.
    pub(super) fn view(&self) -> ClusterView<'_> {
        ClusterView { machines: &self.machines, runs: &self.runs }
    }

    /// The node with this hostname.
    pub(super) fn node_named(&self, name: &str) -> Option<NodeId> {
        self.machines.iter().position(|m| &*m.name == name).map(|i| NodeId(i as u32))
    }

    /// How `image` behaves now.
    fn behavior(&self, image: &str) -> Arc<ImageBehavior> {
        self.behaviors.get(image).unwrap_or(&self.default_behavior).clone()
    }

    /// How the container being created now for task `id` behaves: its image's behaviour, with
    /// the change its ordinal calls for when the image behaves per container.
    fn next_container_behavior(&mut self, id: TaskId) -> Arc<ImageBehavior> {
        let Cluster { runs, behaviors, default_behavior, containers_created, .. } = self;
        let image = runs.get(id).expect("the node has heard of the task").spec.image.as_str();
        let behavior = Arc::clone(behaviors.get(image).unwrap_or(default_behavior));
        let Some(per) = &behavior.per_container else { return behavior };
        let ordinal = containers_created.entry(image.to_string()).or_insert(0);
        *ordinal += 1;
        match per.change_for(*ordinal) {
            Some(change) if *change != ImagePatch::default() => {
                let mut changed = (*behavior).clone();
                change.apply_to(&mut changed);
                Arc::new(changed)
            }
            _ => behavior,
        }
    }

    /// `image` behaves differently from now on (pulls begun and containers started from now).
    pub(super) fn change_image(&mut self, image: &str, patch: &ImagePatch) {
        let mut behavior = (*self.behavior(image)).clone();
        patch.apply_to(&mut behavior);
        self.behaviors.insert(image.to_string(), Arc::new(behavior));
    }

    /// `docker kill` of a task's container; false when no container of it runs here.
    pub(super) fn kill_container(&mut self, task: TaskId, signal: KillSignal, io: &mut Io<'_>) -> bool {
        if !self.has_container(task) {
            return false;
        }
        self.kill(task, signal, io);
        true
    }

    /// A task's container's probes pass or fail from now on; false when no container of it runs.
    pub(super) fn set_container_probes(&mut self, task: TaskId, pass: bool, io: &mut Io<'_>) -> bool {
        if !self.has_container(task) {
            return false;
        }
        self.set_probes(task, pass, io);
        true
    }

    /// Whether the task's container runs on a node whose dockerd does not answer at `now`: down
    /// (its process lives on: the shim keeps it, the restarted daemon stops it), or started
    /// again but still loading (see `Machine::api_waits_until`). No `docker kill` or `docker
    /// exec` reaches it.
    pub(super) fn container_daemon_down(&self, task: TaskId, now: SimTime) -> bool {
        self.has_container(task)
            && self.runs.get(task).is_some_and(|run| {
                let m = &self.machines[run.node.0 as usize];
                !m.daemon_up || m.api_waits_until.is_some_and(|until| now < until)
            })
    }

    fn has_container(&self, task: TaskId) -> bool {
        self.runs.get(task).is_some_and(|run| run.container.phase == ContainerPhase::Running)
    }

    /// The registry refuses every pull until `until`.
    pub(super) fn registry_outage(&mut self, until: SimTime) {
        self.registry_down_until = self.registry_down_until.max(until);
    }

    fn run(&self, id: TaskId) -> &TaskRun {
        self.runs.get(id).expect("the node has heard of the task")
    }

    fn run_mut(&mut self, id: TaskId) -> &mut TaskRun {
        self.runs.get_mut(id).expect("the node has heard of the task")
    }

    fn machine(&mut self, id: TaskId) -> &mut Machine {
        let node = self.run(id).node;
        &mut self.machines[node.0 as usize]
    }

    /// Whether a node's agent has heard of the task (it then has its spec).
    pub(crate) fn has_heard_of(&self, task: TaskId) -> bool {
        self.runs.contains(task)
    }

    /// The node's record of a task, made on first contact (with the spec the assignment
    /// carries then).
    fn heard_of(&mut self, a: &mut Assignment) {
        if !self.runs.contains(a.task) {
            let spec = a.spec.take().expect("an agent hearing of a task for the first time is sent its spec");
            self.runs.insert(a.task, TaskRun::new(a, spec));
        }
    }
}

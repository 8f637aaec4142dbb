//! The world's tables: nodes, services, tasks (with their containers) and delayed starts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::model::cluster::{Availability, NodeSpec};
use crate::model::record::{UpdateRecord, UpdateState};
use crate::model::spec::{ServiceMode, ServiceSpec, TaskSpec};
use crate::model::task::{NodeId, ServiceId, SpecVersion, TaskId, TaskState};
use crate::swarm::restart::RestartHistory;
use crate::swarm::updater::Updater;
use crate::time::SimTime;

/// A node and what the manager knows of it.
pub struct Node {
    /// Index.
    pub id: NodeId,
    /// As declared.
    pub spec: NodeSpec,
    /// Current availability.
    pub availability: Availability,
    /// The node answers (false from `node_down` until its session is back after `node_up`).
    pub reachable: bool,
    /// `node_up` happened; the agent has not re-registered yet.
    pub reconnecting: bool,
    /// The manager has marked it DOWN (heartbeat deadline passed).
    pub down: bool,
    /// Outage counter, to ignore stale detection events.
    pub epoch: u32,
    /// Images in the node's local cache.
    pub cache: BTreeSet<String>,
    /// Downloads in progress: image → (when it ends, whether it succeeds).
    pub pulling: BTreeMap<String, (SimTime, bool)>,
    /// Active tasks (assigned, desired ≤ RUNNING) per service.
    pub service_tasks: BTreeMap<ServiceId, u64>,
    /// Active tasks of every service.
    pub total_tasks: u64,
    /// Recent failures: (service, spec version, time).
    pub failures: Vec<(ServiceId, SpecVersion, SimTime)>,
    /// Node id as Docker prints it.
    pub docker_id: String,
    /// When its agent can take the next task operation (they are handled one at a time).
    pub agent_free_at: SimTime,
    /// Its container daemon (starts and stops share it).
    pub daemon: super::daemon::Daemon,
    /// Hostname, shared by every recorded row.
    pub name: Arc<str>,
}

impl Node {
    /// A fresh node from its spec.
    pub fn new(id: NodeId, spec: &NodeSpec) -> Node {
        Node {
            id,
            availability: spec.availability,
            reachable: true,
            reconnecting: false,
            down: false,
            epoch: 0,
            cache: spec.cached_images.iter().cloned().collect(),
            pulling: BTreeMap::new(),
            service_tasks: BTreeMap::new(),
            total_tasks: 0,
            failures: Vec::new(),
            daemon: Default::default(),
            agent_free_at: SimTime::ZERO,
            name: Arc::from(spec.name.as_str()),
            docker_id: crate::model::task::TaskId(1_000_000 + id.0).docker_id().to_string(),
            spec: spec.clone(),
        }
    }

    /// READY and ACTIVE: the scheduler's first filter.
    pub fn accepts_tasks(&self) -> bool {
        !self.down && self.reachable && self.availability == Availability::Active
    }
}

/// Where a task's container is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerPhase {
    /// Not created or not started yet.
    NotStarted,
    /// Process running.
    Running,
    /// Process exited.
    Exited,
}

/// Why a container is being stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopCause {
    /// Not stopping.
    None,
    /// Desired state went past RUNNING.
    Shutdown,
    /// The health monitor found it unhealthy.
    Unhealthy,
}

/// A task's container.
#[derive(Clone, Copy, Debug)]
pub struct Container {
    /// Phase.
    pub phase: ContainerPhase,
    /// When the process started.
    pub started_at: SimTime,
    /// Health status is healthy (or there is no health check).
    pub healthy: bool,
    /// SIGTERM has been sent.
    pub signalled: bool,
    /// Why it is stopping.
    pub stop_cause: StopCause,
    /// The agent has begun stopping it (desired SHUTDOWN seen).
    pub stop_requested: bool,
}

impl Default for Container {
    fn default() -> Self {
        Container {
            phase: ContainerPhase::NotStarted,
            started_at: SimTime::ZERO,
            healthy: false,
            signalled: false,
            stop_cause: StopCause::None,
            stop_requested: false,
        }
    }
}

/// A task's contribution to its service's timeline counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Class {
    /// RUNNING with desired RUNNING.
    pub running: bool,
    /// Serving traffic (healthy, not signalled, node reachable).
    pub serving: bool,
    /// On its way up.
    pub starting: bool,
    /// Desired past RUNNING, container not exited yet.
    pub stopping: bool,
    /// Runs the newest requested spec.
    pub new: bool,
}

/// Per-service counts for `timeline.csv`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
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
    /// Adds (`sign` = 1) or removes (`sign` = -1) one task's class.
    pub fn apply(&mut self, class: Class, add: bool) {
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
}

/// A running updater and the spec it works toward (swarmkit's `Supervisor.updates`).
pub struct ActiveUpdater {
    /// The state machine.
    pub updater: Updater,
    /// Run number, stamped on its timers.
    pub run: u64,
    /// The spec version it was started for.
    pub target: SpecVersion,
}

/// `UpdateStatus`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateStatus {
    /// State.
    pub state: UpdateState,
    /// Message.
    pub message: String,
}

/// A service and its history.
pub struct Service {
    /// Index.
    pub id: ServiceId,
    /// Every spec it has had; tasks point into this by `SpecVersion`.
    pub specs: Vec<ServiceSpec>,
    /// `Spec`.
    pub current: SpecVersion,
    /// `PreviousSpec`.
    pub previous: Option<SpecVersion>,
    /// The task spec of the last `docker service update` / deploy: tasks running it are "new".
    pub newest_requested: TaskSpec,
    /// Per spec version: does it equal `newest_requested`?
    pub version_is_new: Vec<bool>,
    /// `UpdateStatus` (None = nil).
    pub status: Option<UpdateStatus>,
    /// The running updater, if any.
    pub updater: Option<ActiveUpdater>,
    /// Every task ever created for it.
    pub tasks: Vec<TaskId>,
    /// Every task ever created for it, by slot (global: node index + 1).
    pub by_slot: BTreeMap<u64, Vec<TaskId>>,
    /// Restart history per slot (global: per node).
    pub restart_history: BTreeMap<u64, RestartHistory>,
    /// Timeline counts.
    pub counts: Counts,
    /// The counts changed since the last sample.
    pub sample_due: bool,
    /// Index of this service's last row in the recorded timeline.
    pub last_sample: Option<usize>,
    /// Update history for reports.
    pub record: UpdateRecord,
    /// Full name, shared by every recorded row.
    pub name: Arc<str>,
    /// Per spec version, its image, shared by every recorded row.
    pub images: Vec<Arc<str>>,
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
    pub fn spec(&self) -> &ServiceSpec {
        &self.specs[self.current.0 as usize]
    }

    /// A spec by version.
    pub fn spec_at(&self, v: SpecVersion) -> &ServiceSpec {
        &self.specs[v.0 as usize]
    }

    /// Removed by `docker service rm`.
    pub fn is_removed(&self) -> bool {
        self.removed_at.is_some()
    }

    /// Replicated or global.
    pub fn is_global(&self) -> bool {
        matches!(self.spec().mode, ServiceMode::Global)
    }

    /// Adds a spec version and returns it.
    pub fn push_spec(&mut self, spec: ServiceSpec) -> SpecVersion {
        let v = SpecVersion(self.specs.len() as u32);
        self.version_is_new.push(spec.task == self.newest_requested);
        self.images.push(Arc::from(spec.task.image.as_str()));
        self.specs.push(spec);
        v
    }
}

/// A task: the manager's record and the node's view of it.
pub struct Task {
    /// Index.
    pub id: TaskId,
    /// Docker-style id (cached).
    pub docker_id: Arc<str>,
    /// Its service.
    pub service: ServiceId,
    /// Slot number (replicated) or node index + 1 (global).
    pub slot: u64,
    /// Assigned node.
    pub node: Option<NodeId>,
    /// Spec version it runs.
    pub spec: SpecVersion,
    /// Desired state (manager).
    pub desired: TaskState,
    /// Desired state as the agent last heard it.
    pub agent_desired: TaskState,
    /// Observed state (agent).
    pub state: TaskState,
    /// Status message or error.
    pub message: Arc<str>,
    /// Counted on its node's active-task tally.
    pub counted_on_node: bool,
    /// The restart supervisor declined to replace it: its slot stays filled by it.
    pub restart_declined: bool,
    /// The restart supervisor already handled its end.
    pub restart_handled: bool,
    /// Its container.
    pub container: Container,
    /// Its current timeline class.
    pub class: Class,
}

/// A pending `DelayStart`: moves `task` to desired RUNNING once the delay has passed and the
/// old task has stopped (or 60 s passed).
pub struct Gate {
    /// The task to start.
    pub task: TaskId,
    /// Not before this.
    pub delay_until: SimTime,
    /// Wait for this task to be observed past RUNNING (or its node DOWN)...
    pub wait_for: Option<TaskId>,
    /// ...but not after this.
    pub timeout_at: SimTime,
    /// The old task stopped.
    pub old_stopped: bool,
    /// Already released.
    pub done: bool,
}

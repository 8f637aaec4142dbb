//! The control plane: swarmkit's manager (`manager/`). Each component owns its state in its
//! own file, named after swarmkit's: the store (`state/store`), the dispatcher
//! (`dispatcher/`), the allocator and scheduler (`allocator/`, `scheduler/`), the replicated
//! and global orchestrators (`orchestrator/replicated`, `orchestrator/global`), the restart
//! supervisor (`orchestrator/restart`), the update supervisor (`orchestrator/update`), the
//! control API (`controlapi/`) with its secret store, and the recorder that watches the store.
//! The manager sees the machines only as swarmkit's does, through what nodes report, plus the
//! read-only [`ClusterView`] its recorder uses.

mod constraintenforcer;
mod controlapi;
mod dispatcher;
mod leader;
mod orchestrator;
mod record;
mod restart;
mod scheduler;
mod secrets;
mod store;
mod taskreaper;
mod transitions;
mod update;

use crate::model::decision::DecisionKind;
use crate::model::record::{ProcessChange, SecretMount};
use crate::model::scenario::Scenario;
use crate::model::task::{ServiceId, TaskId, TaskState};
use crate::time::SimTime;

use super::Io;
use super::cluster::{Assignment, ClusterView, Message, Uplink};
use dispatcher::Dispatcher;
use record::Recorder;
use restart::RestartSupervisor;
use scheduler::Scheduler;
use secrets::SecretStore;
use store::Store;
use taskreaper::TaskReaper;
use update::UpdateSupervisor;

pub(crate) use controlapi::updated_spec;
pub(crate) use dispatcher::ASSIGNMENT_BATCH_WAIT;
pub(crate) use leader::{API_DOWN, ManagerEndpoint};
pub(crate) use record::Counts;

/// The manager's components.
pub(crate) struct Manager {
    store: Store,
    dispatcher: Dispatcher,
    scheduler: Scheduler,
    restarts: RestartSupervisor,
    updates: UpdateSupervisor,
    secrets: SecretStore,
    reaper: TaskReaper,
    recorder: Recorder,
    /// Whether the control plane runs (the manager's own crash and restart).
    leadership: leader::Leadership,
    /// Services a timeline `docker stack deploy` created, and their stack (the
    /// `com.docker.stack.namespace` label docker/cli puts on them, which `--prune` lists by).
    stack_created: std::collections::BTreeMap<String, String>,
    /// The shared copies of the status messages task transitions carry.
    messages: transitions::Messages,
    /// The global orchestrator's map of nodes (the order of a global service's update).
    global_nodes: orchestrator::GlobalNodes,
}

impl Manager {
    /// A manager of the scenario's nodes, with its secrets, before anything is deployed.
    pub(super) fn new(scenario: &Scenario) -> Manager {
        let mut manager = Manager {
            store: Store::new(&scenario.nodes, crate::world::expected_tasks(scenario)),
            dispatcher: Dispatcher::new(scenario),
            scheduler: Scheduler::default(),
            restarts: RestartSupervisor::default(),
            updates: UpdateSupervisor::default(),
            secrets: SecretStore::new(&scenario.secrets),
            reaper: TaskReaper::new(scenario.task_history_limit),
            recorder: Recorder::default(),
            leadership: leader::Leadership::default(),
            stack_created: std::collections::BTreeMap::new(),
            messages: transitions::Messages::default(),
            global_nodes: orchestrator::GlobalNodes::default(),
        };
        manager.record_nodes();
        manager
    }

    /// Makes this manager the one `Manager::new(scenario)` makes, with the recording options
    /// it was given, keeping the room its store, supervisors and recorder grew (see
    /// `World::renew`). Every component is named, so that one added later must be said here.
    pub(super) fn renew(&mut self, scenario: &Scenario) {
        let Manager {
            store,
            dispatcher,
            scheduler,
            restarts,
            updates,
            secrets,
            reaper,
            recorder,
            leadership,
            stack_created,
            messages,
            global_nodes,
        } = self;
        store.renew(&scenario.nodes, crate::world::expected_tasks(scenario));
        dispatcher.renew(scenario);
        scheduler.clear();
        restarts.clear();
        updates.clear();
        *secrets = SecretStore::new(&scenario.secrets);
        *reaper = TaskReaper::new(scenario.task_history_limit);
        let figures_only = recorder.is_figures_only();
        let strings_forgotten = recorder.clear();
        *leadership = leader::Leadership::default();
        stack_created.clear();
        *global_nodes = orchestrator::GlobalNodes::default();
        // Its shared copies are the recorder's (kept unless it forgot them: see
        // `Recorder::clear`).
        if strings_forgotten {
            *messages = transitions::Messages::default();
        }
        if figures_only {
            // Whether serving spans are read depends on the scenario.
            self.record_figures_only(scenario);
        }
        self.record_nodes();
    }

    /// Records the decisions behind the run from now on (`deploysim explain`).
    pub(super) fn record_decisions(&mut self) {
        self.recorder.record_decisions();
    }

    /// Records only what a run's figures read from now on (a sweep's runs; see
    /// `Recorder::record_figures_only`). The serving spans are read by the request outcomes of
    /// `x-simulation.traffic` and by a blue-green or canary rollout's analysis, and by nothing
    /// else of a figures-only run.
    pub(super) fn record_figures_only(&mut self, scenario: &Scenario) {
        let spans_read = !scenario.traffic.is_empty()
            || scenario.timeline.iter().any(|a| matches!(a.action, crate::model::scenario::Action::Rollout { .. }));
        self.recorder.record_figures_only(spans_read);
    }

    /// Records a decision about service `sid` now, when decisions are recorded; `what` is only
    /// built then (it may look names up).
    pub(super) fn decide(
        &mut self,
        sid: ServiceId,
        now: SimTime,
        what: impl FnOnce(&mut Recorder, &Store) -> DecisionKind,
    ) {
        if !self.recorder.explaining() {
            return;
        }
        let what = what(&mut self.recorder, &self.store);
        let service = self.store.service(sid).name.clone();
        self.recorder.decide(now, &service, what);
    }

    /// The event being handled happens at `now`.
    pub(super) fn clock(&mut self, now: SimTime) {
        self.recorder.set_now(now);
    }

    /// When the last recorded change happened.
    pub(super) fn last_change_at(&self) -> SimTime {
        self.recorder.last_change_at()
    }

    /// Logs a timeline command before it runs; its outcome follows with
    /// [`Manager::log_action_result`].
    pub(super) fn log_action(&mut self, now: SimTime, text: String) -> usize {
        self.recorder.action(now, text)
    }

    /// The outcome of a logged command.
    pub(super) fn log_action_result(&mut self, index: usize, refusal: Option<String>) {
        self.recorder.action_result(index, refusal);
    }

    /// What the task's node is told of it (`dispatcher.Assignments`); its spec only `with_spec`
    /// (a node that already has the task keeps the spec it was sent).
    pub(super) fn assignment(&self, id: TaskId, with_spec: bool) -> Assignment {
        let task = self.store.task(id);
        let service = self.store.service(task.service);
        Assignment {
            task: id,
            node: task.node.expect("only assigned tasks reach a node"),
            state: task.state,
            desired: task.desired,
            spec: with_spec.then(|| service.task_spec_at(task.spec).clone()),
        }
    }

    /// The store's and the recorder's records of `task` will be read soon (see
    /// `Model::prefetch`).
    pub(super) fn prefetch_task(&self, task: TaskId) {
        self.store.prefetch_task(task);
        self.recorder.prefetch_task(task);
    }

    /// Whether the store still holds the task (a task the manager deleted is forgotten once
    /// its node has let it go: a message for it still on its way is then dropped).
    pub(super) fn knows_task(&self, id: TaskId) -> bool {
        self.store.get(id).is_some()
    }

    /// Tasks created so far.
    pub(super) fn task_count(&self) -> usize {
        self.store.task_count()
    }

    /// Task state changes recorded so far.
    pub(super) fn recorded_changes(&self) -> usize {
        self.recorder.recorded_changes()
    }

    /// Invariants checked after every event in tests.
    pub(super) fn assert_invariants(&self) {
        self.updates.assert_invariants(&self.store);
    }
}

impl Uplink for Manager {
    /// `UpdateTaskStatus`: a status that does not move the task forward is stale and ignored
    /// (a node reporting on a task the manager has since marked ORPHANED).
    fn task_status(
        &mut self,
        task: TaskId,
        state: TaskState,
        message: Message<'_>,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        // A task forgotten since was deleted: its status is stale as well.
        if self.store.get(task).is_none_or(|t| t.state >= state) {
            return;
        }
        self.set_state(task, state, message, cluster, io);
    }

    fn container_changed(&mut self, task: TaskId, cluster: ClusterView<'_>) {
        // (A task forgotten since counts nowhere: `touch` ignores it.)
        self.recorder.touch(task, &self.store, cluster);
    }

    fn secrets_mounted(&mut self, task: TaskId, now: SimTime) {
        // The daemon writes each secret the task's spec references into its tmpfs.
        let Some(t) = self.store.get(task) else { return };
        let service = self.store.service(t.service);
        let node = &self.store.node(t.node.expect("a started container has a node")).name;
        let mounts = service
            .task_spec_at(t.spec)
            .secrets
            .iter()
            .map(|r| SecretMount {
                t: now,
                service: service.name.clone(),
                task_id: std::sync::Arc::from(t.id.docker_id()),
                node: node.clone(),
                secret: r.source.clone(),
                path: r.mount_path(),
                uid: r.uid.clone(),
                gid: r.gid.clone(),
                mode: r.mode,
            })
            .collect();
        self.recorder.secret_mounts(mounts);
    }

    fn process_changed(&mut self, task: TaskId, change: ProcessChange) {
        self.recorder.process(task, change, &self.store);
    }

    fn task_forgotten(&mut self, task: TaskId) {
        self.forget_task(task);
    }
}

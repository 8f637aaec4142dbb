//! The control API (swarmkit `manager/controlapi`): the docker commands of a timeline as the
//! manager applies them — `docker service create|update|rollback|scale|rm`
//! (`CreateService`, `UpdateService`, `RemoveService`), `docker node update`
//! (`UpdateNode`), and the secret commands — with Docker's refusals. Also the routes the
//! simulated router derives from service labels (see [`crate::model::route`]).

use crate::model::cluster::Availability;
use crate::model::record::UpdateState;
use crate::model::route::{RouteState, backends};
use crate::model::scenario::{Action, ContainerRef, ServiceUpdate, StackDeploy};
use crate::model::spec::{ServiceMode, ServiceSpec};
use crate::model::task::{NodeId, ServiceId, TaskId, TaskState};
use crate::model::traffic::TrafficSpec;
use crate::time::SimTime;
use crate::world::cluster::{ClusterView, Message};
use crate::world::manager::Counts;
use crate::world::{Event, Io};

use super::Manager;

/// The spec `docker service update` submits.
pub(crate) fn updated_spec(current: &ServiceSpec, u: &ServiceUpdate) -> ServiceSpec {
    let mut spec = current.clone();
    if let Some(image) = &u.image {
        spec.task.image = image.clone();
    }
    u.update.apply_to(&mut spec.update);
    u.rollback.apply_to(&mut spec.rollback);
    if u.force {
        spec.task.force_update += 1;
    }
    if let (Some(n), ServiceMode::Replicated { .. }) = (u.replicas, spec.mode) {
        spec.mode = ServiceMode::Replicated { replicas: n };
    }
    // `--secret-rm` matches by secret name.
    spec.task.secrets.retain(|s| !u.secret_rm.contains(&s.source));
    for s in &u.secret_add {
        if !spec.task.secrets.contains(s) {
            spec.task.secrets.push(s.clone());
        }
    }
    if let Some(g) = u.stop_grace_period {
        spec.task.stop_grace_period = Some(g);
    }
    // docker/cli `updatePlacementConstraints`: additions, then removals, then sorted.
    if !u.constraint_add.is_empty() || !u.constraint_rm.is_empty() {
        let constraints = &mut spec.task.placement.constraints;
        constraints.extend(u.constraint_add.iter().cloned());
        constraints.retain(|c| !u.constraint_rm.contains(c));
        constraints.sort_by_key(|c| c.to_string());
    }
    // `--log-driver`, `--log-opt`: part of the task spec, nothing the simulation reads.
    if let Some(driver) = &u.log_driver {
        spec.task.extra.insert("log-driver".into(), driver.clone());
    }
    for (key, value) in &u.log_opt {
        spec.task.extra.insert(format!("log-opt.{key}"), value.clone());
    }
    apply_health(&mut spec.task, &u.health);
    // `--env-add/rm`, `--mount-add/rm`, `--user`, …: part of the task spec, nothing the
    // simulation reads; docker/cli applies each flag's additions, then its removals.
    for edit in &u.task_edits {
        edit.apply(&mut spec.task.extra);
    }
    crate::model::scenario::apply_ports(&mut spec.task, &u.publish_add, &u.publish_rm);
    // docker/cli `updatePlacementPreferences`: removals, then additions.
    if !u.pref_add.is_empty() || !u.pref_rm.is_empty() {
        let prefs = &mut spec.task.placement.preferences;
        prefs.retain(|p| !u.pref_rm.contains(p));
        prefs.extend(u.pref_add.iter().cloned());
    }
    // docker/cli `updateResources`.
    u.resources.apply_to(&mut spec.task.resources);
    // docker/cli: each `--restart-*` flag given replaces its field of the policy.
    u.restart.apply_to(&mut spec.task.restart);
    // docker/cli `updateNetworks`: removals, then additions, kept sorted.
    if !u.network_add.is_empty() || !u.network_rm.is_empty() {
        let networks = &mut spec.task.networks;
        // The routing mesh's `ingress` is joined through the endpoint, not `Networks`: it is
        // not the CLI's to remove.
        networks.retain(|n| n == "ingress" || !u.network_rm.contains(n));
        networks.extend(u.network_add.iter().map(|(n, _)| n.clone()));
        networks.sort();
        networks.dedup();
    }
    // docker/cli `updateLabels`: additions first, then removals.
    for (key, value) in &u.label_add {
        spec.labels.insert(key.clone(), value.clone());
    }
    for key in &u.label_rm {
        spec.labels.remove(key);
    }
    spec
}

/// docker/cli `updateHealthcheck`: `--no-healthcheck` sets the test to `NONE`; any other
/// `--health-*` flag edits the service's check (starting from an empty one, which keeps the
/// image's test and defaults for what it does not set; a `NONE` test is cleared first).
fn apply_health(task: &mut crate::model::spec::TaskSpec, h: &crate::model::scenario::HealthPatch) {
    use crate::model::spec::{HealthConfig, Healthcheck};
    if h.disable {
        task.healthcheck = Some(Healthcheck::Disabled);
        return;
    }
    if !h.sets_any() {
        return;
    }
    let mut config = match &task.healthcheck {
        Some(Healthcheck::Check(c)) if c.test.first().is_none_or(|t| t != "NONE") => c.clone(),
        _ => HealthConfig::default(),
    };
    if let Some(cmd) = &h.cmd {
        config.test = if cmd.is_empty() { Vec::new() } else { vec!["CMD-SHELL".to_string(), cmd.clone()] };
    }
    config.interval = h.interval.or(config.interval);
    config.timeout = h.timeout.or(config.timeout);
    config.retries = h.retries.or(config.retries);
    config.start_period = h.start_period.or(config.start_period);
    config.start_interval = h.start_interval.or(config.start_interval);
    task.healthcheck = Some(Healthcheck::Check(config));
}

/// What a rollout controller watches of a service.
pub(crate) struct ServiceStatus<'a> {
    /// Its current spec.
    pub spec: &'a ServiceSpec,
    /// Its name.
    pub name: &'a str,
    /// Removed by `docker service rm`.
    pub removed: bool,
    /// Replicas it should have.
    pub desired: u64,
    /// Its timeline counts.
    pub counts: Counts,
    /// Tasks that ended while they should have run.
    pub failures: u64,
    /// UpdateStatus.
    pub update: Option<UpdateState>,
    /// When its last update started.
    pub update_started: Option<SimTime>,
}

impl Manager {
    /// A timeline command for the manager; `Err` is Docker's refusal.
    pub(crate) fn control_api(
        &mut self,
        action: &Action,
        text: &str,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) -> Result<(), String> {
        let named = |m: &Manager, name: &str| m.live_service(name).ok_or_else(|| format!("service {name} not found"));
        match action {
            Action::ServiceUpdate { service, update } => {
                let sid = named(self, service)?;
                if update.rollback_now {
                    self.manual_rollback(sid, io)
                } else {
                    self.service_update(sid, update, cluster, io)
                }
            }
            Action::ServiceRollback { service } => {
                let sid = named(self, service)?;
                self.manual_rollback(sid, io)
            }
            Action::ServiceCreate { spec } => self.service_create(spec, io),
            Action::StackDeploy(deploy) => self.stack_deploy(deploy, cluster, io),
            Action::ServiceRm { service } => {
                let sid = named(self, service)?;
                self.service_rm(sid, cluster, io)
            }
            Action::ServiceScale { service, replicas } => {
                let sid = named(self, service)?;
                if self.store.service(sid).is_global() {
                    return Err("scale can only be used with replicated or replicated-job mode".to_string());
                }
                let u = ServiceUpdate { replicas: Some(*replicas), ..Default::default() };
                self.service_update(sid, &u, cluster, io)
            }
            Action::NodeAvailability { node, availability } => {
                let Some(n) = self.store.node_named(node) else {
                    return Err(format!("node {node} not found"));
                };
                self.set_availability(n, *availability, cluster, io);
                Ok(())
            }
            Action::NodeLabels { node, add, rm } => {
                let Some(n) = self.store.node_named(node) else {
                    return Err(format!("node {node} not found"));
                };
                let mut labels = self.store.node(n).spec.labels.clone();
                // docker/cli `mergeNodeUpdate`: additions, then removals, each of which must exist.
                for (k, v) in add {
                    labels.insert(k.clone(), v.clone());
                }
                for k in rm {
                    if labels.remove(k).is_none() {
                        return Err(format!("key {k} doesn't exist in node's labels"));
                    }
                }
                self.set_labels(n, labels, cluster, io);
                Ok(())
            }
            Action::SwarmUpdate { task_history_limit } => {
                // controlapi `UpdateCluster`: the reaper reads the new spec from its event.
                self.set_task_history_limit(*task_history_limit, io);
                Ok(())
            }
            Action::SecretCreate { secret } => self.secret_create(secret, io.now()),
            Action::SecretRm { name } => self.secret_rm(name),
            Action::SecretLs => {
                let out = self.secrets.ls(io.now(), text);
                self.recorder.output(out);
                Ok(())
            }
            Action::SecretInspect { name } => {
                let out = self.secrets.inspect(name, io.now(), text)?;
                self.recorder.output(out);
                Ok(())
            }
            Action::Rollout { .. }
            | Action::NodeRm { .. }
            | Action::NodeDown { .. }
            | Action::NodeUp { .. }
            | Action::RegistryOutage { .. }
            | Action::ContainerKill { .. }
            | Action::HealthProbes { .. }
            | Action::ImageChange { .. }
            | Action::DaemonKill { .. }
            | Action::DaemonStart { .. } => unreachable!("rollouts and the machines' events are not the manager's"),
        }
    }

    /// controlapi `RemoveNode`'s refusals for the node named `name`: Docker's answer, or the
    /// node to remove.
    pub(crate) fn node_rm_allowed(&self, name: &str, force: bool) -> Result<NodeId, String> {
        let Some(node) = self.store.node_named(name) else { return Err(format!("node {name} not found")) };
        let n = self.store.node(node);
        let refused = |why: String| format!("rpc error: code = FailedPrecondition desc = node {} {why}", n.docker_id);
        if n.spec.role == crate::model::cluster::NodeRole::Manager {
            return Err(refused(
                "is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal"
                    .into(),
            ));
        }
        // Only a READY node needs --force (controlapi `RemoveNode`): a DOWN or UNKNOWN one goes.
        if !force && !n.down && !n.unknown {
            return Err(refused("is not down and can't be removed".into()));
        }
        Ok(node)
    }

    /// controlapi `RemoveNode` once allowed: in one transaction its tasks not yet past RUNNING
    /// become ORPHANED (`orphanNodeTasks`: the dispatcher can no longer report them) and the
    /// node is deleted. The orchestrator then restarts its replicated tasks elsewhere
    /// (`restartTasksByNodeID`: the restart delay applies, the old task is not waited for) and
    /// the global orchestrator drops the node's tasks; the updater sees an orphaned task of the
    /// new spec as a failure.
    pub(crate) fn remove_node(&mut self, node: NodeId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        self.dispatcher_forget(node);
        self.store.remove_node(node);
        self.record_node(node);
        let watch = io.latency(|l| &l.watch);
        for id in self.store.tasks_on(node) {
            self.release_gates_waiting_on(id, cluster, io);
            if self.store.task(id).state < TaskState::Complete {
                self.set_state(
                    id,
                    TaskState::Orphaned,
                    Message::Fixed("Task belonged to a node that has been deleted"),
                    cluster,
                    io,
                );
                io.q.after(watch, Event::UpdaterObserves { task: id, state: TaskState::Orphaned });
            }
            let t = self.store.task(id);
            if t.desired <= TaskState::Running && !self.store.service(t.service).is_global() {
                self.restart(id, cluster, io);
            }
        }
        // The global orchestrator deletes the node's tasks of global services (`EventDeleteNode`
        // → `foreachTaskFromNode(deleteTask)`, global.go); its reconcile gives the node none.
        for id in self.store.tasks_on(node) {
            if self.store.service(self.store.task(id).service).is_global() {
                self.delete_task(id, io);
            }
        }
        self.reconcile_node_change(io);
        self.arm_schedule_tick(io);
    }

    /// The tasks that may hold the container a command names (`SERVICE.SLOT`, or
    /// `SERVICE.NODE` for a global service), newest first: the slot's tasks meant to run.
    pub(crate) fn container_candidates(&self, service: &str, target: &ContainerRef) -> Vec<TaskId> {
        let Some(sid) = self.live_service(service) else { return Vec::new() };
        let svc = self.store.service(sid);
        let slot = match target {
            ContainerRef::Slot(slot) => Some(*slot),
            ContainerRef::Node(name) => {
                self.store.nodes().iter().position(|n| n.spec.name == *name).map(|i| i as u64 + 1)
            }
        };
        let Some(tasks) = slot.and_then(|s| svc.by_slot.get(s)) else { return Vec::new() };
        tasks.iter().rev().copied().filter(|&t| self.store.task(t).desired <= TaskState::Running).collect()
    }

    /// The live (not removed) service named `name`.
    pub(crate) fn live_service(&self, name: &str) -> Option<ServiceId> {
        self.store.services().iter().find(|s| !s.is_removed() && &*s.name == name).map(|s| s.id)
    }

    /// What a rollout controller watches of a service.
    pub(crate) fn service_status(&self, sid: ServiceId) -> ServiceStatus<'_> {
        let s = self.store.service(sid);
        ServiceStatus {
            spec: s.spec(),
            name: &s.name,
            removed: s.is_removed(),
            desired: self.desired_count(sid),
            counts: self.recorder.counts(sid),
            failures: s.failures,
            update: s.status.as_ref().map(|st| st.state),
            update_started: self.recorder.update(sid).started_at,
        }
    }

    /// `UpdateService` for a new spec: PreviousSpec = Spec, UpdateStatus reset to nil even when
    /// nothing changed (which is how a paused update resumes).
    pub(crate) fn service_update(
        &mut self,
        sid: ServiceId,
        u: &ServiceUpdate,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) -> Result<(), String> {
        // The CLI resolves secret names to ids first (`ParseSecrets`).
        if let Some(missing) = self.secrets.missing(u.secret_add.iter().map(|s| s.source.as_str())) {
            return Err(format!("secret not found: {missing}"));
        }
        let current = self.store.service(sid).spec();
        // docker/cli `updateNetworks`: after the removals, a network the service is still on
        // cannot be added again.
        let mut on: Vec<&String> =
            current.task.networks.iter().filter(|n| *n == "ingress" || !u.network_rm.contains(n)).collect();
        for (n, typed) in &u.network_add {
            if on.contains(&n) {
                return Err(format!("service is already attached to network {typed}"));
            }
            on.push(n);
        }
        let spec = updated_spec(current, u);
        if !(0.0..=1.0).contains(&spec.update.max_failure_ratio) {
            return Err("rpc error: code = InvalidArgument desc = TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1".into());
        }
        self.submit_spec(sid, spec, u.touches_tasks(), u.image.as_ref(), cluster, io);
        Ok(())
    }

    /// `UpdateService` with `spec`: `touches_task` says whether the command asked for new
    /// tasks (which tasks the reports count as "new" follows it); `image` is the image it
    /// names, recorded as the service's new version.
    fn submit_spec(
        &mut self,
        sid: ServiceId,
        spec: ServiceSpec,
        touches_task: bool,
        image: Option<&String>,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        if let Some(image) = image {
            let name = self.store.service(sid).name.to_string();
            self.recorder.image_change(io.now(), name, image.clone());
        }
        let had_status = self.store.service(sid).status.is_some();
        self.store.update_service(sid, spec, touches_task);
        if had_status {
            self.recorder.status_reset(sid);
        }
        let arm = self.reaper.spec_changed(io.now());
        self.arm_reaper(arm, io);
        if touches_task {
            // Which tasks count as "new" changed.
            for id in self.store.service_tasks(sid) {
                self.recorder.touch(id, &self.store, cluster);
            }
        }
        io.q.at(io.now(), Event::Reconcile { service: sid, dead_slots: true });
    }

    /// `docker stack deploy` (docker/cli `deployCompose`): with `--prune`, the stack's services
    /// the file no longer has are removed first (`pruneServices`); the file's secrets that do
    /// not exist are created (`createSecrets`; an existing one is left as it is); then each
    /// service is updated if the stack has it, else created (`deployServices`). An update
    /// submits the whole converted spec, keeping the service's `ForceUpdate` counter (stack
    /// deploy has no `--force`), so only a changed task spec replaces tasks (`IsTaskDirty`), under
    /// the new `update_config`; an identical spec still resets UpdateStatus and replaces
    /// nothing. docker/cli takes the services in Go map order; here in file order, all in the
    /// same instant. The first refusal stops the deploy, as it stops the CLI.
    fn stack_deploy(&mut self, deploy: &StackDeploy, cluster: ClusterView<'_>, io: &mut Io<'_>) -> Result<(), String> {
        let members = self.stack_members(deploy);
        if deploy.prune {
            for name in members.iter().filter(|m| !deploy.services.iter().any(|s| s.name == **m)) {
                if let Some(sid) = self.live_service(name) {
                    self.service_rm(sid, cluster, io)?;
                }
            }
        }
        // docker/cli `createSecrets`: a secret that exists is updated (`UpdateSecret`, which
        // refuses any change but its labels), another one created. Recorded on Docker 20.10
        // (tests/data/fidelity/wording/stack-secret-changed.rN.txt): other bytes fail the
        // command with this wording (exit 1) before any service; the same bytes pass silently.
        for secret in deploy.secrets.iter().filter(|s| !s.external) {
            if self.secrets.missing([secret.name.as_str()]).is_some() {
                self.secret_create(secret, io.now())
                    .map_err(|e| format!("failed to create secret {}: {e}", secret.name))?;
            } else {
                self.secrets.update(secret).map_err(|e| format!("failed to update secret {}: {e}", secret.name))?;
            }
        }
        for spec in &deploy.services {
            match self.live_service(&spec.name).filter(|_| members.contains(&spec.name)) {
                Some(sid) => {
                    if let Some(missing) = self.secrets.missing(spec.task.secrets.iter().map(|s| s.source.as_str())) {
                        return Err(format!(
                            "failed to update service {}: Error response from daemon: secret not found: {missing}",
                            spec.name
                        ));
                    }
                    let current = self.store.service(sid).spec();
                    let mut new = spec.clone();
                    new.task.force_update = current.task.force_update;
                    let changed_task = new.task != current.task;
                    let image = (new.task.image != current.task.image).then(|| new.task.image.clone());
                    self.submit_spec(sid, new, changed_task, image.as_ref(), cluster, io);
                }
                None => {
                    self.service_create(spec, io)
                        .map_err(|e| format!("failed to create service {}: {e}", spec.name))?;
                    self.stack_created.insert(spec.name.clone(), deploy.stack.clone());
                }
            }
        }
        Ok(())
    }

    /// The live services of the deploy's stack (docker/cli `getStackServices`, by the
    /// namespace label): those the scenario's stack deployed, and those earlier deploys created.
    fn stack_members(&self, deploy: &StackDeploy) -> Vec<String> {
        let created = self.stack_created.iter().filter(|(_, stack)| **stack == deploy.stack).map(|(name, _)| name);
        let mut out: Vec<String> = deploy
            .initial_members
            .iter()
            .chain(created)
            .filter(|name| self.live_service(name).is_some())
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// `docker service rollback` / `--rollback`: swap Spec and PreviousSpec.
    fn manual_rollback(&mut self, sid: ServiceId, io: &mut Io<'_>) -> Result<(), String> {
        if self.store.swap_to_previous(sid).is_none() {
            return Err(format!(
                "rpc error: code = FailedPrecondition desc = service {} does not have a previous spec",
                self.store.service(sid).name
            ));
        }
        let arm = self.reaper.spec_changed(io.now());
        self.arm_reaper(arm, io);
        self.recorder.begin_update(sid, io.now());
        self.recorder.update_mut(sid).rollback_started_at = Some(io.now());
        self.set_status(sid, UpdateState::RollbackStarted, "manually requested rollback");
        io.q.at(io.now(), Event::Reconcile { service: sid, dead_slots: true });
        Ok(())
    }

    /// `docker service create`: `controlapi.CreateService` refuses a name in use and secrets
    /// that do not exist; the new service is then reconciled like a deployed one.
    pub(crate) fn service_create(&mut self, spec: &ServiceSpec, io: &mut Io<'_>) -> Result<(), String> {
        if self.live_service(&spec.name).is_some() {
            return Err(format!(
                "Error response from daemon: rpc error: code = AlreadyExists desc = name conflicts with an existing object: service {} already exists",
                spec.name
            ));
        }
        if let Some(missing) = self.secrets.missing(spec.task.secrets.iter().map(|s| s.source.as_str())) {
            return Err(format!("secret not found: {missing}"));
        }
        self.add_service(spec.clone(), io);
        self.recorder.image_change(io.now(), spec.name.clone(), spec.task.image.clone());
        Ok(())
    }

    /// `docker service rm`: every task of the service is given desired state REMOVE and
    /// stopped as a shutdown is (SIGTERM, the grace period); its updater stops.
    pub(crate) fn service_rm(
        &mut self,
        sid: ServiceId,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) -> Result<(), String> {
        self.store.remove_service(sid, io.now());
        self.updates.cancel(sid);
        self.recorder.sample_due(sid);
        // swarmkit `SetServiceTasksRemove`: every task of the service, its history included
        // (desired SHUTDOWN), is desired REMOVE, so that the task reaper deletes each once it
        // is shut down or was never assigned.
        for id in self.store.service_tasks(sid) {
            if self.store.task(id).desired < TaskState::Remove {
                self.set_desired(id, TaskState::Remove, cluster, io);
            }
        }
        Ok(())
    }

    /// `docker node update --availability`.
    fn set_availability(
        &mut self,
        node: NodeId,
        availability: Availability,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        self.store.set_availability(node, availability);
        self.record_node(node);
        if availability == Availability::Drain {
            // Replicated tasks are restarted elsewhere with no restart delay; global ones are
            // shut down by the global orchestrator's reconcile.
            for id in self.store.tasks_on(node) {
                let t = self.store.task(id);
                let exited = cluster.container(id).phase == crate::world::cluster::ContainerPhase::Exited;
                let live = t.desired <= TaskState::Running && !exited;
                if live && !self.store.service(t.service).is_global() {
                    self.restart(id, cluster, io);
                }
            }
        }
        // Back to active (m21b): the constraint enforcer checks the node's tasks again.
        self.enforce_constraints(node, cluster, io);
        self.reconcile_node_change(io);
        self.arm_schedule_tick(io);
    }

    /// New node labels (an `EventUpdateNode`): pending tasks may fit now (the scheduler's next
    /// tick), and the constraint enforcer rejects the node's tasks whose service's constraints
    /// it no longer meets, if the node is active (`enforce_constraints`).
    fn set_labels(
        &mut self,
        node: NodeId,
        labels: std::collections::BTreeMap<String, String>,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        self.store.set_labels(node, labels);
        self.enforce_constraints(node, cluster, io);
        self.reconcile_node_change(io);
        self.arm_schedule_tick(io);
    }

    /// Records each traffic route's backends if they changed (after any command that creates
    /// or removes a service or changes its labels). Every traffic route, and the route of every
    /// rollout, is recorded, even without traffic: the reports tell which version would have
    /// answered.
    pub(crate) fn refresh_routes(&mut self, now: SimTime, traffic: &[TrafficSpec], rollout_routes: &[(String, bool)]) {
        let mut watched: Vec<(String, bool)> = traffic.iter().map(|t| (t.service.clone(), !t.route_only)).collect();
        for r in rollout_routes {
            if !watched.iter().any(|(name, _)| *name == r.0) {
                watched.push(r.clone());
            }
        }
        for (route, includes_named) in watched {
            let live = self.store.services().iter().filter(|s| !s.is_removed()).map(|s| (&*s.name, &s.spec().labels));
            let now_backends = backends(&route, includes_named, live);
            self.recorder.route(RouteState { t: now, route, backends: now_backends });
        }
    }

    /// Logs a command a rollout ran, beside the timeline's actions.
    pub(crate) fn log_rollout_command(&mut self, now: SimTime, text: String, refusal: Option<String>) {
        let index = self.recorder.action(now, text);
        self.recorder.action_result(index, refusal);
    }

    /// Serving spans, routes and image changes recorded so far.
    pub(crate) fn traffic_inputs(&self) -> super::record::TrafficInputs<'_> {
        self.recorder.traffic_inputs()
    }
}

//! Timeline actions: the docker commands (`docker service update|rollback|scale`,
//! `docker node update`) as the control API applies them (`controlapi.UpdateService`), and the
//! faults.

use crate::engine::EventQueue;
use crate::model::record::UpdateState;
use crate::model::scenario::{Action, ServiceUpdate};
use crate::model::spec::{ServiceMode, ServiceSpec};
use crate::model::task::{NodeId, ServiceId};

use super::{Event, World};

/// The spec `docker service update` submits.
pub(super) fn updated_spec(current: &ServiceSpec, u: &ServiceUpdate) -> ServiceSpec {
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
    // docker/cli `updateLabels`: additions first, then removals.
    for (key, value) in &u.label_add {
        spec.labels.insert(key.clone(), value.clone());
    }
    for key in &u.label_rm {
        spec.labels.remove(key);
    }
    spec
}

impl World {
    pub(super) fn apply_action(&mut self, index: usize, q: &mut EventQueue<Event>) {
        let timed = self.scenario.timeline[index].clone();
        // Logged before it runs: a strategy's own commands follow the one that started it.
        let slot = self.recorder.actions.len();
        self.recorder.actions.push((q.now(), timed.text.clone(), None));
        let result = match &timed.action {
            Action::ServiceUpdate { service, update } => self.with_service(service, |w, sid| {
                if update.rollback_now { w.manual_rollback(sid, q) } else { w.service_update(sid, update, q) }
            }),
            Action::ServiceRollback { service } => self.with_service(service, |w, sid| w.manual_rollback(sid, q)),
            Action::ServiceCreate { spec } => self.service_create(spec, q),
            Action::ServiceRm { service } => self.with_service(service, |w, sid| w.service_rm(sid, q)),
            Action::Rollout { service, update, strategy } => {
                self.with_service(service, |w, sid| w.start_rollout(sid, update, strategy, &timed.text, q))
            }
            Action::ServiceScale { service, replicas } => self.with_service(service, |w, sid| {
                if w.service(sid).is_global() {
                    return Err("scale can only be used with replicated or replicated-job mode".to_string());
                }
                let u = ServiceUpdate { replicas: Some(*replicas), ..Default::default() };
                w.service_update(sid, &u, q)
            }),
            Action::NodeAvailability { node, availability } => self.with_node(node, |w, n| {
                w.set_availability(n, *availability, q);
                Ok(())
            }),
            Action::NodeDown { node } => self.with_node(node, |w, n| {
                w.node_goes_silent(n, q);
                Ok(())
            }),
            Action::NodeUp { node } => self.with_node(node, |w, n| {
                w.node_answers(n, q);
                Ok(())
            }),
            Action::SecretCreate { secret } => self.secret_create(secret, q.now()),
            Action::SecretRm { name } => self.secret_rm(name),
            Action::SecretLs => {
                let out = self.secret_ls(q.now(), &timed.text);
                self.recorder.outputs.push(out);
                Ok(())
            }
            Action::SecretInspect { name } => self.secret_inspect(name, q.now(), &timed.text).map(|out| {
                self.recorder.outputs.push(out);
            }),
            Action::RegistryOutage { duration } => {
                self.registry_down_until = self.registry_down_until.max(q.now().plus(*duration));
                Ok(())
            }
        };
        self.recorder.actions[slot].2 = result.err();
        self.refresh_routes(q.now());
    }

    fn with_service(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut World, ServiceId) -> Result<(), String>,
    ) -> Result<(), String> {
        match self.live_service(name) {
            Some(sid) => f(self, sid),
            None => Err(format!("service {name} not found")),
        }
    }

    fn with_node(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut World, NodeId) -> Result<(), String>,
    ) -> Result<(), String> {
        match self.nodes.iter().find(|n| n.spec.name == name) {
            Some(n) => {
                let id = n.id;
                f(self, id)
            }
            None => Err(format!("node {name} not found")),
        }
    }

    /// `controlapi.UpdateService` for a new spec: PreviousSpec = Spec, UpdateStatus reset to
    /// nil even when nothing changed (which is how a paused update resumes).
    pub(super) fn service_update(
        &mut self,
        sid: ServiceId,
        u: &ServiceUpdate,
        q: &mut EventQueue<Event>,
    ) -> Result<(), String> {
        // The CLI resolves secret names to ids first (`ParseSecrets`).
        if let Some(missing) = self.missing_secret(u.secret_add.iter().map(|s| s.source.as_str())) {
            return Err(format!("secret not found: {missing}"));
        }
        let spec = updated_spec(self.service(sid).spec(), u);
        if !(0.0..=1.0).contains(&spec.update.max_failure_ratio) {
            return Err("rpc error: code = InvalidArgument desc = TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1".into());
        }
        let touches_task = u.touches_tasks();
        if let Some(image) = &u.image {
            let name = self.service(sid).name.to_string();
            self.recorder.image_changes.push((q.now(), name, image.clone()));
        }
        let svc = self.service_mut(sid);
        if touches_task {
            svc.newest_requested = spec.task.clone();
            let newest = svc.newest_requested.clone();
            svc.version_is_new = svc.specs.iter().map(|s| s.task == newest).collect();
        }
        let version = svc.push_spec(spec);
        svc.previous = Some(svc.current);
        svc.current = version;
        svc.status = None;
        if touches_task {
            let ids = self.service(sid).tasks.clone();
            for id in ids {
                self.touch(id);
            }
        }
        q.at(q.now(), Event::Reconcile { service: sid });
        Ok(())
    }

    /// `docker service rollback` / `--rollback`: swap Spec and PreviousSpec.
    fn manual_rollback(&mut self, sid: ServiceId, q: &mut EventQueue<Event>) -> Result<(), String> {
        let svc = self.service(sid);
        let Some(previous) = svc.previous else {
            return Err(format!(
                "rpc error: code = FailedPrecondition desc = service {} does not have a previous spec",
                svc.name
            ));
        };
        let svc = self.service_mut(sid);
        svc.previous = Some(svc.current);
        svc.current = previous;
        svc.record.started_at = Some(q.now());
        svc.record.completed_at = None;
        svc.record.rollback_started_at = Some(q.now());
        self.set_status(sid, UpdateState::RollbackStarted, "manually requested rollback", q);
        q.at(q.now(), Event::Reconcile { service: sid });
        Ok(())
    }
}

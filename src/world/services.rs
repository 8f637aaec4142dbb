//! Services created and removed during a run (`docker service create`, `docker service rm`),
//! and the routes the simulated router derives from service labels (see
//! [`crate::model::route`]).

use crate::engine::EventQueue;
use crate::model::route::{RouteState, backends};
use crate::model::spec::ServiceSpec;
use crate::model::task::{ServiceId, TaskState};

use super::{Event, World};

impl World {
    /// The live (not removed) service named `name`.
    pub(super) fn live_service(&self, name: &str) -> Option<ServiceId> {
        self.services.iter().find(|s| !s.is_removed() && &*s.name == name).map(|s| s.id)
    }

    /// `docker service create`: `controlapi.CreateService` refuses a name in use and secrets
    /// that do not exist; the new service is then reconciled like a deployed one.
    pub(super) fn service_create(&mut self, spec: &ServiceSpec, q: &mut EventQueue<Event>) -> Result<(), String> {
        if self.live_service(&spec.name).is_some() {
            return Err(format!(
                "Error response from daemon: rpc error: code = AlreadyExists desc = name conflicts with an existing object: service {} already exists",
                spec.name
            ));
        }
        if let Some(missing) = self.missing_secret(spec.task.secrets.iter().map(|s| s.source.as_str())) {
            return Err(format!("secret not found: {missing}"));
        }
        self.add_service(spec.clone(), q);
        self.recorder.image_changes.push((q.now(), spec.name.clone(), spec.task.image.clone()));
        Ok(())
    }

    /// `docker service rm`: every task of the service is given desired state REMOVE and
    /// stopped as a shutdown is (SIGTERM, the grace period); its updater stops.
    pub(super) fn service_rm(&mut self, sid: ServiceId, q: &mut EventQueue<Event>) -> Result<(), String> {
        let svc = self.service_mut(sid);
        svc.removed_at = Some(q.now());
        svc.updater = None;
        svc.sample_due = true;
        let tasks = svc.tasks.clone();
        for id in tasks {
            if self.task(id).desired <= TaskState::Running {
                self.set_desired(id, TaskState::Remove, q);
            }
        }
        Ok(())
    }

    /// Records each traffic route's backends if they changed (after any command that creates
    /// or removes a service or changes its labels).
    pub(super) fn refresh_routes(&mut self, now: crate::time::SimTime) {
        // Every traffic route, and the route of every rollout (recorded even without traffic:
        // the reports tell which version would have answered).
        let mut watched: Vec<(String, bool)> =
            self.scenario.traffic.iter().map(|t| (t.service.clone(), !t.route_only)).collect();
        for r in self.strategy_routes() {
            if !watched.iter().any(|(name, _)| *name == r.0) {
                watched.push(r);
            }
        }
        for (route, includes_named) in watched {
            let live = self.services.iter().filter(|s| !s.is_removed()).map(|s| (&*s.name, &s.spec().labels));
            let now_backends = backends(&route, includes_named, live);
            let routes = &mut self.recorder.routes;
            let last = routes.iter().rposition(|r| r.route == route);
            if last.is_some_and(|i| routes[i].backends == now_backends) {
                continue;
            }
            let state = RouteState { t: now, route, backends: now_backends };
            match last {
                // Several changes at one instant collapse into the last one.
                Some(i) if routes[i].t == now => routes[i] = state,
                _ => routes.push(state),
            }
        }
    }
}

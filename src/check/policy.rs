//! The policy a service really runs with: swarmkit's defaults filled in, the health check that
//! applies (the service's, else the image's `HEALTHCHECK`) with Docker's defaults resolved for
//! the scenario's engine, and the image the update rolls out.

use crate::model::scenario::{Action, Scenario};
use crate::model::spec::{HealthConfig, Healthcheck, RestartPolicy, ServiceMode, ServiceSpec, UpdateConfig};
use crate::swarm::health::ResolvedHealth;
use crate::time::SimDuration;

/// Docker's stop timeout when `stop_grace_period` is unset (Linux daemon default).
pub(crate) const DEFAULT_GRACE: SimDuration = SimDuration::from_secs(10);

/// Where the health check comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HealthSource {
    /// The service's `healthcheck:`.
    Service,
    /// The image's Dockerfile `HEALTHCHECK` (`x-simulation.images.<image>.healthcheck`).
    Image,
}

impl HealthSource {
    /// For output.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HealthSource::Service => "service healthcheck",
            HealthSource::Image => "image HEALTHCHECK",
        }
    }
}

/// The health check a new task runs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Health {
    /// Service or image.
    pub source: HealthSource,
    /// As configured (`test` and what was set).
    pub config: HealthConfig,
    /// With Docker's defaults for the scenario's engine.
    pub resolved: ResolvedHealth,
    /// How long one probe takes in the scenario (`x-simulation.latencies.probe`, typical).
    pub probe: SimDuration,
}

/// A service's policy with every default applied.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EffectivePolicy {
    /// Full name (`web_web`).
    pub service: String,
    /// The name in the stack file (`web`), for field paths.
    pub short: String,
    /// replicated (with replicas) or global.
    pub mode: ServiceMode,
    /// The image the service runs at deploy time.
    pub image: String,
    /// The image the first `docker service update --image` of the timeline rolls out, if any.
    pub update_image: Option<String>,
    /// `update_config`.
    pub update: UpdateConfig,
    /// `rollback_config`.
    pub rollback: UpdateConfig,
    /// The health check new tasks run; `None` when there is none (or it is disabled).
    pub health: Option<Health>,
    /// `disable: true` / `test: ["NONE"]` was written.
    pub health_disabled: bool,
    /// `restart_policy`.
    pub restart: RestartPolicy,
    /// `stop_grace_period`, default 10 s.
    pub stop_grace_period: SimDuration,
    /// `placement.max_replicas_per_node` (0 = unlimited).
    pub max_replicas_per_node: u64,
    /// `placement.constraints`, as written.
    pub constraints: Vec<String>,
    /// Ports published in host mode.
    pub host_ports: Vec<u64>,
    /// `resources.reservations` of each task.
    pub reservations: crate::model::spec::Resources,
    /// The engine whose defaults were applied (`20.10`, `27`).
    pub engine: &'static str,
}

impl EffectivePolicy {
    /// The image new tasks of the rollout run.
    pub(crate) fn rollout_image(&self) -> &str {
        self.update_image.as_deref().unwrap_or(&self.image)
    }

    /// `services.<short>.<rest>`, Docker's dotted field path.
    pub(crate) fn field(&self, rest: &str) -> String {
        format!("services.{}.{rest}", self.short)
    }
}

/// The effective policy of `spec` in `scenario`.
pub(crate) fn effective(scenario: &Scenario, spec: &ServiceSpec) -> EffectivePolicy {
    let update_image = update_image(scenario, &spec.name);
    let rollout_image = update_image.clone().unwrap_or_else(|| spec.task.image.clone());
    let health = health(scenario, &spec.task.healthcheck, &rollout_image);
    let short = spec.name.strip_prefix(&format!("{}_", scenario.stack)).unwrap_or(&spec.name).to_string();
    let constraints = spec.task.placement.constraints.iter().map(constraint_text).collect();
    EffectivePolicy {
        service: spec.name.clone(),
        short,
        mode: spec.mode,
        image: spec.task.image.clone(),
        update_image,
        update: spec.update.clone(),
        rollback: spec.rollback.clone(),
        health,
        health_disabled: is_disabled(&spec.task.healthcheck),
        restart: spec.task.restart.clone(),
        stop_grace_period: spec.task.stop_grace_period.unwrap_or(DEFAULT_GRACE),
        max_replicas_per_node: spec.task.placement.max_replicas_per_node,
        constraints,
        host_ports: spec.task.host_ports.clone(),
        reservations: spec.task.resources.reservations,
        engine: scenario.engine.as_str(),
    }
}

fn constraint_text(c: &crate::model::spec::Constraint) -> String {
    let op = match c.op {
        crate::model::spec::ConstraintOp::Eq => "==",
        crate::model::spec::ConstraintOp::Ne => "!=",
    };
    format!("{} {op} {}", c.key, c.value)
}

/// The image of the first `docker service update --image` for `service` in the timeline.
fn update_image(scenario: &Scenario, service: &str) -> Option<String> {
    scenario.timeline.iter().find_map(|a| match &a.action {
        Action::ServiceUpdate { service: s, update } | Action::Rollout { service: s, update, .. } if s == service => {
            update.image.clone()
        }
        _ => None,
    })
}

fn is_disabled(h: &Option<Healthcheck>) -> bool {
    match h {
        Some(Healthcheck::Disabled) => true,
        Some(Healthcheck::Check(c)) => c.test.first().is_some_and(|t| t == "NONE"),
        None => false,
    }
}

/// The same choice the simulated agent makes ([`crate::swarm::health::effective`]): the
/// service's check merged over the image's `HEALTHCHECK`; `NONE`, `disable` or no test means none.
pub(crate) fn health(scenario: &Scenario, service: &Option<Healthcheck>, image: &str) -> Option<Health> {
    let source = if service.is_some() { HealthSource::Service } else { HealthSource::Image };
    let config = crate::swarm::health::effective(service.as_ref(), scenario.image(image).healthcheck.as_ref())?;
    let resolved = ResolvedHealth::resolve(&config, scenario.engine);
    Some(Health { source, config, resolved, probe: crate::check::timing::probe_duration(scenario) })
}

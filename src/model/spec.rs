//! Service specs as swarmkit holds them (`api.ServiceSpec`, `api.TaskSpec`), with swarmkit's
//! defaults (`api/defaults/service.go`), not the compose docs'.

use std::collections::BTreeMap;

use crate::time::SimDuration;

/// `update_config.order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdateOrder {
    /// Stop the old task, then start the new one (swarmkit's default).
    StopFirst,
    /// Start the new task, stop the old one once the new one runs.
    StartFirst,
}

impl UpdateOrder {
    /// Docker's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateOrder::StopFirst => "stop-first",
            UpdateOrder::StartFirst => "start-first",
        }
    }
}

/// `update_config.failure_action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureAction {
    /// Pause the update (swarmkit's default).
    Pause,
    /// Ignore failures.
    Continue,
    /// Roll back to the previous spec.
    Rollback,
}

impl FailureAction {
    /// Docker's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureAction::Pause => "pause",
            FailureAction::Continue => "continue",
            FailureAction::Rollback => "rollback",
        }
    }
}

/// `update_config` / `rollback_config` (`api.UpdateConfig`).
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateConfig {
    /// Workers updating slots at once; 0 means one per dirty slot.
    pub parallelism: u64,
    /// Sleep of each worker after its new task is observed at or past RUNNING.
    pub delay: SimDuration,
    /// How long after RUNNING a failure of an updated task still counts.
    pub monitor: SimDuration,
    /// What to do when the failure ratio is exceeded.
    pub failure_action: FailureAction,
    /// Failures / dirty slots above this (compared in f32, strictly) trigger the action.
    pub max_failure_ratio: f32,
    /// stop-first or start-first.
    pub order: UpdateOrder,
}

impl Default for UpdateConfig {
    /// `defaults.Service.Update` (and `.Rollback`, which is identical): 1 / 0s / 5s / pause /
    /// 0 / stop-first.
    fn default() -> Self {
        UpdateConfig {
            parallelism: 1,
            delay: SimDuration::ZERO,
            monitor: SimDuration::from_secs(5),
            failure_action: FailureAction::Pause,
            max_failure_ratio: 0.0,
            order: UpdateOrder::StopFirst,
        }
    }
}

/// `restart_policy.condition`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RestartCondition {
    /// Never restart, not even after node loss or drain.
    None,
    /// Restart unless the task completed (exit 0).
    OnFailure,
    /// Always restart (swarmkit's default).
    Any,
}

impl RestartCondition {
    /// Docker's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartCondition::None => "none",
            RestartCondition::OnFailure => "on-failure",
            RestartCondition::Any => "any",
        }
    }
}

/// `restart_policy` (`api.RestartPolicy`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RestartPolicy {
    /// When to restart.
    pub condition: RestartCondition,
    /// Wait before a replacement starts (default 5s).
    pub delay: SimDuration,
    /// Restarts allowed (0 = unlimited).
    pub max_attempts: u64,
    /// Window over which `max_attempts` counts (0 = unbounded).
    pub window: SimDuration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            condition: RestartCondition::Any,
            delay: SimDuration::from_secs(5),
            max_attempts: 0,
            window: SimDuration::ZERO,
        }
    }
}

/// A health check as configured (stack `healthcheck` or a Dockerfile `HEALTHCHECK`). Durations
/// left unset (or zero) take Docker's defaults when the container runs; see
/// [`crate::model::scenario::EngineVersion`] for the version-dependent `start_interval`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct HealthConfig {
    /// The test command, as Docker stores it (`["CMD-SHELL", "..."]`); informative only.
    pub test: Vec<String>,
    /// Time between probes (default 30s).
    pub interval: Option<SimDuration>,
    /// Probe timeout (default 30s).
    pub timeout: Option<SimDuration>,
    /// Consecutive failures before unhealthy (default 3; 0 means 3).
    pub retries: Option<u32>,
    /// Grace period in which failures do not count (default 0).
    pub start_period: Option<SimDuration>,
    /// Probe interval inside the start period (Engine ≥ 25; default depends on the engine).
    pub start_interval: Option<SimDuration>,
}

/// The health check a service asks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Healthcheck {
    /// `disable: true` / `test: ["NONE"]`: no health check, even if the image has one.
    Disabled,
    /// An explicit check that overrides the image's `HEALTHCHECK`.
    Check(HealthConfig),
}

/// A placement constraint operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConstraintOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

/// One `placement.constraints` entry, e.g. `node.role == manager`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Constraint {
    /// `node.role`, `node.hostname`, `node.id`, `node.labels.<k>`, `engine.labels.<k>`, ...
    pub key: String,
    /// `==` or `!=`.
    pub op: ConstraintOp,
    /// Compared case-insensitively, as swarmkit does.
    pub value: String,
}

impl std::fmt::Display for Constraint {
    /// As docker writes it: `node.role==manager`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.op {
            ConstraintOp::Eq => "==",
            ConstraintOp::Ne => "!=",
        };
        write!(f, "{}{op}{}", self.key, self.value)
    }
}

/// `deploy.placement`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Placement {
    /// All must hold.
    pub constraints: Vec<Constraint>,
    /// 0 means unlimited.
    pub max_replicas_per_node: u64,
    /// `preferences: - spread: node.labels.zone`: the spread descriptors, outermost first
    /// (swarmkit builds its decision tree from them, `nodeset.go` `tree`).
    pub preferences: Vec<String>,
}

/// `api.Resources`: CPU in nano-CPUs (10⁹ = one CPU) and memory in bytes, as swarmkit counts
/// them (`NanoCPUs`, `MemoryBytes`). Zero means unset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Resources {
    /// `NanoCPUs`.
    pub nano_cpus: u64,
    /// `MemoryBytes`.
    pub memory_bytes: u64,
}

impl Resources {
    /// Neither CPU nor memory set.
    pub fn is_zero(&self) -> bool {
        self.nano_cpus == 0 && self.memory_bytes == 0
    }

    /// CPUs as docker prints them (`0.3`, `2`).
    pub fn cpus_text(&self) -> String {
        format_cpus(self.nano_cpus)
    }
}

/// Nano-CPUs as a decimal number of CPUs without trailing zeros (`300000000` → `0.3`).
pub fn format_cpus(nano: u64) -> String {
    let whole = nano / 1_000_000_000;
    let frac = nano % 1_000_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:09}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Bytes as docker's `units.BytesSize` would round them, in binary units (`512MiB`, `1.5GiB`).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{}", UNITS[unit])
}

/// `api.ResourceRequirements` (`deploy.resources`, `--reserve-*`, `--limit-*`). Only the
/// reservations matter to the scheduler (swarmkit `ResourceFilter`); limits only shape the
/// container, so they only make tasks dirty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ResourceRequirements {
    /// `Reservations`: what the scheduler sets aside on the node for the task.
    pub reservations: Resources,
    /// `Limits`.
    pub limits: Resources,
}

/// `api.TaskSpec`: what a task runs. Two tasks are the same "version" when these are equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TaskSpec {
    /// `image: name:tag`.
    pub image: String,
    /// `None`: the image's HEALTHCHECK applies.
    pub healthcheck: Option<Healthcheck>,
    /// `stop_grace_period`; `None` is Docker's default (10s on Linux).
    pub stop_grace_period: Option<SimDuration>,
    /// `deploy.restart_policy`.
    pub restart: RestartPolicy,
    /// `deploy.placement`.
    pub placement: Placement,
    /// `deploy.resources`.
    pub resources: ResourceRequirements,
    /// Secrets the task mounts (their values never enter the simulator).
    pub secrets: Vec<crate::model::secret::SecretRef>,
    /// Configs the task mounts (`ConfigReference`s, with the same file target fields as a
    /// secret's; the simulated cluster mounts none, they only decide dirtiness).
    pub configs: Vec<crate::model::secret::SecretRef>,
    /// Bumped by `docker service update --force`: makes every task dirty.
    pub force_update: u64,
    /// Labels and other container settings that only matter for dirtiness.
    pub extra: BTreeMap<String, String>,
    /// Ports published in host mode (`ports` long syntax, `mode: host`). Each task holds them on
    /// its node from its assignment until it ends, so no two tasks publishing one port share a
    /// node (swarmkit's `HostPortFilter`). (Swarm keeps ports in the endpoint spec; they are also
    /// in `extra`, which keeps dirtiness as before.)
    pub host_ports: Vec<u64>,
    /// Swarm networks the task is attached to (`Spec.Networks`; `ingress` when it publishes a
    /// port through the routing mesh). A task on any of them has a service binding: moby's
    /// executor takes it out of the load balancer and waits its gossip-converge delay (2 s)
    /// before stopping it (`controller.Shutdown`).
    pub networks: Vec<String>,
}

impl TaskSpec {
    /// Whether `self` and `other` differ in their placement at most (swarmkit
    /// `IsTaskDirtyPlacementConstraintsOnly` compares the specs with the placement of one
    /// copied into the other). Compared field by field, without that copy: the update
    /// supervisor asks this of every slot it looks at. The destructuring names every field,
    /// so a field added to `TaskSpec` must be added here too.
    pub fn same_but_placement(&self, other: &TaskSpec) -> bool {
        let TaskSpec {
            image,
            healthcheck,
            stop_grace_period,
            restart,
            placement: _,
            resources,
            secrets,
            configs,
            force_update,
            extra,
            host_ports,
            networks,
        } = self;
        *image == other.image
            && *healthcheck == other.healthcheck
            && *stop_grace_period == other.stop_grace_period
            && *restart == other.restart
            && *resources == other.resources
            && *secrets == other.secrets
            && *configs == other.configs
            && *force_update == other.force_update
            && *extra == other.extra
            && *host_ports == other.host_ports
            && *networks == other.networks
    }

    /// A spec running `image` with every other field at its default.
    pub fn with_image(image: &str) -> TaskSpec {
        TaskSpec {
            image: image.to_string(),
            healthcheck: None,
            stop_grace_period: None,
            restart: RestartPolicy::default(),
            placement: Placement::default(),
            resources: ResourceRequirements::default(),
            secrets: Vec::new(),
            configs: Vec::new(),
            force_update: 0,
            extra: BTreeMap::new(),
            host_ports: Vec::new(),
            networks: Vec::new(),
        }
    }
}

/// `deploy.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceMode {
    /// N replicas spread over the nodes.
    Replicated {
        /// Desired replicas.
        replicas: u64,
    },
    /// One task per eligible node.
    Global,
}

/// `api.ServiceSpec`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSpec {
    /// Full name, `<stack>_<service>` as `docker stack deploy` names it.
    pub name: String,
    /// replicated or global.
    pub mode: ServiceMode,
    /// What each task runs.
    pub task: TaskSpec,
    /// `update_config`.
    pub update: UpdateConfig,
    /// `rollback_config`.
    pub rollback: UpdateConfig,
    /// Service labels (`deploy.labels`, `--label`, `--label-add`): outside the task spec, so
    /// changing them replaces no task. A simulated router reads `deploysim.route` and
    /// `deploysim.weight` from them (see [`crate::model::route`]).
    pub labels: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_differing_in_placement_alone_are_told_from_any_other_difference() {
        let old = TaskSpec::with_image("nginx:1.13");
        let mut placed = old.clone();
        placed.placement.constraints.push(Constraint {
            key: "node.role".into(),
            op: ConstraintOp::Eq,
            value: "worker".into(),
        });
        placed.placement.max_replicas_per_node = 2;
        assert!(placed.same_but_placement(&old) && old.same_but_placement(&placed));
        let changes: [fn(&mut TaskSpec); 4] = [
            |s| s.image = "nginx:1.14".into(),
            |s| s.force_update += 1,
            |s| _ = s.extra.insert("label".into(), "x".into()),
            |s| s.networks.push("ingress".into()),
        ];
        for change in changes {
            let mut other = placed.clone();
            change(&mut other);
            assert!(!other.same_but_placement(&old) && !old.same_but_placement(&other));
        }
    }
}

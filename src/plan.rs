//! `deploysim plan`: what a `docker stack deploy` of a new stack file over the running one would
//! do — per service create, update (which fields; whether tasks are replaced), remove (only with
//! `--prune`) or leave — and, for each service that replaces tasks, the rollout the simulation
//! predicts and the hazards `deploysim check` finds in its new policy.
//!
//! The comparison follows what the deploy sends: docker/cli `deployServices` submits each
//! service's whole converted spec (keeping `ForceUpdate`), and swarmkit replaces a task only
//! when its task spec differs (`manager/orchestrator/task.go` `IsTaskDirty`, which also compares
//! the endpoint spec); service-only fields (`deploy.labels`, `replicas`, `update_config`,
//! `rollback_config`) replace nothing. Pure: specs and a run record in, a [`Plan`] out;
//! loading, simulating and printing are in `commands::plan`.

use serde::Serialize;

use crate::check::{Finding, ServiceCheck};
use crate::model::record::RunRecord;
use crate::model::spec::{ServiceMode, ServiceSpec, TaskSpec};
use crate::time::SimTime;

/// What the deploy does to one service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Change {
    /// Not in the old stack: created.
    Create,
    /// In both, something differs: updated.
    Update,
    /// In both, identical: still a service update, which replaces nothing.
    Unchanged,
    /// Not in the new file, removed by `--prune`.
    Remove,
    /// Not in the new file, left running (no `--prune`).
    Leave,
}

impl Change {
    fn sign(self) -> char {
        match self {
            Change::Create => '+',
            Change::Update => '~',
            Change::Unchanged => '=',
            Change::Remove => '-',
            Change::Leave => ' ',
        }
    }
}

/// The predicted rollout of a service whose tasks are replaced.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Rollout {
    /// The last UpdateStatus state (`completed`, `paused`, `rollback_completed`, …).
    pub state: String,
    /// From the update's start to its completion, in seconds (`None`: it never completed).
    pub duration_s: Option<String>,
    /// Tasks the updater created.
    pub tasks_replaced: u64,
    /// Fewest tasks serving from the deploy on.
    pub lowest_serving: u64,
    /// Desired tasks at that moment.
    pub desired: u64,
    /// Most tasks with a container above the desired count.
    pub extra_tasks: u64,
}

/// One service of the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct ServicePlan {
    /// `<stack>_<service>`.
    pub service: String,
    /// What happens to it.
    pub change: Change,
    /// Whether its tasks are replaced (a task-spec change).
    pub replaces_tasks: bool,
    /// The task-spec fields that differ (each one replaces tasks).
    pub task_fields: Vec<FieldChange>,
    /// The service-only fields that differ (none replaces a task).
    pub service_fields: Vec<FieldChange>,
    /// The simulated rollout, for a service whose tasks are replaced.
    pub rollout: Option<Rollout>,
    /// The hazards of its new policy (`deploysim check`), for a service created or updated.
    pub hazards: Vec<Finding>,
}

/// One field that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct FieldChange {
    /// The stack file's name for it (`image`, `environment`, `deploy.update_config`, …).
    pub field: String,
    /// Old and new value, when short enough to show (`nginx:1.13 -> nginx:1.14`).
    pub detail: Option<String>,
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Plan {
    /// The old stack file (scenario).
    pub old: String,
    /// The new stack file.
    pub new: String,
    /// The stack deployed.
    pub stack: String,
    /// `--prune`.
    pub prune: bool,
    /// The seed of the simulated rollout.
    pub seed: u64,
    /// When the deploy was simulated (seconds after the old stack was deployed, once it settled).
    pub deployed_at_s: String,
    /// Every service, the new file's first (in its order), then the old-only ones.
    pub services: Vec<ServicePlan>,
    /// Services whose tasks would be replaced.
    pub replacing: usize,
}

/// The task-spec and service-only differences between `old` and `new` (what `IsTaskDirty`
/// compares, and what it ignores). `ForceUpdate` is not compared: the deploy keeps the old one.
pub(crate) fn differences(old: &ServiceSpec, new: &ServiceSpec) -> (Vec<FieldChange>, Vec<FieldChange>) {
    let mut task = Vec::new();
    let (o, n) = (&old.task, &new.task);
    let field = |out: &mut Vec<FieldChange>, name: &str, differs: bool, detail: Option<String>| {
        if differs {
            out.push(FieldChange { field: name.to_string(), detail });
        }
    };
    let arrow = |a: &str, b: &str| Some(format!("{a} -> {b}"));
    field(&mut task, "image", o.image != n.image, arrow(&o.image, &n.image));
    field(&mut task, "healthcheck", o.healthcheck != n.healthcheck, None);
    let grace = |t: &TaskSpec| t.stop_grace_period.map_or("10s (default)".to_string(), |d| d.to_string());
    field(&mut task, "stop_grace_period", o.stop_grace_period != n.stop_grace_period, arrow(&grace(o), &grace(n)));
    field(&mut task, "deploy.restart_policy", o.restart != n.restart, None);
    field(&mut task, "deploy.placement", o.placement != n.placement, None);
    field(&mut task, "secrets", o.secrets != n.secrets, None);
    field(&mut task, "networks", o.networks != n.networks, Some(format!("{:?} -> {:?}", o.networks, n.networks)));
    field(&mut task, "ports (host mode)", o.host_ports != n.host_ports, None);
    let mut keys: Vec<&String> = o.extra.keys().chain(n.extra.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (a, b) = (o.extra.get(key), n.extra.get(key));
        let shown = |v: Option<&String>| v.map_or("(none)".to_string(), |s| s.clone());
        let detail = (shown(a).len() + shown(b).len() <= 60).then(|| format!("{} -> {}", shown(a), shown(b)));
        field(&mut task, key, a != b, detail);
    }
    let mut service = Vec::new();
    let replicas = |m: &ServiceMode| match m {
        ServiceMode::Replicated { replicas } => format!("{replicas} replicas"),
        ServiceMode::Global => "global".to_string(),
    };
    field(&mut service, "deploy.replicas", old.mode != new.mode, arrow(&replicas(&old.mode), &replicas(&new.mode)));
    field(&mut service, "deploy.update_config", old.update != new.update, None);
    field(&mut service, "deploy.rollback_config", old.rollback != new.rollback, None);
    field(&mut service, "deploy.labels", old.labels != new.labels, None);
    (task, service)
}

/// Builds the plan from the old and new specs, the run that simulated the deploy at
/// `deployed_at`, and the new policy's checks (by service name).
pub(crate) fn plan(
    header: (String, String, String, bool, u64),
    old: &[ServiceSpec],
    new: &[ServiceSpec],
    run: &RunRecord,
    deployed_at: SimTime,
    checks: &[(String, ServiceCheck)],
) -> Plan {
    let (old_file, new_file, stack, prune, seed) = header;
    let hazards =
        |name: &str| checks.iter().find(|(n, _)| n == name).map(|(_, c)| c.findings.clone()).unwrap_or_default();
    let mut services = Vec::new();
    for spec in new {
        let plan = match old.iter().find(|o| o.name == spec.name) {
            None => ServicePlan {
                service: spec.name.clone(),
                change: Change::Create,
                replaces_tasks: false,
                task_fields: Vec::new(),
                service_fields: Vec::new(),
                rollout: None,
                hazards: hazards(&spec.name),
            },
            Some(current) => {
                let (task_fields, service_fields) = differences(current, spec);
                let replaces = !task_fields.is_empty();
                let change = if replaces || !service_fields.is_empty() { Change::Update } else { Change::Unchanged };
                ServicePlan {
                    service: spec.name.clone(),
                    change,
                    replaces_tasks: replaces,
                    task_fields,
                    service_fields,
                    rollout: replaces.then(|| rollout(run, &spec.name, deployed_at)).flatten(),
                    hazards: if change == Change::Unchanged { Vec::new() } else { hazards(&spec.name) },
                }
            }
        };
        services.push(plan);
    }
    for spec in old.iter().filter(|o| !new.iter().any(|n| n.name == o.name)) {
        services.push(ServicePlan {
            service: spec.name.clone(),
            change: if prune { Change::Remove } else { Change::Leave },
            replaces_tasks: false,
            task_fields: Vec::new(),
            service_fields: Vec::new(),
            rollout: None,
            hazards: Vec::new(),
        });
    }
    let replacing = services.iter().filter(|s| s.replaces_tasks).count();
    Plan { old: old_file, new: new_file, stack, prune, seed, deployed_at_s: deployed_at.secs_ms(), services, replacing }
}

/// The simulated rollout of `service` from `from` on.
fn rollout(run: &RunRecord, service: &str, from: SimTime) -> Option<Rollout> {
    let record = run.services.iter().find(|s| s.name == service)?;
    let update = &record.update;
    let started = update.started_at?;
    let samples: Vec<_> = run.timeline.iter().filter(|s| *s.service == *service && s.t >= from).collect();
    let lowest = samples.iter().min_by_key(|s| s.serving);
    let extra = samples
        .iter()
        .map(|s| (s.running_old + s.running_new + s.starting + s.stopping).saturating_sub(s.desired))
        .max()
        .unwrap_or(0);
    Some(Rollout {
        state: update.state.map_or("none".to_string(), |s| s.as_str().to_string()),
        duration_s: update.completed_at.map(|c| crate::time::SimDuration(c.0 - started.0).secs_ms()),
        tasks_replaced: update.tasks_replaced,
        lowest_serving: lowest.map_or(0, |s| s.serving),
        desired: lowest.map_or(0, |s| s.desired),
        extra_tasks: extra,
    })
}

/// The plan as text.
pub(crate) fn text(p: &Plan) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let prune = if p.prune { " --prune" } else { "" };
    let _ =
        writeln!(out, "plan: docker stack deploy -c {}{prune} {} over {} (seed {})\n", p.new, p.stack, p.old, p.seed);
    let width = p.services.iter().map(|s| s.service.len()).max().unwrap_or(0);
    for s in &p.services {
        let what = match s.change {
            Change::Create => "create".to_string(),
            Change::Update if s.replaces_tasks => "update, replaces tasks".to_string(),
            Change::Update => "update, replaces no task".to_string(),
            Change::Unchanged => "unchanged (a service update that replaces nothing)".to_string(),
            Change::Remove => "remove (--prune)".to_string(),
            Change::Leave => format!("left running (not in {}; removed only with --prune)", p.new),
        };
        let _ = writeln!(out, "  {} {:width$}  {what}", s.change.sign(), s.service);
        let pad = " ".repeat(width + 6);
        let list = |fields: &[FieldChange]| {
            fields
                .iter()
                .map(|f| match &f.detail {
                    Some(d) => format!("{} ({d})", f.field),
                    None => f.field.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !s.task_fields.is_empty() {
            let _ = writeln!(out, "{pad}task spec: {}", list(&s.task_fields));
        }
        if !s.service_fields.is_empty() {
            let _ = writeln!(out, "{pad}service only: {}", list(&s.service_fields));
        }
        if let Some(r) = &s.rollout {
            let duration = match &r.duration_s {
                Some(d) => format!("{} in {d}s", r.state),
                None => format!("{} (not completed)", r.state),
            };
            let _ = writeln!(
                out,
                "{pad}rollout: {duration}, {} tasks replaced, lowest serving {} of {}, up to {} extra tasks",
                r.tasks_replaced, r.lowest_serving, r.desired, r.extra_tasks
            );
        }
        for h in &s.hazards {
            let _ = writeln!(out, "{pad}{}: {} [{}]", h.severity.as_str(), h.message, h.id);
        }
    }
    let noun = if p.replacing == 1 { "service" } else { "services" };
    let _ = writeln!(out, "\n{} {noun} would replace tasks.", p.replacing);
    out
}

/// The plan as one JSON document (fixed field order).
pub(crate) fn json(p: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(p).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::UpdateConfig;

    fn spec(image: &str) -> ServiceSpec {
        ServiceSpec {
            name: "s_web".into(),
            mode: ServiceMode::Replicated { replicas: 2 },
            task: TaskSpec::with_image(image),
            update: UpdateConfig::default(),
            rollback: UpdateConfig::default(),
            labels: Default::default(),
        }
    }

    #[test]
    fn task_fields_replace_service_fields_do_not() {
        let old = spec("a:1");
        let mut new = spec("a:2");
        new.mode = ServiceMode::Replicated { replicas: 3 };
        new.labels.insert("team".into(), "x".into());
        new.task.force_update = 7;
        let (task, service) = differences(&old, &new);
        assert_eq!(task.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["image"]);
        assert_eq!(task[0].detail.as_deref(), Some("a:1 -> a:2"));
        let names: Vec<&str> = service.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["deploy.replicas", "deploy.labels"]);
        let mut env = spec("a:1");
        env.task.extra.insert("environment".into(), "{A: 1}".into());
        let (task, service) = differences(&old, &env);
        assert_eq!((task.len(), service.len()), (1, 0));
        assert_eq!(task[0].field, "environment");
        assert_eq!(differences(&old, &spec("a:1")), (Vec::new(), Vec::new()));
    }
}

//! `docker service ls` and `docker service inspect --format '{{json .UpdateStatus}}'` at an
//! instant, from the replayed task store, the timeline samples and the UpdateStatus history.
//!
//! What differs from a real swarm, and why:
//! - service ids are derived from the service name (the record has none);
//! - IMAGE is the image of the service's newest task: the spec the CLI shows changes when the
//!   command is issued and its first task follows within milliseconds;
//! - PORTS is empty: the scenario model keeps no published ports (only host-mode ones, for
//!   placement), so `*:8080->80/tcp` cannot be rebuilt;
//! - UpdateStatus times are offsets from the scenario start (`"+60.000s"`): the simulation has
//!   no wall clock, and an invented date would suggest one.

use crate::model::record::{RunRecord, StatusChange, UpdateState};
use crate::model::scenario::Scenario;
use crate::model::spec::{ServiceMode, ServiceSpec};
use crate::model::task::TaskState;
use crate::ps::docker_fmt::{natural_cmp, pseudo_id, strip_digest, tabulate, truncate_id};
use crate::ps::replay::TaskRow;
use crate::time::SimTime;

/// The header row of `docker service ls`.
pub const HEADER: [&str; 6] = ["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"];

/// `docker service ls` at `now` for `services` (sorted by name, as the CLI does).
pub fn render_ls(
    record: &RunRecord,
    services: &[&ServiceSpec],
    tasks: &[TaskRow],
    now: SimTime,
    trunc: bool,
) -> String {
    // `docker service ls` lists the services that exist then.
    let mut sorted: Vec<&ServiceSpec> = services.iter().copied().filter(|s| exists(record, &s.name, now)).collect();
    sorted.sort_by(|a, b| natural_cmp(&a.name, &b.name));
    let mut table = vec![HEADER.iter().map(|h| h.to_string()).collect()];
    for spec in sorted {
        table.push(ls_row(record, spec, tasks, now, trunc));
    }
    tabulate(&table)
}

fn ls_row(record: &RunRecord, spec: &ServiceSpec, tasks: &[TaskRow], now: SimTime, trunc: bool) -> Vec<String> {
    let id = pseudo_id(&spec.name);
    let id = if trunc { truncate_id(&id).to_string() } else { id };
    let image = current_image(spec, tasks);
    let image = if trunc { strip_digest(&image).to_string() } else { image };
    vec![id, spec.name.clone(), mode(spec).to_string(), replicas(record, spec, tasks, now), image, String::new()]
}

fn mode(spec: &ServiceSpec) -> &'static str {
    match spec.mode {
        ServiceMode::Replicated { .. } => "replicated",
        ServiceMode::Global => "global",
    }
}

/// REPLICAS: tasks RUNNING with desired RUNNING / desired tasks, with the CLI's
/// `(max N per node)` suffix when `max_replicas_per_node` is set.
pub fn replicas(record: &RunRecord, spec: &ServiceSpec, tasks: &[TaskRow], now: SimTime) -> String {
    let running = tasks
        .iter()
        .filter(|t| *t.service == *spec.name && t.state == TaskState::Running && t.desired == TaskState::Running)
        .count();
    let text = format!("{running}/{}", desired_at(record, spec, now));
    match spec.task.placement.max_replicas_per_node {
        0 => text,
        max => format!("{text} (max {max} per node)"),
    }
}

/// Desired tasks at `now`: the last timeline sample's count (it follows scale commands and, for
/// global services, the eligible nodes), else the deployed spec's replicas.
fn desired_at(record: &RunRecord, spec: &ServiceSpec, now: SimTime) -> u64 {
    let sampled = record.timeline.iter().take_while(|s| s.t <= now).filter(|s| *s.service == *spec.name).last();
    match (sampled, spec.mode) {
        (Some(s), _) => s.desired,
        (None, ServiceMode::Replicated { replicas }) => replicas,
        (None, ServiceMode::Global) => 0,
    }
}

/// The image of the service's most recently created task, else of its deployed spec.
fn current_image(spec: &ServiceSpec, tasks: &[TaskRow]) -> String {
    let newest = tasks.iter().filter(|t| *t.service == *spec.name).max_by(|a, b| a.created.cmp(&b.created));
    newest.map_or_else(|| spec.task.image.clone(), |t| t.image.to_string())
}

/// `{{json .UpdateStatus}}` at `now`: `null` before the service's first update, else
/// `{"State":…,"StartedAt":…,"CompletedAt":…,"Message":…}` with Go's field order and
/// `omitempty` (CompletedAt only once completed or rolled back).
pub fn update_status_json(record: &RunRecord, service: &str, now: SimTime) -> String {
    let Some(svc) = record.services.iter().find(|s| s.name == service) else { return "null".to_string() };
    let seen: Vec<&StatusChange> = svc.status_changes.iter().take_while(|c| c.t <= now).collect();
    let Some(last) = seen.last() else { return "null".to_string() };
    // A spec update since then that asked for no new task set it back to nil.
    if svc.status_timeline().take_while(|&(t, ..)| t <= now).last().is_some_and(|(_, state, _)| state.is_none()) {
        return "null".to_string();
    }
    let started = seen.iter().rev().find(|c| matches!(c.state, UpdateState::Updating | UpdateState::RollbackStarted));
    let completed = matches!(last.state, UpdateState::Completed | UpdateState::RollbackCompleted).then_some(last.t);
    let mut fields = vec![format!("\"State\":{}", quote(last.state.as_str()))];
    if let Some(c) = started {
        fields.push(format!("\"StartedAt\":{}", quote(&offset(c.t))));
    }
    if let Some(t) = completed {
        fields.push(format!("\"CompletedAt\":{}", quote(&offset(t))));
    }
    if !last.message.is_empty() {
        fields.push(format!("\"Message\":{}", quote(&last.message)));
    }
    format!("{{{}}}", fields.join(","))
}

/// An instant as an offset from the scenario start: `+60.000s`.
pub fn offset(t: SimTime) -> String {
    format!("+{}s", t.secs_ms())
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Every service the run had, in order of creation: the stack's, then those created by a
/// timeline `docker service create` or by a blue-green or canary rollout (its spec: the rolled
/// out service's, renamed, with the new image).
pub fn all_specs(scenario: &Scenario, record: &RunRecord) -> Vec<ServiceSpec> {
    let mut out: Vec<ServiceSpec> = scenario.services.clone();
    for a in &scenario.timeline {
        let created: Vec<&ServiceSpec> = match &a.action {
            crate::model::scenario::Action::ServiceCreate { spec } => vec![&**spec],
            crate::model::scenario::Action::StackDeploy(deploy) => deploy.services.iter().collect(),
            _ => Vec::new(),
        };
        for spec in created {
            if !out.iter().any(|s| s.name == spec.name) {
                out.push(spec.clone());
            }
        }
    }
    for s in &record.strategies {
        if let Some(base) = out.iter().find(|x| x.name == s.service).cloned()
            && !out.iter().any(|x| x.name == s.new_service)
        {
            let mut spec = base;
            spec.name = s.new_service.clone();
            spec.task.image = s.image.clone();
            out.push(spec);
        }
    }
    out
}

/// Whether `service` exists at `now` (created, not yet removed).
pub fn exists(record: &RunRecord, service: &str, now: SimTime) -> bool {
    record
        .services
        .iter()
        .find(|s| s.name == service)
        .is_none_or(|s| s.created_at <= now && s.removed_at.is_none_or(|r| r > now))
}

/// The services named by `wanted` (full `stack_service` or short `service` names; a service
/// created during the run by its name) among `specs`, or the stack's when `wanted` is empty (as
/// `docker stack ps`); `Err` names the unknown ones and lists the known ones.
pub fn select<'a>(
    scenario: &Scenario,
    specs: &'a [ServiceSpec],
    wanted: &[String],
) -> Result<Vec<&'a ServiceSpec>, String> {
    if wanted.is_empty() {
        return Ok(specs.iter().filter(|s| scenario.services.iter().any(|x| x.name == s.name)).collect());
    }
    let mut out = Vec::new();
    for name in wanted {
        let full = format!("{}_{name}", scenario.stack);
        match specs.iter().find(|s| s.name == *name || s.name == full) {
            Some(s) if !out.iter().any(|o: &&ServiceSpec| o.name == s.name) => out.push(s),
            Some(_) => {}
            None => {
                let known: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
                return Err(format!("no such service: {name} (the scenario has: {})", known.join(", ")));
            }
        }
    }
    Ok(out)
}

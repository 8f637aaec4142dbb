//! `docker service create [OPTIONS] IMAGE [COMMAND] [ARG...]` in a timeline: the flags that
//! shape what the simulator models (name, replicas, mode, labels, update and rollback configs,
//! health check, restart policy, constraints, secrets, grace period, published ports; and the
//! task-spec flags of `task_flags.rs`), parsed with the CLI's
//! rules into a full service spec with docker's defaults for the rest.

use crate::model::scenario::{Action, ResourcesPatch, RestartPatch, UpdateConfigPatch};
use crate::model::spec::{HealthConfig, Healthcheck, ServiceMode, ServiceSpec, TaskSpec, UpdateConfig};
use crate::scenario::docker_cli::{
    Args, Arity, CONFIG_FLAGS, CommandError, Flag, HEALTH_FLAGS, Names, RESOURCE_FLAGS, RESTART_FLAGS, apply_patch,
    apply_resource_flag, apply_restart_flag, constraint, error, label, network_target, parse_args_until, parse_choice,
    parse_duration, parse_replicas, parse_u64, placement_pref, secret_source, switch, value,
};
use crate::scenario::{normalize_image, task_flags};

/// Besides [`CONFIG_FLAGS`], [`HEALTH_FLAGS`] and [`RESOURCE_FLAGS`].
const CREATE_FLAGS: &[Flag] = &[
    value("name"),
    value("replicas"),
    value("mode"),
    Flag { long: "label", short: Some('l'), arity: Arity::Value },
    value("stop-grace-period"),
    value("secret"),
    value("constraint"),
    value("replicas-max-per-node"),
    value("placement-pref"),
    Flag { long: "env", short: Some('e'), arity: Arity::Value },
    Flag { long: "publish", short: Some('p'), arity: Arity::Value },
    value("network"),
    value("container-label"),
    value("mount"),
    value("config"),
    Flag { long: "user", short: Some('u'), arity: Arity::Value },
    Flag { long: "workdir", short: Some('w'), arity: Arity::Value },
    value("stop-signal"),
    switch("with-registry-auth", None),
    switch("detach", Some('d')),
    switch("quiet", Some('q')),
];

/// Real flags the simulator does not model.
const UNMODELLED: &[&str] = &[
    "cap-add",
    "cap-drop",
    "credential-spec",
    "dns",
    "endpoint-mode",
    "entrypoint",
    "generic-resource",
    "group",
    "host",
    "hostname",
    "init",
    "isolation",
    "log-driver",
    "log-opt",
    "read-only",
    "sysctl",
    "tty",
    "ulimit",
];

/// Parses `docker service create` (the words after `create`).
pub(super) fn service_create(args: &[&str], names: Names<'_>) -> Result<Vec<Action>, Vec<CommandError>> {
    // Flags end at IMAGE: what follows is the container's command.
    let parsed = parse_args_until(
        args,
        &[CREATE_FLAGS, CONFIG_FLAGS, HEALTH_FLAGS, RESOURCE_FLAGS, RESTART_FLAGS],
        UNMODELLED,
        true,
    )
    .map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let spec = build(&parsed, names, &mut errors);
    match spec {
        Some(spec) if errors.is_empty() => Ok(vec![Action::ServiceCreate { spec: Box::new(spec) }]),
        _ => Err(errors),
    }
}

fn build(parsed: &Args<'_>, names: Names<'_>, errors: &mut Vec<CommandError>) -> Option<ServiceSpec> {
    let Some((image, command)) = parsed.positional.split_first() else {
        let hint = Some("usage: docker service create [OPTIONS] IMAGE [COMMAND] [ARG...]".to_string());
        errors.push(error("\"docker service create\" requires at least 1 argument.", hint));
        return None;
    };
    let mut spec = ServiceSpec {
        name: String::new(),
        mode: ServiceMode::Replicated { replicas: 1 },
        task: TaskSpec::with_image(&normalize_image(image)),
        update: UpdateConfig::default(),
        rollback: UpdateConfig::default(),
        labels: Default::default(),
    };
    if !command.is_empty() {
        spec.task.extra.insert("command".into(), command.join(" "));
    }
    let (mut update, mut rollback) = (UpdateConfigPatch::default(), UpdateConfigPatch::default());
    let mut resources = ResourcesPatch::default();
    let mut restart = RestartPatch::default();
    let mut health = HealthConfig::default();
    let (mut health_set, mut no_health, mut global, mut replicas) = (false, false, false, None);
    let mut ports = Vec::new();
    for (flag, v) in &parsed.flags {
        let result = match *flag {
            "name" => {
                spec.name = v.clone();
                Ok(())
            }
            "replicas" => parse_replicas(flag, v).map(|n| replicas = Some(n)),
            "mode" => parse_choice(flag, v, &[("replicated", false), ("global", true)]).map(|g| global = g),
            "label" => label(flag, v).map(|(k, val)| {
                spec.labels.insert(k, val);
            }),
            "stop-grace-period" => parse_duration(flag, v).map(|d| spec.task.stop_grace_period = Some(d)),
            "secret" => secret_source(flag, v).map(|s| spec.task.secrets.push(s)),
            "no-healthcheck" => {
                no_health = v == "true";
                Ok(())
            }
            "constraint" => constraint(flag, v).map(|c| spec.task.placement.constraints.push(c)),
            "replicas-max-per-node" => parse_u64(flag, v).map(|n| spec.task.placement.max_replicas_per_node = n),
            "reserve-cpu" | "reserve-memory" | "limit-cpu" | "limit-memory" => {
                apply_resource_flag(&mut resources, flag, v)
            }
            "placement-pref" => placement_pref(flag, v).map(|d| spec.task.placement.preferences.push(d)),
            // The task joins it: its stops wait the overlay's gossip (see TaskSpec::networks).
            "network" => network_target(flag, v).map(|n| {
                if !spec.task.networks.contains(&n) {
                    spec.task.networks.push(n);
                    spec.task.networks.sort();
                }
            }),
            // Registry credentials go with the pull options, which no task compares.
            "detach" | "quiet" | "with-registry-auth" => Ok(()),
            "publish" => task_flags::publish(flag, v).map(|p| ports.extend(p)),
            f if let Some((_, kind)) = task_flags::CREATE_TASK_FLAGS.iter().find(|(c, _)| *c == f) => {
                task_flags::edit(f, kind, v).map(|e| e.apply(&mut spec.task.extra))
            }
            f if f.starts_with("health-") => {
                health_set = true;
                health_flag(&mut health, f, v)
            }
            f if f.starts_with("restart-") => apply_restart_flag(&mut restart, f, v),
            f => match (f.strip_prefix("update-"), f.strip_prefix("rollback-")) {
                (Some(field), _) => apply_patch(&mut update, field, f, v),
                (_, Some(field)) => apply_patch(&mut rollback, field, f, v),
                _ => Ok(()),
            },
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    update.apply_to(&mut spec.update);
    rollback.apply_to(&mut spec.rollback);
    crate::model::scenario::apply_ports(&mut spec.task, &ports, &[]);
    resources.apply_to(&mut spec.task.resources);
    restart.apply_to(&mut spec.task.restart);
    if no_health && health_set {
        errors.push(error("--no-healthcheck conflicts with --health-* options", None));
    }
    if no_health {
        spec.task.healthcheck = Some(Healthcheck::Disabled);
    } else if health_set {
        spec.task.healthcheck = Some(Healthcheck::Check(health));
    }
    if global {
        if replicas.is_some() {
            errors.push(error("replicas can only be used with replicated or replicated-job mode", None));
        }
        spec.mode = ServiceMode::Global;
    } else if let Some(n) = replicas {
        spec.mode = ServiceMode::Replicated { replicas: n };
    }
    if spec.name.is_empty() {
        let hint = "docker would pick a random name; the timeline needs one to refer to: add --name".to_string();
        errors.push(error("docker service create needs --name in a simulation", Some(hint)));
    } else if names.services.iter().any(|s| s.full == spec.name && s.in_stack) {
        let hint =
            "the stack deploys it at t = 0; remove it first (docker service rm) or pick another --name".to_string();
        errors.push(error(format!("service {} already exists", spec.name), Some(hint)));
    }
    Some(spec)
}

fn health_flag(h: &mut HealthConfig, flag: &str, v: &str) -> Result<(), CommandError> {
    match flag {
        "health-cmd" => h.test = vec!["CMD-SHELL".to_string(), v.to_string()],
        "health-interval" => h.interval = Some(parse_duration(flag, v)?),
        "health-timeout" => h.timeout = Some(parse_duration(flag, v)?),
        "health-start-period" => h.start_period = Some(parse_duration(flag, v)?),
        "health-start-interval" => h.start_interval = Some(parse_duration(flag, v)?),
        "health-retries" => h.retries = Some(u32::try_from(parse_u64(flag, v)?).unwrap_or(u32::MAX)),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::command::parse;
    use crate::scenario::docker_cli::ServiceRef;
    use crate::time::SimDuration;

    fn services() -> Vec<ServiceRef> {
        vec![ServiceRef { full: "web_web".into(), short: "web".into(), global: false, in_stack: true }]
    }

    fn create(line: &str) -> Result<ServiceSpec, Vec<CommandError>> {
        let nodes = vec!["node-1".to_string()];
        let names = Names {
            services: &services(),
            nodes: &nodes,
            managers: &nodes[..1],
            base_dir: std::path::Path::new("."),
            stack: "web",
            stack_deployed: &[],
            vars: &Default::default(),
        };
        parse(line, names).map(|mut a| match a.remove(0) {
            Action::ServiceCreate { spec } => *spec,
            other => panic!("not a create: {other:?}"),
        })
    }

    #[test]
    fn flags_shape_the_spec_with_docker_defaults_for_the_rest() {
        let spec = create(
            "docker service create --name web_green --replicas 4 -l deploysim.route=web_web --label tier=front \
             --update-parallelism 2 --update-order start-first --health-cmd 'curl -f http://localhost/' \
             --health-interval 5s --health-retries 3 --restart-condition on-failure --stop-grace-period 30s \
             --constraint node.role==worker --env A=1 -d nginx:1.14-alpine",
        )
        .unwrap();
        assert_eq!(spec.name, "web_green");
        assert_eq!(spec.mode, ServiceMode::Replicated { replicas: 4 });
        assert_eq!(spec.labels["deploysim.route"], "web_web");
        assert_eq!(spec.labels["tier"], "front");
        assert_eq!(spec.update.parallelism, 2);
        assert_eq!(spec.update.monitor, SimDuration::from_secs(5));
        assert_eq!(spec.rollback, UpdateConfig::default());
        let Some(Healthcheck::Check(h)) = &spec.task.healthcheck else { panic!("no health check") };
        assert_eq!(h.test, ["CMD-SHELL", "curl -f http://localhost/"]);
        assert_eq!((h.interval, h.retries, h.timeout), (Some(SimDuration::from_secs(5)), Some(3), None));
        assert_eq!(spec.task.restart.condition, crate::model::spec::RestartCondition::OnFailure);
        assert_eq!(spec.task.stop_grace_period, Some(SimDuration::from_secs(30)));
        assert_eq!(spec.task.placement.constraints.len(), 1);
        assert_eq!(spec.task.image, "nginx:1.14-alpine");
        assert_eq!(create("docker service create --name x --mode global app").unwrap().mode, ServiceMode::Global);
        assert_eq!(create("docker service create --name x app").unwrap().task.image, "app:latest");
        // After IMAGE come the container's command and arguments, never flags.
        let spec = create("docker service create --name x app:2 nginx -p 80 -g 'daemon off;'").unwrap();
        assert_eq!(spec.task.extra["command"], "nginx -p 80 -g daemon off;");
    }

    #[test]
    fn mistakes_are_named_with_a_hint() {
        let first = |line: &str| create(line).unwrap_err().remove(0);
        let e = first("docker service create nginx:1.14-alpine");
        assert!(e.message.contains("needs --name") && e.hint.unwrap().contains("--name"));
        let e = first("docker service create --name web_web nginx");
        assert_eq!(e.message, "service web_web already exists");
        let e = first("docker service create --name g --label deploysim.weight=ten nginx");
        assert!(e.message.contains("deploysim.weight must be a non-negative integer"), "{}", e.message);
        assert!(first("docker service create --name g --cap-add NET_ADMIN nginx").message.contains("not simulated"));
        assert!(first("docker service create --name g --dns 1.1.1.1 nginx").message.contains("not simulated"));
        let e = first("docker service create --name g --placement-pref binpack=x nginx");
        assert!(
            e.message.ends_with("unsupported placement preference binpack (only spread is supported)"),
            "{}",
            e.message
        );
        let spec = create("docker service create --name g --placement-pref spread=node.labels.zone nginx").unwrap();
        assert_eq!(spec.task.placement.preferences, vec!["node.labels.zone".to_string()]);
        let e = first("docker service create --name g --reserve-cpu 1.5x nginx");
        assert_eq!(
            e.message,
            "invalid argument \"1.5x\" for \"--reserve-cpu\" flag: failed to parse 1.5x as a rational number"
        );
        let spec = create("docker service create --name g --reserve-cpu 0.25 --reserve-memory 1g --limit-cpu 1 nginx")
            .unwrap();
        assert_eq!(spec.task.resources.reservations.nano_cpus, 250_000_000);
        assert_eq!(spec.task.resources.reservations.memory_bytes, 1 << 30);
        assert_eq!(spec.task.resources.limits.nano_cpus, 1_000_000_000);
        assert!(
            first("docker service create --name g --no-healthcheck --health-cmd x nginx").message.contains("conflicts")
        );
        assert!(first("docker service create --name g").message.contains("requires at least 1 argument"));
        assert!(
            first("docker service create --name g --mode global --replicas 2 nginx").message.contains("replicated")
        );
    }
}

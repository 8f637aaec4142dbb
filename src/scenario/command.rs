//! The docker commands a timeline may `run:`, parsed into actions with the CLI's own flag rules
//! (`--flag value` and `--flag=value`, shorthands, interspersed arguments) and its error wording.

use crate::limits::MAX_REPLICAS;
use crate::model::scenario::{Action, ContainerRef, KillSignal, ServiceUpdate};
use crate::scenario::docker_cli::{
    AVAILABILITIES, Arity, CONFIG_FLAGS, CommandError, Flag, HEALTH_FLAGS, Names, RESOURCE_FLAGS, RESTART_FLAGS,
    ServiceRef, apply_patch, apply_resource_flag, apply_restart_flag, constraint, error, invalid, label,
    network_target, parse_args, parse_args_until, parse_bool, parse_choice, parse_duration, parse_replicas,
    parse_retries, placement_pref, positive_duration, secret_source, switch, value,
};
use crate::scenario::{normalize_image, shell, stdin_feed, suggest, task_flags};

const SUPPORTED: &str = "supported: docker service update [flags] SERVICE, docker service rollback SERVICE, \
docker service scale SERVICE=N..., docker service create [flags] IMAGE, docker service rm SERVICE..., \
docker node update --availability active|pause|drain NODE, docker node rm [--force] NODE..., docker kill [--signal KILL|TERM] SERVICE.SLOT..., \
docker secret create|rm|ls|inspect, docker stack deploy -c FILE [--prune] STACK, \
docker swarm update --task-history-limit N";

/// Parses one command line into the actions it performs.
/// Whatever is fed to standard input (`echo V |`, `<<< V`, a heredoc) is cut off first, by the
/// shell's rules and whatever the command: only `docker secret create NAME -` reads it, and no
/// message quotes it.
pub fn parse(line: &str, names: Names<'_>) -> Result<Vec<Action>, Vec<CommandError>> {
    let cut = stdin_feed::split(line.trim()).map_err(|e| vec![error(e, None)])?;
    let words = shell::split(cut.command).map_err(|e| vec![error(e, None)])?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if matches!(cut.separator, Some(';' | '&' | '\n')) {
        let hint = "give each command its own timeline entry (- at: ... run: ...)";
        return Err(vec![error(
            "a timeline run: is one docker command (;, & and newlines separate commands)",
            Some(hint.into()),
        )]);
    }
    if let ["docker", "secret", ..] = words.as_slice() {
        return super::secret_command::parse(&words, &cut, names.base_dir);
    }
    if cut.has_feed() {
        let shown = words.iter().take(3).copied().collect::<Vec<_>>().join(" ");
        let hint = "only docker secret create NAME - reads standard input: remove the pipe or redirection";
        return Err(vec![error(format!("{shown} does not read standard input"), Some(hint.into()))]);
    }
    match words.as_slice() {
        ["docker", "service", "update", args @ ..] => service_update(args, names),
        ["docker", "service", "rollback", args @ ..] => service_rollback(args, names),
        ["docker", "service", "scale", args @ ..] => service_scale(args, names),
        ["docker", "service", "create", args @ ..] => super::create_command::service_create(args, names),
        ["docker", "service", "rm" | "remove", args @ ..] => service_rm(args, names),
        ["docker", "node", "update", args @ ..] => node_update(args, names),
        ["docker", "node", "rm" | "remove", args @ ..] => node_rm(args, names),
        ["docker", "swarm", "update", args @ ..] => swarm_update(args),
        ["docker", "kill", args @ ..] | ["docker", "container", "kill", args @ ..] => container_kill(args, names),
        ["docker", rest @ ..] => {
            let shown = rest.iter().take(2).copied().collect::<Vec<_>>().join(" ");
            Err(vec![error(format!("unsupported command: docker {shown}"), Some(SUPPORTED.into()))])
        }
        _ => Err(vec![error("a timeline command must start with \"docker\"", Some(SUPPORTED.into()))]),
    }
}

const UPDATE_FLAGS: &[Flag] = &[
    value("image"),
    switch("force", None),
    value("replicas"),
    value("secret-add"),
    value("secret-rm"),
    value("stop-grace-period"),
    value("label-add"),
    value("label-rm"),
    value("constraint-add"),
    value("constraint-rm"),
    value("log-driver"),
    value("log-opt"),
    value("placement-pref-add"),
    value("placement-pref-rm"),
    switch("with-registry-auth", None),
    switch("rollback", None),
    switch("detach", Some('d')),
    switch("quiet", Some('q')),
    value("publish-add"),
    value("publish-rm"),
    value("env-add"),
    value("env-rm"),
    value("container-label-add"),
    value("container-label-rm"),
    value("mount-add"),
    value("mount-rm"),
    value("config-add"),
    value("config-rm"),
    value("args"),
    Flag { long: "user", short: Some('u'), arity: Arity::Value },
    Flag { long: "workdir", short: Some('w'), arity: Arity::Value },
    value("stop-signal"),
    value("network-add"),
    value("network-rm"),
];

fn service_update(args: &[&str], names: Names<'_>) -> Result<Vec<Action>, Vec<CommandError>> {
    let parsed =
        parse_args_until(args, &[UPDATE_FLAGS, CONFIG_FLAGS, HEALTH_FLAGS, RESOURCE_FLAGS, RESTART_FLAGS], &[], false)
            .map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let service = one_service("docker service update", &parsed.positional, names).map_err(|e| errors.push(e)).ok();
    let mut update = ServiceUpdate::default();
    // A stack's networks are kept by their key under `networks:`; Docker names them
    // `<stack>_<key>`, which is what a person types.
    let in_stack = service.is_some_and(|s| s.in_stack);
    let stack_prefix = format!("{}_", names.stack);
    let network = |name: String| match name.strip_prefix(&stack_prefix) {
        Some(key) if in_stack => key.to_string(),
        _ => name,
    };
    for (flag, value) in &parsed.flags {
        let result = match *flag {
            "network-add" => network_target(flag, value).map(|n| update.network_add.push((network(n.clone()), n))),
            "network-rm" => {
                update.network_rm.push(network(value.to_string()));
                Ok(())
            }
            _ => apply_update_flag(&mut update, flag, value),
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    if update.health.disable && update.health.sets_any() {
        errors.push(error("--no-healthcheck conflicts with --health-* options", None));
    }
    if update.rollback_now && parsed.flags.iter().any(|(f, _)| !matches!(*f, "rollback" | "detach" | "quiet")) {
        errors.push(error("other flags may not be combined with --rollback", None));
    }
    if let (Some(s), Some(_)) = (service, update.replicas)
        && s.global
    {
        errors.push(error("replicas can only be used with replicated or replicated-job mode", None));
    }
    match service {
        Some(s) if errors.is_empty() => {
            let action = if update.rollback_now {
                Action::ServiceRollback { service: s.full.clone() }
            } else {
                Action::ServiceUpdate { service: s.full.clone(), update: Box::new(update) }
            };
            Ok(vec![action])
        }
        _ => Err(errors),
    }
}

fn apply_update_flag(u: &mut ServiceUpdate, flag: &str, value: &str) -> Result<(), CommandError> {
    match flag {
        "image" => u.image = Some(normalize_image(value)),
        "force" => u.force = parse_bool(flag, value)?,
        "replicas" => u.replicas = Some(parse_replicas(flag, value)?),
        "secret-add" => u.secret_add.push(secret_source(flag, value)?),
        "secret-rm" => u.secret_rm.push(value.to_string()),
        "stop-grace-period" => u.stop_grace_period = Some(parse_duration(flag, value)?),
        "rollback" => u.rollback_now = parse_bool(flag, value)?,
        "label-add" => u.label_add.push(label(flag, value)?),
        "label-rm" => u.label_rm.push(value.to_string()),
        "constraint-add" => u.constraint_add.push(constraint(flag, value)?),
        "constraint-rm" => u.constraint_rm.push(constraint(flag, value)?),
        "log-driver" => u.log_driver = Some(value.to_string()),
        "log-opt" => u.log_opt.push(label(flag, value)?),
        "reserve-cpu" | "reserve-memory" | "limit-cpu" | "limit-memory" => {
            apply_resource_flag(&mut u.resources, flag, value)?
        }
        "placement-pref-add" => u.pref_add.push(placement_pref(flag, value)?),
        "placement-pref-rm" => u.pref_rm.push(placement_pref(flag, value)?),
        "no-healthcheck" => u.health.disable = parse_bool(flag, value)?,
        "health-cmd" => u.health.cmd = Some(value.to_string()),
        "health-interval" => u.health.interval = Some(positive_duration(flag, value)?),
        "health-timeout" => u.health.timeout = Some(positive_duration(flag, value)?),
        "health-start-period" => u.health.start_period = Some(positive_duration(flag, value)?),
        "health-start-interval" => u.health.start_interval = Some(positive_duration(flag, value)?),
        "health-retries" => u.health.retries = Some(parse_retries(flag, value)?),
        "publish-add" => u.publish_add.extend(task_flags::publish(flag, value)?),
        f if f.starts_with("restart-") => apply_restart_flag(&mut u.restart, flag, value)?,
        "publish-rm" => u.publish_rm.extend(task_flags::publish(flag, value)?),
        f if task_flags::UPDATE_TASK_FLAGS.contains(&f) => u.task_edits.push(task_flags::edit(flag, f, value)?),
        // The registry credentials go with the spec's pull options, which swarmkit ignores
        // when judging a task that has its image already (`IsTaskDirty`): no task changes.
        "with-registry-auth" => {
            parse_bool(flag, value)?;
        }
        "detach" | "quiet" => {
            parse_bool(flag, value)?;
        }
        _ => {
            if let Some(field) = flag.strip_prefix("update-") {
                apply_patch(&mut u.update, field, flag, value)?;
            } else if let Some(field) = flag.strip_prefix("rollback-") {
                apply_patch(&mut u.rollback, field, flag, value)?;
            }
        }
    }
    Ok(())
}

fn one_service<'n>(cmd: &str, positional: &[&str], names: Names<'n>) -> Result<&'n ServiceRef, CommandError> {
    match positional {
        [name] => find_service(name, names),
        _ => Err(error(
            format!("\"{cmd}\" requires exactly 1 argument."),
            Some(format!("usage: {cmd} [OPTIONS] SERVICE")),
        )),
    }
}

fn find_service<'n>(name: &str, names: Names<'n>) -> Result<&'n ServiceRef, CommandError> {
    if let Some(s) = names.services.iter().find(|s| s.full == name) {
        return Ok(s);
    }
    let message = format!("no such service: {name}");
    if let Some(s) = names.services.iter().find(|s| s.short == name) {
        let hint = format!("did you mean \"{}\"? docker stack deploy names services <stack>_<service>", s.full);
        return Err(error(message, Some(hint)));
    }
    // `web_web` for a stack named otherwise: the service part is right, the stack part is not
    // (the stack is `x-simulation.stack`, else the file's name, as `docker stack deploy` takes
    // the name it is given).
    if let Some(s) = (name.split_once('_')).and_then(|(_, short)| {
        names.services.iter().find(|s| s.in_stack && s.short == short && !names.stack.is_empty())
    }) {
        let hint = format!(
            "did you mean \"{}\"? this scenario's stack is \"{}\" (x-simulation.stack, else the file's name) and \
             docker stack deploy names services <stack>_<service>",
            s.full, names.stack
        );
        return Err(error(message, Some(hint)));
    }
    let fulls: Vec<&str> = names.services.iter().map(|s| s.full.as_str()).collect();
    let hint = match suggest::did_you_mean_value(name, &fulls) {
        Some(dym) => Some(dym),
        None if fulls.is_empty() => None,
        None => Some(format!("the scenario's services are {}", suggest::one_of(&fulls))),
    };
    Err(error(message, hint))
}

/// `docker kill [--signal SIG] CONTAINER...` / `docker container kill`: each container named
/// `SERVICE.SLOT` (the slot's running task) or, for a global service, `SERVICE.NODE`.
fn container_kill(args: &[&str], names: Names<'_>) -> Result<Vec<Action>, Vec<CommandError>> {
    const FLAGS: &[Flag] = &[Flag { long: "signal", short: Some('s'), arity: Arity::Value }];
    let parsed = parse_args(args, FLAGS, &[]).map_err(|e| vec![e])?;
    let given = parsed.flags.iter().rev().find(|(f, _)| *f == "signal").map(|(_, v)| v.to_ascii_uppercase());
    let signal = match given.as_deref().map(|s| s.trim_start_matches("SIG")) {
        None => KillSignal::Kill,
        Some("KILL" | "9") => KillSignal::Kill,
        Some("TERM" | "15") => KillSignal::Term,
        Some(s) => {
            let hint = Some("the simulator models KILL (the default) and TERM".to_string());
            return Err(vec![error(format!("signal {s} is not simulated"), hint)]);
        }
    };
    if parsed.positional.is_empty() {
        let hint = Some("usage: docker kill [--signal KILL|TERM] SERVICE.SLOT [SERVICE.SLOT...]".to_string());
        return Err(vec![error("\"docker kill\" requires at least 1 argument.", hint)]);
    }
    let (mut actions, mut errors) = (Vec::new(), Vec::new());
    for name in &parsed.positional {
        match container_ref(name, names) {
            Ok((service, target)) => actions.push(Action::ContainerKill { service, target, signal }),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(actions) } else { Err(errors) }
}

/// A task's container as commands name it: `SERVICE.SLOT`, or `SERVICE.NODE` for a global
/// service (Docker's own container names add the task id, which a scenario cannot know).
pub(super) fn container_ref(name: &str, names: Names<'_>) -> Result<(String, ContainerRef), CommandError> {
    let hint = || Some(format!("name a task's container SERVICE.SLOT, e.g. {}.1", example_service(names)));
    let Some((service, which)) = name.rsplit_once('.') else {
        return Err(error(format!("no such container: {name}"), hint()));
    };
    let service = find_service(service, names)?;
    if service.global {
        let node = find_node(which, names).map_err(|e| error(format!("{name}: {}", e.message), e.hint))?;
        return Ok((service.full.clone(), ContainerRef::Node(node)));
    }
    match which.parse::<u64>() {
        Ok(slot) if slot > 0 => Ok((service.full.clone(), ContainerRef::Slot(slot))),
        _ => Err(error(format!("no such container: {name}"), hint())),
    }
}

fn example_service(names: Names<'_>) -> &str {
    names.services.first().map_or("web_web", |s| s.full.as_str())
}

/// `docker service rm SERVICE...`: one action per service.
fn service_rm(args: &[&str], names: Names<'_>) -> Result<Vec<Action>, Vec<CommandError>> {
    let parsed = parse_args(args, &[], &[]).map_err(|e| vec![e])?;
    if parsed.positional.is_empty() {
        let hint = Some("usage: docker service rm SERVICE [SERVICE...]".to_string());
        return Err(vec![error("\"docker service rm\" requires at least 1 argument.", hint)]);
    }
    let (mut actions, mut errors) = (Vec::new(), Vec::new());
    for name in &parsed.positional {
        match find_service(name, names) {
            Ok(s) => actions.push(Action::ServiceRm { service: s.full.clone() }),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(actions) } else { Err(errors) }
}

fn service_rollback(args: &[&str], names: Names<'_>) -> Result<Vec<Action>, Vec<CommandError>> {
    const FLAGS: &[Flag] = &[switch("detach", Some('d')), switch("quiet", Some('q'))];
    let parsed = parse_args(args, FLAGS, &[]).map_err(|e| vec![e])?;
    let s = one_service("docker service rollback", &parsed.positional, names).map_err(|e| vec![e])?;
    Ok(vec![Action::ServiceRollback { service: s.full.clone() }])
}

fn service_scale(args: &[&str], names: Names<'_>) -> Result<Vec<Action>, Vec<CommandError>> {
    const FLAGS: &[Flag] = &[switch("detach", Some('d'))];
    let parsed = parse_args(args, FLAGS, &[]).map_err(|e| vec![e])?;
    if parsed.positional.is_empty() {
        let hint = Some("usage: docker service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]".to_string());
        return Err(vec![error("\"docker service scale\" requires at least 1 argument.", hint)]);
    }
    let (mut actions, mut errors) = (Vec::new(), Vec::new());
    for spec in &parsed.positional {
        match scale_one(spec, names) {
            Ok(a) => actions.push(a),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(actions) } else { Err(errors) }
}

fn scale_one(spec: &str, names: Names<'_>) -> Result<Action, CommandError> {
    let Some((name, n)) = spec.split_once('=') else {
        let hint = Some("write SERVICE=REPLICAS, e.g. web_web=3".to_string());
        return Err(error(format!("invalid scale specifier '{spec}'."), hint));
    };
    let service = find_service(name, names)?;
    let replicas = n
        .parse::<u64>()
        .map_err(|_| error(format!("invalid replicas value {n}: must be a non-negative integer"), None))?;
    if replicas > MAX_REPLICAS {
        return Err(error(format!("invalid replicas value {n}: more than deploysim's limit of {MAX_REPLICAS}"), None));
    }
    if service.global {
        return Err(error(format!("{name}: scale can only be used with replicated or replicated-job mode"), None));
    }
    Ok(Action::ServiceScale { service: service.full.clone(), replicas })
}

fn node_update(args: &[&str], names: Names<'_>) -> Result<Vec<Action>, Vec<CommandError>> {
    const FLAGS: &[Flag] = &[value("availability"), value("label-add"), value("label-rm")];
    const UNMODELLED: &[&str] = &["role"];
    let parsed = parse_args(args, FLAGS, UNMODELLED).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let node = match parsed.positional.as_slice() {
        [name] => find_node(name, names).map_err(|e| errors.push(e)).ok(),
        _ => {
            errors.push(error(
                "\"docker node update\" requires exactly 1 argument.",
                Some("usage: docker node update [--availability active|pause|drain] [--label-add K=V] [--label-rm K] NODE".into()),
            ));
            None
        }
    };
    let (mut availability, mut add, mut rm) = (None, Vec::new(), Vec::new());
    for (flag, v) in &parsed.flags {
        match *flag {
            "availability" => availability = parse_choice(flag, v, AVAILABILITIES).map_err(|e| errors.push(e)).ok(),
            // docker/cli `opts.ValidateLabel` accepts a bare KEY as KEY="".
            "label-add" => add.push(
                v.split_once('=').map_or((v.to_string(), String::new()), |(k, x)| (k.to_string(), x.to_string())),
            ),
            _ => rm.push(v.to_string()),
        }
    }
    if availability.is_none() && add.is_empty() && rm.is_empty() && errors.is_empty() {
        errors.push(error(
            "docker node update needs --availability, --label-add or --label-rm (the node changes simulated)",
            None,
        ));
    }
    let Some(node) = node.filter(|_| errors.is_empty()) else { return Err(errors) };
    let mut actions = Vec::new();
    if !add.is_empty() || !rm.is_empty() {
        actions.push(Action::NodeLabels { node: node.clone(), add, rm });
    }
    if let Some(availability) = availability {
        actions.push(Action::NodeAvailability { node, availability });
    }
    Ok(actions)
}

fn node_rm(args: &[&str], names: Names<'_>) -> Result<Vec<Action>, Vec<CommandError>> {
    const FLAGS: &[Flag] = &[switch("force", Some('f'))];
    let parsed = parse_args(args, FLAGS, &[]).map_err(|e| vec![e])?;
    if parsed.positional.is_empty() {
        let hint = Some("usage: docker node rm [--force] NODE [NODE...]".into());
        return Err(vec![error("\"docker node rm\" requires at least 1 argument.", hint)]);
    }
    let mut errors = Vec::new();
    let mut force = false;
    for (flag, value) in &parsed.flags {
        match parse_bool(flag, value) {
            Ok(b) => force = b,
            Err(e) => errors.push(e),
        }
    }
    let mut actions = Vec::new();
    for name in &parsed.positional {
        match find_node(name, names) {
            Ok(node) => actions.push(Action::NodeRm { node, force }),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(actions) } else { Err(errors) }
}

/// `docker swarm update --task-history-limit N` (the cluster spec's
/// `Orchestration.TaskHistoryRetentionLimit`); the other flags change what deploysim does not
/// model (certificates, raft snapshots, the heartbeat period) and are refused as such.
fn swarm_update(args: &[&str]) -> Result<Vec<Action>, Vec<CommandError>> {
    const FLAGS: &[Flag] = &[value("task-history-limit")];
    const UNMODELLED: &[&str] =
        &["autolock", "cert-expiry", "dispatcher-heartbeat", "external-ca", "max-snapshots", "snapshot-interval"];
    let parsed = parse_args(args, FLAGS, &[]).map_err(|e| {
        let unmodelled = UNMODELLED.iter().find(|f| e.message.contains(&format!("--{f}")));
        vec![match unmodelled {
            Some(f) => error(
                format!("flag --{f} of docker swarm update is valid for docker but not simulated"),
                Some("deploysim models only --task-history-limit of docker swarm update".into()),
            ),
            None => e,
        }]
    })?;
    if let Some(extra) = parsed.positional.first() {
        let hint = Some("usage: docker swarm update [OPTIONS]".into());
        return Err(vec![error(format!("\"docker swarm update\" accepts no arguments (got {extra})"), hint)]);
    }
    let mut limit = None;
    for (flag, value) in &parsed.flags {
        // pflag's int64: Go's `strconv.ParseInt` words the refusal.
        match value.parse::<i64>() {
            Ok(n) => limit = Some(n),
            Err(_) => {
                let why = format!("strconv.ParseInt: parsing \"{value}\": invalid syntax");
                return Err(vec![invalid(flag, value, why, None)]);
            }
        }
    }
    match limit {
        Some(task_history_limit) => Ok(vec![Action::SwarmUpdate { task_history_limit }]),
        None => Err(vec![error(
            "docker swarm update without --task-history-limit changes nothing deploysim models",
            Some("give --task-history-limit N (the tasks the task reaper keeps per slot)".into()),
        )]),
    }
}

/// A node by exact name, or an error with a did-you-mean.
pub fn find_node(name: &str, names: Names<'_>) -> Result<String, CommandError> {
    if names.nodes.iter().any(|n| n == name) {
        return Ok(name.to_string());
    }
    let nodes: Vec<&str> = names.nodes.iter().map(String::as_str).collect();
    Err(error(format!("no such node: {name}"), suggest::did_you_mean_value(name, &nodes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cluster::Availability;
    use crate::model::spec::{FailureAction, UpdateOrder};
    use crate::time::SimDuration;

    fn services() -> Vec<ServiceRef> {
        vec![
            ServiceRef { full: "web_web".into(), short: "web".into(), global: false, in_stack: true },
            ServiceRef { full: "web_agent".into(), short: "agent".into(), global: true, in_stack: true },
        ]
    }

    fn run(line: &str) -> Result<Vec<Action>, Vec<CommandError>> {
        let nodes = vec!["node-1".to_string(), "node-2".to_string()];
        parse(
            line,
            Names {
                services: &services(),
                nodes: &nodes,
                managers: &nodes[..1],
                base_dir: std::path::Path::new("."),
                stack: "web",
                stack_deployed: &[],
                vars: &Default::default(),
            },
        )
    }

    fn update(line: &str) -> ServiceUpdate {
        match run(line).unwrap().remove(0) {
            Action::ServiceUpdate { update, .. } => *update,
            other => panic!("not an update: {other:?}"),
        }
    }

    fn first_error(line: &str) -> CommandError {
        run(line).unwrap_err().remove(0)
    }

    #[test]
    fn update_flags_in_both_forms() {
        let u = update(
            "docker service update --image nginx:1.14-alpine --update-parallelism=2 --update-delay 10s \
             --update-monitor=1m --update-failure-action rollback --update-max-failure-ratio=0.25 \
             --update-order start-first --rollback-parallelism 0 --rollback-delay=1s --rollback-monitor 2s \
             --rollback-failure-action=continue --rollback-max-failure-ratio 1 --rollback-order=stop-first \
             --force --replicas=4 --secret-add source=db,target=/run/x --secret-add api --secret-rm old \
             --stop-grace-period 30s -d --quiet web_web",
        );
        assert_eq!(u.image.as_deref(), Some("nginx:1.14-alpine"));
        assert_eq!(u.update.parallelism, Some(2));
        assert_eq!(u.update.delay, Some(SimDuration::from_secs(10)));
        assert_eq!(u.update.monitor, Some(SimDuration::from_secs(60)));
        assert_eq!(u.update.failure_action, Some(FailureAction::Rollback));
        assert_eq!(u.update.max_failure_ratio, Some(0.25));
        assert_eq!(u.update.order, Some(UpdateOrder::StartFirst));
        assert_eq!(u.rollback.parallelism, Some(0));
        assert_eq!(u.rollback.delay, Some(SimDuration::from_secs(1)));
        assert_eq!(u.rollback.monitor, Some(SimDuration::from_secs(2)));
        assert_eq!(u.rollback.failure_action, Some(FailureAction::Continue));
        assert_eq!(u.rollback.max_failure_ratio, Some(1.0));
        assert_eq!(u.rollback.order, Some(UpdateOrder::StopFirst));
        assert!(u.force);
        assert_eq!(u.replicas, Some(4));
        let added: Vec<&str> = u.secret_add.iter().map(|r| r.source.as_str()).collect();
        assert_eq!(added, ["db", "api"]);
        assert_eq!(u.secret_rm, ["old"]);
        assert_eq!(u.stop_grace_period, Some(SimDuration::from_secs(30)));
        assert!(!u.rollback_now);
    }

    #[test]
    fn image_without_tag_gets_latest_and_flags_may_follow_the_service() {
        let u = update("docker service update web_web --image 'nginx'");
        assert_eq!(u.image.as_deref(), Some("nginx:latest"));
        assert!(!update("docker service update --force=false web_web").force);
    }

    #[test]
    fn rollback_forms() {
        let want = vec![Action::ServiceRollback { service: "web_web".into() }];
        assert_eq!(run("docker service update --rollback -d web_web").unwrap(), want);
        assert_eq!(run("docker service rollback web_web").unwrap(), want);
        let e = first_error("docker service update --rollback --image x:1 web_web");
        assert_eq!(e.message, "other flags may not be combined with --rollback");
    }

    #[test]
    fn scale_and_node_update() {
        assert_eq!(
            run("docker service scale web_web=3").unwrap(),
            vec![Action::ServiceScale { service: "web_web".into(), replicas: 3 }]
        );
        assert_eq!(run("docker service scale -d web_web=1 web_web=0").unwrap().len(), 2);
        assert_eq!(
            run("docker node update --availability=drain node-2").unwrap(),
            vec![Action::NodeAvailability { node: "node-2".into(), availability: Availability::Drain }]
        );
        assert!(first_error("docker service scale web_agent=2").message.contains("replicated"));
        assert!(first_error("docker service scale web_web").message.contains("invalid scale specifier"));
    }

    #[test]
    fn node_rm_forms() {
        let rm = |node: &str, force| Action::NodeRm { node: node.into(), force };
        assert_eq!(run("docker node rm node-2").unwrap(), vec![rm("node-2", false)]);
        assert_eq!(run("docker node rm -f node-2 node-1").unwrap(), vec![rm("node-2", true), rm("node-1", true)]);
        assert_eq!(run("docker node remove --force=false node-2").unwrap(), vec![rm("node-2", false)]);
        assert_eq!(first_error("docker node rm").message, "\"docker node rm\" requires at least 1 argument.");
        assert!(first_error("docker node rm node-9").hint.is_some_and(|h| h.contains("node-")), "did-you-mean");
        assert_eq!(first_error("docker node rm --forse node-2").hint.as_deref(), Some("did you mean --force?"));
    }

    #[test]
    fn errors_have_docker_wording_and_hints() {
        let e = first_error("docker service update --imgae x web_web");
        assert_eq!((e.message.as_str(), e.hint.as_deref()), ("unknown flag: --imgae", Some("did you mean --image?")));
        let e = first_error("docker service update --force web");
        assert_eq!(e.message, "no such service: web");
        assert_eq!(e.hint.unwrap(), "did you mean \"web_web\"? docker stack deploy names services <stack>_<service>");
        // The service part right, the stack part another stack's (the stack is "web" here).
        let e = first_error("docker service update --force shop_agent");
        assert_eq!(e.message, "no such service: shop_agent");
        let hint = e.hint.unwrap();
        assert!(hint.starts_with("did you mean \"web_agent\"? this scenario's stack is \"web\""), "{hint}");
        // Nothing close: the names there are.
        let e = first_error("docker service update --force database");
        assert_eq!(e.hint.as_deref(), Some("the scenario's services are \"web_agent\", \"web_web\""));
        let e = first_error("docker service update --update-failure-action rollbak web_web");
        assert!(
            e.message.contains("must be one of the following: \"continue\", \"pause\", \"rollback\""),
            "{}",
            e.message
        );
        assert_eq!(e.hint.as_deref(), Some("did you mean \"rollback\"?"));
        assert!(first_error("docker service update --update-delay 10 web_web").message.contains("no unit"));
        assert_eq!(first_error("docker service update web_web --image").message, "flag needs an argument: --image");
        assert!(first_error("docker service update -x web_web").message.contains("unknown shorthand flag: 'x'"));
        assert!(first_error("docker service update --replicas 2 web_agent").message.contains("replicated"));
        assert!(first_error("docker service update --network-add ingress web_web").message.contains("ingress network"));
        assert_eq!(
            first_error("docker service update --network-add alias=x web_web").message,
            "invalid argument \"alias=x\" for \"--network-add\" flag: network name/id is not specified"
        );
        assert_eq!(
            first_error("docker service update --restart-condition on_failure web_web").hint.as_deref(),
            Some("did you mean \"on-failure\"?")
        );
        assert_eq!(
            first_error("docker service update --restart-condition always web_web").hint.as_deref(),
            Some("\"always\" is docker run's --restart; Swarm's equivalent is \"any\"")
        );
        let e = first_error("docker node update --availability drian node-3");
        assert_eq!(e.message, "no such node: node-3");
        assert_eq!(
            run("docker node update --availability drian node-2").unwrap_err()[0].hint.as_deref(),
            Some("did you mean \"drain\"?")
        );
        assert!(first_error("docker service inspect x").message.contains("unsupported command"));
        assert!(first_error("kubectl apply").message.contains("must start with \"docker\""));
        assert!(
            first_error("docker service update --update-max-failure-ratio 2 web_web")
                .message
                .contains("between 0 and 1")
        );
    }

    #[test]
    fn every_task_spec_flag_makes_the_tasks_dirty_and_service_flags_do_not() {
        let dirty = [
            "--env-add A=1",
            "--env-rm A",
            "--args '--port 81'",
            "--container-label-add tier=web",
            "--container-label-rm tier",
            "--mount-add type=volume,source=data,target=/data",
            "--mount-rm /data",
            "--constraint-add node.role==worker",
            "--placement-pref-add spread=node.labels.zone",
            "--placement-pref-rm spread=node.labels.zone",
            "--reserve-cpu 0.5",
            "--reserve-memory 256m",
            "--limit-cpu 1",
            "--limit-memory 1g",
            "--health-cmd 'curl -f http://localhost/'",
            "--health-interval 5s",
            "--health-timeout 2s",
            "--health-retries 5",
            "--health-start-period 30s",
            "--no-healthcheck",
            "--config-add source=app,target=/etc/app.conf",
            "--config-rm app",
            "--publish-add 8080:80",
            "--publish-rm 80",
            "--stop-signal SIGQUIT",
            "-u 1000",
            "--workdir /srv",
            "--log-driver json-file",
            "--force",
            "--restart-condition on-failure",
            "--restart-delay 1s",
            "--restart-max-attempts 3",
            "--restart-window 1m",
            "--network-add web_backend",
            "--network-rm web_default",
        ];
        for flags in dirty {
            assert!(update(&format!("docker service update {flags} web_web")).touches_tasks(), "{flags}");
        }
        for flags in ["--label-add a=b", "--replicas 3", "--update-parallelism 2", "--with-registry-auth", "-d"] {
            assert!(!update(&format!("docker service update {flags} web_web")).touches_tasks(), "{flags}");
        }
    }

    #[test]
    fn restart_flags_patch_only_the_fields_given_and_network_names_lose_the_stack_prefix() {
        let u = update("docker service update --restart-delay 1s --restart-max-attempts=3 web_web");
        let mut policy = crate::model::spec::RestartPolicy::default();
        u.restart.apply_to(&mut policy);
        assert_eq!(policy.delay, crate::time::SimDuration::from_secs(1));
        assert_eq!(policy.max_attempts, 3);
        assert_eq!(policy.condition, crate::model::spec::RestartCondition::Any, "kept: no --restart-condition");
        // A stack's networks are kept by their key (`default`), typed with the stack's prefix;
        // a network from outside the stack keeps its name.
        let u = update(
            "docker service update --network-add name=web_backend,alias=api --network-add ext --network-rm web_default web_web",
        );
        assert_eq!(u.network_add, [("backend".into(), "web_backend".into()), ("ext".into(), "ext".into())]);
        assert_eq!(u.network_rm, ["default"]);
        assert_eq!(
            first_error("docker service update --network-add name=a,zone=b web_web").message,
            "invalid argument \"name=a,zone=b\" for \"--network-add\" flag: invalid field key zone"
        );
    }

    #[test]
    fn task_flag_mistakes_have_dockers_messages() {
        let m = |line: &str| first_error(line).message;
        assert_eq!(
            m("docker service update --no-healthcheck --health-interval 5s web_web"),
            "--no-healthcheck conflicts with --health-* options"
        );
        assert_eq!(
            m("docker service update --health-interval -5s web_web"),
            "invalid argument \"-5s\" for \"--health-interval\" flag: duration cannot be negative"
        );
        assert!(m("docker service update --health-retries x web_web").contains("--health-retries"));
        assert_eq!(
            m("docker service update --publish-add 80:http web_web"),
            "invalid argument \"80:http\" for \"--publish-add\" flag: Invalid containerPort: http"
        );
        assert_eq!(
            m("docker service update --env-add =1 web_web"),
            "invalid argument \"=1\" for \"--env-add\" flag: invalid environment variable: =1"
        );
        assert!(m("docker service update --mount-add type=bind,source=/x web_web").ends_with("target is required"));
        assert!(
            m("docker service update --limit-memory 1q web_web").ends_with("invalid size: '1q'"),
            "go-units v0.4.0 (Docker 20.10) wording"
        );
        assert!(
            m("docker service update --reserve-cpu half web_web")
                .ends_with("failed to parse half as a rational number")
        );
        assert!(
            m("docker service update --placement-pref-add binpack=x web_web")
                .ends_with("unsupported placement preference binpack (only spread is supported)")
        );
        assert!(m("docker service update --config-add target=/x web_web").ends_with("source is required"));
    }

    #[test]
    fn the_tutorials_create_with_publish_runs() {
        let actions = run("docker service create --name web --secret sample-secret --publish 8000:8000 \
                           fundamentalsofdocker/whoami:latest")
        .unwrap();
        let Action::ServiceCreate { spec } = &actions[0] else { panic!("not a create: {actions:?}") };
        assert_eq!(spec.task.networks, ["ingress"], "a published port joins the routing mesh");
        assert!(spec.task.extra.keys().any(|k| k.starts_with("cli.publish.")));
        let Action::ServiceCreate { spec } =
            &run("docker service create --name h -p published=8080,target=80,mode=host nginx").unwrap()[0]
        else {
            panic!("not a create")
        };
        assert_eq!((spec.task.host_ports.as_slice(), spec.task.networks.len()), (&[8080][..], 0));
    }

    #[test]
    fn collects_several_errors() {
        let errors = run("docker service update --update-delay 1 --update-order last web").unwrap_err();
        assert_eq!(errors.len(), 3);
    }
}

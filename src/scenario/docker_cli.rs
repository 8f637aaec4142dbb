//! What the timeline's docker-command parsers share — `command.rs` (`docker service
//! update|rollback|scale|rm`, `docker node update`), `create_command.rs` (`docker service
//! create`) and `secret_command.rs` (`docker secret`): the names commands resolve against, the
//! CLI's flag grammar (pflag's rules), the value parsers with Docker's error wording, and the
//! error type. A file of its own so that the three parsers depend on it, not on each other.

use crate::limits::MAX_REPLICAS;
use crate::model::cluster::Availability;
use crate::model::scenario::UpdateConfigPatch;
use crate::model::spec::{Constraint, ConstraintOp, FailureAction, UpdateOrder};
use crate::scenario::suggest;
use crate::time::parse_go_duration;

/// A service a command may name.
#[derive(Clone, Debug)]
pub struct ServiceRef {
    /// `<stack>_<service>`.
    pub full: String,
    /// The key under `services:`.
    pub short: String,
    /// `deploy.mode: global` (cannot be scaled).
    pub global: bool,
    /// Deployed by the stack and never removed by the timeline: a `docker service create` of
    /// its name is a conflict (false: created by the timeline, or removed by it first).
    pub in_stack: bool,
}

/// What commands may refer to.
#[derive(Clone, Copy, Debug)]
pub struct Names<'a> {
    /// The stack's services.
    pub services: &'a [ServiceRef],
    /// The cluster's node names.
    pub nodes: &'a [String],
    /// Those of them that are managers.
    pub managers: &'a [String],
    /// The scenario file's folder (relative secret files are read from it).
    pub base_dir: &'a std::path::Path,
    /// The scenario's stack (`x-simulation.stack`).
    pub stack: &'a str,
    /// The services its `docker stack deploy` created at t = 0 (none when it was deployed with
    /// `docker service create`): a timeline deploy of the same stack starts from them.
    pub stack_deployed: &'a [String],
    /// The variables a compose file's `${VAR}` reads (`x-simulation.env`, `--env-file`, `--env`).
    pub vars: &'a std::collections::BTreeMap<String, String>,
}

/// Why a command was refused, with a hint when one helps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    /// Docker's wording where it has one.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

pub(super) fn error(message: impl Into<String>, hint: Option<String>) -> CommandError {
    CommandError { message: message.into(), hint }
}

/// Whether a flag takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Arity {
    Bool,
    Value,
}

/// One flag a command accepts.
pub(super) struct Flag {
    pub(super) long: &'static str,
    pub(super) short: Option<char>,
    pub(super) arity: Arity,
}

pub(super) const fn value(long: &'static str) -> Flag {
    Flag { long, short: None, arity: Arity::Value }
}

pub(super) const fn switch(long: &'static str, short: Option<char>) -> Flag {
    Flag { long, short, arity: Arity::Bool }
}

/// The health-check flags `docker service create` and `update` share (`--health-*`,
/// `--no-healthcheck`).
pub(super) const HEALTH_FLAGS: &[Flag] = &[
    value("health-cmd"),
    value("health-interval"),
    value("health-timeout"),
    value("health-retries"),
    value("health-start-period"),
    value("health-start-interval"),
    switch("no-healthcheck", None),
];

/// The resource flags `docker service create` and `update` share (`--reserve-*`, `--limit-*`).
pub(super) const RESOURCE_FLAGS: &[Flag] =
    &[value("reserve-cpu"), value("reserve-memory"), value("limit-cpu"), value("limit-memory")];

/// The `--update-*` and `--rollback-*` flags, which `docker service create` and `update` share.
pub(super) const CONFIG_FLAGS: &[Flag] = &[
    value("update-parallelism"),
    value("update-delay"),
    value("update-monitor"),
    value("update-failure-action"),
    value("update-max-failure-ratio"),
    value("update-order"),
    value("rollback-parallelism"),
    value("rollback-delay"),
    value("rollback-monitor"),
    value("rollback-failure-action"),
    value("rollback-max-failure-ratio"),
    value("rollback-order"),
];

/// Flags and positional arguments, in command-line order.
pub(super) struct Args<'a> {
    pub(super) flags: Vec<(&'static str, String)>,
    pub(super) positional: Vec<&'a str>,
}

/// Parses flags as pflag does: `--x v`, `--x=v`, `-d`, `-dq`, `--` ends flags.
pub(super) fn parse_args<'a>(args: &[&'a str], spec: &[Flag], unmodelled: &[&str]) -> Result<Args<'a>, CommandError> {
    parse_args_until(args, &[spec], unmodelled, false)
}

/// As [`parse_args`]; with `stop_at_positional`, flags end at the first positional argument (as
/// `docker service create`, whose arguments after IMAGE are the container's command).
pub(super) fn parse_args_until<'a>(
    args: &[&'a str],
    spec: &[&[Flag]],
    unmodelled: &[&str],
    stop_at_positional: bool,
) -> Result<Args<'a>, CommandError> {
    let mut out = Args { flags: Vec::new(), positional: Vec::new() };
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        i += 1;
        if arg == "--" || (stop_at_positional && !arg.starts_with('-')) {
            if arg != "--" {
                out.positional.push(arg);
            }
            out.positional.extend(&args[i..]);
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let flag = long_flag(name, spec, unmodelled)?;
            let value = match (flag.arity, inline) {
                (_, Some(v)) => v,
                (Arity::Bool, None) => "true".to_string(),
                (Arity::Value, None) => {
                    let v = args.get(i).ok_or_else(|| error(format!("flag needs an argument: --{name}"), None))?;
                    i += 1;
                    v.to_string()
                }
            };
            out.flags.push((flag.long, value));
        } else if arg.len() > 1 && arg.starts_with('-') {
            for (at, c) in arg[1..].char_indices() {
                let flag = spec
                    .iter()
                    .flat_map(|s| s.iter())
                    .find(|f| f.short == Some(c))
                    .ok_or_else(|| error(format!("unknown shorthand flag: '{c}' in {arg}"), None))?;
                if flag.arity == Arity::Bool {
                    out.flags.push((flag.long, "true".to_string()));
                    continue;
                }
                // `-lKEY=V`, `-l=KEY=V` or `-l KEY=V`: the value ends the cluster.
                let rest = &arg[1 + at + c.len_utf8()..];
                let value = if !rest.is_empty() {
                    rest.strip_prefix('=').unwrap_or(rest).to_string()
                } else {
                    let v =
                        args.get(i).ok_or_else(|| error(format!("flag needs an argument: '{c}' in {arg}"), None))?;
                    i += 1;
                    v.to_string()
                };
                out.flags.push((flag.long, value));
                break;
            }
        } else {
            out.positional.push(arg);
        }
    }
    Ok(out)
}

fn long_flag<'s>(name: &str, spec: &[&'s [Flag]], unmodelled: &[&str]) -> Result<&'s Flag, CommandError> {
    if let Some(flag) = spec.iter().flat_map(|s| s.iter()).find(|f| f.long == name) {
        return Ok(flag);
    }
    if unmodelled.contains(&name) {
        let hint = "set it in the stack file instead, or leave it out".to_string();
        return Err(error(format!("flag --{name} is valid for docker but not simulated"), Some(hint)));
    }
    let longs: Vec<&str> = spec.iter().flat_map(|s| s.iter()).map(|f| f.long).collect();
    let hint = suggest::closest(name, &longs).map(|c| format!("did you mean --{c}?"));
    Err(error(format!("unknown flag: --{name}"), hint))
}

pub(super) fn apply_patch(p: &mut UpdateConfigPatch, field: &str, flag: &str, value: &str) -> Result<(), CommandError> {
    match field {
        "parallelism" => p.parallelism = Some(parse_u64(flag, value)?),
        "delay" => p.delay = Some(parse_duration(flag, value)?),
        "monitor" => p.monitor = Some(parse_duration(flag, value)?),
        "failure-action" => p.failure_action = Some(parse_choice(flag, value, FAILURE_ACTIONS)?),
        "max-failure-ratio" => p.max_failure_ratio = Some(parse_ratio(flag, value)?),
        "order" => p.order = Some(parse_choice(flag, value, ORDERS)?),
        _ => {}
    }
    Ok(())
}

/// `update_config.failure_action` values.
pub(super) const FAILURE_ACTIONS: &[(&str, FailureAction)] =
    &[("pause", FailureAction::Pause), ("continue", FailureAction::Continue), ("rollback", FailureAction::Rollback)];

/// `update_config.order` values.
pub(super) const ORDERS: &[(&str, UpdateOrder)] =
    &[("stop-first", UpdateOrder::StopFirst), ("start-first", UpdateOrder::StartFirst)];

/// `--availability` values.
pub(super) const AVAILABILITIES: &[(&str, Availability)] =
    &[("active", Availability::Active), ("pause", Availability::Pause), ("drain", Availability::Drain)];

pub(super) fn invalid(flag: &str, value: &str, why: impl std::fmt::Display, hint: Option<String>) -> CommandError {
    error(format!("invalid argument \"{value}\" for \"--{flag}\" flag: {why}"), hint)
}

/// `--reserve-cpu` / `--limit-cpu` (docker/cli `opts.NanoCPUs`) and `--reserve-memory` /
/// `--limit-memory` (`opts.MemBytes`): the CLI's parse error as pflag words it, or the daemon's
/// refusal of an amount below swarmkit's minimum.
pub(super) fn parse_resource_flag(flag: &str, value: &str) -> Result<u64, CommandError> {
    let parsed =
        if flag.ends_with("cpu") { super::resources::parse_cpus(value) } else { super::resources::parse_memory(value) };
    parsed.map_err(|why| {
        if why.starts_with("invalid cpu value") || why.starts_with("invalid memory value") {
            error(why, None)
        } else {
            invalid(flag, value, why, None)
        }
    })
}

/// Applies one of the four resource flags to `r`.
pub(super) fn apply_resource_flag(
    r: &mut crate::model::scenario::ResourcesPatch,
    flag: &str,
    value: &str,
) -> Result<(), CommandError> {
    let n = parse_resource_flag(flag, value)?;
    match flag {
        "reserve-cpu" => r.reserve_cpu = Some(n),
        "reserve-memory" => r.reserve_memory = Some(n),
        "limit-cpu" => r.limit_cpu = Some(n),
        _ => r.limit_memory = Some(n),
    }
    Ok(())
}

/// `--placement-pref[-add|-rm] spread=DESCRIPTOR` (docker/cli `opts.PlacementPrefOpts`): the
/// descriptor, with the CLI's refusals.
pub(super) fn placement_pref(flag: &str, value: &str) -> Result<String, CommandError> {
    let fields: Vec<&str> = value.split('=').collect();
    let [strategy, descriptor] = fields.as_slice() else {
        return Err(invalid(flag, value, "placement preference must be of the format \"<strategy>=<arg>\"", None));
    };
    if *strategy != "spread" {
        let why = format!("unsupported placement preference {strategy} (only spread is supported)");
        return Err(invalid(flag, value, why, None));
    }
    Ok(descriptor.to_string())
}

/// The `--restart-*` flags, which `docker service create` and `update` share.
pub(super) const RESTART_FLAGS: &[Flag] =
    &[value("restart-condition"), value("restart-delay"), value("restart-max-attempts"), value("restart-window")];

/// Swarm's restart conditions (`restart_policy.condition`, `--restart-condition`).
pub(super) const RESTART_CONDITIONS: &[(&str, crate::model::spec::RestartCondition)] = &[
    ("none", crate::model::spec::RestartCondition::None),
    ("on-failure", crate::model::spec::RestartCondition::OnFailure),
    ("any", crate::model::spec::RestartCondition::Any),
];

/// A hint for `docker run --restart` / compose `restart:` words, which Swarm does not use.
pub(super) fn restart_condition_hint(value: &str) -> Option<String> {
    matches!(value, "always" | "unless-stopped")
        .then(|| format!("\"{value}\" is docker run's --restart; Swarm's equivalent is \"any\""))
}

/// One `--restart-*` flag into the patch (`--restart-max-attempts` is pflag's uint64).
pub(super) fn apply_restart_flag(
    r: &mut crate::model::scenario::RestartPatch,
    flag: &str,
    value: &str,
) -> Result<(), CommandError> {
    match flag {
        "restart-condition" => {
            r.condition = Some(parse_choice(flag, value, RESTART_CONDITIONS).map_err(|mut e| {
                e.hint = restart_condition_hint(value).or(e.hint);
                e
            })?)
        }
        "restart-delay" => r.delay = Some(parse_duration(flag, value)?),
        "restart-max-attempts" => r.max_attempts = Some(parse_u64(flag, value)?),
        _ => r.window = Some(parse_duration(flag, value)?),
    }
    Ok(())
}

/// The network a `--network` / `--network-add` value names (docker/cli `opts.NetworkOpt`):
/// `NAME`, or the long syntax `name=NAME,alias=A,…` whose other fields only shape the
/// endpoint.
pub(super) fn network_target(flag: &str, value: &str) -> Result<String, CommandError> {
    const KEYS: &[&str] = &["name", "alias", "ip", "ip6", "mac-address", "link-local-ip", "driver-opt"];
    if !value.contains('=') {
        return refuse_ingress(value.to_string());
    }
    let mut target = None;
    for field in value.split(',') {
        let Some((key, val)) = field.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(invalid(flag, value, format!("invalid field {field}"), None));
        };
        let key = key.trim().to_ascii_lowercase();
        if !KEYS.contains(&key.as_str()) {
            return Err(invalid(
                flag,
                value,
                format!("invalid field key {key}"),
                suggest::did_you_mean_value(&key, KEYS),
            ));
        }
        if key == "name" {
            target = Some(val.trim().to_string());
        }
    }
    match target {
        Some(t) if !t.is_empty() => refuse_ingress(t),
        _ => Err(invalid(flag, value, "network name/id is not specified", None)),
    }
}

/// swarmkit `controlapi.validateNetworks`: the routing mesh's network is joined by publishing a
/// port, never by name.
fn refuse_ingress(target: String) -> Result<String, CommandError> {
    if target == "ingress" {
        let why = "Error response from daemon: rpc error: code = InvalidArgument desc = Service cannot be explicitly \
                   attached to the ingress network \"ingress\"";
        return Err(error(why, Some("publish a port (--publish / --publish-add) to use the routing mesh".into())));
    }
    Ok(target)
}

pub(super) fn parse_bool(flag: &str, value: &str) -> Result<bool, CommandError> {
    match value {
        "true" | "1" | "t" | "T" | "TRUE" | "True" => Ok(true),
        "false" | "0" | "f" | "F" | "FALSE" | "False" => Ok(false),
        _ => Err(invalid(flag, value, "must be true or false", None)),
    }
}

pub(super) fn parse_u64(flag: &str, value: &str) -> Result<u64, CommandError> {
    value.parse::<u64>().map_err(|_| invalid(flag, value, "must be a non-negative integer", None))
}

/// A replica count (`--replicas`, `docker service scale S=N`): at most [`MAX_REPLICAS`].
pub(super) fn parse_replicas(flag: &str, value: &str) -> Result<u64, CommandError> {
    let n = parse_u64(flag, value)?;
    if n > MAX_REPLICAS {
        return Err(invalid(flag, value, format!("more than deploysim's limit of {MAX_REPLICAS} replicas"), None));
    }
    Ok(n)
}

/// `PositiveDurationOpt` (the `--health-*` durations): a Go duration, not negative.
pub(super) fn positive_duration(flag: &str, value: &str) -> Result<crate::time::SimDuration, CommandError> {
    if value.trim_start().starts_with('-') {
        return Err(invalid(flag, value, "duration cannot be negative", None));
    }
    parse_duration(flag, value)
}

/// `--health-retries`: pflag's int.
pub(super) fn parse_retries(flag: &str, value: &str) -> Result<u32, CommandError> {
    value
        .parse::<u32>()
        .map_err(|_| invalid(flag, value, format!("strconv.ParseInt: parsing {value:?}: invalid syntax"), None))
}

pub(super) fn parse_duration(flag: &str, value: &str) -> Result<crate::time::SimDuration, CommandError> {
    parse_go_duration(value).map_err(|e| invalid(flag, value, e, None))
}

fn parse_ratio(flag: &str, value: &str) -> Result<f32, CommandError> {
    match value.parse::<f32>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        Ok(_) => Err(invalid(flag, value, "must be between 0 and 1", None)),
        Err(_) => Err(invalid(flag, value, "must be a number", None)),
    }
}

pub(super) fn parse_choice<T: Copy>(flag: &str, value: &str, options: &[(&str, T)]) -> Result<T, CommandError> {
    if let Some((_, t)) = options.iter().find(|(n, _)| *n == value) {
        return Ok(*t);
    }
    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    let why = format!("must be one of the following: {}", suggest::one_of(&names));
    Err(invalid(flag, value, why, suggest::did_you_mean_value(value, &names)))
}

/// The secret name of `--secret-add`: `NAME` or `source=NAME,target=...` (Docker's CSV form).
/// `--secret-add NAME` or `source=NAME,target=T,uid=U,gid=G,mode=M` (docker/cli `opts/swarmopts/secret.go`).
pub(super) fn secret_source(flag: &str, value: &str) -> Result<crate::model::secret::SecretRef, CommandError> {
    let fields: Vec<&str> = value.split(',').collect();
    let mut r = crate::model::secret::SecretRef::named("");
    let mut target = None;
    for field in &fields {
        match field.split_once('=') {
            None if fields.len() == 1 => r.source = field.to_string(),
            None => {
                return Err(invalid(flag, value, format!("invalid field '{field}' must be a key=value pair"), None));
            }
            Some(("source" | "src", v)) => r.source = v.to_string(),
            Some(("target", v)) => target = Some(v.to_string()),
            Some(("uid", v)) => r.uid = v.to_string(),
            Some(("gid", v)) => r.gid = v.to_string(),
            Some(("mode", v)) => match u32::from_str_radix(v, 8) {
                Ok(m) => r.mode = m,
                Err(_) => return Err(invalid(flag, value, format!("invalid mode: {v}"), None)),
            },
            Some((k, _)) => {
                return Err(invalid(flag, value, format!("invalid field in secret request: {k}"), None));
            }
        }
    }
    if r.source.is_empty() {
        return Err(invalid(flag, value, "source is required", None));
    }
    r.target = target.unwrap_or_else(|| r.source.clone());
    Ok(r)
}

/// `--label-add KEY=VALUE` (a bare `KEY` has an empty value). A router label must hold what the
/// router reads: `deploysim.weight` a non-negative integer.
pub(super) fn label(flag: &str, value: &str) -> Result<(String, String), CommandError> {
    let (k, v) = value.split_once('=').unwrap_or((value, ""));
    if k.is_empty() {
        return Err(invalid(flag, value, "the label key is empty", None));
    }
    if k == crate::model::route::WEIGHT_LABEL && crate::model::route::parse_weight(v).is_none() {
        let hint = Some("a router weight is a whole number, e.g. deploysim.weight=10".to_string());
        return Err(invalid(flag, value, "deploysim.weight must be a non-negative integer", hint));
    }
    Ok((k.to_string(), v.to_string()))
}

/// `--constraint node.role==manager`.
pub(super) fn constraint(flag: &str, v: &str) -> Result<Constraint, CommandError> {
    let parsed = [("==", ConstraintOp::Eq), ("!=", ConstraintOp::Ne)]
        .iter()
        .find_map(|(sym, op)| v.split_once(sym).map(|(k, val)| (k.trim(), *op, val.trim())));
    match parsed {
        Some((key, op, value)) if !key.is_empty() && !value.is_empty() => {
            Ok(Constraint { key: key.to_string(), op, value: value.to_string() })
        }
        _ => Err(invalid(flag, v, "expected KEY==VALUE or KEY!=VALUE", None)),
    }
}

//! The simulation settings (`x-simulation`, or the top level of a separate simulation file):
//! run limits, engine, latencies, the cluster and the timeline.

use crate::limits::{MAX_EVENTS, MAX_NODES, MAX_TIMELINE_ACTIONS};
use crate::model::cluster::{Availability, DEFAULT_NODE_CAPACITY, NodeRole, NodeSpec};
use crate::model::scenario::{Action, EngineVersion, Latencies, Races, TimedAction};
use crate::model::spec::Resources;
use crate::rng::Dist;
use crate::scenario::command;
use crate::scenario::docker_cli::{AVAILABILITIES, Names, ServiceRef};
use crate::scenario::locate::Path;
use crate::scenario::normalize_image;
use crate::scenario::raw::Yaml;
use crate::scenario::validate::{Checker, Entries, get};
use crate::time::{SimDuration, SimTime};

/// Keys of a separate simulation file (`stack` is then the stack file's path, `name` the stack
/// name).
pub(super) const SEPARATE_KEYS: &[&str] = &[
    "name",
    "stack",
    "seed",
    "until",
    "max_events",
    "engine",
    "races",
    "deployed_with",
    "swarm",
    "latencies",
    "cluster",
    "images",
    "timeline",
    "traffic",
    "expect",
    "strategies",
    "env",
];

/// Keys of `x-simulation` in a stack file: the same without `name` (`stack` is the stack name).
pub(super) const EMBEDDED_KEYS: &[&str] = SEPARATE_KEYS.split_at(1).1;

/// Run-wide settings.
pub(super) struct Settings {
    /// Seed.
    pub seed: u64,
    /// End of simulated time.
    pub until: SimTime,
    /// Event budget.
    pub max_events: u64,
    /// Engine reproduced.
    pub engine: EngineVersion,
    /// Latencies.
    pub latencies: Latencies,
    /// How Swarm's races resolve.
    pub races: Races,
    /// The stack's services were made by `docker stack deploy` (each on the stack's default
    /// overlay network unless it names its own), not by `docker service create`.
    pub stack_deploy: bool,
    /// `swarm.task_history_limit` (`docker swarm init|update --task-history-limit`).
    pub task_history_limit: i64,
}

/// `swarm:`, the swarm's own settings as `docker swarm init` or an earlier `docker swarm update`
/// left them: `task_history_limit` (default 5; negative: the task reaper never deletes).
fn swarm(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<i64> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, &["task_history_limit"], false, &[]);
    c.optional(e, path, "task_history_limit", |c, v, p| c.i32(v, p)).map(i64::from)
}

/// `max_events`: at least 1, at most [`MAX_EVENTS`].
fn max_events(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<u64> {
    let n = c.u64(v, path)?;
    if !(1..=MAX_EVENTS).contains(&n) {
        c.error(path, format!("must be between 1 and {MAX_EVENTS} (deploysim's limit on a run's events)"), None);
        return None;
    }
    Some(n)
}

/// Reads seed, until, max_events, engine, races and latencies (defaults 1, 1h, 10 000 000,
/// current, random, calibrated).
pub(super) fn settings(c: &mut Checker<'_>, e: &Entries, path: &Path) -> Settings {
    Settings {
        seed: c.optional(e, path, "seed", Checker::u64).unwrap_or(1),
        until: SimTime(c.optional(e, path, "until", Checker::duration).unwrap_or(SimDuration::from_secs(3600)).0),
        max_events: c.optional(e, path, "max_events", max_events).unwrap_or(10_000_000),
        engine: c.optional(e, path, "engine", engine).unwrap_or(EngineVersion::V27),
        latencies: c.optional(e, path, "latencies", latencies).unwrap_or_else(Latencies::calibrated),
        races: c
            .optional(e, path, "races", |c, v, p| c.choice(v, p, &[("random", Races::Random), ("fixed", Races::Fixed)]))
            .unwrap_or_default(),
        stack_deploy: c
            .optional(e, path, "deployed_with", |c, v, p| {
                c.choice(v, p, &[("docker stack deploy", true), ("docker service create", false)])
            })
            .unwrap_or(true),
        task_history_limit: c
            .optional(e, path, "swarm", swarm)
            .unwrap_or(crate::model::scenario::DEFAULT_TASK_HISTORY_LIMIT),
    }
}

/// `"20.10"`, `"27"` or `"current"` (= 27). An unquoted `27` is accepted; `20.10` unquoted is
/// the float 20.1 and gets a hint.
fn engine(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<EngineVersion> {
    const ENGINES: &[(&str, EngineVersion)] =
        &[("20.10", EngineVersion::V20_10), ("27", EngineVersion::V27), ("current", EngineVersion::V27)];
    match v {
        Yaml::Int(27) => Some(EngineVersion::V27),
        Yaml::Float(_) | Yaml::Int(_) => {
            let typed = c.written(path).unwrap_or_else(|| v.render());
            let hint = if typed == v.render() {
                format!("quote it: engine: \"{typed}\"")
            } else {
                format!("quote it: engine: \"{typed}\" (unquoted, YAML reads {typed} as the number {})", v.render())
            };
            c.error(path, "must be a string", Some(hint));
            None
        }
        _ => c.choice(v, path, ENGINES),
    }
}

const LATENCY_KEYS: &[&str] = &[
    "status_report",
    "dispatch",
    "allocate",
    "schedule",
    "pull_cached",
    "stop_signal",
    "unhealthy_kill",
    "exit_report",
    "stop_report",
    "start_begin",
    "probe",
    "watch",
    "agent_step",
    "reconcile",
    "container_kill",
    "old_task_timeout",
    "command",
    "daemon_restore",
    "daemon_register",
    "container_remove",
    "status_batch",
    "start_spread",
];

/// The largest `start_spread` accepted: σ = 1 already makes one start in twenty 5× its median.
const MAX_START_SPREAD: f64 = 1.0;

fn latencies(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Latencies> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, LATENCY_KEYS, false, &[]);
    let mut l = Latencies::calibrated();
    for (key, value) in e {
        if key == "status_batch" {
            // A period, not a random draw: the dispatcher's timer is a constant.
            if let Some(d) = c.duration(value, &path.key(key)) {
                l.status_batch = d;
            }
            continue;
        }
        if key == "start_spread" {
            // A shape, not a duration: the log-normal factor's σ on each container start.
            let spath = path.key(key);
            match c.f64(value, &spath) {
                Some(x) if (0.0..=MAX_START_SPREAD).contains(&x) => l.start_spread = x,
                Some(x) => c.error(
                    &spath,
                    format!("must be between 0 and {MAX_START_SPREAD}, not {x}"),
                    Some("0 makes every container start take exactly its image's `start`".into()),
                ),
                None => {}
            }
            continue;
        }
        if let Some(slot) = latency_field(&mut l, key)
            && let Some(d) = c.dist(value, &path.key(key))
        {
            *slot = d;
        }
    }
    Some(l)
}

fn latency_field<'l>(l: &'l mut Latencies, key: &str) -> Option<&'l mut Dist> {
    Some(match key {
        "status_report" => &mut l.status_report,
        "dispatch" => &mut l.dispatch,
        "allocate" => &mut l.allocate,
        "schedule" => &mut l.schedule,
        "pull_cached" => &mut l.pull_cached,
        "stop_signal" => &mut l.stop_signal,
        "unhealthy_kill" => &mut l.unhealthy_kill,
        "exit_report" => &mut l.exit_report,
        "stop_report" => &mut l.stop_report,
        "start_begin" => &mut l.start_begin,
        "probe" => &mut l.probe,
        "watch" => &mut l.watch,
        "agent_step" => &mut l.agent_step,
        "reconcile" => &mut l.reconcile,
        "container_kill" => &mut l.container_kill,
        "old_task_timeout" => &mut l.old_task_timeout,
        "command" => &mut l.command,
        "daemon_restore" => &mut l.daemon_restore,
        "daemon_register" => &mut l.daemon_register,
        "container_remove" => &mut l.container_remove,
        _ => return None,
    })
}

/// `cluster: {nodes: N}` or `cluster: {nodes: [...]}`; no cluster is one manager, `node-1`.
/// `cluster.cpus` / `cluster.memory` give every node its capacity (default
/// [`DEFAULT_NODE_CAPACITY`]); a listed node's own `cpus` / `memory` override them.
pub(super) fn nodes(c: &mut Checker<'_>, e: &Entries, path: &Path) -> Vec<NodeSpec> {
    let cpath = path.key("cluster");
    let Some(cluster) = get(e, "cluster") else { return numbered(1, DEFAULT_NODE_CAPACITY) };
    let Some(ce) = c.entries(cluster, &cpath) else { return numbered(1, DEFAULT_NODE_CAPACITY) };
    c.check_keys(ce, &cpath, &["nodes", "cpus", "memory"], false, &[]);
    let capacity = capacity(c, ce, &cpath, DEFAULT_NODE_CAPACITY);
    let npath = cpath.key("nodes");
    match get(ce, "nodes") {
        None => numbered(1, capacity),
        Some(Yaml::Seq(items)) => listed(c, items, &npath, capacity),
        Some(v) => match c.u64(v, &npath) {
            Some(n) if (1..=MAX_NODES).contains(&n) => numbered(n, capacity),
            Some(_) => {
                c.error(&npath, format!("must be between 1 and {MAX_NODES} (deploysim's limit on nodes)"), None);
                numbered(1, capacity)
            }
            None => numbered(1, capacity),
        },
    }
}

/// `cpus` (a number of CPUs, e.g. 2 or "0.5") and `memory` (e.g. 8GiB, 512M, or bytes) of a node
/// or of the whole cluster, as Docker parses such amounts; unset ones keep `base`'s.
fn capacity(c: &mut Checker<'_>, e: &Entries, path: &Path, base: Resources) -> Resources {
    let mut out = base;
    let amount = |c: &mut Checker<'_>, key: &str, parse: fn(&str) -> Result<u64, String>, hint: &str| {
        let v = get(e, key)?;
        let at = path.key(key);
        let text = c.scalar_text(v, &at)?;
        match parse(&text) {
            Ok(0) => {
                c.error(&at, "must be more than 0", Some(hint.to_string()));
                None
            }
            Ok(n) => Some(n),
            Err(why) => {
                c.error(&at, why, Some(hint.to_string()));
                None
            }
        }
    };
    if let Some(n) = amount(c, "cpus", super::resources::parse_cpus, "a number of CPUs, e.g. cpus: 2 or cpus: \"0.5\"")
    {
        out.nano_cpus = n;
    }
    if let Some(n) =
        amount(c, "memory", super::resources::parse_memory, "e.g. memory: 8GiB, 512M, or a number of bytes")
    {
        out.memory_bytes = n;
    }
    out
}

/// `node-1` (manager), `node-2` … (workers).
fn numbered(n: u64, capacity: Resources) -> Vec<NodeSpec> {
    (1..=n)
        .map(|i| NodeSpec {
            name: format!("node-{i}"),
            role: if i == 1 { NodeRole::Manager } else { NodeRole::Worker },
            labels: Default::default(),
            availability: Availability::Active,
            cached_images: Vec::new(),
            down: false,
            capacity,
        })
        .collect()
}

fn listed(c: &mut Checker<'_>, items: &[Yaml], path: &Path, capacity: Resources) -> Vec<NodeSpec> {
    let mut nodes: Vec<NodeSpec> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ipath = path.index(i);
        let Some(node) = node(c, item, &ipath, capacity) else { continue };
        if nodes.iter().any(|n| n.name == node.name) {
            c.error(&ipath.key("name"), format!("node name {} is used twice", node.name), None);
        }
        nodes.push(node);
    }
    if items.len() as u64 > MAX_NODES {
        c.error(path, format!("lists {} nodes: more than deploysim's limit of {MAX_NODES}", items.len()), None);
    }
    if items.is_empty() {
        c.error(path, "must list at least one node", None);
    } else if !nodes.is_empty() && !nodes.iter().any(|n| n.role == NodeRole::Manager) {
        c.error(path, "has no manager: a swarm needs one", Some("add role: manager to one node".into()));
    }
    nodes
}

fn node(c: &mut Checker<'_>, v: &Yaml, path: &Path, capacity: Resources) -> Option<NodeSpec> {
    const ROLES: &[(&str, NodeRole)] = &[("manager", NodeRole::Manager), ("worker", NodeRole::Worker)];
    let e = c.entries(v, path)?;
    const KEYS: &[&str] = &["name", "role", "labels", "availability", "images", "status", "cpus", "memory"];
    c.check_keys(e, path, KEYS, false, &[]);
    let capacity = self::capacity(c, e, path, capacity);
    let name = c.required(e, path, "name", Checker::string);
    let role = c.optional(e, path, "role", |c, v, p| c.choice(v, p, ROLES)).unwrap_or(NodeRole::Worker);
    let availability =
        c.optional(e, path, "availability", |c, v, p| c.choice(v, p, AVAILABILITIES)).unwrap_or(Availability::Active);
    let labels = c.optional(e, path, "labels", labels).unwrap_or_default();
    let cached_images = c.optional(e, path, "images", image_list).unwrap_or_default();
    let down = c.optional(e, path, "status", |c, v, p| c.choice(v, p, &[("ready", false), ("down", true)]));
    let name = name.filter(|n| !n.is_empty())?;
    Some(NodeSpec { name, role, labels, availability, cached_images, down: down.unwrap_or(false), capacity })
}

fn labels(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<std::collections::BTreeMap<String, String>> {
    let e = c.entries(v, path)?;
    Some(e.iter().filter_map(|(k, v)| Some((k.clone(), c.scalar_text(v, &path.key(k))?))).collect())
}

fn image_list(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Vec<String>> {
    let Yaml::Seq(items) = v else {
        c.error(path, "must be a list of image references", Some(format!("found {}", v.kind())));
        return None;
    };
    Some(
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| c.string(item, &path.index(i)))
            .map(|s| normalize_image(&s))
            .collect(),
    )
}

const ENTRY_ACTIONS: &[&str] =
    &["run", "node_down", "node_up", "daemon_kill", "daemon_start", "registry_outage", "image", "health"];

/// The timeline, sorted by `at` (stable: equal times keep file order).
pub(super) fn timeline(c: &mut Checker<'_>, v: &Yaml, path: &Path, names: Names<'_>) -> Vec<TimedAction> {
    let Yaml::Seq(items) = v else {
        c.error(path, "must be a list", Some(format!("found {}", v.kind())));
        return Vec::new();
    };
    if items.len() > MAX_TIMELINE_ACTIONS {
        let message = format!("has {} entries: more than deploysim's limit of {MAX_TIMELINE_ACTIONS}", items.len());
        c.error(path, message, None);
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        out.extend(entry(c, item, &path.index(i), names));
    }
    out.sort_by_key(|a| a.at);
    out
}

fn entry(c: &mut Checker<'_>, v: &Yaml, path: &Path, names: Names<'_>) -> Vec<TimedAction> {
    let Some(e) = c.entries(v, path) else { return Vec::new() };
    let mut allowed = vec!["at", "jitter", "strategy"];
    allowed.extend_from_slice(ENTRY_ACTIONS);
    c.check_keys(e, path, &allowed, false, &[]);
    let at = c.required(e, path, "at", Checker::duration).map(|d| SimTime(d.0));
    let jitter = c.optional(e, path, "jitter", Checker::duration).unwrap_or(SimDuration::ZERO);
    let present: Vec<&(String, Yaml)> = e.iter().filter(|(k, _)| ENTRY_ACTIONS.contains(&k.as_str())).collect();
    let [(key, body)] = present.as_slice() else {
        let found = if present.is_empty() {
            "none".to_string()
        } else {
            present.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
        };
        c.error(path, format!("must have exactly one of {} (found {found})", ENTRY_ACTIONS.join(", ")), None);
        return Vec::new();
    };
    let apath = path.key(key);
    let (mut actions, text) = match key.as_str() {
        "run" => run(c, body, &apath, names),
        "registry_outage" => match c.duration(body, &apath) {
            Some(d) => (vec![Action::RegistryOutage { duration: d }], format!("registry_outage {d}")),
            None => (Vec::new(), String::new()),
        },
        "image" => match super::images::change(c, body, &apath) {
            Some((image, patch)) => {
                let text = format!("image {image}: {}", changed_fields(&patch).join(", "));
                (vec![Action::ImageChange { image, patch: Box::new(patch) }], text)
            }
            None => (Vec::new(), String::new()),
        },
        "health" => health_probes(c, body, &apath, names),
        fault => node_fault(c, fault, body, &apath, names),
    };
    if get(e, "strategy").is_some() {
        let spath = path.key("strategy");
        match c.optional(e, path, "strategy", super::strategy::read) {
            Some(Some(strategy)) => actions = with_strategy(c, actions, strategy, &spath),
            Some(None) => {
                // `strategy: rolling` is what an update does anyway, but only an update has one.
                let is_update =
                    matches!(actions.as_slice(), [Action::ServiceUpdate { update, .. }] if update.image.is_some());
                if !actions.is_empty() && !is_update {
                    let hint = "a strategy rolls out a new image: run: docker service update --image IMAGE:NEW SERVICE";
                    c.error(&spath, "rolling needs a docker service update with --image", Some(hint.into()));
                    actions.clear();
                }
            }
            None => actions.clear(),
        }
    }
    let Some(at) = at else { return Vec::new() };
    actions.into_iter().map(|action| TimedAction { at, jitter, action, text: text.clone() }).collect()
}

/// A `docker service update --image …` rolled out under a blue-green or canary strategy.
fn with_strategy(
    c: &mut Checker<'_>,
    actions: Vec<Action>,
    strategy: crate::model::strategy::Strategy,
    path: &Path,
) -> Vec<Action> {
    match actions.as_slice() {
        [Action::ServiceUpdate { service, update }] if update.image.is_some() => {
            vec![Action::Rollout { service: service.clone(), update: update.clone(), strategy: Box::new(strategy) }]
        }
        [] => Vec::new(),
        _ => {
            let hint = "a strategy rolls out a new image: run: docker service update --image IMAGE:NEW SERVICE";
            c.error(path, format!("{} needs a docker service update with --image", strategy.name()), Some(hint.into()));
            Vec::new()
        }
    }
}

/// The words of each `docker service <verb> …` command of the timeline (a command that cannot
/// be split is left for the full parse to report).
fn service_commands<'a>(timeline: &'a Yaml, verb: &'a str) -> impl Iterator<Item = Vec<String>> + 'a {
    let items: &[Yaml] = match timeline {
        Yaml::Seq(items) => items,
        _ => &[],
    };
    items.iter().filter_map(move |item| {
        let Yaml::Map(e) = item else { return None };
        let Some(Yaml::Str(line)) = get(e, "run") else { return None };
        let words = super::shell::split(line).ok()?;
        (words.len() >= 3 && words[0] == "docker" && words[1] == "service" && words[2] == verb).then_some(words)
    })
}

/// Services the timeline removes (`docker service rm X…`): a `docker service create` may reuse
/// their names.
pub(super) fn removed_services(timeline: &Yaml) -> Vec<String> {
    service_commands(timeline, "rm")
        .chain(service_commands(timeline, "remove"))
        .flat_map(|words| words.into_iter().skip(3).filter(|w| !w.starts_with('-')))
        .collect()
}

/// Services the timeline creates — `docker service create --name X`, and the green or canary
/// service of an update with a blue-green or canary `strategy` — so that later commands may
/// name them.
pub(super) fn created_services(timeline: &Yaml) -> Vec<ServiceRef> {
    let mut out: Vec<ServiceRef> = Vec::new();
    let items: &[Yaml] = if let Yaml::Seq(items) = timeline { items } else { &[] };
    for item in items {
        let Yaml::Map(e) = item else { continue };
        let (Some(Yaml::Str(line)), Some(strategy)) = (get(e, "run"), get(e, "strategy")) else { continue };
        let kind = match strategy {
            Yaml::Str(s) => s.as_str(),
            Yaml::Map(m) if m.len() == 1 => m[0].0.as_str(),
            _ => continue,
        };
        let strategy = match kind {
            "blue_green" => crate::model::strategy::Strategy::BlueGreen(Default::default()),
            "canary" => crate::model::strategy::Strategy::Canary(Default::default()),
            _ => continue,
        };
        // The service is the command's last argument (`docker service update [flags] SERVICE`).
        let Some(service) = super::shell::split(line).ok().and_then(|w| w.last().cloned()) else { continue };
        let name = strategy.new_service_name(&service);
        if !out.iter().any(|s| s.full == name) {
            out.push(ServiceRef { full: name.clone(), short: name, global: false, in_stack: false });
        }
    }
    for words in service_commands(timeline, "create") {
        let mut name = None;
        let mut global = false;
        for (i, w) in words.iter().enumerate() {
            if let Some(v) = w.strip_prefix("--name=") {
                name = Some(v.to_string());
            } else if w == "--name" {
                name = words.get(i + 1).cloned();
            } else if w == "--mode=global" || (w == "--mode" && words.get(i + 1).is_some_and(|m| m == "global")) {
                global = true;
            }
        }
        if let Some(name) = name.filter(|n| !out.iter().any(|s| &s.full == n)) {
            out.push(ServiceRef { full: name.clone(), short: name, global, in_stack: false });
        }
    }
    out
}

fn run(c: &mut Checker<'_>, v: &Yaml, path: &Path, names: Names<'_>) -> (Vec<Action>, String) {
    let Some(line) = c.string(v, path) else { return (Vec::new(), String::new()) };
    if let Some(deploy) = super::stack_deploy::parse(c, &line, path, names) {
        return deploy;
    }
    match command::parse(&line, names) {
        // The logged text (events, reports, ps, JUnit, JSON) never holds what is fed to
        // standard input: it is secret material whatever the command.
        Ok(actions) => (actions, super::stdin_feed::shown(&line)),
        Err(errors) => {
            for e in errors {
                c.error(path, e.message, e.hint);
            }
            (Vec::new(), String::new())
        }
    }
}

fn node_fault(c: &mut Checker<'_>, key: &str, v: &Yaml, path: &Path, names: Names<'_>) -> (Vec<Action>, String) {
    let Some(name) = c.string(v, path) else { return (Vec::new(), String::new()) };
    let node = match command::find_node(&name, names) {
        Ok(n) => n,
        Err(e) => {
            c.error(path, e.message, e.hint);
            return (Vec::new(), String::new());
        }
    };
    if names.managers.contains(&node) {
        // A sole manager's dockerd may crash and restart: the control plane stops with it and
        // a new leader marks every node UNKNOWN until it registers again (swarmkit
        // `markNodesUnknown`; recorded in m12/m12b). Cutting a manager off from its workers, and
        // any fault of one manager among several (raft elections, quorum), are not modelled.
        let daemon = key.starts_with("daemon");
        if !daemon || names.managers.len() > 1 {
            let what = if daemon {
                "killing or starting the daemon of one manager among several"
            } else {
                "cutting a manager's link"
            };
            c.error(
                path,
                format!("{key} {node}: {what} is not simulated ({node} is a manager, where the control plane runs)"),
                Some(if !daemon {
                    format!("to isolate {node}, cut every worker with node_down: the manager marks them DOWN and keeps its own tasks")
                } else {
                    format!("give {key} to a worker (role: worker), or declare a single manager")
                }),
            );
            return (Vec::new(), String::new());
        }
    }
    let text = format!("{key} {node}");
    let action = match key {
        "node_down" => Action::NodeDown { node },
        "node_up" => Action::NodeUp { node },
        "daemon_kill" => Action::DaemonKill { node },
        _ => Action::DaemonStart { node },
    };
    (vec![action], text)
}

/// `health: {container: SERVICE.SLOT, probes: fail|pass}`.
fn health_probes(c: &mut Checker<'_>, v: &Yaml, path: &Path, names: Names<'_>) -> (Vec<Action>, String) {
    let none = (Vec::new(), String::new());
    let Some(e) = c.entries(v, path) else { return none };
    c.check_keys(e, path, &["container", "probes"], false, &[]);
    let container = c.required(e, path, "container", Checker::string);
    let pass = c.required(e, path, "probes", |c, v, p| c.choice(v, p, &[("fail", false), ("pass", true)]));
    let (Some(container), Some(pass)) = (container, pass) else { return none };
    match command::container_ref(&container, names) {
        Ok((service, target)) => {
            let text = format!("health {container}: probes {}", if pass { "pass" } else { "fail" });
            (vec![Action::HealthProbes { service, target, pass }], text)
        }
        Err(e) => {
            c.error(&path.key("container"), e.message, e.hint);
            none
        }
    }
}

/// The behaviour fields an `image:` entry changes, for its log line.
fn changed_fields(p: &crate::model::image::ImagePatch) -> Vec<&'static str> {
    let fields = [
        ("pull", p.pull.is_some()),
        ("pull_failure", p.pull_failure.is_some()),
        ("missing", p.missing.is_some()),
        ("failed_pull", p.failed_pull.is_some()),
        ("start", p.start.is_some()),
        ("healthcheck", p.healthcheck.is_some()),
        ("health", p.health.is_some()),
        ("exit", p.exit.is_some()),
        ("stop", p.stop.is_some()),
    ];
    fields.iter().filter(|(_, given)| *given).map(|(name, _)| *name).collect()
}

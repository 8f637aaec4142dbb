//! The compose v3 stack file: top-level keys, `version`, and each service converted to the
//! `ServiceSpec` that `docker stack deploy` would create, with swarmkit's defaults.

use crate::limits::{MAX_REPLICAS, MAX_SERVICES};
use std::collections::BTreeMap;

use crate::model::spec::{
    Constraint, ConstraintOp, HealthConfig, Healthcheck, Placement, ResourceRequirements, Resources, RestartPolicy,
    ServiceMode, ServiceSpec, TaskSpec, UpdateConfig,
};
use crate::scenario::docker_cli::{FAILURE_ACTIONS, ORDERS, RESTART_CONDITIONS, ServiceRef, restart_condition_hint};
use crate::scenario::gate;
use crate::scenario::locate::Path;
use crate::scenario::normalize_image;
use crate::scenario::raw::Yaml;
use crate::scenario::suggest;
use crate::scenario::validate::{Checker, Entries, get};
use crate::time::SimDuration;

/// Top-level keys of a v3 stack file (besides `x-*`).
pub(super) const TOP_LEVEL_KEYS: &[&str] = &["version", "services", "networks", "volumes", "secrets", "configs"];

/// Every key the compose v3.x schema allows in a service.
const SERVICE_KEYS: &[&str] = &[
    "build",
    "cap_add",
    "cap_drop",
    "cgroup_parent",
    "cgroupns_mode",
    "command",
    "configs",
    "container_name",
    "credential_spec",
    "depends_on",
    "deploy",
    "devices",
    "dns",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "external_links",
    "extra_hosts",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "links",
    "logging",
    "mac_address",
    "network_mode",
    "networks",
    "pid",
    "ports",
    "privileged",
    "read_only",
    "restart",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "user",
    "userns_mode",
    "volumes",
    "working_dir",
];

/// Keys `docker stack deploy` ignores with "Ignoring unsupported options" (docker/cli
/// `types.UnsupportedProperties`, 20.10), plus `depends_on`, which Docker ignores silently but
/// whose users expect a start order that Swarm never gives.
const UNSUPPORTED_IN_SWARM: &[&str] = &[
    "build",
    "cap_add",
    "cap_drop",
    "cgroup_parent",
    "cgroupns_mode",
    "depends_on",
    "devices",
    "domainname",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "pid",
    "privileged",
    "restart",
    "security_opt",
    "shm_size",
    "sysctls",
    "ulimits",
    "userns_mode",
];

/// Keys `docker stack deploy` ignores with "Ignoring deprecated options" (and why).
const DEPRECATED: &[(&str, &str)] = &[
    ("container_name", "Setting the container name is not supported."),
    (
        "expose",
        "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
    ),
];

/// Keys handled below; every other accepted key only feeds `TaskSpec.extra`.
const MODELLED_KEYS: &[&str] = &["image", "deploy", "healthcheck", "stop_grace_period", "secrets", "configs"];

const DEPLOY_KEYS: &[&str] = &[
    "mode",
    "endpoint_mode",
    "replicas",
    "labels",
    "rollback_config",
    "update_config",
    "resources",
    "restart_policy",
    "placement",
];
const UPDATE_KEYS: &[&str] = &["parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"];
const RESTART_KEYS: &[&str] = &["condition", "delay", "max_attempts", "window"];
const PLACEMENT_KEYS: &[&str] = &["constraints", "preferences", "max_replicas_per_node"];
const RESOURCES_KEYS: &[&str] = &["limits", "reservations"];
const HEALTH_KEYS: &[&str] = &["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"];

/// Blocks whose keys are often written one level too high (the tutorial's mistake).
const DEPLOY_NESTED: &[(&str, &[&str])] = &[
    ("update_config", UPDATE_KEYS),
    ("rollback_config", UPDATE_KEYS),
    ("restart_policy", RESTART_KEYS),
    ("placement", PLACEMENT_KEYS),
    ("resources", RESOURCES_KEYS),
];
const SERVICE_NESTED: &[(&str, &[&str])] = &[("deploy", DEPLOY_KEYS), ("healthcheck", HEALTH_KEYS)];

/// The services of the stack, in file order, with the names timeline commands may use.
#[derive(Debug)]
pub(super) struct Stack {
    /// `docker stack deploy` results.
    pub services: Vec<ServiceSpec>,
    /// Names for command validation.
    pub refs: Vec<ServiceRef>,
    /// Top-level `secrets:` as `docker stack deploy` creates (or expects) them.
    pub secrets: Vec<crate::model::secret::SecretDef>,
}

/// Checks the top-level keys and `version`, then reads every service.
pub(super) fn read(c: &mut Checker<'_>, root: &Entries, stack: &str) -> Stack {
    let path = Path::root();
    // `docker compose config` (Compose v2) writes a top-level `name:`, which docker/cli's v3
    // schema refuses (moby/moby#44972). Its output is meant to load here as it is, so the key
    // is a warning with Docker's message rather than an error.
    let compose_name = get(root, "name").is_some();
    if compose_name {
        let hint = "docker compose config writes it; delete the line before docker stack deploy (the stack is \
                    named on its command line)";
        let message = "docker stack deploy refuses this key: (root) Additional property name is not allowed";
        c.warn_at(&Path::root(), &path.key("name"), message, Some(hint.into()));
    }
    let checked: Vec<(String, Yaml)>;
    let root_keys: &Entries = if compose_name {
        checked = root.iter().filter(|(k, _)| k != "name").cloned().collect();
        &checked
    } else {
        root
    };
    c.check_keys(root_keys, &path, TOP_LEVEL_KEYS, true, &[]);
    let version = get(root, "version");
    if let Some(v) = version {
        check_version(c, v, &path.key("version"));
    }
    if let Some(minor) = gate::declared_minor(version) {
        let shown = version.map(Yaml::render).unwrap_or_default();
        gate::check(c, root, minor, &shown);
    }
    let mut out = Stack { services: Vec::new(), refs: Vec::new(), secrets: Vec::new() };
    let keys = match get(root, "secrets") {
        Some(v) => top_level_secrets(c, v, &path.key("secrets"), stack, Kind::Secret, &mut out.secrets),
        None => BTreeMap::new(),
    };
    // Configs are declared and checked as Docker checks them; the simulated cluster keeps no
    // config objects (their values never matter to a rollout), only the references in each
    // task spec, which make a task dirty when they change.
    let config_keys = match get(root, "configs") {
        Some(v) => top_level_secrets(c, v, &path.key("configs"), stack, Kind::Config, &mut Vec::new()),
        None => BTreeMap::new(),
    };
    // The networks a service may name: the top-level `networks:` keys (docker/cli
    // `convertServiceNetworks`), besides the stack's implicit `default`.
    let network_keys: Vec<String> = match get(root, "networks") {
        Some(Yaml::Map(defs)) => defs.iter().map(|(k, _)| k.clone()).collect(),
        _ => Vec::new(),
    };
    let services_path = path.key("services");
    let Some(services) = get(root, "services").and_then(|v| c.entries(v, &services_path)) else {
        return out;
    };
    if services.is_empty() {
        c.error(&services_path, "must define at least one service", None);
    }
    if services.len() > MAX_SERVICES {
        let message = format!("defines {} services: more than deploysim's limit of {MAX_SERVICES}", services.len());
        c.error(&services_path, message, None);
        return out;
    }
    let mut unsupported: Vec<&str> = Vec::new();
    for (name, body) in services {
        let spath = services_path.key(name);
        let Some(entries) = c.entries(body, &spath) else { continue };
        note_ignored_keys(c, entries, &spath, &mut unsupported);
        // A service with errors is still listed, so that commands naming it do not add
        // misleading "no such service" errors.
        let mut spec = service(c, entries, &spath, &format!("{stack}_{name}"));
        resolve_secret_refs(c, &mut spec.task.secrets, &keys, &spath, name, Kind::Secret);
        resolve_secret_refs(c, &mut spec.task.configs, &config_keys, &spath, name, Kind::Config);
        check_network_refs(c, entries, &network_keys, &spath, name);
        let global = spec.mode == ServiceMode::Global;
        out.refs.push(ServiceRef { full: spec.name.clone(), short: name.clone(), global, in_stack: true });
        out.services.push(spec);
    }
    let replicas: u64 = out
        .services
        .iter()
        .map(|s| match s.mode {
            ServiceMode::Replicated { replicas } => replicas,
            ServiceMode::Global => 0,
        })
        .sum();
    if replicas > MAX_REPLICAS {
        let message = format!("ask for {replicas} replicas in all: more than deploysim's limit of {MAX_REPLICAS}");
        c.error(&services_path, message, None);
    }
    if !unsupported.is_empty() {
        unsupported.sort_unstable();
        unsupported.dedup();
        let message = format!("Ignoring unsupported options: {}", unsupported.join(", "));
        c.warn_at(&Path::root(), &services_path, message, None);
    }
    out
}

/// Secrets and configs are declared, named, sized and referenced alike (docker/cli
/// `convert/service.go` `convertServiceSecrets`/`convertServiceConfigObjs`, swarmkit's
/// `controlapi` `validateSecretSpec`/`validateConfigSpec`); what differs is here.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Secret,
    Config,
}

impl Kind {
    /// `secret` / `config`, as Docker's messages say it.
    fn noun(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Config => "config",
        }
    }
    /// The top-level (and service) key.
    fn key(self) -> &'static str {
        match self {
            Kind::Secret => "secrets",
            Kind::Config => "configs",
        }
    }
    /// The keys of a top-level definition in the compose v3 schema.
    fn definition_keys(self) -> &'static [&'static str] {
        match self {
            Kind::Secret => &["file", "external", "name", "labels", "driver", "driver_opts", "template_driver"],
            Kind::Config => &["file", "external", "name", "labels", "template_driver"],
        }
    }
    /// swarmkit's size limit (`MaxSecretSize` 500 KiB, `MaxConfigSize` 1000 KiB).
    fn max_bytes(self) -> u64 {
        match self {
            Kind::Secret => crate::model::secret::MAX_SECRET_BYTES,
            Kind::Config => 1000 * 1024,
        }
    }
}

/// Top-level `secrets:` (or `configs:`): `file` (its size is measured, its content never kept), `external`,
/// `name`, `labels`. Returns the stack key → Swarm name map: a stack secret is named
/// `<stack>_<key>` unless `name:` is set; an external one is the key (or `name`).
fn top_level_secrets(
    c: &mut Checker<'_>,
    v: &Yaml,
    path: &Path,
    stack: &str,
    kind: Kind,
    out: &mut Vec<crate::model::secret::SecretDef>,
) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    let Some(entries) = c.entries(v, path) else { return keys };
    for (key, body) in entries {
        let spath = path.key(key);
        let Some(e) = c.entries(body, &spath) else { continue };
        c.check_keys(e, &spath, kind.definition_keys(), true, &[]);
        let external = c.optional(e, &spath, "external", Checker::bool).unwrap_or(false);
        let explicit = c.optional(e, &spath, "name", Checker::string);
        let name_path = if explicit.is_some() { spath.key("name") } else { spath.clone() };
        let name = explicit.unwrap_or_else(|| if external { key.clone() } else { format!("{stack}_{key}") });
        let mut size_bytes = None;
        if !external {
            check_secret_name(c, &name, &name_path);
            match get(e, "file") {
                Some(v) => {
                    size_bytes = c.string(v, &spath.key("file")).and_then(|f| secret_file_size(c, &f, &spath, kind))
                }
                None => c.error(
                    &spath,
                    "must have file or external: true",
                    Some(format!(
                        "e.g. file: ./{}/{}",
                        kind.key(),
                        if kind == Kind::Secret { "db_password.txt" } else { "nginx.conf" }
                    )),
                ),
            }
        }
        keys.insert(key.clone(), name.clone());
        // The file is opened again only to compare it with other definitions of the name.
        let file = size_bytes.and(get(e, "file")).and_then(|v| match v {
            Yaml::Str(f) => {
                Some(std::path::Path::new(&c.doc.file).parent().unwrap_or(std::path::Path::new("")).join(f))
            }
            _ => None,
        });
        let labels = BTreeMap::new();
        out.push(crate::model::secret::SecretDef { name, size_bytes, labels, external, file, value: None });
    }
    keys
}

/// `docker stack deploy` creates the secret under this name; the daemon refuses names outside
/// Docker's rule with this message (external secrets are only looked up, so not checked).
fn check_secret_name(c: &mut Checker<'_>, name: &str, path: &Path) {
    if !crate::model::secret::valid_secret_name(name) {
        c.error(
            path,
            "invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]",
            Some(format!("docker stack deploy would create the secret as \"{name}\"")),
        );
    }
}

/// The size of a secret's `file:` (relative to the stack file's folder, as docker stack deploy
/// resolves it), from its metadata: the value itself is never read.
fn secret_file_size(c: &mut Checker<'_>, file: &str, spath: &Path, kind: Kind) -> Option<u64> {
    let base = std::path::Path::new(&c.doc.file).parent().unwrap_or(std::path::Path::new(""));
    let full = base.join(file);
    let at = spath.key("file");
    let size = match std::fs::metadata(&full) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => {
            c.error(&at, format!("read {}: is a directory", full.display()), None);
            return None;
        }
        Err(e) => {
            let hint = "the path is relative to the stack file's folder";
            c.error(&at, format!("open {}: {}", full.display(), os_message(&e)), Some(hint.into()));
            return None;
        }
    };
    let max = kind.max_bytes();
    if size == 0 || size >= max {
        let message = format!("{} data must be larger than 0 and less than {max} bytes", kind.noun());
        c.error(&at, message, Some(format!("{} is {size} bytes", full.display())));
        return None;
    }
    Some(size)
}

/// Go's wording for the common cases (`no such file or directory`), without Rust's `(os error 2)`.
fn os_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// A service's secret references name stack keys; Docker resolves them to Swarm names and
/// refuses an undefined key (`service web: undefined secret "x"`).
fn resolve_secret_refs(
    c: &mut Checker<'_>,
    refs: &mut [crate::model::secret::SecretRef],
    keys: &BTreeMap<String, String>,
    path: &Path,
    short: &str,
    kind: Kind,
) {
    for r in refs {
        match keys.get(&r.source) {
            Some(name) => r.source = name.clone(),
            None => c.error(
                &path.key(kind.key()),
                format!("service {short}: undefined {} \"{}\"", kind.noun(), r.source),
                Some(format!(
                    "declare it under the top-level {}: key ({}: {{external: true}} if it already exists)",
                    kind.key(),
                    r.source
                )),
            ),
        }
    }
}

/// docker/cli `convertServiceNetworks`: a network a service names must be declared under the
/// top-level `networks:` (`service web: undefined network "x"`), except the stack's `default`.
/// Docker 20.10 prints exactly that and exits 1, but only after creating the stack's networks
/// (the undeclared one too) and secrets (tests/data/fidelity/wording/stack-undefined-network.rN.txt);
/// deploysim refuses the file at load, before anything runs.
fn check_network_refs(c: &mut Checker<'_>, entries: &Entries, declared: &[String], path: &Path, short: &str) {
    let named: Vec<String> = match get(entries, "networks") {
        Some(Yaml::Seq(items)) => {
            items.iter().filter_map(|v| if let Yaml::Str(s) = v { Some(s.clone()) } else { None }).collect()
        }
        Some(Yaml::Map(e)) => e.iter().map(|(k, _)| k.clone()).collect(),
        _ => return,
    };
    for name in named.iter().filter(|n| *n != "default" && !declared.contains(n)) {
        let names: Vec<&str> = declared.iter().map(String::as_str).collect();
        let hint = suggest::did_you_mean_value(name, &names).unwrap_or_else(|| {
            format!("declare it under the top-level networks: key ({name}: {{external: true}} if it already exists)")
        });
        c.error(&path.key("networks"), format!("service {short}: undefined network \"{name}\""), Some(hint));
    }
}

/// `version`: "3", "3.0" … "3.13", as docker stack deploy accepts them.
fn check_version(c: &mut Checker<'_>, v: &Yaml, path: &Path) {
    let Yaml::Str(s) = v else {
        let typed = c.written(path).unwrap_or_else(|| v.render());
        let hint = if typed == v.render() {
            format!("quote it: version: \"{typed}\"")
        } else {
            format!("quote it: version: \"{typed}\" (unquoted, YAML reads {typed} as the number {})", v.render())
        };
        c.error(path, "must be a string", Some(hint));
        return;
    };
    let minor_ok = |m: &str| m.parse::<u32>().is_ok_and(|n| n <= 13) && (m == "0" || !m.starts_with('0'));
    let ok = s == "3" || s.strip_prefix("3.").is_some_and(minor_ok);
    if !ok {
        let hint = "docker stack deploy reads compose file format 3.x; write version: \"3.8\" or leave it out";
        c.error_at(&Path::root(), path, format!("unsupported Compose file version: {s}"), Some(hint.into()));
    }
}

/// Warns about keys docker stack deploy ignores and checks that every key is a compose key.
fn note_ignored_keys<'e>(c: &mut Checker<'_>, entries: &'e Entries, path: &Path, unsupported: &mut Vec<&'e str>) {
    c.check_keys(entries, path, SERVICE_KEYS, true, SERVICE_NESTED);
    for (key, _) in entries {
        if UNSUPPORTED_IN_SWARM.contains(&key.as_str()) {
            unsupported.push(key);
        }
        if let Some((_, why)) = DEPRECATED.iter().find(|(k, _)| k == key) {
            c.warn_at(&Path::root(), &path.key(key), format!("Ignoring deprecated options: {key}: {why}"), None);
        }
    }
}

fn service(c: &mut Checker<'_>, entries: &Entries, path: &Path, full_name: &str) -> ServiceSpec {
    let image = match get(entries, "image") {
        Some(v) => c.string(v, &path.key("image")),
        None => {
            let hint = "docker stack deploy does not build images: every service needs image:";
            c.error(path, "image is required", Some(hint.into()));
            None
        }
    };
    let mut task = TaskSpec::with_image(&normalize_image(image.as_deref().unwrap_or("")));
    task.healthcheck = c.optional(entries, path, "healthcheck", healthcheck);
    task.stop_grace_period = c.optional(entries, path, "stop_grace_period", Checker::duration);
    task.secrets = c.optional(entries, path, "secrets", secrets).unwrap_or_default();
    task.configs = c.optional(entries, path, "configs", secrets).unwrap_or_default();
    task.extra = extra_settings(entries);
    task.host_ports = c.optional(entries, path, "ports", host_ports).unwrap_or_default();
    task.networks = service_networks(c, entries, path);
    let deploy_path = path.key("deploy");
    let empty: &Entries = &[];
    let deploy = match get(entries, "deploy") {
        Some(v) => c.entries(v, &deploy_path).unwrap_or(empty),
        None => empty,
    };
    let d = deploy_settings(c, deploy, &deploy_path);
    // The task-spec parts of `deploy` the simulation does not read (`TaskTemplate.Resources`,
    // placement preferences, the endpoint mode): a change of them still replaces tasks.
    for (key, v) in deploy_task_extras(deploy) {
        task.extra.insert(key, v);
    }
    task.restart = d.restart;
    task.placement = d.placement;
    task.resources = d.resources;
    ServiceSpec {
        name: full_name.to_string(),
        mode: d.mode,
        task,
        update: d.update,
        rollback: d.rollback,
        labels: d.labels,
    }
}

/// `ports`: short syntax (`"8080:80"`, always ingress) or long syntax; returns the ports
/// published in host mode.
fn host_ports(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Vec<u64>> {
    let Yaml::Seq(items) = v else {
        c.error(path, "must be a list", Some(format!("found {}", v.kind())));
        return None;
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ipath = path.index(i);
        match item {
            Yaml::Str(spec) => {
                if let Err(e) = short_port(spec) {
                    c.error(&ipath, e, Some("write [[IP:]PUBLISHED:]TARGET[/tcp|udp|sctp], e.g. \"8080:80\"".into()));
                }
            }
            Yaml::Int(n) if !(0..=65535).contains(n) => c.error(&ipath, format!("Invalid containerPort: {n}"), None),
            Yaml::Int(_) => {}
            Yaml::Map(e) => {
                c.check_keys(e, &ipath, &["mode", "target", "published", "protocol"], true, &[]);
                let modes = [("host", true), ("ingress", false)];
                let host = c.optional(e, &ipath, "mode", |c, v, p| c.choice(v, p, &modes)).unwrap_or(false);
                let published = c.optional(e, &ipath, "published", Checker::u64);
                c.optional(e, &ipath, "target", Checker::u64);
                out.extend(published.filter(|_| host));
            }
            other => c.error(&ipath, "must be a string or number", Some(format!("found {}", other.kind()))),
        }
    }
    Some(out)
}

/// The swarm networks a stack service's tasks join (docker/cli `convertServiceNetworks`): those
/// its `networks:` names, else the stack's `default`; and `ingress` when it publishes a port
/// through the routing mesh. (`x-simulation.deployed_with: docker service create` leaves only
/// `ingress`: see `assemble`.)
fn service_networks(c: &mut Checker<'_>, entries: &Entries, path: &Path) -> Vec<String> {
    let mut networks: Vec<String> = match get(entries, "networks") {
        None | Some(Yaml::Null) => vec!["default".to_string()],
        Some(Yaml::Seq(items)) => items.iter().filter_map(|v| c.string(v, &path.key("networks"))).collect(),
        Some(Yaml::Map(e)) => e.iter().map(|(k, _)| k.clone()).collect(),
        Some(other) => {
            c.error(&path.key("networks"), "must be a list or a mapping", Some(format!("found {}", other.kind())));
            Vec::new()
        }
    };
    if publishes_through_ingress(get(entries, "ports")) {
        networks.push("ingress".to_string());
    }
    networks.sort();
    networks.dedup();
    networks
}

/// Whether a `ports` list publishes a port in ingress mode (short syntax always does).
fn publishes_through_ingress(ports: Option<&Yaml>) -> bool {
    let Some(Yaml::Seq(items)) = ports else { return false };
    items.iter().any(|item| match item {
        Yaml::Str(_) | Yaml::Int(_) => true,
        Yaml::Map(e) => !matches!(get(e, "mode"), Some(Yaml::Str(m)) if m == "host"),
        _ => false,
    })
}

/// A short-syntax port as docker/cli reads it (go-connections `nat.ParsePortSpec`), with its
/// error wording: `[[IP:]HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]`.
fn short_port(spec: &str) -> Result<(), String> {
    let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let mut parts: Vec<&str> = ports.rsplitn(3, ':').collect();
    parts.reverse();
    let (ip, host, container) = match parts.as_slice() {
        [container] => ("", "", *container),
        [host, container] => ("", *host, *container),
        [ip, host, container] => (*ip, *host, *container),
        _ => unreachable!("rsplitn(3) gives one to three parts"),
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("Invalid ip address: {ip}"));
    }
    if container.is_empty() {
        return Err(format!("No port specified: {spec}<empty>"));
    }
    let range = |text: &str| -> Option<(u16, u16)> {
        let (low, high) = text.split_once('-').unwrap_or((text, text));
        let (low, high) = (low.parse::<u16>().ok()?, high.parse::<u16>().ok()?);
        (low <= high).then_some((low, high))
    };
    let (c_low, c_high) = range(container).ok_or_else(|| format!("Invalid containerPort: {container}"))?;
    if !host.is_empty() {
        let (h_low, h_high) = range(host).ok_or_else(|| format!("Invalid hostPort: {host}"))?;
        if c_high - c_low != h_high - h_low && c_high != c_low {
            return Err(format!("Invalid ranges specified for container and host Ports: {container} and {host}"));
        }
    }
    if !matches!(proto.to_ascii_lowercase().as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("Invalid proto: {proto}"));
    }
    Ok(())
}

/// Accepted container settings that the simulator does not model, rendered so that two specs
/// differing only there still compare unequal.
fn extra_settings(entries: &Entries) -> BTreeMap<String, String> {
    entries
        .iter()
        .filter(|(k, _)| !MODELLED_KEYS.contains(&k.as_str()) && !UNSUPPORTED_IN_SWARM.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.render()))
        .collect()
}

/// `deploy.resources`, `deploy.placement.preferences` and `deploy.endpoint_mode`, rendered
/// (swarmkit's `IsTaskDirty` compares the task spec and the endpoint spec).
fn deploy_task_extras(deploy: &Entries) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in ["resources", "endpoint_mode"] {
        if let Some(v) = get(deploy, key) {
            out.push((format!("deploy.{key}"), v.render()));
        }
    }
    if let Some(Yaml::Map(p)) = get(deploy, "placement")
        && let Some(v) = get(p, "preferences")
    {
        out.push(("deploy.placement.preferences".to_string(), v.render()));
    }
    out
}

struct Deploy {
    mode: ServiceMode,
    update: UpdateConfig,
    rollback: UpdateConfig,
    restart: RestartPolicy,
    placement: Placement,
    resources: ResourceRequirements,
    labels: BTreeMap<String, String>,
}

/// `deploy.replicas`: at most [`MAX_REPLICAS`].
fn replicas(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<u64> {
    let n = c.u64(v, path)?;
    if n > MAX_REPLICAS {
        let hint = "deploysim simulates every task; scale the scenario down (the timing of a rolling update \
                    does not depend on the replicas beyond parallelism)";
        c.error(path, format!("is {n}: more than deploysim's limit of {MAX_REPLICAS} replicas"), Some(hint.into()));
        return None;
    }
    Some(n)
}

fn deploy_settings(c: &mut Checker<'_>, d: &Entries, path: &Path) -> Deploy {
    c.check_keys(d, path, DEPLOY_KEYS, false, DEPLOY_NESTED);
    let global = c.optional(d, path, "mode", |c, v, p| c.choice(v, p, &[("replicated", false), ("global", true)]));
    let replicas = c.optional(d, path, "replicas", replicas);
    if global == Some(true) && get(d, "replicas").is_some() {
        c.error(&path.key("replicas"), "replicas can only be used with replicated mode", None);
    }
    let mode = if global == Some(true) {
        ServiceMode::Global
    } else {
        ServiceMode::Replicated { replicas: replicas.unwrap_or(1) }
    };
    let update = c.optional(d, path, "update_config", update_config).unwrap_or_default();
    let rollback = c.optional(d, path, "rollback_config", update_config).unwrap_or_default();
    let restart = c.optional(d, path, "restart_policy", restart_policy).unwrap_or_default();
    let placement = c.optional(d, path, "placement", placement).unwrap_or_default();
    if global == Some(true) && placement.max_replicas_per_node > 0 {
        let at = path.key("placement").key("max_replicas_per_node");
        c.error(&at, "max_replicas_per_node can only be used with replicated mode", None);
    }
    let labels = c.optional(d, path, "labels", labels).unwrap_or_default();
    let resources = c.optional(d, path, "resources", resources).unwrap_or_default();
    Deploy { mode, update, rollback, restart, placement, resources, labels }
}

/// `deploy.labels`: a list of `KEY=VALUE` (a bare `KEY` has an empty value) or a mapping, as
/// compose's `list_or_dict`.
fn labels(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<BTreeMap<String, String>> {
    let out = label_entries(c, v, path)?;
    if let Some(w) = out.get(crate::model::route::WEIGHT_LABEL)
        && crate::model::route::parse_weight(w).is_none()
    {
        let hint = "a router weight is a whole number, e.g. deploysim.weight=10".to_string();
        c.error(path, format!("deploysim.weight must be a non-negative integer, not {w:?}"), Some(hint));
    }
    Some(out)
}

fn label_entries(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    match v {
        Yaml::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let text = c.string(item, &path.index(i))?;
                let (k, v) = text.split_once('=').unwrap_or((&text, ""));
                out.insert(k.to_string(), v.to_string());
            }
        }
        Yaml::Map(entries) => {
            for (k, item) in entries {
                let text = match item {
                    Yaml::Null => String::new(),
                    other => c.scalar_text(other, &path.key(k))?,
                };
                out.insert(k.clone(), text);
            }
        }
        other => {
            c.error(path, "must be a list of KEY=VALUE or a mapping", Some(format!("found {}", other.kind())));
            return None;
        }
    }
    Some(out)
}

/// `update_config` / `rollback_config`. A block that is present takes docker/cli's
/// parallelism of 1 and swarmkit's defaults for the rest (`UpdateConfig::default()`).
fn update_config(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<UpdateConfig> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, UPDATE_KEYS, false, &[]);
    let mut u = UpdateConfig::default();
    if let Some(n) = c.optional(e, path, "parallelism", Checker::u64) {
        u.parallelism = n;
    }
    if let Some(d) = c.optional(e, path, "delay", Checker::duration) {
        u.delay = d;
    }
    // The daemon only sets Monitor when it is non-zero (daemon/cluster/convert/service.go), so a
    // monitor of 0 reaches swarmkit as unset and takes the 5s default.
    match c.optional(e, path, "monitor", Checker::duration) {
        Some(SimDuration::ZERO) => c.warn(
            &path.key("monitor"),
            format!("monitor 0s means {}: the daemon drops a zero monitor and swarmkit uses its default", u.monitor),
            Some("failures after that are not counted; set the window you want, e.g. monitor: 30s".into()),
        ),
        Some(m) => u.monitor = m,
        None => {}
    }
    if let Some(a) = c.optional(e, path, "failure_action", |c, v, p| c.choice(v, p, FAILURE_ACTIONS)) {
        u.failure_action = a;
    }
    if let Some(r) = c.optional(e, path, "max_failure_ratio", Checker::probability) {
        u.max_failure_ratio = r as f32;
    }
    if let Some(o) = c.optional(e, path, "order", |c, v, p| c.choice(v, p, ORDERS)) {
        u.order = o;
    }
    Some(u)
}

fn restart_policy(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<RestartPolicy> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, RESTART_KEYS, false, &[]);
    let mut r = RestartPolicy::default();
    let condition = |c: &mut Checker<'_>, v: &Yaml, p: &Path| {
        let chosen = c.choice(v, p, RESTART_CONDITIONS);
        if let (None, Yaml::Str(s)) = (chosen, v)
            && let Some(hint) = restart_condition_hint(s)
            && let Some(error) = c.out.errors.last_mut()
        {
            error.hint = Some(hint);
        }
        chosen
    };
    if let Some(x) = c.optional(e, path, "condition", condition) {
        r.condition = x;
    }
    if let Some(d) = c.optional(e, path, "delay", Checker::duration) {
        r.delay = d;
    }
    if let Some(n) = c.optional(e, path, "max_attempts", Checker::u64) {
        r.max_attempts = n;
    }
    if let Some(w) = c.optional(e, path, "window", Checker::duration) {
        r.window = w;
    }
    Some(r)
}

/// `deploy.resources`: `limits` and `reservations` of `cpus` (docker/cli converts them with
/// `opts.ParseCPUs`) and `memory` (go-units `RAMInBytes`); see [`super::resources`].
fn resources(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<ResourceRequirements> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, RESOURCES_KEYS, false, &[]);
    let mut out = ResourceRequirements::default();
    if let Some(limits) = get(e, "limits") {
        out.limits = resource_amounts(c, limits, &path.key("limits"), &["cpus", "memory", "pids"]);
    }
    if let Some(reservations) = get(e, "reservations") {
        let keys = &["cpus", "memory", "generic_resources", "devices"];
        out.reservations = resource_amounts(c, reservations, &path.key("reservations"), keys);
    }
    Some(out)
}

fn resource_amounts(c: &mut Checker<'_>, v: &Yaml, path: &Path, keys: &[&str]) -> Resources {
    let mut out = Resources::default();
    let Some(e) = c.entries(v, path) else { return out };
    c.check_keys(e, path, keys, false, &[]);
    let amount = |c: &mut Checker<'_>, key: &str, parse: fn(&str) -> Result<u64, String>, hint: &str| {
        let v = get(e, key)?;
        let at = path.key(key);
        let text = c.scalar_text(v, &at)?;
        parse(text.trim()).map_err(|why| c.error(&at, why, Some(hint.to_string()))).ok()
    };
    if let Some(n) = amount(c, "cpus", super::resources::parse_cpus, "a number of CPUs, e.g. cpus: \"0.5\"") {
        out.nano_cpus = n;
    }
    if let Some(n) =
        amount(c, "memory", super::resources::parse_memory, "e.g. memory: 512M, 1GiB, or a number of bytes")
    {
        out.memory_bytes = n;
    }
    for key in ["generic_resources", "devices", "pids"] {
        if get(e, key).is_some() {
            c.warn(
                &path.key(key),
                format!("{key} is accepted but not simulated: the scheduler here counts cpus and memory"),
                None,
            );
        }
    }
    out
}

fn placement(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Placement> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, PLACEMENT_KEYS, false, &[]);
    let mut p = Placement::default();
    if let Some(n) = c.optional(e, path, "max_replicas_per_node", Checker::u64) {
        p.max_replicas_per_node = n;
    }
    if let Some(Yaml::Seq(items)) = get(e, "constraints") {
        let cpath = path.key("constraints");
        for (i, item) in items.iter().enumerate() {
            let ipath = cpath.index(i);
            if let Some(text) = c.string(item, &ipath) {
                p.constraints.extend(constraint(c, &text, &ipath));
            }
        }
    } else if let Some(other) = get(e, "constraints") {
        c.error(&path.key("constraints"), "must be a list", Some(format!("found {}", other.kind())));
    }
    if let Some(v) = get(e, "preferences") {
        p.preferences = preferences(c, v, &path.key("preferences"));
    }
    Some(p)
}

/// `preferences`: a list of `{spread: DESCRIPTOR}` (docker/cli `convertPlacementPreferences`).
/// swarmkit's tree spreads only over `node.labels.*` and `engine.labels.*`; it skips any other
/// descriptor, so such a one gets a warning.
fn preferences(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Vec<String> {
    let Yaml::Seq(items) = v else {
        c.error(path, "must be a list", Some(format!("found {}", v.kind())));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ipath = path.index(i);
        let Some(e) = c.entries(item, &ipath) else { continue };
        c.check_keys(e, &ipath, &["spread"], false, &[]);
        let Some(descriptor) = c.required(e, &ipath, "spread", Checker::string) else { continue };
        if crate::swarm::placement::spread_label(&descriptor).is_none() {
            c.warn(
                &ipath.key("spread"),
                format!("swarmkit spreads only over node.labels.* and engine.labels.*: \"{descriptor}\" is ignored"),
                Some("e.g. spread: node.labels.zone".into()),
            );
        }
        out.push(descriptor);
    }
    out
}

/// Constraint keys swarmkit matches; any other key never matches, leaving tasks pending.
const CONSTRAINT_KEYS: &[&str] = &["node.id", "node.hostname", "node.role", "node.platform.os", "node.platform.arch"];

/// `node.role == manager` (swarmkit's operators `==` and `!=` only).
fn constraint(c: &mut Checker<'_>, text: &str, path: &Path) -> Option<Constraint> {
    let parsed = [("==", ConstraintOp::Eq), ("!=", ConstraintOp::Ne)]
        .iter()
        .find_map(|(sym, op)| text.split_once(sym).map(|(k, v)| (k.trim(), *op, v.trim())));
    let Some((key, op, value)) = parsed.filter(|(k, _, v)| !k.is_empty() && !v.is_empty()) else {
        let hint = "write e.g. \"node.role == manager\" or \"node.labels.zone != a\"";
        c.error(path, format!("invalid constraint \"{text}\": expected KEY==VALUE or KEY!=VALUE"), Some(hint.into()));
        return None;
    };
    let label = key.starts_with("node.labels.") || key.starts_with("engine.labels.");
    if !label && !CONSTRAINT_KEYS.contains(&key) {
        let hint = suggest::closest(key, CONSTRAINT_KEYS).map(|k| format!("did you mean {k}?"));
        c.warn(path, format!("constraint key \"{key}\" matches no node: its tasks will stay pending"), hint);
    }
    if key == "node.role" && !value.eq_ignore_ascii_case("manager") && !value.eq_ignore_ascii_case("worker") {
        c.warn(path, format!("node.role is manager or worker, never \"{value}\""), None);
    }
    Some(Constraint { key: key.to_string(), op, value: value.to_string() })
}

/// A service `healthcheck` (overrides the image's `HEALTHCHECK`).
fn healthcheck(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Healthcheck> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, HEALTH_KEYS, false, &[]);
    if c.optional(e, path, "disable", Checker::bool) == Some(true) {
        if get(e, "test").is_some() {
            c.error(path, "test and disable can't be set at the same time", None);
        }
        return Some(Healthcheck::Disabled);
    }
    let test = c.optional(e, path, "test", health_test).unwrap_or_default();
    if test.first().map(String::as_str) == Some("NONE") {
        return Some(Healthcheck::Disabled);
    }
    let retries = c.optional(e, path, "retries", Checker::u64);
    let retries = retries.map(|r| u32::try_from(r).unwrap_or(u32::MAX));
    Some(Healthcheck::Check(HealthConfig {
        test,
        interval: c.optional(e, path, "interval", Checker::duration),
        timeout: c.optional(e, path, "timeout", Checker::duration),
        retries,
        start_period: c.optional(e, path, "start_period", Checker::duration),
        start_interval: c.optional(e, path, "start_interval", Checker::duration),
    }))
}

/// `test:` as a string (`CMD-SHELL`) or a list kept as written.
fn health_test(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Vec<String>> {
    match v {
        Yaml::Str(s) => Some(vec!["CMD-SHELL".to_string(), s.clone()]),
        Yaml::Seq(items) => {
            let words: Vec<Option<String>> =
                items.iter().enumerate().map(|(i, w)| c.scalar_text(w, &path.index(i))).collect();
            words.into_iter().collect()
        }
        other => {
            c.error(path, "must be a string or a list", Some(format!("found {}", other.kind())));
            None
        }
    }
}

/// Service `secrets` (or `configs`): short names or `{source, target, uid, gid, mode}`. A
/// config's target defaults to its source as a secret's does (docker/cli); moby mounts a
/// relative config target at `/<target>`, a secret's at `/run/secrets/<target>`.
fn secrets(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Vec<crate::model::secret::SecretRef>> {
    let Yaml::Seq(items) = v else {
        c.error(path, "must be a list", Some(format!("found {}", v.kind())));
        return None;
    };
    let mut refs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ipath = path.index(i);
        match item {
            Yaml::Map(e) => {
                c.check_keys(e, &ipath, &["source", "target", "uid", "gid", "mode"], true, &[]);
                if let Some(source) = c.required(e, &ipath, "source", Checker::string) {
                    let mut r = crate::model::secret::SecretRef::named(&source);
                    if let Some(t) = c.optional(e, &ipath, "target", Checker::string) {
                        r.target = t;
                    }
                    // docker/cli's schema types uid and gid as strings (`uid: "103"`).
                    if let Some(uid) = c.optional(e, &ipath, "uid", owner_id) {
                        r.uid = uid;
                    }
                    if let Some(gid) = c.optional(e, &ipath, "gid", owner_id) {
                        r.gid = gid;
                    }
                    if let Some(mode) = c.optional(e, &ipath, "mode", Checker::file_mode) {
                        r.mode = mode;
                    }
                    refs.push(r);
                }
            }
            other => refs.extend(c.string(other, &ipath).map(|s| crate::model::secret::SecretRef::named(&s))),
        }
    }
    Some(refs)
}

/// A long-syntax `uid`/`gid`: a string, as docker/cli's compose schema types them (an unquoted
/// number fails its validation with "must be a string").
fn owner_id(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<String> {
    match v {
        Yaml::Str(s) => Some(s.clone()),
        Yaml::Int(i) => {
            c.error(path, "must be a string", Some(format!("quote it: \"{i}\"")));
            None
        }
        other => {
            c.error(path, "must be a string", Some(format!("found {}", other.kind())));
            None
        }
    }
}

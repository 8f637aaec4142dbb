//! `deploysim import`: a scenario from a real cluster — `docker service inspect` JSON (moby
//! `api/types/swarm`: `Service{Spec: ServiceSpec}`, `TaskSpec`, `ContainerSpec`, `HealthConfig`
//! in `api/types/container`, `UpdateConfig`, `RestartPolicy`, `Placement`, `ResourceRequirements`;
//! durations are Go `time.Duration`, i.e. nanoseconds) and `docker node ls --format '{{json .}}'`
//! lines or `docker node inspect` JSON (`swarm.Node{Spec: NodeSpec, Description}`). Absent
//! fields take Docker's defaults: swarmkit `api/defaults/service.go` (`defaults.Service`, which
//! docker/cli `cli/command/service/opts.go` fills flags from) — update and rollback parallelism
//! 1, delay 0, failure_action pause, monitor 5s, max_failure_ratio 0, order stop-first; restart
//! condition any, delay 5s, max_attempts 0, window 0 — and the engine's stop timeout of 10 s
//! (moby `container.DefaultStopTimeout`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::commands::Error;

/// Write a scenario (a compose stack file with `x-simulation`) from `docker service inspect`
/// JSON and, optionally, the cluster's nodes.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The output of `docker service inspect NAME...` (a JSON array of services).
    pub inspect: PathBuf,
    /// The output of `docker node ls --format '{{json .}}'` (one JSON object a line) or of
    /// `docker node inspect $(docker node ls -q)` (a JSON array); without it, one manager node.
    #[arg(long, value_name = "NODES.json")]
    pub nodes: Option<PathBuf>,
    /// Where to write the scenario (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "OUT.yml")]
    pub output: Option<PathBuf>,
    /// The stack name, for services with no `com.docker.stack.namespace` label (default: the
    /// stack label, else the inspect file's name).
    #[arg(long, value_name = "NAME")]
    pub stack: Option<String>,
}

/// The label `docker stack deploy` puts on every service of a stack (docker/cli
/// `cli/compose/convert.LabelNamespace`).
const STACK_LABEL: &str = "com.docker.stack.namespace";

/// The label `docker stack deploy` adds to record each service's image (docker/cli
/// `convert.LabelImage`): it writes it again on every deploy, so it is not the file's.
const STACK_IMAGE_LABEL: &str = "com.docker.stack.image";

/// What every assumed value says.
const ASSUMED: &str = "# assumed: measure with `deploysim calibrate TRACE`";

/// `deploysim import`: writes the scenario.
pub fn run(args: &ImportArgs) -> Result<(), Error> {
    let yaml = import(&args.inspect, args.nodes.as_deref(), args.stack.as_deref())?;
    match &args.output {
        Some(path) => std::fs::write(path, yaml).map_err(Error::io(format!("could not write {}", path.display()))),
        None => {
            print!("{yaml}");
            Ok(())
        }
    }
}

/// The scenario's YAML from an inspect file, a nodes file and a stack name (for services with no
/// stack label; default: the inspect file's name up to its first dot).
pub fn import(inspect: &Path, nodes: Option<&Path>, stack: Option<&str>) -> Result<String, Error> {
    let text = read(inspect)?;
    let services = parse_services(inspect, &text)?;
    let nodes = match nodes {
        Some(path) => Some(parse_nodes(path, &read(path)?)?),
        None => None,
    };
    let default_stack = stack.map(str::to_string).unwrap_or_else(|| {
        inspect
            .file_name()
            .map(|n| n.to_string_lossy().split('.').next().unwrap_or("stack").to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "stack".into())
    });
    render(&services, nodes.as_deref(), &default_stack).map_err(|e| Error::input(format!("{}: {e}", inspect.display())))
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::input(format!("cannot read {}: {e}", path.display())))
}

fn json_error(path: &Path, e: &serde_json::Error, hint: &str) -> Error {
    Error::input(format!("{}:{}:{}: not valid JSON: {e}\n  hint: {hint}", path.display(), e.line(), e.column()))
}

const INSPECT_HINT: &str = "give the output of `docker service inspect NAME...` (a JSON array), not --pretty";

/// One service of the inspect array: its index (for messages) and its `Spec`.
struct Service<'a> {
    at: String,
    spec: &'a Value,
}

/// The services of the inspect file, each with a `Spec` object.
pub fn parse_services(path: &Path, text: &str) -> Result<Vec<Value>, Error> {
    let root: Value = serde_json::from_str(text).map_err(|e| json_error(path, &e, INSPECT_HINT))?;
    let Value::Array(items) = root else {
        return Err(Error::input(format!(
            "{}: expected a JSON array of services (as `docker service inspect` prints), found {}\n  hint: {INSPECT_HINT}",
            path.display(),
            kind(&root)
        )));
    };
    if items.is_empty() {
        return Err(Error::input(format!("{}: the array holds no service\n  hint: {INSPECT_HINT}", path.display())));
    }
    for (i, item) in items.iter().enumerate() {
        if !item.get("Spec").is_some_and(Value::is_object) {
            return Err(Error::input(format!(
                "{}: [{i}]: expected a service object with a Spec object (found {})\n  hint: {INSPECT_HINT}",
                path.display(),
                kind(item)
            )));
        }
    }
    Ok(items)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(o) if o.contains_key("Spec") => "an object with Spec",
        Value::Object(_) => "an object with no Spec",
    }
}

/// A cluster node as the scenario writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedNode {
    name: String,
    manager: bool,
    availability: String,
    labels: Vec<(String, String)>,
    nano_cpus: u64,
    memory_bytes: u64,
}

const NODES_HINT: &str =
    "give `docker node ls --format '{{json .}}'` (one object a line) or `docker node inspect` JSON";

/// The nodes of a `docker node ls --format '{{json .}}'` or `docker node inspect` file.
pub fn parse_nodes(path: &Path, text: &str) -> Result<Vec<ImportedNode>, Error> {
    let values: Vec<Value> = if text.trim_start().starts_with('[') {
        match serde_json::from_str(text).map_err(|e| json_error(path, &e, NODES_HINT))? {
            Value::Array(items) => items,
            other => {
                return Err(Error::input(format!(
                    "{}: expected a JSON array of nodes, found {}",
                    path.display(),
                    kind(&other)
                )));
            }
        }
    } else {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line).map_err(|e| {
                Error::input(format!(
                    "{}:{}:{}: not valid JSON: {e}\n  hint: {NODES_HINT}",
                    path.display(),
                    n + 1,
                    e.column()
                ))
            })?;
            out.push(v);
        }
        out
    };
    let mut nodes = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let node = if v.get("Spec").is_some() || v.get("Description").is_some() {
            // `docker node inspect`: swarm.Node.
            let name = str_at(v, &["Description", "Hostname"]).unwrap_or_default();
            let manager = str_at(v, &["Spec", "Role"]) == Some("manager");
            let availability = str_at(v, &["Spec", "Availability"]).unwrap_or("active").to_lowercase();
            let labels = string_map(v.pointer("/Spec/Labels"));
            let nano_cpus = v.pointer("/Description/Resources/NanoCPUs").and_then(Value::as_u64).unwrap_or(0);
            let memory_bytes = v.pointer("/Description/Resources/MemoryBytes").and_then(Value::as_u64).unwrap_or(0);
            ImportedNode { name: name.to_string(), manager, availability, labels, nano_cpus, memory_bytes }
        } else if v.get("Hostname").is_some() {
            // `docker node ls --format '{{json .}}'`: the CLI's formatter fields (no labels, no
            // resources; ManagerStatus is empty on workers).
            let name = str_at(v, &["Hostname"]).unwrap_or_default();
            let manager = str_at(v, &["ManagerStatus"]).is_some_and(|s| !s.is_empty());
            let availability = str_at(v, &["Availability"]).unwrap_or("Active").to_lowercase();
            ImportedNode {
                name: name.to_string(),
                manager,
                availability,
                labels: Vec::new(),
                nano_cpus: 0,
                memory_bytes: 0,
            }
        } else {
            return Err(Error::input(format!(
                "{}: node {}: neither a `docker node inspect` object (Spec, Description) nor a `docker node ls` line (Hostname)\n  hint: {NODES_HINT}",
                path.display(),
                i + 1
            )));
        };
        if node.name.is_empty() {
            return Err(Error::input(format!("{}: node {}: no hostname", path.display(), i + 1)));
        }
        if !["active", "pause", "drain"].contains(&node.availability.as_str()) {
            return Err(Error::input(format!(
                "{}: node {}: unknown availability {:?} (expected active, pause or drain)",
                path.display(),
                node.name,
                node.availability
            )));
        }
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(Error::input(format!("{}: no node\n  hint: {NODES_HINT}", path.display())));
    }
    Ok(nodes)
}

fn str_at<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in keys {
        cur = cur.get(k)?;
    }
    cur.as_str()
}

fn string_map(v: Option<&Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// A YAML double-quoted scalar (JSON's string escapes are YAML's).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A Go duration in nanoseconds as compose writes it.
fn dur(ns: u64) -> String {
    if ns == 0 {
        "0s".into()
    } else if ns.is_multiple_of(1_000_000_000) {
        format!("{}s", ns / 1_000_000_000)
    } else if ns.is_multiple_of(1_000_000) {
        format!("{}ms", ns / 1_000_000)
    } else if ns.is_multiple_of(1_000) {
        format!("{}us", ns / 1_000)
    } else {
        format!("{ns}ns")
    }
}

/// A field of a service that must be a non-negative integer (or absent).
fn uint(s: &Service<'_>, pointer: &str) -> Result<Option<u64>, String> {
    match s.spec.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            format!("{}.Spec{}: expected a non-negative integer, found {v}", s.at, pointer.replace('/', "."))
        }),
    }
}

fn string(s: &Service<'_>, pointer: &str) -> Result<Option<String>, String> {
    match s.spec.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(v)) => Ok(Some(v.clone())),
        Some(v) => Err(format!("{}.Spec{}: expected a string, found {v}", s.at, pointer.replace('/', "."))),
    }
}

fn choice(s: &Service<'_>, pointer: &str, allowed: &[&str], default: &str) -> Result<String, String> {
    let v = string(s, pointer)?.unwrap_or_else(|| default.to_string());
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(format!(
            "{}.Spec{}: unknown value {v:?} (Docker 20.10 knows {})",
            s.at,
            pointer.replace('/', "."),
            allowed.join(", ")
        ))
    }
}

fn strings(s: &Service<'_>, pointer: &str) -> Vec<String> {
    s.spec
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The YAML of the scenario.
pub fn render(items: &[Value], nodes: Option<&[ImportedNode]>, default_stack: &str) -> Result<String, String> {
    let services: Vec<Service<'_>> =
        items.iter().enumerate().map(|(i, v)| Service { at: format!("[{i}]"), spec: &v["Spec"] }).collect();
    // The stack: every service's namespace label must agree.
    let labelled: BTreeSet<&str> =
        services.iter().filter_map(|s| s.spec.pointer("/Labels").and_then(|l| l.get(STACK_LABEL))?.as_str()).collect();
    if labelled.len() > 1 {
        return Err(format!(
            "the services belong to several stacks ({}); import one stack at a time",
            labelled.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    let from_stack = labelled.len() == 1;
    let stack = labelled.iter().next().map(|s| s.to_string()).unwrap_or_else(|| default_stack.to_string());
    let mut out = String::new();
    out.push_str("# Imported by `deploysim import` from `docker service inspect`");
    out.push_str(if nodes.is_some() { " and the cluster's nodes.\n" } else { ".\n" });
    if !from_stack {
        let _ = writeln!(
            out,
            "# No service has a {STACK_LABEL} label (created with `docker service create`): the stack name\n# {stack:?} is the simulation's, so a service NAME is {stack}_NAME in the timeline."
        );
    }
    out.push_str("version: \"3.8\"\nservices:\n");
    let mut images: BTreeSet<String> = BTreeSet::new();
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    let mut networks: BTreeSet<String> = BTreeSet::new();
    let mut names = BTreeSet::new();
    for s in &services {
        let full = string(s, "/Name")?.ok_or_else(|| format!("{}.Spec.Name: missing", s.at))?;
        let name = if from_stack { full.strip_prefix(&format!("{stack}_")).unwrap_or(&full).to_string() } else { full };
        if !names.insert(name.clone()) {
            return Err(format!("{}: service {name:?} appears twice", s.at));
        }
        let image = string(s, "/TaskTemplate/ContainerSpec/Image")?
            .ok_or_else(|| format!("{}.Spec.TaskTemplate.ContainerSpec.Image: missing", s.at))?;
        images.insert(image.clone());
        let _ = writeln!(out, "  {name}:\n    image: {}", q(&image));
        service_body(&mut out, s, &mut secrets)?;
        // A stack service is on the stack's network(s) anyway (the loader's `default`); one made
        // with `docker service create --network` keeps its networks, which matter because a
        // task on one waits moby's gossip delay before it stops.
        let attached: Vec<&str> = s
            .spec
            .pointer("/TaskTemplate/Networks")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|n| n.get("Target")?.as_str()).collect())
            .unwrap_or_default();
        if !from_stack && !attached.is_empty() {
            let named: Vec<String> =
                attached.iter().map(|id| format!("net-{}", id.chars().take(12).collect::<String>())).collect();
            out.push_str("    # attached with --network; inspect gives only the networks' ids\n");
            let _ = writeln!(out, "    networks: [{}]", list(&named));
            networks.extend(named);
        }
    }
    if !secrets.is_empty() {
        out.push_str("secrets:\n");
        for name in &secrets {
            let _ = writeln!(out, "  {}:\n    external: true", q(name));
        }
    }
    if !networks.is_empty() {
        out.push_str("networks:\n");
        for name in &networks {
            let _ = writeln!(out, "  {}:\n    external: true", q(name));
        }
    }
    out.push_str("\nx-simulation:\n");
    let _ = writeln!(out, "  stack: {}", q(&stack));
    out.push_str("  seed: 1\n  engine: \"20.10\"\n");
    let deployed = if from_stack { "docker stack deploy" } else { "docker service create" };
    let _ = writeln!(out, "  deployed_with: {}", q(deployed));
    out.push_str("  until: 300s\n  cluster:\n    nodes:\n");
    match nodes {
        None => out.push_str(
            "      # assumed: one manager node (no --nodes file given; capture one with\n      # `docker node ls --format '{{json .}}'`)\n      - {name: node-1, role: manager}\n",
        ),
        Some(nodes) => {
            for n in nodes {
                let _ = write!(out, "      - {{name: {}, role: {}", q(&n.name), if n.manager { "manager" } else { "worker" });
                if n.availability != "active" {
                    let _ = write!(out, ", availability: {}", n.availability);
                }
                if n.nano_cpus > 0 {
                    let _ = write!(out, ", cpus: {}", cpus(n.nano_cpus));
                }
                if n.memory_bytes > 0 {
                    let _ = write!(out, ", memory: {}", n.memory_bytes);
                }
                if !n.labels.is_empty() {
                    let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{}: {}", q(k), q(v))).collect();
                    let _ = write!(out, ", labels: {{{}}}", labels.join(", "));
                }
                out.push_str("}\n");
            }
        }
    }
    out.push_str("  images:\n");
    for image in &images {
        let _ = writeln!(out, "    {}:", q(image));
        let _ = writeln!(out, "      cached: true  {ASSUMED} (present on every node)");
        let _ = writeln!(out, "      start: 1s  {ASSUMED}");
        let _ = writeln!(out, "      health: healthy  {ASSUMED}");
        let _ = writeln!(out, "      stop: {{after: 100ms, exit_code: 0}}  {ASSUMED}");
    }
    out.push_str("  timeline: []  # add the command to simulate, e.g. - {at: 30s, run: docker service update ...}\n");
    Ok(out)
}

/// NanoCPUs as a decimal number of CPUs.
fn cpus(nano: u64) -> String {
    let whole = nano / 1_000_000_000;
    let frac = nano % 1_000_000_000;
    if frac == 0 { format!("{whole}") } else { format!("\"{whole}.{}\"", format!("{frac:09}").trim_end_matches('0')) }
}

/// A service's settings under its name.
fn service_body(out: &mut String, s: &Service<'_>, secrets: &mut BTreeSet<String>) -> Result<(), String> {
    let cs = "/TaskTemplate/ContainerSpec";
    let command = strings(s, &format!("{cs}/Command"));
    if !command.is_empty() {
        let _ = writeln!(out, "    entrypoint: [{}]", list(&command));
    }
    let args = strings(s, &format!("{cs}/Args"));
    if !args.is_empty() {
        let _ = writeln!(out, "    command: [{}]", list(&args));
    }
    let env = strings(s, &format!("{cs}/Env"));
    if !env.is_empty() {
        let _ = writeln!(out, "    environment: [{}]", list(&env));
    }
    if let Some(user) = string(s, &format!("{cs}/User"))?.filter(|u| !u.is_empty()) {
        let _ = writeln!(out, "    user: {}", q(&user));
    }
    if let Some(dir) = string(s, &format!("{cs}/Dir"))?.filter(|u| !u.is_empty()) {
        let _ = writeln!(out, "    working_dir: {}", q(&dir));
    }
    let hc = format!("{cs}/Healthcheck");
    if s.spec.pointer(&hc).is_some_and(Value::is_object) {
        let test = strings(s, &format!("{hc}/Test"));
        if test.first().map(String::as_str) == Some("NONE") {
            out.push_str("    healthcheck:\n      disable: true\n");
        } else {
            out.push_str("    healthcheck:\n");
            if !test.is_empty() {
                let _ = writeln!(out, "      test: [{}]", list(&test));
            }
            // A zero duration means "the image's (or the engine's) default" (moby
            // api/types/container.HealthConfig): such a field is left out.
            for (field, key) in [("Interval", "interval"), ("Timeout", "timeout"), ("StartPeriod", "start_period")] {
                if let Some(ns) = uint(s, &format!("{hc}/{field}"))?.filter(|&n| n > 0) {
                    let _ = writeln!(out, "      {key}: {}", dur(ns));
                }
            }
            if let Some(r) = uint(s, &format!("{hc}/Retries"))?.filter(|&n| n > 0) {
                let _ = writeln!(out, "      retries: {r}");
            }
        }
    }
    match uint(s, &format!("{cs}/StopGracePeriod"))? {
        Some(ns) => {
            let _ = writeln!(out, "    stop_grace_period: {}", dur(ns));
        }
        None => out.push_str("    stop_grace_period: 10s  # Docker's default (unset in the inspect)\n"),
    }
    let secret_refs = s.spec.pointer(&format!("{cs}/Secrets")).and_then(Value::as_array).cloned().unwrap_or_default();
    if !secret_refs.is_empty() {
        // Names and targets only: the inspect holds no value, and none is written.
        out.push_str("    secrets:\n");
        for r in &secret_refs {
            let name = r.get("SecretName").and_then(Value::as_str).unwrap_or_default();
            let target = r.pointer("/File/Name").and_then(Value::as_str).unwrap_or(name);
            secrets.insert(name.to_string());
            let _ = writeln!(out, "      - {{source: {}, target: {}}}", q(name), q(target));
        }
    }
    let labels = string_map(s.spec.pointer("/Labels"));
    out.push_str("    deploy:\n");
    // Mode: moby swarm.ServiceMode holds exactly one of Replicated, Global (and, from API
    // 1.41 on, ReplicatedJob/GlobalJob, which Docker 20.10's stack files cannot express).
    let mode = s.spec.pointer("/Mode").and_then(Value::as_object);
    match mode {
        Some(m) if m.contains_key("Replicated") => {
            let replicas = uint(s, "/Mode/Replicated/Replicas")?.unwrap_or(1);
            let _ = writeln!(out, "      mode: replicated\n      replicas: {replicas}");
        }
        Some(m) if m.contains_key("Global") => out.push_str("      mode: global\n"),
        Some(m) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            return Err(format!(
                "{}.Spec.Mode: unknown mode {{{}}} (deploysim simulates Replicated and Global services; jobs are not modelled)",
                s.at,
                keys.join(", ")
            ));
        }
        None => return Err(format!("{}.Spec.Mode: missing (expected Replicated or Global)", s.at)),
    }
    let service_labels: Vec<&(String, String)> =
        labels.iter().filter(|(k, _)| k != STACK_LABEL && k != STACK_IMAGE_LABEL).collect();
    if !service_labels.is_empty() {
        out.push_str("      labels:\n");
        for (k, v) in service_labels {
            let _ = writeln!(out, "        {}: {}", q(k), q(v));
        }
    }
    for (block, key) in [("/UpdateConfig", "update_config"), ("/RollbackConfig", "rollback_config")] {
        update_config(out, s, block, key)?;
    }
    restart_policy(out, s)?;
    resources(out, s)?;
    placement(out, s)?;
    let ports = s.spec.pointer("/EndpointSpec/Ports").and_then(Value::as_array).cloned().unwrap_or_default();
    if !ports.is_empty() {
        // Long syntax (compose 3.2+), the fields of moby swarm.PortConfig.
        out.push_str("    ports:\n");
        for p in &ports {
            let target = p.get("TargetPort").and_then(Value::as_u64).unwrap_or(0);
            let _ = write!(out, "      - {{target: {target}");
            if let Some(published) = p.get("PublishedPort").and_then(Value::as_u64).filter(|&n| n > 0) {
                let _ = write!(out, ", published: {published}");
            }
            let protocol = p.get("Protocol").and_then(Value::as_str).unwrap_or("tcp");
            let mode = p.get("PublishMode").and_then(Value::as_str).unwrap_or("ingress");
            let _ = writeln!(out, ", protocol: {protocol}, mode: {mode}}}");
        }
    }
    Ok(())
}

fn list(items: &[String]) -> String {
    items.iter().map(|x| q(x)).collect::<Vec<_>>().join(", ")
}

fn update_config(out: &mut String, s: &Service<'_>, block: &str, key: &str) -> Result<(), String> {
    // moby api/types/swarm/service.go `UpdateConfig`: Parallelism is always written (0 = all at
    // once); Delay, FailureAction, Monitor, MaxFailureRatio and Order are omitempty, so an absent
    // one is zero, which swarmkit reads as its default (FailureAction "" is PAUSE, Monitor 0 is
    // defaults.Service.Update.Monitor = 5s). A whole absent block is defaults.Service.Update.
    let present = s.spec.pointer(block).is_some_and(Value::is_object);
    let p = |f: &str| format!("{block}/{f}");
    let parallelism = if present { uint(s, &p("Parallelism"))?.unwrap_or(0) } else { 1 };
    let delay = uint(s, &p("Delay"))?.unwrap_or(0);
    let action = choice(s, &p("FailureAction"), &["pause", "continue", "rollback"], "pause")?;
    let monitor = uint(s, &p("Monitor"))?.unwrap_or(5_000_000_000);
    let ratio = match s.spec.pointer(&p("MaxFailureRatio")) {
        None | Some(Value::Null) => 0.0,
        Some(v) => v.as_f64().ok_or_else(|| format!("{}.Spec{}.MaxFailureRatio: expected a number", s.at, block))?,
    };
    let order = choice(s, &p("Order"), &["stop-first", "start-first"], "stop-first")?;
    if key == "rollback_config" && action == "rollback" {
        return Err(format!("{}.Spec.RollbackConfig.FailureAction: \"rollback\" is not valid for a rollback", s.at));
    }
    let _ = write!(out, "      {key}:");
    if !present {
        out.push_str("  # Docker's defaults (absent in the inspect)");
    }
    let _ = writeln!(
        out,
        "\n        parallelism: {parallelism}\n        delay: {}\n        failure_action: {action}\n        monitor: {}\n        max_failure_ratio: {ratio}\n        order: {order}",
        dur(delay),
        dur(monitor)
    );
    Ok(())
}

fn restart_policy(out: &mut String, s: &Service<'_>) -> Result<(), String> {
    let b = "/TaskTemplate/RestartPolicy";
    let condition = choice(s, &format!("{b}/Condition"), &["none", "on-failure", "any"], "any")?;
    let delay = uint(s, &format!("{b}/Delay"))?.unwrap_or(5_000_000_000);
    let attempts = uint(s, &format!("{b}/MaxAttempts"))?.unwrap_or(0);
    let window = uint(s, &format!("{b}/Window"))?.unwrap_or(0);
    let _ = writeln!(
        out,
        "      restart_policy:\n        condition: {condition}\n        delay: {}\n        max_attempts: {attempts}\n        window: {}",
        dur(delay),
        dur(window)
    );
    Ok(())
}

fn resources(out: &mut String, s: &Service<'_>) -> Result<(), String> {
    let mut block = String::new();
    for (field, key) in [("Limits", "limits"), ("Reservations", "reservations")] {
        let cpu = uint(s, &format!("/TaskTemplate/Resources/{field}/NanoCPUs"))?.unwrap_or(0);
        let mem = uint(s, &format!("/TaskTemplate/Resources/{field}/MemoryBytes"))?.unwrap_or(0);
        if cpu == 0 && mem == 0 {
            continue;
        }
        let _ = writeln!(block, "        {key}:");
        if cpu > 0 {
            let c = cpus(cpu);
            let c = if c.starts_with('"') { c } else { q(&c) };
            let _ = writeln!(block, "          cpus: {c}");
        }
        if mem > 0 {
            let _ = writeln!(block, "          memory: {mem}");
        }
    }
    if !block.is_empty() {
        out.push_str("      resources:\n");
        out.push_str(&block);
    }
    Ok(())
}

fn placement(out: &mut String, s: &Service<'_>) -> Result<(), String> {
    let constraints = strings(s, "/TaskTemplate/Placement/Constraints");
    let prefs =
        s.spec.pointer("/TaskTemplate/Placement/Preferences").and_then(Value::as_array).cloned().unwrap_or_default();
    let max = uint(s, "/TaskTemplate/Placement/MaxReplicas")?.unwrap_or(0);
    if constraints.is_empty() && prefs.is_empty() && max == 0 {
        return Ok(());
    }
    out.push_str("      placement:\n");
    if !constraints.is_empty() {
        let _ = writeln!(out, "        constraints: [{}]", list(&constraints));
    }
    if !prefs.is_empty() {
        out.push_str("        preferences:\n");
        for (i, p) in prefs.iter().enumerate() {
            let Some(d) = p.pointer("/Spread/SpreadDescriptor").and_then(Value::as_str) else {
                return Err(format!(
                    "{}.Spec.TaskTemplate.Placement.Preferences[{i}]: expected {{Spread: {{SpreadDescriptor}}}} (the only preference Docker 20.10 has)",
                    s.at
                ));
            };
            let _ = writeln!(out, "          - spread: {}", q(d));
        }
    }
    if max > 0 {
        let _ = writeln!(out, "        max_replicas_per_node: {max}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{cpus, dur};

    #[test]
    fn nanoseconds_become_compose_durations_without_rounding() {
        // Checks Go time.Duration nanoseconds keep their exact value in the largest exact unit.
        assert_eq!(dur(0), "0s");
        assert_eq!(dur(5_000_000_000), "5s");
        assert_eq!(dur(1_500_000_000), "1500ms");
        assert_eq!(dur(2_500), "2500ns");
        assert_eq!(dur(3_000), "3us");
        assert_eq!(dur(7), "7ns");
    }

    #[test]
    fn nano_cpus_become_decimal_cpus() {
        // Checks NanoCPUs (1e9 per CPU) print exactly, quoted when fractional.
        assert_eq!(cpus(2_000_000_000), "2");
        assert_eq!(cpus(500_000_000), "\"0.5\"");
        assert_eq!(cpus(1_250_000_000), "\"1.25\"");
    }
}

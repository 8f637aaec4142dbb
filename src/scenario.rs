//! The input boundary: reads a stack file with `x-simulation` (or a simulation file naming a
//! stack file) into a validated [`crate::model::scenario::Scenario`], reporting every problem
//! with its file, line, field path and a hint.

pub mod command;
mod compose;
mod create_command;
mod docker_cli;
mod error;
mod expect;
mod gate;
mod healthcheck;
mod images;
mod interpolate;
mod locate;
mod raw;
pub mod resources;
mod secret_command;
mod shell;
mod simulation;
mod stack;
mod stack_deploy;
mod stdin_feed;
mod strategy;
pub(crate) mod suggest;
mod task_flags;
mod traffic;
mod validate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_compose;
#[cfg(test)]
mod tests_locations;
#[cfg(test)]
mod tests_validation;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path as FsPath;

pub use error::{Diagnostic, ScenarioError};
pub use interpolate::{cli_variables, set_cli_variables};
pub use raw::{Document, ParseError};
pub use stack_deploy::read_deploy;

use crate::limits::MAX_INPUT_BYTES;
use crate::model::cluster::NodeRole;
use crate::model::scenario::{Action, Scenario};
use locate::Path;
use raw::Yaml;
use validate::{Checker, Doc, Entries, Findings, get};

/// Loads and validates the scenario in `path`.
pub fn load(path: &FsPath) -> Result<Scenario, ScenarioError> {
    load_with_warnings(path).map(|(scenario, _)| scenario)
}

/// Reads an input file whole, refusing one larger than [`MAX_INPUT_BYTES`] before reading it
/// (and a file that grows past it while being read).
pub fn read_bounded(path: &FsPath) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let too_big = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than deploysim's limit of {} MiB for an input file", MAX_INPUT_BYTES >> 20),
        )
    };
    if file.metadata()?.len() > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    let mut text = String::new();
    file.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    Ok(text)
}

/// Loads and validates the scenario in `path`, also returning warnings (options Docker would
/// ignore, settings that have no effect), each rendered as a paragraph.
pub fn load_with_warnings(path: &FsPath) -> Result<(Scenario, Vec<String>), ScenarioError> {
    let file = path.display().to_string();
    let text =
        read_bounded(path).map_err(|e| ScenarioError::whole_file(&file, format!("cannot read scenario file: {e}")))?;
    load_str_with_warnings(&text, path)
}

/// Loads and validates the scenario in `path`, returning the warnings as diagnostics (for
/// tools that lay them out themselves, like `deploysim check --format json`).
pub fn load_with_diagnostics(path: &FsPath) -> Result<(Scenario, Vec<Diagnostic>), ScenarioError> {
    let file = path.display().to_string();
    let text =
        read_bounded(path).map_err(|e| ScenarioError::whole_file(&file, format!("cannot read scenario file: {e}")))?;
    load_diagnostics(&text, path)
}

/// Validates `text` as if read from `path` (which names the scenario, anchors a relative
/// `stack:` path and appears in messages).
pub fn load_str(text: &str, path: &FsPath) -> Result<Scenario, ScenarioError> {
    load_str_with_warnings(text, path).map(|(scenario, _)| scenario)
}

/// [`load_str`] with warnings.
pub fn load_str_with_warnings(text: &str, path: &FsPath) -> Result<(Scenario, Vec<String>), ScenarioError> {
    let (scenario, warnings) = load_diagnostics(text, path)?;
    Ok((scenario, warnings.iter().map(|w| w.render("warning")).collect()))
}

fn load_diagnostics(text: &str, path: &FsPath) -> Result<(Scenario, Vec<Diagnostic>), ScenarioError> {
    let file = path.display().to_string();
    let (root, spans) = parse_root(text, &file)?;
    let mut findings = Findings::default();
    let doc = Doc::new(&file, text, spans);
    let scenario = if get(&root, "services").is_some() {
        embedded(&doc, &root, text, path, &mut findings)
    } else {
        separate(&doc, &root, text, path, &mut findings)
    };
    if !findings.errors.is_empty() {
        return Err(ScenarioError { file, diagnostics: in_file_order(findings.errors) });
    }
    Ok((scenario, in_file_order(findings.warnings)))
}

/// `nginx` and `library/nginx` get `:latest`, as the CLI adds it; digests and tags are kept.
pub(crate) fn normalize_image(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    if reference.is_empty() || reference.contains('@') || last.contains(':') {
        reference.to_string()
    } else {
        format!("{reference}:latest")
    }
}

/// SHA-256 over every input file, as `sha256:` and 64 hex digits: it detects any change to
/// the input's lines (line endings aside) and reveals nothing of it. Each file is hashed as its lines are shown, with what a
/// timeline `run:` feeds to standard input replaced by a fixed placeholder: a digest of a
/// plaintext secret value would reveal a short one to anybody who tries candidates. (Changing
/// only a fed value therefore keeps the digest; the value only ever decides its size check.)
pub fn digest(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in parts {
        let shown = stdin_feed::shown_source_lines(part);
        // Each file's line count and each line's length go in first, so that no two different
        // sets of files run together into the same bytes.
        hash.update((shown.len() as u64).to_le_bytes());
        for line in &shown {
            hash.update((line.len() as u64).to_le_bytes());
            hash.update(line.as_bytes());
        }
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A document's top-level entries and where its keys are written.
type ParsedRoot = (Vec<(String, Yaml)>, raw::Spans);

/// Parses `text` and requires a mapping at the top.
fn parse_root(text: &str, file: &str) -> Result<ParsedRoot, ScenarioError> {
    match raw::parse(text) {
        Ok((Yaml::Map(entries), spans)) => Ok((entries, spans)),
        Ok((other, _)) => {
            let message = format!("Top-level object must be a mapping, found {}", other.kind());
            Err(ScenarioError::whole_file(file, message))
        }
        Err(e) => {
            // No tree to find `run:` values in: the raw line is cut by its text alone.
            let source_line =
                e.line.and_then(|l| stdin_feed::shown_source_lines(text).into_iter().nth(l.checked_sub(1)?));
            let diagnostic = Diagnostic {
                file: file.to_string(),
                line: e.line,
                column: e.column,
                path: String::new(),
                message: format!("invalid YAML: {}", e.message),
                hint: None,
                source_line,
            };
            Err(ScenarioError { file: file.to_string(), diagnostics: vec![diagnostic] })
        }
    }
}

/// A stack file whose `x-simulation` key holds the simulation settings.
fn embedded(doc: &Doc, root: &Entries, text: &str, path: &FsPath, findings: &mut Findings) -> Scenario {
    let mut c = Checker { doc, out: findings };
    let sim_path = Path::root().key("x-simulation");
    let empty: &Entries = &[];
    let sim = get(root, "x-simulation").and_then(|v| c.entries(v, &sim_path)).unwrap_or(empty);
    c.check_keys(sim, &sim_path, simulation::EMBEDDED_KEYS, false, &[]);
    let stack_name = c.optional(sim, &sim_path, "stack", stack_name).unwrap_or_else(|| stem(path));
    let vars = interpolate::variables(&mut c, sim, &sim_path);
    let compose = interpolate::apply(&mut c, root, &vars);
    let stack = stack::read(&mut c, &compose, &stack_name);
    assemble(&mut c, sim, &sim_path, path, ComposeRead { stack_name, stack, vars: &vars }, digest(&[text]))
}

/// A simulation file whose `stack:` names the stack file, relative to the simulation file.
fn separate(doc: &Doc, root: &Entries, text: &str, path: &FsPath, findings: &mut Findings) -> Scenario {
    let sim_path = Path::root();
    let mut c = Checker { doc, out: findings };
    c.check_keys(root, &sim_path, simulation::SEPARATE_KEYS, false, &[]);
    let at = sim_path.key("stack");
    // `stack: [base.yml, prod.yml]` is `docker stack deploy -c base.yml -c prod.yml`.
    let stack_files: Vec<String> = match get(root, "stack") {
        Some(Yaml::Seq(items)) if !items.is_empty() => {
            items.iter().enumerate().filter_map(|(i, v)| c.string(v, &at.index(i))).collect()
        }
        Some(v) => c.string(v, &at).into_iter().collect(),
        None => {
            let hint = "a stack file needs services:; a simulation file needs stack: <path to the stack file>";
            c.error(&sim_path, "has neither services nor stack", Some(hint.into()));
            Vec::new()
        }
    };
    let name = c.optional(root, &sim_path, "name", stack_name);
    let vars = interpolate::variables(&mut c, root, &sim_path);
    let stack_paths: Vec<std::path::PathBuf> =
        stack_files.iter().map(|f| path.parent().unwrap_or(FsPath::new("")).join(f)).collect();
    let stack_name = name.unwrap_or_else(|| stack_paths.first().map(|p| stem(p)).unwrap_or_default());
    let empty = || stack::Stack { services: Vec::new(), refs: Vec::new(), secrets: Vec::new() };
    let mut texts = vec![text.to_string()];
    let stack = if stack_paths.len() > 1 {
        let mut files = Vec::new();
        for p in &stack_paths {
            match read_bounded(p) {
                Ok(t) => files.push((p.display().to_string(), t)),
                Err(e) => {
                    let hint = "the path is relative to the simulation file";
                    c.error(&at, format!("cannot read stack file {}: {e}", p.display()), Some(hint.into()));
                }
            }
        }
        texts.extend(files.iter().map(|(_, t)| t.clone()));
        let merged = if files.len() == stack_paths.len() { compose::merge_files(&files, &vars, c.out) } else { None };
        match merged {
            Some((stack_root, stack_doc)) => {
                let mut sc = Checker { doc: &stack_doc, out: c.out };
                check_no_simulation(&mut sc, &stack_root);
                stack::read(&mut sc, &stack_root, &stack_name)
            }
            None => empty(),
        }
    } else {
        let loaded = stack_paths.first().and_then(|p| read_stack(&mut c, p).map(|l| (p, l)));
        match loaded {
            Some((p, (stack_text, (stack_root, stack_spans)))) => {
                let stack_doc = Doc::new(&p.display().to_string(), &stack_text, stack_spans);
                let mut sc = Checker { doc: &stack_doc, out: c.out };
                check_no_simulation(&mut sc, &stack_root);
                let compose = interpolate::apply(&mut sc, &stack_root, &vars);
                texts.push(stack_text);
                stack::read(&mut sc, &compose, &stack_name)
            }
            None => {
                texts.push(String::new());
                empty()
            }
        }
    };
    let mut c = Checker { doc, out: findings };
    let parts: Vec<&str> = texts.iter().map(String::as_str).collect();
    assemble(&mut c, root, &sim_path, path, ComposeRead { stack_name, stack, vars: &vars }, digest(&parts))
}

/// A stack file named by a simulation file holds no `x-simulation`.
fn check_no_simulation(c: &mut Checker<'_>, stack_root: &Entries) {
    if get(stack_root, "x-simulation").is_some() {
        let hint = "move its keys into the simulation file";
        c.error(
            &Path::root().key("x-simulation"),
            "is not allowed in a stack file named by a simulation file",
            Some(hint.into()),
        );
    }
}

/// Reads and parses the stack file of a simulation file; problems go on its `stack:` line.
fn read_stack(c: &mut Checker<'_>, path: &FsPath) -> Option<(String, ParsedRoot)> {
    let at = Path::root().key("stack");
    let text = match read_bounded(path) {
        Ok(t) => t,
        Err(e) => {
            c.error(
                &at,
                format!("cannot read stack file {}: {e}", path.display()),
                Some("the path is relative to the simulation file".into()),
            );
            return None;
        }
    };
    match parse_root(&text, &path.display().to_string()) {
        Ok(parsed) => Some((text, parsed)),
        Err(e) => {
            c.out.errors.extend(e.diagnostics);
            None
        }
    }
}

/// A stack name as `docker stack deploy` accepts it (non-empty, no surrounding spaces).
fn stack_name(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<String> {
    let name = c.string(v, path)?;
    if name.is_empty() || name.trim() != name {
        c.error(path, "invalid stack name", Some("write a non-empty name without spaces".into()));
        return None;
    }
    Some(name)
}

fn stem(path: &FsPath) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "stack".to_string())
}

/// Reads the simulation settings and puts the scenario together.
/// The compose side of a scenario, read: the stack's name and services, and the variables its
/// files were interpolated with (a timeline's `docker stack deploy` reads its files with them).
struct ComposeRead<'v> {
    stack_name: String,
    stack: stack::Stack,
    vars: &'v std::collections::BTreeMap<String, String>,
}

fn assemble(
    c: &mut Checker<'_>,
    sim: &Entries,
    sim_path: &Path,
    path: &FsPath,
    compose: ComposeRead<'_>,
    input_digest: String,
) -> Scenario {
    let ComposeRead { stack_name, mut stack, vars } = compose;
    let settings = simulation::settings(c, sim, sim_path);
    if !settings.stack_deploy {
        // `docker service create`: no stack, so no stack `default` network; the networks a
        // service lists are its `--network`s, and a published port joins the routing mesh's
        // ingress.
        for svc in &mut stack.services {
            svc.task.networks.retain(|n| n != "default");
        }
    }
    let images = sim
        .iter()
        .find(|(k, _)| k == "images")
        .map(|(_, v)| images::read(c, v, &sim_path.key("images")))
        .unwrap_or_default();
    let mut nodes = simulation::nodes(c, sim, sim_path);
    for node in &mut nodes {
        for image in &images.cached {
            if !node.cached_images.contains(image) {
                node.cached_images.push(image.clone());
            }
        }
    }
    let node_names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    let base_dir = path.parent().unwrap_or(FsPath::new(""));
    let mut known = stack.refs.clone();
    if let Some(timeline) = get(sim, "timeline") {
        let removed = simulation::removed_services(timeline);
        for s in known.iter_mut().filter(|s| removed.contains(&s.full)) {
            s.in_stack = false;
        }
        let deployed = stack_deploy::deployed_services(timeline, base_dir);
        for created in simulation::created_services(timeline).into_iter().chain(deployed) {
            if !known.iter().any(|s| s.full == created.full) {
                known.push(created);
            }
        }
    }
    let managers: Vec<String> = nodes.iter().filter(|n| n.role == NodeRole::Manager).map(|n| n.name.clone()).collect();
    let stack_deployed: Vec<String> =
        if settings.stack_deploy { stack.refs.iter().map(|r| r.full.clone()).collect() } else { Vec::new() };
    let names = docker_cli::Names {
        services: &known,
        nodes: &node_names,
        managers: &managers,
        base_dir,
        stack: &stack_name,
        stack_deployed: &stack_deployed,
        vars,
    };
    let tpath = sim_path.key("timeline");
    let timeline = get(sim, "timeline").map(|v| simulation::timeline(c, v, &tpath, names)).unwrap_or_default();
    let traffic =
        get(sim, "traffic").map(|v| traffic::read(c, v, &sim_path.key("traffic"), &stack.refs)).unwrap_or_default();
    let expect = get(sim, "expect").map(|v| expectations(c, v, &sim_path.key("expect"), &stack.refs, &traffic));
    let scenario = Scenario {
        name: stem(path),
        stack: stack_name,
        seed: settings.seed,
        until: settings.until,
        max_events: settings.max_events,
        engine: settings.engine,
        latencies: settings.latencies,
        races: settings.races,
        nodes,
        images: images.behaviors,
        services: stack.services,
        secrets: stack.secrets,
        timeline,
        input_digest,
        traffic,
        task_history_limit: settings.task_history_limit,
        expect: expect.unwrap_or_default(),
        strategies: get(sim, "strategies")
            .and_then(|v| strategy::read_set(c, v, &sim_path.key("strategies")))
            .unwrap_or_default(),
    };
    warn_unused(c, &scenario, sim_path, &stack.refs);
    let mut scenario = scenario;
    number_secret_values(&mut scenario);
    scenario
}

/// Numbers the values of the scenario's secret definitions ([`SecretDef::value`]) in timeline
/// order: a definition whose file holds the same bytes as an earlier one of the same name gets
/// its number, another a new one. The files are compared byte for byte and dropped; no value
/// is kept, hashed or shown.
///
/// [`SecretDef::value`]: crate::model::secret::SecretDef::value
fn number_secret_values(scenario: &mut Scenario) {
    use crate::model::secret::{MAX_SECRET_BYTES, SecretDef};
    let readable = |p: &FsPath| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() < MAX_SECRET_BYTES);
    let same = |a: &FsPath, b: &FsPath| match (std::fs::read(a), std::fs::read(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    let mut seen: BTreeMap<String, Vec<(std::path::PathBuf, u32)>> = BTreeMap::new();
    let mut number = |def: &mut SecretDef| {
        let Some(file) = def.file.as_deref().filter(|f| readable(f)) else { return };
        let known = seen.entry(def.name.clone()).or_default();
        let value = match known.iter().find(|(other, _)| same(other, file)) {
            Some((_, n)) => *n,
            None => {
                let n = known.len() as u32;
                known.push((file.to_path_buf(), n));
                n
            }
        };
        def.value = Some(value);
    };
    scenario.secrets.iter_mut().for_each(&mut number);
    for entry in &mut scenario.timeline {
        match &mut entry.action {
            Action::StackDeploy(deploy) => deploy.secrets.iter_mut().for_each(&mut number),
            Action::SecretCreate { secret } => number(secret),
            _ => {}
        }
    }
}

/// `x-simulation.expect`, which may name the stack's services and, for `failed_requests`,
/// needs them to have traffic.
fn expectations(
    c: &mut Checker<'_>,
    v: &Yaml,
    path: &Path,
    services: &[docker_cli::ServiceRef],
    traffic: &[crate::model::traffic::TrafficSpec],
) -> Vec<crate::model::expect::Expectation> {
    let with_traffic: Vec<String> = traffic.iter().map(|t| t.service.clone()).collect();
    expect::read(c, v, path, &expect::Names { services, traffic: &with_traffic })
}

/// Image behaviours nobody runs and actions after `until` are almost always mistakes.
fn warn_unused(c: &mut Checker<'_>, s: &Scenario, sim_path: &Path, stack: &[docker_cli::ServiceRef]) {
    warn_blind_analysis(c, s, sim_path);
    warn_unplaceable(c, s, stack);
    warn_undescribed_images(c, s, sim_path, stack);
    warn_noop_faults(c, s, sim_path);
    let mut used: BTreeSet<&str> = s.services.iter().map(|svc| svc.task.image.as_str()).collect();
    for a in &s.timeline {
        match &a.action {
            Action::ServiceUpdate { update, .. } | Action::Rollout { update, .. } => {
                used.extend(update.image.as_deref());
            }
            Action::ServiceCreate { spec } => {
                used.insert(spec.task.image.as_str());
            }
            Action::StackDeploy(deploy) => used.extend(deploy.services.iter().map(|s| s.task.image.as_str())),
            _ => {}
        }
    }
    for image in s.images.keys().filter(|i| !used.contains(i.as_str())) {
        let hint = "keys must match image: exactly (a missing tag means :latest)".to_string();
        let at = sim_path.key("images").key(image);
        c.warn(&at, format!("image {image} is not used by any service or --image"), Some(hint));
    }
    if let Some(late) = s.timeline.iter().find(|a| a.at > s.until) {
        let at = sim_path.key("timeline");
        c.warn(
            &at,
            format!("\"{}\" is after until ({}) and will not happen", late.text, crate::time::SimDuration(s.until.0)),
            None,
        );
    }
}

/// A fault that finds nothing to undo or to break does nothing in the run: `node_up` for a node
/// whose link is not cut then (never cut, or already back), `node_down` for one already cut,
/// `daemon_start` for a running dockerd, `daemon_kill` for a dead one. A newcomer could take
/// such a line for a modelled reconnect or crash: say so where the timeline is.
fn warn_noop_faults(c: &mut Checker<'_>, s: &Scenario, sim_path: &Path) {
    let mut cut: BTreeSet<&str> = s.nodes.iter().filter(|n| n.down).map(|n| n.name.as_str()).collect();
    let mut dead: BTreeSet<&str> = BTreeSet::new();
    let at = sim_path.key("timeline");
    for a in &s.timeline {
        let when = crate::time::SimDuration(a.at.0);
        let nothing = match &a.action {
            Action::NodeUp { node } if !cut.remove(node.as_str()) => {
                Some(format!("{node}'s link is not cut at {when} (no node_down before it, not declared down)"))
            }
            Action::NodeDown { node } if !cut.insert(node.as_str()) => {
                Some(format!("{node}'s link is already cut at {when}"))
            }
            Action::DaemonStart { node } if !dead.remove(node.as_str()) => {
                Some(format!("{node}'s dockerd runs at {when} (no daemon_kill before it)"))
            }
            Action::DaemonKill { node } if !dead.insert(node.as_str()) => {
                Some(format!("{node}'s dockerd is already killed at {when}"))
            }
            _ => None,
        };
        if let Some(why) = nothing {
            let hint = "remove it, or add the fault it undoes before it".to_string();
            c.warn(&at, format!("\"{}\" does nothing: {why}", a.text), Some(hint));
        }
    }
}

/// A service whose placement constraints no node of the cluster meets never runs: Docker accepts
/// it and leaves every task pending ("no suitable node"), which a user meets only at the end.
/// (`node.id` constraints are not checked: the ids are made when the swarm is.)
fn warn_unplaceable(c: &mut Checker<'_>, s: &Scenario, stack: &[docker_cli::ServiceRef]) {
    use crate::swarm::placement::{NodeView, constraint_matches};
    for svc in &s.services {
        let constraints = &svc.task.placement.constraints;
        if constraints.is_empty() || constraints.iter().any(|k| k.key == "node.id") {
            continue;
        }
        let fits = |n: &crate::model::cluster::NodeSpec| {
            let mut view = NodeView::declared(n);
            view.id = "";
            constraints.iter().all(|k| constraint_matches(k, &view))
        };
        if s.nodes.iter().any(fits) {
            continue;
        }
        let Some(short) = stack.iter().find(|r| r.full == svc.name).map(|r| r.short.as_str()) else { continue };
        let at = Path::root().key("services").key(short).key("deploy").key("placement").key("constraints");
        let shown: Vec<String> = constraints.iter().map(|k| k.to_string()).collect();
        c.warn(
            &at,
            format!(
                "no node of the cluster meets {}: every task will stay pending (\"no suitable node\")",
                shown.join(" and ")
            ),
            Some("check the constraints against x-simulation.cluster's node names, roles and labels".into()),
        );
    }
}

/// An image the scenario runs that `x-simulation.images` does not describe, when it describes
/// others, is most often a typo of one of them (`nginx:1.14` for `nginx:1.14-alpine`): it would
/// silently run with the default behaviour.
fn warn_undescribed_images(c: &mut Checker<'_>, s: &Scenario, sim_path: &Path, stack: &[docker_cli::ServiceRef]) {
    if s.images.is_empty() {
        return;
    }
    let described: Vec<&str> = s.images.keys().map(String::as_str).collect();
    let mut seen = BTreeSet::new();
    let stack_images = s.services.iter().filter_map(|svc| {
        let short = stack.iter().find(|r| r.full == svc.name)?.short.as_str();
        Some((svc.task.image.as_str(), Path::root().key("services").key(short).key("image")))
    });
    let timeline_images = s.timeline.iter().flat_map(|a| match &a.action {
        Action::ServiceUpdate { update, .. } | Action::Rollout { update, .. } => {
            update.image.as_deref().map(|i| (i, sim_path.key("timeline"))).into_iter().collect()
        }
        Action::ServiceCreate { spec } => vec![(spec.task.image.as_str(), sim_path.key("timeline"))],
        Action::StackDeploy(deploy) => {
            deploy.services.iter().map(|svc| (svc.task.image.as_str(), sim_path.key("timeline"))).collect()
        }
        _ => Vec::new(),
    });
    for (image, at) in stack_images.chain(timeline_images) {
        if s.images.contains_key(image) || !seen.insert(image) {
            continue;
        }
        // Another tag of the same repository first (`nginx:1.14` for `nginx:1.14-alpine`), then
        // the closest spelling.
        let repository = |r: &str| r.rsplit_once(':').map_or(r, |(name, _)| name).to_string();
        let same_repository = described.iter().find(|d| repository(d) == repository(image)).copied();
        let hint = match same_repository.or_else(|| suggest::closest(image, &described)) {
            Some(close) => format!("did you mean {close}? (x-simulation.images keys must match image: exactly)"),
            None => "describe it under x-simulation.images (deploysim calibrate measures one from a trace)".into(),
        };
        let message = format!(
            "image {image} is not described under x-simulation.images: it runs with the default behaviour (2s pull, 500ms start, healthy)"
        );
        c.warn(&at, message, Some(hint));
    }
}

/// A blue-green or canary analysis judges the new version by its requests: without traffic on
/// its route it only sees task failures, which is rarely what was meant.
fn warn_blind_analysis(c: &mut Checker<'_>, s: &Scenario, sim_path: &Path) {
    for a in &s.timeline {
        let Action::Rollout { service, strategy, .. } = &a.action else { continue };
        let route = s
            .services
            .iter()
            .find(|x| x.name == *service)
            .and_then(|x| x.labels.get(crate::model::route::ROUTE_LABEL).cloned())
            .unwrap_or_else(|| service.clone());
        if !s.traffic.iter().any(|t| t.service == route) {
            let hint = format!("add x-simulation.traffic for {route} so that the analysis measures its error rate");
            let message =
                format!("{} of {service} has no traffic: its analysis only sees task failures", strategy.name());
            c.warn(&sim_path.key("timeline"), message, Some(hint));
        }
    }
}

/// Diagnostics grouped by file (in order of first appearance), then by line.
fn in_file_order(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut files: Vec<String> = Vec::new();
    for d in &diags {
        if !files.contains(&d.file) {
            files.push(d.file.clone());
        }
    }
    diags.sort_by_key(|d| (files.iter().position(|f| *f == d.file), d.line.unwrap_or(0)));
    diags
}

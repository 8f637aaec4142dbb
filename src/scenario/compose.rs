//! Several compose files read as one, as `docker stack deploy -c base.yml -c prod.yml` reads
//! them: docker/cli `cli/compose/loader/loader.go` (`Load`: each file is interpolated on its
//! own, every file must declare the same `version`, then `merge`) and
//! `cli/compose/loader/merge.go`. docker/cli merges typed configs with mergo (`WithOverride`,
//! `WithAppendSlice` and a few transformers); this does the same on the YAML tree, before any
//! type is checked, so that every message still points at the file and line that set a value:
//!
//! - services of the same name merge key by key: a later non-empty value wins, mappings merge,
//!   lists are appended, except `secrets`/`configs` (one per `source`), `ports` (one per
//!   published port), `volumes` (one per target), which are merged by that key and sorted by
//!   it, and `command`/`entrypoint`, which a later one replaces; `environment`, `labels` and
//!   `networks` merge by name whether written as lists or mappings;
//! - `volumes`, `networks`, `secrets`, `configs` definitions: a later one replaces the earlier
//!   one of the same key;
//! - the merged services are sorted by name, as `mergeServices` returns them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::scenario::error::{Diagnostic, ScenarioError};
use crate::scenario::locate::Path;
use crate::scenario::raw::Yaml;
use crate::scenario::validate::{Checker, Doc, Findings, get};
use crate::scenario::{in_file_order, interpolate, parse_root, read_bounded, stack};

/// Loads the compose files `paths`, in the order `docker stack deploy -c` takes them, into one
/// stack named `stack`, with `vars` for `${VAR}` (see [`interpolate`]). Relative paths in the
/// files (secret and config `file:`) are resolved from the first file's folder, as docker/cli
/// does. Returns the stack and its warnings, or every problem found, each located in the file
/// and line that set the value. (For the `docker stack deploy -c … STACK` timeline action; until
/// it lands only the tests call it.)
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn load_stack_files(
    paths: &[PathBuf],
    stack: &str,
    vars: &BTreeMap<String, String>,
) -> Result<(stack::Stack, Vec<Diagnostic>), ScenarioError> {
    let first = paths.first().map(|p| p.display().to_string()).unwrap_or_default();
    let mut findings = Findings::default();
    let mut files = Vec::new();
    for path in paths {
        let file = path.display().to_string();
        let text =
            read_bounded(path).map_err(|e| ScenarioError::whole_file(&file, format!("cannot read stack file: {e}")))?;
        files.push((file, text));
    }
    let merged = merge_files(&files, vars, &mut findings);
    let Some((root, doc)) = merged else {
        return Err(ScenarioError { file: first, diagnostics: in_file_order(findings.errors) });
    };
    let mut c = Checker { doc: &doc, out: &mut findings };
    let out = stack::read(&mut c, &root, stack);
    if !findings.errors.is_empty() {
        return Err(ScenarioError { file: first, diagnostics: in_file_order(findings.errors) });
    }
    Ok((out, in_file_order(findings.warnings)))
}

/// Parses, interpolates and merges `files` (name, text), returning the merged tree and a
/// [`Doc`] that locates its paths in the file that set them; `None` when a file is not YAML
/// (its error is in `findings`).
pub(super) fn merge_files(
    files: &[(String, String)],
    vars: &BTreeMap<String, String>,
    findings: &mut Findings,
) -> Option<(Vec<(String, Yaml)>, Doc)> {
    let mut merged: Option<(Vec<(String, Yaml)>, Doc)> = None;
    for (file, text) in files {
        let (root, spans) = match parse_root(text, file) {
            Ok(parsed) => parsed,
            Err(e) => {
                findings.errors.extend(e.diagnostics);
                continue;
            }
        };
        let doc = Doc::new(file, text, spans);
        let mut c = Checker { doc: &doc, out: findings };
        let root = interpolate::apply(&mut c, &root, vars);
        match &mut merged {
            None => merged = Some((root, doc)),
            Some((base, base_doc)) => {
                if let (Some(Yaml::Str(a)), Some(Yaml::Str(b))) = (get(base, "version"), get(&root, "version"))
                    && a != b
                {
                    let message = format!("version mismatched between two composefiles : {a} and {b}");
                    c.error_at(&Path::root(), &Path::root().key("version"), message, None);
                }
                merge_top_level(base, root);
                base_doc.overrides.push((file.clone(), doc.locator));
            }
        }
    }
    if !findings.errors.is_empty() {
        return None;
    }
    let (mut root, doc) = merged?;
    if !doc.overrides.is_empty()
        && let Some((_, Yaml::Map(services))) = root.iter_mut().find(|(k, _)| k == "services")
    {
        services.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Some((root, doc))
}

/// Merges one file's top level over the merged ones so far.
fn merge_top_level(base: &mut Vec<(String, Yaml)>, over: Vec<(String, Yaml)>) {
    for (key, value) in over {
        let Some(at) = base.iter().position(|(k, _)| *k == key) else {
            base.push((key, value));
            continue;
        };
        match (key.as_str(), &mut base[at].1, value) {
            ("services", Yaml::Map(services), Yaml::Map(new)) => {
                for (name, body) in new {
                    match services.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, old)) => merge_value(old, body, ""),
                        None => services.push((name, body)),
                    }
                }
            }
            ("volumes" | "networks" | "secrets" | "configs", Yaml::Map(defs), Yaml::Map(new)) => {
                for (name, body) in new {
                    match defs.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, old)) => *old = body,
                        None => defs.push((name, body)),
                    }
                }
            }
            (_, slot, value) if !is_empty(&value) => *slot = value,
            _ => {}
        }
    }
}

/// mergo's notion of an empty value, which `WithOverride` never copies over a set one.
fn is_empty(v: &Yaml) -> bool {
    match v {
        Yaml::Null => true,
        Yaml::Str(s) => s.is_empty(),
        Yaml::Seq(items) => items.is_empty(),
        Yaml::Map(entries) => entries.is_empty(),
        Yaml::Bool(b) => !b,
        Yaml::Int(i) => *i == 0,
        Yaml::Float(x) => *x == 0.0,
    }
}

/// Merges `over` into `base` at key `key` of a service (or deeper).
fn merge_value(base: &mut Yaml, over: Yaml, key: &str) {
    if is_empty(&over) {
        return;
    }
    match key {
        "command" | "entrypoint" => *base = over,
        "secrets" | "configs" => merge_keyed(base, over, secret_source),
        "ports" => merge_keyed(base, over, published_port),
        "volumes" => merge_keyed(base, over, volume_target),
        "environment" | "labels" | "networks" => {
            let mut merged = as_named_map(base);
            for (k, v) in as_named_map(&over) {
                match merged.iter_mut().find(|(n, _)| *n == k) {
                    Some((_, old)) => *old = v,
                    None => merged.push((k, v)),
                }
            }
            *base = Yaml::Map(merged);
        }
        _ => match (base, over) {
            (Yaml::Map(old), Yaml::Map(new)) => {
                for (k, v) in new {
                    match old.iter_mut().find(|(n, _)| *n == k) {
                        Some((_, slot)) => merge_value(slot, v, &k),
                        None => old.push((k, v)),
                    }
                }
            }
            // mergo.WithAppendSlice: other lists are appended.
            (Yaml::Seq(old), Yaml::Seq(new)) => old.extend(new),
            (slot, value) => *slot = value,
        },
    }
}

/// Lists merged one item per key (a later item replaces one with the same key), sorted by key
/// as docker/cli's `to…Slice` functions sort them.
fn merge_keyed(base: &mut Yaml, over: Yaml, key_of: fn(&Yaml) -> String) {
    let mut items: Vec<(String, Yaml)> = Vec::new();
    let old = std::mem::replace(base, Yaml::Null);
    for item in seq_items(old).into_iter().chain(seq_items(over)) {
        let key = key_of(&item);
        match items.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = item,
            None => items.push((key, item)),
        }
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    *base = Yaml::Seq(items.into_iter().map(|(_, v)| v).collect());
}

fn seq_items(v: Yaml) -> Vec<Yaml> {
    match v {
        Yaml::Seq(items) => items,
        Yaml::Null => Vec::new(),
        other => vec![other],
    }
}

/// A long-syntax field of an item, or the item's text.
fn field(item: &Yaml, name: &str) -> Option<String> {
    match item {
        Yaml::Map(e) => get(e, name).map(Yaml::render),
        _ => None,
    }
}

/// A service secret's or config's `source` (short syntax: the name).
fn secret_source(item: &Yaml) -> String {
    field(item, "source").unwrap_or_else(|| item.render())
}

/// A port's published port (short syntax `8080:80`: the part before the last colon).
fn published_port(item: &Yaml) -> String {
    if let Yaml::Map(_) = item {
        return field(item, "published").unwrap_or_default();
    }
    let text = item.render();
    let text = text.split('/').next().unwrap_or("").to_string();
    text.rsplit_once(':')
        .map(|(published, _)| published.rsplit(':').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// A volume's target (short syntax `source:/target[:mode]` or `/target`).
fn volume_target(item: &Yaml) -> String {
    if let Yaml::Map(_) = item {
        return field(item, "target").unwrap_or_default();
    }
    let text = item.render();
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        [target] => target.to_string(),
        [_, target, ..] => target.to_string(),
        [] => String::new(),
    }
}

/// `environment`/`labels` (`KEY=VALUE` items or a mapping) and `networks` (names or a mapping)
/// as a mapping, to merge by name as docker/cli's typed maps do.
fn as_named_map(v: &Yaml) -> Vec<(String, Yaml)> {
    match v {
        Yaml::Map(entries) => entries.clone(),
        Yaml::Seq(items) => items
            .iter()
            .map(|item| {
                let text = item.render();
                match text.split_once('=') {
                    Some((k, v)) => (k.to_string(), Yaml::Str(v.to_string())),
                    None => (text, Yaml::Null),
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

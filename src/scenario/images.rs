//! `x-simulation.images`: how each image behaves (pull, start, health, exit, stop).

use std::collections::BTreeMap;

use crate::model::image::{ExitBehavior, HealthBehavior, ImageBehavior, ImagePatch, PerContainer, StopBehavior};
use crate::rng::Dist;
use crate::scenario::healthcheck;
use crate::scenario::locate::Path;
use crate::scenario::normalize_image;
use crate::scenario::raw::Yaml;
use crate::scenario::validate::{Checker, Entries, get};
use crate::time::SimDuration;

const IMAGE_KEYS: &[&str] = &[
    "pull",
    "pull_failure",
    "failed_pull",
    "missing",
    "cached",
    "start",
    "healthcheck",
    "health",
    "exit",
    "stop",
    "errors",
    "per_container",
];

/// Image behaviours by normalized reference, and the images cached on every node at t = 0.
#[derive(Default)]
pub(super) struct Images {
    /// Behaviour by `name:tag`.
    pub behaviors: BTreeMap<String, ImageBehavior>,
    /// Images with `cached: true`.
    pub cached: Vec<String>,
}

/// Reads the `images` mapping.
pub(super) fn read(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Images {
    let mut out = Images::default();
    let Some(entries) = c.entries(v, path) else { return out };
    for (reference, body) in entries {
        let ipath = path.key(reference);
        let name = normalize_image(reference);
        if out.behaviors.contains_key(&name) {
            c.error(
                &ipath,
                format!("image {name} is listed twice"),
                Some("\"x\" and \"x:latest\" are the same image".into()),
            );
        }
        let Some(e) = c.entries(body, &ipath) else { continue };
        let (behavior, cached) = image(c, e, &ipath);
        if cached {
            out.cached.push(name.clone());
        }
        out.behaviors.insert(name, behavior);
    }
    out
}

fn image(c: &mut Checker<'_>, e: &Entries, path: &Path) -> (ImageBehavior, bool) {
    c.check_keys(e, path, IMAGE_KEYS, false, &[]);
    let mut b = ImageBehavior::default();
    behavior_fields(c, e, path).apply_to(&mut b);
    if let Some(ppm) = c.optional(e, path, "errors", Checker::share_ppm) {
        b.errors_ppm = ppm;
    }
    b.per_container = c.optional(e, path, "per_container", per_container);
    let cached = c.optional(e, path, "cached", Checker::bool).unwrap_or(false);
    (b, cached)
}

/// The behaviour fields a `per_container` change may give: those of the container (a pull
/// happens before there is one to count).
const PER_CONTAINER_KEYS: &[&str] = &["start", "healthcheck", "health", "exit", "stop"];

/// `{cycle: [CHANGE, ...]}` or `{first: [CHANGE, ...]}`: the n-th container of the image
/// behaves as the image with the n-th change made (`{}` or `~`: as the image itself); `cycle`
/// starts over after the last, `first` leaves later containers as the image is.
fn per_container(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<PerContainer> {
    const HINT: &str = "e.g. per_container: {cycle: [{exit: {code: 1, after: 3s}}, {}]} makes every other container crash 3 s after it starts";
    let form = match v {
        Yaml::Map(e) if e.len() == 1 => {
            c.check_keys(e, path, &["cycle", "first"], false, &[]);
            Some((&e[0].0, &e[0].1))
        }
        _ => None,
    };
    let Some((kind, body)) = form.filter(|(k, _)| *k == "cycle" || *k == "first") else {
        if !matches!(v, Yaml::Map(e) if e.len() == 1) {
            c.error(path, "must be a mapping with exactly one of cycle, first", Some(HINT.into()));
        }
        return None;
    };
    let at = path.key(kind);
    let Yaml::Seq(items) = body else {
        c.error(&at, "must be a list of behaviour changes, one per container", Some(HINT.into()));
        return None;
    };
    if items.is_empty() {
        c.error(&at, "must list at least one change", Some(HINT.into()));
        return None;
    }
    let mut changes = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ipath = at.index(i);
        if matches!(item, Yaml::Null) {
            changes.push(ImagePatch::default());
            continue;
        }
        let e = c.entries(item, &ipath)?;
        let pull_keys = ["pull", "pull_failure", "failed_pull", "missing"];
        for (key, _) in e.iter().filter(|(k, _)| pull_keys.contains(&k.as_str())) {
            let hint = "a pull happens before the container it is counted by: give pull behaviour on the image itself, or change it from an instant on with a timeline image: entry";
            c.error_at(&ipath, &ipath.key(key), format!("{key} cannot change per container"), Some(hint.into()));
        }
        let allowed: Vec<&str> = PER_CONTAINER_KEYS.iter().chain(&pull_keys).copied().collect();
        c.check_keys(e, &ipath, &allowed, false, &[]);
        changes.push(behavior_fields(c, e, &ipath));
    }
    Some(PerContainer { changes, repeat: kind == "cycle" })
}

/// Keys of a timeline `image:` entry: the image and the behaviour it has from then on.
pub(super) const CHANGE_KEYS: &[&str] =
    &["name", "pull", "pull_failure", "failed_pull", "missing", "start", "healthcheck", "health", "exit", "stop"];

/// A timeline `image: {name: REF, <behaviour>}` entry: the image and its change. `errors` and
/// `cached` describe the whole run and cannot change in it.
pub(super) fn change(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<(String, ImagePatch)> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, CHANGE_KEYS, false, &[]);
    let name = c.required(e, path, "name", Checker::string)?;
    let patch = behavior_fields(c, e, path);
    if patch == ImagePatch::default() {
        let hint = "e.g. image: {name: web:1, health: never} makes its containers started from then on never healthy";
        c.error(path, "changes nothing: give at least one behaviour field", Some(hint.into()));
        return None;
    }
    Some((normalize_image(&name), patch))
}

/// The behaviour fields an image entry gives, each one optional.
fn behavior_fields(c: &mut Checker<'_>, e: &Entries, path: &Path) -> ImagePatch {
    ImagePatch {
        pull: c.optional(e, path, "pull", Checker::dist),
        pull_failure: c.optional(e, path, "pull_failure", Checker::probability),
        missing: c.optional(e, path, "missing", Checker::bool),
        failed_pull: c.optional(e, path, "failed_pull", Checker::dist),
        start: c.optional(e, path, "start", Checker::dist),
        healthcheck: c.optional(e, path, "healthcheck", dockerfile_healthcheck),
        health: c.optional(e, path, "health", health),
        exit: c.optional(e, path, "exit", exit),
        stop: c.optional(e, path, "stop", stop),
    }
}

fn dockerfile_healthcheck(
    c: &mut Checker<'_>,
    v: &Yaml,
    path: &Path,
) -> Option<Option<crate::model::spec::HealthConfig>> {
    let text = c.string(v, path)?;
    match healthcheck::parse_dockerfile(&text) {
        Ok(config) => Some(config),
        Err(e) => {
            c.error(path, e.message, e.hint);
            None
        }
    }
}

/// `healthy`, `never`, `{healthy_after: D}`, `{unhealthy_after: D}` or `{flaky: P}`.
fn health(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<HealthBehavior> {
    const FORMS: &[&str] = &["healthy_after", "unhealthy_after", "flaky"];
    match v {
        Yaml::Str(_) => c
            .choice(v, path, &[("healthy", 0), ("never", 1)])
            .map(|i| if i == 0 { HealthBehavior::Healthy } else { HealthBehavior::NeverHealthy }),
        Yaml::Map(e) if e.len() == 1 => {
            c.check_keys(e, path, FORMS, false, &[]);
            let (key, body) = (&e[0].0, &e[0].1);
            let at = path.key(key);
            match key.as_str() {
                "healthy_after" => c.dist(body, &at).map(HealthBehavior::HealthyAfter),
                "unhealthy_after" => c.dist(body, &at).map(HealthBehavior::UnhealthyAfter),
                "flaky" => c.probability(body, &at).map(HealthBehavior::Flaky),
                _ => None,
            }
        }
        _ => {
            let hint = "write healthy, never, {healthy_after: 10s}, {unhealthy_after: 1m} or {flaky: 0.1}";
            c.error(
                path,
                "must be healthy, never, or a mapping with exactly one of healthy_after, unhealthy_after, flaky",
                Some(hint.into()),
            );
            None
        }
    }
}

/// `{code: N, after: D}`: exits by itself (code defaults to 0, which completes the task).
fn exit(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<ExitBehavior> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, &["code", "after"], false, &[]);
    let code = c.optional(e, path, "code", Checker::i32);
    let after = c.required(e, path, "after", Checker::dist)?;
    if get(e, "code").is_some() && code.is_none() {
        return None;
    }
    Some(ExitBehavior::ExitsAfter { code: code.unwrap_or(0), after })
}

/// `ignore_sigterm` or `{after: D, exit_code: N}` (defaults 50ms, 0).
fn stop(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<StopBehavior> {
    if let Yaml::Str(_) = v {
        return c.choice(v, path, &[("ignore_sigterm", ())]).map(|()| StopBehavior::IgnoresSigterm);
    }
    let e = c.entries(v, path)?;
    c.check_keys(e, path, &["after", "exit_code"], false, &[]);
    let after = c.optional(e, path, "after", Checker::dist).unwrap_or(Dist::Fixed(SimDuration::from_millis(50)));
    let exit_code = c.optional(e, path, "exit_code", Checker::i32).unwrap_or(0);
    Some(StopBehavior::Graceful { after, exit_code })
}

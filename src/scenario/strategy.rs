//! A timeline entry's `strategy:` — `rolling` (Swarm's own update, the default),
//! `blue_green` or `canary`, each with its knobs — read into [`Strategy`].

use crate::model::strategy::{Analysis, BlueGreen, Canary, CanaryRouting, CanaryStep, Strategy};
use crate::scenario::locate::Path;
use crate::scenario::raw::Yaml;
use crate::scenario::validate::{Checker, Entries};

const NAMES: &[&str] = &["rolling", "blue_green", "canary"];
const BLUE_GREEN_KEYS: &[&str] = &["bake", "scale_down_delay", "progress_deadline", "analysis"];
const CANARY_KEYS: &[&str] = &["routing", "replicas", "steps", "progress_deadline", "analysis"];
const ANALYSIS_KEYS: &[&str] = &["interval", "max_error_rate", "min_requests", "failure_limit", "max_task_failures"];
const STEP_KEYS: &[&str] = &["weight", "pause"];

/// Reads `strategy:`; `Some(None)` is rolling.
pub(super) fn read(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Option<Strategy>> {
    let (name, body, bpath) = match v {
        Yaml::Str(s) => (s.as_str(), None, path.clone()),
        Yaml::Map(entries) if entries.len() == 1 => {
            let (k, body) = &entries[0];
            (k.as_str(), Some(body), path.key(k))
        }
        other => {
            let hint = "write strategy: rolling | blue_green | canary, or {blue_green: {bake: 30s}}";
            c.error(
                path,
                "must be a strategy name or a mapping with one strategy",
                Some(format!("found {}; {hint}", other.kind())),
            );
            return None;
        }
    };
    let empty = Yaml::Null;
    one(c, name, body.unwrap_or(&empty), path, &bpath)
}

/// `x-simulation.strategies`: the strategies `compare-strategies` runs, each with its settings
/// (`{rolling: , blue_green: {bake: 30s}, canary: {routing: weights}}`), in file order.
pub(super) fn read_set(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Vec<(String, Option<Strategy>)>> {
    let Yaml::Map(entries) = v else {
        let hint =
            "write e.g. strategies: {rolling: , blue_green: {bake: 30s}, canary: {steps: [{weight: 10%, pause: 1m}]}}";
        c.error(path, "must be a mapping of strategy names to their settings", Some(hint.into()));
        return None;
    };
    let mut out = Vec::new();
    for (name, body) in entries {
        if let Some(strategy) = one(c, name, body, path, &path.key(name)) {
            out.push((name.clone(), strategy));
        }
    }
    Some(out)
}

/// One strategy by name with its settings.
fn one(c: &mut Checker<'_>, name: &str, body: &Yaml, path: &Path, bpath: &Path) -> Option<Option<Strategy>> {
    let bpath = bpath.clone();
    match name {
        "rolling" => {
            if !matches!(body, Yaml::Null) {
                c.error(
                    &bpath,
                    "rolling takes no settings here",
                    Some("set update_config in the stack file or --update-* flags".into()),
                );
            }
            Some(None)
        }
        "blue_green" => {
            let e = c.entries(body, &bpath)?;
            Some(Some(Strategy::BlueGreen(blue_green(c, e, &bpath))))
        }
        "canary" => {
            let e = c.entries(body, &bpath)?;
            Some(Some(Strategy::Canary(canary(c, e, &bpath)?)))
        }
        other => {
            let hint = crate::scenario::suggest::did_you_mean_value(other, NAMES)
                .unwrap_or_else(|| format!("one of {}", crate::scenario::suggest::one_of(NAMES)));
            c.error(path, format!("unknown strategy \"{other}\""), Some(hint));
            None
        }
    }
}

fn blue_green(c: &mut Checker<'_>, e: &Entries, path: &Path) -> BlueGreen {
    c.check_keys(e, path, BLUE_GREEN_KEYS, false, &[]);
    let d = BlueGreen::default();
    BlueGreen {
        bake: c.optional(e, path, "bake", Checker::duration).unwrap_or(d.bake),
        scale_down_delay: c.optional(e, path, "scale_down_delay", Checker::duration).unwrap_or(d.scale_down_delay),
        progress_deadline: c.optional(e, path, "progress_deadline", Checker::duration).unwrap_or(d.progress_deadline),
        analysis: c.optional(e, path, "analysis", analysis).unwrap_or_default(),
    }
}

fn canary(c: &mut Checker<'_>, e: &Entries, path: &Path) -> Option<Canary> {
    c.check_keys(e, path, CANARY_KEYS, false, &[]);
    let d = Canary::default();
    let routings = [("replicas", CanaryRouting::Replicas), ("weights", CanaryRouting::Weights)];
    let routing = c.optional(e, path, "routing", |c, v, p| c.choice(v, p, &routings)).unwrap_or(d.routing);
    let replicas = c.optional(e, path, "replicas", Checker::u64);
    if replicas == Some(0) {
        c.error(&path.key("replicas"), "must be at least 1", None);
    }
    if replicas.is_some() && routing == CanaryRouting::Replicas {
        let hint =
            "with routing: replicas each step sizes the canary from its weight; use routing: weights for a fixed size";
        c.warn(&path.key("replicas"), "has no effect with routing: replicas", Some(hint.into()));
    }
    let steps = c.optional(e, path, "steps", steps).unwrap_or(d.steps);
    Some(Canary {
        routing,
        replicas,
        steps,
        progress_deadline: c.optional(e, path, "progress_deadline", Checker::duration).unwrap_or(d.progress_deadline),
        analysis: c.optional(e, path, "analysis", analysis).unwrap_or_default(),
    })
}

/// `steps: [{weight: 10%, pause: 1m}, …]`: weights 1–99 % (the promotion takes the rest).
fn steps(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Vec<CanaryStep>> {
    let Yaml::Seq(items) = v else {
        c.error(path, "must be a list of {weight, pause}", Some(format!("found {}", v.kind())));
        return None;
    };
    if items.is_empty() {
        c.error(path, "needs at least one step", Some("e.g. steps: [{weight: 10%, pause: 1m}]".into()));
        return None;
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ipath = path.index(i);
        let Some(e) = c.entries(item, &ipath) else { continue };
        c.check_keys(e, &ipath, STEP_KEYS, false, &[]);
        let weight = c.required(e, &ipath, "weight", weight_pct);
        let pause = c.required(e, &ipath, "pause", Checker::duration);
        let Some(pct) = weight else { continue };
        if let Some(last) = out.last().map(|s: &CanaryStep| s.weight_pct)
            && pct < last
        {
            c.warn(&ipath.key("weight"), format!("{pct}% is below the previous step's {last}%"), None);
        }
        if let Some(pause) = pause {
            out.push(CanaryStep { weight_pct: pct, pause });
        }
    }
    Some(out)
}

/// A step's weight: `10%`, or `10` as Argo's `setWeight` writes it; a whole percentage from 1
/// to 99 (the promotion after the last step sends the rest).
fn weight_pct(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<u32> {
    let x = match v {
        Yaml::Str(s) => s.trim().trim_end_matches('%').trim().parse::<f64>().ok(),
        Yaml::Int(i) => Some(*i as f64),
        Yaml::Float(f) => Some(*f),
        _ => None,
    };
    match x {
        Some(p) if p.fract() == 0.0 && (1.0..=99.0).contains(&p) => Some(p as u32),
        _ => {
            let hint = "a whole percentage from 1% to 99%, e.g. weight: 10% (the promotion after the last step sends the rest)";
            c.error(path, format!("must be a whole percentage from 1% to 99%, not {}", v.render()), Some(hint.into()));
            None
        }
    }
}

fn analysis(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Analysis> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, ANALYSIS_KEYS, false, &[]);
    let d = Analysis::default();
    let interval = c.optional(e, path, "interval", Checker::duration).unwrap_or(d.interval);
    if interval.as_nanos() == 0 {
        c.error(&path.key("interval"), "must be more than 0s", Some("the analysis measures once per interval".into()));
    }
    Some(Analysis {
        interval,
        max_error_rate_ppm: c.optional(e, path, "max_error_rate", Checker::share_ppm).unwrap_or(d.max_error_rate_ppm),
        min_requests: c.optional(e, path, "min_requests", Checker::u64).unwrap_or(d.min_requests),
        failure_limit: c
            .optional(e, path, "failure_limit", Checker::u64)
            .map_or(d.failure_limit, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        max_task_failures: c.optional(e, path, "max_task_failures", Checker::u64).unwrap_or(d.max_task_failures),
    })
}

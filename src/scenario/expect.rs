//! Reads `x-simulation.expect` with the loader's checker, so that a mistyped key, operator or
//! service gets the same file:line diagnostics and did-you-mean hints as the rest of the file.

use super::docker_cli::ServiceRef;
use super::locate::Path;
use super::raw::Yaml;
use super::suggest::{did_you_mean_value as did_you_mean, one_of};
use super::validate::{Checker, Entries, get};
use crate::limits::MAX_EXPECT_RUNS;
use crate::model::expect::{Bound, Check, Expectation, Kind, Op, Statistical, SummaryTest};
use crate::time::parse_go_duration;

/// The keys of an assertion item (besides `service`).
pub(super) const CHECK_KEYS: &[&str] = &[
    "update_state",
    "update_duration",
    "min_serving",
    "min_serving_ratio",
    "seconds_below_desired",
    "seconds_none_serving",
    "failed_requests",
    "tasks_replaced_before_stop",
    "rollback_started_before",
    "summary",
];

/// The keys of a statistical item.
const STAT_KEYS: &[&str] = &["over_seeds", "at_least", "confidence", "expect"];

/// `update_state` values: Docker's UpdateStatus states, and `none` for "never updated".
pub(super) const STATES: &[&str] =
    &["none", "updating", "paused", "completed", "rollback_started", "rollback_paused", "rollback_completed"];

/// Operators, longest first so that `<=` is not read as `<`.
const OPERATORS: &[&str] = &["<=", ">=", "==", "!=", "<", ">"];

/// What a bound's numbers are.
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    /// A Go duration (`90s`), held in seconds.
    Duration,
    /// A non-negative integer.
    Count,
    /// A number, or a percentage (`80%`).
    Ratio,
    /// A number or a duration (the `summary:` form: `*_s` fields are seconds).
    Any,
}

/// What the assertions may name: the stack's services and those with traffic.
pub(super) struct Names<'a> {
    /// The stack's services.
    pub services: &'a [ServiceRef],
    /// Full names of the services with `x-simulation.traffic`.
    pub traffic: &'a [String],
}

/// Reads the `expect:` list at `path`.
pub(super) fn read(c: &mut Checker<'_>, v: &Yaml, path: &Path, names: &Names<'_>) -> Vec<Expectation> {
    let Yaml::Seq(items) = v else {
        c.error(
            path,
            "must be a list",
            Some(format!("found {}; write expect:\\n  - update_state: completed", v.kind())),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ipath = path.index(i);
        let Some(entries) = c.entries(item, &ipath) else { continue };
        if get(entries, "over_seeds").is_some() {
            out.extend(statistical(c, entries, &ipath, names).map(Expectation::OverSeeds));
        } else {
            out.extend(checks(c, entries, &ipath, names).into_iter().map(Expectation::Once));
        }
    }
    out
}

/// `over_seeds: N`, `at_least: P`, `confidence: C`, `expect: {...}` or a list of them.
fn statistical(c: &mut Checker<'_>, e: &Entries, path: &Path, names: &Names<'_>) -> Option<Statistical> {
    c.check_keys(e, path, STAT_KEYS, false, &[]);
    let runs = c.required(e, path, "over_seeds", runs);
    let at_least = c.required(e, path, "at_least", share);
    let confidence = c.optional(e, path, "confidence", confidence);
    let epath = path.key("expect");
    let checks = match get(e, "expect") {
        Some(Yaml::Seq(items)) => {
            let mut all = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if let Some(entries) = c.entries(item, &epath.index(i)) {
                    all.extend(checks(c, entries, &epath.index(i), names));
                }
            }
            all
        }
        Some(v) => c.entries(v, &epath).map(|entries| checks(c, entries, &epath, names)).unwrap_or_default(),
        None => {
            c.error(path, "expect is required", Some("write expect: {update_state: completed}".into()));
            Vec::new()
        }
    };
    // A confidence that failed to read must not silently become the point-estimate rule.
    let confidence = match get(e, "confidence") {
        Some(_) => Some(confidence?),
        None => None,
    };
    Some(Statistical { origin: path.to_string(), runs: runs?, at_least: at_least?, confidence, checks })
}

fn runs(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<u64> {
    let n = c.u64(v, path)?;
    if !(1..=MAX_EXPECT_RUNS).contains(&n) {
        c.error(path, format!("must be between 1 and {MAX_EXPECT_RUNS}"), None);
        return None;
    }
    Some(n)
}

/// `99%`, or a number in `[0, 1]`.
fn share(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<f64> {
    if let Yaml::Str(s) = v
        && let Some(pct) = s.trim().strip_suffix('%')
    {
        return match pct.trim().parse::<f64>() {
            Ok(x) if (0.0..=100.0).contains(&x) => Some(x / 100.0),
            _ => {
                c.error(path, format!("is not a percentage between 0% and 100%: {s}"), None);
                None
            }
        };
    }
    c.probability(v, path)
}

/// `90%`, `95%` or `99%` (the levels whose z-values are built in).
fn confidence(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<f64> {
    let level = share(c, v, path)?;
    if crate::stats::z_for(level).is_none() {
        c.error(path, "must be 90%, 95% or 99%", None);
        return None;
    }
    Some(level)
}

/// The assertions of one item: every check key it holds, about its `service`.
fn checks(c: &mut Checker<'_>, e: &Entries, path: &Path, names: &Names<'_>) -> Vec<Check> {
    let mut allowed = CHECK_KEYS.to_vec();
    allowed.push("service");
    c.check_keys(e, path, &allowed, false, &[]);
    let kinds: Vec<&(String, Yaml)> = e.iter().filter(|(k, _)| CHECK_KEYS.contains(&k.as_str())).collect();
    if kinds.is_empty() && e.iter().all(|(k, _)| allowed.contains(&k.as_str())) {
        c.error(path, "has no assertion", Some(format!("use one of {}", one_of(CHECK_KEYS))));
    }
    let needs_service = kinds.iter().any(|(k, _)| k != "summary");
    let service = if needs_service { service(c, e, path, names) } else { Some(String::new()) };
    let mut out = Vec::new();
    for (key, value) in kinds {
        let at = path.key(key);
        let Some(kind) = kind(c, key, value, &at) else { continue };
        let Some(service) = service.clone() else { continue };
        if matches!(kind, Kind::FailedRequests(_)) && !names.traffic.contains(&service) {
            let hint = format!("add x-simulation.traffic for {service}: without clients no request fails");
            c.error(&at, format!("needs traffic for {service}"), Some(hint));
            continue;
        }
        let service = if matches!(kind, Kind::Summary { .. }) { String::new() } else { service };
        out.push(Check { origin: at.to_string(), service, kind });
    }
    out
}

/// `service:` as `web_web` or `web`; optional when the stack has one service.
fn service(c: &mut Checker<'_>, e: &Entries, path: &Path, names: &Names<'_>) -> Option<String> {
    let Some(v) = get(e, "service") else {
        if let [only] = names.services {
            return Some(only.full.clone());
        }
        let all: Vec<&str> = names.services.iter().map(|s| s.full.as_str()).collect();
        let hint = format!("the stack has {} services: {}", all.len(), one_of(&all));
        c.error(path, "service is required", Some(hint));
        return None;
    };
    let spath = path.key("service");
    let name = c.string(v, &spath)?;
    if let Some(s) = names.services.iter().find(|s| s.full == name || s.short == name) {
        return Some(s.full.clone());
    }
    let all: Vec<&str> = names.services.iter().map(|s| s.full.as_str()).collect();
    let short: Vec<&str> = names.services.iter().flat_map(|s| [s.full.as_str(), s.short.as_str()]).collect();
    let hint = did_you_mean(&name, &short).or_else(|| Some(format!("services: {}", one_of(&all))));
    c.error(&spath, format!("no such service: {name}"), hint);
    None
}

fn kind(c: &mut Checker<'_>, key: &str, v: &Yaml, path: &Path) -> Option<Kind> {
    Some(match key {
        "update_state" => Kind::UpdateState(state(c, v, path)?),
        "update_duration" => Kind::UpdateDuration(bound(c, v, path, Unit::Duration)?),
        "min_serving" => Kind::MinServing(bound(c, v, path, Unit::Count)?),
        "min_serving_ratio" => Kind::MinServingRatio(bound(c, v, path, Unit::Ratio)?),
        "seconds_below_desired" => Kind::SecondsBelowDesired(bound(c, v, path, Unit::Duration)?),
        "seconds_none_serving" => Kind::SecondsNoneServing(bound(c, v, path, Unit::Duration)?),
        "failed_requests" => Kind::FailedRequests(bound(c, v, path, Unit::Count)?),
        "tasks_replaced_before_stop" => Kind::TasksReplacedBeforeStop(bound(c, v, path, Unit::Count)?),
        "rollback_started_before" => Kind::RollbackStartedBefore(c.duration(v, path)?.0 as f64 / 1e9),
        _ => summary(c, v, path)?,
    })
}

fn state(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<String> {
    let options: Vec<(&str, &str)> = STATES.iter().map(|s| (*s, *s)).collect();
    c.choice(v, path, &options).map(str::to_string)
}

/// `summary: {path: services.web_web.update.failures, is: "<= 1"}`.
fn summary(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Kind> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, &["path", "is"], false, &[]);
    let field = c.required(e, path, "path", Checker::string);
    let is = c.required(e, path, "is", summary_test);
    let field = field?;
    if field.is_empty() || field.split('.').any(str::is_empty) {
        c.error(&path.key("path"), "must be a dotted path", Some("e.g. services.web_web.update.failures".into()));
        return None;
    }
    Some(Kind::Summary { path: field, is: is? })
}

/// A bound when the text starts with an operator or is a number or range; else exact text.
fn summary_test(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<SummaryTest> {
    match v {
        Yaml::Null => Some(SummaryTest::Text("null".into())),
        Yaml::Bool(b) => Some(SummaryTest::Text(b.to_string())),
        Yaml::Int(_) | Yaml::Float(_) => bound(c, v, path, Unit::Any).map(SummaryTest::Number),
        Yaml::Str(s) if looks_numeric(s) => bound(c, v, path, Unit::Any).map(SummaryTest::Number),
        Yaml::Str(s) => Some(SummaryTest::Text(s.clone())),
        _ => {
            c.error(path, "must be a value or a comparison", Some(format!("found {}", v.kind())));
            None
        }
    }
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim();
    t.starts_with(['<', '>', '=', '!']) || t.contains("..") || value(t, Unit::Any).is_some()
}

/// `"<= 15s"`, `">= 8"`, `"60s..90s"`, or a bare value (meaning `==`).
fn bound(c: &mut Checker<'_>, v: &Yaml, path: &Path, unit: Unit) -> Option<Bound> {
    let text = match v {
        Yaml::Str(s) => s.trim().to_string(),
        Yaml::Int(_) | Yaml::Float(_) if unit != Unit::Duration => v.render(),
        _ => {
            let example = if unit == Unit::Duration { "\"<= 15s\" (durations need a unit)" } else { "\">= 8\"" };
            c.error(path, "must be a comparison", Some(format!("found {}; write e.g. {example}", v.kind())));
            return None;
        }
    };
    match parse_op(&text, unit) {
        // A bare value means `==`: say so in messages.
        Ok(op @ Op::Eq(_)) if !text.starts_with("==") => Some(Bound { op, text: format!("== {text}") }),
        Ok(op) => Some(Bound { op, text }),
        Err((message, hint)) => {
            c.error(path, message, hint);
            None
        }
    }
}

type Problem = (String, Option<String>);

/// The comparison in `text`, or what is wrong with it.
fn parse_op(text: &str, unit: Unit) -> Result<Op, Problem> {
    if let Some((a, b)) = text.split_once("..") {
        let (a, b) = (number(a.trim(), unit)?, number(b.trim(), unit)?);
        if a > b {
            return Err((format!("range {text} is empty: its lower end is above its upper end"), None));
        }
        return Ok(Op::Range(a, b));
    }
    let symbol: String = text.chars().take_while(|ch| "<>=!≤≥~".contains(*ch)).collect();
    let rest = text[symbol.len()..].trim();
    let make: fn(f64) -> Op = match symbol.as_str() {
        "" | "==" => Op::Eq,
        "<" => Op::Lt,
        "<=" => Op::Le,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "!=" => Op::Ne,
        other => return Err(unknown_operator(other)),
    };
    Ok(make(number(rest, unit)?))
}

fn unknown_operator(op: &str) -> Problem {
    let fixed = match op {
        "=" => Some("=="),
        "=<" | "≤" => Some("<="),
        "=>" | "≥" => Some(">="),
        "<>" | "=!" => Some("!="),
        _ => None,
    };
    let hint = fixed
        .map(|f| format!("did you mean \"{f}\"?"))
        .or_else(|| did_you_mean(op, OPERATORS))
        .or_else(|| Some(format!("operators: {}, and ranges a..b", one_of(OPERATORS))));
    (format!("unknown operator {op}"), hint)
}

fn number(text: &str, unit: Unit) -> Result<f64, Problem> {
    value(text, unit).ok_or_else(|| {
        let want = match unit {
            Unit::Duration => "a duration such as 90s or 1m30s",
            Unit::Count => "a whole number",
            Unit::Ratio => "a number such as 0.8, or a percentage such as 80%",
            Unit::Any => "a number or a duration",
        };
        (format!("cannot read \"{text}\": expected {want}"), None)
    })
}

/// The number `text` stands for in `unit` (durations in seconds).
fn value(text: &str, unit: Unit) -> Option<f64> {
    let duration = || parse_go_duration(text).ok().map(|d| d.0 as f64 / 1e9);
    let float = || text.parse::<f64>().ok().filter(|x| x.is_finite());
    match unit {
        Unit::Duration => duration(),
        Unit::Count => text.parse::<u64>().ok().map(|n| n as f64),
        Unit::Ratio => text.strip_suffix('%').map_or_else(float, |p| p.trim().parse::<f64>().ok().map(|x| x / 100.0)),
        Unit::Any => float().or_else(duration),
    }
}

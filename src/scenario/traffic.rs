//! `x-simulation.traffic`: the client load per service — a list of entries naming `service:`,
//! or a mapping keyed by service — read into [`TrafficSpec`]s.

use crate::model::traffic::{MilliRps, Overload, TrafficSpec};
use crate::rng::Dist;
use crate::scenario::docker_cli::ServiceRef;
use crate::scenario::locate::Path;
use crate::scenario::raw::Yaml;
use crate::scenario::suggest;
use crate::scenario::validate::{Checker, Entries, get};
use crate::time::{SimDuration, SimTime};

/// Keys of one traffic entry.
const KEYS: &[&str] =
    &["service", "route", "rate", "request_duration", "capacity_per_task", "overload", "timeout", "from"];

/// Default request duration: a quick API call.
const DEFAULT_DURATION: SimDuration = SimDuration::from_millis(50);

/// Default longest wait of a queued request.
const DEFAULT_TIMEOUT: SimDuration = SimDuration::from_secs(5);

/// Reads `traffic` (a list of entries with `service:`, or a mapping keyed by service name).
pub(super) fn read(c: &mut Checker<'_>, v: &Yaml, path: &Path, services: &[ServiceRef]) -> Vec<TrafficSpec> {
    let mut out: Vec<TrafficSpec> = Vec::new();
    let entries: Vec<(Path, Option<String>, &Yaml)> = match v {
        Yaml::Seq(items) => items.iter().enumerate().map(|(i, item)| (path.index(i), None, item)).collect(),
        Yaml::Map(map) => map.iter().map(|(k, item)| (path.key(k), Some(k.clone()), item)).collect(),
        Yaml::Null => Vec::new(),
        other => {
            let hint = format!("found {}; write a list of {{service: web_web, rate: 100}}", other.kind());
            c.error(path, "must be a list or a mapping keyed by service", Some(hint));
            return out;
        }
    };
    for (epath, key, body) in entries {
        let Some(spec) = entry(c, body, &epath, key, services) else { continue };
        if out.iter().any(|t| t.service == spec.service) {
            let hint = "give each service one traffic entry (a rate profile varies its rate over time)";
            c.error(&epath, format!("traffic for {} is given twice", spec.service), Some(hint.into()));
            continue;
        }
        out.push(spec);
    }
    out
}

fn entry(
    c: &mut Checker<'_>,
    v: &Yaml,
    path: &Path,
    key: Option<String>,
    services: &[ServiceRef],
) -> Option<TrafficSpec> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, KEYS, false, &[]);
    let route_only = get(e, "route").is_some();
    let service = match (key, get(e, "service")) {
        (None, None) if route_only => route_name(c, e, path),
        (Some(_), None) | (None, Some(_)) if route_only => {
            let hint = "give either service: (that service and those labelled deploysim.route=SERVICE) or route: (the services labelled deploysim.route=ROUTE)";
            c.error(&path.key("route"), "cannot be combined with service", Some(hint.into()));
            None
        }
        (Some(k), None) => service_name(c, &k, path, services),
        (None, Some(s)) => {
            c.string(s, &path.key("service")).and_then(|s| service_name(c, &s, &path.key("service"), services))
        }
        (None, None) => {
            let hint = "name the service in full, e.g. service: web_web (or a route: its backends carry the label deploysim.route=ROUTE)";
            c.error(path, "service is required", Some(hint.into()));
            None
        }
        (Some(_), Some(_)) => {
            let hint = "the mapping key already names the service: remove service:";
            c.error(&path.key("service"), "is not allowed in the mapping form", Some(hint.into()));
            None
        }
    };
    let rate = c.required(e, path, "rate", rate);
    let request_duration =
        c.optional(e, path, "request_duration", Checker::dist).unwrap_or(Dist::Fixed(DEFAULT_DURATION));
    let capacity_per_task = c.optional(e, path, "capacity_per_task", positive_rate);
    let overload = overload(c, e, path, capacity_per_task.is_some());
    let from = c.optional(e, path, "from", Checker::duration).map(|d| SimTime(d.0));
    Some(TrafficSpec {
        service: service?,
        route_only,
        rate: rate?,
        request_duration,
        capacity_per_task,
        overload: overload?,
        from,
    })
}

/// `route: NAME`: a non-empty label value.
fn route_name(c: &mut Checker<'_>, e: &Entries, path: &Path) -> Option<String> {
    let name = c.scalar_text(get(e, "route")?, &path.key("route"))?;
    if name.trim().is_empty() {
        c.error(&path.key("route"), "must not be empty", Some("name the route its backends are labelled with".into()));
        return None;
    }
    Some(name)
}

/// A full service name of the stack; a short name or a typo gets a hint, and the names known.
fn service_name(c: &mut Checker<'_>, name: &str, path: &Path, services: &[ServiceRef]) -> Option<String> {
    if services.iter().any(|s| s.full == name) {
        return Some(name.to_string());
    }
    let fulls: Vec<&str> = services.iter().map(|s| s.full.as_str()).collect();
    let known = format!("the stack's services are {}", suggest::one_of(&fulls));
    let hint = match services.iter().find(|s| s.short == name) {
        Some(s) => format!("did you mean \"{}\"? services are named <stack>_<service>; {known}", s.full),
        None => match suggest::did_you_mean_value(name, &fulls) {
            Some(dym) => format!("{dym} {known}"),
            None => known,
        },
    };
    c.error(path, format!("no such service: {name}"), Some(hint));
    None
}

/// `overload` (`reject` | `queue`, default reject) and `timeout` (queue only, default 5s).
fn overload(c: &mut Checker<'_>, e: &Entries, path: &Path, has_capacity: bool) -> Option<Overload> {
    let queue = c.optional(e, path, "overload", |c, v, p| c.choice(v, p, &[("reject", false), ("queue", true)]));
    let timeout = c.optional(e, path, "timeout", Checker::duration);
    if get(e, "overload").is_some() && !has_capacity {
        let hint = "without capacity_per_task a task takes any load: add capacity_per_task or remove overload";
        c.warn(&path.key("overload"), "has no effect", Some(hint.into()));
    }
    if get(e, "timeout").is_some() && queue != Some(true) {
        c.warn(&path.key("timeout"), "has no effect without overload: queue", None);
    }
    match (get(e, "overload"), queue) {
        (Some(_), None) => None,
        (_, Some(true)) => Some(Overload::Queue { timeout: timeout.unwrap_or(DEFAULT_TIMEOUT) }),
        _ => Some(Overload::Reject),
    }
}

/// A constant rate (`rate: 100`) or a profile (`rate: [{at: 0s, rps: 50}, {at: 2m, rps: 200}]`).
fn rate(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<Vec<(SimTime, MilliRps)>> {
    let Yaml::Seq(items) = v else {
        return milli(c, v, path).map(|r| vec![(SimTime::ZERO, r)]);
    };
    if items.is_empty() {
        c.error(path, "must not be empty", Some("write rate: 100 or [{at: 0s, rps: 100}]".into()));
        return None;
    }
    let steps: Vec<Option<(SimTime, MilliRps)>> =
        items.iter().enumerate().map(|(i, item)| step(c, item, &path.index(i))).collect();
    let steps: Vec<(SimTime, MilliRps)> = steps.into_iter().collect::<Option<_>>()?;
    if let Some(i) = steps.windows(2).position(|w| w[1].0 <= w[0].0) {
        let hint = "list the steps in time order, each at a later time than the one before";
        c.error(&path.index(i + 1).key("at"), "is not after the previous step", Some(hint.into()));
        return None;
    }
    Some(steps)
}

fn step(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<(SimTime, MilliRps)> {
    let e = c.entries(v, path)?;
    c.check_keys(e, path, &["at", "rps"], false, &[]);
    let at = c.required(e, path, "at", Checker::duration);
    let rps = c.required(e, path, "rps", milli);
    Some((SimTime(at?.0), rps?))
}

fn positive_rate(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<MilliRps> {
    let r = milli(c, v, path)?;
    if r == 0 {
        c.error(path, "must be more than 0", Some("leave capacity_per_task out for unlimited capacity".into()));
        return None;
    }
    Some(r)
}

/// Requests per second as millirequests per second, read from the number's decimal text so
/// that `2.5` is exactly 2500 (never through binary floating point).
fn milli(c: &mut Checker<'_>, v: &Yaml, path: &Path) -> Option<MilliRps> {
    let text = match v {
        Yaml::Int(_) | Yaml::Float(_) => v.render(),
        Yaml::Str(s) => s.trim().to_string(),
        other => {
            c.error(path, "must be a number of requests per second", Some(format!("found {}", other.kind())));
            return None;
        }
    };
    match parse_milli(&text) {
        Ok(r) => Some(r),
        Err(why) => {
            c.error(path, why, None);
            None
        }
    }
}

/// `"12.345"` → 12345. At most three decimals; no sign, exponent or other text.
pub(crate) fn parse_milli(text: &str) -> Result<MilliRps, String> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = frac.trim_end_matches('0');
    let digits = |s: &str| s.chars().all(|ch| ch.is_ascii_digit());
    if text.starts_with('-') {
        return Err(format!("must not be negative, not {text}"));
    }
    if whole.is_empty() || !digits(whole) || !digits(frac) {
        return Err(format!("must be a number of requests per second, not {text:?}"));
    }
    if frac.len() > 3 {
        return Err(format!("has more than 3 decimals ({text}): rates are kept in millirequests per second"));
    }
    let scale = 10u64.pow(3 - frac.len() as u32);
    let frac_milli = if frac.is_empty() { 0 } else { frac.parse::<u64>().map_err(|e| e.to_string())? * scale };
    whole
        .parse::<u64>()
        .ok()
        .and_then(|w| w.checked_mul(1000))
        .and_then(|w| w.checked_add(frac_milli))
        .filter(|&r| r <= MAX_MILLI)
        .ok_or_else(|| format!("is too large ({text}); at most 1000000000 requests per second"))
}

/// A billion requests per second: keeps every product in the traffic arithmetic far from
/// overflowing `u128`.
const MAX_MILLI: MilliRps = 1_000_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Diagnostic, load_str, load_str_with_warnings};

    /// A stack `shop` with services `shop_web` and `shop_db`, then `traffic` (indented under
    /// `x-simulation`). The traffic block starts on line 9.
    fn stack(traffic: &str) -> String {
        format!(
            "version: \"3.5\"\nservices:\n  web:\n    image: a\n  db:\n    image: b\nx-simulation:\n  stack: shop\n{traffic}"
        )
    }

    fn errors(traffic: &str) -> Vec<Diagnostic> {
        match load_str(&stack(traffic), std::path::Path::new("t.yml")) {
            Ok(_) => panic!("accepted invalid traffic:\n{traffic}"),
            Err(e) => e.diagnostics,
        }
    }

    #[test]
    fn list_and_map_forms_read_the_same() {
        let list = "  traffic:\n    - service: shop_web\n      rate: 2.5\n      capacity_per_task: 40\n      overload: queue\n      timeout: 2s\n";
        let map = "  traffic:\n    shop_web:\n      rate: 2.5\n      capacity_per_task: 40\n      overload: queue\n      timeout: 2s\n";
        let a = load_str(&stack(list), std::path::Path::new("t.yml")).unwrap().traffic;
        let b = load_str(&stack(map), std::path::Path::new("t.yml")).unwrap().traffic;
        assert_eq!(a, b);
        assert_eq!(a[0].rate, [(SimTime::ZERO, 2_500)]);
        assert_eq!(a[0].capacity_per_task, Some(40_000));
        assert_eq!(a[0].overload, Overload::Queue { timeout: SimDuration::from_secs(2) });
        assert_eq!(a[0].request_duration, Dist::Fixed(DEFAULT_DURATION));
    }

    #[test]
    fn a_profile_is_read_in_order() {
        let t = "  traffic:\n    - service: shop_web\n      rate: [{at: 0s, rps: 50}, {at: 2m, rps: 200}]\n      request_duration: {uniform: [10ms, 90ms]}\n";
        let s = load_str(&stack(t), std::path::Path::new("t.yml")).unwrap();
        assert_eq!(s.traffic[0].rate, [(SimTime::ZERO, 50_000), (SimTime(120_000_000_000), 200_000)]);
    }

    #[test]
    fn an_unknown_service_lists_the_known_ones() {
        let d = errors("  traffic:\n    - service: web\n      rate: 10\n");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].headline(), "x-simulation.traffic[0].service no such service: web");
        assert_eq!(d[0].line, Some(10));
        let hint = d[0].hint.as_deref().unwrap();
        assert!(hint.starts_with("did you mean \"shop_web\"?"), "{hint}");
        assert!(hint.ends_with("the stack's services are \"shop_db\", \"shop_web\""), "{hint}");
        let d = errors("  traffic:\n    shop_wbe: {rate: 10}\n");
        assert_eq!(d[0].headline(), "x-simulation.traffic.shop_wbe no such service: shop_wbe");
        assert!(d[0].hint.as_deref().unwrap().starts_with("did you mean \"shop_web\"?"));
    }

    #[test]
    fn bad_values_are_each_reported_with_their_path() {
        let t = "  traffic:\n    - service: shop_web\n      rate: -3\n      capacity_per_task: 0\n      overload: qeueu\n      request_duraton: 1s\n";
        let d = errors(t);
        let heads: Vec<String> = d.iter().map(Diagnostic::headline).collect();
        assert_eq!(
            heads,
            [
                "x-simulation.traffic[0].rate must not be negative, not -3",
                "x-simulation.traffic[0].capacity_per_task must be more than 0",
                "x-simulation.traffic[0].overload must be one of the following: \"queue\", \"reject\"",
                "x-simulation.traffic[0] Additional property request_duraton is not allowed",
            ]
        );
        assert_eq!(d[2].hint.as_deref(), Some("did you mean \"queue\"?"));
        assert_eq!(d[3].hint.as_deref(), Some("did you mean request_duration?"));
        assert_eq!(d.iter().map(|x| x.line.unwrap()).collect::<Vec<_>>(), [11, 12, 13, 14]);
    }

    #[test]
    fn missing_rate_unordered_profile_and_duplicates() {
        let d = errors("  traffic:\n    - service: shop_web\n");
        assert_eq!(d[0].headline(), "x-simulation.traffic[0] rate is required");
        let d = errors("  traffic:\n    - service: shop_web\n      rate: [{at: 1m, rps: 5}, {at: 30s, rps: 9}]\n");
        assert_eq!(d[0].headline(), "x-simulation.traffic[0].rate[1].at is not after the previous step");
        let d = errors("  traffic:\n    - {service: shop_web, rate: 1}\n    - {service: shop_web, rate: 2}\n");
        assert_eq!(d[0].headline(), "x-simulation.traffic[1] traffic for shop_web is given twice");
        let d = errors("  traffic: 100\n");
        assert_eq!(d[0].headline(), "x-simulation.traffic must be a list or a mapping keyed by service");
    }

    #[test]
    fn settings_without_effect_are_warnings() {
        let t = "  traffic:\n    - service: shop_web\n      rate: 1\n      overload: queue\n      timeout: 1s\n";
        let (_, warnings) = load_str_with_warnings(&stack(t), std::path::Path::new("t.yml")).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        assert!(warnings[0].contains("x-simulation.traffic[0].overload has no effect"), "{}", warnings[0]);
    }

    #[test]
    fn rates_are_exact_millirequests() {
        assert_eq!(parse_milli("100"), Ok(100_000));
        assert_eq!(parse_milli("2.5"), Ok(2_500));
        assert_eq!(parse_milli("0.001"), Ok(1));
        assert_eq!(parse_milli("7.1200"), Ok(7_120));
        assert!(parse_milli("0.0001").unwrap_err().contains("more than 3 decimals"));
        assert!(parse_milli("-1").unwrap_err().contains("negative"));
        assert!(parse_milli("1e3").is_err());
        assert!(parse_milli("").is_err());
        assert!(parse_milli("99999999999999").unwrap_err().contains("too large"));
    }
}

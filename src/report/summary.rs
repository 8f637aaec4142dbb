//! `summary.json`: the run's key figures per service, for machines and diffs.

use crate::model::record::{RunRecord, ServiceRecord, StatusChange, UpdateRecord};
use crate::model::strategy::StrategyRecord;
use crate::model::traffic::RequestSeries;
use crate::report::availability::{Availability, Ratio, availability_of};
use crate::report::json::Json;
use crate::time::SimTime;

/// Renders the run summary as pretty JSON with a trailing newline. Keys always come in this
/// order (services in scenario order, keyed by full service name):
///
/// ```text
/// { "scenario", "seed", "input_digest", "deploysim_version", "engine",
///   "run": { "end_reason", "end_time_s", "events_handled" },
///   "services": { "<name>": {
///       "desired_replicas",
///       "update": { "state", "message", "started_at_s", "completed_at_s", "duration_s",
///                   "tasks_replaced", "failures", "rollback_started_at_s",
///                   "status_changes": [ { "t_s", "state", "message" } ] },
///       "availability": { "observed_from_s", "min_serving", "min_serving_ratio",
///                         "serving_ratio_time_weighted", "seconds_below_desired",
///                         "seconds_none_serving" },
///       "requests": { "total", "failed", "failed_ratio", "longest_outage_s",
///                     "observed_from_s", "longest_outage_at_s",
///                     "new_version": { "image", "requests", "failed" },
///                     "backends": [ { "service", "requests", "failed" } ] },
///       "created_at_s", "removed_at_s" } },
///   "routes": { "<route>": <requests> },
///   "rollout": { "service", "image", "route", "started_at_s", "desired", "fully_new_at_s",
///                "time_to_fully_new_s", "peak_extra_tasks", "min_serving_ratio",
///                "mixed_versions_s", "recovered_at_s", "time_to_recover_s" },
///   "strategies": [ { "strategy", "service", "new_service", "image", "route", "started_at_s",
///                     "outcome", "message", "ended_at_s",
///                     "phases": [ { "t_s", "phase", "message" } ] } ],
///   "actions": [ { "t_s", "command", "error" } ] }
/// ```
///
/// Keys that only some runs have are left out of the others, so that a run without them reads
/// as before: `new_version` (the route's new version — the image last brought to one of its
/// backends — and the requests its tasks answered), `backends` (only with more than one),
/// `created_at_s` (services created after the start), `removed_at_s` (services removed),
/// `routes` (traffic entries written `route:`), `rollout` (runs with an update to a new image
/// or a blue-green or canary rollout: the figures of [`crate::report::rollout`], times to
/// `null` when they never happened) and `strategies` (blue-green and canary rollouts).
///
/// Times (`*_s`) and durations (`duration_s`, `seconds_*`) are seconds with exactly three
/// decimals; ratios have exactly four. Missing times are `null`; `update.state` is `null` when
/// the service never had an update; `duration_s` is `completed_at_s - started_at_s`, `null`
/// until the update completes. `availability` is defined on [`Availability`]. `requests` is
/// present only for services with `x-simulation.traffic` (see [`crate::traffic`]): requests
/// counted from `observed_from_s` to the end, how many failed and their share (0 when none were
/// counted), and the longest continuous time every arriving request failed, with its start
/// (`null` when there was none).
pub fn summary_json(run: &RunRecord) -> String {
    let mut text = summary_tree(run).to_pretty();
    text.push('\n');
    text
}

fn summary_tree(run: &RunRecord) -> Json {
    let mut fields = vec![
        ("scenario", Json::str(&run.scenario)),
        ("seed", Json::uint(run.seed)),
        ("input_digest", Json::str(&run.input_digest)),
        ("deploysim_version", Json::str(env!("CARGO_PKG_VERSION"))),
        ("engine", Json::str(&run.engine)),
        ("run", run_json(run)),
        ("services", services_json(run)),
    ];
    let routes: Vec<&RequestSeries> =
        run.requests.iter().filter(|r| !run.services.iter().any(|s| s.name == r.service)).collect();
    if !routes.is_empty() {
        fields.push(("routes", Json::Object(routes.iter().map(|r| (r.service.clone(), requests_json(r))).collect())));
    }
    if let Some(f) = crate::report::rollout::figures(run) {
        fields.push(("rollout", rollout_json(&f)));
    }
    if !run.strategies.is_empty() {
        fields.push(("strategies", Json::Array(run.strategies.iter().map(strategy_json).collect())));
    }
    fields.push(("actions", Json::Array(run.actions.iter().map(action_json).collect())));
    Json::object(fields)
}

fn rollout_json(f: &crate::report::rollout::Figures) -> Json {
    let r = &f.rollout;
    Json::object(vec![
        ("service", Json::str(&r.service)),
        ("image", Json::str(&r.image)),
        ("route", Json::str(&r.route)),
        ("started_at_s", Json::time(r.start)),
        ("desired", Json::uint(r.desired)),
        ("fully_new_at_s", Json::opt(f.fully_new_at, Json::time)),
        ("time_to_fully_new_s", Json::opt(f.fully_new_at.map(|t| t.since(r.start)), Json::secs)),
        ("peak_extra_tasks", Json::uint(f.peak_extra_tasks)),
        ("min_serving_ratio", Json::ratio(f.min_serving_ratio)),
        ("mixed_versions_s", Json::secs(f.mixed)),
        ("recovered_at_s", Json::opt(f.recovered_at, Json::time)),
        ("time_to_recover_s", Json::opt(f.recovered_at.map(|t| t.since(r.start)), Json::secs)),
    ])
}

fn strategy_json(s: &StrategyRecord) -> Json {
    let phases = s
        .phases
        .iter()
        .map(|p| {
            Json::object(vec![
                ("t_s", Json::time(p.t)),
                ("phase", Json::str(&p.phase)),
                ("message", Json::str(&p.message)),
            ])
        })
        .collect();
    Json::object(vec![
        ("strategy", Json::str(&s.strategy)),
        ("service", Json::str(&s.service)),
        ("new_service", Json::str(&s.new_service)),
        ("image", Json::str(&s.image)),
        ("route", Json::str(&s.route)),
        ("started_at_s", Json::time(s.started_at)),
        ("outcome", Json::opt(s.outcome.as_deref(), Json::str)),
        ("message", Json::str(&s.message)),
        ("ended_at_s", Json::opt(s.ended_at, Json::time)),
        ("phases", Json::Array(phases)),
    ])
}

fn run_json(run: &RunRecord) -> Json {
    Json::object(vec![
        ("end_reason", Json::str(run.end_reason.as_str())),
        ("end_time_s", Json::time(run.end_time)),
        ("events_handled", Json::uint(run.events_handled)),
    ])
}

/// Keyed by name; a name used again after `docker service rm` is another service, keyed
/// `name#2`, `name#3`… (traffic named after the service reports under its first one).
fn services_json(run: &RunRecord) -> Json {
    let mut seen: Vec<&str> = Vec::new();
    Json::Object(
        run.services
            .iter()
            .map(|s| {
                let n = seen.iter().filter(|x| **x == s.name).count();
                seen.push(&s.name);
                let key = if n == 0 { s.name.clone() } else { format!("{}#{}", s.name, n + 1) };
                let requests = run.requests.iter().find(|r| r.service == s.name).filter(|_| n == 0);
                (key, service_json(s, &availability_of(run, s), requests))
            })
            .collect(),
    )
}

fn service_json(service: &ServiceRecord, availability: &Availability, requests: Option<&RequestSeries>) -> Json {
    let mut fields = vec![
        ("desired_replicas", Json::uint(service.desired_replicas)),
        ("update", update_json(&service.update)),
        ("availability", availability_json(availability)),
    ];
    // Only with traffic: summaries of runs without it stay byte-identical.
    fields.extend(requests.map(|r| ("requests", requests_json(r))));
    if service.created_at > SimTime::ZERO {
        fields.push(("created_at_s", Json::time(service.created_at)));
    }
    fields.extend(service.removed_at.map(|t| ("removed_at_s", Json::time(t))));
    Json::object(fields)
}

fn requests_json(r: &RequestSeries) -> Json {
    let (total, failed) = (r.total(), r.failed());
    let mut fields = vec![
        ("total", Json::uint(total)),
        ("failed", Json::uint(failed)),
        ("failed_ratio", Json::ratio(Ratio { num: failed as u128, den: total.max(1) as u128 })),
        ("longest_outage_s", Json::secs(r.longest_outage)),
        ("observed_from_s", Json::time(r.from)),
        ("longest_outage_at_s", Json::opt(r.longest_outage_at, Json::time)),
    ];
    if let Some(image) = &r.new_image {
        let new =
            vec![("image", Json::str(image)), ("requests", Json::uint(r.to_new)), ("failed", Json::uint(r.new_failed))];
        fields.push(("new_version", Json::object(new)));
    }
    if r.backends.len() > 1 {
        let backends = r
            .backends
            .iter()
            .map(|b| {
                Json::object(vec![
                    ("service", Json::str(&b.service)),
                    ("requests", Json::uint(b.total)),
                    ("failed", Json::uint(b.failed)),
                ])
            })
            .collect();
        fields.push(("backends", Json::Array(backends)));
    }
    Json::object(fields)
}

fn update_json(u: &UpdateRecord) -> Json {
    let duration = match (u.started_at, u.completed_at) {
        (Some(start), Some(end)) => Some(end.since(start)),
        _ => None,
    };
    Json::object(vec![
        ("state", Json::opt(u.state, |s| Json::str(s.as_str()))),
        ("message", Json::str(&u.message)),
        ("started_at_s", Json::opt(u.started_at, Json::time)),
        ("completed_at_s", Json::opt(u.completed_at, Json::time)),
        ("duration_s", Json::opt(duration, Json::secs)),
        ("tasks_replaced", Json::uint(u.tasks_replaced)),
        ("failures", Json::uint(u.failures)),
        ("rollback_started_at_s", Json::opt(u.rollback_started_at, Json::time)),
        ("status_changes", Json::Array(u.status_changes.iter().map(change_json).collect())),
    ])
}

fn change_json(c: &StatusChange) -> Json {
    Json::object(vec![
        ("t_s", Json::time(c.t)),
        ("state", Json::str(c.state.as_str())),
        ("message", Json::str(&c.message)),
    ])
}

fn availability_json(a: &Availability) -> Json {
    Json::object(vec![
        ("observed_from_s", Json::opt(a.observed_from, Json::time)),
        ("min_serving", Json::uint(a.min_serving)),
        ("min_serving_ratio", Json::ratio(a.min_serving_ratio)),
        ("serving_ratio_time_weighted", Json::opt(a.serving_ratio_time_weighted, Json::ratio)),
        ("seconds_below_desired", Json::secs(a.seconds_below_desired)),
        ("seconds_none_serving", Json::secs(a.seconds_none_serving)),
    ])
}

fn action_json((t, command, error): &(SimTime, String, Option<String>)) -> Json {
    Json::object(vec![
        ("t_s", Json::time(*t)),
        ("command", Json::str(command)),
        ("error", Json::opt(error.as_deref(), Json::str)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{MS, S, completed_update, empty_run, sample, service};
    use serde_json::Value;

    /// web_web updated 30.050 s → 81.284 s (51.234 s) with 10 of 10 replaced; web_db never
    /// updated. One refused action.
    fn run() -> RunRecord {
        let mut run = empty_run();
        let mut web = service("web_web", 10);
        web.update = completed_update(81 * S + 284 * MS);
        // The db service comes first in the scenario: the output must keep that order.
        run.services = vec![service("web_db", 1), web];
        run.timeline = vec![
            sample("web_db", 0, 1, 1),
            sample("web_web", 0, 10, 10),
            sample("web_web", 40 * S, 10, 8),
            sample("web_web", 52 * S + 400 * MS, 10, 10),
        ];
        run.actions = vec![
            (SimTime(10 * S), "docker service scale web_web=10".into(), None),
            (
                SimTime(20 * S),
                "docker node update --availability drain ghost".into(),
                Some("node ghost not found".into()),
            ),
        ];
        run
    }

    #[test]
    fn parses_back_with_exact_values() {
        let text = summary_json(&run());
        assert!(text.ends_with("}\n"));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["seed"], 42);
        assert_eq!(v["deploysim_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["run"]["end_reason"], "quiescent");
        let web = &v["services"]["web_web"];
        assert_eq!(web["update"]["state"], "completed");
        assert_eq!(web["update"]["status_changes"][1]["state"], "completed");
        assert_eq!(web["availability"]["min_serving"], 8);
        assert_eq!(v["actions"][0]["error"], Value::Null);
        assert_eq!(v["actions"][1]["error"], "node ghost not found");
        // Exact decimal text, not a float's shortest form (51.234, 12.400 — never 12.4).
        assert!(text.contains("\"duration_s\": 51.234,"), "{text}");
        assert!(text.contains("\"started_at_s\": 30.050,"), "{text}");
        assert!(text.contains("\"seconds_below_desired\": 12.400,"), "{text}");
        assert!(text.contains("\"end_time_s\": 100.000,"), "{text}");
        assert!(text.contains("\"min_serving_ratio\": 0.8000,"), "{text}");
    }

    #[test]
    fn never_updated_service_has_nulls() {
        let v: Value = serde_json::from_str(&summary_json(&run())).unwrap();
        let db = &v["services"]["web_db"];
        assert_eq!(db["update"]["state"], Value::Null);
        assert_eq!(db["update"]["started_at_s"], Value::Null);
        assert_eq!(db["update"]["duration_s"], Value::Null);
        assert_eq!(db["update"]["status_changes"], Value::Array(vec![]));
        assert_eq!(db["availability"]["serving_ratio_time_weighted"], Value::Null);
        assert_eq!(db["availability"]["min_serving_ratio"], 1.0);
    }

    #[test]
    fn keys_and_services_keep_their_order() {
        let text = summary_json(&run());
        let pos = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing"));
        let top = [
            "\"scenario\"",
            "\"seed\"",
            "\"input_digest\"",
            "\"deploysim_version\"",
            "\"engine\"",
            "\"run\"",
            "\"services\"",
            "\"actions\"",
        ];
        assert!(top.windows(2).all(|w| pos(w[0]) < pos(w[1])), "{text}");
        assert!(pos("\"web_db\": {") < pos("\"web_web\": {"));
    }

    #[test]
    fn requests_only_for_services_with_traffic() {
        use crate::model::traffic::{RequestBucket, RequestSeries};
        let mut run = run();
        let bucket = |t: u64, ok, failed| RequestBucket { t: SimTime(t * S), ok, failed };
        run.requests = vec![RequestSeries {
            service: "web_web".into(),
            from: SimTime(2 * S),
            until: SimTime(5 * S),
            buckets: vec![bucket(2, 100, 0), bucket(3, 30, 70), bucket(4, 100, 0)],
            longest_outage: crate::time::SimDuration(700 * MS),
            longest_outage_at: Some(SimTime(3 * S + 300 * MS)),
            new_image: None,
            to_new: 0,
            new_failed: 0,
            backends: Vec::new(),
        }];
        let text = summary_json(&run);
        // 70 of 300 failed: 0.2333.
        let expected = "\"requests\": {\n        \"total\": 300,\n        \"failed\": 70,\n        \"failed_ratio\": 0.2333,\n        \"longest_outage_s\": 0.700,\n        \"observed_from_s\": 2.000,\n        \"longest_outage_at_s\": 3.300\n      }";
        assert!(text.contains(expected), "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["services"]["web_db"].get("requests"), None);
    }
}

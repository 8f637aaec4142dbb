//! Blue-green and canary end to end: each controller's paths (switch, switch back, abandon,
//! abort, promote, a promotion that fails) on small scenarios, and `compare-strategies` —
//! deterministic, every run measured to one common end, its table agreeing with each
//! strategy's own run.

use crate::common;

use std::path::Path;
use std::process::Command;

use crate::common::simulate_file;
use deploysim::commands::compare_strategies::run_seed;
use deploysim::model::record::{RunRecord, UpdateState};
use deploysim::strategy_comparison as comparison;

/// A 4-replica service at 100 rps, health-checked, rolled to `app:2` at 30 s with `strategy`;
/// `app:2` behaves as `new_image` says.
fn scenario(strategy: &str, new_image: &str, update_config: &str) -> String {
    format!(
        r#"version: "3.7"
services:
  web:
    image: app:1
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 1s
      retries: 2
    deploy:
      replicas: 4
      update_config: {update_config}
x-simulation:
  stack: s
  until: 10m
  cluster: {{nodes: 2}}
  images:
    app:1: {{cached: true, start: 500ms}}
    app:2: {{cached: true, start: 500ms{new_image}}}
  traffic:
    s_web: {{rate: 100, request_duration: 20ms}}
  timeline:
    - at: 30s
      run: docker service update --image app:2 s_web
      strategy: {strategy}
"#
    )
}

fn run(text: &str) -> RunRecord {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yml");
    std::fs::write(&path, text).unwrap();
    simulate_file(&path, None).unwrap_or_else(|e| panic!("the scenario does not load: {e:#}\n{text}"))
}

fn new_version_requests(run: &RunRecord) -> u64 {
    run.requests[0].to_new
}

const PLAIN: &str = "{parallelism: 1}";

#[test]
fn blue_green_switches_once_green_serves_and_removes_blue_after_the_delay() {
    let r = run(&scenario("{blue_green: {scale_down_delay: 20s}}", "", PLAIN));
    let s = &r.strategies[0];
    assert_eq!(s.outcome.as_deref(), Some("completed"));
    let switched = s.phases.iter().find(|p| p.phase == "switched").expect("a switch").t;
    // Blue goes exactly the scale-down delay after the switch.
    let blue = r.services.iter().find(|x| x.name == "s_web").unwrap();
    assert_eq!(blue.removed_at.map(|t| t.since(switched)), Some(deploysim::time::SimDuration::from_secs(20)));
    assert_eq!(r.requests[0].failed(), 0, "a switch between serving services loses nothing");
    // The commands it ran are the ones a person would type, in order.
    let commands: Vec<&str> = r.actions.iter().map(|(_, c, _)| c.as_str()).filter(|c| c.starts_with('[')).collect();
    assert!(
        commands[0].starts_with("[blue_green] docker service create --name s_web-green --replicas 4"),
        "{commands:?}"
    );
    assert_eq!(
        commands[1],
        "[blue_green] docker service update --label-add deploysim.route=s_web --label-add deploysim.weight=100 s_web-green"
    );
    assert_eq!(commands[2], "[blue_green] docker service update --label-add deploysim.weight=0 s_web");
    assert_eq!(commands[3], "[blue_green] docker service rm s_web");
}

#[test]
fn blue_green_abandons_a_green_that_never_gets_healthy_before_any_request_reaches_it() {
    let r = run(&scenario("blue_green", ", health: never", PLAIN));
    let s = &r.strategies[0];
    assert_eq!(s.outcome.as_deref(), Some("aborted"), "{}", s.message);
    assert!(s.message.contains("green task failure"), "{}", s.message);
    assert!(!s.phases.iter().any(|p| p.phase == "switched"));
    assert_eq!(new_version_requests(&r), 0);
    assert_eq!(r.requests[0].failed(), 0);
    assert!(r.services.iter().any(|x| x.name == "s_web-green" && x.removed_at.is_some()));
}

#[test]
fn blue_green_switches_back_when_green_answers_with_errors() {
    let r = run(&scenario("{blue_green: {analysis: {interval: 5s}}}", ", errors: 50%", PLAIN));
    let s = &r.strategies[0];
    assert_eq!(s.outcome.as_deref(), Some("switched_back"), "{}", s.message);
    let switched = s.phases.iter().find(|p| p.phase == "switched").expect("a switch").t;
    // Every request went to green for exactly one analysis interval: 100 rps × 5 s.
    assert_eq!(s.ended_at.map(|t| t.since(switched)), Some(deploysim::time::SimDuration::from_secs(5)));
    assert_eq!((new_version_requests(&r), r.requests[0].new_failed), (500, 250));
}

#[test]
fn canary_aborts_at_its_first_task_failure() {
    let steps = "{canary: {routing: weights, replicas: 1, steps: [{weight: 20%, pause: 1m}]}}";
    let r = run(&scenario(steps, ", exit: {code: 1, after: 5s}", PLAIN));
    let s = &r.strategies[0];
    assert_eq!(s.outcome.as_deref(), Some("aborted"), "{}", s.message);
    assert!(s.message.contains("canary task failure"), "{}", s.message);
    // The stable service never changed.
    let stable = r.services.iter().find(|x| x.name == "s_web").unwrap();
    assert_eq!(stable.update.state, None);
}

#[test]
fn canary_promotion_fails_when_the_stable_update_rolls_back() {
    // The canary passes a 5 s step, but the new version crashes 20 s after it starts: the
    // stable service's own update (failure_action rollback, monitor 30 s) catches it.
    let steps = "{canary: {steps: [{weight: 20%, pause: 5s}]}}";
    let config = "{parallelism: 1, failure_action: rollback, monitor: 30s}";
    let r = run(&scenario(steps, ", exit: {code: 1, after: 20s}", config));
    let s = &r.strategies[0];
    assert_eq!(s.outcome.as_deref(), Some("promotion_failed"), "{}", s.message);
    let stable = r.services.iter().find(|x| x.name == "s_web").unwrap();
    assert_eq!(stable.update.state, Some(UpdateState::RollbackCompleted));
    assert!(r.services.iter().any(|x| x.name == "s_web-canary" && x.removed_at.is_some()));
}

#[test]
fn a_second_rollout_while_one_runs_is_refused() {
    let mut text = scenario("blue_green", "", PLAIN);
    text.push_str("    - at: 31s\n      run: docker service update --image app:2 s_web\n      strategy: blue_green\n");
    let r = run(&text);
    let refused = r.actions.iter().find(|(t, _, e)| t.0 == 31_000_000_000 && e.is_some()).expect("refused");
    assert!(refused.2.as_deref().unwrap().contains("a blue_green rollout of s_web is in progress"), "{refused:?}");
    assert_eq!(r.strategies.len(), 1);
}

fn strategies_scenario(name: &str) -> std::path::PathBuf {
    common::scenarios_dir().join("strategies").join(format!("{name}.yml"))
}

#[test]
fn the_comparison_measures_every_run_to_one_end_and_agrees_with_each_run() {
    let path = strategies_scenario("bad-rolling");
    let scenario = deploysim::scenario::load(&path).unwrap();
    let index = comparison::rollout_index(&scenario).unwrap();
    let list = comparison::strategies(&scenario);
    assert_eq!(list.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["rolling", "blue_green", "canary"]);
    let runs = run_seed(&scenario, index, &list, 1);
    assert!(runs.windows(2).all(|w| w[0].end_time == w[1].end_time), "one common end");
    // Each strategy's row agrees with its own scenario run on what the end does not change.
    for ((name, _), compared) in list.iter().zip(&runs) {
        let file = match name.as_str() {
            "rolling" => "bad-rolling",
            "blue_green" => "bad-blue-green",
            _ => "bad-canary",
        };
        let own = simulate_file(&strategies_scenario(file), None).unwrap();
        let start = scenario.timeline[index].at;
        let (a, b) = (comparison::Row::of_run(compared, start), comparison::Row::of_run(&own, start));
        assert_eq!(
            (&a.outcome, a.peak_extra_tasks, a.mixed, a.time_to_recover),
            (&b.outcome, b.peak_extra_tasks, b.mixed, b.time_to_recover),
            "{name}"
        );
    }
    // The classic results: blue-green doubles the service, exposes every user for one analysis
    // interval; canary exposes a tenth of them; rolling mixes versions and never stops the bad one.
    let start = scenario.timeline[index].at;
    let rows: Vec<_> = runs.iter().map(|r| comparison::Row::of_run(r, start)).collect();
    let (rolling, blue_green, canary) = (&rows[0], &rows[1], &rows[2]);
    assert_eq!(blue_green.peak_extra_tasks, 10);
    assert!(
        rolling.peak_extra_tasks < canary.peak_extra_tasks && canary.peak_extra_tasks < blue_green.peak_extra_tasks
    );
    assert_eq!(blue_green.requests_to_new, Some(2_000));
    assert_eq!(canary.requests_to_new, Some(200));
    assert!(
        rolling.requests_to_new > blue_green.requests_to_new && blue_green.requests_to_new > canary.requests_to_new
    );
    assert!(rolling.time_to_recover.is_none() && rolling.outcome == "completed");
    assert!(rolling.mixed > canary.mixed && blue_green.mixed.as_nanos() == 0);
}

fn cli(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).current_dir(dir).args(args).output().expect("the binary runs")
}

#[test]
fn compare_strategies_writes_the_same_bytes_twice_and_refuses_a_scenario_without_a_rollout() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = strategies_scenario("good-rolling").display().to_string();
    for out in ["a", "b"] {
        let o = cli(tmp.path(), &["compare-strategies", &scenario, "--out", out, "--quiet"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let mut names: Vec<String> = std::fs::read_dir(tmp.path().join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let want = [
        "blue_green.png",
        "blue_green.svg",
        "canary.png",
        "canary.svg",
        "rolling.png",
        "rolling.svg",
        "strategies.csv",
    ];
    assert_eq!(names, want);
    for name in &names {
        assert_eq!(
            std::fs::read(tmp.path().join("a").join(name)).unwrap(),
            std::fs::read(tmp.path().join("b").join(name)).unwrap(),
            "{name}"
        );
    }
    let o = cli(tmp.path(), &["compare-strategies", &scenario, "--seeds", "3", "--out", "c"]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(text.contains("seeds 1..=3 (means)") && text.contains("completed 3/3"), "{text}");

    let plain = tmp.path().join("plain.yml");
    std::fs::write(&plain, "services:\n  web:\n    image: app:1\n").unwrap();
    let o = cli(tmp.path(), &["compare-strategies", "plain.yml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no rollout to compare"));
}

#[test]
fn a_refused_command_ends_the_rollout_instead_of_leaving_it_waiting() {
    // The update adds a secret that does not exist: green cannot be created.
    let text = scenario("blue_green", "", PLAIN).replace(
        "run: docker service update --image app:2 s_web",
        "run: docker service update --image app:2 --secret-add missing s_web",
    );
    let r = run(&text);
    let s = &r.strategies[0];
    assert_eq!(s.outcome.as_deref(), Some("aborted"));
    assert!(s.message.contains("refused by Swarm: secret not found: missing"), "{}", s.message);
    // Swarm answers the command after the CLI's round trip (40 ms), and the rollout ends then.
    assert_eq!(s.ended_at.map(|t| t.0), Some(30_040_000_000), "it ends with the refusal");

    // The stable service is removed by hand during the canary: the promotion is refused.
    let mut text = scenario("{canary: {steps: [{weight: 20%, pause: 10s}]}}", "", PLAIN);
    text.push_str("    - at: 35s\n      run: docker service rm s_web\n");
    let r = run(&text);
    let s = &r.strategies[0];
    assert_eq!(s.outcome.as_deref(), Some("promotion_failed"), "{}", s.message);
    assert!(r.services.iter().any(|x| x.name == "s_web-canary" && x.removed_at.is_some()), "the canary is removed");
}

#[test]
fn a_second_blue_green_round_alternates_colours_and_loses_no_request() {
    let mut text = scenario("{blue_green: {scale_down_delay: 10s}}", "", PLAIN);
    text = text.replace("    app:2: {", "    app:3: {cached: true, start: 500ms}\n    app:2: {");
    text.push_str("    - at: 2m\n      run: docker service update --image app:3 s_web-green\n      strategy: {blue_green: {scale_down_delay: 10s}}\n");
    let r = run(&text);
    let outcomes: Vec<(&str, Option<&str>)> =
        r.strategies.iter().map(|s| (s.new_service.as_str(), s.outcome.as_deref())).collect();
    assert_eq!(outcomes, [("s_web-green", Some("completed")), ("s_web-blue", Some("completed"))]);
    assert_eq!(r.requests[0].failed(), 0);
    // Before its switch, the new blue answered nothing: only app:3 is new, and it answered
    // only after the second switch.
    let second_switch = r.strategies[1].phases.iter().find(|p| p.phase == "switched").unwrap().t;
    let first_app3 = r.serving.iter().filter(|s| r.name(s.image) == "app:3").map(|s| s.start).min().unwrap();
    assert!(first_app3 < second_switch, "green was serving (unrouted) before the switch");
    // 100 requests a second reach the new colour from the switch to the run's end: an expected
    // value (`traffic.rs`: counts are exact, then rounded to whole requests).
    assert_eq!(r.requests[0].to_new, (r.end_time.since(second_switch).as_nanos() + 5_000_000) / 10_000_000);
}

#[test]
fn a_rollout_that_never_starts_is_a_row_not_a_crash() {
    let text = scenario("blue_green", "", PLAIN).replace("until: 10m", "until: 20s");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.yml");
    std::fs::write(&path, text).unwrap();
    let scenario = deploysim::scenario::load(&path).unwrap();
    let index = comparison::rollout_index(&scenario).unwrap();
    let runs = run_seed(&scenario, index, &comparison::strategies(&scenario), 1);
    for r in &runs {
        let row = comparison::Row::of_run(r, scenario.timeline[index].at);
        assert_eq!(row.outcome, "not_started");
    }
}

//! Unit tests of `x-simulation.expect`: parsing and its diagnostics, every assertion kind on a
//! real run (passing and failing, with the message), the Wilson interval, JUnit XML.

use std::path::Path;

use crate::commands::simulate::{SimulateOptions, simulate};
use crate::commands::test::check_scenario;
use crate::expect::eval::{Evidence, check};
use crate::expect::results::{self, AssertionResult, ScenarioResult, Status};
use crate::model::expect::{Expectation, Kind, Op};
use crate::model::scenario::Scenario;

/// A one-service stack (`t_web`, 4 replicas) whose update to a never-healthy image rolls back
/// after the first batch of 2.
fn stack(expect: &str) -> String {
    format!(
        "services:
  web:
    image: app:1
    deploy:
      replicas: 4
      update_config: {{parallelism: 2, delay: 5s, failure_action: rollback, monitor: 10s}}
    healthcheck: {{test: [CMD, true], interval: 1s, timeout: 1s, retries: 2}}
x-simulation:
  stack: t
  until: 5m
  images:
    app:1: {{pull: 1s, start: 100ms}}
    app:2: {{pull: 1s, start: 100ms, health: never}}
  timeline:
    - at: 30s
      run: docker service update --image app:2 t_web
  expect:
{expect}"
    )
}

fn load(expect: &str) -> Scenario {
    crate::scenario::load_str(&stack(expect), Path::new("t.yml")).expect("valid scenario")
}

fn errors(expect: &str) -> String {
    crate::scenario::load_str(&stack(expect), Path::new("t.yml")).expect_err("invalid").to_string()
}

/// The outcomes of every plain check in `expect`, on one run.
fn outcomes(expect: &str) -> Vec<(bool, String, String)> {
    let scenario = load(expect);
    let run = simulate(scenario.clone(), None, &SimulateOptions::default());
    let ev = Evidence::new(&run);
    scenario
        .expect
        .iter()
        .map(|e| match e {
            Expectation::Once(c) => {
                let o = check(c, &ev);
                (o.passed, o.expected, o.actual)
            }
            Expectation::OverSeeds(_) => panic!("plain checks only"),
        })
        .collect()
}

#[test]
fn parses_every_form() {
    let s = load(
        "    - update_state: rollback_completed
      service: web
    - {update_duration: \"60s..90s\", min_serving: \">= 2\"}
    - min_serving_ratio: \">= 50%\"
    - seconds_below_desired: \"<= 15s\"
    - tasks_replaced_before_stop: 2
    - rollback_started_before: 1m
    - summary: {path: services.t_web.update.failures, is: \"<= 1\"}
    - over_seeds: 5
      at_least: 80%
      confidence: 95%
      expect: [{update_state: rollback_completed}]
",
    );
    assert_eq!(s.expect.len(), 9);
    let Expectation::Once(first) = &s.expect[0] else { panic!() };
    assert_eq!(first.service, "t_web");
    assert_eq!(first.origin, "x-simulation.expect[0].update_state");
    let Expectation::Once(range) = &s.expect[1] else { panic!() };
    assert!(matches!(&range.kind, Kind::UpdateDuration(b) if b.op == Op::Range(60.0, 90.0)));
    let Expectation::Once(ratio) = &s.expect[3] else { panic!() };
    assert!(matches!(&ratio.kind, Kind::MinServingRatio(b) if b.op == Op::Ge(0.5)));
    let Expectation::Once(bare) = &s.expect[5] else { panic!() };
    assert!(matches!(&bare.kind, Kind::TasksReplacedBeforeStop(b) if b.op == Op::Eq(2.0)));
    let Expectation::OverSeeds(st) = &s.expect[8] else { panic!() };
    assert_eq!((st.runs, st.at_least, st.confidence, st.checks.len()), (5, 0.8, Some(0.95), 1));
}

#[test]
fn diagnostics_name_the_line_and_suggest() {
    let text = errors(
        "    - update_stat: completed
    - min_serving: \"=> 2\"
    - service: webb
      update_state: complete
    - failed_requests: \"== 0\"
    - update_duration: 90
",
    );
    assert!(text.contains("x-simulation.expect[0] Additional property update_stat is not allowed"), "{text}");
    assert!(text.contains("--> t.yml:18:7") && text.contains("hint: did you mean update_state?"), "{text}");
    assert!(text.contains("unknown operator =>") && text.contains("did you mean \">=\"?"), "{text}");
    assert!(text.contains("no such service: webb") && text.contains("did you mean \"web\"?"), "{text}");
    assert!(text.contains("did you mean \"completed\"?"), "{text}");
    assert!(text.contains("failed_requests needs traffic for t_web"), "{text}");
    assert!(text.contains("update_duration must be a comparison") && text.contains("durations need a unit"), "{text}");
}

#[test]
fn every_kind_on_a_rollback() {
    let got = outcomes(
        "    - update_state: rollback_completed
    - update_duration: \"< 60s\"
    - min_serving: \">= 2\"
    - min_serving_ratio: \">= 0.5\"
    - seconds_below_desired: \"< 1m\"
    - seconds_none_serving: \"== 0s\"
    - tasks_replaced_before_stop: \"== 2\"
    - rollback_started_before: 1m
    - summary: {path: services.t_web.update.state, is: rollback_completed}
    - summary: {path: services.t_web.desired_replicas, is: 4}
    - summary: {path: actions.0.error, is: null}
",
    );
    for (passed, expected, actual) in &got {
        assert!(passed, "{expected}: {actual}");
    }
}

#[test]
fn failures_say_expected_and_actual() {
    let got = outcomes(
        "    - update_state: completed
    - rollback_started_before: 10s
    - min_serving: \"> 4\"
    - summary: {path: services.t_web.nope, is: 1}
",
    );
    assert_eq!(got[0], (false, "update_state completed".into(), "rollback_completed".into()));
    assert!(!got[1].0 && got[1].1 == "rollback_started_before 10s", "{:?}", got[1]);
    assert!(got[1].2.starts_with("rollback started at "), "{:?}", got[1]);
    assert_eq!(got[2], (false, "min_serving > 4".into(), "2".into()));
    assert_eq!(got[3], (false, "summary services.t_web.nope == 1".into(), "absent".into()));
}

#[test]
fn scenario_results_and_reproduce_command() {
    let scenario = load(
        "    - update_state: completed
    - over_seeds: 3
      at_least: 100%
      expect: {update_state: rollback_completed}
",
    );
    let results = check_scenario(&scenario);
    assert!(!results[0].outcome.passed && results[0].seed == 1);
    let rate = results[1].rate.as_ref().expect("a rate");
    assert!(results[1].outcome.passed && (rate.successes, rate.runs) == (3, 3), "{results:?}");
    let text = results::failure_text("my dir/t.yml", &results[0]);
    assert!(text.contains("expected: update_state completed"), "{text}");
    assert!(text.contains("actual:   rollback_completed (t_web, seed 1)"), "{text}");
    assert!(text.contains("reproduce: deploysim run 'my dir/t.yml' --seed 1"), "{text}");
}

#[test]
fn bounds_compare_at_report_precision() {
    let s = load("    - min_serving_ratio: \"== 0.5\"\n    - update_duration: \"!= 1s\"\n");
    let Expectation::Once(c) = &s.expect[0] else { panic!() };
    let Kind::MinServingRatio(b) = &c.kind else { panic!() };
    assert!(b.holds(0.5000) && !b.holds(0.5001));
    assert_eq!(results::percent(0.99), "99%");
    assert_eq!(results::percent(0.9642), "96.42%");
}

fn result(path: &str, status: Status, assertions: Vec<AssertionResult>) -> ScenarioResult {
    ScenarioResult { path: path.into(), status, assertions, millis: 7 }
}

fn assertion(origin: &str, passed: bool) -> AssertionResult {
    let outcome = crate::expect::eval::Outcome { passed, expected: "min_serving >= 8".into(), actual: "6 <&>".into() };
    AssertionResult { origin: origin.into(), service: "web_web".into(), outcome, seed: 17, rate: None }
}

#[test]
fn junit_shape_and_escaping() {
    let results = vec![
        result("a.yml", Status::Pass, vec![assertion("x-simulation.expect[0].min_serving", true)]),
        result("b&c.yml", Status::Fail, vec![assertion("x-simulation.expect[0].min_serving", false)]),
        result("d.yml", Status::Invalid("invalid scenario d.yml: \"bad\"".into()), vec![]),
        result("e.yml", Status::Skipped, vec![]),
    ];
    let xml = crate::expect::junit::render(&results);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"deploysim test\" tests=\"3\" failures=\"1\" errors=\"1\">\n"), "{xml}");
    assert!(xml.contains("<testsuite name=\"a.yml\" tests=\"1\" failures=\"0\" errors=\"0\">\n    <testcase classname=\"a.yml\" name=\"x-simulation.expect[0].min_serving\"/>"), "{xml}");
    assert!(xml.contains("<testsuite name=\"b&amp;c.yml\" tests=\"1\" failures=\"1\""), "{xml}");
    assert!(xml.contains("<failure message=\"expected min_serving &gt;= 8, got 6 &lt;&amp;&gt;\">"), "{xml}");
    assert!(xml.contains("reproduce: deploysim run &apos;b&amp;c.yml&apos; --seed 17</failure>"), "{xml}");
    assert!(
        xml.contains("<error message=\"invalid scenario\">invalid scenario d.yml: &quot;bad&quot;</error>"),
        "{xml}"
    );
    assert!(!xml.contains("e.yml") && !xml.contains("time="), "{xml}");
    assert_eq!(xml.matches("<testsuite ").count(), xml.matches("</testsuite>").count());
    assert_eq!(results::exit_code(&results), 2);
    assert_eq!(results::exit_code(&results[..2]), 1);
    assert_eq!(results::exit_code(&results[..1]), 0);
    assert_eq!(results::exit_code(&results[3..]), 2);
}

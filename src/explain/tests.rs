use super::*;
use crate::model::decision::{Decision, DecisionKind, FailureOutcome, Verdict};
use crate::model::record::EventView;
use crate::model::task::TaskState;
use crate::report::fixtures::{empty_run, task_event};

/// A run whose task `abc123` (slot 3) failed with exit 1 at 12 s, before RUNNING, and whose
/// updater counted it: 1 of 5 dirty slots against `max_ratio`.
fn judged(max_ratio: f32, outcome: FailureOutcome) -> (Scenario, RunRecord) {
    let mut run = empty_run();
    let created = task_event(10_000_000_000, TaskState::Running, TaskState::New, "created");
    run.push_event(created);
    let starting = task_event(11_000_000_000, TaskState::Running, TaskState::Starting, "starting");
    run.push_event(starting);
    let failed: EventView<'_> =
        task_event(12_000_000_000, TaskState::Running, TaskState::Failed, "task: non-zero exit (1)");
    run.push_event(failed);
    let (service, task) = (run.intern("web_web"), run.intern("abc123"));
    run.decisions.push(Decision {
        t: SimTime(12_040_000_000),
        service,
        what: DecisionKind::FailureJudged {
            run: 0,
            task,
            state: TaskState::Failed,
            verdict: Verdict::Counted,
            failures: 1,
            dirty: 5,
            max_ratio,
            outcome,
        },
    });
    let scenario = crate::scenario::load_str(
        "services: {web: {image: web:2}}\nx-simulation: {stack: web, cluster: {nodes: 1}}\n",
        std::path::Path::new("t.yml"),
    )
    .expect("scenario");
    (scenario, run)
}

#[test]
fn a_counted_failure_shows_swarms_ratio_arithmetic_and_its_exit() {
    let (scenario, run) = judged(0.0, FailureOutcome::Pause);
    let said = explain(&scenario, &run, None);
    let pause = said.iter().find(|e| e.kind == "pause").expect("a pause sentence");
    assert_eq!(pause.t_ms, 12_040);
    assert!(pause.text.contains("1/5 = 0.200 > max_failure_ratio 0"), "{}", pause.text);
    assert!(pause.text.contains("never reached RUNNING"), "{}", pause.text);
    assert!(pause.text.contains("task: non-zero exit (1)"), "{}", pause.text);
    assert!(pause.rule.contains("failureTriggersAction"));
}

#[test]
fn a_failure_within_the_ratio_says_the_update_goes_on() {
    let (scenario, run) = judged(0.2, FailureOutcome::BelowRatio);
    let said = explain(&scenario, &run, None);
    let failure = said.iter().find(|e| e.kind == "failure").expect("a failure sentence");
    assert!(failure.text.contains("1/5 = 0.200 ≤ max_failure_ratio 0.2: the update goes on"), "{}", failure.text);
}

#[test]
fn filter_keeps_one_service_and_the_past() {
    let (scenario, run) = judged(0.0, FailureOutcome::Pause);
    let said = explain(&scenario, &run, Some("A lesson\nover two lines."));
    assert_eq!(said[0].text, "A lesson over two lines.");
    let before = filter(said.clone(), &scenario, Some("web"), Some(SimTime(12_000_000_000)));
    assert!(before.iter().all(|e| e.t_ms <= 12_000));
    assert!(!before.iter().any(|e| e.kind == "pause"));
    let other = filter(said, &scenario, Some("db"), None);
    assert!(other.iter().all(|e| e.service.is_empty()), "{other:?}");
}

#[test]
fn text_and_json_carry_every_sentence() {
    let (scenario, run) = judged(0.0, FailureOutcome::Pause);
    let said = explain(&scenario, &run, None);
    let text = text(&said);
    assert_eq!(text.matches("rule: ").count(), said.len());
    let parsed: serde_json::Value = serde_json::from_str(&json(&said)).expect("json");
    assert_eq!(parsed.as_array().map(Vec::len), Some(said.len()));
    assert_eq!(parsed[0]["t_ms"], said[0].t_ms);
}

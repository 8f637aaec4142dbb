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

#[test]
fn a_release_says_how_the_old_task_stopped_and_a_task_shut_down_meanwhile_does_not_start() {
    // s44 (recorded): a READY task, held for its old task that ignores SIGTERM, is shut down by
    // a newer update; its own stop releases the newest task, and the old task's later stop
    // releases nothing (`StartNow` leaves a task told to shut down alone).
    let path = std::path::Path::new("scenarios/fidelity/s44-ready-task-shutdown-stack.yml");
    let scenario = crate::scenario::load(path).expect("the bundled scenario loads");
    let said = crate::commands::explain::explanations(&scenario, Some(1), None, 0);
    let waits: Vec<&Explanation> = said.iter().filter(|e| e.kind == "wait").collect();
    let no_container = waits.iter().find(|e| e.text.contains("may start") && e.text.contains("no container yet"));
    let no_container = no_container.expect("the READY task's stop releases the newest task");
    assert!(!no_container.text.contains("SIGTERM"), "{}", no_container.text);
    let over = waits.iter().find(|e| e.text.contains("wait is over")).expect("the old task's stop is explained");
    // The old task ignores SIGTERM: its stop is told step by step, as the run took it.
    let term = over.text.split("— SIGTERM ").nth(1).and_then(|rest| rest.split('s').next());
    let term: f64 = term.and_then(|t| t.parse().ok()).expect("the SIGTERM's delay is given");
    // A stack task: the order's assignments batch (0.1 s), the agent's retry (1 s), the gossip
    // wait (2 s), each step a few milliseconds more.
    assert!((3.1..3.3).contains(&term), "{term}: {}", over.text);
    assert!(over.text.contains("SIGKILL 10.000s after it (stop_grace_period 10s)"), "{}", over.text);
    assert!(over.text.contains("nothing starts"), "{}", over.text);
    assert!(over.rule.contains("StartNow"), "{}", over.rule);
    // The task whose wait is over is the one released before: never said to start twice.
    let released_later = over.text.split_whitespace().nth(1).expect("a task id").trim_end_matches("'s");
    assert!(
        !waits.iter().any(|e| e.text.starts_with(&format!("Task {released_later} may start"))),
        "a task told to shut down is never said to start: {waits:?}"
    );
}

#[test]
fn a_task_released_while_it_prepares_is_said_to_wait_for_the_agents_retry() {
    // s42b (recorded): a stop-first task is released (desired RUNNING) while its image still
    // pulls; READY comes about a second after the release, not when the pull ends.
    let path = std::path::Path::new("scenarios/fidelity/s42b-short-pull-then-stop-first.yml");
    let scenario = crate::scenario::load(path).expect("the bundled scenario loads");
    let said = crate::commands::explain::explanations(&scenario, Some(1), None, 0);
    let running = said.iter().find(|e| e.text.contains("is RUNNING at")).expect("the new task runs");
    assert!(running.text.contains("while it prepared"), "{}", running.text);
    assert!(running.text.contains("runs it again a second later"), "{}", running.text);
    assert!(running.text.contains("READY → STARTING"), "{}", running.text);
    assert!(!running.text.contains("held READY"), "released before READY, so never held: {}", running.text);
    // A start-first task is released as it is created, before it prepares: no such clause.
    let path = std::path::Path::new("scenarios/lessons/health-gating.yml");
    let scenario = crate::scenario::load(path).expect("the bundled lesson loads");
    let said = crate::commands::explain::explanations(&scenario, Some(1), None, 0);
    let running: Vec<&Explanation> = said.iter().filter(|e| e.text.contains("is RUNNING at")).collect();
    assert!(!running.is_empty());
    for e in running {
        assert!(!e.text.contains("while it prepared"), "{}", e.text);
    }
}

//! Unit tests of `ps` on hand-built records: the reaper's deletions, the table's
//! layout, UpdateStatus JSON and the trace format.

use crate::model::record::{EventView, ProcessChange, ProcessEvent, RunRecord, StatusChange, UpdateState};
use crate::model::task::TaskState::{self, *};
use crate::ps::replay::{TaskRow, tasks_at};
use crate::ps::{service, table, trace_lines};
use crate::report::fixtures::{S, empty_run, service as service_record, task_event};
use crate::time::SimTime;

/// An event of task `id` in slot `slot` of `web_web` at `t` seconds.
fn ev<'a>(t: u64, id: &'a str, slot: u64, desired: TaskState, state: TaskState, message: &'a str) -> EventView<'a> {
    EventView { task_id: id, slot, ..task_event(t * S, desired, state, message) }
}

/// A slot that crash-loops: task `n` starts at 10n s and fails 5 s later; the next is created then.
fn crash_loop(tasks: u64) -> RunRecord {
    let mut run = empty_run();
    for n in 0..tasks {
        let id = format!("task{n:021}");
        let t = 10 * n;
        run.push_event(ev(t, &id, 3, Running, New, "created"));
        run.push_event(ev(t + 1, &id, 3, Running, Running, "started"));
        run.push_event(ev(t + 5, &id, 3, Running, Failed, "task: non-zero exit (1)"));
        run.push_event(ev(t + 6, &id, 3, Shutdown, Failed, "task: non-zero exit (1)"));
    }
    run
}

fn ids_at(run: &RunRecord, t: u64) -> Vec<String> {
    let mut ids: Vec<String> = tasks_at(run, SimTime(t * S)).iter().map(|r| r.id.to_string()).collect();
    ids.sort();
    ids
}

/// Logs that the task reaper deleted task `n` of [`crash_loop`] at `t` seconds.
fn delete(run: &mut RunRecord, n: u64, t: u64) {
    let task_id = run.intern(&format!("task{n:021}"));
    run.process_events.push(ProcessEvent { t: SimTime(t * S), task_id, change: ProcessChange::Deleted });
}

#[test]
fn a_task_the_reaper_deleted_is_listed_until_that_instant_and_never_again() {
    // The store the replay rebuilds is the simulated manager's: a task is gone from the instant
    // its deletion was logged, even if a row for it comes later (which the world never writes,
    // but a replay must not bring a deleted task back).
    let mut run = crash_loop(8);
    delete(&mut run, 0, 50);
    delete(&mut run, 1, 60);
    assert_eq!(ids_at(&run, 49).len(), 5);
    let at_50 = ids_at(&run, 50);
    assert_eq!(at_50.len(), 5, "{at_50:?}");
    assert!(!at_50.contains(&"task000000000000000000000".to_string()));
    assert!(at_50.contains(&"task000000000000000000005".to_string()));
    assert_eq!(ids_at(&run, 200).len(), 6, "two of eight deleted");
    run.push_event(ev(300, "task000000000000000000000", 3, Shutdown, Failed, "late"));
    assert!(!ids_at(&run, 300).contains(&"task000000000000000000000".to_string()));
}

#[test]
fn the_table_shows_history_rows_newest_first_under_the_current_task() {
    let run = crash_loop(3);
    let rows = tasks_at(&run, SimTime(23 * S));
    let text = table::render(&rows, SimTime(23 * S), true);
    let lines: Vec<&str> = text.lines().collect();
    let header = format!(
        "{:15}{:16}{:10}{:10}{:16}{:24}{:28}PORTS",
        "ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR"
    );
    assert_eq!(lines[0], header);
    // Current first, then older tasks of the slot, newest first; empty ERROR cells are padded.
    assert_eq!(
        lines[1],
        format!(
            "{:15}{:16}{:10}{:10}{:16}{:24}{:28}",
            "task00000000", "web_web.3", "web:2", "node-1", "Running", "Running 2 seconds ago", ""
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "{:15}{:16}{:10}{:10}{:16}{:24}{:28}",
            "task00000000",
            " \\_ web_web.3",
            "web:2",
            "node-1",
            "Shutdown",
            "Failed 8 seconds ago",
            "\"task: non-zero exit (1)\""
        )
    );
    assert!(lines[3].contains("Failed 18 seconds ago"), "{text}");
    assert_eq!(lines.len(), 4);
}

#[test]
fn current_state_says_less_than_a_second_at_the_instant_of_a_change() {
    let run = crash_loop(1);
    let rows = tasks_at(&run, SimTime(S));
    assert!(table::render(&rows, SimTime(S), true).contains("Running less than a second ago"));
}

#[test]
fn slots_sort_naturally_and_global_tasks_are_named_by_node_id() {
    let mut run = empty_run();
    run.push_event(ev(0, "a0000000000000000000000aa", 10, Running, New, "created"));
    run.push_event(ev(0, "b0000000000000000000000bb", 2, Running, New, "created"));
    let rows = tasks_at(&run, SimTime(0));
    let text = table::render(&rows, SimTime(0), false);
    let slot2 = text.find("web_web.2").unwrap();
    let slot10 = text.find("web_web.10").unwrap();
    assert!(slot2 < slot10, "{text}");
    // --no-trunc prints the whole id.
    assert!(text.contains("a0000000000000000000000aa"), "{text}");
    let global = TaskRow { slot: 0, ..rows[0].clone() };
    assert_eq!(table::task_name(&global), format!("web_web.{}", crate::ps::docker_fmt::pseudo_id("node-1")));
}

fn with_status(changes: &[(u64, UpdateState, &str)]) -> RunRecord {
    let mut run = empty_run();
    let mut svc = service_record("web_web", 10);
    svc.status_changes = changes
        .iter()
        .map(|(t, state, m)| StatusChange { t: SimTime(t * S), state: *state, message: m.to_string() })
        .collect();
    run.services.push(svc);
    run
}

#[test]
fn update_status_follows_docker_field_order_and_omitempty() {
    let run = with_status(&[
        (60, UpdateState::Updating, "update in progress"),
        (135, UpdateState::Completed, "update completed"),
    ]);
    assert_eq!(service::update_status_json(&run, "web_web", SimTime(10 * S)), "null");
    assert_eq!(
        service::update_status_json(&run, "web_web", SimTime(61 * S)),
        r#"{"State":"updating","StartedAt":"+60.000s","Message":"update in progress"}"#
    );
    assert_eq!(
        service::update_status_json(&run, "web_web", SimTime(200 * S)),
        r#"{"State":"completed","StartedAt":"+60.000s","CompletedAt":"+135.000s","Message":"update completed"}"#
    );
}

#[test]
fn a_rollback_restarts_the_clock() {
    let run = with_status(&[
        (60, UpdateState::Updating, "update in progress"),
        (70, UpdateState::RollbackStarted, "update rolled back due to failure or early termination of task x"),
    ]);
    let json = service::update_status_json(&run, "web_web", SimTime(80 * S));
    assert!(json.starts_with(r#"{"State":"rollback_started","StartedAt":"+70.000s","Message":"#), "{json}");
}

#[test]
fn trace_lines_have_the_documented_format() {
    let mut run = with_status(&[(60, UpdateState::Updating, "update in progress")]);
    run.actions.push((SimTime(60 * S), "docker service update --image web:3 web_web".into(), None));
    let id = "exi02jvvwf563mw7b0696cq5q";
    run.push_event(ev(60, id, 3, Ready, New, "created"));
    run.push_event(ev(61, id, 3, Ready, Ready, "prepared"));
    run.push_event(ev(62, id, 3, Running, Ready, "prepared"));
    run.push_event(ev(63, id, 3, Running, Starting, "starting"));
    run.push_event(ev(66, id, 3, Shutdown, Failed, "task: non-zero exit (1)"));
    assert_eq!(
        trace_lines(&run),
        vec![
            "  60.000 $ docker service update --image web:3 web_web",
            "  60.000 web_web update: none -> updating \"update in progress\"",
            "  60.000 web_web.3 t=exi02jvvwf56 created (desired ready)",
            "  61.000 web_web.3 t=exi02jvvwf56 new -> ready",
            "  62.000 web_web.3 t=exi02jvvwf56 desired ready -> running",
            "  63.000 web_web.3 t=exi02jvvwf56 ready -> starting",
            "  66.000 web_web.3 t=exi02jvvwf56 starting -> failed \"task: non-zero exit (1)\"; desired running -> shutdown",
        ]
    );
}

#[test]
fn canonical_names_give_one_name_to_each_text_task_ids_included() {
    use crate::model::record::{Name, Names};
    use crate::model::task::TaskId;
    use std::sync::Arc;
    let canonical = |names: &Names, of: &[Name]| {
        let mut run = empty_run();
        run.names = names.clone();
        let canonical = crate::ps::replay::canonical_names(&run);
        of.iter().map(|&n| canonical[n]).collect::<Vec<_>>()
    };
    // Task ids by task (a task named twice has one name), shared strings by text.
    let mut names = Names::default();
    let web = names.push(Arc::from("web_web"));
    let t7 = names.push_task_id(TaskId(7));
    let t2 = names.push_task_id(TaskId(2));
    let web_again = names.push(Arc::from("web_web"));
    let t7_again = names.push_task_id(TaskId(7));
    assert_eq!(canonical(&names, &[web, t7, t2, web_again, t7_again]), [web, t7, t2, web, t7]);
    // A shared string that spells a task's id is that task's name too.
    let mut names = Names::default();
    let t7 = names.push_task_id(TaskId(7));
    let s7 = names.push(Arc::from(TaskId(7).docker_id()));
    let s3 = names.push(Arc::from(TaskId(3).docker_id()));
    let t3 = names.push_task_id(TaskId(3));
    let got = canonical(&names, &[t7, s7, s3, t3]);
    assert_eq!(got[0], got[1], "task 7's id and the string spelling it are one key");
    assert_eq!(got[2], got[3], "task 3's id and the string spelling it are one key");
    assert_ne!(got[0], got[2]);
}

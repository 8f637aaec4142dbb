//! `deploysim run --trace`: one line per timeline action, UpdateStatus change and task event,
//! in time order, so a rollout reads top to bottom in a CI log.
//!
//! # Format
//!
//! Every line is `{time} {subject} {change}`, where `time` is seconds since the scenario start
//! with milliseconds, right-aligned in 8 columns (`  30.050`). Lines of one instant come in the
//! order actions, rollout phases, node changes, UpdateStatus changes, task events, signals and
//! exits (each group in record order).
//!
//! | event | line |
//! |---|---|
//! | timeline action | `  60.000 $ docker service update --image nginx:1.14-alpine web_web` (`  (refused: …)` appended when Docker would refuse it) |
//! | blue-green or canary phase | `  71.938 web_web blue_green: switched "the router sends every request to green; …"` (a controller's own commands are actions marked `[blue_green]` or `[canary]`) |
//! | rollout end | `  81.938 web_web blue_green: switched_back "switched back to blue: …"` |
//! | UpdateStatus change | `  60.000 web_web update: none -> updating "update in progress"` (`none` before the first, and after a spec update that asked for no new task: `web_web update: completed -> none`, with no message) |
//! | task created | `  60.000 web_web.1 t=4nag6qn3f23 created (desired ready)` |
//! | observed state change | `  61.380 web_web.1 t=4nag6qn3f23 ready -> starting` |
//! | desired state change | `  60.050 web_web.1 t=exi02jvvwf56 desired running -> shutdown` |
//! | both in one record | `  66.200 web_web.1 t=4nag6qn3f23 starting -> failed "task: non-zero exit (1)"; desired running -> shutdown` |
//! | message only | `  12.000 web_web.4 t=5ooqnsqxe6qw pending "no suitable node (…)"` |
//! | node state change | `  41.800 node worker-1: ready -> down "heartbeat failure"` |
//! | node availability change | `  30.000 node worker-1: availability active -> drain` |
//! | node removed | `  50.000 node worker-1: removed` |
//! | signal sent | `  62.370 web_web.1 t=4nag6qn3f23 SIGTERM` (`SIGKILL` when the grace period ran out) |
//! | process exit | `  62.600 web_web.1 t=4nag6qn3f23 exited (0)` (the exit status; 137 after SIGKILL) |
//!
//! The subject of a task line is `service.slot` (a global service's task: `service.node`) and the
//! task id cut to Docker's 12 characters. A task's message is appended, quoted, only when it
//! changed and is not the state's routine one (`created`, `pending task scheduling`,
//! `scheduler assigned task to node`, `accepted`, `preparing`, `prepared`, `starting`,
//! `started`, `finished`, `shutdown`): errors and scheduling failures show, routine words do not.
//!
//! A node's declared state at 0 s is no change and has no line (`nodes.csv` has it). A signal
//! is the daemon's (the agent's stop: SIGTERM, then SIGKILL when the stop's grace period ran
//! out); a `docker kill` shows as its action and the exit that follows.

use std::collections::BTreeMap;

use crate::model::record::{EventView, Name, NodeEvent, ProcessChange, RunRecord, UpdateState};
use crate::model::task::TaskState;
use crate::ps::docker_fmt::truncate_id;
use crate::time::SimTime;

/// The trace of a run, one line per event (each ending in `\n`).
pub fn trace(record: &RunRecord) -> String {
    trace_lines(record).into_iter().map(|l| l + "\n").collect()
}

/// The trace lines of a run (see the module documentation for the format).
pub fn trace_lines(record: &RunRecord) -> Vec<String> {
    let mut lines: Vec<(SimTime, u8, String)> = Vec::new();
    for (t, text, refused) in &record.actions {
        lines.push((*t, 0, action_line(*t, text, refused.as_deref())));
    }
    for s in &record.strategies {
        for p in &s.phases {
            lines.push((
                p.t,
                1,
                format!("{} {} {}: {} {}", time(p.t), s.service, s.strategy, p.phase, quote(&p.message)),
            ));
        }
        if let (Some(outcome), Some(t)) = (&s.outcome, s.ended_at) {
            lines.push((t, 1, format!("{} {} {}: {outcome} {}", time(t), s.service, s.strategy, quote(&s.message))));
        }
    }
    let mut node_before: BTreeMap<&str, &NodeEvent> = BTreeMap::new();
    for e in &record.node_events {
        let name = record.name(e.node);
        if let Some(b) = node_before.insert(name, e) {
            lines.push((e.t, 2, node_line(record, b, e)));
        }
    }
    for svc in &record.services {
        let mut from = "none";
        for (t, state, message) in svc.status_timeline() {
            let line = match state {
                Some(state) => {
                    format!("{} {} update: {from} -> {} {}", time(t), svc.name, state.as_str(), quote(message))
                }
                // A spec update that asked for no new task (`docker service scale`): UpdateStatus
                // is nil until the next update.
                None => format!("{} {} update: {from} -> none", time(t), svc.name),
            };
            lines.push((t, 3, line));
            from = state.map_or("none", UpdateState::as_str);
        }
    }
    let mut seen: BTreeMap<&str, Seen<'_>> = BTreeMap::new();
    // Each task's subject, for its signal and exit lines.
    let mut subjects: BTreeMap<Name, String> = BTreeMap::new();
    for (e, row) in record.events().zip(record.task_events.iter()) {
        if e.slot != 0 || !e.node.is_empty() {
            subjects.entry(row.task_id).or_insert_with(|| subject(&e));
        }
        let line = task_line(&e, seen.get(e.task_id));
        seen.insert(e.task_id, Seen { desired: e.desired_state, state: e.state, message: e.message });
        lines.extend(line.map(|l| (e.t, 4, l)));
    }
    for p in &record.process_events {
        let subject = subjects.get(&p.task_id).map_or("?", String::as_str);
        let what = match p.change {
            ProcessChange::Sigterm => "SIGTERM".to_string(),
            ProcessChange::Sigkill => "SIGKILL".to_string(),
            ProcessChange::Exited(code) => format!("exited ({code})"),
            ProcessChange::Removed => "container removed".to_string(),
            ProcessChange::Deleted => "deleted from the store".to_string(),
        };
        lines.push((p.t, 5, format!("{} {subject} t={} {what}", time(p.t), truncate_id(record.name(p.task_id)))));
    }
    // A stable sort keeps record order within an instant and group.
    lines.sort_by_key(|(t, group, _)| (*t, *group));
    lines.into_iter().map(|(_, _, l)| l).collect()
}

/// What the previous record of a task said.
struct Seen<'a> {
    desired: TaskState,
    state: TaskState,
    message: &'a str,
}

/// The line of a node's change from its previous row `b` to `e`.
fn node_line(record: &RunRecord, b: &NodeEvent, e: &NodeEvent) -> String {
    let head = format!("{} node {}:", time(e.t), record.name(e.node));
    if e.removed {
        return format!("{head} removed");
    }
    let mut parts = Vec::new();
    if e.state != b.state {
        let message = record.name(e.message);
        let note = if message.is_empty() { String::new() } else { format!(" {}", quote(message)) };
        parts.push(format!("{} -> {}{note}", b.state.as_str(), e.state.as_str()));
    }
    if e.availability != b.availability {
        parts.push(format!("availability {} -> {}", b.availability.as_str(), e.availability.as_str()));
    }
    format!("{head} {}", parts.join("; "))
}

fn action_line(t: SimTime, text: &str, refused: Option<&str>) -> String {
    match refused {
        Some(err) => format!("{} $ {text}  (refused: {err})", time(t)),
        None => format!("{} $ {text}", time(t)),
    }
}

/// The line of one task event; `None` when nothing visible changed.
fn task_line(e: &EventView<'_>, before: Option<&Seen<'_>>) -> Option<String> {
    let subject = format!("{} {} t={}", time(e.t), subject(e), truncate_id(e.task_id));
    let Some(b) = before else {
        return Some(format!("{subject} created (desired {})", e.desired_state));
    };
    let note = (e.message != b.message && !is_routine(e.state, e.message)).then(|| quote(e.message));
    let mut parts = Vec::new();
    match (e.state != b.state, note) {
        (true, Some(n)) => parts.push(format!("{} -> {} {n}", b.state, e.state)),
        (true, None) => parts.push(format!("{} -> {}", b.state, e.state)),
        (false, Some(n)) => parts.push(format!("{} {n}", e.state)),
        (false, None) => {}
    }
    if e.desired_state != b.desired {
        parts.push(format!("desired {} -> {}", b.desired, e.desired_state));
    }
    (!parts.is_empty()).then(|| format!("{subject} {}", parts.join("; ")))
}

fn subject(e: &EventView<'_>) -> String {
    if e.slot != 0 { format!("{}.{}", e.service, e.slot) } else { format!("{}.{}", e.service, e.node) }
}

/// The status message swarmkit writes with each state when nothing went wrong.
fn is_routine(state: TaskState, message: &str) -> bool {
    let routine = match state {
        TaskState::New => "created",
        TaskState::Pending => "pending task scheduling",
        TaskState::Assigned => "scheduler assigned task to node",
        TaskState::Accepted => "accepted",
        TaskState::Preparing => "preparing",
        TaskState::Ready => "prepared",
        TaskState::Starting => "starting",
        TaskState::Running => "started",
        TaskState::Complete => "finished",
        TaskState::Shutdown => "shutdown",
        _ => return false,
    };
    message == routine
}

fn time(t: SimTime) -> String {
    format!("{:>8}", t.secs_ms())
}

fn quote(s: &str) -> String {
    format!("\"{s}\"")
}

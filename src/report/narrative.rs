//! The stdout text: the seed, then one plain-English paragraph per service and the caveats.

use crate::model::record::{EndReason, NodeEvent, NodeState, RunRecord, ServiceRecord, UpdateRecord, UpdateState};
use crate::model::traffic::RequestSeries;
use crate::report::availability::{Availability, Ratio, availability_of};
use crate::time::{SimDuration, SimTime};

/// Tells what happened in the run, for a person reading the terminal:
///
/// - first line `seed: N`, so every run echoes the seed that reproduces it;
/// - a line naming the scenario, engine, events handled and end time;
/// - per service (scenario order) one paragraph: how its update went, told from its
///   UpdateStatus changes with Docker's messages (pauses and rollbacks say why), tasks
///   replaced and failures, then its availability figures (see [`Availability`]); with
///   traffic, a last line with the zero-downtime verdict on requests and, when the route
///   brought in a new version, how many requests that version answered;
/// - per blue-green or canary rollout, its phases and how it ended;
/// - per traffic entry written `route:`, its verdict;
/// - when any node changed (`nodes.csv` past its first rows), one `nodes:` paragraph: each
///   node's state and availability changes in order, a DOWN with swarmkit's message and how
///   long after the fault that silenced the node the manager noticed;
/// - if the run did not end quiescent, a plain statement that it was cut short;
/// - the timeline actions Docker would have refused, with the error.
///
/// Times are seconds since the start with millisecond precision (`81.284s`).
pub fn narrative(run: &RunRecord) -> String {
    let mut paragraphs = vec![header(run)];
    for service in &run.services {
        paragraphs.push(service_paragraph(run, service));
    }
    for s in &run.strategies {
        paragraphs.push(strategy_paragraph(s));
    }
    for r in run.requests.iter().filter(|r| !run.services.iter().any(|s| s.name == r.service)) {
        paragraphs.push(format!("route {} requests: {}", r.service, verdict(r)));
    }
    paragraphs.extend(nodes_paragraph(run));
    paragraphs.extend(end_note(run));
    paragraphs.extend(refused_actions(run));
    paragraphs.extend(command_outputs(run));
    let mut text = paragraphs.join("\n\n");
    text.push('\n');
    text
}

/// `nodes: mn-w2 down at 41.779s ("heartbeat failure", 11.779s after node_down mn-w2), ready at
/// 92.732s; mn-w1 drain at 60.040s, active at 75.040s.` — `None` when no node changed.
fn nodes_paragraph(run: &RunRecord) -> Option<String> {
    let mut per_node: Vec<(&str, Vec<String>)> = Vec::new();
    let mut last: std::collections::BTreeMap<&str, &NodeEvent> = std::collections::BTreeMap::new();
    for e in &run.node_events {
        let name = run.name(e.node);
        let Some(before) = last.insert(name, e) else { continue };
        let t = secs(e.t);
        let mut clauses = Vec::new();
        if e.removed {
            clauses.push(format!("removed at {t} (docker node rm)"));
        } else {
            if e.state != before.state {
                clauses.push(match e.state {
                    NodeState::Down => {
                        format!("down at {t} (\"{}\"{})", run.name(e.message), fault_before(run, name, e.t))
                    }
                    NodeState::Ready => format!("ready at {t}"),
                    NodeState::Unknown => format!("unknown at {t} (\"{}\")", run.name(e.message)),
                });
            }
            if e.availability != before.availability {
                clauses.push(format!("{} at {t}", e.availability.as_str()));
            }
        }
        match per_node.iter_mut().find(|(n, _)| *n == name) {
            Some((_, list)) => list.extend(clauses),
            None => per_node.push((name, clauses)),
        }
    }
    if per_node.is_empty() {
        return None;
    }
    let nodes: Vec<String> = per_node.iter().map(|(name, clauses)| format!("{name} {}", clauses.join(", "))).collect();
    Some(format!("nodes: {}.", nodes.join("; ")))
}

/// `, 11.779s after node_down mn-w2`: the last fault that silenced `node` (a cut link or a
/// killed daemon) at or before `t`, if the timeline has one.
fn fault_before(run: &RunRecord, node: &str, t: SimTime) -> String {
    let faults = [format!("node_down {node}"), format!("daemon_kill {node}")];
    run.actions
        .iter()
        .rev()
        .find(|(at, text, refused)| *at <= t && refused.is_none() && faults.iter().any(|f| f == text))
        .map_or(String::new(), |(at, text, _)| format!(", {} after {text}", dur(t.since(*at))))
}

fn header(run: &RunRecord) -> String {
    format!(
        "seed: {}\nscenario {} (engine {}): {} events handled, ended at {} ({}).",
        run.seed,
        run.scenario,
        run.engine,
        run.events_handled,
        secs(run.end_time),
        run.end_reason.as_str()
    )
}

fn service_paragraph(run: &RunRecord, service: &ServiceRecord) -> String {
    let mut life = String::new();
    if service.created_at > SimTime::ZERO {
        life += &format!("created at {}; ", secs(service.created_at));
    }
    if let Some(at) = service.removed_at {
        life += &format!("removed at {} (docker service rm); ", secs(at));
    }
    let mut paragraph = format!(
        "{}: {life}{} {}",
        service.name,
        update_story(&service.update, service.desired_replicas, run.end_time, service.status_cleared_at()),
        availability_story(&availability_of(run, service))
    );
    if let Some(requests) = run.requests.iter().find(|r| r.service == service.name) {
        paragraph.push_str(&format!("\n{} requests: {}", service.name, verdict(requests)));
    }
    paragraph
}

/// `shop_web blue_green to shop/web:2 (green shop_web-green): 60.000s waiting — …; switched
/// back at 81.938s: …`.
fn strategy_paragraph(s: &crate::model::strategy::StrategyRecord) -> String {
    let mut lines = vec![format!(
        "{} {} to {} ({} {}, route {}):",
        s.service,
        s.strategy,
        s.image,
        if s.strategy == "blue_green" { "green" } else { "canary" },
        s.new_service,
        s.route
    )];
    lines.extend(s.phases.iter().map(|p| format!("  {} {}: {}", secs(p.t), p.phase, p.message)));
    lines.push(match (&s.outcome, s.ended_at) {
        (Some(outcome), Some(at)) => format!("  {} {}: {}", secs(at), outcome, s.message),
        _ => "  still in progress when the run ended".to_string(),
    });
    lines.join("\n")
}

/// `zero downtime: yes — 0 of 12,000 requests failed.` or, when any failed, how many, their
/// share and the longest outage.
fn verdict(r: &RequestSeries) -> String {
    let (total, failed) = (r.total(), r.failed());
    let counted = format!("{} of {} failed", thousands(failed), count_text(total, "request"));
    if failed == 0 {
        return format!("zero downtime: yes — {counted}.{}", new_version(r));
    }
    let share = Ratio { num: failed as u128 * 100, den: total.max(1) as u128 }.fixed(2);
    let outage = match r.longest_outage_at {
        Some(at) => format!("longest outage {} (from {})", dur(r.longest_outage), secs(at)),
        None => "no full outage (they failed in flight or over capacity)".to_string(),
    };
    format!("zero downtime: no — {counted} ({share}%), {outage}.{}", new_version(r))
}

/// ` The new version (app:2) answered 1,000 of them; 200 failed.`, when there is one.
fn new_version(r: &RequestSeries) -> String {
    match &r.new_image {
        Some(image) if r.to_new > 0 => format!(
            " The new version ({image}) answered {}; {} failed.",
            count_text(r.to_new, "request"),
            thousands(r.new_failed)
        ),
        _ => String::new(),
    }
}

/// `12,000 requests`, `1 request`.
fn count_text(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{} {noun}s", thousands(n)) }
}

/// `12000` → `12,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The update's course, as sentences ending in a period.
fn update_story(u: &UpdateRecord, desired: u64, end: SimTime, cleared_at: Option<SimTime>) -> String {
    let Some(state) = u.state else {
        return format!("never updated; {} desired.", count(desired, "task"));
    };
    let mut clauses = status_clauses(u, desired);
    if clauses.is_empty() {
        // A record with a state but no history: say what we know.
        let started = u.started_at.map_or(String::new(), |t| format!(" started at {}", secs(t)));
        clauses.push(format!("update of {}{started}", count(desired, "task")));
        clauses.push(format!("{} (\"{}\")", state.as_str(), u.message));
    }
    clauses.insert(1, counts_clause(u));
    let mut story = clauses.join("; ") + ".";
    if let Some(t) = cleared_at {
        // swarmkit's UpdateService sets UpdateStatus to nil on every update but a rollback;
        // with no task to update, nothing sets it again.
        story.push_str(&format!(
            " At {} a spec update that asked for no new task (e.g. `docker service scale`) cleared UpdateStatus; none was set again.",
            secs(t)
        ));
    } else if let Some(tail) = unfinished(state, end) {
        story.push(' ');
        story.push_str(&tail);
    }
    story
}

/// One clause per UpdateStatus change, in order.
fn status_clauses(u: &UpdateRecord, desired: u64) -> Vec<String> {
    let mut clauses = Vec::with_capacity(u.status_changes.len());
    let mut previous: Option<UpdateState> = None;
    let mut began = u.started_at.unwrap_or_default();
    for change in &u.status_changes {
        let (t, msg) = (secs(change.t), &change.message);
        let clause = match change.state {
            UpdateState::Updating => {
                began = change.t;
                match previous {
                    None => format!("update of {} started at {t}", count(desired, "task")),
                    Some(UpdateState::Paused) => format!("updating again from {t}"),
                    Some(_) => format!("another update started at {t}"),
                }
            }
            UpdateState::Paused => format!("paused at {t}: \"{msg}\""),
            UpdateState::Completed => {
                let took = change.t.since(began);
                format!("completed at {t} (\"{msg}\"), {} after it started", dur(took))
            }
            UpdateState::RollbackStarted => format!("rollback started at {t}: \"{msg}\""),
            UpdateState::RollbackPaused => format!("rollback paused at {t}: \"{msg}\""),
            UpdateState::RollbackCompleted => {
                let took = change.t.since(began);
                format!("rollback completed at {t} (\"{msg}\"), {} after the update started", dur(took))
            }
        };
        clauses.push(clause);
        previous = Some(change.state);
    }
    clauses
}

/// What the update did, per kind of work, none counted twice: `10 slots updated`; with a
/// rollback `2 slots updated, 2 rolled back`; then the tasks the restart supervisor created
/// meanwhile, and the failures counted toward `max_failure_ratio` and those not counted (a
/// restart supervisor's task, a failure outside the monitor window, after the updater stopped).
fn counts_clause(u: &UpdateRecord) -> String {
    let mut clause = format!("{} updated", count(u.slots_updated, "slot"));
    if u.slots_rolled_back > 0 {
        clause += &format!(", {} rolled back", u.slots_rolled_back);
    }
    if u.restart_tasks > 0 {
        clause += &format!(", {} by the restart supervisor", count(u.restart_tasks, "task"));
    }
    let not_counted = u.task_failures.saturating_sub(u.failures);
    match (u.failures, not_counted) {
        (0, 0) => {}
        (n, 0) => clause += &format!(", {} counted", count(n, "failure")),
        (0, m) => clause += &format!(", {} not counted", count(m, "failure")),
        (n, m) => clause += &format!(", {} counted ({m} more not counted)", count(n, "failure")),
    }
    clause
}

/// A sentence for an update that had not settled when the run ended.
fn unfinished(state: UpdateState, end: SimTime) -> Option<String> {
    let what = match state {
        UpdateState::Updating => "It was still updating",
        UpdateState::RollbackStarted => "It was still rolling back",
        UpdateState::Paused => "It was still paused (Docker waits for an operator)",
        UpdateState::RollbackPaused => "The rollback was still paused",
        UpdateState::Completed | UpdateState::RollbackCompleted => return None,
    };
    Some(format!("{what} when the run stopped at {}.", secs(end)))
}

fn availability_story(a: &Availability) -> String {
    if a.observed_from.is_none() {
        return "No availability samples were recorded.".to_string();
    }
    let mut story = format!(
        "{}; {} below desired, {} with none serving",
        minimum_clause(a),
        dur(a.seconds_below_desired),
        dur(a.seconds_none_serving)
    );
    if let Some(mean) = a.serving_ratio_time_weighted {
        story.push_str(&format!("; {} of desired served on average during the update", pct(mean)));
    }
    story.push('.');
    story
}

fn minimum_clause(a: &Availability) -> String {
    let low = a.min_serving_ratio;
    if low.is_whole() {
        format!("Serving replicas never fell below desired (lowest {})", a.min_serving)
    } else if low.num == 0 {
        format!("At times no replica was serving (0 of {})", low.den)
    } else if a.min_serving as u128 == low.num {
        format!("Serving replicas never fell below {} of {} ({})", low.num, low.den, pct(low))
    } else {
        format!(
            "Serving replicas never fell below {}; the lowest share of desired was {} of {} ({})",
            a.min_serving,
            low.num,
            low.den,
            pct(low)
        )
    }
}

/// The caveat for a run that did not finish on its own.
fn end_note(run: &RunRecord) -> Option<String> {
    match run.end_reason {
        EndReason::Quiescent => None,
        EndReason::UntilReached => {
            let limit = SimDuration(run.end_time.0);
            let active: Vec<&str> = run
                .services
                .iter()
                // A status cleared for good by a scale shows no update in progress.
                .filter(|s| s.update.state.is_some_and(UpdateState::is_active) && s.status_cleared_at().is_none())
                .map(|s| s.name.as_str())
                .collect();
            Some(match active.as_slice() {
                [] => format!("The run stopped at the until limit ({limit})."),
                [one] => {
                    format!("The run stopped at the until limit ({limit}) with the update of {one} still in progress.")
                }
                many => format!(
                    "The run stopped at the until limit ({limit}) with the updates of {} still in progress.",
                    many.join(", ")
                ),
            })
        }
        EndReason::MaxEventsReached => Some(format!(
            "The run stopped at the max_events limit after {} events, at {} simulated: results are incomplete.",
            run.events_handled,
            secs(run.end_time)
        )),
        EndReason::TaskLimitReached => Some(format!(
            "The run stopped at {} simulated, having created {} tasks, deploysim's limit for one run (a restart \
             loop without end?): results are incomplete.",
            secs(run.end_time),
            crate::limits::MAX_TASKS
        )),
        EndReason::HistoryLimitReached => Some(format!(
            "The run stopped at {} simulated, having recorded {} task state changes, deploysim's budget for this \
             run's history (a restart loop without end, or a very long run: shorten x-simulation.until): results \
             are incomplete.",
            secs(run.end_time),
            run.task_events.len()
        )),
    }
}

/// What query commands printed, each under a `$ command` line as a terminal shows it.
fn command_outputs(run: &RunRecord) -> Option<String> {
    if run.outputs.is_empty() {
        return None;
    }
    let blocks: Vec<String> =
        run.outputs.iter().map(|o| format!("at {}: $ {}\n{}", secs(o.t), o.command, o.output.trim_end())).collect();
    Some(blocks.join("\n\n"))
}

/// The actions Docker would have refused, one per line, or nothing when there were none.
fn refused_actions(run: &RunRecord) -> Option<String> {
    let lines: Vec<String> = run
        .actions
        .iter()
        .filter_map(|(t, command, error)| {
            let error = error.as_ref()?;
            Some(format!("  at {}: {command}: {error}", secs(*t)))
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    let heading = format!("Docker would have refused {}:", count(lines.len() as u64, "action"));
    Some(std::iter::once(heading).chain(lines).collect::<Vec<_>>().join("\n"))
}

fn secs(t: SimTime) -> String {
    format!("{}s", t.secs_ms())
}

fn dur(d: SimDuration) -> String {
    format!("{}s", d.secs_ms())
}

/// `80.0%`, from the exact ratio.
fn pct(r: Ratio) -> String {
    format!("{}%", Ratio { num: r.num * 100, den: r.den }.fixed(1))
}

/// `1 task`, `3 tasks`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::StatusChange;
    use crate::report::fixtures::{MS, S, completed_update, empty_run, sample, service};

    fn change(t: u64, state: UpdateState, message: &str) -> StatusChange {
        StatusChange { t: SimTime(t), state, message: message.into() }
    }

    fn completed_run() -> RunRecord {
        let mut run = empty_run();
        let mut web = service("web_web", 10);
        web.update = completed_update(81 * S + 300 * MS);
        run.services = vec![web];
        run.timeline = vec![
            sample("web_web", 0, 10, 10),
            sample("web_web", 40 * S, 10, 8),
            sample("web_web", 52 * S + 400 * MS, 10, 10),
        ]
        .into();
        run
    }

    #[test]
    fn starts_with_the_seed() {
        assert!(narrative(&completed_run()).starts_with("seed: 42\n"));
    }

    #[test]
    fn completed_update_paragraph() {
        let text = narrative(&completed_run());
        // Update window 30.05–81.3 s (51.25 s): 12.4 s at 0.8 → (51.25 - 2.48) / 51.25 = 95.16%.
        let expected = "web_web: update of 10 tasks started at 30.050s; 10 slots updated; \
            completed at 81.300s (\"update completed\"), 51.250s after it started. \
            Serving replicas never fell below 8 of 10 (80.0%); 12.400s below desired, \
            0.000s with none serving; 95.2% of desired served on average during the update.";
        assert!(text.contains(expected), "{text}");
        assert!(!text.contains("limit"), "a quiescent run has no caveat: {text}");
    }

    #[test]
    fn pause_and_rollback_say_why() {
        let mut run = completed_run();
        let u = &mut run.services[0].update;
        u.state = Some(UpdateState::RollbackCompleted);
        u.message = "rollback completed".into();
        u.failures = 2;
        u.task_failures = 5;
        u.tasks_replaced = 6;
        u.slots_updated = 4;
        u.slots_rolled_back = 2;
        u.restart_tasks = 3;
        u.rollback_started_at = Some(SimTime(50 * S));
        u.completed_at = Some(SimTime(70 * S));
        u.status_changes = vec![
            change(30 * S + 50 * MS, UpdateState::Updating, "update in progress"),
            change(45 * S, UpdateState::Paused, "update paused due to failure or early termination of task x1"),
            change(47 * S, UpdateState::Updating, "update in progress"),
            change(
                50 * S,
                UpdateState::RollbackStarted,
                "update rolled back due to failure or early termination of task x2",
            ),
            change(70 * S, UpdateState::RollbackCompleted, "rollback completed"),
        ];
        let text = narrative(&run);
        let expected = "web_web: update of 10 tasks started at 30.050s; 4 slots updated, 2 rolled back, 3 tasks by the restart \
            supervisor, 2 failures counted (3 more not counted); \
            paused at 45.000s: \"update paused due to failure or early termination of task x1\"; \
            updating again from 47.000s; \
            rollback started at 50.000s: \"update rolled back due to failure or early termination of task x2\"; \
            rollback completed at 70.000s (\"rollback completed\"), 23.000s after the update started.";
        assert!(text.contains(expected), "{text}");
    }

    #[test]
    fn paused_at_the_end_is_called_out() {
        let mut run = completed_run();
        let u = &mut run.services[0].update;
        u.state = Some(UpdateState::Paused);
        u.completed_at = None;
        u.failures = 1;
        u.task_failures = 1;
        u.status_changes.pop();
        u.status_changes.push(change(45 * S, UpdateState::Paused, "update paused due to failure"));
        let text = narrative(&run);
        assert!(
            text.contains(
                "; 10 slots updated, 1 failure counted; paused at 45.000s: \"update paused due to failure\"."
            ),
            "{text}"
        );
        assert!(
            text.contains("It was still paused (Docker waits for an operator) when the run stopped at 100.000s."),
            "{text}"
        );
    }

    #[test]
    fn a_status_cleared_by_a_scale_is_said_and_not_called_unfinished() {
        let mut run = completed_run();
        let svc = &mut run.services[0];
        let u = &mut svc.update;
        u.state = Some(UpdateState::Updating);
        u.completed_at = None;
        u.status_changes.pop();
        svc.status_changes = u.status_changes.clone();
        svc.status_resets = vec![(SimTime(60 * S), svc.status_changes.len())];
        let text = narrative(&run);
        assert!(
            text.contains(
                "At 60.000s a spec update that asked for no new task (e.g. `docker service scale`) cleared UpdateStatus; none was set again."
            ),
            "{text}"
        );
        assert!(!text.contains("It was still updating"), "{text}");
        run.end_reason = EndReason::UntilReached;
        let text = narrative(&run);
        assert!(!text.contains("still in progress"), "{text}");
    }

    #[test]
    fn until_limit_with_update_in_progress() {
        let mut run = completed_run();
        run.end_reason = EndReason::UntilReached;
        run.end_time = SimTime(600 * S);
        let u = &mut run.services[0].update;
        u.state = Some(UpdateState::Updating);
        u.completed_at = None;
        u.status_changes.pop();
        let text = narrative(&run);
        assert!(text.contains("It was still updating when the run stopped at 600.000s."), "{text}");
        assert!(
            text.contains("The run stopped at the until limit (10m0s) with the update of web_web still in progress."),
            "{text}"
        );
    }

    #[test]
    fn max_events_says_results_are_incomplete() {
        let mut run = completed_run();
        run.end_reason = EndReason::MaxEventsReached;
        let text = narrative(&run);
        assert!(text.contains("max_events limit after 1234 events"), "{text}");
        assert!(text.contains("results are incomplete"), "{text}");
    }

    #[test]
    fn the_task_limit_says_results_are_incomplete() {
        let mut run = empty_run();
        run.end_reason = EndReason::TaskLimitReached;
        run.end_time = SimTime(42 * S);
        let text = narrative(&run);
        assert!(text.contains("having created 6000000 tasks, deploysim's limit for one run"), "{text}");
        assert!(text.contains("results are incomplete"), "{text}");
    }

    #[test]
    fn never_updated_service_and_refused_actions() {
        let mut run = completed_run();
        run.services.push(service("web_db", 1));
        run.timeline.push(sample("web_db", 0, 1, 1));
        run.actions = vec![
            (SimTime(10 * S), "docker service scale web_web=10".into(), None),
            (
                SimTime(20 * S),
                "docker node update --availability drain ghost".into(),
                Some("node ghost not found".into()),
            ),
        ];
        let text = narrative(&run);
        assert!(
            text.contains(
                "web_db: never updated; 1 task desired. Serving replicas never fell below desired (lowest 1); \
             0.000s below desired, 0.000s with none serving."
            ),
            "{text}"
        );
        assert!(text.ends_with(
            "Docker would have refused 1 action:\n  at 20.000s: docker node update --availability drain ghost: node ghost not found\n"
        ), "{text}");
        assert!(!text.contains("web_web=10"), "accepted actions are not listed: {text}");
    }

    #[test]
    fn a_different_low_share_than_low_count_is_told_apart() {
        let mut run = completed_run();
        // Scaled from 10 to 4: 4 of 4 is the fewest replicas but 8 of 10 the lowest share.
        run.timeline.push(sample("web_web", 90 * S, 4, 4));
        let text = narrative(&run);
        assert!(text.contains("never fell below 4; the lowest share of desired was 8 of 10 (80.0%)"), "{text}");
    }

    /// 12,000 requests of web_web over 120 one-second buckets, `failed` of them in bucket 40.
    fn with_requests(failed: u64, outage_ms: u64) -> RunRecord {
        use crate::model::traffic::RequestBucket;
        let mut run = completed_run();
        let buckets = (0..120)
            .map(|i| RequestBucket {
                t: SimTime(i * S),
                ok: if i == 40 { 100 - failed } else { 100 },
                failed: if i == 40 { failed } else { 0 },
            })
            .collect();
        run.requests = vec![RequestSeries {
            service: "web_web".into(),
            from: SimTime::ZERO,
            until: SimTime(120 * S),
            buckets,
            longest_outage: SimDuration(outage_ms * MS),
            longest_outage_at: (outage_ms > 0).then_some(SimTime(40 * S)),
            new_image: None,
            to_new: 0,
            new_failed: 0,
            backends: Vec::new(),
        }];
        run
    }

    #[test]
    fn the_zero_downtime_verdict_closes_the_service_paragraph() {
        let text = narrative(&with_requests(0, 0));
        assert!(
            text.contains("during the update.\nweb_web requests: zero downtime: yes — 0 of 12,000 requests failed.\n"),
            "{text}"
        );
        let text = narrative(&with_requests(100, 2_400));
        assert!(
            text.contains("web_web requests: zero downtime: no — 100 of 12,000 requests failed (0.83%), longest outage 2.400s (from 40.000s)."),
            "{text}"
        );
        let text = narrative(&with_requests(3, 0));
        assert!(text.contains("no — 3 of 12,000 requests failed (0.03%), no full outage"), "{text}");
    }
}

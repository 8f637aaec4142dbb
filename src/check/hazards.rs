//! The lint rules. Each looks at one service's effective policy and, when it is a hazard,
//! returns a finding whose message carries the number that makes it one. Sources: research
//! notes §1.5–§1.8 (updater), §2.4 (restart), §3 (health), §4 (stopping), §5.3 (placement), §8
//! (what users hit).

use crate::check::policy::EffectivePolicy;
use crate::check::timing::{self, ReadyTime};
use crate::check::{Finding, Severity};
use crate::model::scenario::OLD_TASK_TIMEOUT;
use crate::model::scenario::Scenario;
use crate::model::spec::{FailureAction, RestartCondition, ServiceMode, ServiceSpec, UpdateOrder};
use crate::time::SimDuration;

/// Never-healthy tasks that take longer than this to fail are worth a note.
const LONG_STALL: SimDuration = SimDuration::from_secs(60);

/// What every rule may look at.
struct Ctx<'a> {
    scenario: &'a Scenario,
    p: &'a EffectivePolicy,
    /// Tasks of the service (replicas, or eligible nodes for a global service).
    tasks: u64,
    /// Nodes that can take its tasks.
    nodes: u64,
    /// Typical probe duration.
    probe: SimDuration,
    /// The placement the service's tasks have.
    placement: &'a crate::model::spec::Placement,
}

type Rule = fn(&Ctx<'_>) -> Option<Finding>;

const RULES: &[Rule] = &[
    monitor_misses_unhealthy,
    rollback_without_health,
    failure_action_continue,
    ratio_never_exceeded,
    stop_first_outage,
    start_first_max_replicas,
    host_ports,
    reservations_fit,
    capacity_after_node_loss,
    restart_attempts_pause,
    restart_none,
    grace_over_minute,
    grace_truncated,
    delay_shorter_than_start,
    never_healthy_stall,
    start_interval_ignored,
];

/// Every hazard of `spec`, in rule order.
pub(crate) fn find(scenario: &Scenario, spec: &ServiceSpec, p: &EffectivePolicy) -> Vec<Finding> {
    let ctx = Ctx {
        scenario,
        p,
        tasks: timing::task_count(scenario, spec),
        nodes: timing::eligible_nodes(scenario, &spec.task.placement),
        probe: timing::probe_duration(scenario),
        placement: &spec.task.placement,
    };
    RULES.iter().filter_map(|rule| rule(&ctx)).collect()
}

fn finding(id: &'static str, severity: Severity, field: String, message: String, hint: &str) -> Option<Finding> {
    Some(Finding { id, severity, field, message, hint: Some(hint.to_string()) })
}

/// Whole seconds at or above `d`, for hints (`monitor: 11s`).
fn ceil_secs(d: SimDuration) -> u64 {
    d.0.div_ceil(1_000_000_000)
}

fn tasks_word(n: u64) -> &'static str {
    if n == 1 { "task" } else { "tasks" }
}

/// §3.4: a task that passes one probe and then degrades is marked unhealthy only after
/// `retries` counted failures; if that is after the monitor window, the updater never counts it.
fn monitor_misses_unhealthy(c: &Ctx<'_>) -> Option<Finding> {
    let u = &c.p.update;
    let h = c.p.health.as_ref()?;
    if u.failure_action == FailureAction::Continue {
        return None;
    }
    let needed = timing::unhealthy_after_running(&h.resolved, c.probe)?;
    if u.monitor >= needed {
        return None;
    }
    let r = &h.resolved;
    let message = format!(
        "monitor {} is shorter than the {needed} a new task needs, after it becomes RUNNING, to be marked \
         unhealthy when it passes its first probe and then fails ({}: interval {}, timeout {}, retries {}; \
         probes take {}): that failure lands outside the monitor window and never triggers failure_action {}; \
         the restart policy just replaces the task",
        u.monitor,
        h.source.as_str(),
        r.interval,
        r.timeout,
        r.retries,
        c.probe,
        u.failure_action.as_str()
    );
    let hint = format!("set update_config.monitor to at least {needed}, e.g. monitor: {}s", ceil_secs(needed));
    finding("monitor-misses-unhealthy", Severity::Warning, c.p.field("deploy.update_config.monitor"), message, &hint)
}

/// §1.7: without a health check only an exit within the monitor window is a failure.
fn rollback_without_health(c: &Ctx<'_>) -> Option<Finding> {
    let u = &c.p.update;
    if u.failure_action != FailureAction::Rollback || c.p.health.is_some() {
        return None;
    }
    let why = if c.p.health_disabled {
        "the service disables its health check".to_string()
    } else {
        format!("neither the service nor the image {} has one", c.p.rollout_image())
    };
    let message = format!(
        "failure_action rollback with no health check ({why}): a new task counts as failed only if its \
         container exits within monitor {} of RUNNING, so a version that starts and then serves errors is \
         never rolled back",
        u.monitor
    );
    let hint = "add a healthcheck: to the service (or a HEALTHCHECK to the image)";
    finding(
        "rollback-without-healthcheck",
        Severity::Warning,
        c.p.field("deploy.update_config.failure_action"),
        message,
        hint,
    )
}

/// §1.7: with `continue` the updater subscribes to nothing.
fn failure_action_continue(c: &Ctx<'_>) -> Option<Finding> {
    if c.p.update.failure_action != FailureAction::Continue || c.tasks == 0 {
        return None;
    }
    let message = format!(
        "failure_action continue: swarmkit does not watch for failures at all, so a new version whose tasks all \
         fail is rolled out to all {} {}",
        c.tasks,
        tasks_word(c.tasks)
    );
    let hint = "use pause (the default) or rollback";
    finding(
        "failure-action-continue",
        Severity::Warning,
        c.p.field("deploy.update_config.failure_action"),
        message,
        hint,
    )
}

/// §1.7: failures / dirty slots is compared with `>` in float32; it is at most 1.
fn ratio_never_exceeded(c: &Ctx<'_>) -> Option<Finding> {
    let u = &c.p.update;
    if u.failure_action == FailureAction::Continue || c.tasks == 0 {
        return None;
    }
    let n = c.tasks;
    let field = c.p.field("deploy.update_config.max_failure_ratio");
    match timing::failures_to_trigger(u.max_failure_ratio, n) {
        None => {
            let message = format!(
                "max_failure_ratio {} can never be exceeded: with {n} {} to update, at most {n}/{n} = 1 of them \
                 can fail and swarmkit acts only when failures / {n} > {}, so failure_action {} never runs",
                u.max_failure_ratio,
                tasks_word(n),
                u.max_failure_ratio,
                u.failure_action.as_str()
            );
            finding("ratio-never-exceeded", Severity::Warning, field, message, "use a ratio below 1, e.g. 0.2")
        }
        Some(k) if k == n && n >= 2 => {
            let message = format!(
                "max_failure_ratio {}: failure_action {} runs only after {k} of {n} new tasks have failed, that is \
                 when every one has",
                u.max_failure_ratio,
                u.failure_action.as_str()
            );
            let hint = format!("a ratio below {:.3} acts before the last task fails", (n - 1) as f32 / n as f32);
            finding("ratio-needs-every-task", Severity::Note, field, message, &hint)
        }
        Some(_) => None,
    }
}

fn ready_text(r: &ReadyTime) -> String {
    format!("{} (pull {} + start {} + first healthy probe {})", r.total(), r.pull, r.start, r.first_healthy)
}

/// §1.5/§4: stop-first with every slot at once stops every task before any replacement runs.
fn stop_first_outage(c: &Ctx<'_>) -> Option<Finding> {
    let u = &c.p.update;
    if u.order != UpdateOrder::StopFirst || c.tasks == 0 || (u.parallelism != 0 && u.parallelism < c.tasks) {
        return None;
    }
    let ready = health_ready(c);
    let gap = match &ready {
        Some(r) => format!("for about {}, plus the time the old ones take to stop", ready_text(r)),
        None => "until the new tasks are ready (the image never becomes healthy in this scenario)".to_string(),
    };
    let message = format!(
        "stop-first with parallelism {} and {} {}: every old task is stopped before its replacement runs, so \
         no task serves {gap}",
        u.parallelism,
        c.tasks,
        tasks_word(c.tasks)
    );
    let hint = "use order: start-first, or a parallelism below the number of tasks (with more than one replica)";
    finding("stop-first-full-outage", Severity::Warning, c.p.field("deploy.update_config.parallelism"), message, hint)
}

fn health_ready(c: &Ctx<'_>) -> Option<ReadyTime> {
    timing::ready_time(c.scenario, c.p.rollout_image(), c.p.health.as_ref().map(|h| &h.resolved))
}

/// §5.3: start-first needs room for the new task beside the old one.
fn start_first_max_replicas(c: &Ctx<'_>) -> Option<Finding> {
    let (max, n) = (c.p.max_replicas_per_node, c.nodes);
    let ServiceMode::Replicated { replicas } = c.p.mode else { return None };
    if c.p.update.order != UpdateOrder::StartFirst || max == 0 || replicas < n * max {
        return None;
    }
    let message = format!(
        "start-first with max_replicas_per_node {max}: {replicas} replicas on {n} eligible {} fill all {n} × {max} = \
         {} places, so a new task has nowhere to start while the old one runs and the update waits forever \
         (\"no suitable node (max replicas per node limit exceed)\")",
        if n == 1 { "node" } else { "nodes" },
        n * max
    );
    let hint = format!(
        "raise max_replicas_per_node to {}, use order: stop-first, or add nodes (start-first needs replicas < nodes × max)",
        (replicas + 1).div_ceil(n.max(1))
    );
    finding(
        "start-first-max-replicas-deadlock",
        Severity::Warning,
        c.p.field("deploy.placement.max_replicas_per_node"),
        message,
        &hint,
    )
}

/// §5.3: a host-mode port holds its node; two tasks of the service never share one.
fn host_ports(c: &Ctx<'_>) -> Option<Finding> {
    let port = *c.p.host_ports.first()?;
    let (tasks, n) = (c.tasks, c.nodes);
    let field = c.p.field("ports");
    if c.p.update.order == UpdateOrder::StartFirst && tasks >= n {
        let message = format!(
            "start-first with port {port} published in host mode: {tasks} {} on {n} eligible {} leave no node \
             without the port taken, so a new task cannot start beside the old one and the update waits forever \
             (\"host-mode port already in use on {n} node(s)\")",
            tasks_word(tasks),
            if n == 1 { "node" } else { "nodes" }
        );
        let hint = "use order: stop-first, publish in ingress mode, or run fewer replicas than nodes";
        return finding("start-first-host-port-deadlock", Severity::Warning, field, message, hint);
    }
    if tasks > n {
        let message = format!(
            "{tasks} replicas publish port {port} in host mode but only {n} eligible {} can hold it: {} {} stay pending",
            if n == 1 { "node" } else { "nodes" },
            tasks - n,
            tasks_word(tasks - n)
        );
        return finding(
            "host-port-over-capacity",
            Severity::Warning,
            field,
            message,
            "publish in ingress mode or add nodes",
        );
    }
    None
}

/// How many tasks reserving `r` fit on `node` alone, empty (swarmkit `ResourceFilter`: each
/// reservation must fit in what is left), at most `max_per_node` when that is set.
fn fit_on(node: &crate::model::cluster::NodeSpec, r: crate::model::spec::Resources, max_per_node: u64) -> u64 {
    let by = |cap: u64, each: u64| cap.checked_div(each).unwrap_or(u64::MAX);
    let fit = by(node.capacity.nano_cpus, r.nano_cpus).min(by(node.capacity.memory_bytes, r.memory_bytes));
    if max_per_node > 0 { fit.min(max_per_node) } else { fit }
}

/// Nodes of the cluster that can take the service's tasks: active, matching every constraint,
/// and not among `lost`.
fn eligible<'s>(c: &'s Ctx<'_>, lost: &'s [&str]) -> impl Iterator<Item = &'s crate::model::cluster::NodeSpec> {
    use crate::model::cluster::Availability;
    use crate::swarm::placement::{NodeView, constraint_matches};
    c.scenario.nodes.iter().filter(move |n| {
        let view = NodeView::declared(n);
        n.availability == Availability::Active
            && !n.down
            && !lost.contains(&n.name.as_str())
            && c.placement.constraints.iter().all(|k| constraint_matches(k, &view))
    })
}

fn reservation_text(r: crate::model::spec::Resources) -> String {
    let mut parts = Vec::new();
    if r.nano_cpus > 0 {
        parts.push(format!("{} CPUs", r.cpus_text()));
    }
    if r.memory_bytes > 0 {
        parts.push(crate::model::spec::format_bytes(r.memory_bytes));
    }
    parts.join(" and ")
}

/// Reservations the cluster cannot hold: tasks that never start, or a start-first surge with no
/// room (swarmkit's scheduler leaves the task PENDING, "insufficient resources", and the updater
/// waits on it with no timeout: the s23 recordings).
fn reservations_fit(c: &Ctx<'_>) -> Option<Finding> {
    let r = c.p.reservations;
    let ServiceMode::Replicated { replicas } = c.p.mode else { return None };
    if r.is_zero() {
        return None;
    }
    let nodes: Vec<_> = eligible(c, &[]).collect();
    let room: u64 = nodes.iter().map(|n| fit_on(n, r, c.p.max_replicas_per_node)).fold(0, u64::saturating_add);
    let field = c.p.field("deploy.resources.reservations");
    let what = reservation_text(r);
    let n = nodes.len();
    let where_ = format!("{n} eligible {}", if n == 1 { "node" } else { "nodes" });
    if replicas > room {
        let message = format!(
            "{replicas} replicas reserving {what} each: only {room} fit on the {where_} (counting this service \
             alone), so {} {} stay pending (\"no suitable node (insufficient resources on {n} {})\")",
            replicas - room,
            tasks_word(replicas - room),
            if n == 1 { "node" } else { "nodes" }
        );
        return finding(
            "reservation-over-capacity",
            Severity::Warning,
            field,
            message,
            "lower the reservation, run fewer replicas, or give the nodes more cpus/memory (x-simulation.cluster)",
        );
    }
    let u = &c.p.update;
    if u.order != UpdateOrder::StartFirst {
        return None;
    }
    let surge = if u.parallelism == 0 { replicas } else { u.parallelism.min(replicas) };
    let spare = room - replicas;
    if spare == 0 {
        let message = format!(
            "start-first with {replicas} replicas reserving {what} each: they fill the {where_} ({room} fit), so \
             a new task has no room beside the old ones; it stays PENDING (\"no suitable node (insufficient \
             resources on {n} {})\"), the old tasks keep running and the update stays updating forever",
            if n == 1 { "node" } else { "nodes" }
        );
        let hint = "use order: stop-first, lower the reservation, or add capacity for at least one more task";
        return finding("reservation-blocks-surge", Severity::Warning, field, message, hint);
    }
    if surge > spare {
        let message = format!(
            "start-first with parallelism {surge}: the {where_} have room for only {spare} more {} reserving \
             {what} beside the {replicas} running, so each batch starts {spare} new {} at once and the rest wait \
             PENDING for room",
            tasks_word(spare),
            tasks_word(spare)
        );
        let hint = format!("a parallelism of {spare} does the same without pending tasks");
        return finding("reservation-limits-surge", Severity::Note, field, message, &hint);
    }
    None
}

/// The scenario's own node loss (`node_down`, `daemon_kill`, `docker node update --availability
/// drain|pause`, `docker node rm`) leaving too few places for the replicas: the lost tasks are
/// replaced only where max_replicas_per_node and the reservations allow, the rest stay pending
/// until the nodes return.
fn capacity_after_node_loss(c: &Ctx<'_>) -> Option<Finding> {
    use crate::model::cluster::Availability;
    use crate::model::scenario::Action;
    let ServiceMode::Replicated { replicas } = c.p.mode else { return None };
    let (max, r) = (c.p.max_replicas_per_node, c.p.reservations);
    if max == 0 && r.is_zero() {
        return None;
    }
    let room = |lost: &[&str]| -> u64 {
        eligible(c, lost).map(|n| if r.is_zero() { max } else { fit_on(n, r, max) }).fold(0, u64::saturating_add)
    };
    if replicas > room(&[]) {
        return None; // Already short before any loss: other rules say so.
    }
    let mut lost: Vec<&str> = Vec::new();
    for timed in &c.scenario.timeline {
        match &timed.action {
            Action::NodeDown { node } | Action::DaemonKill { node } | Action::NodeRm { node, .. } => lost.push(node),
            Action::NodeAvailability { node, availability } if *availability != Availability::Active => lost.push(node),
            Action::NodeUp { node } | Action::DaemonStart { node } | Action::NodeAvailability { node, .. } => {
                lost.retain(|l| l != node)
            }
            _ => continue,
        }
        let left = room(&lost);
        if replicas > left {
            let limit = match (max > 0, !r.is_zero()) {
                (true, false) => format!("max_replicas_per_node {max}"),
                (false, _) => format!("reservations of {} each", reservation_text(r)),
                (true, true) => format!("max_replicas_per_node {max} and reservations of {} each", reservation_text(r)),
            };
            let message = format!(
                "after the timeline's {} at {} ({} of the cluster's nodes unavailable), {limit} leave room for \
             only {left} of the {replicas} replicas: {} {} stay pending until the nodes return",
                lost.join(", "),
                crate::time::SimDuration(timed.at.0),
                lost.len(),
                replicas - left,
                tasks_word(replicas - left)
            );
            let field = if max > 0 {
                c.p.field("deploy.placement.max_replicas_per_node")
            } else {
                c.p.field("deploy.resources.reservations")
            };
            let hint =
                "keep spare places for a lost node: raise max_replicas_per_node, lower the reservation, or add a node";
            return finding("capacity-after-node-loss", Severity::Warning, field, message, hint);
        }
    }
    None
}

/// §2.4/§1.7: a new task that keeps failing is restarted `max_attempts` times, then its slot is
/// left empty; with failure_action pause the update stops there and nothing replaces the slot
/// until the next change of the service's spec.
fn restart_attempts_pause(c: &Ctx<'_>) -> Option<Finding> {
    let (rp, u) = (&c.p.restart, &c.p.update);
    if rp.max_attempts == 0 || rp.condition == RestartCondition::None || u.failure_action != FailureAction::Pause {
        return None;
    }
    let window = if rp.window == SimDuration::ZERO { "ever".to_string() } else { format!("within {}", rp.window) };
    let message = format!(
        "restart_policy.max_attempts {} with update failure_action pause: a task that fails {} times {window} is not \
             restarted again, so its slot stays empty; the paused update does not replace it either, and the slot stays \
             dead until the next docker service update",
        rp.max_attempts, rp.max_attempts
    );
    let hint = "use failure_action: rollback (the rollback replaces the dead slots), or max_attempts: 0";
    finding(
        "restart-attempts-dead-slots",
        Severity::Warning,
        c.p.field("deploy.restart_policy.max_attempts"),
        message,
        hint,
    )
}

/// §2.4/§8.9: condition none also means no rescheduling after node loss or drain.
fn restart_none(c: &Ctx<'_>) -> Option<Finding> {
    if c.p.restart.condition != RestartCondition::None {
        return None;
    }
    let message = format!(
        "restart condition none: a task that fails, or is lost with its node or to a drain, is never replaced, so \
         the service can shrink from {} {} to 0 and stays there",
        c.tasks,
        tasks_word(c.tasks)
    );
    let hint = "use on-failure (with max_attempts if restarts must be bounded) or any";
    finding("restart-none", Severity::Warning, c.p.field("deploy.restart_policy.condition"), message, hint)
}

/// §4/§8.7: stop-first waits for the old task at most one minute.
fn grace_over_minute(c: &Ctx<'_>) -> Option<Finding> {
    let grace = c.p.stop_grace_period;
    if c.p.update.order != UpdateOrder::StopFirst || grace <= OLD_TASK_TIMEOUT {
        return None;
    }
    let overlap = SimDuration(grace.0 - OLD_TASK_TIMEOUT.0);
    let message = format!(
        "stop_grace_period {grace} with stop-first is not honoured: swarmkit starts the new task {OLD_TASK_TIMEOUT} \
         after telling the old one to stop, so old and new may run side by side for up to {overlap}"
    );
    let hint = "keep stop_grace_period at or under 1m, or expect the overlap (moby/moby#36111)";
    finding("grace-over-minute-stop-first", Severity::Warning, c.p.field("stop_grace_period"), message, hint)
}

/// §4: the agent passes `int(StopGracePeriod.Seconds)` to ContainerStop.
fn grace_truncated(c: &Ctx<'_>) -> Option<Finding> {
    let grace = c.p.stop_grace_period;
    let whole = SimDuration::from_secs(grace.0 / 1_000_000_000);
    if whole == grace {
        return None;
    }
    let field = c.p.field("stop_grace_period");
    if whole == SimDuration::ZERO {
        let message = format!(
            "stop_grace_period {grace} is truncated to whole seconds, 0s: every container gets SIGKILL right after \
             its stop signal, with no time to shut down"
        );
        return finding("grace-truncated", Severity::Warning, field, message, "use at least 1s");
    }
    let message = format!("stop_grace_period {grace} is truncated to whole seconds: containers get {whole}");
    finding("grace-truncated", Severity::Note, field, message, "write a whole number of seconds")
}

/// §1.5: the delay starts only once the worker's new task is RUNNING, so with one worker the
/// update is paced by start-up plus delay, not by the delay.
fn delay_shorter_than_start(c: &Ctx<'_>) -> Option<Finding> {
    let u = &c.p.update;
    // A zero delay sets no expectation of pace; a non-zero one is often read as one.
    if u.parallelism != 1 || c.tasks < 2 || u.delay == SimDuration::ZERO {
        return None;
    }
    let ready = health_ready(c)?;
    if u.delay >= ready.total() {
        return None;
    }
    let per_slot = ready.total().plus(u.delay);
    let message = format!(
        "delay {} is shorter than the time a new task of {} needs to be ready, {}; with parallelism 1 each delay \
         starts only once the previous new task is RUNNING, so updating {} tasks takes at least {} ({} × {per_slot}), \
         not {}",
        u.delay,
        c.p.rollout_image(),
        ready_text(&ready),
        c.tasks,
        per_slot.times(c.tasks),
        c.tasks,
        u.delay.times(c.tasks)
    );
    let hint = "raise parallelism to go faster; the delay is a soak time after each task is ready, not a pace";
    finding("delay-shorter-than-start", Severity::Note, c.p.field("deploy.update_config.delay"), message, hint)
}

/// §1.6/§8.3: the updater has no start-up timeout; a never-healthy task holds its worker until
/// the health monitor gives up on it.
fn never_healthy_stall(c: &Ctx<'_>) -> Option<Finding> {
    let h = c.p.health.as_ref()?;
    let fails = timing::never_healthy_fails_after(&h.resolved, c.probe)?;
    if fails < LONG_STALL {
        return None;
    }
    let r = &h.resolved;
    let message = format!(
        "a new task that never passes a probe stays STARTING, and the update waits for it, for {fails} after its \
         container starts before it is marked unhealthy (start_period {}, interval {}, timeout {}, retries {})",
        r.start_period, r.interval, r.timeout, r.retries
    );
    let hint = "shorter interval or fewer retries detect a broken version sooner";
    let field = match h.source {
        crate::check::policy::HealthSource::Service => c.p.field("healthcheck"),
        crate::check::policy::HealthSource::Image => format!("x-simulation.images.{}.healthcheck", c.p.rollout_image()),
    };
    finding("never-healthy-stall", Severity::Note, field, message, hint)
}

/// §3.1: start_interval came with API 1.44 / Engine 25; older engines drop it.
fn start_interval_ignored(c: &Ctx<'_>) -> Option<Finding> {
    let h = c.p.health.as_ref()?;
    let si = h.config.start_interval.filter(|d| *d > SimDuration::ZERO)?;
    if c.scenario.engine.supports_start_interval() {
        return None;
    }
    let message = format!(
        "start_interval {si} is ignored by Engine {} (it needs API 1.44, Engine 25): inside the start period probes \
         run every interval, {}",
        c.scenario.engine.as_str(),
        h.resolved.interval
    );
    let field = match h.source {
        crate::check::policy::HealthSource::Service => c.p.field("healthcheck.start_interval"),
        crate::check::policy::HealthSource::Image => format!("x-simulation.images.{}.healthcheck", c.p.rollout_image()),
    };
    finding("start-interval-ignored", Severity::Note, field, message, "remove it, or simulate engine: \"27\"")
}

//! The health-check rule of thumb, checked against moby's monitor (`daemon/health.go`:
//! `monitor`, `getInterval`, `handleProbeResult`) as [`crate::check::timing::health_timing`]
//! replays it, and whether the update's `monitor` is really enough.

use crate::check::policy::health;
use crate::check::timing::{HealthTiming, health_timing};
use crate::model::scenario::Scenario;
use crate::time::{SimDuration, SimTime};

use super::Explanation;

const HEALTH_RULE: &str = "moby daemon/health.go: monitor (first probe one interval after start, the next one \
                           interval after the previous ended), handleProbeResult (a failure is discounted only while \
                           starting and begun inside start_period; unhealthy after retries counted failures)";

/// One sentence per service with a health check (at t = 0): when a task that never answers is
/// marked unhealthy, why that is not `start_period + interval × retries`, and what that means
/// for the update's `monitor`.
pub(super) fn rules_of_thumb(scenario: &Scenario) -> Vec<Explanation> {
    let mut out = Vec::new();
    for spec in &scenario.services {
        let Some(h) = health(scenario, &spec.task.healthcheck, &spec.task.image) else { continue };
        let r = &h.resolved;
        let t = health_timing(r, h.probe);
        let (fails, hung) = (t.unhealthy_after(), t.unhealthy_after_hung());
        let compare = if fails == t.rule_of_thumb {
            "exactly".to_string()
        } else if fails < t.rule_of_thumb {
            format!("{}s sooner than", diff(t.rule_of_thumb, fails))
        } else {
            format!("{}s later than", diff(fails, t.rule_of_thumb))
        };
        let discounted = t.probes.iter().filter(|p| !p.counted).count();
        let text = format!(
            "Health check (interval {}, timeout {}, retries {}, start_period {}): a task whose probes never pass \
             is marked unhealthy {}s after its container starts — {compare} the rule of thumb start_period + \
             interval × retries = {}s. Docker runs the first probe one interval after start and each next one an \
             interval after the previous one ended, so every probe's duration ({} here) adds; {}. If every probe \
             hangs, each takes the full timeout: unhealthy at {}s.",
            r.interval,
            r.timeout,
            r.retries,
            r.start_period,
            fails.secs_ms(),
            t.rule_of_thumb.secs_ms(),
            h.probe,
            match discounted {
                _ if r.start_period == SimDuration::ZERO =>
                    "there is no start period: every failure counts".to_string(),
                0 => "no probe begins inside the start period, so every failure counts".to_string(),
                1 => "the one probe begun inside the start period is discounted".to_string(),
                n => format!("the {n} probes begun inside the start period are discounted"),
            } + if t.probes.iter().any(|p| p.start == r.start_period) {
                " (a probe that begins exactly at the end of the start period counts: moby compares with <)"
            } else {
                ""
            },
            hung.secs_ms(),
        );
        let evidence = vec![
            format!("probes begin at {} (each {})", HealthTiming::probe_list(&t.probes), h.probe),
            format!("hanging probes begin at {} (each {})", HealthTiming::probe_list(&t.hung), r.timeout),
        ];
        out.push(Explanation::new(SimTime::ZERO, &spec.name, "health", text, HEALTH_RULE).with(evidence));
        out.push(monitor_sentence(&spec.name, spec.update.monitor, &t));
    }
    out
}

/// Whether `monitor` catches an unhealthy task, said both ways it can fail.
fn monitor_sentence(service: &str, monitor: crate::time::SimDuration, t: &HealthTiming) -> Explanation {
    let before = "A task whose probes never pass never reaches RUNNING (with a health check Swarm reports \
                  RUNNING only once healthy), and the updater counts a failure before RUNNING whatever the \
                  monitor: for it, monitor does not matter.";
    let after = match t.after_running {
        Some(d) if d <= monitor => format!(
            " A task that passes its first probe (RUNNING) and then fails every probe is unhealthy {}s after \
             RUNNING: inside monitor {monitor}, so that failure counts.",
            d.secs_ms()
        ),
        Some(d) => format!(
            " A task that passes its first probe (RUNNING) and then fails every probe is unhealthy {}s after \
             RUNNING: after monitor {monitor}, so that failure is not counted — monitor must be at least {}s.",
            d.secs_ms(),
            d.secs_ms()
        ),
        None => String::new(),
    };
    Explanation::new(
        SimTime::ZERO,
        service,
        "health",
        format!("update_config.monitor {monitor}: {before}{after}"),
        "swarmkit updater.go: updateTask records a zero start time until the task is RUNNING; failureTriggersAction \
         counts a zero time always, else only within monitoringPeriod",
    )
}

/// `a - b` as seconds with milliseconds (`a >= b`).
fn diff(a: crate::time::SimDuration, b: crate::time::SimDuration) -> String {
    crate::time::SimDuration::from_nanos(a.as_nanos().saturating_sub(b.as_nanos())).secs_ms()
}

//! Tests of the lint rules: one per hazard, each asserting the number computed from the model
//! appears in the message.

use std::path::Path;

use crate::check::{Finding, Severity, check};
use crate::scenario::load_str_with_warnings;

/// The findings of the first service of `text`.
fn findings(text: &str) -> Vec<Finding> {
    let (scenario, _) = load_str_with_warnings(text, Path::new("lint.yml")).unwrap_or_else(|e| panic!("{e}"));
    check(&scenario).remove(0).findings
}

/// The one finding with `id`.
fn one(text: &str, id: &str) -> Finding {
    let all = findings(text);
    let hits: Vec<&Finding> = all.iter().filter(|f| f.id == id).collect();
    assert_eq!(hits.len(), 1, "want one {id} in {all:#?}");
    hits[0].clone()
}

fn none(text: &str, id: &str) {
    let all = findings(text);
    assert!(all.iter().all(|f| f.id != id), "unexpected {id} in {all:#?}");
}

fn assert_has(f: &Finding, needles: &[&str]) {
    for n in needles {
        assert!(f.message.contains(n), "{n:?} not in {:?}", f.message);
    }
}

/// The tutorial's stack-health.yml service with a configurable deploy block.
fn health_stack(deploy: &str) -> String {
    format!(
        "version: \"3.5\"\nservices:\n  web:\n    image: nginx:alpine\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-qO\", \"-\", \"http://localhost\"]\n      interval: 5s\n      timeout: 2s\n      retries: 3\n      start_period: 15s\n    deploy:\n{deploy}"
    )
}

#[test]
fn monitor_shorter_than_time_to_unhealthy() {
    // Engine 27: the first probe runs start_interval (5s) after start and passes (healthy at
    // 5.07s); later probes run every interval (5s) + 70ms and count at once, so the third failure
    // ends at 20.28s: 15.21s after RUNNING, against the default monitor of 5s.
    let f = one(&health_stack("      replicas: 2\n"), "monitor-misses-unhealthy");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.field, "services.web.deploy.update_config.monitor");
    assert_has(&f, &["monitor 5s", "15.21s", "interval 5s", "retries 3"]);
    assert!(f.hint.unwrap().contains("monitor: 16s"));
    none(&health_stack("      replicas: 2\n      update_config:\n        monitor: 16s\n"), "monitor-misses-unhealthy");
}

#[test]
fn rollback_without_health_check() {
    let text = "version: \"3.5\"\nservices:\n  web:\n    image: nginx:1.12-alpine\n    deploy:\n      replicas: 3\n      update_config:\n        failure_action: rollback\n        monitor: 10s\n";
    let f = one(text, "rollback-without-healthcheck");
    assert_has(&f, &["monitor 10s", "nginx:1.12-alpine"]);
    // An image HEALTHCHECK counts as a health check.
    let with_image_check = format!(
        "{text}x-simulation:\n  images:\n    nginx:1.12-alpine:\n      healthcheck: \"HEALTHCHECK --interval=2s CMD true\"\n"
    );
    none(&with_image_check, "rollback-without-healthcheck");
}

#[test]
fn failure_action_continue_rolls_out_everywhere() {
    let text = "services:\n  web:\n    image: a\n    deploy:\n      replicas: 4\n      update_config:\n        failure_action: continue\n";
    assert_has(&one(text, "failure-action-continue"), &["all 4 tasks"]);
}

#[test]
fn failure_ratio_that_cannot_be_exceeded() {
    let never = "services:\n  web:\n    image: a\n    deploy:\n      replicas: 5\n      update_config:\n        max_failure_ratio: 1\n";
    let f = one(never, "ratio-never-exceeded");
    assert_has(&f, &["5/5 = 1", "failures / 5 > 1"]);
    let every = never.replace("max_failure_ratio: 1", "max_failure_ratio: 0.9");
    let f = one(&every, "ratio-needs-every-task");
    assert_eq!(f.severity, Severity::Note);
    assert_has(&f, &["5 of 5"]);
    // 0.2 with 5 slots: the second failure triggers (1/5 is not > 0.2): no finding.
    none(&never.replace("max_failure_ratio: 1", "max_failure_ratio: 0.2"), "ratio-needs-every-task");
}

#[test]
fn stop_first_with_every_slot_at_once_is_an_outage() {
    let text = "services:\n  web:\n    image: a\n    deploy:\n      replicas: 3\n      update_config:\n        parallelism: 0\n";
    let f = one(text, "stop-first-full-outage");
    // The default image behaviour: 2s pull + 500ms start, no health check.
    assert_has(&f, &["parallelism 0 and 3 tasks", "2.5s (pull 2s + start 500ms + first healthy probe 0s)"]);
    let single = "services:\n  web:\n    image: a\n";
    assert_has(&one(single, "stop-first-full-outage"), &["parallelism 1 and 1 task"]);
    none(&text.replace("parallelism: 0", "parallelism: 2"), "stop-first-full-outage");
}

#[test]
fn start_first_at_max_replicas_per_node_deadlocks() {
    let text = "version: \"3.8\"\nservices:\n  web:\n    image: a\n    deploy:\n      replicas: 6\n      update_config:\n        order: start-first\n      placement:\n        max_replicas_per_node: 2\nx-simulation:\n  cluster:\n    nodes: 3\n";
    let f = one(text, "start-first-max-replicas-deadlock");
    assert_has(&f, &["6 replicas on 3 eligible nodes", "3 × 2 = 6"]);
    assert!(f.hint.unwrap().contains("to 3"));
    none(&text.replace("replicas: 6", "replicas: 5"), "start-first-max-replicas-deadlock");
}

#[test]
fn start_first_with_host_mode_port_deadlocks() {
    let text = "version: \"3.8\"\nservices:\n  web:\n    image: a\n    ports:\n      - target: 80\n        published: 8080\n        mode: host\n    deploy:\n      replicas: 3\n      update_config:\n        order: start-first\nx-simulation:\n  cluster:\n    nodes: 3\n";
    let f = one(text, "start-first-host-port-deadlock");
    assert_has(&f, &["port 8080", "3 tasks on 3 eligible nodes", "in use on 3 node(s)"]);
    let over = text.replace("replicas: 3", "replicas: 5").replace("order: start-first", "order: stop-first");
    assert_has(
        &one(&over, "host-port-over-capacity"),
        &["5 replicas", "only 3 eligible nodes", "2 tasks stay pending"],
    );
    // Ingress ports hold no node.
    none(&text.replace("mode: host", "mode: ingress"), "start-first-host-port-deadlock");
}

#[test]
fn restart_condition_none_never_reschedules() {
    let text = "services:\n  web:\n    image: a\n    deploy:\n      replicas: 4\n      restart_policy:\n        condition: none\n";
    assert_has(&one(text, "restart-none"), &["from 4 tasks to 0"]);
}

#[test]
fn grace_period_over_a_minute_with_stop_first() {
    let text = "services:\n  web:\n    image: a\n    stop_grace_period: 1m30s\n";
    assert_has(
        &one(text, "grace-over-minute-stop-first"),
        &["1m30s", "after telling the old one to stop", "up to 30s"],
    );
    none(
        &format!("{text}    deploy:\n      update_config:\n        order: start-first\n"),
        "grace-over-minute-stop-first",
    );
}

#[test]
fn grace_period_is_truncated_to_seconds() {
    let f = one("services:\n  web:\n    image: a\n    stop_grace_period: 500ms\n", "grace-truncated");
    assert_eq!(f.severity, Severity::Warning);
    assert_has(&f, &["500ms", "0s"]);
    let f = one("services:\n  web:\n    image: a\n    stop_grace_period: 1.5s\n", "grace-truncated");
    assert_eq!(f.severity, Severity::Note);
    assert_has(&f, &["1.5s", "containers get 1s"]);
}

#[test]
fn delay_shorter_than_start_time_with_parallelism_one() {
    let text = "services:\n  web:\n    image: a:2\n    deploy:\n      replicas: 4\n      update_config:\n        delay: 1s\nx-simulation:\n  images:\n    a:2: {pull: 3s, start: 500ms}\n";
    let f = one(text, "delay-shorter-than-start");
    assert_has(&f, &["delay 1s", "3.5s (pull 3s + start 500ms", "at least 18s (4 × 4.5s), not 4s"]);
    none(&text.replace("delay: 1s", "delay: 4s"), "delay-shorter-than-start");
}

#[test]
fn never_healthy_task_stalls_the_update() {
    // Docker's defaults (interval 30s, timeout 30s, retries 3): probes end at 30.07, 60.14 and
    // 90.21s, and the third failure makes the task unhealthy.
    let text = "services:\n  web:\n    image: a\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n";
    assert_has(&one(text, "never-healthy-stall"), &["for 1m30.21s", "interval 30s", "retries 3"]);
}

#[test]
fn start_interval_is_ignored_before_engine_25() {
    let text = "version: \"3.12\"\nservices:\n  web:\n    image: a\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 5s\n      start_period: 30s\n      start_interval: 1s\nx-simulation:\n  engine: \"20.10\"\n";
    assert_has(&one(text, "start-interval-ignored"), &["start_interval 1s", "Engine 20.10", "every interval, 5s"]);
    none(&text.replace("\"20.10\"", "\"27\""), "start-interval-ignored");
}

#[test]
fn monitor_zero_is_a_loader_warning_naming_five_seconds() {
    let text = "services:\n  web:\n    image: a\n    deploy:\n      update_config:\n        monitor: 0s\n";
    let (_, warnings) = load_str_with_warnings(text, Path::new("m.yml")).unwrap();
    assert!(warnings.iter().any(|w| w.contains("monitor 0s means 5s")), "{warnings:?}");
}

#[test]
fn clean_policy_has_no_findings() {
    let text = "services:\n  web:\n    image: a\n    deploy:\n      replicas: 4\n      update_config:\n        parallelism: 2\n";
    assert_eq!(findings(text), Vec::new());
}

//! The classic zero-downtime lessons, end to end on the bundled scenarios/traffic/ files: one
//! replica with stop-first has an outage and start-first has none; an image that ignores SIGTERM
//! drops in-flight requests while another replica serves, and a draining image drops none.

use crate::common;

use std::process::Command;

use crate::common::simulate_file;
use deploysim::model::record::RunRecord;
use deploysim::model::traffic::{RequestSeries, ServingEnd};
use deploysim::report::availability;
use deploysim::time::SimDuration;

fn run(name: &str) -> RunRecord {
    let path = common::scenarios_dir().join("traffic").join(format!("{name}.yml"));
    simulate_file(&path, None).unwrap_or_else(|e| panic!("{name} does not load: {e:#}"))
}

fn requests<'r>(run: &'r RunRecord, service: &str) -> &'r RequestSeries {
    run.requests.iter().find(|r| r.service == service).expect("the service has traffic")
}

#[test]
fn one_replica_stop_first_has_an_outage_of_stop_start_and_first_probe() {
    let run = run("stop-first-outage");
    let r = requests(&run, "shop_web");
    assert!(r.failed() > 0, "stop-first with 1 replica must fail requests");
    // The outage is exactly the gap between the old task leaving the mesh and the new one
    // passing its first probe...
    let spans: Vec<_> = run.serving.iter().collect();
    let (old, new) = (&spans[0], &spans[1]);
    assert_eq!(old.ended_by, Some(ServingEnd::Unbound));
    let gap = new.start.since(old.end.expect("the old task stopped serving"));
    assert_eq!(r.longest_outage, gap);
    assert_eq!(r.longest_outage_at, old.end);
    // ...which is the 500 ms start plus the 2 s probe interval, plus the stop (50 ms) and the
    // control plane's reports and dispatches between them (well under a second).
    let start_and_probe = SimDuration::from_millis(2_500);
    assert!(gap > start_and_probe && gap < start_and_probe.plus(SimDuration::from_secs(1)), "outage {gap}");
    // 100 rps: about 100 requests are lost per second of outage (± rounding at both ends).
    let lost_in_outage = gap.as_nanos() / 10_000_000;
    assert!(r.failed().abs_diff(lost_in_outage) <= 1, "{} failed, outage {gap}", r.failed());
}

#[test]
fn one_replica_start_first_loses_nothing() {
    let run = run("start-first");
    let r = requests(&run, "shop_web");
    assert!(r.total() > 3_000);
    assert_eq!(r.failed(), 0);
    assert_eq!(r.longest_outage, SimDuration::ZERO);
}

#[test]
fn an_image_that_ignores_sigterm_drops_in_flight_requests_while_another_replica_serves() {
    let run = run("ignore-sigterm");
    let r = requests(&run, "shop_api");
    // A replica served all along: there was never an outage...
    assert!(availability(&run, "shop_api").min_serving >= 1);
    assert_eq!(r.longest_outage, SimDuration::ZERO);
    // ...but each old task was killed 10 s after SIGTERM with the 15 s requests of its last
    // 5 s still running: 10 rps × 5 s = 50 per task, 2 tasks.
    let killed: Vec<_> = run.serving.iter().filter(|s| s.ended_by == Some(ServingEnd::Unbound)).collect();
    assert_eq!(killed.len(), 2);
    for span in killed {
        assert_eq!(span.cut.unwrap().since(span.end.unwrap()), SimDuration::from_secs(10));
    }
    assert_eq!(r.failed(), 100);
}

#[test]
fn a_draining_image_loses_nothing() {
    let run = run("graceful-drain");
    let r = requests(&run, "shop_api");
    assert!(r.total() > 10_000);
    assert_eq!(r.failed(), 0);
    // The old tasks exited 100 ms after SIGTERM, after their 50 ms requests.
    let drained = run.serving.iter().filter(|s| s.ended_by == Some(ServingEnd::Unbound));
    assert!(drained.map(|s| s.cut.unwrap().since(s.end.unwrap())).all(|d| d == SimDuration::from_millis(100)));
}

#[test]
fn run_writes_requests_csv_and_the_summary_and_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = common::scenarios_dir().join("traffic").join("stop-first-outage.yml");
    let out = Command::new(env!("CARGO_BIN_EXE_deploysim"))
        .args(["run", scenario.to_str().unwrap(), "--out", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("shop_web requests: zero downtime: no — "), "{stdout}");
    let csv = std::fs::read_to_string(dir.path().join("requests.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("t_s,service,ok,failed"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 4 && r[0].ends_with(".000") && r[1] == "shop_web"));
    let failed: u64 = rows.iter().map(|r| r[3].parse::<u64>().unwrap()).sum();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap()).unwrap();
    let req = &summary["services"]["shop_web"]["requests"];
    assert_eq!(req["failed"].as_u64(), Some(failed));
    assert!(req["total"].as_u64().unwrap() > failed);
    assert!(req["failed_ratio"].as_f64().unwrap() > 0.0);
    assert!(req["longest_outage_s"].as_f64().unwrap() > 2.5);
}

#[test]
fn a_run_without_traffic_writes_no_requests_csv_and_no_requests_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requests.csv"), "stale").unwrap();
    let scenario = common::scenarios_dir().join("rolling-update.yml");
    let out = Command::new(env!("CARGO_BIN_EXE_deploysim"))
        .args(["run", "-q", scenario.to_str().unwrap(), "--out", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!dir.path().join("requests.csv").exists(), "a stale requests.csv must be removed");
    let summary = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    assert!(!summary.contains("\"requests\""));
}

//! `deploysim test` through the binary: exit codes 0 (all hold), 1 (one fails), 2 (bad input),
//! 3 (an I/O failure; those of the other commands too), the reproduce command, JUnit and JSON
//! output, and the shipped scenarios' expectations.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn deploysim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).current_dir(dir).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A one-replica stop-first update (an outage while the new task starts) with `expect`.
fn scenario(expect: &str) -> String {
    format!(
        "services:
  web:
    image: app:1
x-simulation:
  stack: s
  until: 2m
  images:
    app:2: {{cached: true}}
  timeline:
    - at: 10s
      run: docker service update --image app:2 s_web
  expect:
{expect}"
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write scenario");
}

#[test]
fn all_pass_exits_0() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "ok.yml", &scenario("    - update_state: completed\n    - seconds_none_serving: \"> 0s\"\n"));
    write(tmp.path(), "plain.yml", "services:\n  web:\n    image: app:1\n");
    let out = deploysim(tmp.path(), &["test", "."]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("PASS ./ok.yml ("), "{text}");
    assert!(text.contains("1 scenarios tested: 1 passed, 0 failed (1 files without expect skipped)"), "{text}");
}

#[test]
fn a_failure_exits_1_with_reproduce_command_and_junit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "a.yml", &scenario("    - update_state: completed\n"));
    write(tmp.path(), "b.yml", &scenario("    - seconds_none_serving: \"== 0s\"\n"));
    let out = deploysim(tmp.path(), &["test", "b.yml", "a.yml", "--junit", "report.xml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // Sorted by path, whatever the order given or the order they finished in.
    let (a, b) = (text.find("PASS a.yml").expect("a"), text.find("FAIL b.yml").expect("b"));
    assert!(a < b, "{text}");
    assert!(text.contains("expected: seconds_none_serving == 0s"), "{text}");
    assert!(text.contains("reproduce: deploysim run b.yml --seed 1"), "{text}");
    let xml = std::fs::read_to_string(tmp.path().join("report.xml")).expect("junit written");
    assert!(xml.contains("<testsuite name=\"b.yml\" tests=\"1\" failures=\"1\" errors=\"0\">"), "{xml}");
    let json = stdout(&deploysim(tmp.path(), &["test", "a.yml", "b.yml", "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json output");
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["scenarios"][1]["assertions"][0]["reproduce"], "deploysim run b.yml --seed 1");
}

#[test]
fn bad_input_exits_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "bad.yml", &scenario("    - min_serving: \"=> 1\"\n"));
    write(tmp.path(), "plain.yml", "services:\n  web:\n    image: app:1\n");
    let out = deploysim(tmp.path(), &["test", "bad.yml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("ERROR bad.yml") && text.contains("did you mean \">=\"?"), "{text}");
    assert_eq!(deploysim(tmp.path(), &["test", "missing/"]).status.code(), Some(2));
    // Nothing to test is bad input too: a CI job must not pass by testing nothing.
    assert_eq!(deploysim(tmp.path(), &["test", "plain.yml"]).status.code(), Some(2));
}

#[test]
fn shipped_scenarios_meet_their_expectations() {
    let out = deploysim(&common::repo_root(), &["test"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let lessons = ["lessons/rolling.yml", "lessons/health-gating.yml", "lessons/stop-first-outage.yml"];
    let more_lessons = ["lessons/rollback.yml", "lessons/secrets.yml", "lessons/blue-green.yml", "lessons/canary.yml"];
    let shipped = ["rollback.yml", "rolling-update.yml", "stack-health.yml", "secrets.yml", "traffic/start-first.yml"];
    for name in shipped.into_iter().chain(lessons).chain(more_lessons) {
        assert!(text.contains(&format!("PASS scenarios/{name}")), "{name}: {text}");
    }
}

#[test]
fn io_failures_exit_3_and_missing_files_named_on_the_command_line_exit_2() {
    // The README's exit codes, the same for every command: an I/O failure is not "the check
    // failed" (1) nor bad input (2).
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "ok.yml", &scenario("    - update_state: completed\n"));
    write(tmp.path(), "file", "not a folder");
    let junit = deploysim(tmp.path(), &["test", "ok.yml", "--junit", "file/junit.xml"]);
    assert_eq!(junit.status.code(), Some(3), "{}", stdout(&junit));
    let stderr = String::from_utf8_lossy(&junit.stderr);
    assert!(stderr.starts_with("error: could not write 'file/junit.xml': "), "{stderr}");
    let run = deploysim(tmp.path(), &["run", "ok.yml", "--quiet", "--out", "file/report"]);
    assert_eq!(run.status.code(), Some(3));
    assert_eq!(deploysim(tmp.path(), &["plot", "nowhere/timeline.csv"]).status.code(), Some(2));
    assert_eq!(deploysim(tmp.path(), &["sweep", "nowhere.yml"]).status.code(), Some(2));
}

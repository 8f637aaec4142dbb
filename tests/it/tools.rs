//! The trace recorders (tools/record-swarm-trace, tools/swarm-lab/record.py; Python) have their
//! own unit tests; run them with the rest, so `cargo test` covers everything the repository ships.

#[test]
fn recorder_unit_tests_pass() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("python3")
        .arg("tools/test_record_swarm_trace.py")
        .current_dir(root)
        .output()
        .expect("python3 is needed to test tools/record-swarm-trace");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "recorder tests failed:\n{stderr}");
    assert!(stderr.contains("OK"), "unittest did not report OK:\n{stderr}");
}

/// The research recorder (tools/swarm-lab/record.py) merges the container events its `docker events`
/// stream lost back in from `docker inspect` (2026-12-07n); that merge has Docker-free unit tests.
#[test]
fn swarm_lab_recorder_unit_tests_pass() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("python3")
        .arg("tools/swarm-lab/test_record.py")
        .current_dir(root)
        .output()
        .expect("python3 is needed to test tools/swarm-lab/record.py");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "swarm-lab recorder tests failed:\n{stderr}");
    assert!(stderr.contains("OK"), "unittest did not report OK:\n{stderr}");
}

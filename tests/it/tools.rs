//! The trace recorder (tools/record-swarm-trace, Python) has its own unit tests; run them with
//! the rest, so `cargo test` covers everything the repository ships.

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

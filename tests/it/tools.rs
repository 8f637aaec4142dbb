//! The repository's Python tools (the trace recorders tools/record-swarm-trace and
//! tools/swarm-lab/record.py, the importer tools/import-fidelity-traces) have their own unit
//! tests; run them with the rest, so `cargo test` covers everything the repository ships.

/// Runs one unittest script from the crate root and asserts it passed.
fn python_unit_tests_pass(script: &str) {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("python3")
        .arg(script)
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed to run {script}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed:\n{stderr}");
    assert!(stderr.contains("OK"), "{script}: unittest did not report OK:\n{stderr}");
}

#[test]
fn recorder_unit_tests_pass() {
    python_unit_tests_pass("tools/test_record_swarm_trace.py");
}

/// The research recorder (tools/swarm-lab/record.py) merges the container events its `docker events`
/// stream lost back in from `docker inspect` (2026-12-07n); that merge has Docker-free unit tests.
#[test]
fn swarm_lab_recorder_unit_tests_pass() {
    python_unit_tests_pass("tools/swarm-lab/test_record.py");
}

/// The importer refuses to overwrite a trace repaired after its import (2026-12-07n/o repairs).
#[test]
fn trace_importer_unit_tests_pass() {
    python_unit_tests_pass("tools/test_import_fidelity_traces.py");
}

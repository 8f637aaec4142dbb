//! `deploysim run` writes index.html: one self-contained page with the story, the plots inline,
//! the UpdateStatus changes and the events.

#[test]
fn run_writes_a_self_contained_page() {
    let out = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_deploysim"))
        .args(["run", "-q", "scenarios/rollback.yml", "--out"])
        .arg(out.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run deploysim");
    assert!(status.success());
    let page = std::fs::read_to_string(out.path().join("index.html")).expect("index.html written");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg"), "the plot is inline");
    assert!(page.contains("update rolled back due to failure or early termination of task"));
    assert!(page.contains("docker service update --image nginx:1.13-alpine web_web"));
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "nothing to fetch");
}

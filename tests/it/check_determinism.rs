//! `deploysim run --check-determinism` through the binary: identical runs exit 0 and say what
//! was compared, nothing is written, and bad input is told apart (exit 2). The first-difference
//! finder itself is unit-tested beside it (src/commands/run.rs), since a real divergence
//! cannot be provoked from outside.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn check(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["run", "--check-determinism"];
    all.extend(args);
    Command::new(env!("CARGO_BIN_EXE_deploysim")).current_dir(dir).args(all).output().expect("the binary runs")
}

#[test]
fn identical_runs_pass_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // Plain, with traffic (requests.csv), with secrets (mounts.csv) and with a canary; the
    // seed is the scenario's unless --seed gives one.
    let scenarios = [
        ("rolling-update.yml", Some("9"), "two runs of rolling-update with seed 9 wrote"),
        ("traffic/graceful-drain.yml", None, "two runs of graceful-drain with seed 1 wrote"),
        ("secrets.yml", Some("3"), " with seed 3 wrote"),
        ("strategies/good-canary.yml", None, " wrote"),
    ];
    for (file, seed, says) in scenarios {
        let path = common::scenarios_dir().join(file);
        let mut args = vec![path.to_str().unwrap()];
        if let Some(seed) = seed {
            args.extend(["--seed", seed]);
        }
        let out = check(tmp.path(), &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{file}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.starts_with("deterministic: two runs of "), "{file}: {stdout}");
        assert!(stdout.contains(says), "{file}: {stdout}");
        assert!(stdout.contains(" outputs, ") && stdout.ends_with(" bytes, byte for byte\n"), "{file}: {stdout}");
    }
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "--check-determinism writes no report: {left:?}");
}

#[test]
fn bad_input_is_not_a_divergence() {
    let tmp = tempfile::tempdir().unwrap();
    let out = check(tmp.path(), &["missing.yml"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    // It compares outputs, it does not write them: --out makes no sense with it.
    let scenario = common::scenarios_dir().join("rolling-update.yml");
    let out = check(tmp.path(), &[scenario.to_str().unwrap(), "--out", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

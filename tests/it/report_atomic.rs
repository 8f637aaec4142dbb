//! A report folder is always one whole run: `deploysim run` killed while writing a large report
//! — at each step of the write through a debug-build crash hook, and at moments spread over a
//! run with `kill -9` — leaves the previous report or the new one (or, in the two-rename
//! window, the previous one at the aside path), byte for byte one run's files, and the next run
//! recovers the leftovers.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The tutorial scaled up so its report is ~5 MB (events.csv, index.html) and a debug run
/// takes a second or so: long enough to kill it while it writes.
fn big_scenario(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(common::scenarios_dir().join("rolling-update.yml")).unwrap();
    let big = text
        .replace("replicas: 10\n", "replicas: 2000\n")
        .replace("parallelism: 2\n", "parallelism: 200\n")
        .replace("nodes: 3 ", "nodes: 50 ");
    assert_ne!(text, big, "the tutorial changed: scale it up another way");
    let path = dir.join("big.yml");
    std::fs::write(&path, big).unwrap();
    path
}

fn run(dir: &Path, seed: u64, out: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deploysim"));
    cmd.current_dir(dir).args(["run", "big.yml", "--quiet", "--seed", &seed.to_string(), "--out", out]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

/// Every entry of `dir` with its bytes, sorted (folders would fail the read: a report has none).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    out.sort();
    out
}

/// The reference reports of seeds 1 and 2, and their summary.json's seed.
struct Refs(Vec<(String, Vec<u8>)>, Vec<(String, Vec<u8>)>);

impl Refs {
    fn make(dir: &Path) -> Refs {
        for (seed, out) in [(1, "ref-1"), (2, "ref-2")] {
            assert!(run(dir, seed, out).status().unwrap().success());
        }
        let refs = Refs(files(&dir.join("ref-1")), files(&dir.join("ref-2")));
        assert_ne!(refs.0, refs.1, "two seeds must give two distinguishable reports");
        let summary = |set: &[(String, Vec<u8>)]| {
            String::from_utf8(set.iter().find(|(n, _)| n == "summary.json").unwrap().1.clone()).unwrap()
        };
        assert!(summary(&refs.0).contains("\"seed\": 1,") && summary(&refs.1).contains("\"seed\": 2,"));
        let size: usize = refs.0.iter().map(|(_, b)| b.len()).sum();
        assert!(size > 3_000_000, "the report should be large, is {size} bytes");
        refs
    }

    /// Which seed's whole report `dir` holds; panics (naming the files) when it is neither.
    fn which(&self, dir: &Path, when: &str) -> u64 {
        let got = files(dir);
        if got == self.0 {
            1
        } else if got == self.1 {
            2
        } else {
            let mixed: Vec<String> = got
                .iter()
                .map(|(n, b)| {
                    let of = |set: &[(String, Vec<u8>)]| set.iter().any(|(m, c)| m == n && c == b);
                    format!(
                        "{n}: {}",
                        if of(&self.0) {
                            "seed 1"
                        } else if of(&self.1) {
                            "seed 2"
                        } else {
                            "neither"
                        }
                    )
                })
                .collect();
            panic!("{when}: {} is not one whole run: {mixed:?}", dir.display())
        }
    }
}

/// The hidden leftovers of killed writes of `out` in `dir`.
fn leftovers(dir: &Path, out: &str) -> Vec<String> {
    names(dir).into_iter().filter(|n| n.starts_with(&format!(".{out}."))).collect()
}

/// What a killed run left: the seed of the whole report at `out`, or — killed between the two
/// renames — of the one at the aside path.
fn state_after_kill(dir: &Path, refs: &Refs, when: &str) -> u64 {
    let target = dir.join("out");
    if target.exists() {
        return refs.which(&target, when);
    }
    let aside: Vec<String> = leftovers(dir, "out").into_iter().filter(|n| n.starts_with(".out.old-")).collect();
    assert_eq!(aside.len(), 1, "{when}: no report at the target, so exactly one aside: {:?}", names(dir));
    refs.which(&dir.join(&aside[0]), when)
}

/// A copy of a report folder (used by the crash-hook test, which exists in debug builds only).
#[cfg(debug_assertions)]
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for (name, bytes) in files(from) {
        std::fs::write(to.join(name), bytes).unwrap();
    }
}

#[cfg(debug_assertions)]
#[test]
fn a_run_crashed_at_each_step_of_the_write_leaves_one_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    big_scenario(dir);
    let refs = Refs::make(dir);
    // (crash point, the seed whose report is whole afterwards, whether it is at the target)
    let points = [
        ("written-1", 1, true),
        ("written-3", 1, true),
        ("written-6", 1, true),
        ("staged", 1, true),
        ("aside", 1, false),
        ("swapped", 2, true),
    ];
    for (point, seed, at_target) in points {
        let target = dir.join("out");
        if target.exists() {
            std::fs::remove_dir_all(&target).unwrap();
        }
        copy_dir(&dir.join("ref-1"), &target);
        let status = run(dir, 2, "out").env("DEPLOYSIM_TEST_CRASH_AT", point).status().unwrap();
        assert!(!status.success(), "{point}: the hook should have aborted the run");
        assert_eq!(state_after_kill(dir, &refs, point), seed, "{point}");
        assert_eq!(target.exists(), at_target, "{point}: {:?}", names(dir));
        assert!(!leftovers(dir, "out").is_empty(), "{point}: a crash leaves its staging or aside folder");
        // The next run recovers: the aside comes back first (so the folder is never lost),
        // then the new report replaces it and nothing hidden is left.
        assert!(run(dir, 1, "out").status().unwrap().success(), "{point}");
        assert_eq!(refs.which(&target, point), 1);
        assert_eq!(leftovers(dir, "out"), Vec::<String>::new(), "{point}");
    }
    assert_eq!(names(dir), ["big.yml", "out", "ref-1", "ref-2"]);
}

#[test]
#[allow(clippy::disallowed_methods)] // wall time only chooses when to kill
fn a_run_killed_at_any_moment_leaves_one_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    big_scenario(dir);
    let refs = Refs::make(dir);
    // How long a whole run takes here, to spread the kills over it (writing is at the end).
    let started = Instant::now();
    assert!(run(dir, 1, "out").status().unwrap().success());
    let whole = started.elapsed();
    let mut seed = 2;
    for percent in [40, 70, 85, 92, 96, 98, 100, 103] {
        let mut child = run(dir, seed, "out").spawn().unwrap();
        std::thread::sleep(whole * percent / 100);
        // kill -9: nothing of ours runs after it.
        let _ = child.kill();
        let status = child.wait().unwrap();
        let when = format!("killed at {percent}% of a run ({status})");
        let left = state_after_kill(dir, &refs, &when);
        if status.success() {
            assert_eq!(left, seed, "{when}: a run that finished left its own report");
        }
        seed = 3 - seed;
    }
    // Whatever the kills left, a run after them recovers and writes its report alone.
    assert!(run(dir, 2, "out").status().unwrap().success());
    assert_eq!(refs.which(&dir.join("out"), "after the kills"), 2);
    assert_eq!(leftovers(dir, "out"), Vec::<String>::new());
}

#[test]
fn run_refuses_an_out_folder_holding_other_files_and_leaves_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mine = dir.join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
    std::fs::write(mine.join("summary.json"), "an old report's").unwrap();
    let scenario = common::scenarios_dir().join("rolling-update.yml");
    let out = Command::new(env!("CARGO_BIN_EXE_deploysim"))
        .current_dir(dir)
        .args(["run", scenario.to_str().unwrap(), "--quiet", "--out", "mine"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("'mine' holds files deploysim did not write (notes.txt)"), "{stderr}");
    assert!(stderr.contains("hint: give --out a new or empty folder"), "{stderr}");
    assert_eq!(names(&mine), ["notes.txt", "summary.json"]);
    assert_eq!(std::fs::read_to_string(mine.join("summary.json")).unwrap(), "an old report's");
    assert_eq!(names(dir), ["mine"], "nothing staged beside it");
}

#[test]
fn compare_strategies_replaces_its_own_plots_but_never_a_users_image() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scenario = common::scenarios_dir().join("strategies/good-canary.yml");
    let compare = || {
        Command::new(env!("CARGO_BIN_EXE_deploysim"))
            .current_dir(dir)
            .args(["compare-strategies", scenario.to_str().unwrap(), "--quiet", "--out", "cs"])
            .output()
            .unwrap()
    };
    assert!(compare().status.success());
    let first = names(&dir.join("cs"));
    assert!(first.contains(&"strategies.csv".to_string()) && first.len() > 1, "{first:?}");
    // Again over its own earlier report: replaced whole, nothing hidden left.
    assert!(compare().status.success());
    assert_eq!(names(&dir.join("cs")), first);
    assert_eq!(names(dir), ["cs"]);
    // An image the comparison did not draw is the user's: refused, kept.
    std::fs::write(dir.join("cs/logo.png"), "mine").unwrap();
    let out = compare();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(logo.png)"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("cs/logo.png")).unwrap(), "mine");
}

#[cfg(unix)]
#[test]
fn a_write_that_fails_midway_is_an_io_error_and_publishes_nothing() {
    // A file-size limit (as a full disk would) stops events.csv, written on its own thread
    // while the plots are drawn, partway: the run exits 3 with the system's words, the previous
    // report stays whole, and no staging folder is left behind.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    big_scenario(dir);
    assert!(run(dir, 1, "out").status().unwrap().success());
    let before = files(&dir.join("out"));
    let bin = env!("CARGO_BIN_EXE_deploysim");
    let limited = Command::new("sh")
        .current_dir(dir)
        .args(["-c", &format!("trap '' XFSZ; ulimit -f 64; exec '{bin}' run big.yml --quiet --seed 2 --out out")])
        .output()
        .unwrap();
    assert_eq!(limited.status.code(), Some(3), "{}", String::from_utf8_lossy(&limited.stderr));
    let stderr = String::from_utf8_lossy(&limited.stderr);
    assert!(stderr.contains("could not write the report to 'out'") && stderr.contains("File too large"), "{stderr}");
    assert_eq!(files(&dir.join("out")), before, "the previous report is left as it was");
    assert_eq!(names(dir), ["big.yml", "out"], "no staging folder left behind");
}

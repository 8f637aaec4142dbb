//! `deploysim sweep --shard I/N` and `deploysim merge` through the binary: the merged files and
//! recommendation are byte for byte those of the whole sweep, whatever the order the shards are
//! given in, and shards that do not make up one sweep (or were edited) are refused (exit 1)
//! with a reason; a file that is not a readable shard is bad input (exit 2).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn deploysim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploysim")).current_dir(dir).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The tutorial scenario copied into `dir` (so its name, and the default folders, are known).
fn tutorial(dir: &Path) -> PathBuf {
    let path = dir.join("rolling-update.yml");
    std::fs::copy(common::scenarios_dir().join("rolling-update.yml"), &path).expect("copy scenario");
    path
}

const SETS: [&str; 4] = [
    "--set",
    "services.web.deploy.update_config.parallelism=1,2,5",
    "--set",
    "services.web.deploy.update_config.delay=0s,10s",
];

fn sweep(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sweep", "rolling-update.yml", "--seeds", "5"];
    args.extend(SETS);
    args.extend(extra);
    deploysim(dir, &args)
}

/// Every file of `dir` with its bytes, sorted by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("report folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

/// stdout without the last line (`report: DIR`, which names the folder).
fn story(o: &Output) -> String {
    let text = stdout(o);
    text.lines().filter(|l| !l.starts_with("report: ")).collect::<Vec<_>>().join("\n")
}

#[test]
fn merged_shards_are_byte_identical_to_the_whole_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    tutorial(dir);
    let whole = sweep(dir, &["--out", "whole"]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    // 6 policies × 5 seeds = 30 runs in 4 shards: 8, 8, 7, 7 runs.
    for i in 1..=4 {
        let shard = format!("{i}/4");
        let out = sweep(dir, &["--shard", &shard, "--threads", "1"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let expected_runs = if i <= 2 { 8 } else { 7 };
        assert!(
            stdout(&out).contains(&format!("sweep shard {i}/4: {expected_runs} of the 30 runs")),
            "{}",
            stdout(&out)
        );
        let written = dir.join(format!("reports/rolling-update-sweep/shard-{i}-of-4/shard.json"));
        assert!(written.is_file(), "{}", stdout(&out));
    }
    // Given out of order, as folders and as a file.
    let merged = deploysim(
        dir,
        &[
            "merge",
            "reports/rolling-update-sweep/shard-3-of-4",
            "reports/rolling-update-sweep/shard-1-of-4/shard.json",
            "reports/rolling-update-sweep/shard-4-of-4",
            "reports/rolling-update-sweep/shard-2-of-4",
        ],
    );
    assert!(merged.status.success(), "{}", stderr(&merged));
    let want = files(&dir.join("whole"));
    let got = files(&dir.join("reports/rolling-update-sweep"));
    assert_eq!(
        want.iter().map(|f| &f.0).collect::<Vec<_>>(),
        ["heatmap.png", "heatmap.svg", "pareto.png", "pareto.svg", "runs.csv", "sweep.csv"]
    );
    for ((name, a), (_, b)) in want.iter().zip(&got) {
        assert!(a == b, "{name} differs between the whole sweep and the merged shards");
    }
    assert_eq!(want.len(), got.len());
    assert_eq!(story(&whole), story(&merged));
    // The merged report replaced the folder whole, but kept the shards that live in it.
    for i in 1..=4 {
        let kept = dir.join(format!("reports/rolling-update-sweep/shard-{i}-of-4/shard.json"));
        assert!(kept.is_file(), "shard {i} was not kept across the report's swap");
    }
    assert!(story(&merged).contains("recommended: policy"), "{}", stdout(&merged));
}

#[test]
fn shards_that_are_not_one_sweep_are_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scenario = tutorial(dir);
    for i in 1..=3 {
        let out = sweep(dir, &["--shard", &format!("{i}/3"), "--out", &format!("s{i}")]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // Shards that are not together one whole sweep are refused (exit 1, what merge checks
    // failed); a file that is not a readable shard is bad input (exit 2).
    let failed = |args: &[&str], needle: &str, code: i32| {
        let mut all = vec!["merge"];
        all.extend(args);
        let out = deploysim(dir, &all);
        assert_eq!(out.status.code(), Some(code), "{all:?}: {}", stdout(&out));
        assert!(stderr(&out).contains(needle), "{all:?}: {}", stderr(&out));
    };
    let refused = |args: &[&str], needle: &str| failed(args, needle, 1);
    let unreadable = |args: &[&str], needle: &str| failed(args, needle, 2);
    refused(&["s1", "s3"], "missing shard 2/3 of the 3");
    refused(&["s1", "s2", "s2", "s3"], "shard 2/3 given twice");
    unreadable(&["s1", "s2", "nowhere"], "nowhere: no such file");

    // Another split of the same sweep.
    let out = sweep(dir, &["--shard", "1/2", "--out", "half"]);
    assert!(out.status.success());
    refused(&["s1", "s2", "half"], "every shard must come from the same --shard I/N split");

    // Other values, other seeds, and an edited scenario file.
    let out = deploysim(dir, &["sweep", "rolling-update.yml", "--seeds", "5", "--shard", "3/3", "--out", "unset"]);
    assert!(out.status.success());
    refused(&["s1", "s2", "unset"], "--set differs");
    let mut args = vec!["sweep", "rolling-update.yml", "--seeds", "4", "--shard", "3/3", "--out", "seeds4"];
    args.extend(SETS);
    assert!(deploysim(dir, &args).status.success());
    refused(&["s1", "s2", "seeds4"], "--seeds differs");
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(&scenario, text.replace("delay: 10s", "delay: 11s")).unwrap();
    let out = sweep(dir, &["--shard", "3/3", "--out", "edited"]);
    assert!(out.status.success());
    refused(&["s1", "s2", "edited"], "the scenario file's content differs");

    // An edited shard: one figure changed — refused (exit 1), naming the file; once restored,
    // the same shards merge as before.
    let path = dir.join("s2/shard.json");
    let original = std::fs::read_to_string(&path).unwrap();
    let at = original.find("\"duration_ns\":").unwrap();
    let (_, tail) = original[at..].split_once(',').unwrap();
    let edited = format!("{}\"duration_ns\":1,{tail}", &original[..at]);
    assert_ne!(edited, original);
    std::fs::write(&path, edited).unwrap();
    refused(
        &["s1", "s2", "s3"],
        &format!("{}: edited after `deploysim sweep --shard` wrote it", Path::new("s2").join("shard.json").display()),
    );
    std::fs::write(&path, &original).unwrap();
    let merged = deploysim(dir, &["merge", "s1", "s2", "s3", "--out", "merged"]);
    assert!(merged.status.success(), "{}", stderr(&merged));

    // A truncated shard file: one run dropped — an edit too.
    let lines: Vec<&str> = original.lines().collect();
    let last_run = lines.iter().rposition(|l| l.trim_start().starts_with("{\"policy\"")).unwrap();
    let mut cut: Vec<&str> = lines.clone();
    cut.remove(last_run);
    let fixed = cut.join("\n").replace("},\n  ]", "}\n  ]");
    std::fs::write(&path, fixed).unwrap();
    refused(&["s1", "s2", "s3"], "s2/shard.json: edited after");

    // Not a shard at all.
    std::fs::write(dir.join("s3/shard.json"), "{\"format\": \"other\"}").unwrap();
    unreadable(&["s1", "s3"], "not a deploysim sweep shard");
}

#[test]
fn a_bad_shard_argument_names_the_expected_form() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    tutorial(dir);
    for bad in ["0/3", "4/3", "2", "a/b"] {
        let out = sweep(dir, &["--shard", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains("expected I/N with 1 <= I <= N"), "{bad}: {}", stderr(&out));
    }
}

#[test]
fn shard_files_never_hold_the_scenario_text() {
    // A secret's value piped into `docker secret create` lives in the scenario text: a shard
    // file carries the sweep's definition, never the file itself.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = tutorial(dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let with_secret = text.replace(
        "  timeline:\n",
        "  timeline:\n    - at: 5s\n      run: echo s3cr3t-value-42 | docker secret create api_key -\n",
    );
    assert_ne!(text, with_secret, "the tutorial's timeline moved");
    std::fs::write(&path, with_secret).unwrap();
    let out = sweep(dir, &["--shard", "1/1", "--out", "one"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shard = std::fs::read_to_string(dir.join("one/shard.json")).unwrap();
    assert!(!shard.contains("s3cr3t-value-42"));
    assert!(shard.contains("\"input_digest\""));
}

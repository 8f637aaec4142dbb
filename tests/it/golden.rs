//! Golden files: the events.csv of a few reference scenarios must stay byte for byte the same as
//! `tests/golden/<name>.events.csv`, so that any change in simulated behaviour is seen and
//! reviewed. `UPDATE_GOLDEN=1 cargo test --test golden` rewrites them after an intended change.

use crate::common;

use std::path::PathBuf;

use crate::common::simulate_file;
use deploysim::commands::run::report_files;

fn golden_dir() -> PathBuf {
    common::repo_root().join("tests").join("golden")
}

/// Compares `scenario`'s events.csv with its golden file, or rewrites the golden file when
/// `UPDATE_GOLDEN=1`.
fn check(scenario: &str) {
    let path = common::scenarios_dir().join(scenario);
    let name = path.file_stem().expect("file name").to_string_lossy().to_string();
    let record = simulate_file(&path, None).unwrap_or_else(|e| panic!("{scenario} does not load: {e:#}"));
    let events = report_files(&record).into_iter().find(|(n, _)| *n == "events.csv").expect("events.csv").1;
    let golden = golden_dir().join(format!("{name}.events.csv"));
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(golden_dir()).expect("create tests/golden");
        std::fs::write(&golden, &events).expect("write golden file");
        eprintln!("wrote {}", common::rel(&golden));
        return;
    }
    let expected = std::fs::read(&golden).unwrap_or_else(|e| {
        panic!(
            "cannot read the golden file {} ({e}); create it with `UPDATE_GOLDEN=1 cargo test --test golden`, \
             then review it before committing",
            common::rel(&golden)
        )
    });
    if events != expected {
        let (got, want) = (String::from_utf8_lossy(&events), String::from_utf8_lossy(&expected));
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .map(|n| {
                format!(
                    "first difference at line {}:\n  golden: {}\n  now:    {}",
                    n + 1,
                    want.lines().nth(n).unwrap_or(""),
                    got.lines().nth(n).unwrap_or("")
                )
            })
            .unwrap_or_else(|| {
                format!("one is a prefix of the other ({} vs {} lines)", want.lines().count(), got.lines().count())
            });
        panic!(
            "{scenario}: events.csv differs from {}\n{line}\nIf the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff.",
            common::rel(&golden)
        );
    }
}

#[test]
fn rolling_update_tutorial() {
    // The tutorial's first example: 10 replicas, parallelism 2, delay 10 s.
    check("rolling-update.yml");
}

#[test]
fn bad_health_pauses() {
    // Real-trace scenario s04: a never-healthy image pauses the update after the first failure.
    check("fidelity/s04-bad-health-pause.yml");
}

#[test]
fn bad_health_rolls_back() {
    // Real-trace scenario s05: the same failure with failure_action rollback.
    check("fidelity/s05-bad-health-rollback.yml");
}

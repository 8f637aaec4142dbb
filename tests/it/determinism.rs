//! Determinism: a scenario file run twice with the same seed gives byte-identical reports
//! (events.csv, timeline.csv, summary.json), for every scenario under `scenarios/`; and a
//! scenario with random settings gives different runs for different seeds (the seed matters).

use crate::common;

use std::path::Path;

use crate::common::simulate_file;
use deploysim::commands::run::report_files;

/// The report files of one run of `path` (`seed` overrides the file's).
fn reports(path: &Path, seed: Option<u64>) -> Vec<(&'static str, Vec<u8>)> {
    let record = simulate_file(path, seed).unwrap_or_else(|e| panic!("{} does not load: {e:#}", common::rel(path)));
    report_files(&record)
}

/// Where two byte strings first differ, as a line number and both lines, for messages.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    for (n, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  first run:  {x}\n  second run: {y}", n + 1);
        }
    }
    format!("one is a prefix of the other ({} vs {} lines)", a.lines().count(), b.lines().count())
}

#[test]
fn every_scenario_gives_identical_reports_twice() {
    // Two runs in one process share nothing but the scenario file: any difference means state
    // leaking between runs or iteration over unordered containers.
    let files = common::yml_files(&common::scenarios_dir());
    assert!(!files.is_empty(), "no scenario under {}", common::scenarios_dir().display());
    let mut failures = Vec::new();
    for path in &files {
        for seed in [None, Some(7)] {
            let first = reports(path, seed);
            let second = reports(path, seed);
            for ((name, a), (_, b)) in first.iter().zip(second.iter()) {
                if a != b {
                    failures.push(format!(
                        "{} (seed {seed:?}): {name} differs between two runs, {}",
                        common::rel(path),
                        first_difference(a, b)
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "non-deterministic reports:\n{}", failures.join("\n"));
}

/// A small scenario whose pulls and starts are random draws.
const RANDOM_SCENARIO: &str = r#"# Random pull and start times: each seed draws its own.
version: "3.8"
services:
  web:
    image: app:v1
    deploy:
      replicas: 4
      update_config:
        parallelism: 2
x-simulation:
  stack: det
  seed: 1
  until: 5m
  cluster:
    nodes: 2
  images:
    app:v1:
      pull: {uniform: [1s, 5s]}
      start: {uniform: [200ms, 900ms]}
    app:v2:
      pull: {uniform: [1s, 5s]}
      start: {uniform: [200ms, 900ms]}
  timeline:
    - at: 30s
      run: docker service update --image app:v2 det_web
"#;

#[test]
fn random_settings_differ_by_seed_and_repeat_by_seed() {
    // The seed must reach the random streams (different seeds, different events), and a given
    // seed must still give the same bytes.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("random-pulls.yml");
    std::fs::write(&path, RANDOM_SCENARIO).expect("write scenario");
    let events = |seed| reports(&path, Some(seed)).into_iter().find(|(n, _)| *n == "events.csv").expect("events.csv").1;
    let one = events(1);
    assert_eq!(one, events(1), "seed 1 twice gave different events.csv");
    assert_ne!(one, events(2), "seeds 1 and 2 gave identical events.csv: the seed does not reach the draws");
    // The file's own seed is 1: no override is the same as seed 1.
    let record = simulate_file(&path, None).expect("loads");
    assert_eq!(record.seed, 1);
    let default = report_files(&record).into_iter().find(|(n, _)| *n == "events.csv").expect("events.csv").1;
    assert_eq!(one, default, "the file's seed 1 and an explicit seed 1 differ");
}

//! The application layer: load a scenario, run the world, write the report, print the story.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::model::record::RunRecord;
use crate::report;
use crate::world::World;

/// An error of the user's making (bad scenario or arguments): exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Options of `deploysim run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenario file.
    pub scenario: PathBuf,
    /// Seed override.
    pub seed: Option<u64>,
    /// Report folder override.
    pub out: Option<PathBuf>,
    /// Print nothing.
    pub quiet: bool,
}

/// Loads and simulates a scenario (no files written).
pub fn simulate_file(path: &Path, seed: Option<u64>) -> anyhow::Result<(RunRecord, Vec<String>)> {
    let (mut scenario, warnings) =
        crate::scenario::load_with_warnings(path).map_err(|e| anyhow::Error::new(UsageError(e.to_string())))?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    Ok((World::new(scenario).simulate(), warnings))
}

/// The report files of a run, in a fixed order (`mounts.csv` only when secrets were mounted).
pub fn report_files(run: &RunRecord) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![
        ("events.csv", report::events_csv(run)),
        ("timeline.csv", report::timeline_csv(run)),
        ("summary.json", report::summary_json(run).into_bytes()),
    ];
    if !run.secret_mounts.is_empty() {
        files.push(("mounts.csv", report::mounts_csv(run)));
    }
    files
}

/// `deploysim run`.
pub fn run(options: &RunOptions) -> anyhow::Result<()> {
    let (record, warnings) = simulate_file(&options.scenario, options.seed)?;
    for w in &warnings {
        eprintln!("{w}");
    }
    let dir = options.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&record.scenario));
    let files = report_files(&record);
    let named: Vec<(&str, Vec<u8>)> = files.into_iter().collect();
    report::write_atomically(&dir, &named)
        .with_context(|| format!("could not write the report to '{}'", dir.display()))?;
    // A file only some runs write must not survive from an earlier run of the same scenario.
    if !named.iter().any(|(name, _)| *name == "mounts.csv") {
        let stale = dir.join("mounts.csv");
        if stale.exists() {
            std::fs::remove_file(&stale).with_context(|| format!("could not remove '{}'", stale.display()))?;
        }
    }
    if !options.quiet {
        print!("{}", report::narrative(&record));
        println!("report: {}", dir.display());
    }
    Ok(())
}

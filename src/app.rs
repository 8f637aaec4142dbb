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
    /// Print one line per event first (`ps::trace`), even with `quiet`.
    pub trace: bool,
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

/// The report files of a run, in a fixed order (`mounts.csv` only when secrets were mounted,
/// `requests.csv` only with `x-simulation.traffic`).
pub fn report_files(run: &RunRecord) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![
        ("events.csv", report::events_csv(run)),
        ("timeline.csv", report::timeline_csv(run)),
        ("summary.json", report::summary_json(run).into_bytes()),
    ];
    if !run.secret_mounts.is_empty() {
        files.push(("mounts.csv", report::mounts_csv(run)));
    }
    if !run.requests.is_empty() {
        files.push(("requests.csv", report::requests_csv(run)));
    }
    files
}

/// The plots of a run, drawn from its report files' bytes exactly as `deploysim plot` draws
/// them from the files on disk (so the two give identical images).
fn plot_files(files: &[(&'static str, Vec<u8>)]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let find = |name: &str| files.iter().find(|(n, _)| *n == name).map(|(_, bytes)| bytes.as_slice());
    let sources = crate::plot::Sources {
        timeline: find("timeline.csv").context("a run always writes timeline.csv")?,
        summary: find("summary.json"),
        events: find("events.csv"),
        requests: find("requests.csv"),
    };
    // The CSV was written a moment ago by this binary: failing to read it back is a bug.
    crate::plot::render(&sources).context("could not plot the run's own timeline.csv")
}

/// Removes plots an earlier run left that this run did not draw (a service since renamed, or
/// one plot per service where there is now a single `timeline.svg`).
fn remove_stale_plots(dir: &Path, written: &[(&str, Vec<u8>)]) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("could not list '{}'", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if crate::plot::is_plot_file(&name) && !written.iter().any(|(n, _)| *n == name) {
            let path = entry.path();
            std::fs::remove_file(&path).with_context(|| format!("could not remove '{}'", path.display()))?;
        }
    }
    Ok(())
}

/// `deploysim plot CSV [--out DIR]`: redraws a report's plots; prints the files written.
pub fn plot(csv: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    match crate::plot::command(csv, out) {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            Ok(())
        }
        Err(crate::plot::CommandError::Input(e)) => Err(anyhow::Error::new(UsageError(e.to_string()))),
        Err(e) => Err(e.into()),
    }
}

/// `deploysim run`.
pub fn run(options: &RunOptions) -> anyhow::Result<()> {
    let (record, warnings) = simulate_file(&options.scenario, options.seed)?;
    for w in &warnings {
        eprintln!("{w}");
    }
    let dir = options.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&record.scenario));
    let files = report_files(&record);
    let plots = plot_files(&files)?;
    let svgs: Vec<(String, String)> = plots
        .iter()
        .filter(|(name, _)| name.ends_with(".svg"))
        .map(|(name, bytes)| (name.clone(), String::from_utf8_lossy(bytes).into_owned()))
        .collect();
    let page = report::html_report(&record, &svgs).into_bytes();
    let named: Vec<(&str, Vec<u8>)> = files
        .into_iter()
        .chain(plots.iter().map(|(name, bytes)| (name.as_str(), bytes.clone())))
        .chain(std::iter::once(("index.html", page)))
        .collect();
    report::write_atomically(&dir, &named)
        .with_context(|| format!("could not write the report to '{}'", dir.display()))?;
    remove_stale_plots(&dir, &named)?;
    // A file only some runs write must not survive from an earlier run of the same scenario.
    for optional in ["mounts.csv", "requests.csv"] {
        if named.iter().any(|(name, _)| *name == optional) {
            continue;
        }
        let stale = dir.join(optional);
        if stale.exists() {
            std::fs::remove_file(&stale).with_context(|| format!("could not remove '{}'", stale.display()))?;
        }
    }
    if options.trace {
        print!("{}", crate::ps::trace(&record));
    }
    if record.actions.is_empty() && !options.quiet {
        // A plain stack file only deploys: say how to simulate what people came for.
        eprintln!(
            "note: the scenario has no x-simulation.timeline, so only the deploy was simulated; add e.g.\n  \
             x-simulation:\n    timeline:\n      - at: 1m\n        run: docker service update --image IMAGE:NEW SERVICE\n\
             (see scenarios/rolling-update.yml and docs/scenario-format.md)"
        );
    }
    if !options.quiet {
        print!("{}", report::narrative(&record));
        println!("report: {}", dir.display());
    }
    Ok(())
}

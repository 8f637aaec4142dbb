//! `deploysim run`: simulate a scenario, write its report folder, print the story.

use std::path::{Path, PathBuf};

use crate::commands::Error;
use crate::commands::simulate::{SimulateOptions, load, simulate};
use crate::model::record::RunRecord;
use crate::report;

/// Simulate a scenario and write its report (events.csv, timeline.csv, summary.json).
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A stack file with an `x-simulation:` section, or a simulation file naming its stack.
    pub scenario: PathBuf,
    /// Seed for every random stream (overrides `x-simulation.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Report folder (default: reports/<scenario name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print one line per task state change, UpdateStatus change and timeline action before
    /// the summary (also with --quiet); the format is in `src/ps/trace.rs`.
    #[arg(long)]
    pub trace: bool,
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
fn plot_files(files: &[(&'static str, Vec<u8>)]) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let find = |name: &str| files.iter().find(|(n, _)| *n == name).map(|(_, bytes)| bytes.as_slice());
    let sources = crate::plot::Sources {
        timeline: find("timeline.csv").ok_or_else(|| Error::Internal("a run always writes timeline.csv".into()))?,
        summary: find("summary.json"),
        events: find("events.csv"),
        requests: find("requests.csv"),
    };
    // The CSV was written a moment ago by this binary: failing to read it back is a bug.
    crate::plot::render(&sources)
        .map_err(|e| Error::Internal(format!("could not plot the run's own timeline.csv: {e}")))
}

/// Removes plots an earlier run left that this run did not draw (a service since renamed, or
/// one plot per service where there is now a single `timeline.svg`).
fn remove_stale_plots(dir: &Path, written: &[(&str, Vec<u8>)]) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(Error::io(format!("could not list '{}'", dir.display())))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if crate::plot::is_plot_file(&name) && !written.iter().any(|(n, _)| *n == name) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(Error::io(format!("could not remove '{}'", path.display())))?;
        }
    }
    Ok(())
}

/// `deploysim run`.
pub fn run(args: &RunArgs) -> Result<(), Error> {
    let scenario = load(&args.scenario)?;
    let record = simulate(scenario, args.seed, &SimulateOptions::default());
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&record.scenario));
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
        .map_err(Error::io(format!("could not write the report to '{}'", dir.display())))?;
    remove_stale_plots(&dir, &named)?;
    // A file only some runs write must not survive from an earlier run of the same scenario.
    for optional in ["mounts.csv", "requests.csv"] {
        if named.iter().any(|(name, _)| *name == optional) {
            continue;
        }
        let stale = dir.join(optional);
        if stale.exists() {
            std::fs::remove_file(&stale).map_err(Error::io(format!("could not remove '{}'", stale.display())))?;
        }
    }
    if args.trace {
        print!("{}", crate::ps::trace(&record));
    }
    if record.actions.is_empty() && !args.quiet {
        // A plain stack file only deploys: say how to simulate what people came for.
        eprintln!(
            "note: the scenario has no x-simulation.timeline, so only the deploy was simulated; add e.g.\n  \
             x-simulation:\n    timeline:\n      - at: 1m\n        run: docker service update --image IMAGE:NEW SERVICE\n\
             (see scenarios/rolling-update.yml and docs/scenario-format.md)"
        );
    }
    if !args.quiet {
        print!("{}", report::narrative(&record));
        println!("report: {}", dir.display());
    }
    Ok(())
}

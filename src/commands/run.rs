//! `deploysim run`: simulate a scenario, write its report folder, print the story.

use std::path::PathBuf;

use crate::commands::Error;
use crate::commands::simulate::{SimulateOptions, load, simulate};
use crate::model::record::RunRecord;
use crate::model::scenario::Scenario;
use crate::report;
use crate::time::SimTime;

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
    /// Run the scenario twice in this process with the same seed and compare every byte of
    /// every output (report files, plots, index.html, the story, the trace); write nothing.
    /// Exit 0 when identical, 1 when not (printing the seed and the first difference).
    #[arg(long, conflicts_with_all = ["out", "trace"])]
    pub check_determinism: bool,
}

/// The report files of a run, in a fixed order (`nodes.csv` always, `mounts.csv` only when secrets were mounted,
/// `requests.csv` only with `x-simulation.traffic`).
pub fn report_files(run: &RunRecord) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![("events.csv", report::events_csv(run))];
    files.extend(files_after_events(run));
    files
}

/// [`report_files`] but `events.csv`, which `run` streams instead.
fn files_after_events(run: &RunRecord) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![
        ("timeline.csv", report::timeline_csv(run)),
        ("summary.json", report::summary_json(run).into_bytes()),
        ("nodes.csv", report::nodes_csv(run)),
    ];
    if !run.secret_mounts.is_empty() {
        files.push(("mounts.csv", report::mounts_csv(run)));
    }
    if !run.requests.is_empty() {
        files.push(("requests.csv", report::requests_csv(run)));
    }
    files
}

/// The report files a plot is drawn from, as `deploysim plot` reads them from disk, but
/// `events.csv`'s rows from the record it is written from (`canonical`: the record's
/// [`canonical_names`](crate::ps::replay::canonical_names)), which give the same markers as the
/// file (`plot::input::marks_of_record`).
fn plot_sources<'f>(
    files: &'f [(&'static str, Vec<u8>)],
    record: &'f RunRecord,
    canonical: &'f crate::model::record::PerName<crate::model::record::Name>,
) -> Result<crate::plot::Sources<'f>, Error> {
    let find = |name: &str| files.iter().find(|(n, _)| *n == name).map(|(_, bytes)| bytes.as_slice());
    Ok(crate::plot::Sources {
        timeline: find("timeline.csv").ok_or_else(|| Error::Internal("a run always writes timeline.csv".into()))?,
        summary: find("summary.json"),
        events: Some(crate::plot::Csv::Record(record, canonical)),
        requests: find("requests.csv"),
        nodes: find("nodes.csv"),
    })
}

/// Plot files (name, bytes) and the `index.html` page's bytes.
type PlotsAndPage = (Vec<(String, Vec<u8>)>, Vec<u8>);

/// The plots of a run, drawn from its report files `files` exactly as `deploysim plot` draws
/// them from the files on disk (so the two give identical images), and `index.html`.
fn plots_and_page(
    record: &RunRecord,
    explain: Vec<(SimTime, String)>,
    files: &[(&'static str, Vec<u8>)],
) -> Result<PlotsAndPage, Error> {
    // Computed once for the plots' markers and the page's replay.
    let canonical = crate::ps::replay::canonical_names(record);
    let sources = plot_sources(files, record, &canonical)?;
    // The CSVs were written a moment ago by this binary: failing to read them back is a bug.
    let prepared = crate::plot::prepare(&sources)
        .map_err(|e| Error::Internal(format!("could not plot the run's own timeline.csv: {e}")))?;
    let plots = crate::plot::render_prepared(&prepared);
    let axes = crate::plot::axes_of(&prepared)
        .into_iter()
        .map(|(name, a)| (name, [a.x0, a.x1, a.y0, a.y1], a.end_ms))
        .collect();
    drop(prepared);
    let scrub = report::scrub::scrub_with(record, canonical);
    let interactive = report::Interactive { scrub, axes, explain };
    let svgs: Vec<(String, String)> = plots
        .iter()
        .filter(|(name, _)| name.ends_with(".svg"))
        .map(|(name, bytes)| (name.clone(), String::from_utf8_lossy(bytes).into_owned()))
        .collect();
    let page = report::html_report(record, &svgs, &interactive).into_bytes();
    Ok((plots, page))
}

/// Whether `name` is a file some run writes (whichever services, secrets and traffic it had):
/// such files in the report folder are an earlier run's and go with it.
fn is_run_report_file(name: &str) -> bool {
    matches!(
        name,
        "events.csv" | "timeline.csv" | "summary.json" | "nodes.csv" | "mounts.csv" | "requests.csv" | "index.html"
    ) || crate::plot::is_plot_file(name)
}

/// Every file of a run's report folder, in a fixed order: the report files, the plots drawn
/// from them, `index.html` (in memory: `run --check-determinism` compares them).
pub(crate) fn report_folder(
    record: &RunRecord,
    explain: Vec<(SimTime, String)>,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let files = report_files(record);
    let (plots, page) = plots_and_page(record, explain, &files)?;
    Ok(files
        .into_iter()
        .map(|(name, bytes)| (name.to_string(), bytes))
        .chain(plots)
        .chain(std::iter::once(("index.html".to_string(), page)))
        .collect())
}

/// Why writing a report folder stopped.
enum WriteFailure {
    /// The folder could not be written.
    Write(report::WriteError),
    /// Making its content failed.
    Content(Error),
}

impl From<report::WriteError> for WriteFailure {
    fn from(e: report::WriteError) -> WriteFailure {
        WriteFailure::Write(e)
    }
}

impl From<std::io::Error> for WriteFailure {
    fn from(e: std::io::Error) -> WriteFailure {
        WriteFailure::Write(report::WriteError::Io(e))
    }
}

/// Writes the files of [`report_folder`], in the same order and bytes, as the folder `dir`
/// (replacing an earlier report whole). `events.csv` — most of a large run's bytes — is
/// streamed into the staging folder as it is made (on a thread of its own, while the other
/// files are made), and the plots take its rows from the record rather than reading it back,
/// so the report is never held in memory whole.
pub(crate) fn write_report_folder(
    dir: &std::path::Path,
    record: &RunRecord,
    explain: Vec<(SimTime, String)>,
) -> Result<(), Error> {
    // The folder is the report: an earlier run's files (plots of a since-renamed service, a
    // mounts.csv this run has no secrets for) go with it; a folder holding anything else is
    // refused rather than swapped away.
    let folder = report::Folder { owns: &is_run_report_file, carries: &|_| false };
    let written = report::replace_folder_with(dir, &folder, |stage| -> Result<(), WriteFailure> {
        // events.csv, most of the work of a large run's report, is written on a second thread
        // while this one makes the other files.
        let made = stage.stream_while(
            "events.csv",
            |out| report::events::write_events_csv(record, out),
            || -> Result<_, Error> {
                let files = files_after_events(record);
                let (plots, page) = plots_and_page(record, explain, &files)?;
                Ok((files, plots, page))
            },
        )?;
        let (files, plots, page) = made.map_err(WriteFailure::Content)?;
        for (name, bytes) in &files {
            stage.bytes(name, bytes)?;
        }
        for (name, bytes) in &plots {
            stage.bytes(name, bytes)?;
        }
        stage.bytes("index.html", &page)?;
        Ok(())
    });
    match written {
        Ok(()) => Ok(()),
        Err(WriteFailure::Write(e)) => {
            Err(Error::report(format!("could not write the report to '{}'", dir.display()))(e))
        }
        Err(WriteFailure::Content(e)) => Err(e),
    }
}

/// `deploysim run`.
pub fn run(args: &RunArgs) -> Result<(), Error> {
    if args.check_determinism {
        return check_determinism(args);
    }
    let scenario = load(&args.scenario)?;
    let lesson = crate::commands::explain::lesson(&args.scenario)?;
    let (record, sentences) = simulate_explained(scenario, args.seed, lesson.as_deref());
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&record.scenario));
    write_report_folder(&dir, &record, sentences)?;
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

/// Sentences past this many are not put in `index.html` (`deploysim explain` has them all).
const MAX_PAGE_SENTENCES: usize = 5_000;

/// Simulates `scenario` as `run` does: up to [`MAX_RACE_REPLICAS`](crate::commands::explain)
/// replicas with its decisions recorded, so that `index.html` shows `deploysim explain`'s
/// sentences (and the lesson beside the scenario) as its slider passes them. Recording the
/// decisions changes no other output; larger runs skip it (their pages say to run `explain`).
fn simulate_explained(
    scenario: Scenario,
    seed: Option<u64>,
    lesson: Option<&str>,
) -> (RunRecord, Vec<(SimTime, String)>) {
    if scenario.replicas() > crate::commands::explain::MAX_RACE_REPLICAS {
        return (simulate(scenario, seed, &SimulateOptions::default()), Vec::new());
    }
    let options = SimulateOptions { decisions: true, ..SimulateOptions::default() };
    let record = simulate(scenario.clone(), seed, &options);
    let sentences = crate::explain::explain(&scenario, &record, lesson)
        .into_iter()
        .take(MAX_PAGE_SENTENCES)
        .map(|e| (SimTime(e.t_ms * 1_000_000), e.text))
        .collect();
    (record, sentences)
}

/// Every output of a run, each as a named byte string: the report folder's files, then what
/// `run` prints on stdout (the story, and the `--trace` lines) under names in parentheses.
fn every_output(record: &RunRecord, sentences: Vec<(SimTime, String)>) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut out = report_folder(record, sentences)?;
    out.push(("(stdout)".into(), report::narrative(record).into_bytes()));
    out.push(("(--trace)".into(), crate::ps::trace(record).into_bytes()));
    Ok(out)
}

/// `deploysim run --check-determinism`: two runs of the scenario, loaded twice (the loader is
/// part of what must be deterministic), with one seed; every output compared byte for byte.
fn check_determinism(args: &RunArgs) -> Result<(), Error> {
    let scenario = load(&args.scenario)?;
    let lesson = crate::commands::explain::lesson(&args.scenario)?;
    let (first, first_sentences) = simulate_explained(scenario, args.seed, lesson.as_deref());
    // The loader's warnings were printed once already.
    let again = crate::scenario::load_with_warnings(&args.scenario)?.0;
    let (second, second_sentences) = simulate_explained(again, args.seed, lesson.as_deref());
    let (a, b) = (every_output(&first, first_sentences)?, every_output(&second, second_sentences)?);
    let seed = first.seed;
    match first_difference(&a, &b) {
        None => {
            if !args.quiet {
                let bytes: usize = a.iter().map(|(_, bytes)| bytes.len()).sum();
                println!(
                    "deterministic: two runs of {} with seed {seed} wrote the same {} outputs, {bytes} bytes, byte for byte",
                    first.scenario,
                    a.len()
                );
            }
            Ok(())
        }
        Some(d) => Err(Error::Checked(Some(format!(
            "not deterministic: two runs of {} with seed {seed} differ\n{d}\n  \
             hint: the simulation must not depend on hash order, wall clocks or OS entropy; \
             rerun with --seed {seed} to reproduce",
            first.scenario
        )))),
    }
}

/// Where two runs' outputs first differ.
#[derive(Debug, PartialEq)]
pub(crate) struct Difference {
    /// The output's name (a report file, or `(stdout)` / `(--trace)`).
    file: String,
    /// The first differing byte (the shorter one's length when one is a prefix of the other;
    /// 0 when the output exists in one run only).
    offset: usize,
    /// 1-based line and column of `offset`.
    line: usize,
    column: usize,
    /// A few bytes around `offset` in each run, escaped; `None` when that run lacks the file.
    first: Option<String>,
    second: Option<String>,
}

/// Bytes of context shown on each side of the first difference.
const CONTEXT: usize = 24;

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "  first difference: {} at byte {} (line {}, column {})",
            self.file, self.offset, self.line, self.column
        )?;
        let show = |c: &Option<String>| c.as_ref().map_or("(no such output)".to_string(), |c| format!("\"{c}\""));
        writeln!(f, "  run 1: {}", show(&self.first))?;
        write!(f, "  run 2: {}", show(&self.second))
    }
}

/// The first difference between two runs' named outputs, in the first run's order (an output
/// only the second run has comes last); `None` when they are identical.
pub(crate) fn first_difference(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) -> Option<Difference> {
    let find = |list: &[(String, Vec<u8>)], name: &str| list.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let names = a.iter().map(|(n, _)| n).chain(b.iter().map(|(n, _)| n).filter(|n| !a.iter().any(|(m, _)| m == *n)));
    for name in names {
        let (x, y) = (find(a, name), find(b, name));
        if x == y {
            continue;
        }
        let offset = match (&x, &y) {
            (Some(x), Some(y)) => x.iter().zip(y).position(|(p, q)| p != q).unwrap_or(x.len().min(y.len())),
            _ => 0,
        };
        let before = x.as_deref().or(y.as_deref()).map_or(&[][..], |bytes| &bytes[..offset.min(bytes.len())]);
        let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
        let column = offset - before.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1) + 1;
        let context = |bytes: &Vec<u8>| {
            let from = offset.saturating_sub(CONTEXT);
            let to = (offset + CONTEXT).min(bytes.len());
            let mut shown = String::new();
            if from > 0 {
                shown.push('…');
            }
            shown.push_str(&bytes[from..to].escape_ascii().to_string());
            if to < bytes.len() {
                shown.push('…');
            }
            shown
        };
        return Some(Difference {
            file: name.clone(),
            offset,
            line,
            column,
            first: x.as_ref().map(context),
            second: y.as_ref().map(context),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter().map(|(n, t)| (n.to_string(), t.as_bytes().to_vec())).collect()
    }

    #[test]
    fn identical_outputs_have_no_difference() {
        let a = outputs(&[("a.csv", "x,y\n1,2\n"), ("(stdout)", "ok\n")]);
        assert_eq!(first_difference(&a, &a.clone()), None);
        assert_eq!(first_difference(&[], &[]), None);
    }

    #[test]
    fn the_first_differing_byte_is_found_with_its_line_column_and_context() {
        let a = outputs(&[("same.csv", "1\n"), ("e.csv", "t,x\n0.000,a\n1.000,b\n"), ("z.csv", "x")]);
        let b = outputs(&[("same.csv", "1\n"), ("e.csv", "t,x\n0.000,a\n1.001,b\n"), ("z.csv", "y")]);
        let d = first_difference(&a, &b).unwrap();
        // "t,x\n" (4) + "0.000,a\n" (8) + "1.00" (4): byte 16, line 3, column 5.
        assert_eq!((d.file.as_str(), d.offset, d.line, d.column), ("e.csv", 16, 3, 5));
        assert_eq!(d.first.as_deref(), Some("t,x\\n0.000,a\\n1.000,b\\n"));
        assert_eq!(d.second.as_deref(), Some("t,x\\n0.000,a\\n1.001,b\\n"));
        let shown = d.to_string();
        assert!(shown.contains("first difference: e.csv at byte 16 (line 3, column 5)"), "{shown}");
    }

    #[test]
    fn long_outputs_show_a_window_and_a_prefix_differs_at_its_end() {
        let long = "a".repeat(100);
        let a = outputs(&[("f", &format!("{long}X{long}"))]);
        let b = outputs(&[("f", &format!("{long}Y{long}"))]);
        let d = first_difference(&a, &b).unwrap();
        assert_eq!(d.offset, 100);
        assert_eq!(d.first.unwrap(), format!("…{}X{}…", "a".repeat(CONTEXT), "a".repeat(CONTEXT - 1)));
        // One output a prefix of the other: the difference is where the shorter ends.
        let d = first_difference(&outputs(&[("f", "abc")]), &outputs(&[("f", "abcd")])).unwrap();
        assert_eq!((d.offset, d.first.as_deref(), d.second.as_deref()), (3, Some("abc"), Some("abcd")));
    }

    #[test]
    fn an_output_only_one_run_wrote_is_a_difference() {
        let a = outputs(&[("a", "1")]);
        let b = outputs(&[("a", "1"), ("mounts.csv", "s")]);
        let d = first_difference(&a, &b).unwrap();
        assert_eq!(
            (d.file.as_str(), d.offset, d.first.as_deref(), d.second.as_deref()),
            ("mounts.csv", 0, None, Some("s"))
        );
        assert!(d.to_string().contains("run 1: (no such output)"), "{d}");
        let d = first_difference(&b, &a).unwrap();
        assert_eq!((d.file.as_str(), d.second.as_deref()), ("mounts.csv", None));
    }
}

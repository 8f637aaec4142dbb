//! `deploysim plot`: redraw a report's plots from its `timeline.csv` and the files beside it.

use std::path::{Path, PathBuf};

use crate::commands::Error;
use crate::plot::{PlotError, Sources, render};

/// Redraw a report's plots (timeline.svg/png, or timeline-<service>.svg/png) from its
/// timeline.csv alone; summary.json, events.csv and requests.csv beside it are used if there.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// A report's `timeline.csv`.
    pub csv: PathBuf,
    /// Folder for the images (default: the CSV's folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `deploysim plot CSV [--out DIR]`: redraws a report's plots; prints the files written.
pub fn run(args: &PlotArgs) -> Result<(), Error> {
    for path in draw(&args.csv, args.out.as_deref())? {
        println!("{}", path.display());
    }
    Ok(())
}

/// Reads `csv` and the files beside it, writes the images to `out` (default: the CSV's
/// folder) and returns their paths.
fn draw(csv: &Path, out: Option<&Path>) -> Result<Vec<PathBuf>, Error> {
    let shown = csv.display().to_string();
    let timeline = std::fs::read(csv)
        .map_err(|e| Error::input(PlotError::at(&shown, 0, None, format!("cannot read the file: {e}")).to_string()))?;
    let dir = csv.parent().map(Path::to_path_buf).unwrap_or_default();
    let sibling = |name: &str| std::fs::read(dir.join(name)).ok();
    let (summary, events, requests) = (sibling("summary.json"), sibling("events.csv"), sibling("requests.csv"));
    let nodes = sibling("nodes.csv");
    let sources = Sources {
        timeline: &timeline,
        summary: summary.as_deref(),
        events: events.as_deref().map(crate::plot::Csv::Bytes),
        requests: requests.as_deref(),
        nodes: nodes.as_deref(),
    };
    let files = render(&sources).map_err(|e| Error::input(located(e, &dir, csv).to_string()))?;
    let out_dir = out.map(Path::to_path_buf).unwrap_or(dir);
    let named: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    // File by file, not a folder swap: the folder is not the plots' own (by default it is the
    // run's report folder, holding the CSV just read; with --out, any folder of the user's).
    // Each image is whole; a kill between two renames can leave one image redrawn and the
    // other not, both drawn from the same timeline.csv unless it changed in between.
    crate::report::write_atomically(&out_dir, &named)
        .map_err(Error::io(format!("could not write the plots to '{}'", out_dir.display())))?;
    Ok(files.iter().map(|(n, _)| out_dir.join(n)).collect())
}

/// Rewrites an error's plain report name into the path the user gave.
fn located(mut e: PlotError, dir: &Path, csv: &Path) -> PlotError {
    e.file = if e.file == "timeline.csv" { csv.display().to_string() } else { dir.join(&e.file).display().to_string() };
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::{HEADER, small_timeline};

    #[test]
    fn the_plot_command_writes_beside_the_csv_and_names_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("timeline.csv");
        std::fs::write(&csv, small_timeline()).unwrap();
        let written = draw(&csv, None).unwrap();
        assert_eq!(written, [dir.path().join("timeline.svg"), dir.path().join("timeline.png")]);
        let out = dir.path().join("elsewhere");
        draw(&csv, Some(&out)).unwrap();
        assert_eq!(
            std::fs::read(out.join("timeline.png")).unwrap(),
            std::fs::read(dir.path().join("timeline.png")).unwrap()
        );

        std::fs::write(&csv, format!("{HEADER}0.000,web,x,0,0,0,0,1,0,0,\n")).unwrap();
        let err = draw(&csv, None).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.to_string(),
            format!("{}: line 2, column desired: expected a whole number, found \"x\"", csv.display())
        );
        let missing = draw(&dir.path().join("nope.csv"), None).unwrap_err();
        assert!(missing.to_string().contains("nope.csv: cannot read the file"), "{missing}");
    }
}

//! Plots of a run: `timeline.svg` and `timeline.png` per service, drawn from the report files
//! alone (`timeline.csv`, and when they sit beside it `summary.json` for the title,
//! `events.csv` for task markers, `nodes.csv` for node changes and `requests.csv` for a requests
//! panel).
//!
//! Drawing only from the files' bytes (never from engine state) is what lets
//! `deploysim plot reports/X/timeline.csv` redraw byte-identical images without rerunning the
//! scenario. Rendering needs no system library: the font is embedded (DejaVu Sans via
//! plotters' `ab_glyph` text), PNG pixels come from plotters' bitmap backend and are encoded by
//! the pure-Rust `png` crate with fixed settings.
//!
//! What a plot shows, per service: stacked areas of tasks serving the old and the new version
//! and, on top, tasks starting; tasks stopping below the zero line (a stopping task may still
//! be serving until it is signalled, so stacking it would count it twice); the desired-replicas
//! line; a pale band while the update is in progress, paused, or rolling back; a labelled
//! vertical line at every UpdateStatus change; with `nodes.csv`, a dotted line labelled at the
//! foot of the panel at every node change (down, ready, pause, drain, active, removed), marked
//! as UpdateStatus changes are; with `events.csv`, a marker row for new tasks
//! taking a slot during the update and one for task failures; with `requests.csv`, a second
//! panel of successful and failed requests per second. Time series are reduced to one
//! (min, max) per pixel column, serving tasks drawn at each column's minimum, so a dip of a
//! millisecond in a ten-minute run of 3,000 replicas still shows.

mod draw;
pub(crate) mod encode;
pub(crate) mod input;
pub(crate) mod series;
pub(crate) mod style;

use std::fmt;

use input::{Mark, NodeMark, RequestRow, RunInfo, ServiceTimeline};

/// A report file that cannot be plotted: which file, where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlotError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: u64,
    /// Column name, when one field is at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl PlotError {
    /// An error at `file:line`, optionally in one column.
    pub(crate) fn at(file: &str, line: u64, column: Option<&str>, message: String) -> PlotError {
        PlotError { file: file.to_string(), line, column: column.map(str::to_string), message }
    }
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ": line {}", self.line)?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for PlotError {}

/// The bytes a plot is drawn from. Only `timeline` is required.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sources<'a> {
    /// `timeline.csv`.
    pub timeline: &'a [u8],
    /// `summary.json`, for the scenario name and seed in the title.
    pub summary: Option<&'a [u8]>,
    /// `events.csv`, for failure and slot markers.
    pub events: Option<Csv<'a>>,
    /// `requests.csv`, for the requests panel.
    pub requests: Option<&'a [u8]>,
    /// `nodes.csv`, for node change lines.
    pub nodes: Option<&'a [u8]>,
}

/// Where `events.csv`'s rows come from: the file's bytes, or the record `run` writes it from
/// (the same rows without printing the file and parsing it back: a large run's `events.csv`
/// has millions of rows).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Csv<'a> {
    /// The file's bytes.
    Bytes(&'a [u8]),
    /// The record the file is written from ([`crate::report::events::write_events_csv`]), with
    /// its [`canonical_names`](crate::ps::replay::canonical_names).
    Record(&'a crate::model::record::RunRecord, &'a crate::model::record::PerName<crate::model::record::Name>),
}

/// Everything drawn for one service.
#[derive(Clone, Debug)]
pub(crate) struct ServicePlot {
    /// Scenario and seed, when `summary.json` was there.
    pub info: Option<RunInfo>,
    /// The service's timeline rows.
    pub timeline: ServiceTimeline,
    /// Task markers (empty without `events.csv`).
    pub marks: Vec<Mark>,
    /// Requests per second (`None` without `requests.csv` rows for this service).
    pub requests: Option<Vec<RequestRow>>,
    /// Node changes (empty without `nodes.csv`): the same on every service's plot.
    pub nodes: Vec<NodeMark>,
    /// Drawing choices other than a run's own plot makes.
    pub overrides: Overrides,
}

/// What a plot drawn for another purpose (`compare-strategies`) sets differently.
#[derive(Clone, Debug, Default)]
pub(crate) struct Overrides {
    /// The end of the time axis, so that several plots share one axis.
    pub end_ms: Option<u64>,
    /// The line under the title.
    pub subtitle: Option<String>,
    /// The legend of the dashed change lines.
    pub change_legend: Option<String>,
}

/// Where a plot's time axis lies on its image (see [`axes_of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CursorAxis {
    /// Pixel of 0 s.
    pub x0: u32,
    /// Pixel of `end_ms`.
    pub x1: u32,
    /// Top of the panels.
    pub y0: u32,
    /// Bottom of the panels.
    pub y1: u32,
    /// The time axis's end.
    pub end_ms: u64,
}

/// Each SVG [`render_prepared`] draws, by file name, with where its time axis lies.
pub(crate) fn axes_of(plots: &[ServicePlot]) -> Vec<(String, CursorAxis)> {
    let single = plots.len() == 1;
    plots
        .iter()
        .map(|plot| {
            let stem =
                if single { "timeline".to_string() } else { format!("timeline-{}", file_safe(&plot.timeline.name)) };
            (format!("{stem}.svg"), draw::cursor_axis(plot))
        })
        .collect()
}

/// One plot as SVG text.
pub(crate) fn svg(plot: &ServicePlot) -> String {
    draw::svg(plot)
}

/// One plot as PNG bytes.
pub(crate) fn png(plot: &ServicePlot) -> Vec<u8> {
    draw::png(plot)
}

/// Parses the sources into one [`ServicePlot`] per service, in `timeline.csv` order. File
/// names in errors are the plain report names (`timeline.csv`, …).
pub(crate) fn prepare(sources: &Sources<'_>) -> Result<Vec<ServicePlot>, PlotError> {
    let timelines = input::timeline("timeline.csv", sources.timeline)?;
    let info = sources.summary.and_then(input::run_info);
    let mut marks = match sources.events {
        Some(Csv::Bytes(bytes)) => input::marks("events.csv", bytes, &timelines)?,
        Some(Csv::Record(record, canonical)) => input::marks_of_record(record, canonical, &timelines),
        None => Default::default(),
    };
    let mut requests = match sources.requests {
        Some(bytes) => input::requests("requests.csv", bytes)?,
        None => Default::default(),
    };
    let nodes = match sources.nodes {
        Some(bytes) => input::node_marks("nodes.csv", bytes)?,
        None => Vec::new(),
    };
    Ok(timelines
        .into_iter()
        .map(|timeline| ServicePlot {
            info: info.clone(),
            marks: marks.remove(&timeline.name).unwrap_or_default(),
            requests: requests.remove(&timeline.name),
            nodes: nodes.clone(),
            timeline,
            overrides: Overrides::default(),
        })
        .collect())
}

/// The image files for a run: `timeline.svg` and `timeline.png` for a single service, or
/// `timeline-<service>.svg/png` for each of several, in `timeline.csv` order.
pub(crate) fn render(sources: &Sources<'_>) -> Result<Vec<(String, Vec<u8>)>, PlotError> {
    Ok(render_prepared(&prepare(sources)?))
}

/// [`render`] of plots already prepared.
pub(crate) fn render_prepared(plots: &[ServicePlot]) -> Vec<(String, Vec<u8>)> {
    let single = plots.len() == 1;
    let mut files = Vec::with_capacity(plots.len() * 2);
    for plot in plots {
        let stem = if single { "timeline".to_string() } else { format!("timeline-{}", file_safe(&plot.timeline.name)) };
        files.push((format!("{stem}.svg"), draw::svg(plot).into_bytes()));
        files.push((format!("{stem}.png"), draw::png(plot)));
    }
    files
}

/// A service name as a file name: Docker names are already `[A-Za-z0-9_.-]`; anything else
/// (a hand-edited CSV) becomes `_` so a name can never leave the report folder.
fn file_safe(name: &str) -> String {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' }).collect();
    if safe.starts_with('.') { format!("_{safe}") } else { safe }
}

/// True for the file names [`render`] can produce (used to clear stale plots from a report).
pub(crate) fn is_plot_file(name: &str) -> bool {
    let stem = name.strip_suffix(".svg").or_else(|| name.strip_suffix(".png"));
    stem.is_some_and(|s| s == "timeline" || s.starts_with("timeline-"))
}

#[cfg(test)]
pub(crate) mod tests;

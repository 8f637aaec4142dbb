//! One strategy's figures: per run ([`Row`]) and over seeds ([`Aggregate`]), and the table they
//! make (`strategies.csv` and stdout).

use crate::model::record::RunRecord;
use crate::report::Ratio;
use crate::report::rollout;
use crate::time::{SimDuration, SimTime};

/// What one run of one strategy did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// How the rollout ended: the strategy's outcome, or for a rolling update its last
    /// UpdateStatus state (`none` if it never started).
    pub outcome: String,
    /// From the rollout's start until only the new version answered (to the end).
    pub time_to_fully_new: Option<SimDuration>,
    /// Most containers above the steady state.
    pub peak_extra_tasks: u64,
    /// Fewest tasks receiving requests, over desired.
    pub min_serving_ratio: Ratio,
    /// Requests that failed (with traffic on the route).
    pub failed_requests: Option<u64>,
    /// Requests the new version answered.
    pub requests_to_new: Option<u64>,
    /// Of those, the failed ones.
    pub new_failed: Option<u64>,
    /// Time both versions answered.
    pub mixed: SimDuration,
    /// From the rollout's start until only the old version answered again (a stopped rollout).
    pub time_to_recover: Option<SimDuration>,
}

impl Row {
    /// The figures of the rollout a run started at `start` (the timeline entry's time).
    /// A rollout that never began — Swarm refused the command, or it lies after `until` — has
    /// the outcome `refused` or `not_started` and no figures.
    pub fn of_run(run: &RunRecord, start: SimTime) -> Row {
        let Some(f) = rollout::figures_from(run, start) else { return Row::never_started(run, start) };
        Row::of_figures(run, f)
    }

    fn never_started(run: &RunRecord, start: SimTime) -> Row {
        let refused = run.actions.iter().any(|(t, _, error)| *t == start && error.is_some());
        Row {
            outcome: if refused { "refused" } else { "not_started" }.into(),
            time_to_fully_new: None,
            peak_extra_tasks: 0,
            min_serving_ratio: Ratio::ONE,
            failed_requests: None,
            requests_to_new: None,
            new_failed: None,
            mixed: SimDuration::ZERO,
            time_to_recover: None,
        }
    }

    fn of_figures(run: &RunRecord, f: rollout::Figures) -> Row {
        let start = f.rollout.start;
        let outcome = match run.strategies.first() {
            Some(s) => s.outcome.clone().unwrap_or_else(|| "in_progress".into()),
            None => run
                .services
                .iter()
                .find(|s| s.name == f.rollout.service)
                .and_then(|s| s.update.state)
                .map_or("none".into(), |st| st.as_str().to_string()),
        };
        let requests = run.requests.iter().find(|r| r.service == f.rollout.route);
        Row {
            outcome,
            time_to_fully_new: f.fully_new_at.map(|t| t.since(start)),
            peak_extra_tasks: f.peak_extra_tasks,
            min_serving_ratio: f.min_serving_ratio,
            failed_requests: requests.map(|r| r.failed()),
            requests_to_new: requests.map(|r| r.to_new),
            new_failed: requests.map(|r| r.new_failed),
            mixed: f.mixed,
            time_to_recover: f.recovered_at.map(|t| t.since(start)),
        }
    }
}

/// One strategy over every seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// The strategy's name.
    pub strategy: String,
    /// Runs (seeds).
    pub runs: usize,
    /// Each outcome and how many runs had it, in order of first appearance.
    pub outcomes: Vec<(String, usize)>,
    /// Mean nanoseconds to fully new over the runs that got there, and how many did.
    pub time_to_fully_new: (Option<f64>, usize),
    /// Mean of the peak extra tasks.
    pub peak_extra_tasks: f64,
    /// Lowest min serving ratio over the runs.
    pub min_serving_ratio: f64,
    /// Mean failed requests.
    pub failed_requests: Option<f64>,
    /// Mean requests answered by the new version.
    pub requests_to_new: Option<f64>,
    /// Mean of those that failed.
    pub new_failed: Option<f64>,
    /// Mean nanoseconds both versions answered.
    pub mixed: f64,
    /// Mean nanoseconds to recover over the runs that recovered, and how many did.
    pub time_to_recover: (Option<f64>, usize),
}

/// Durations are averaged in nanoseconds and printed as `summary.json` prints them
/// (milliseconds, truncated), so one run's figures read the same in both.
fn nanos(d: SimDuration) -> f64 {
    d.as_nanos() as f64
}

fn secs_text(mean_nanos: f64) -> String {
    SimDuration(mean_nanos.round() as u64).secs_ms()
}

fn mean(values: impl Iterator<Item = f64>) -> (Option<f64>, usize) {
    let v: Vec<f64> = values.collect();
    if v.is_empty() { (None, 0) } else { (Some(v.iter().sum::<f64>() / v.len() as f64), v.len()) }
}

impl Aggregate {
    /// The summary of `rows` (one per seed).
    pub fn of(strategy: &str, rows: &[Row]) -> Aggregate {
        let mut outcomes: Vec<(String, usize)> = Vec::new();
        for r in rows {
            match outcomes.iter_mut().find(|(o, _)| *o == r.outcome) {
                Some(entry) => entry.1 += 1,
                None => outcomes.push((r.outcome.clone(), 1)),
            }
        }
        let all = |f: fn(&Row) -> Option<u64>| -> Option<f64> {
            let v: Option<Vec<u64>> = rows.iter().map(f).collect();
            v.map(|v| v.iter().sum::<u64>() as f64 / v.len().max(1) as f64)
        };
        Aggregate {
            strategy: strategy.to_string(),
            runs: rows.len(),
            outcomes,
            time_to_fully_new: mean(rows.iter().filter_map(|r| r.time_to_fully_new.map(nanos))),
            peak_extra_tasks: mean(rows.iter().map(|r| r.peak_extra_tasks as f64)).0.unwrap_or(0.0),
            min_serving_ratio: rows.iter().map(|r| r.min_serving_ratio.as_f64()).fold(f64::INFINITY, f64::min),
            failed_requests: all(|r| r.failed_requests),
            requests_to_new: all(|r| r.requests_to_new),
            new_failed: all(|r| r.new_failed),
            mixed: mean(rows.iter().map(|r| nanos(r.mixed))).0.unwrap_or(0.0),
            time_to_recover: mean(rows.iter().filter_map(|r| r.time_to_recover.map(nanos))),
        }
    }

    /// `completed`, or `completed 18/20, aborted 2/20`.
    pub fn outcome_text(&self) -> String {
        if let [(only, n)] = self.outcomes.as_slice()
            && *n == self.runs
            && self.runs == 1
        {
            return only.clone();
        }
        let parts: Vec<String> = self.outcomes.iter().map(|(o, n)| format!("{o} {n}/{}", self.runs)).collect();
        parts.join(", ")
    }

    /// A count: whole with one run, a mean with 3 decimals with several.
    fn count(&self, x: f64) -> String {
        if self.runs == 1 { format!("{x:.0}") } else { format!("{x:.3}") }
    }

    /// A mean duration over the runs where it happened (empty if none did).
    fn mean_secs(value: Option<f64>) -> String {
        value.map_or(String::new(), secs_text)
    }

    /// For the terminal: `12.345`, or `12.345 (18/20)` when not every run got there.
    fn partial(&self, (value, n): (Option<f64>, usize)) -> String {
        match value {
            Some(v) if n < self.runs => format!("{} ({n}/{})", secs_text(v), self.runs),
            other => Aggregate::mean_secs(other),
        }
    }

    /// The cells of one `strategies.csv` row, in [`HEADER`] order: numbers only in the numeric
    /// columns (how many runs each mean covers is in its own column).
    pub fn cells(&self) -> Vec<String> {
        let opt = |x: Option<f64>| x.map_or(String::new(), |v| self.count(v));
        vec![
            self.strategy.clone(),
            self.runs.to_string(),
            self.outcome_text(),
            Aggregate::mean_secs(self.time_to_fully_new.0),
            self.time_to_fully_new.1.to_string(),
            self.count(self.peak_extra_tasks),
            format!("{:.4}", self.min_serving_ratio),
            opt(self.failed_requests),
            opt(self.requests_to_new),
            opt(self.new_failed),
            secs_text(self.mixed),
            Aggregate::mean_secs(self.time_to_recover.0),
            self.time_to_recover.1.to_string(),
        ]
    }

    /// The cells of one terminal row, in [`TITLES`] order.
    fn display_cells(&self) -> Vec<String> {
        let c = self.cells();
        vec![
            c[0].clone(),
            c[1].clone(),
            c[2].clone(),
            self.partial(self.time_to_fully_new),
            c[5].clone(),
            c[6].clone(),
            c[7].clone(),
            c[8].clone(),
            c[9].clone(),
            c[10].clone(),
            self.partial(self.time_to_recover),
        ]
    }
}

/// Columns of `strategies.csv`.
pub(crate) const HEADER: [&str; 13] = [
    "strategy",
    "runs",
    "outcome",
    "time_to_fully_new_s",
    "fully_new_runs",
    "peak_extra_tasks",
    "min_serving_ratio",
    "failed_requests",
    "requests_to_new",
    "new_version_failed",
    "mixed_versions_s",
    "time_to_recover_s",
    "recovered_runs",
];

/// `strategies.csv`.
pub(crate) fn csv(summaries: &[Aggregate]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(HEADER);
    for s in summaries {
        let _ = w.write_record(s.cells());
    }
    w.into_inner().unwrap_or_default()
}

/// Short column titles for the terminal.
const TITLES: [&str; 11] = [
    "strategy",
    "runs",
    "outcome",
    "fully new after (s)",
    "extra tasks (peak)",
    "min serving",
    "failed requests",
    "to new version",
    "of which failed",
    "both versions (s)",
    "back to old after (s)",
];

/// The table and what it shows, for stdout.
pub(crate) fn story(scenario: &str, seeds: &[u64], summaries: &[Aggregate]) -> String {
    let seed_text = match seeds {
        [one] => format!("seed {one}"),
        many => format!("seeds 1..={} (means)", many.len()),
    };
    let mut out = format!("compare-strategies: {scenario}, {seed_text}; one rollout, the same workload and luck\n\n");
    let rows: Vec<Vec<String>> = summaries.iter().map(Aggregate::display_cells).collect();
    let widths: Vec<usize> = (0..TITLES.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).chain([TITLES[c].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    out += &line(TITLES.to_vec());
    for r in &rows {
        out += &line(r.iter().map(String::as_str).collect());
    }
    out += "\n";
    out += &lessons(summaries);
    out
}

/// Plain sentences drawn from the figures (never asserted beforehand).
fn lessons(summaries: &[Aggregate]) -> String {
    let list = |f: &dyn Fn(&Aggregate) -> String| {
        summaries.iter().map(|s| format!("{} {}", s.strategy, f(s))).collect::<Vec<_>>().join(", ")
    };
    let mut out = format!("cost: extra tasks at the peak: {}\n", list(&|s| s.count(s.peak_extra_tasks)));
    if summaries.iter().all(|s| s.requests_to_new.is_some()) {
        out += &format!(
            "exposure: requests the new version answered: {}\n",
            list(&|s| s.count(s.requests_to_new.unwrap_or(0.0)))
        );
    }
    out += &format!("mixing: seconds both versions answered: {}\n", list(&|s| secs_text(s.mixed)));
    out
}

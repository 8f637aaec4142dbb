//! A sweep's runs taken one at a time, in (policy, seed) order, as they finish: each
//! `runs.csv` row is written at once and each policy's `sweep.csv` figures are computed when
//! its last run is in, so a sweep holds the runs of the policy under way, not every run.

use std::io::{self, Write};

use super::Plan;
use super::exec::RunFigures;
use super::policy_stats::{self, CAPACITY_METRICS, Column};

/// Takes a sweep's runs in (policy, seed) order (see the module documentation).
pub(crate) struct Collector<'p, W: Write> {
    plan: &'p Plan,
    /// `runs.csv` has a `failed_requests` column.
    traffic: bool,
    rows: csv::Writer<W>,
    /// The runs of the policy under way.
    open: Vec<RunFigures>,
    /// Each policy's figures so far, the capacity figures included (dropped at the end when
    /// no run reserved anything and no goal names one).
    columns: Vec<Vec<Column>>,
    /// Some run's tasks reserved CPU or memory.
    reserved: bool,
    /// A field as text, reused from field to field.
    field: String,
}

impl<'p, W: Write> Collector<'p, W> {
    /// Writes the header of `runs.csv` to `out`; `traffic`: the file has a `failed_requests`
    /// column (some run has the figure).
    pub(crate) fn new(plan: &'p Plan, traffic: bool, out: W) -> io::Result<Self> {
        let mut rows = csv::Writer::from_writer(out);
        let mut header: Vec<&str> = vec!["policy"];
        header.extend(plan.params.iter().map(|p| p.path.as_str()));
        header.extend(["seed", "final_state", "duration_s", "min_serving_ratio", "seconds_below_desired"]);
        if traffic {
            header.push("failed_requests");
        }
        rows.write_record(&header)?;
        let columns = Vec::with_capacity(plan.policies.len());
        Ok(Collector { plan, traffic, rows, open: Vec::new(), columns, reserved: false, field: String::new() })
    }

    /// The next run (in (policy, seed) order): its `runs.csv` row is written.
    pub(crate) fn push(&mut self, run: RunFigures) -> io::Result<()> {
        if self.open.first().is_some_and(|o| o.policy != run.policy) {
            self.close_policy();
        }
        self.reserved |= run.reservations.is_some();
        self.write_row(&run)?;
        self.open.push(run);
        Ok(())
    }

    /// One row, field by field (the bytes `csv::Writer::write_record` writes for them).
    fn write_row(&mut self, r: &RunFigures) -> io::Result<()> {
        use std::fmt::Write as _;
        let Collector { plan, rows, field, .. } = self;
        let put = |field: &mut String, rows: &mut csv::Writer<W>| {
            let written = rows.write_field(field.as_bytes());
            field.clear();
            written
        };
        let _ = write!(field, "{}", r.policy + 1);
        put(field, rows)?;
        for (p, &i) in plan.params.iter().zip(&plan.policies[r.policy]) {
            rows.write_field(&p.values[i])?;
        }
        let _ = write!(field, "{}", r.seed);
        put(field, rows)?;
        rows.write_field(r.final_state.map_or("none", |s| s.as_str()))?;
        if let Some(d) = r.duration {
            field.push_str(&d.secs_ms());
        }
        put(field, rows)?;
        rows.write_field(r.min_serving_ratio.fixed(4))?;
        rows.write_field(r.seconds_below_desired.secs_ms())?;
        if self.traffic {
            if let Some(f) = r.failed_requests {
                let _ = write!(field, "{f}");
            }
            put(field, rows)?;
        }
        rows.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// The policy under way has all its runs: its figures are computed, its runs dropped.
    fn close_policy(&mut self) {
        let Some(policy) = self.open.first().map(|r| r.policy) else { return };
        while self.columns.len() < policy {
            self.columns.push(policy_stats::columns(&[], true));
        }
        let runs: Vec<&RunFigures> = self.open.iter().collect();
        self.columns.push(policy_stats::columns(&runs, true));
        self.open.clear();
    }

    /// Every run is in: each policy's figures (the capacity figures when a run reserved CPU or
    /// memory or `capacity_wanted`), and the writer, `runs.csv` flushed into it.
    pub(crate) fn finish(mut self, capacity_wanted: bool) -> io::Result<(Vec<Vec<Column>>, W)> {
        self.close_policy();
        while self.columns.len() < self.plan.policies.len() {
            self.columns.push(policy_stats::columns(&[], true));
        }
        let mut columns = self.columns;
        // The capacity figures are each policy's last columns.
        if !(self.reserved || capacity_wanted) {
            for cols in &mut columns {
                cols.retain(|(name, _, _)| !CAPACITY_METRICS.contains(name));
            }
        }
        let out = self.rows.into_inner().map_err(|e| e.into_error())?;
        Ok((columns, out))
    }
}

/// Counts the bytes written to it and keeps none (`bench-sweep`'s CSV size).
#[derive(Default)]
pub(crate) struct ByteCount(pub usize);

impl Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

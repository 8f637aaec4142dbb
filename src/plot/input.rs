//! Reads the report files a plot is drawn from (`timeline.csv`, and beside it `summary.json`,
//! `events.csv`, `requests.csv`) back into plain rows, naming file, line and column on error.
//!
//! Plots are drawn from these bytes only, never from engine state, so that
//! `deploysim plot reports/X/timeline.csv` redraws exactly what `deploysim run` drew.

use std::collections::BTreeMap;
// Membership only, never iterated (see `marks`).
#[allow(clippy::disallowed_types)]
use std::collections::HashSet;
use std::fmt::Write as _;

use super::PlotError;

/// One `timeline.csv` row (counts hold until the service's next row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TimelineRow {
    /// Milliseconds since the start of the simulation.
    pub t_ms: u64,
    /// Desired replicas.
    pub desired: u64,
    /// Old-spec tasks passing health and receiving traffic.
    pub healthy_old: u64,
    /// New-spec tasks passing health and receiving traffic.
    pub healthy_new: u64,
    /// Tasks on their way up.
    pub starting: u64,
    /// Tasks asked to stop whose container still runs.
    pub stopping: u64,
    /// Running tasks the router sends no requests (0 in `timeline.csv`; a strategy comparison
    /// sets it: blue kept after the switch, a weight-0 backend).
    pub idle: u64,
    /// UpdateStatus state, empty when none.
    pub update_state: String,
}

/// A service's rows, in file order.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServiceTimeline {
    /// Full service name.
    pub name: String,
    /// Its rows.
    pub rows: Vec<TimelineRow>,
}

/// What a marker on the time axis stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MarkKind {
    /// A task ended (failed, rejected, or exited) while Swarm wanted it running.
    Failure,
    /// A new task was created for a slot that already had one, during an update or rollback
    /// (an updater worker taking the slot, or a restart within the update).
    SlotTaken,
}

/// A task event worth a marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    /// When.
    pub t_ms: u64,
    /// What.
    pub kind: MarkKind,
}

/// A node change worth a line on every service's plot (`nodes.csv` past each node's first row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NodeMark {
    /// When.
    pub t_ms: u64,
    /// `mn-w2 down`, `mn-w1 drain`, `mn-w2 removed`.
    pub label: String,
}

/// One `requests.csv` row: requests per second from `t_ms` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequestRow {
    /// Start of the interval.
    pub t_ms: u64,
    /// Requests answered.
    pub ok: u64,
    /// Requests that failed.
    pub failed: u64,
}

/// Scenario name and seed, from `summary.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
}

// The writers' own column lists: what `run` writes is exactly what `plot` expects.
const TIMELINE_HEADER: [&str; 11] = crate::report::timeline::HEADER;
const EVENTS_HEADER: [&str; 9] = crate::report::events::HEADER;
const REQUESTS_HEADER: [&str; 4] = crate::report::requests::HEADER;
const NODES_HEADER: [&str; 5] = crate::report::nodes::HEADER;

/// Reads a CSV file one record at a time (a report's `events.csv` has millions of rows: they
/// are never all held), checking that the header is exactly `header` and that every data row
/// has every column, and hands each data row to `each`.
fn for_each_row(
    file: &str,
    bytes: impl std::io::Read,
    header: &'static [&'static str],
    mut each: impl FnMut(&Row<'_>) -> Result<(), PlotError>,
) -> Result<(), PlotError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut record = csv::StringRecord::new();
    let mut first = true;
    loop {
        let more = reader.read_record(&mut record).map_err(|e| csv_error(file, &e))?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        if first {
            first = false;
            let got: Vec<&str> = record.iter().collect();
            if got != header {
                let message = format!("expected the header `{}`, found `{}`", header.join(","), got.join(","));
                return Err(PlotError::at(file, line, None, message));
            }
            continue;
        }
        if record.len() != header.len() {
            let message = format!("expected {} columns, found {}", header.len(), record.len());
            return Err(PlotError::at(file, line, None, message));
        }
        each(&Row { file, line, header, record: &record })?;
    }
    if first {
        return Err(PlotError::at(file, 1, None, format!("empty file: expected the header `{}`", header.join(","))));
    }
    Ok(())
}

fn csv_error(file: &str, e: &csv::Error) -> PlotError {
    let line = e.position().map_or(0, |p| p.line());
    PlotError::at(file, line, None, format!("not valid CSV: {e}"))
}

/// One data row with what is needed to name a bad field.
struct Row<'a> {
    file: &'a str,
    line: u64,
    header: &'static [&'static str],
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    fn text(&self, column: usize) -> &str {
        &self.record[column]
    }

    fn error(&self, column: usize, message: String) -> PlotError {
        PlotError::at(self.file, self.line, Some(self.header[column]), message)
    }

    fn count(&self, column: usize) -> Result<u64, PlotError> {
        let text = self.text(column);
        text.parse::<u64>().map_err(|_| self.error(column, format!("expected a whole number, found {text:?}")))
    }

    fn millis(&self, column: usize) -> Result<u64, PlotError> {
        let text = self.text(column);
        parse_millis(text).ok_or_else(|| self.error(column, format!("expected seconds like 12.345, found {text:?}")))
    }
}

/// Parses `12.345` (or `12`, `12.3`) into milliseconds without going through floating point,
/// so the same text always lands on the same instant.
fn parse_millis(text: &str) -> Option<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!frac.is_empty() && !digits(frac)) || frac.len() > 3 {
        return None;
    }
    let frac_ms: u64 = format!("{frac:0<3}").parse().ok()?;
    whole.parse::<u64>().ok()?.checked_mul(1000)?.checked_add(frac_ms)
}

/// Reads `timeline.csv` into per-service series, services in order of first appearance.
pub(crate) fn timeline(file: &str, bytes: &[u8]) -> Result<Vec<ServiceTimeline>, PlotError> {
    let mut services: Vec<ServiceTimeline> = Vec::new();
    for_each_row(file, bytes, &TIMELINE_HEADER, |row| {
        let parsed = timeline_row(row)?;
        let name = row.text(1);
        let index = match services.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                services.push(ServiceTimeline { name: name.to_string(), rows: Vec::new() });
                services.len() - 1
            }
        };
        let series = &mut services[index];
        if series.rows.last().is_some_and(|last| last.t_ms > parsed.t_ms) {
            return Err(row.error(0, "rows of a service must be in time order".to_string()));
        }
        series.rows.push(parsed);
        Ok(())
    })?;
    if services.is_empty() {
        return Err(PlotError::at(file, 2, None, "no rows: nothing to plot".to_string()));
    }
    Ok(services)
}

fn timeline_row(row: &Row<'_>) -> Result<TimelineRow, PlotError> {
    Ok(TimelineRow {
        t_ms: row.millis(0)?,
        desired: row.count(2)?,
        healthy_old: row.count(5)?,
        healthy_new: row.count(6)?,
        starting: row.count(7)?,
        stopping: row.count(8)?,
        idle: 0,
        update_state: row.text(10).to_string(),
    })
}

/// Reads `nodes.csv` into one mark per change of a node's state or availability (its first row
/// is where it started, no change), or its removal.
pub(crate) fn node_marks(file: &str, bytes: &[u8]) -> Result<Vec<NodeMark>, PlotError> {
    let mut last: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut marks = Vec::new();
    for_each_row(file, bytes, &NODES_HEADER, |row| {
        let t_ms = row.millis(0)?;
        let (node, state, availability) = (row.text(1), row.text(2), row.text(3));
        let now = (state.to_string(), availability.to_string());
        let Some(before) = last.insert(node.to_string(), now.clone()) else { return Ok(()) };
        let mut what: Vec<&str> = Vec::new();
        if row.text(4).starts_with("removed") {
            what.push("removed");
        } else {
            if before.0 != now.0 {
                what.push(state);
            }
            if before.1 != now.1 {
                what.push(availability);
            }
        }
        if !what.is_empty() {
            marks.push(NodeMark { t_ms, label: format!("{node} {}", what.join(" ")) });
        }
        Ok(())
    })?;
    Ok(marks)
}

/// A set of keys asked only whether a key is in it (see [`marks`]).
#[allow(clippy::disallowed_types)]
type KeySet = HashSet<Box<str>, crate::ps::replay::Fast>;

/// Reads `events.csv` into markers per service. `timelines` gives the update state at each
/// instant, which tells a replacement during an update from the initial deployment.
#[allow(clippy::disallowed_types)] // membership-only hash sets (see below)
pub(crate) fn marks(
    file: &str,
    bytes: impl std::io::Read,
    timelines: &[ServiceTimeline],
) -> Result<BTreeMap<String, Vec<Mark>>, PlotError> {
    let mut marks = Marks::new(timelines);
    // Sets asked only whether a key is in them, never iterated (so their order reaches no
    // output): a hash set of the key's fields, each but the last preceded by its length (so
    // that no two keys spell alike), built in one reused buffer, so that a row that adds
    // nothing allocates nothing.
    let (mut seen_tasks, mut failed_tasks, mut used_slots) = (KeySet::default(), KeySet::default(), KeySet::default());
    let mut task = String::new();
    let mut slot_key = String::new();
    let insert = |set: &mut KeySet, key: &str| !set.contains(key) && set.insert(key.into());
    for_each_row(file, bytes, &EVENTS_HEADER, |row| {
        let t_ms = row.millis(0)?;
        let service = row.text(1);
        task.clear();
        let _ = write!(task, "{}:{service}{}", service.len(), row.text(2));
        // Global tasks all have slot 0: their slot is the node.
        let slot = if row.text(3) == "0" { row.text(4) } else { row.text(3) };
        let first_row = insert(&mut seen_tasks, &task);
        slot_key.clear();
        let _ = write!(slot_key, "{}:{service}{}:{}{slot}", service.len(), row.text(3).len(), row.text(3));
        let slot_reused = !insert(&mut used_slots, &slot_key);
        let ended_while_wanted = ended_while_wanted(row.text(6), row.text(7));
        marks.row(service, t_ms, first_row && slot_reused, || ended_while_wanted && insert(&mut failed_tasks, &task));
        Ok(())
    })?;
    Ok(marks.done())
}

/// [`marks`] of the `events.csv` that [`crate::report::events::write_events_csv`] writes from
/// `record`, from the record's rows themselves: the same markers (each text test below is the
/// one `marks` makes on the row's CSV text), without formatting the file and parsing it back.
/// Names are compared by `canonical` (each [`Name`](crate::model::record::Name)'s first name
/// of the same text, [`crate::ps::replay::canonical_names`]), so two names spelling one text are
/// one key, as their texts are in the file.
#[allow(clippy::disallowed_types)] // a membership-only hash set (see `SlotSet`)
pub(crate) fn marks_of_record(
    record: &crate::model::record::RunRecord,
    canonical: &crate::model::record::PerName<crate::model::record::Name>,
    timelines: &[ServiceTimeline],
) -> BTreeMap<String, Vec<Mark>> {
    let mut marks = Marks::new(timelines);
    let (mut seen_tasks, mut failed_tasks) = (PairSet::new(&record.names), PairSet::new(&record.names));
    let mut used_slots = SlotSet::default();
    let canon = |name: crate::model::record::Name| canonical[name];
    for e in record.task_events.iter() {
        let t_ms = e.t.0 / 1_000_000;
        let (service, task) = (canon(e.service), canon(e.task_id));
        let first_row = seen_tasks.insert(task, service);
        // Global tasks all have slot 0: their slot is the node.
        let node = if e.slot == 0 { canon(e.node).0 } else { u32::MAX };
        let slot_reused = !used_slots.insert((service.0, e.slot, node));
        let ended_while_wanted = ended_while_wanted(e.desired_state.as_str(), e.state.as_str());
        marks.row(record.name(e.service), t_ms, first_row && slot_reused, || {
            ended_while_wanted && failed_tasks.insert(task, service)
        });
    }
    marks.done()
}

/// A task that ended (failed, rejected, or exited) while Swarm wanted it running, by the state
/// names of an `events.csv` row.
fn ended_while_wanted(desired: &str, state: &str) -> bool {
    matches!(state, "failed" | "rejected" | "complete") && desired == "running"
}

/// The markers of [`marks`] as its rows come.
struct Marks<'t> {
    timelines: &'t [ServiceTimeline],
    by_service: BTreeMap<String, Vec<Mark>>,
}

impl<'t> Marks<'t> {
    fn new(timelines: &'t [ServiceTimeline]) -> Self {
        Marks { timelines, by_service: BTreeMap::new() }
    }

    /// One row: `first_in_used_slot` when it is a task's first row and another task had its
    /// slot before (a slot taken, if an update is on then); `failed` says (when called) whether
    /// it is the first row of the task that ended while wanted running.
    fn row(&mut self, service: &str, t_ms: u64, first_in_used_slot: bool, failed: impl FnOnce() -> bool) {
        if first_in_used_slot && update_active_at(self.timelines, service, t_ms) {
            self.push(service, Mark { t_ms, kind: MarkKind::SlotTaken });
        }
        if failed() {
            self.push(service, Mark { t_ms, kind: MarkKind::Failure });
        }
    }

    fn push(&mut self, service: &str, mark: Mark) {
        match self.by_service.get_mut(service) {
            Some(marks) => marks.push(mark),
            None => {
                self.by_service.insert(service.to_string(), vec![mark]);
            }
        }
    }

    fn done(self) -> BTreeMap<String, Vec<Mark>> {
        self.by_service
    }
}

/// A set of (task, service) pairs of canonical name indices: most tasks have one service, so
/// the first service each task is seen with is kept in a table indexed by the task; a second
/// service of the same task id (never seen in practice) goes to an ordered set.
struct PairSet {
    /// `service + 1` of each task's first pair, 0 when none.
    first: crate::model::record::PerName<u32>,
    others: std::collections::BTreeSet<(crate::model::record::Name, crate::model::record::Name)>,
}

impl PairSet {
    fn new(names: &crate::model::record::Names) -> Self {
        PairSet { first: crate::model::record::PerName::new(names, 0), others: Default::default() }
    }

    /// Adds the pair; true when it was not there.
    fn insert(&mut self, task: crate::model::record::Name, service: crate::model::record::Name) -> bool {
        // A name is never `u32::MAX` (task indexes stay below the task bit's last value).
        let key = service.0 + 1;
        let first = &mut self.first[task];
        if *first == 0 {
            *first = key;
            true
        } else if *first == key {
            false
        } else {
            self.others.insert((task, service))
        }
    }
}

/// Slots by (service, slot, node of a global task or `u32::MAX`), asked only whether one is in
/// the set, never iterated.
#[allow(clippy::disallowed_types)]
type SlotSet = HashSet<(u32, u64, u32), crate::ps::replay::Fast>;

/// True when the service's UpdateStatus at `t_ms` is one an updater works in.
fn update_active_at(timelines: &[ServiceTimeline], service: &str, t_ms: u64) -> bool {
    let Some(series) = timelines.iter().find(|s| s.name == service) else {
        return false;
    };
    let at = series.rows.partition_point(|r| r.t_ms <= t_ms);
    at > 0 && matches!(series.rows[at - 1].update_state.as_str(), "updating" | "rollback_started")
}

/// Reads `requests.csv` into per-service rows.
pub(crate) fn requests(file: &str, bytes: &[u8]) -> Result<BTreeMap<String, Vec<RequestRow>>, PlotError> {
    let mut out: BTreeMap<String, Vec<RequestRow>> = BTreeMap::new();
    for_each_row(file, bytes, &REQUESTS_HEADER, |row| {
        let parsed = RequestRow { t_ms: row.millis(0)?, ok: row.count(2)?, failed: row.count(3)? };
        let rows = out.entry(row.text(1).to_string()).or_default();
        if rows.last().is_some_and(|last| last.t_ms > parsed.t_ms) {
            return Err(row.error(0, "rows of a service must be in time order".to_string()));
        }
        rows.push(parsed);
        Ok(())
    })?;
    Ok(out)
}

/// Scenario and seed from `summary.json`; `None` when either is missing (the title then
/// goes without them rather than failing the plot).
pub(crate) fn run_info(bytes: &[u8]) -> Option<RunInfo> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let scenario = value.get("scenario")?.as_str()?.to_string();
    let seed = value.get("seed")?.as_u64()?;
    Some(RunInfo { scenario, seed })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "t_s,service,desired,running_old,running_new,healthy_old,healthy_new,starting,stopping,serving,update_state\n";

    #[test]
    fn millis_are_exact() {
        assert_eq!(parse_millis("12.345"), Some(12_345));
        assert_eq!(parse_millis("0.5"), Some(500));
        assert_eq!(parse_millis("7"), Some(7_000));
        assert_eq!(parse_millis("1.2345"), None);
        assert_eq!(parse_millis("-1"), None);
        assert_eq!(parse_millis(""), None);
    }

    #[test]
    fn services_keep_their_first_appearance_order() {
        let text =
            format!("{HEADER}0.000,b,1,0,0,0,0,1,0,0,\n0.000,a,2,0,0,0,0,2,0,0,\n1.000,b,1,1,0,1,0,0,0,1,updating\n");
        let services = timeline("timeline.csv", text.as_bytes()).unwrap();
        assert_eq!(services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(services[0].rows[1].update_state, "updating");
    }

    #[test]
    fn a_bad_field_names_file_line_and_column() {
        let text = format!("{HEADER}0.000,web,10,0,0,0,0,10,0,0,\n1.000,web,ten,0,0,0,0,10,0,0,\n");
        let err = timeline("reports/x/timeline.csv", text.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "reports/x/timeline.csv: line 3, column desired: expected a whole number, found \"ten\""
        );
    }

    #[test]
    fn a_wrong_header_or_width_is_refused() {
        let err = timeline("t.csv", b"time,service\n1,web\n").unwrap_err();
        assert!(err.to_string().starts_with("t.csv: line 1: expected the header"), "{err}");
        let text = format!("{HEADER}0.000,web,10\n");
        let err = timeline("t.csv", text.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("line 2: expected 11 columns, found 3"), "{err}");
        assert!(timeline("t.csv", b"").is_err());
        assert!(timeline("t.csv", HEADER.as_bytes()).is_err());
    }

    #[test]
    fn events_give_failures_and_slot_replacements_during_updates() {
        let tl = format!("{HEADER}0.000,web,1,0,0,0,0,1,0,0,\n60.000,web,1,1,0,1,0,1,1,1,updating\n");
        let timelines = timeline("timeline.csv", tl.as_bytes()).unwrap();
        let events = "t_s,service,task_id,slot,node,image,desired_state,state,message\n\
            0.000,web,a,1,,img:1,running,new,created\n\
            60.000,web,b,1,,img:2,ready,new,created\n\
            70.000,web,b,1,n1,img:2,running,complete,finished\n\
            70.050,web,b,1,n1,img:2,shutdown,complete,finished\n";
        let marks = marks("events.csv", events.as_bytes(), &timelines).unwrap();
        assert_eq!(
            marks["web"],
            [Mark { t_ms: 60_000, kind: MarkKind::SlotTaken }, Mark { t_ms: 70_000, kind: MarkKind::Failure }]
        );
    }

    #[test]
    fn run_info_needs_scenario_and_seed() {
        assert_eq!(run_info(br#"{"scenario":"x","seed":3}"#), Some(RunInfo { scenario: "x".into(), seed: 3 }));
        assert_eq!(run_info(b"{}"), None);
        assert_eq!(run_info(b"not json"), None);
    }
}

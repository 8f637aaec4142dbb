//! Reads a trace recorded from a real swarm (`NAME.rN.{tasks,containers,service}.csv`, plus the
//! multi-node `nodes`, `actions` and `daemons` files when present) into a [`RunObs`].
//!
//! A trace is named by its path prefix (`traces/s01-rolling-basic.r1`) or by the path of any of
//! its files (`traces/s01-rolling-basic.r1.tasks.csv`): both name the same run.

use crate::limits::MAX_TRACE_ROWS;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::observe::{self, RunObs, TaskObs, is_terminal};

/// The files every trace has.
const REQUIRED: [&str; 3] = ["tasks", "containers", "service"];
/// Multi-node extras: only their times are read (they extend the observed window), and
/// `actions` says when a node's link was cut.
const OPTIONAL: [&str; 3] = ["nodes", "actions", "daemons"];
/// When the recording ended (`t_end_s`): written by the recorders and `tools/import-fidelity-traces`.
const RECORDING: &str = "recording";

/// A trace on disk: the common prefix of its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracePath {
    /// `dir/NAME.rN`: every file is `<prefix>.<kind>.csv`.
    pub prefix: PathBuf,
}

impl TracePath {
    /// Accepts a prefix or the path of one of the trace's files.
    pub fn new(arg: &Path) -> TracePath {
        let text = arg.to_string_lossy();
        let stripped = REQUIRED
            .iter()
            .chain(&OPTIONAL)
            .chain(&[RECORDING])
            .find_map(|kind| text.strip_suffix(&format!(".{kind}.csv")))
            .map(PathBuf::from);
        TracePath { prefix: stripped.unwrap_or_else(|| arg.to_path_buf()) }
    }

    /// The file of one kind (`tasks`, `containers`, ...).
    pub fn file(&self, kind: &str) -> PathBuf {
        let mut name = self.prefix.as_os_str().to_os_string();
        name.push(format!(".{kind}.csv"));
        PathBuf::from(name)
    }

    /// A short label: the run suffix (`r1`) when the prefix ends in `.rN`, else the file name.
    pub fn label(&self) -> String {
        let name = self.prefix.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match name.rsplit_once('.') {
            Some((_, run)) if run.starts_with('r') && run[1..].chars().all(|c| c.is_ascii_digit()) => run.to_string(),
            _ => name,
        }
    }

    /// The recorder's raw metadata (`DIR/raw/NAME.rN.meta.json`), which old traces have instead
    /// of a `recording.csv`.
    pub fn raw_meta(&self) -> PathBuf {
        let name = self.prefix.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        let mut file = name;
        file.push(".meta.json");
        self.prefix.parent().unwrap_or(Path::new("")).join("raw").join(file)
    }

    /// The required files that do not exist, for one clear message.
    pub fn missing_files(&self) -> Vec<PathBuf> {
        REQUIRED.iter().map(|k| self.file(k)).filter(|p| !p.is_file()).collect()
    }
}

/// A container event (`containers.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerEvent {
    /// Seconds after the action.
    pub t: f64,
    /// Daemon that reported it (empty on a single-node trace).
    pub node: String,
    /// Task the container belongs to.
    pub task_id: String,
    /// `image:tag`.
    pub image: String,
    /// `create`, `start`, `kill`, `die`, `stop`, `health_status: healthy`, ...
    pub event: String,
    /// Exit code of a `die` (`None` when empty).
    pub exit_code: Option<i64>,
    /// Signal of a `kill` (`None` when empty).
    pub signal: Option<i64>,
}

/// A trace's rows, before they are shaped into a [`RunObs`].
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Where it was read from.
    pub path: TracePath,
    /// Task rows as observations.
    pub run: RunObs,
    /// Container events in time order.
    pub containers: Vec<ContainerEvent>,
    /// (node, unreachable from, reachable again at) from `actions.csv` link cuts and daemon kills.
    pub cuts: Vec<(String, f64, f64)>,
}

/// Reads a trace. Errors name the file.
pub fn load(path: &TracePath) -> Result<Trace, String> {
    let missing = path.missing_files();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
        return Err(format!("trace file not found: {}", names.join(", ")));
    }
    let tasks_rows =
        read_csv(&path.file("tasks"), &["t_s", "task_id", "slot", "image", "state"], &["node", "desired_state"])?;
    let service_rows = read_csv(&path.file("service"), &["t_s", "update_state"], &[])?;
    let container_rows =
        read_csv(&path.file("containers"), &["t_s", "task_id", "image", "event"], &["node", "exit_code", "signal"])?;
    let mut last_row = f64::NEG_INFINITY;
    for (rows, kind) in [(&tasks_rows, "tasks"), (&service_rows, "service"), (&container_rows, "containers")] {
        for row in rows.iter() {
            last_row = last_row.max(parse_secs(&row[0], &path.file(kind))?);
        }
    }
    let mut action_rows = Vec::new();
    let mut node_states = None;
    for kind in OPTIONAL {
        let file = path.file(kind);
        if !file.is_file() {
            continue;
        }
        let rows = read_csv(&file, &["t_s"], &["kind", "target"])?;
        for row in &rows {
            last_row = last_row.max(parse_secs(&row[0], &file)?);
        }
        if kind == "actions" {
            action_rows = rows;
        } else if kind == "nodes" {
            node_states = Some(node_states_from_file(&file)?);
        }
    }
    let recording_end = match recording_end(path)? {
        Some((end, source)) if end + 1e-3 < last_row => {
            return Err(format!(
                "{}: the recording ends at {end:.3}s but the trace has rows until {last_row:.3}s",
                source.display()
            ));
        }
        found => found.map(|(end, _)| end),
    };
    let has_nodes = tasks_rows.iter().any(|r| !r[5].is_empty());
    let mut tasks = tasks_from_rows(&tasks_rows, &path.file("tasks"))?;
    let per_node_slots = observe::number_node_slots(&mut tasks);
    let (status, initial_state, final_state) = status_from_rows(&service_rows, &path.file("service"))?;
    let containers = containers_from_rows(&container_rows, &path.file("containers"))?;
    complete_reaped_tasks(&mut tasks, &tasks_rows, &containers);
    note_removals(&mut tasks, &containers);
    note_deletions(&mut tasks, path)?;
    let cuts = cuts_from_rows(&action_rows, &path.file("actions"))?;
    let serving = serving_steps(&tasks, &containers, &cuts);
    let run = RunObs {
        label: path.label(),
        status,
        final_state,
        initial_state,
        tasks,
        last_row: Some(last_row),
        recording_end,
        serving,
        has_nodes,
        per_node_slots,
        node_states,
    };
    Ok(Trace { path: path.clone(), run, containers, cuts })
}

/// When the recording ended, seconds after the action, and the file that says so:
/// `recording.csv`'s `t_end_s`, else the recorder's `raw/NAME.rN.meta.json` (`t_end_s`), else
/// unknown (an old trace: `None`).
fn recording_end(path: &TracePath) -> Result<Option<(f64, PathBuf)>, String> {
    let file = path.file(RECORDING);
    if file.is_file() {
        let rows = read_csv(&file, &["t_end_s"], &[])?;
        let [row] = rows.as_slice() else {
            return Err(format!("{}: expected one row, found {}", file.display(), rows.len()));
        };
        return parse_secs(&row[0], &file).map(|t| Some((t, file)));
    }
    let meta = path.raw_meta();
    if !meta.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&meta).map_err(|e| format!("cannot read {}: {e}", meta.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", meta.display()))?;
    match value.get("t_end_s").and_then(serde_json::Value::as_f64) {
        Some(t) if t.is_finite() => Ok(Some((t, meta))),
        Some(_) => Err(format!("{}: t_end_s is not a finite number", meta.display())),
        None => Ok(None),
    }
}

/// Task rows → tasks, each with its states in time order. The files are sorted by time already;
/// they are sorted again (stably) so that nothing depends on it.
fn tasks_from_rows(rows: &[Vec<String>], file: &Path) -> Result<Vec<TaskObs>, String> {
    let mut timed: Vec<(f64, usize, &Vec<String>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        timed.push((parse_secs(&row[0], file)?, i, row));
    }
    timed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut tasks: Vec<TaskObs> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (t, i, row) in timed {
        // A global service's tasks have no slot (the node is the slot): numbered afterwards.
        let slot: u64 = if row[2].is_empty() {
            0
        } else {
            row[2].parse().map_err(|e| format!("{}: bad slot '{}': {e}", file.display(), row[2]))?
        };
        let k = *index.entry(row[1].clone()).or_insert_with(|| {
            tasks.push(TaskObs {
                id: row[1].clone(),
                slot,
                image: row[3].clone(),
                node: String::new(),
                first_seen: t,
                first_index: i,
                states: Vec::new(),
                origin: None,
                removed: None,
                deleted: None,
            });
            tasks.len() - 1
        });
        if !row[5].is_empty() {
            tasks[k].node = row[5].clone();
        }
        tasks[k].states.push((t, row[4].clone()));
    }
    Ok(tasks)
}

/// The task reaper deletes a task meant for removal (desired REMOVE: a scale-down, `docker
/// service rm`) as soon as it has shut down, and a poll can miss the short SHUTDOWN in between:
/// such a task's rows end while it is still RUNNING, though its container was stopped. Its end
/// is completed from the container events: SHUTDOWN when the daemon reported the container
/// stopped (the agent reports it then: where the poll did see SHUTDOWN, its timestamp is the
/// `stop` event's, e.g. m08 r1 slots 3 and 6).
fn complete_reaped_tasks(tasks: &mut [TaskObs], rows: &[Vec<String>], containers: &[ContainerEvent]) {
    let mut last_desired: BTreeMap<&str, &str> = BTreeMap::new();
    for row in rows {
        if !row[6].is_empty() {
            last_desired.insert(&row[1], &row[6]);
        }
    }
    for task in tasks.iter_mut() {
        let Some(&(last_t, ref last_state)) = task.states.last() else { continue };
        if is_terminal(last_state) || last_desired.get(task.id.as_str()) != Some(&"remove") {
            continue;
        }
        let stopped = containers.iter().find(|c| c.task_id == task.id && c.event == "stop" && c.t >= last_t);
        if let Some(stop) = stopped {
            task.states.push((stop.t, "shutdown".to_string()));
        }
    }
}

/// Service rows → UpdateStatus changes, the state at the action and the final state. Rows before
/// the action (t < 0) are the baseline: the state the service was already in (`(none)` for a
/// fresh service, e.g. `completed` for one updated before), not a change the action caused.
/// After it, `(none)` following a state is a change too: a spec update that asked for no new
/// task (`docker service scale`) set UpdateStatus back to nil, or the service was removed.
type StatusRows = (Vec<(f64, String)>, String, String);

fn status_from_rows(rows: &[Vec<String>], file: &Path) -> Result<StatusRows, String> {
    let mut status = Vec::new();
    let mut initial = "none".to_string();
    let mut final_state = "none".to_string();
    for row in rows {
        let state = if row[1] == "(none)" || row[1].is_empty() { "none".to_string() } else { row[1].clone() };
        let t = parse_secs(&row[0], file)?;
        if t < 0.0 {
            initial = state.clone();
        } else if state != final_state {
            status.push((t, state.clone()));
        }
        final_state = state;
    }
    Ok((status, initial, final_state))
}

/// When each task left the store, from `deleted.csv` where the recorder wrote one (since
/// 2026-12-07): the first poll that no longer listed it.
fn note_deletions(tasks: &mut [TaskObs], path: &TracePath) -> Result<(), String> {
    let file = path.file("deleted");
    if !file.is_file() {
        return Ok(());
    }
    for row in read_csv(&file, &["first_missing_s", "task_id"], &[])? {
        let t = parse_secs(&row[0], &file)?;
        if let Some(task) = tasks.iter_mut().find(|task| task.id == row[1]) {
            task.deleted.get_or_insert(t);
        }
    }
    Ok(())
}

/// Each task's container `destroy` (the agent removed it: the task reaper deleted the task).
fn note_removals(tasks: &mut [TaskObs], containers: &[ContainerEvent]) {
    for c in containers.iter().filter(|c| c.event == "destroy") {
        if let Some(task) = tasks.iter_mut().find(|t| t.id == c.task_id) {
            task.removed.get_or_insert(c.t);
        }
    }
}

fn containers_from_rows(rows: &[Vec<String>], file: &Path) -> Result<Vec<ContainerEvent>, String> {
    let mut out = Vec::new();
    for row in rows {
        out.push(ContainerEvent {
            t: parse_secs(&row[0], file)?,
            task_id: row[1].clone(),
            image: row[2].clone(),
            event: row[3].clone(),
            node: row[4].clone(),
            exit_code: parse_opt_int(&row[5], file)?,
            signal: parse_opt_int(&row[6], file)?,
        });
    }
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok(out)
}

/// `cut`/`kill` make a node unreachable until its `restore`/`start` (or for ever); the
/// manager's own daemon kill and start (`kill_manager`/`start_manager`, m12) too.
/// Each node's state at the action and its changes, from `nodes.csv`: a row per Docker node
/// event (its `detail` says the state it left, `state.old`) and per poll of `docker node ls`,
/// and the manager's log lines. Two log lines say what no event may show: a new leader
/// (`raft leader`) marks every node `unknown` (swarmkit `dispatcher.markNodesUnknown`), and a
/// worker registering with its dispatcher (`worker registered`) is READY. A registration
/// with no state change seen since the last leader change is a return from that unseen
/// `unknown` (a worker that registered within milliseconds of the leader, before the event
/// stream or a poll could see it). A poll is timed by its requests (the recorder's `t_s` is the
/// midpoint of its `/tasks`, `/services` and `/nodes` calls), but a request made while the
/// manager restarts is answered only once it serves again, and a node's `UpdatedAt` (its record's
/// last write, of any field) cannot be later than the answer: a poll counts from
/// max(`t_s`, `UpdatedAt`). In m12 r4 the nodes' poll at 10.533 s carries `UpdatedAt` 10.78 s;
/// read at 10.533 it would precede the 10.773 s event of the same `unknown` and count that
/// change twice (m12 r3's `unknown` poll moves the same way, 11.325 → 11.467 s, after its
/// leader).
fn node_states_from_file(file: &Path) -> Result<observe::NodeStates, String> {
    let rows = read_csv(file, &["t_s", "node", "state"], &["detail", "source", "message"])?;
    let mut timed = Vec::with_capacity(rows.len());
    for row in &rows {
        let called = parse_secs(&row[0], file)?;
        let seen = match row[4].as_str() {
            "poll" => updated_at(&row[3]).map_or(called, |updated| called.max(updated)),
            _ => called,
        };
        timed.push((seen, row));
    }
    // Stable: two sightings at one millisecond keep the file's order, except that a Docker
    // event goes before a poll or log line of that millisecond. A poll is dated by its
    // requests, the event by the manager's write: a poll whose requests began before the write
    // and whose answer carries it gets the write's `UpdatedAt`, the event's own time to the
    // millisecond, and may come first in the file (m17c r1: the poll's `down` at 14.189 s
    // before the event's `down` at 14.189 s). Read in that order, the event's `state.old`
    // (`ready`) would say the node had been READY again in between.
    timed.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| (a.1[4] != "node-event").cmp(&(b.1[4] != "node-event"))));
    let mut leader_at: Option<f64> = None;
    let mut last_seen: BTreeMap<&str, f64> = BTreeMap::new();
    let mut seen: Vec<(f64, &str, &str, Option<String>)> = Vec::with_capacity(rows.len());
    for (t, row) in timed {
        let (node, state, source, message) = (row[1].as_str(), row[2].as_str(), row[4].as_str(), row[5].as_str());
        if !state.is_empty() {
            seen.push((t, node, state, state_left(&row[3])));
            last_seen.insert(node, t);
        } else if source == "manager-log" && message.starts_with("raft leader") {
            leader_at = Some(t);
        } else if source == "manager-log" && message.starts_with("worker registered") {
            let unseen_unknown = leader_at.is_some_and(|l| last_seen.get(node).is_none_or(|&n| n < l));
            seen.push((t, node, "ready", unseen_unknown.then(|| "unknown".to_string())));
            last_seen.insert(node, t);
        }
    }
    Ok(observe::node_states(seen.iter().map(|(t, node, state, left)| (*t, *node, *state, left.as_deref()))))
}

/// A node event's `state.old`, from a row's `detail` (a JSON object; absent or unreadable: none).
fn state_left(detail: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(detail).ok()?;
    value.get("state.old")?.as_str().map(str::to_string)
}

/// A polled node's `UpdatedAt` (seconds on the trace's clock), from a row's `detail`.
fn updated_at(detail: &str) -> Option<f64> {
    let value: serde_json::Value = serde_json::from_str(detail).ok()?;
    value.get("UpdatedAt_s")?.as_f64()
}

fn cuts_from_rows(rows: &[Vec<String>], file: &Path) -> Result<Vec<(String, f64, f64)>, String> {
    let mut open: BTreeMap<String, f64> = BTreeMap::new();
    let mut cuts = Vec::new();
    for row in rows {
        let t = parse_secs(&row[0], file)?;
        match row[1].as_str() {
            "cut" | "kill" | "kill_manager" => {
                open.entry(row[2].clone()).or_insert(t);
            }
            "restore" | "start" | "start_manager" => {
                if let Some(from) = open.remove(&row[2]) {
                    cuts.push((row[2].clone(), from, t));
                }
            }
            _ => {}
        }
    }
    cuts.extend(open.into_iter().map(|(node, from)| (node, from, f64::INFINITY)));
    Ok(cuts)
}

/// The serving count over time, by summary_notes.md's definition of "healthy": from the
/// container's `health_status: healthy` until its SIGTERM (`kill`), its exit (`die`) or
/// `health_status: unhealthy`. Two additions make it comparable with the simulation's
/// `serving`: an image that never reports a health status (no health check) serves from its
/// `start`; and a container on a node whose link was cut (`actions.csv`) receives no traffic
/// while the cut lasts, however its local probes go. Tasks `running` at the action serve from
/// the start (a task with a health check is only reported running once healthy).
fn serving_steps(tasks: &[TaskObs], containers: &[ContainerEvent], cuts: &[(String, f64, f64)]) -> Vec<(f64, u64)> {
    let checked: BTreeSet<&str> =
        containers.iter().filter(|c| c.event.starts_with("health_status")).map(|c| c.image.as_str()).collect();
    let node_of: BTreeMap<&str, &str> = tasks.iter().map(|t| (t.id.as_str(), t.node.as_str())).collect();
    let mut healthy: BTreeSet<String> =
        tasks.iter().filter(|t| t.state_at(0.0) == Some("running")).map(|t| t.id.clone()).collect();
    // Changes in time order: container events after the action, and cut edges.
    let mut changes: Vec<(f64, Change)> = containers
        .iter()
        .filter(|c| c.t > 0.0)
        .filter_map(|c| container_change(c, &checked).map(|ch| (c.t, ch)))
        .collect();
    for (_, from, until) in cuts {
        changes.push((*from, Change::Cut));
        changes.push((*until, Change::Cut));
    }
    changes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let reachable = |id: &str, t: f64| {
        let node = node_of.get(id).copied().unwrap_or("");
        !cuts.iter().any(|(n, from, until)| n == node && *from <= t && t < *until)
    };
    let count = |healthy: &BTreeSet<String>, t: f64| healthy.iter().filter(|id| reachable(id, t)).count() as u64;
    let mut steps = vec![(0.0, count(&healthy, 0.0))];
    for (t, change) in changes {
        match change {
            Change::Up(id) => {
                healthy.insert(id);
            }
            Change::Down(id) => {
                healthy.remove(&id);
            }
            Change::Cut => {}
        }
        let n = count(&healthy, t);
        if steps.last().map(|s| s.1) != Some(n) {
            steps.push((t, n));
        }
    }
    steps
}

/// How a container event changes the set of serving containers.
enum Change {
    Up(String),
    Down(String),
    /// A link cut or restore: the set is the same, its reachable part changes.
    Cut,
}

fn container_change(c: &ContainerEvent, checked: &BTreeSet<&str>) -> Option<Change> {
    match c.event.as_str() {
        "health_status: healthy" => Some(Change::Up(c.task_id.clone())),
        "start" if !checked.contains(c.image.as_str()) => Some(Change::Up(c.task_id.clone())),
        "kill" | "die" | "health_status: unhealthy" => Some(Change::Down(c.task_id.clone())),
        _ => None,
    }
}

/// Reads a CSV file with a header: the `required` columns, then the `optional` ones (empty
/// strings when the file lacks them), for every row.
fn read_csv(path: &Path, required: &[&str], optional: &[&str]) -> Result<Vec<Vec<String>>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("cannot read trace file {}: {e}", path.display()))?;
    let header = reader.headers().map_err(|e| format!("{}: bad header: {e}", path.display()))?.clone();
    let mut positions: Vec<Option<usize>> = Vec::new();
    for c in required {
        let p = header.iter().position(|h| h == *c).ok_or_else(|| format!("{}: no column '{c}'", path.display()))?;
        positions.push(Some(p));
    }
    positions.extend(optional.iter().map(|c| header.iter().position(|h| h == *c)));
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() == MAX_TRACE_ROWS {
            return Err(format!(
                "{}: more than {MAX_TRACE_ROWS} rows (deploysim's limit on a trace file)",
                path.display()
            ));
        }
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        rows.push(positions.iter().map(|p| p.and_then(|p| record.get(p)).unwrap_or("").to_string()).collect());
    }
    Ok(rows)
}

fn parse_secs(text: &str, file: &Path) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(t) if t.is_finite() => Ok(t),
        Ok(_) => Err(format!("{}: bad time '{text}': not a finite number of seconds", file.display())),
        Err(e) => Err(format!("{}: bad time '{text}': {e}", file.display())),
    }
}

fn parse_opt_int(text: &str, file: &Path) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|e| format!("{}: bad number '{text}': {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traces_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fidelity/traces")
    }

    /// Node states from real multi-node recordings, each read as the file shows it.
    #[test]
    fn node_states_come_from_events_polls_and_the_managers_log() {
        // m01 r1: a worker's link cut at 0 s; the Docker event (12.086 s) and the poll that
        // follows (12.133 s) are one change, the event's time; back READY at 62.095 s.
        let m01 = node_states_from_file(&traces_dir().join("m01-node-down.r1.nodes.csv")).unwrap();
        let w2 = &m01["mn-w2"];
        assert_eq!(w2.0, "ready");
        assert_eq!(w2.1, vec![(12.086, "down".to_string()), (62.095, "ready".to_string())]);
        assert!(m01["vm"].1.is_empty() && m01["mn-w1"].1.is_empty(), "the other nodes never changed");

        // m12 r1: the manager restarted; its own `unknown` was never seen (the event stream came
        // back after it), but the READY event says the state it left: a change of unseen time.
        let m12 = node_states_from_file(&traces_dir().join("m12-manager-restart.r1.nodes.csv")).unwrap();
        let vm = &m12["vm"].1;
        assert_eq!(vm.len(), 2, "{vm:?}");
        assert!(vm[0].0.is_nan() && vm[0].1 == "unknown", "{vm:?}");
        assert_eq!(vm[1], (11.540, "ready".to_string()));
        assert_eq!(m12["mn-w1"].1, vec![(10.874, "unknown".to_string()), (12.053, "ready".to_string())]);

        // m12b r1: a worker registered 0.3 s after the new leader, before any event or poll saw
        // it `unknown`: only the manager's log says so (leader, then "worker registered").
        let m12b = node_states_from_file(&traces_dir().join("m12b-manager-restart-worker-cut.r1.nodes.csv")).unwrap();
        let w2 = &m12b["mn-w2"].1;
        assert!(w2[0].0.is_nan() && w2[0].1 == "unknown", "{w2:?}");
        assert_eq!(w2[1], (10.863, "ready".to_string()));

        // m12 r4: a `docker node ls` called at 10.533 s, answered once the restarted manager
        // served, saw the `unknown` set at 10.78 s: one change, the event's (10.773 s).
        let m12r4 = node_states_from_file(&traces_dir().join("m12-manager-restart.r4.nodes.csv")).unwrap();
        assert_eq!(m12r4["mn-w1"].1, vec![(10.773, "unknown".to_string()), (13.124, "ready".to_string())]);
        assert_eq!(m12r4["vm"].1, vec![(10.773, "unknown".to_string()), (10.875, "ready".to_string())]);

        // m17c r1: the poll that saw mn-w1 DOWN is dated by its `UpdatedAt`, the event's
        // millisecond (14.189 s), and comes first in the file: still one change.
        let m17c =
            node_states_from_file(&traces_dir().join("m17c-scale-up-rm-worker-daemon-dead.r1.nodes.csv")).unwrap();
        assert_eq!(m17c["mn-w1"].1, vec![(14.189, "down".to_string()), (26.079, "ready".to_string())]);
    }

    fn row(t: &str, state: &str) -> Vec<String> {
        vec![t.to_string(), state.to_string()]
    }

    /// A service updated before the recording starts its trace with a baseline row (e.g.
    /// `completed` at t = -2 s): that is its starting state, not a change the action caused.
    #[test]
    fn baseline_rows_before_the_action_are_not_changes() {
        let rows = vec![row("-1.998", "completed"), row("0.046", "updating"), row("8.491", "paused")];
        let (status, initial, last) = status_from_rows(&rows, Path::new("x.service.csv")).unwrap();
        assert_eq!(status, vec![(0.046, "updating".to_string()), (8.491, "paused".to_string())]);
        assert_eq!((initial.as_str(), last.as_str()), ("completed", "paused"));
        let fresh = vec![row("-1.998", "(none)"), row("0.05", "updating")];
        assert_eq!(status_from_rows(&fresh, Path::new("x")).unwrap().0, vec![(0.05, "updating".to_string())]);
    }

    /// `(none)` after a state is a change (a `docker service scale` set UpdateStatus to nil, as
    /// recorded in s39), so that a model that kept the old state fails.
    #[test]
    fn a_reset_to_none_after_the_action_is_a_change() {
        let rows =
            vec![row("-2.0", "(none)"), row("0.067", "updating"), row("10.219", "(none)"), row("20.037", "updating")];
        let (status, _, last) = status_from_rows(&rows, Path::new("x")).unwrap();
        let states: Vec<&str> = status.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(states, ["updating", "none", "updating"]);
        assert_eq!(last, "updating");
    }

    /// A minimal trace: one task running from before the action, its last row at 1 s.
    fn write_trace(dir: &Path, name: &str) -> TracePath {
        let prefix = dir.join(name);
        let path = TracePath { prefix: prefix.clone() };
        std::fs::write(
            path.file("tasks"),
            "t_s,task_id,slot,image,desired_state,state\n-2.0,a,1,x:1,running,running\n1.0,a,1,x:1,shutdown,running\n",
        )
        .unwrap();
        std::fs::write(path.file("containers"), "t_s,task_id,image,event\n").unwrap();
        std::fs::write(path.file("service"), "t_s,update_state\n-2.0,(none)\n").unwrap();
        path
    }

    /// A task the reaper deleted before a poll saw it shut down ends in SHUTDOWN at its
    /// container's `stop` event; one only told to shut down (kept as history) or one whose
    /// container never stopped is left as recorded.
    #[test]
    fn a_reaped_task_is_completed_from_its_container_stop() {
        let dir = tempfile::tempdir().unwrap();
        let path = TracePath { prefix: dir.path().join("reaped.r1") };
        let tasks = "t_s,task_id,slot,image,desired_state,state\n\
                     -2.0,a,1,x:1,running,running\n-2.0,b,2,x:1,running,running\n-2.0,c,3,x:1,running,running\n\
                     0.05,a,1,x:1,remove,running\n0.05,b,2,x:1,shutdown,running\n0.05,c,3,x:1,remove,running\n";
        std::fs::write(path.file("tasks"), tasks).unwrap();
        let containers = "t_s,task_id,image,event\n1.2,a,x:1,kill\n1.6,a,x:1,die\n1.85,a,x:1,stop\n1.9,b,x:1,stop\n";
        std::fs::write(path.file("containers"), containers).unwrap();
        std::fs::write(path.file("service"), "t_s,update_state\n-2.0,(none)\n").unwrap();
        let run = load(&path).unwrap().run;
        let last = |id: &str| run.tasks.iter().find(|t| t.id == id).unwrap().states.last().cloned().unwrap();
        assert_eq!(last("a"), (1.85, "shutdown".to_string()));
        assert_eq!(last("b"), (0.05, "running".to_string()), "desired SHUTDOWN tasks stay in the store");
        assert_eq!(last("c"), (0.05, "running".to_string()), "no container stop, nothing to complete");
    }

    /// The window ends at the recording's end: recording.csv, else the recorder's raw
    /// meta.json, else (an old trace) the last row, and the report says which.
    #[test]
    fn the_window_ends_where_the_recording_did() {
        let dir = tempfile::tempdir().unwrap();
        let old = write_trace(dir.path(), "old.r1");
        let run = load(&old).unwrap().run;
        assert_eq!((run.window_end(), run.recording_end), (1.0, None));
        assert!(run.window_source().contains("last row"));

        std::fs::create_dir(dir.path().join("raw")).unwrap();
        std::fs::write(old.raw_meta(), r#"{"t_end_s": 9.5, "end_reason": "fixed window"}"#).unwrap();
        assert_eq!(load(&old).unwrap().run.window_end(), 9.5);

        std::fs::write(old.file("recording"), "t_end_s,end_reason\n12.25,terminal\n").unwrap();
        let run = load(&old).unwrap().run;
        assert_eq!(run.window_end(), 12.25);
        assert_eq!(run.window_source(), "the recording's end");
        assert_eq!(TracePath::new(&old.file("recording")), old, "recording.csv names the trace too");

        std::fs::write(old.file("recording"), "t_end_s\n0.5\n").unwrap();
        let err = load(&old).unwrap_err();
        assert!(err.contains("ends at 0.500s but the trace has rows until 1.000s"), "{err}");
        for bad in ["inf", "NaN"] {
            std::fs::write(old.file("recording"), format!("t_end_s\n{bad}\n")).unwrap();
            let err = load(&old).unwrap_err();
            assert!(err.contains("not a finite number"), "{bad}: {err}");
        }
    }
}

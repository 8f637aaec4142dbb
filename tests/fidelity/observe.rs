//! One run, real (a recorded trace) or simulated (a `RunRecord`), in a common shape: times in
//! seconds relative to the action, task states and UpdateStatus changes as Docker spells them.

use std::collections::BTreeMap;
use std::path::Path;

use deploysim::model::record::RunRecord;
use deploysim::time::SimTime;

/// The service's name in the simulation (`web` in the trace, which holds no other service).
pub const SIM_SERVICE: &str = "fid_web";

/// Task states after which a task never changes again (swarmkit: `state > RUNNING`).
const TERMINAL_TASK_STATES: [&str; 6] = ["complete", "shutdown", "failed", "rejected", "orphaned", "remove"];

/// One task as observed: every recorded (time, observed state), in time order.
#[derive(Clone, Debug)]
pub struct TaskObs {
    /// Slot number (as assigned by that run; runs number slots differently).
    pub slot: u64,
    /// `image:tag` of the task's spec.
    pub image: String,
    /// Time of the first observation: creation, or the first poll for tasks older than the
    /// recording. Orders the tasks of a slot.
    pub first_seen: f64,
    /// Position of the first observation in the source, to break ties in `first_seen`.
    pub first_index: usize,
    /// (time, state) rows; consecutive repeats are kept (desired-state-only changes).
    pub states: Vec<(f64, String)>,
}

impl TaskObs {
    /// The distinct consecutive observed states of this task within the window ending at
    /// `cut`: the state it was in at the action (if it existed then), then every change in
    /// (0, cut]. `None` if the task is not part of the window: created after `cut`, or already
    /// terminal before the action.
    pub fn window_states(&self, cut: f64) -> Option<Vec<String>> {
        let before: Option<&String> = self.states.iter().rev().find(|(t, _)| *t <= 0.0).map(|(_, s)| s);
        let during: Vec<&String> = self.states.iter().filter(|(t, _)| *t > 0.0 && *t <= cut).map(|(_, s)| s).collect();
        if before.is_none() && during.is_empty() {
            return None;
        }
        if during.is_empty() && before.is_some_and(|s| is_terminal(s)) {
            return None;
        }
        let mut out: Vec<String> = Vec::new();
        for s in before.into_iter().chain(during) {
            if out.last() != Some(s) {
                out.push(s.clone());
            }
        }
        Some(out)
    }

    /// Creation time if the task was created at or after the action (its first observation is
    /// `new`, i.e. creation itself was seen), else `None`.
    pub fn created_after_action(&self) -> Option<f64> {
        let (t, s) = self.states.first()?;
        (*t >= 0.0 && s == "new").then_some(*t)
    }
}

/// True for states a task never leaves.
pub fn is_terminal(state: &str) -> bool {
    TERMINAL_TASK_STATES.contains(&state)
}

/// One run of a scenario, aligned on its action (t = 0).
#[derive(Clone, Debug)]
pub struct RunObs {
    /// `r1`, `r2` or `sim`.
    pub label: String,
    /// UpdateStatus changes after the action: (time, state), in order.
    pub status: Vec<(f64, String)>,
    /// The last UpdateStatus state, `none` when the service never had one.
    pub final_state: String,
    /// Every task of the service, in order of first observation.
    pub tasks: Vec<TaskObs>,
    /// For a trace: the time of its last row (any of its three files); `None` for a simulation.
    pub last_row: Option<f64>,
}

impl RunObs {
    /// Time of the first UpdateStatus that ends the update's forward progress (`paused`,
    /// `completed`, `rollback_started` or any later rollback state), if any.
    pub fn first_terminal_status(&self) -> Option<f64> {
        self.status.iter().find(|(_, s)| s != "updating").map(|(t, _)| *t)
    }

    /// Tasks grouped by slot, each slot's tasks in creation order.
    pub fn by_slot(&self) -> BTreeMap<u64, Vec<&TaskObs>> {
        let mut slots: BTreeMap<u64, Vec<&TaskObs>> = BTreeMap::new();
        for task in &self.tasks {
            slots.entry(task.slot).or_default().push(task);
        }
        for tasks in slots.values_mut() {
            tasks.sort_by(|a, b| a.first_seen.total_cmp(&b.first_seen).then(a.first_index.cmp(&b.first_index)));
        }
        slots
    }
}

/// Reads `NAME.rN.{tasks,containers,service}.csv` from `dir`.
pub fn load_trace(dir: &Path, name: &str, run: u32) -> Result<RunObs, String> {
    let base = format!("{name}.r{run}");
    let tasks_rows = read_csv(&dir.join(format!("{base}.tasks.csv")), &["t_s", "task_id", "slot", "image", "state"])?;
    let service_rows = read_csv(&dir.join(format!("{base}.service.csv")), &["t_s", "update_state"])?;
    let container_rows = read_csv(&dir.join(format!("{base}.containers.csv")), &["t_s"])?;

    let mut last_row = f64::NEG_INFINITY;
    for row in tasks_rows.iter().chain(&service_rows).chain(&container_rows) {
        last_row = last_row.max(parse_secs(&row[0], &base)?);
    }

    // The trace's files are sorted by time; sort again (stably) so that nothing depends on it.
    let mut rows: Vec<(f64, usize, &Vec<String>)> = Vec::new();
    for (i, row) in tasks_rows.iter().enumerate() {
        rows.push((parse_secs(&row[0], &base)?, i, row));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut tasks: Vec<TaskObs> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (t, i, row) in rows {
        let slot: u64 = row[2].parse().map_err(|e| format!("{base}.tasks.csv: bad slot '{}': {e}", row[2]))?;
        let k = *index.entry(row[1].clone()).or_insert_with(|| {
            tasks.push(TaskObs { slot, image: row[3].clone(), first_seen: t, first_index: i, states: Vec::new() });
            tasks.len() - 1
        });
        tasks[k].states.push((t, row[4].clone()));
    }

    let mut status = Vec::new();
    let mut final_state = "none".to_string();
    for row in &service_rows {
        // `(none)` rows are the baseline polls before the action: no UpdateStatus yet.
        let state = if row[1] == "(none)" || row[1].is_empty() { "none".to_string() } else { row[1].clone() };
        if state != "none" {
            status.push((parse_secs(&row[0], &base)?, state.clone()));
        }
        final_state = state;
    }
    Ok(RunObs { label: format!("r{run}"), status, final_state, tasks, last_row: Some(last_row) })
}

/// The simulated run in the same shape, aligned on `action` (the first timeline action, or 0).
pub fn from_record(record: &RunRecord, action: SimTime) -> RunObs {
    let rel = |t: SimTime| (t.0 as i128 - action.0 as i128) as f64 / 1e9;
    let service = record
        .services
        .iter()
        .find(|s| s.name == SIM_SERVICE)
        .unwrap_or_else(|| panic!("the simulation has no service {SIM_SERVICE}"));
    let status = service.update.status_changes.iter().map(|c| (rel(c.t), c.state.as_str().to_string())).collect();
    let final_state = service.update.state.map_or("none", |s| s.as_str()).to_string();

    let mut tasks: Vec<TaskObs> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    // Strings are read through `&str` so that this works whatever string type the record uses.
    for (i, e) in record.task_events.iter().enumerate() {
        let (service, task_id, image): (&str, &str, &str) = (&e.service, &e.task_id, &e.image);
        if service != SIM_SERVICE {
            continue;
        }
        let t = rel(e.t);
        let k = *index.entry(task_id).or_insert_with(|| {
            tasks.push(TaskObs {
                slot: e.slot,
                image: image.to_string(),
                first_seen: t,
                first_index: i,
                states: Vec::new(),
            });
            tasks.len() - 1
        });
        tasks[k].states.push((t, e.state.as_str().to_string()));
    }
    RunObs { label: "sim".to_string(), status, final_state, tasks, last_row: None }
}

/// Reads a CSV file with a header, returning the named columns of every row, in that order.
fn read_csv(path: &Path, columns: &[&str]) -> Result<Vec<Vec<String>>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("cannot read trace file {}: {e}", path.display()))?;
    let header = reader.headers().map_err(|e| format!("{}: bad header: {e}", path.display()))?.clone();
    let positions: Vec<usize> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == *c).ok_or_else(|| format!("{}: no column '{c}'", path.display())))
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        rows.push(positions.iter().map(|&p| record.get(p).unwrap_or("").to_string()).collect());
    }
    Ok(rows)
}

fn parse_secs(text: &str, what: &str) -> Result<f64, String> {
    text.trim().parse::<f64>().map_err(|e| format!("{what}: bad time '{text}': {e}"))
}

//! One run, real (a recorded trace) or simulated (a `RunRecord`), in a common shape: times in
//! seconds relative to the action, task states and UpdateStatus changes as Docker spells them.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::record::{ProcessChange, RunRecord, UpdateState};
use crate::time::SimTime;

/// Task states after which a task never changes again (swarmkit: `state > RUNNING`).
const TERMINAL_TASK_STATES: [&str; 6] = ["complete", "shutdown", "failed", "rejected", "orphaned", "remove"];

/// One task as observed: every recorded (time, observed state), in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskObs {
    /// Task id (the trace's, or the simulation's).
    pub id: String,
    /// Slot number (as assigned by that run; runs number slots differently).
    pub slot: u64,
    /// `image:tag` of the task's spec.
    pub image: String,
    /// The node the task was assigned to (empty when never assigned or not recorded).
    pub node: String,
    /// Time of the first observation: creation, or the first poll for tasks older than the
    /// recording. Orders the tasks of a slot.
    pub first_seen: f64,
    /// Position of the first observation in the source, to break ties in `first_seen`.
    pub first_index: usize,
    /// (time, state) rows; consecutive repeats are kept (desired-state-only changes).
    pub states: Vec<(f64, String)>,
    /// Who created the task, when the run knows it (a simulation does; a trace does not).
    pub origin: Option<Origin>,
    /// When its container was removed from its node (the task reaper deleted the task: the
    /// `destroy` event of a trace's `containers.csv`, a simulation's container removal), if it
    /// was.
    pub removed: Option<f64>,
    /// When it left Swarm's store (a trace's `deleted.csv`: the first poll that no longer listed
    /// it; a simulation's deletion), if it did. A deleted task runs nowhere, whatever its last
    /// state was.
    pub deleted: Option<f64>,
}

/// Which part of Swarm created a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The forward update's updater (`updateTask`).
    Update,
    /// A rollback's updater.
    Rollback,
    /// The orchestrator or the restart supervisor (a new slot, a replacement).
    Other,
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

    /// When the task entered `state` after the action, if it did. A row repeating the state
    /// (a desired-state-only change) is not an entry: a task already running at the action
    /// never "reaches" running.
    pub fn reached(&self, state: &str) -> Option<f64> {
        let mut previous: Option<&str> = None;
        for (t, s) in &self.states {
            if s == state && previous != Some(state) && *t > 0.0 {
                return Some(*t);
            }
            previous = Some(s);
        }
        None
    }

    /// The task's last state at or before `t`, if it existed then.
    pub fn state_at(&self, t: f64) -> Option<&str> {
        self.states.iter().rev().find(|(when, _)| *when <= t).map(|(_, s)| s.as_str())
    }
}

/// True for states a task never leaves.
pub fn is_terminal(state: &str) -> bool {
    TERMINAL_TASK_STATES.contains(&state)
}

/// One run of a scenario, aligned on its action (t = 0).
#[derive(Clone, Debug, PartialEq)]
pub struct RunObs {
    /// `r1`, `r2` or `sim`.
    pub label: String,
    /// UpdateStatus changes after the action: (time, state), in order.
    pub status: Vec<(f64, String)>,
    /// The last UpdateStatus state, `none` when the service never had one.
    pub final_state: String,
    /// The UpdateStatus state at the action (`none`, or e.g. `completed` after an earlier update).
    pub initial_state: String,
    /// Every task of the service, in order of first observation.
    pub tasks: Vec<TaskObs>,
    /// For a trace: the time of its last row (any of its files); `None` for a simulation.
    pub last_row: Option<f64>,
    /// For a trace: when the recording ended (its `recording.csv`, or the recorder's
    /// `raw/NAME.rN.meta.json`), which may be well after the last row: nothing happened
    /// meanwhile, and that is part of what was recorded. `None` for a simulation or an old trace.
    pub recording_end: Option<f64>,
    /// Serving containers as a step function: (from time, count), in time order. The first
    /// entry holds the count at the action (t = 0) or earlier.
    pub serving: Vec<(f64, u64)>,
    /// Whether the run says which node each task ran on (multi-node traces, every simulation).
    pub has_nodes: bool,
    /// A global service's run: its "slots" are nodes (numbered by node name), so a slot pairs
    /// only with the same node's.
    pub per_node_slots: bool,
    /// Each node's `Status.State` (`docker node ls` STATUS) at the action and its changes after
    /// it, by hostname: from a trace's `nodes.csv` (multi-node recordings; `None` without one)
    /// and from every simulation.
    pub node_states: Option<NodeStates>,
}

impl RunObs {
    /// The end of the compared window: the recording's end, else (an old trace without it) its
    /// last row; 0 for a simulation.
    pub fn window_end(&self) -> f64 {
        self.recording_end.or(self.last_row).unwrap_or(0.0)
    }

    /// Where [`RunObs::window_end`] comes from, for the report.
    pub fn window_source(&self) -> &'static str {
        if self.recording_end.is_some() {
            "the recording's end"
        } else {
            "the trace's last row (no recording end known)"
        }
    }

    /// The UpdateStatus state at `t` (seconds after the action).
    pub fn state_at(&self, t: f64) -> &str {
        self.status.iter().rev().find(|(when, _)| *when <= t).map_or(self.initial_state.as_str(), |(_, s)| s.as_str())
    }

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

    /// The fewest serving containers at any instant of [0, end].
    pub fn min_serving(&self, end: f64) -> Option<u64> {
        let at_action = self.serving.iter().rev().find(|(t, _)| *t <= 0.0).map(|(_, n)| *n);
        let during = self.serving.iter().filter(|(t, _)| *t > 0.0 && *t <= end).map(|(_, n)| *n);
        at_action.into_iter().chain(during).min()
    }

    /// Tasks in state `running` at `t` and still in the store, counted per node (`node:
    /// count`, by node name).
    pub fn running_per_node(&self, t: f64) -> BTreeMap<String, u64> {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for task in self.tasks.iter().filter(|task| task.deleted.is_none_or(|d| d > t)) {
            if task.state_at(t) == Some("running") {
                *counts.entry(task.node.clone()).or_default() += 1;
            }
        }
        counts
    }
}

/// The services a record holds, by full name.
pub fn service_names(record: &RunRecord) -> Vec<String> {
    record.services.iter().map(|s| s.name.clone()).collect()
}

/// Nodes' states, by hostname: (state at the action, then each change as (time, new state)).
pub type NodeStates = BTreeMap<String, (String, Vec<(f64, String)>)>;

/// Builds [`NodeStates`] from observations in time order, each (time, node, state, the state
/// it left when the observer says so), from before the action on: the last state at or before
/// 0 is a node's state at the action (its first observed one if none was), and a change is an
/// observation whose state differs from the node's previous one (a trace sees each change
/// twice, as a Docker event and then by a poll: the first sighting is the change). A state the
/// observer reports having been left but never saw entered (a Docker event's `state.old` after
/// the event stream reconnected to a restarted manager, too brief for a poll) is a change whose
/// time is unknown: `NaN`, its state compared but not its time.
pub fn node_states<'a>(observations: impl IntoIterator<Item = (f64, &'a str, &'a str, Option<&'a str>)>) -> NodeStates {
    let mut nodes = NodeStates::new();
    for (t, node, state, left) in observations {
        let Some((initial, changes)) = nodes.get_mut(node) else {
            nodes.insert(node.to_string(), (state.to_string(), Vec::new()));
            continue;
        };
        let current = changes.last().map_or(initial.as_str(), |(_, s)| s.as_str());
        if let Some(left) = left.filter(|l| *l != current && t > 0.0) {
            changes.push((f64::NAN, left.to_string()));
        } else if current == state {
            continue;
        }
        if t <= 0.0 {
            *initial = state.to_string();
        } else {
            changes.push((t, state.to_string()));
        }
    }
    nodes
}

/// The simulated run in the same shape, aligned on `action` (the first timeline action, or 0).
/// `service` is the service's full name; `None` when the record has no such service.
pub fn from_record(record: &RunRecord, service: &str, action: SimTime) -> Option<RunObs> {
    let rel = |t: SimTime| (t.0 as i128 - action.0 as i128) as f64 / 1e9;
    let svc = record.services.iter().find(|s| s.name == service)?;
    // Changes before the action (an earlier update in the scenario) are its starting state.
    // A reset to nil that lasted (`docker service scale` after an update) is a change the
    // recorder sees as `(none)`; so is the service's removal.
    let mut timeline: Vec<(SimTime, &str)> =
        svc.status_timeline().map(|(t, state, _)| (t, state.map_or("none", UpdateState::as_str))).collect();
    if let Some(t) = svc.removed_at.filter(|_| timeline.last().is_some_and(|&(_, s)| s != "none")) {
        timeline.push((t, "none"));
    }
    // A state equal to the one before is no change (an update's `updating` after a scale
    // mid-update), as the trace's rows are read (`status_from_rows`).
    timeline.dedup_by(|later, earlier| later.1 == earlier.1);
    let status = timeline.iter().filter(|&&(t, _)| t >= action).map(|&(t, s)| (rel(t), s.to_string())).collect();
    let final_state = timeline.last().map_or("none", |&(_, s)| s).to_string();
    let initial_state = timeline.iter().rev().find(|&&(t, _)| t < action).map_or("none", |&(_, s)| s).to_string();
    let origins: BTreeMap<String, Origin> = svc
        .previous_updates
        .iter()
        .chain(std::iter::once(&svc.update))
        .flat_map(|u| u.updater_tasks.iter())
        .map(|(id, rollback)| (id.docker_id(), if *rollback { Origin::Rollback } else { Origin::Update }))
        .collect();

    let mut tasks: Vec<TaskObs> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, e) in record.events().enumerate() {
        if e.service != service {
            continue;
        }
        let t = rel(e.t);
        let k = *index.entry(e.task_id).or_insert_with(|| {
            tasks.push(TaskObs {
                id: e.task_id.to_string(),
                slot: e.slot,
                image: e.image.to_string(),
                node: String::new(),
                first_seen: t,
                first_index: i,
                states: Vec::new(),
                origin: Some(origins.get(&*e.task_id).copied().unwrap_or(Origin::Other)),
                removed: None,
                deleted: None,
            });
            tasks.len() - 1
        });
        if !e.node.is_empty() {
            tasks[k].node = e.node.to_string();
        }
        tasks[k].states.push((t, e.state.as_str().to_string()));
    }
    // When each task's container was removed, and when the task left the store.
    let times_of = |change: ProcessChange| -> BTreeMap<&str, f64> {
        record
            .process_events
            .iter()
            .filter(|p| p.change == change)
            .map(|p| (record.name(p.task_id), rel(p.t)))
            .collect()
    };
    let (removals, deletions) = (times_of(ProcessChange::Removed), times_of(ProcessChange::Deleted));
    for task in &mut tasks {
        task.removed = removals.get(task.id.as_str()).copied();
        task.deleted = deletions.get(task.id.as_str()).copied();
        if let Some(deleted) = task.deleted {
            // A state set in the instant its task is deleted (a removed node's task ORPHANED,
            // then deleted by the global orchestrator) is in the store for no time: no poll
            // sees it (recorded m15: never seen orphaned).
            while task.states.len() > 1 && task.states.last().is_some_and(|&(t, _)| t == deleted) {
                task.states.pop();
            }
        }
    }
    let per_node_slots = number_node_slots(&mut tasks);
    let serving = record.timeline.iter().filter(|s| *s.service == *service).map(|s| (rel(s.t), s.serving)).collect();
    let node_states =
        node_states(record.node_events.iter().map(|e| (rel(e.t), record.name(e.node), e.state.as_str(), None)));
    Some(RunObs {
        label: "sim".to_string(),
        status,
        final_state,
        initial_state,
        tasks,
        last_row: None,
        recording_end: None,
        serving,
        has_nodes: true,
        per_node_slots,
        node_states: Some(node_states),
    })
}

/// Tasks of a global service carry no slot (0): each node is one. They are numbered 1, 2, … in
/// the order of the node names, the same way for a trace and a simulation, so that the
/// comparison pairs nodes' histories as it pairs slots' (a service is either global or
/// replicated, so the numbers never meet real slot numbers).
/// Returns whether there were any.
pub fn number_node_slots(tasks: &mut [TaskObs]) -> bool {
    let nodes: BTreeSet<String> = tasks.iter().filter(|t| t.slot == 0).map(|t| t.node.clone()).collect();
    let rank: BTreeMap<String, u64> = nodes.into_iter().enumerate().map(|(i, n)| (n, 1 + i as u64)).collect();
    for task in tasks.iter_mut().filter(|t| t.slot == 0) {
        task.slot = rank[&task.node];
    }
    !rank.is_empty()
}

//! The dispatcher's status batching, mirroring swarmkit's `manager/dispatcher/dispatcher.go`
//! (`UpdateTaskStatus`, `processUpdates`, `maxBatchInterval`).
//!
//! Agents report task states to the dispatcher, which keeps the latest status per task in a map
//! and commits the map to the store in one batch when its timer fires: every `maxBatchInterval`
//! (100 ms), the timer being reset after each batch. The orchestrator, the restart supervisor
//! and the updater only learn a state when its batch commits, all in the same instant, and the
//! batch's updates are applied in Go map order (random). That is why two tasks failing 15 ms
//! apart are seen together (the s05 trace's first run), and why real runs differ by up to a
//! tenth of a second on every manager reaction. The recorded commits (`UpdatedAt` of the traces'
//! raw task versions) are 100–110 ms apart, each 1–105 ms after the agent's own timestamp.

use std::collections::BTreeMap;

use crate::model::task::{TaskId, TaskState};
use crate::time::{SimDuration, SimTime};

/// The dispatcher's pending task status updates, by the instant their batch commits.
#[derive(Clone, Debug)]
pub struct StatusBatcher {
    /// Time between commits (`maxBatchInterval`); zero commits each update as it arrives.
    period: SimDuration,
    /// Where the timer's ticks fall: commits happen at `phase + k × period`.
    phase: SimDuration,
    /// Updates waiting, per commit instant.
    pending: BTreeMap<SimTime, Batch>,
}

/// One batch: (task, latest state) in arrival order, and where each task's entry is (a batch
/// of a large update holds thousands).
#[derive(Clone, Debug, Default)]
struct Batch {
    updates: Vec<(TaskId, TaskState)>,
    index: BTreeMap<TaskId, usize>,
}

impl StatusBatcher {
    /// A dispatcher whose timer ticks every `period`, the first tick `phase` after t = 0
    /// (`phase` is taken modulo `period`).
    pub fn new(period: SimDuration, phase: SimDuration) -> StatusBatcher {
        let phase = if period.as_nanos() == 0 { SimDuration::ZERO } else { SimDuration(phase.0 % period.0) };
        StatusBatcher { period, phase, pending: BTreeMap::new() }
    }

    /// The first commit at or after `arrival`.
    pub fn commit_time(&self, arrival: SimTime) -> SimTime {
        if self.period.as_nanos() == 0 {
            return arrival;
        }
        let (period, phase) = (self.period.0, self.phase.0);
        if arrival.0 <= phase {
            return SimTime(phase);
        }
        let ticks = (arrival.0 - phase).div_ceil(period);
        SimTime(phase + ticks * period)
    }

    /// `UpdateTaskStatus`: `state` of `task` reaches the dispatcher at `arrival`. A task already
    /// waiting in that batch keeps one entry with its latest state (the map overwrites it, so
    /// the store never sees the state in between). Returns the commit instant when this is the
    /// batch's first update (the caller schedules the commit then), else `None`.
    pub fn enqueue(&mut self, arrival: SimTime, task: TaskId, state: TaskState) -> Option<SimTime> {
        let at = self.commit_time(arrival);
        let batch = self.pending.entry(at).or_default();
        let first = batch.updates.is_empty();
        match batch.index.get(&task) {
            Some(&i) => batch.updates[i].1 = batch.updates[i].1.max(state),
            None => {
                batch.index.insert(task, batch.updates.len());
                batch.updates.push((task, state));
            }
        }
        first.then_some(at)
    }

    /// `processUpdates` at `now`: the batch that commits now, in arrival order.
    pub fn take(&mut self, now: SimTime) -> Vec<(TaskId, TaskState)> {
        self.pending.remove(&now).map(|b| b.updates).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn updates_commit_at_the_next_tick_of_the_timer() {
        // Checks the tick arithmetic: ticks at phase + k × period, an update exactly on a tick
        // goes with it, and a zero period commits at once.
        let b = StatusBatcher::new(SimDuration::from_millis(100), SimDuration::from_millis(130));
        assert_eq!(b.commit_time(SimTime(0)), SimTime(30 * MS), "the phase is taken modulo the period");
        assert_eq!(b.commit_time(SimTime(30 * MS)), SimTime(30 * MS));
        assert_eq!(b.commit_time(SimTime(30 * MS + 1)), SimTime(130 * MS));
        assert_eq!(b.commit_time(SimTime(8_577 * MS)), SimTime(8_630 * MS));
        let now = StatusBatcher::new(SimDuration::ZERO, SimDuration::from_millis(7));
        assert_eq!(now.commit_time(SimTime(5)), SimTime(5));
    }

    #[test]
    fn a_batch_keeps_the_latest_state_of_each_task() {
        // Checks the dispatcher's map: one entry per task, the later state wins, the first
        // update of a batch asks for the commit, and a taken batch is gone.
        let mut b = StatusBatcher::new(SimDuration::from_millis(100), SimDuration::ZERO);
        let (x, y) = (TaskId(1), TaskId(2));
        assert_eq!(b.enqueue(SimTime(10 * MS), x, TaskState::Running), Some(SimTime(100 * MS)));
        assert_eq!(b.enqueue(SimTime(20 * MS), y, TaskState::Running), None);
        assert_eq!(b.enqueue(SimTime(60 * MS), x, TaskState::Failed), None);
        assert_eq!(b.enqueue(SimTime(120 * MS), y, TaskState::Complete), Some(SimTime(200 * MS)));
        assert_eq!(b.take(SimTime(100 * MS)), vec![(x, TaskState::Failed), (y, TaskState::Running)]);
        assert!(b.take(SimTime(100 * MS)).is_empty());
        assert_eq!(b.take(SimTime(200 * MS)), vec![(y, TaskState::Complete)]);
    }
}

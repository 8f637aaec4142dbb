//! The task reaper (swarmkit `manager/orchestrator/taskreaper/task_reaper.go`): deletes a
//! slot's old tasks once it holds more than the cluster's `TaskHistoryRetentionLimit`, and the
//! tasks of removed slots once they are shut down.
//!
//! - **What it watches**: a task's creation marks its slot dirty (replicated: service and
//!   slot; global: service and node, which the store keys as a slot too); a task update with
//!   desired REMOVE that is unassigned or past COMPLETE goes on the cleanup list (a scale-down's
//!   or a removed service's task, deleted whatever the limit).
//! - **When it acts**: any watched event (a task created or updated, the cluster's spec
//!   updated) starts a 250 ms timer if it is stopped (`reaperBatchingInterval`; not reset by
//!   later events), and the tick runs when it fires, or at once when the dirty slots and the
//!   cleanup list exceed 1,000 (`maxDirty`).
//! - **What a tick deletes**: for each dirty slot holding more tasks than the limit (the
//!   service's restart `max_attempts + 1` when it sets one; a negative limit never deletes),
//!   the oldest by status timestamp among those past RUNNING, or never assigned and desired
//!   past RUNNING, until the slot is within the limit. A slot stays dirty only while it holds
//!   more than one task that may still run.
//! - **Leadership**: it runs on the leader only; a new leader's reaper starts with no dirty slot
//!   and puts on its cleanup list the REMOVE tasks that are unassigned or past COMPLETE.
//!
//! A deleted task leaves the store (`Store::delete_task`); its node hears of it with the next
//! assignment message and removes its container (see the cluster's `unassign`).

use std::collections::BTreeSet;

use crate::model::task::{ServiceId, TaskId, TaskState};
use crate::time::{SimDuration, SimTime};

use crate::model::record::ProcessChange;
use crate::world::{Event, Io};

use super::dispatcher::AssignmentChange;
use super::store::{Store, Task};

/// `reaperBatchingInterval`.
const BATCHING_INTERVAL: SimDuration = SimDuration::from_millis(250);

/// `maxDirty`: more dirty slots and cleanup tasks than this, and the tick runs at once.
const MAX_DIRTY: usize = 1_000;

/// A slot the reaper inspects: (service, slot number; global: node index + 1).
type SlotKey = (ServiceId, u64);

/// The task reaper's state.
///
/// Its timer runs in the model as in swarmkit (started by the first watched event after a
/// tick, firing 250 ms later), but a tick is queued as an event only when it may delete
/// something (`work`): a tick that deletes nothing changes nothing anyone observes but the dirty
/// set, which it would empty, and is applied when the next watched event comes (`catch_up`).
/// So a run whose slots never exceed the limit pays no event for the reaper.
pub(super) struct TaskReaper {
    /// `TaskHistoryRetentionLimit` (the cluster spec's `Orchestration`).
    history: i64,
    /// Slots to inspect at the next tick.
    dirty: BTreeSet<SlotKey>,
    /// Tasks to delete at the next tick whatever their slot's limit.
    cleanup: Vec<TaskId>,
    /// When the running timer fires (`None`: it is stopped).
    due: Option<SimTime>,
    /// The tick queued as an event for `due`, by its number (`None`: none is queued, and the
    /// tick, when `due` passes, deletes nothing).
    queued: Option<u32>,
    /// The next tick may delete something: a dirty slot went past its limit, a task is on the
    /// cleanup list, or a limit changed while slots were dirty (conservative: a queued tick may
    /// still find nothing).
    work: bool,
    /// Numbers the ticks queued: a tick of an earlier number is stale.
    serial: u32,
    /// Runs on the leader (a stopped reaper ignores everything until a leader starts it again).
    running: bool,
}

/// What the caller does after a watched event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arm {
    /// Nothing: no tick to queue (none needed, one already queued, or the reaper is stopped).
    Nothing,
    /// Queue a tick numbered `serial` at `at`.
    Tick {
        /// When.
        at: SimTime,
        /// Its number.
        serial: u32,
    },
}

impl TaskReaper {
    /// The reaper of a cluster whose task history limit is `history`, running.
    pub(super) fn new(history: i64) -> TaskReaper {
        TaskReaper {
            history,
            dirty: BTreeSet::new(),
            cleanup: Vec::new(),
            due: None,
            queued: None,
            work: false,
            serial: 0,
            running: true,
        }
    }

    /// The number of tasks the reaper keeps in a slot of `service` (negative: all).
    fn limit(&self, service: &super::store::Service) -> i64 {
        let attempts = service.spec().task.restart.max_attempts;
        if attempts > 0 { attempts as i64 + 1 } else { self.history }
    }

    /// A task was created in `slot` of `service` at `now` (`EventCreateTask`), which now holds
    /// `held` tasks.
    pub(super) fn created(&mut self, service: ServiceId, slot: u64, held: usize, store: &Store, now: SimTime) -> Arm {
        if !self.running {
            return Arm::Nothing;
        }
        self.catch_up(now);
        self.dirty.insert((service, slot));
        let limit = self.limit(store.service(service));
        if limit >= 0 && held as i64 > limit {
            self.work = true;
        }
        self.event(now)
    }

    /// A task was updated at `now` (`EventUpdateTask`): one desired REMOVE that is unassigned
    /// or past COMPLETE goes on the cleanup list.
    pub(super) fn updated(&mut self, task: &Task, now: SimTime) -> Arm {
        if !self.running {
            return Arm::Nothing;
        }
        self.catch_up(now);
        if removed_for_good(task) {
            self.cleanup.push(task.id);
            self.work = true;
        }
        self.event(now)
    }

    /// `docker swarm update --task-history-limit` (`EventUpdateCluster`).
    pub(super) fn set_history(&mut self, history: i64, now: SimTime) -> Arm {
        self.history = history;
        if !self.running {
            return Arm::Nothing;
        }
        self.catch_up(now);
        self.work |= !self.dirty.is_empty();
        self.event(now)
    }

    /// A service's spec changed (its restart `max_attempts` sets its slots' limit). Not an event
    /// the reaper watches: only its next tick may judge the dirty slots differently.
    pub(super) fn spec_changed(&mut self, now: SimTime) -> Arm {
        if !self.running || self.dirty.is_empty() {
            return Arm::Nothing;
        }
        self.catch_up(now);
        self.work |= !self.dirty.is_empty();
        match self.due {
            Some(at) if self.queued.is_none() => self.queue(at),
            _ => Arm::Nothing,
        }
    }

    /// The leader stops (its process killed): so does its reaper, timer and lists.
    pub(super) fn stop(&mut self) {
        self.running = false;
        self.dirty.clear();
        self.cleanup.clear();
        self.due = None;
        self.queued = None;
        self.work = false;
        self.serial += 1;
    }

    /// A new leader starts its reaper (`Run`): no slot is dirty, and the REMOVE tasks already
    /// unassigned or past COMPLETE are cleaned up at once.
    pub(super) fn start(&mut self, store: &Store, now: SimTime) -> Arm {
        self.running = true;
        self.cleanup.extend(store.tasks().filter(|t| !t.deleted && removed_for_good(t)).map(|t| t.id));
        if self.cleanup.is_empty() {
            return Arm::Nothing;
        }
        self.work = true;
        self.due = Some(now);
        self.queue(now)
    }

    /// A tick that fell due with nothing queued happened then, deleting nothing: the slots it
    /// inspected are clean again, and the timer is stopped.
    fn catch_up(&mut self, now: SimTime) {
        if self.queued.is_none() && self.due.is_some_and(|at| at <= now) {
            self.due = None;
            self.dirty.clear();
        }
    }

    /// The batching after a watched event: at once past `MAX_DIRTY`, else the timer starts
    /// unless it runs; a tick is queued once it may delete something.
    fn event(&mut self, now: SimTime) -> Arm {
        if self.dirty.len() + self.cleanup.len() > MAX_DIRTY {
            if !self.work {
                // The immediate tick deletes nothing, and stops the timer.
                self.dirty.clear();
                self.due = None;
                return Arm::Nothing;
            }
            if self.due == Some(now) && self.queued.is_some() {
                return Arm::Nothing;
            }
            self.due = Some(now);
            return self.queue(now);
        }
        let at = *self.due.get_or_insert(now.plus(BATCHING_INTERVAL));
        if self.work && self.queued.is_none() { self.queue(at) } else { Arm::Nothing }
    }

    fn queue(&mut self, at: SimTime) -> Arm {
        self.serial += 1;
        self.queued = Some(self.serial);
        Arm::Tick { at, serial: self.serial }
    }

    /// The tick numbered `serial` is due: the tasks to delete, in the order they are deleted
    /// (empty for a stale tick). The timer is stopped again.
    /// `reporting` says which tasks' latest status still waits in the dispatcher's batch: in
    /// swarmkit's store they are still in their earlier state (the batch writes it).
    pub(super) fn tick(&mut self, serial: u32, store: &Store, reporting: impl Fn(TaskId) -> bool) -> Vec<TaskId> {
        if !self.running || self.queued != Some(serial) {
            return Vec::new();
        }
        self.due = None;
        self.queued = None;
        // A cleanup task whose end still waits in the batch is not past COMPLETE in swarmkit's
        // store either: it is left (a later update of it puts it back on the list).
        let mut delete: BTreeSet<TaskId> = self.cleanup.drain(..).filter(|&t| !reporting(t)).collect();
        let dirty: Vec<SlotKey> = self.dirty.iter().copied().collect();
        for key in dirty {
            if self.keeps_dirty(key, store, &reporting, &mut delete) {
                continue;
            }
            self.dirty.remove(&key);
        }
        // A slot kept dirty holds tasks that may still end: the next tick may delete them.
        self.work = !self.dirty.is_empty();
        // Deleted in the order of their ids (swarmkit ranges over a map; the order only
        // decides which of one instant's deletions is logged first).
        delete.into_iter().filter(|&id| !store.is_deleted(id)).collect()
    }

    /// Inspects one dirty slot, adding the tasks to delete to `delete`; true when the slot stays
    /// dirty (more than one of its tasks may still run).
    fn keeps_dirty(
        &self,
        (sid, slot): SlotKey,
        store: &Store,
        reporting: &impl Fn(TaskId) -> bool,
        delete: &mut BTreeSet<TaskId>,
    ) -> bool {
        let service = store.service(sid);
        if service.is_removed() {
            return false; // swarmkit deleted the service: `GetService` is nil
        }
        let mut history = self.limit(service);
        if history < 0 {
            return false;
        }
        let Some(tasks) = service.by_slot.get(slot) else { return false };
        let len = tasks.len() as i64;
        if len <= history {
            return false;
        }
        let mut by_time: Vec<&Task> = tasks.iter().map(|&id| store.task(id)).collect();
        // `TasksByTimestamp`; equal timestamps in creation order.
        by_time.sort_by_key(|t| (t.status_at, t.id));
        let mut running = 0;
        for t in by_time {
            if reporting(t.id) {
                // Its end is not in the store yet: as far as the reaper sees, it may still run.
                running += 1;
                continue;
            }
            let terminal = t.state > TaskState::Running;
            let never_runs = t.state < TaskState::Assigned && t.desired > TaskState::Running;
            if terminal || never_runs {
                delete.insert(t.id);
                history += 1;
                if len <= history {
                    break;
                }
            } else {
                running += 1;
            }
        }
        running > 1
    }
}

/// A task meant for removal (a scale-down's, a removed service's) that is unassigned or past
/// COMPLETE: deleted at the next tick.
fn removed_for_good(task: &Task) -> bool {
    task.desired == TaskState::Remove && (task.state < TaskState::Assigned || task.state >= TaskState::Complete)
}

impl super::Manager {
    /// Asks for the reaper's tick when a watched event armed it.
    pub(super) fn arm_reaper(&mut self, arm: Arm, io: &mut Io<'_>) {
        if let Arm::Tick { at, serial } = arm {
            io.q.at(at, Event::ReaperTick { serial });
        }
    }

    /// `docker swarm update --task-history-limit N` (`EventUpdateCluster`).
    pub(crate) fn set_task_history_limit(&mut self, limit: i64, io: &mut Io<'_>) {
        let arm = self.reaper.set_history(limit, io.now());
        self.arm_reaper(arm, io);
    }

    /// The reaper's tick numbered `serial`: its tasks are deleted from the store. A task whose
    /// final state still waits in the dispatcher's batch is not past RUNNING in swarmkit's store
    /// yet (the store is written when the batch commits): the tick leaves it be.
    pub(crate) fn reaper_tick(&mut self, serial: u32, io: &mut Io<'_>) {
        let dispatcher = &self.dispatcher;
        for id in self.reaper.tick(serial, &self.store, |t| dispatcher.reporting(t)) {
            self.delete_task(id, io);
        }
    }

    /// `DeleteTask` and its watchers: the scheduler forgets a pending task, the replicated
    /// orchestrator reconciles a service that lost a task meant to run (`EventDeleteTask`), and
    /// the task's node, which had it from ASSIGNED on, hears that it is no longer assigned and
    /// removes its container (`dispatcher.Assignments`, then the agent's `reconcileTaskState`).
    pub(super) fn delete_task(&mut self, id: TaskId, io: &mut Io<'_>) {
        if !self.store.delete_task(id) {
            return;
        }
        self.recorder.process(id, ProcessChange::Deleted, &self.store);
        let task = self.store.task(id);
        let assigned = task.state >= TaskState::Assigned;
        if !assigned {
            self.scheduler.forget(id);
        }
        if task.desired <= TaskState::Running && !self.store.service(task.service).is_global() {
            io.q.at(io.now(), Event::Reconcile { service: task.service, dead_slots: true });
        }
        // A removed node hears it too, while its session lasts (the agent checks: `unassign`).
        let on_node = task.node.filter(|_| assigned);
        if let Some(node) = on_node {
            self.send_to_node(node, AssignmentChange::Removed(id), io);
        } else if !assigned {
            // No node ever had it: nothing will report it or name it again.
            self.forget_task(id);
        }
        // (A task whose node cannot hear the deletion is kept: its agent may still report it.)
    }

    /// A deleted task that no node will report again (its node forgot it, or none ever had
    /// it) leaves the store and the recorder, unless a delayed start still names it (it then
    /// goes when that start is done: see [`Self::try_forget_task`]).
    pub(super) fn forget_task(&mut self, id: TaskId) {
        self.store.let_go(id);
        self.try_forget_task(id);
    }

    /// Forgets a deleted task let go by its node once no delayed start names it.
    pub(super) fn try_forget_task(&mut self, id: TaskId) {
        if self.restarts.is_pending(id) {
            return;
        }
        if self.store.forget_task(id) {
            self.recorder.forget_task(id);
        }
    }

    /// A new leader starts its task reaper (see [`TaskReaper::start`]).
    pub(super) fn start_reaper(&mut self, io: &mut Io<'_>) {
        let arm = self.reaper.start(&self.store, io.now());
        self.arm_reaper(arm, io);
    }

    /// The leader's reaper stops with it.
    pub(super) fn stop_reaper(&mut self) {
        self.reaper.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::{ServiceMode, ServiceSpec, TaskSpec, UpdateConfig};
    use crate::world::manager::store::NewTask;

    const MS: u64 = 1_000_000;

    /// The tasks slot 1 of the test service holds.
    fn held(store: &Store) -> usize {
        store.service(ServiceId(0)).by_slot.get(1).map_or(0, <[TaskId]>::len)
    }

    /// A store with one replicated service and `per_slot` tasks created in slot 1, the first
    /// `ended` of them FAILED (desired SHUTDOWN), each a millisecond apart.
    fn store_with_slot(per_slot: u32, ended: u32) -> Store {
        let mut store = Store::new(&[], 16);
        let spec = ServiceSpec {
            name: "s_web".into(),
            mode: ServiceMode::Replicated { replicas: 1 },
            task: TaskSpec::with_image("web:1"),
            update: UpdateConfig::default(),
            rollback: UpdateConfig::default(),
            labels: Default::default(),
        };
        let sid = store.add_service(spec, SimTime(0));
        for k in 0..per_slot {
            let new = NewTask {
                service: sid,
                slot: 1,
                node: None,
                spec: crate::model::task::SpecVersion(0),
                desired: TaskState::Running,
            };
            let (id, _) = store.create_task(new, u64::from(k), "created".into(), SimTime(u64::from(k) * MS));
            if k < ended {
                store.set_state(id, TaskState::Failed, "failed".into(), SimTime(u64::from(k) * MS));
                store.set_desired(id, TaskState::Shutdown);
            }
        }
        store
    }

    #[test]
    fn a_slot_past_its_limit_loses_its_oldest_ended_tasks_at_the_timer() {
        // `tick`: with a limit of 2 and five tasks (three ended), three must go to leave two,
        // and the three ended ones can; the tick is queued 250 ms after the first event, not
        // pushed back by a later one.
        let store = store_with_slot(5, 3);
        let mut r = TaskReaper::new(2);
        let t0 = SimTime(1_000 * MS);
        let Arm::Tick { at, serial } = r.created(ServiceId(0), 1, held(&store), &store, t0) else {
            panic!("a tick is queued")
        };
        assert_eq!(at, t0.plus(BATCHING_INTERVAL));
        assert_eq!(
            r.created(ServiceId(0), 1, held(&store), &store, t0.plus(SimDuration::from_millis(100))),
            Arm::Nothing
        );
        assert_eq!(r.tick(serial, &store, |_| false), vec![TaskId(0), TaskId(1), TaskId(2)], "every task past RUNNING");
        assert!(r.tick(serial, &store, |_| false).is_empty(), "a tick runs once");
    }

    #[test]
    fn running_tasks_are_never_deleted_and_a_negative_limit_keeps_everything() {
        let store = store_with_slot(5, 1);
        let mut r = TaskReaper::new(1);
        let Arm::Tick { serial, .. } = r.created(ServiceId(0), 1, held(&store), &store, SimTime(0)) else {
            panic!("queued")
        };
        assert_eq!(r.tick(serial, &store, |_| false), vec![TaskId(0)], "only the one ended task can go");
        assert!(r.dirty.contains(&(ServiceId(0), 1)), "more than one task may still run: the slot stays dirty");
        let mut never = TaskReaper::new(-1);
        assert_eq!(
            never.created(ServiceId(0), 1, held(&store), &store, SimTime(0)),
            Arm::Nothing,
            "nothing to delete: no tick"
        );
    }

    #[test]
    fn a_tick_with_nothing_to_delete_is_not_queued_but_still_stops_the_timer() {
        // Within the limit: the timer runs (due in 250 ms) with no event queued; an event after
        // it fell due finds it stopped and starts it again from there.
        let store = store_with_slot(3, 2);
        let mut r = TaskReaper::new(5);
        assert_eq!(r.created(ServiceId(0), 1, held(&store), &store, SimTime(0)), Arm::Nothing);
        assert_eq!(r.due, Some(SimTime(0).plus(BATCHING_INTERVAL)));
        let later = SimTime(400 * MS);
        assert_eq!(r.set_history(1, later), Arm::Nothing, "the slot was cleaned by the tick at 250 ms");
        assert_eq!(r.due, Some(later.plus(BATCHING_INTERVAL)), "the timer restarted at the next event");
    }

    #[test]
    fn past_a_thousand_dirty_slots_the_tick_runs_at_once_and_only_once() {
        let store = store_with_slot(6, 6);
        let mut r = TaskReaper::new(5);
        let now = SimTime(0);
        let first = r.created(ServiceId(0), 1, held(&store), &store, now);
        assert_eq!(first, Arm::Tick { at: now.plus(BATCHING_INTERVAL), serial: 1 }, "slot 1 holds 6 > 5");
        // Other slots' creations (their slots are unknown to the store: empty, within the limit).
        let mut arms = Vec::new();
        for slot in 2..1_200 {
            r.dirty.insert((ServiceId(0), slot));
            arms.push(r.event(now));
        }
        let ticks: Vec<&Arm> = arms.iter().filter(|a| **a != Arm::Nothing).collect();
        assert_eq!(ticks, vec![&Arm::Tick { at: now, serial: 2 }], "the 1,001st asks for one tick now");
        assert!(r.tick(1, &store, |_| false).is_empty(), "the timer's tick is stale");
    }

    #[test]
    fn a_stopped_reaper_ignores_events_and_its_queued_tick() {
        let store = store_with_slot(6, 6);
        let mut r = TaskReaper::new(5);
        let Arm::Tick { serial, .. } = r.created(ServiceId(0), 1, held(&store), &store, SimTime(0)) else {
            panic!("queued")
        };
        r.stop();
        assert_eq!(r.created(ServiceId(0), 1, held(&store), &store, SimTime(1)), Arm::Nothing);
        assert!(r.dirty.is_empty());
        assert!(r.tick(serial, &store, |_| false).is_empty());
    }
}

//! The update supervisor (swarmkit `manager/orchestrator/update/updater.go`: `Supervisor`)
//! and the store side of the updater: starts and cancels updater runs, carries out their
//! commands (`updateTask`, `useExistingTask`, `removeOldTasks`, `pauseUpdate`,
//! `rollbackUpdate`, `completeUpdate`), and keeps UpdateStatus. The updater's decisions are
//! `swarm::updater`'s, a pure state machine.

use std::collections::{BTreeMap, VecDeque};

use crate::gomap::{GoMap, seeded_hash};
use crate::model::decision::{DecisionKind, RaceDraw, Verdict};
use crate::model::record::UpdateState;
use crate::model::spec::UpdateOrder;
use crate::model::task::{ServiceId, SpecVersion, TaskId, TaskState};
use crate::swarm::placement::constraint_matches;
use crate::swarm::updater::{SlotWork, Updater, UpdaterCommand, UpdaterNote, UpdaterTimer};
use crate::time::SimDuration;
use crate::world::cluster::ClusterView;
use crate::world::{Event, Io};

use super::Manager;
use super::orchestrator::Slots;
use super::store::NewTask;
use super::store::{Store, UpdateStatus};

/// How often the worker freed by a task's failure takes the next slot before `Run` reads that
/// failure (swarmkit `updater.go`: `Run`'s `slotsLoop` selects between `slotQueue <- slot` and
/// `<-failedTaskWatch`). Not Go's coin: `select` picks at random only among cases ready when it
/// runs, and here `Run` has been parked in it for seconds, waiting on the worker, so it takes
/// whichever becomes ready first — the failure watch's delivery of the task's event (one hop
/// from the store's broadcast), or the worker's receive, which comes only after the worker's own
/// watch delivered the same event, `updateTask` returned and cancelled that watch (a round trip
/// through the broadcaster, `LimitQueue.Close` waiting on its goroutine) and `worker` looped back
/// to `range queue`. Goroutine scheduling decides it, both ways in the recordings: the freed
/// worker took one more slot in 6 of 21 such recorded races (s22 r4, r5; s22b r1, r6; m06 r2;
/// m09b r3), the failure was read first in 15 (s22 r1–r3 and both rollbacks' races in r4, r5;
/// s22b r2–r5 and both rollbacks' in r1, r6; s20 r1, r2; m06 r1; m09b r1): (6 + 1) / (21 + 2)
/// by Laplace's rule of succession, as for the dispatcher's race. (m09b r2 is no race: its
/// failure came with the last of the six slots taken, none left to hand out; observations
/// § 12.) A fair coin would put 6 or fewer of 21 at 3.9 %.
pub(crate) const SLOT_FIRST_ON_FAILURE: f64 = 7.0 / 23.0;

/// The order in which a reconcile hands the updater its slots (`reconcile`'s `slotsSlice`,
/// which `Updater.Run` filters to the dirty ones, keeping the order).
pub(super) enum SlotOrder {
    /// Ascending slot numbers (`races: fixed`: the readable order, whatever the seed).
    Ascending,
    /// A range over `updatableAndDeadSlots`'s `map[uint64]orchestrator.Slot`, fresh for this
    /// reconcile (drawn here): these are its keys in the order they were inserted — every slot
    /// the store held a task of when the reconcile began, dead ones included, by its first
    /// task in id order (the map is filled from `store.FindTasks(ByServiceID)`, which memdb
    /// returns sorted by task id). Each key comes with its first task's id rank, in no order:
    /// sorted by (rank, slot) when used.
    GoMap(Vec<(u64, u64)>),
    /// A range over the global orchestrator's map of nodes (`g.nodes`; drawn here).
    GlobalNodes,
    /// The slots in this order, no race (a scale-down hands `sortedSlots[:specifiedSlots]`).
    Given(Vec<u64>),
}

/// A running updater and the spec it works toward (swarmkit's `Supervisor.updates`).
struct ActiveUpdater {
    /// The state machine.
    updater: Updater,
    /// Run number, stamped on its timers.
    run: u64,
    /// The spec version it was started for.
    target: SpecVersion,
}

/// The update supervisor's state.
#[derive(Default)]
pub(super) struct UpdateSupervisor {
    /// The running updater of each service that has one.
    active: BTreeMap<ServiceId, ActiveUpdater>,
    /// Armed updater timers: (service, updater run, timer); events name them by index (which
    /// keeps every event 16 bytes: the queue's size is what a large run pays for). Each fires
    /// once, so its entry is free again after it fired: the table holds the timers armed now
    /// (at most a few per updater worker), not every timer the run ever armed.
    timers: Vec<(ServiceId, u64, UpdaterTimer)>,
    /// Entries of `timers` whose timer fired, to be reused.
    free_timers: Vec<u32>,
    /// The next run's number.
    next_run: u64,
    /// A slot's tasks while a worker works on it (kept, empty, from one slot to the next).
    slot_tasks: Vec<TaskId>,
}

impl UpdateSupervisor {
    /// Back to `UpdateSupervisor::default()`, keeping its tables' room (a world reused from run
    /// to run). Every field is named, so that one added later must be said here too.
    pub(super) fn clear(&mut self) {
        let UpdateSupervisor { active, timers, free_timers, next_run, slot_tasks: _ } = self;
        active.clear();
        timers.clear();
        free_timers.clear();
        *next_run = 0;
    }

    /// The service's updater stops (cancelled, finished, or its service removed).
    pub(super) fn cancel(&mut self, sid: ServiceId) {
        self.active.remove(&sid);
    }

    fn is_current(&self, sid: ServiceId, run: u64) -> bool {
        self.active.get(&sid).is_some_and(|a| a.run == run)
    }

    /// No updater has more slots in flight than the parallelism it was started with (not the
    /// spec's current one: a manual rollback restores another config an instant before the
    /// orchestrator cancels the running update — found by the fuzz campaign).
    pub(super) fn assert_invariants(&self, store: &Store) {
        for (&sid, active) in &self.active {
            let parallelism = active.updater.parallelism();
            if parallelism > 0 {
                assert!(
                    active.updater.slots_in_flight() as u64 <= parallelism,
                    "{}: more than parallelism slots in flight",
                    store.service(sid).name
                );
            }
        }
    }
}

/// How many slot hand-outs ahead a slot's entry is asked for (see
/// `Manager::prefetch_upcoming_slots`).
const SLOT_PREFETCH_FAR: usize = 8;
/// How many slot hand-outs ahead a slot's tasks' records are asked for.
const SLOT_PREFETCH_NEAR: usize = 4;

impl Manager {
    /// `Supervisor.Update`: a run already working toward this spec continues; otherwise the
    /// running one is cancelled and a new one starts (`Updater.Run`).
    pub(super) fn supervise_update(
        &mut self,
        sid: ServiceId,
        slots: &Slots,
        order: SlotOrder,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        let svc = self.store.service(sid);
        if let Some(active) = self.updates.active.get(&sid)
            && active.target == svc.current
            && svc.spec_at(active.target) == svc.spec()
        {
            return;
        }
        // Cancel: its timers become stale; tasks it created and their delayed starts go on.
        if let Some(active) = self.updates.active.get(&sid) {
            let run = active.run as u32;
            self.decide(sid, io.now(), |_, _| DecisionKind::RunCancelled { run });
        }
        self.updates.cancel(sid);
        let status = self.store.service(sid).status.as_ref().map(|s| s.state);
        if matches!(status, Some(UpdateState::Paused | UpdateState::RollbackPaused)) {
            return;
        }
        // Ascending, as `slots` are.
        let mut dirty: Vec<u64> =
            slots.iter().filter(|(_, tasks)| self.is_slot_dirty(sid, tasks)).map(|(s, _)| s).collect();
        let drawn = match order {
            // The orchestrator ranges over its map of slots (`reconcile`): the update takes them
            // in that map's order.
            SlotOrder::GoMap(mut inserts) if dirty.len() > 1 => {
                inserts.sort_unstable();
                let keys: Vec<u64> = inserts.into_iter().map(|(_, slot)| slot).collect();
                dirty = go_map_range(&keys, &dirty, io);
                true
            }
            SlotOrder::GlobalNodes if dirty.len() > 1 => {
                let r = io.rng.races.between(0, u64::from(u32::MAX));
                let order = self.global_nodes.range(r).into_iter().map(|n| u64::from(n.0) + 1);
                dirty = order.filter(|s| dirty.binary_search(s).is_ok()).collect();
                true
            }
            SlotOrder::Given(order) => {
                dirty = order.into_iter().filter(|s| dirty.binary_search(s).is_ok()).collect();
                false
            }
            SlotOrder::GoMap(_) | SlotOrder::GlobalNodes | SlotOrder::Ascending => false,
        };
        if drawn && dirty.len() > 1 {
            let draw = RaceDraw::SlotOrder { first: dirty[0], slots: dirty.len() as u32 };
            self.decide(sid, io.now(), |_, _| DecisionKind::Race { draw });
        }
        if dirty.is_empty() {
            if matches!(status, Some(UpdateState::Updating | UpdateState::RollbackStarted)) {
                let rollback = status == Some(UpdateState::RollbackStarted);
                self.decide(sid, io.now(), |_, _| DecisionKind::NothingDirty { rollback });
                self.complete_update(sid, io);
            }
            return;
        }
        if status.is_none() {
            self.recorder.begin_update(sid, io.now());
            self.set_status(sid, UpdateState::Updating, "update in progress");
            self.service_status_committed(sid, io);
        }
        let is_rollback = status == Some(UpdateState::RollbackStarted);
        let svc = self.store.service(sid);
        let config = if is_rollback { svc.spec().rollback.clone() } else { svc.spec().update.clone() };
        let target = svc.current;
        let run = self.updates.next_run;
        self.updates.next_run += 1;
        let (dirty_count, slot_count) = (dirty.len() as u32, slots.len() as u32);
        let explained = config.clone();
        self.decide(sid, io.now(), |_, _| DecisionKind::RunStarted {
            run: run as u32,
            rollback: is_rollback,
            dirty: dirty_count,
            slots: slot_count,
            config: explained,
        });
        let (mut updater, commands) = Updater::start(io.now(), config, is_rollback, dirty);
        if self.recorder.explaining() {
            updater = updater.explaining();
        }
        self.updates.active.insert(sid, ActiveUpdater { updater, run, target });
        self.apply_updater_commands(sid, run, commands, cluster, io);
    }

    /// `IsTaskDirty`: the task's spec differs from the service's (a change of placement
    /// constraints alone that the task's node still satisfies does not count).
    fn is_task_dirty(&self, sid: ServiceId, id: TaskId) -> bool {
        let svc = self.store.service(sid);
        let task = self.store.task(id);
        if task.spec == svc.current {
            return false;
        }
        let (old, new) = (&svc.spec_at(task.spec).task, &svc.spec().task);
        if old == new {
            return false;
        }
        // swarmkit `IsTaskDirtyPlacementConstraintsOnly`: a change of the placement alone
        // (constraints, preferences, max replicas) leaves a task whose node still matches.
        if old.same_but_placement(new)
            && let Some(node) = task.node
        {
            let view = self.node_view(node, sid);
            return !new.placement.constraints.iter().all(|c| constraint_matches(c, &view));
        }
        true
    }

    fn is_slot_dirty(&self, sid: ServiceId, tasks: &[TaskId]) -> bool {
        tasks.len() > 1 || tasks.first().is_some_and(|&t| self.is_task_dirty(sid, t))
    }

    /// Feeds the updater an input and carries out what it asks, until it asks nothing more.
    fn drive_updater(
        &mut self,
        sid: ServiceId,
        input: impl FnOnce(&mut Updater, &mut Io<'_>) -> Vec<UpdaterCommand>,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        let Some(active) = self.updates.active.get_mut(&sid) else { return };
        let run = active.run;
        let commands = input(&mut active.updater, io);
        self.apply_updater_commands(sid, run, commands, cluster, io);
    }

    fn apply_updater_commands(
        &mut self,
        sid: ServiceId,
        run: u64,
        commands: Vec<UpdaterCommand>,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        let mut queue: VecDeque<UpdaterCommand> = commands.into();
        while let Some(command) = queue.pop_front() {
            // A command may cancel this run (rollback); the rest of its output is then moot.
            if !self.updates.is_current(sid, run) {
                return;
            }
            match command {
                UpdaterCommand::UpdateSlot { worker, slot, order } => {
                    self.prefetch_upcoming_slots(sid, cluster);
                    let work = self.update_slot(sid, slot, order, cluster, io);
                    let rollback = self.updates.active.get(&sid).is_some_and(|a| a.updater.is_rollback());
                    let record = self.recorder.update_mut(sid);
                    if rollback {
                        record.slots_rolled_back += 1;
                    } else {
                        record.slots_updated += 1;
                    }
                    self.note_slot_taken(sid, run, worker, slot, work, io);
                    let updater = &mut self.updates.active.get_mut(&sid).expect("checked").updater;
                    queue.extend(updater.on_slot_work(io.now(), worker, work));
                }
                UpdaterCommand::RemoveOldTasks { slot, keep } => {
                    let tasks = self.take_slot_tasks(sid, slot);
                    self.remove_old_tasks(&tasks, Some(keep), cluster, io);
                    self.give_back_slot_tasks(tasks);
                }
                UpdaterCommand::ArmTimer { timer, at } => {
                    if let UpdaterTimer::Delay { worker } = timer {
                        let (run, worker) = (run as u32, worker as u32);
                        self.decide(sid, io.now(), |_, _| DecisionKind::Sleep { run, worker, until: at });
                    }
                    let entry = (sid, run, timer);
                    let index = match self.updates.free_timers.pop() {
                        Some(index) => {
                            self.updates.timers[index as usize] = entry;
                            index
                        }
                        None => {
                            self.updates.timers.push(entry);
                            (self.updates.timers.len() - 1) as u32
                        }
                    };
                    io.q.at(at, Event::Updater { timer: index });
                }
                UpdaterCommand::Pause { message, .. } => {
                    // `pauseUpdate` reads the state it pauses from the store, not from the
                    // run: a rollback already paused by "never roll back a rollback" that
                    // fails again is paused as an update (rollback_paused → paused, the
                    // message still the rollback's).
                    if let Some(status) = &self.store.service(sid).status {
                        let state = if status.state == UpdateState::RollbackStarted {
                            UpdateState::RollbackPaused
                        } else {
                            UpdateState::Paused
                        };
                        self.set_status(sid, state, &message);
                    }
                }
                UpdaterCommand::Rollback { message } => self.rollback_update(sid, &message, io),
                UpdaterCommand::Complete => self.complete_update(sid, io),
                UpdaterCommand::FailureCounted { .. } => self.recorder.update_mut(sid).failures += 1,
                UpdaterCommand::Finished => self.updates.cancel(sid),
                UpdaterCommand::Note(note) => self.note_updater(sid, run, note, io),
            }
        }
    }

    /// A worker takes a slot: the memory of the slots the next hand-outs will take is asked
    /// for ahead (see `crate::prefetch`): the slots come in a random order, each of its tasks'
    /// records a cache miss. Two stages, since a slot's entry names its tasks: the entry of the
    /// slot [`SLOT_PREFETCH_FAR`] hand-outs ahead, and the records of the tasks of the one
    /// [`SLOT_PREFETCH_NEAR`] ahead (its entry asked for that many hand-outs ago).
    fn prefetch_upcoming_slots(&self, sid: ServiceId, cluster: ClusterView<'_>) {
        let Some(active) = self.updates.active.get(&sid) else { return };
        let by_slot = &self.store.service(sid).by_slot;
        if let Some(slot) = active.updater.upcoming_slot(SLOT_PREFETCH_FAR) {
            by_slot.prefetch(slot);
        }
        if let Some(tasks) = active.updater.upcoming_slot(SLOT_PREFETCH_NEAR).and_then(|slot| by_slot.get(slot)) {
            for &task in tasks {
                self.prefetch_task(task);
                cluster.prefetch_task(task);
            }
        }
    }

    /// With decisions recorded: what a worker did with a slot.
    fn note_slot_taken(&mut self, sid: ServiceId, run: u64, worker: usize, slot: u64, work: SlotWork, io: &Io<'_>) {
        if !self.recorder.explaining() {
            return;
        }
        let (task, created) = match work {
            SlotWork::NewTask { task } => (task, true),
            SlotWork::WaitGate { task } => (task, false),
            SlotWork::Done => match self.slot_tasks(sid, slot).into_iter().find(|&t| !self.is_task_dirty(sid, t)) {
                Some(task) => (task, false),
                None => return,
            },
        };
        // The old task: the slot's other task the worker stopped (or will, start-first).
        let old = self.store.service(sid).by_slot.get(slot).and_then(|history| {
            history.iter().rev().copied().find(|&t| t != task && self.store.task(t).spec != self.store.task(task).spec)
        });
        self.decide(sid, io.now(), |recorder, store| DecisionKind::SlotTaken {
            run: run as u32,
            worker: worker as u32,
            slot,
            task: recorder.task_name(task, store),
            created,
            old: old.map(|o| recorder.task_name(o, store)),
        });
    }

    /// With decisions recorded: the updater's own account of a decision.
    fn note_updater(&mut self, sid: ServiceId, run: u64, note: UpdaterNote, io: &Io<'_>) {
        // Old tasks stopped on purpose (SHUTDOWN) are no failure worth a sentence.
        if let UpdaterNote::Judged { state, verdict, .. } = note
            && verdict != Verdict::Counted
            && !matches!(state, TaskState::Complete | TaskState::Failed | TaskState::Rejected)
        {
            return;
        }
        let run = run as u32;
        let max_ratio = self.updates.active.get(&sid).map_or(0.0, |a| a.updater.max_failure_ratio());
        self.decide(sid, io.now(), |recorder, store| match note {
            UpdaterNote::WindowOpened { task, state, window } => {
                DecisionKind::WindowOpened { run, task: recorder.task_name(task, store), state, window }
            }
            UpdaterNote::Judged { task, state, verdict, failures, dirty, outcome } => DecisionKind::FailureJudged {
                run,
                task: recorder.task_name(task, store),
                state,
                verdict,
                failures: failures as u32,
                dirty: dirty as u32,
                max_ratio,
                outcome,
            },
            UpdaterNote::FinalMonitor { until, stretched_from } => {
                DecisionKind::FinalMonitor { run, until, stretched_from }
            }
            UpdaterNote::MonitorEnded { early } => DecisionKind::MonitorEnded { run, early },
        });
    }

    /// Tasks of `slot` that are still meant to run.
    fn slot_tasks(&self, sid: ServiceId, slot: u64) -> Vec<TaskId> {
        self.slot_members(sid, slot)
    }

    /// [`Manager::slot_tasks`] in the supervisor's kept list (give it back with
    /// [`Manager::give_back_slot_tasks`]; a caller that does not gets a new one next time).
    fn take_slot_tasks(&mut self, sid: ServiceId, slot: u64) -> Vec<TaskId> {
        let mut tasks = std::mem::take(&mut self.updates.slot_tasks);
        tasks.clear();
        self.slot_members_into(sid, slot, &mut tasks);
        tasks
    }

    /// The list [`Manager::take_slot_tasks`] lent.
    fn give_back_slot_tasks(&mut self, tasks: Vec<TaskId>) {
        self.updates.slot_tasks = tasks;
    }

    /// `worker`'s body for one slot.
    fn update_slot(
        &mut self,
        sid: ServiceId,
        slot: u64,
        order: UpdateOrder,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) -> SlotWork {
        let tasks = self.take_slot_tasks(sid, slot);
        let work = self.update_slot_of(sid, slot, &tasks, order, cluster, io);
        self.give_back_slot_tasks(tasks);
        work
    }

    /// [`Manager::update_slot`] of the slot's `tasks`.
    fn update_slot_of(
        &mut self,
        sid: ServiceId,
        slot: u64,
        tasks: &[TaskId],
        order: UpdateOrder,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) -> SlotWork {
        let clean = || tasks.iter().copied().filter(|&t| !self.is_task_dirty(sid, t));
        if let Some(running) = clean().find(|&t| self.store.task(t).desired == TaskState::Running) {
            // useExistingTask with a task already meant to run.
            self.remove_old_tasks(tasks, Some(running), cluster, io);
            return SlotWork::Done;
        }
        if let Some(waiting) = clean().rev().find(|&t| self.store.task(t).desired < TaskState::Running) {
            let old = self.remove_old_tasks(tasks, Some(waiting), cluster, io);
            self.delay_start(old, waiting, SimDuration::ZERO, true, cluster, io);
            return SlotWork::WaitGate { task: waiting };
        }
        // updateTask: a new task in the same slot (global: on the same node), desired READY.
        let svc = self.store.service(sid);
        let current = svc.current;
        let node = if svc.is_global() { tasks.first().and_then(|&t| self.store.task(t).node) } else { None };
        let new = self.create_task(
            NewTask { service: sid, slot, node, spec: current, desired: TaskState::Ready },
            cluster,
            io,
        );
        let rollback = self.updates.active.get(&sid).is_some_and(|a| a.updater.is_rollback());
        let record = self.recorder.update_mut(sid);
        record.tasks_replaced += 1;
        record.updater_tasks.push((new, rollback));
        match order {
            UpdateOrder::StartFirst => self.delay_start(None, new, SimDuration::ZERO, false, cluster, io),
            UpdateOrder::StopFirst => {
                let old = self.remove_old_tasks(tasks, None, cluster, io);
                self.delay_start(old, new, SimDuration::ZERO, true, cluster, io);
            }
        }
        SlotWork::NewTask { task: new }
    }

    /// `removeOldTasks`: desired SHUTDOWN for each task still meant to run, but `keep`; returns
    /// one of them.
    fn remove_old_tasks(
        &mut self,
        tasks: &[TaskId],
        keep: Option<TaskId>,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) -> Option<TaskId> {
        let mut removed = None;
        for &t in tasks {
            if Some(t) != keep && self.store.task(t).desired <= TaskState::Running {
                self.set_desired(t, TaskState::Shutdown, cluster, io);
                removed = Some(t);
            }
        }
        removed
    }

    /// The updater's watch sees a task's committed state.
    pub(crate) fn updater_observes(&mut self, id: TaskId, state: TaskState, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        // A task forgotten since (deleted, its node let it go) is no longer in the store the
        // updater watches.
        let Some(sid) = self.store.get(id).map(|t| t.service) else { return };
        let now = io.now();
        let failed = matches!(state, TaskState::Complete | TaskState::Failed | TaskState::Rejected);
        if failed && !self.updates.active.contains_key(&sid) {
            self.decide(sid, now, |recorder, store| DecisionKind::FailureUnwatched {
                task: recorder.task_name(id, store),
                state,
            });
        }
        let mut drawn = None;
        let racing = |u: &mut Updater, io: &mut Io<'_>| {
            // `Run`'s `select` between a freed worker and the failure watch (see the updater and
            // `SLOT_FIRST_ON_FAILURE`).
            let random = io.random_races();
            u.on_task_state_racing(now, id, state, || {
                let slot_first = random && io.rng.races.chance(SLOT_FIRST_ON_FAILURE);
                drawn = Some(slot_first);
                slot_first
            })
        };
        self.drive_updater(sid, racing, cluster, io);
        if let Some(slot_first) = drawn
            && io.random_races()
        {
            self.decide(sid, now, |_, _| DecisionKind::Race { draw: RaceDraw::SlotBeforeFailure { slot_first } });
        }
    }

    /// A delayed start the updater may wait on was released.
    pub(super) fn updater_gate_open(&mut self, sid: ServiceId, id: TaskId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        let now = io.now();
        self.drive_updater(sid, |u, _| u.on_gate_open(now, id), cluster, io);
    }

    /// An updater timer fired.
    pub(crate) fn updater_timer(&mut self, index: usize, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        let (sid, run, timer) = self.updates.timers[index];
        self.updates.free_timers.push(index as u32);
        if !self.updates.is_current(sid, run) {
            return; // a cancelled run's sleep
        }
        let now = io.now();
        self.drive_updater(sid, |u, _| u.on_timer(now, timer), cluster, io);
    }

    /// Sets UpdateStatus and records the change.
    pub(super) fn set_status(&mut self, sid: ServiceId, state: UpdateState, message: &str) {
        self.store.set_update_status(sid, UpdateStatus { state, message: message.to_string() });
        self.recorder.status_changed(sid, state, message);
    }

    /// `completeUpdate`.
    fn complete_update(&mut self, sid: ServiceId, io: &mut Io<'_>) {
        let Some(status) = &self.store.service(sid).status else { return };
        let (state, message) = if status.state == UpdateState::RollbackStarted {
            (UpdateState::RollbackCompleted, "rollback completed")
        } else {
            (UpdateState::Completed, "update completed")
        };
        self.set_status(sid, state, message);
        self.recorder.update_mut(sid).completed_at = Some(io.now());
    }

    /// The updater committed UpdateStatus UPDATING (`startUpdate`, a `store.UpdateService`).
    /// Its `EventUpdateService` reaches the replicated orchestrator, whose `handleServiceEvent`
    /// queues the service for the next `tickServices` (at that very commit's `EventCommit`): one
    /// more `reconcile`, with `updatableAndDeadSlots` and `deleteTasksMap` (manager/orchestrator/
    /// replicated/{replicated,services,slot}.go). Usually nothing is left to do (the
    /// `Supervisor.Update` it ends with finds the run working toward this spec), but a slot whose
    /// only task has desired state REMOVE is not updatable (`UpdatableTasksInSlot`: desired
    /// beyond RUNNING, and a restart policy that would restart it), so it is dead and its task is
    /// deleted at once, still running: a `service update --replicas 7 --image` marks the
    /// scaled-away slots REMOVE and starts the update in the same reconcile, and `startUpdate`'s
    /// commit gets the running tasks of those slots deleted before the agents stop them (m20e:
    /// gone by the first poll, no SHUTDOWN reported; the agent, no longer assigned the task,
    /// stops and removes its container). A plain scale-down starts no update and commits no
    /// status (m20–m20d: the tasks report SHUTDOWN, then the task reaper deletes them).
    ///
    /// The other UpdateStatus commits reconcile the service too in swarmkit; not modelled here
    /// (the rollback queues its own, `rollback_update`). After `pauseUpdate` swarmkit's reconcile
    /// does nothing (a new run returns on PAUSED), but the model's, in a case tests/it/invariants.rs
    /// generated (a rollback paused by "never roll back a rollback", crashing tasks), created a
    /// task after the pause: not analysed yet. After `completeUpdate`, when the finished run
    /// has left `Supervisor.updates` first (a race), a new run takes any slot still dirty — a
    /// start-first slot whose new task failed under `failure_action: continue` keeps its old
    /// task — and completes again: no recording shows a completed update run again, and the
    /// invariants hold that none does. Nor the global orchestrator's reconcile on
    /// `EventUpdateService` (it deletes no running task).
    fn service_status_committed(&mut self, sid: ServiceId, io: &mut Io<'_>) {
        if !self.store.service(sid).is_global() {
            io.q.at(io.now(), Event::Reconcile { service: sid, dead_slots: true });
        }
    }

    /// `rollbackUpdate`: restore `PreviousSpec` (and forget it), then reconcile.
    fn rollback_update(&mut self, sid: ServiceId, message: &str, io: &mut Io<'_>) {
        let svc = self.store.service(sid);
        // Without a previous spec: "cannot roll back service because no previous spec is
        // available": the transaction fails and the status stays as it was.
        if svc.status.is_none() || svc.previous.is_none() {
            return;
        }
        self.set_status(sid, UpdateState::RollbackStarted, message);
        self.store.restore_previous(sid);
        let arm = self.reaper.spec_changed(io.now());
        self.arm_reaper(arm, io);
        self.recorder.update_mut(sid).rollback_started_at = Some(io.now());
        self.updates.cancel(sid);
        // The orchestrator handles the service change in a later tick, after task events it
        // already has (`tickTasks` before `tickServices`): in the s05 trace's first run both
        // failed tasks (15 ms apart) were restarted with the restored spec before the
        // rollback's reconcile found nothing left to do.
        let d = io.latency(|l| &l.reconcile).plus(io.latency(|l| &l.watch));
        io.q.after(d, Event::Reconcile { service: sid, dead_slots: true });
    }
}

/// The slots of `dirty` (ascending) in the order a range over a fresh Go map of `keys` (in their
/// insertion order) visits them: the map's hash seed drawn (`makemap_small`), then the
/// iterator's start (`mapiterinit`'s `fastrand`, 32 bits for any map of fewer than 2^29
/// buckets). A map of at most 8 keys is one bucket, where the hashes do not matter: no seed is
/// drawn.
fn go_map_range(keys: &[u64], dirty: &[u64], io: &mut Io<'_>) -> Vec<u64> {
    let seed = if keys.len() > 8 { io.rng.ids.between(0, u64::MAX) } else { 0 };
    let map = GoMap::of_keys(keys.iter().copied(), |slot| seeded_hash(seed, slot));
    let r = io.rng.races.between(0, u64::from(u32::MAX));
    let mut order = map.range(r);
    order.retain(|s| dirty.binary_search(s).is_ok());
    debug_assert_eq!(order.len(), dirty.len(), "every dirty slot is a key of the map");
    order
}

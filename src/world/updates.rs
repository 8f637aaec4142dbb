//! The update supervisor (swarmkit `update.Supervisor`) and the world side of the updater:
//! starts and cancels updater runs, carries out their commands (`updateTask`,
//! `useExistingTask`, `removeOldTasks`, `pauseUpdate`, `rollbackUpdate`, `completeUpdate`),
//! and keeps UpdateStatus.

use crate::engine::EventQueue;
use crate::model::record::{StatusChange, UpdateState};
use crate::model::spec::UpdateOrder;
use crate::model::task::{ServiceId, TaskId, TaskState};
use crate::swarm::updater::{SlotWork, Updater, UpdaterCommand};
use crate::time::SimDuration;

use super::state::{ActiveUpdater, UpdateStatus};
use super::{Event, World};

impl World {
    /// `Supervisor.Update`: a run already working toward this spec continues; otherwise the
    /// running one is cancelled and a new one starts (`Updater.Run`).
    pub(super) fn supervise_update(
        &mut self,
        sid: ServiceId,
        slots: Vec<(u64, Vec<TaskId>)>,
        q: &mut EventQueue<Event>,
    ) {
        let current = self.service(sid).current;
        if let Some(active) = &self.service(sid).updater
            && active.target == current
            && self.service(sid).spec_at(active.target) == self.service(sid).spec()
        {
            return;
        }
        // Cancel: its timers become stale; tasks it created and their delayed starts go on.
        self.service_mut(sid).updater = None;
        let status = self.service(sid).status.as_ref().map(|s| s.state);
        if matches!(status, Some(UpdateState::Paused | UpdateState::RollbackPaused)) {
            return;
        }
        let mut dirty: Vec<u64> =
            slots.iter().filter(|(_, tasks)| self.is_slot_dirty(sid, tasks)).map(|(s, _)| *s).collect();
        // The orchestrator hands the updater its slots in Go map order (`updatableAndDeadSlots`
        // builds a map; `reconcile` ranges over it): the update takes them in a random order.
        if self.scenario.races == crate::model::scenario::Races::Random {
            self.streams.races.shuffle(&mut dirty);
        }
        if dirty.is_empty() {
            if matches!(status, Some(UpdateState::Updating | UpdateState::RollbackStarted)) {
                self.complete_update(sid, q);
            }
            return;
        }
        if status.is_none() {
            self.set_status(sid, UpdateState::Updating, "update in progress", q);
            self.service_mut(sid).record.started_at = Some(q.now());
            self.service_mut(sid).record.completed_at = None;
        }
        let is_rollback = status == Some(UpdateState::RollbackStarted);
        let spec = self.service(sid).spec();
        let config = if is_rollback { spec.rollback.clone() } else { spec.update.clone() };
        let run = self.next_updater_run;
        self.next_updater_run += 1;
        let (updater, commands) = Updater::start(q.now(), config, is_rollback, dirty);
        self.service_mut(sid).updater = Some(ActiveUpdater { updater, run, target: current });
        self.apply_updater_commands(sid, run, commands, q);
    }

    /// `IsTaskDirty`: the task's spec differs from the service's (a change of placement
    /// constraints alone that the task's node still satisfies does not count).
    pub(super) fn is_task_dirty(&self, sid: ServiceId, id: TaskId) -> bool {
        let svc = self.service(sid);
        let task = self.task(id);
        if task.spec == svc.current {
            return false;
        }
        let (old, new) = (&svc.spec_at(task.spec).task, &svc.spec().task);
        if old == new {
            return false;
        }
        let mut only_placement = old.clone();
        only_placement.placement.constraints = new.placement.constraints.clone();
        if only_placement == *new
            && let Some(node) = task.node
        {
            let view = self.node_view(node, sid);
            return !new.placement.constraints.iter().all(|c| crate::swarm::placement::constraint_matches(c, &view));
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
        input: impl FnOnce(&mut Updater) -> Vec<UpdaterCommand>,
        q: &mut EventQueue<Event>,
    ) {
        let Some(active) = self.service_mut(sid).updater.as_mut() else { return };
        let run = active.run;
        let commands = input(&mut active.updater);
        self.apply_updater_commands(sid, run, commands, q);
    }

    fn apply_updater_commands(
        &mut self,
        sid: ServiceId,
        run: u64,
        commands: Vec<UpdaterCommand>,
        q: &mut EventQueue<Event>,
    ) {
        let mut queue: std::collections::VecDeque<UpdaterCommand> = commands.into();
        while let Some(command) = queue.pop_front() {
            // A command may cancel this run (rollback); the rest of its output is then moot.
            if self.service(sid).updater.as_ref().is_none_or(|a| a.run != run) {
                return;
            }
            match command {
                UpdaterCommand::UpdateSlot { worker, slot, order } => {
                    let work = self.update_slot(sid, slot, order, q);
                    let now = q.now();
                    let updater = &mut self.service_mut(sid).updater.as_mut().expect("checked").updater;
                    queue.extend(updater.on_slot_work(now, worker, work));
                }
                UpdaterCommand::RemoveOldTasks { slot, keep } => {
                    let others: Vec<TaskId> = self.slot_tasks(sid, slot).into_iter().filter(|&t| t != keep).collect();
                    self.remove_old_tasks(&others, q);
                }
                UpdaterCommand::ArmTimer { timer, at } => {
                    let index = self.updater_timers.len() as u32;
                    self.updater_timers.push((sid, run, timer));
                    q.at(at, Event::Updater { timer: index });
                }
                UpdaterCommand::Pause { state, message } => {
                    if self.service(sid).status.is_some() {
                        self.set_status(sid, state, &message, q);
                    }
                }
                UpdaterCommand::Rollback { message } => self.rollback_update(sid, &message, q),
                UpdaterCommand::Complete => self.complete_update(sid, q),
                UpdaterCommand::FailureCounted { .. } => self.service_mut(sid).record.failures += 1,
                UpdaterCommand::Finished => self.service_mut(sid).updater = None,
            }
        }
    }

    /// Tasks of `slot` that are still meant to run.
    fn slot_tasks(&self, sid: ServiceId, slot: u64) -> Vec<TaskId> {
        self.slot_members(sid, slot).unwrap_or_default()
    }

    /// `worker`'s body for one slot.
    fn update_slot(&mut self, sid: ServiceId, slot: u64, order: UpdateOrder, q: &mut EventQueue<Event>) -> SlotWork {
        let tasks = self.slot_tasks(sid, slot);
        let clean: Vec<TaskId> = tasks.iter().copied().filter(|&t| !self.is_task_dirty(sid, t)).collect();
        if let Some(&running) = clean.iter().find(|&&t| self.task(t).desired == TaskState::Running) {
            // useExistingTask with a task already meant to run.
            let others: Vec<TaskId> = tasks.iter().copied().filter(|&t| t != running).collect();
            self.remove_old_tasks(&others, q);
            return SlotWork::Done;
        }
        if let Some(&waiting) = clean.iter().rev().find(|&&t| self.task(t).desired < TaskState::Running) {
            let others: Vec<TaskId> = tasks.iter().copied().filter(|&t| t != waiting).collect();
            let old = self.remove_old_tasks(&others, q);
            self.delay_start(old, waiting, SimDuration::ZERO, true, q);
            return SlotWork::WaitGate { task: waiting };
        }
        // updateTask: a new task in the same slot (global: on the same node), desired READY.
        let current = self.service(sid).current;
        let node = if self.service(sid).is_global() { tasks.first().and_then(|&t| self.task(t).node) } else { None };
        let new = self.create_task(sid, slot, node, current, TaskState::Ready, q);
        let rollback = self.service(sid).updater.as_ref().is_some_and(|a| a.updater.is_rollback());
        let docker_id = self.task(new).docker_id.clone();
        let record = &mut self.service_mut(sid).record;
        record.tasks_replaced += 1;
        record.updater_tasks.push((docker_id, rollback));
        match order {
            UpdateOrder::StartFirst => self.delay_start(None, new, SimDuration::ZERO, false, q),
            UpdateOrder::StopFirst => {
                let old = self.remove_old_tasks(&tasks, q);
                self.delay_start(old, new, SimDuration::ZERO, true, q);
            }
        }
        SlotWork::NewTask { task: new }
    }

    /// `removeOldTasks`: desired SHUTDOWN for each task still meant to run; returns one of them.
    fn remove_old_tasks(&mut self, tasks: &[TaskId], q: &mut EventQueue<Event>) -> Option<TaskId> {
        let mut removed = None;
        for &t in tasks {
            if self.task(t).desired <= TaskState::Running {
                self.set_desired(t, TaskState::Shutdown, q);
                removed = Some(t);
            }
        }
        removed
    }

    pub(super) fn updater_observes(&mut self, sid: ServiceId, id: TaskId, state: TaskState, q: &mut EventQueue<Event>) {
        let now = q.now();
        self.drive_updater(sid, |u| u.on_task_state(now, id, state), q);
    }

    pub(super) fn updater_gate_open(&mut self, sid: ServiceId, id: TaskId, q: &mut EventQueue<Event>) {
        let now = q.now();
        self.drive_updater(sid, |u| u.on_gate_open(now, id), q);
    }

    pub(super) fn updater_timer(&mut self, index: usize, q: &mut EventQueue<Event>) {
        let (sid, run, timer) = self.updater_timers[index];
        if self.service(sid).updater.as_ref().is_none_or(|a| a.run != run) {
            return; // a cancelled run's sleep
        }
        let now = q.now();
        self.drive_updater(sid, |u| u.on_timer(now, timer), q);
    }

    /// Sets UpdateStatus and records the change.
    pub(super) fn set_status(&mut self, sid: ServiceId, state: UpdateState, message: &str, q: &mut EventQueue<Event>) {
        let now = q.now();
        let svc = self.service_mut(sid);
        svc.status = Some(UpdateStatus { state, message: message.to_string() });
        svc.record.state = Some(state);
        svc.record.message = message.to_string();
        svc.record.status_changes.push(StatusChange { t: now, state, message: message.to_string() });
        svc.sample_due = true;
    }

    /// `completeUpdate`.
    fn complete_update(&mut self, sid: ServiceId, q: &mut EventQueue<Event>) {
        let Some(status) = &self.service(sid).status else { return };
        let (state, message) = if status.state == UpdateState::RollbackStarted {
            (UpdateState::RollbackCompleted, "rollback completed")
        } else {
            (UpdateState::Completed, "update completed")
        };
        self.set_status(sid, state, message, q);
        self.service_mut(sid).record.completed_at = Some(q.now());
    }

    /// `rollbackUpdate`: restore `PreviousSpec` (and forget it), then reconcile.
    fn rollback_update(&mut self, sid: ServiceId, message: &str, q: &mut EventQueue<Event>) {
        if self.service(sid).status.is_none() {
            return;
        }
        let Some(previous) = self.service(sid).previous else {
            // "cannot roll back service because no previous spec is available": the
            // transaction fails and the status stays as it was.
            return;
        };
        self.set_status(sid, UpdateState::RollbackStarted, message, q);
        let svc = self.service_mut(sid);
        svc.current = previous;
        svc.previous = None;
        svc.record.rollback_started_at = Some(q.now());
        svc.updater = None;
        // The orchestrator handles the service change in a later tick, after task events it
        // already has (`tickTasks` before `tickServices`): in the s05 trace's first run both
        // failed tasks (15 ms apart) were restarted with the restored spec before the
        // rollback's reconcile found nothing left to do.
        let d = self.latency(|l| &l.reconcile).plus(self.latency(|l| &l.watch));
        q.after(d, Event::Reconcile { service: sid });
    }
}

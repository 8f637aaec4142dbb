//! The restart supervisor (swarmkit `manager/orchestrator/restart/restart.go`): `Restart`
//! replaces a task that ended (or whose node is gone) when its restart policy allows, counting
//! attempts per slot in a window; `DelayStart` holds a new task at desired READY until its delay
//! has passed and the task it replaces has stopped (or 60 s passed), then `StartNow` moves it to
//! desired RUNNING. The updater uses the same delayed starts for the tasks it creates.
//!
//! A task that ends while its own delayed start is still pending (rejected during preparation,
//! as when its image does not exist) is not replaced at once: `Restart` waits for that delayed
//! start to finish ("to avoid tight restart loops"), so a crash-looping slot gets about one new
//! task per restart delay (the s19 traces: one every 2.0 s with `delay: 2s`).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::cluster::Availability;
use crate::model::decision::{DecisionKind, Declined, Release};
use crate::model::spec::RestartCondition;
use crate::model::task::{ServiceId, TaskId, TaskState};
use crate::swarm::restart::{self, RestartHistory};
use crate::time::{SimDuration, SimTime};
use crate::world::cluster::ClusterView;
use crate::world::tasktable::TaskTable;
use crate::world::{Event, Io};

use super::Manager;
use super::store::NewTask;

/// A pending `DelayStart`: moves `task` to desired RUNNING once the delay has passed and the
/// old task has stopped (or 60 s passed).
struct DelayedStart {
    /// The task to start.
    task: TaskId,
    /// Not before this.
    delay_until: SimTime,
    /// Wait for this task to be observed past RUNNING (or its node DOWN)...
    wait_for: Option<TaskId>,
    /// ...but not after this.
    timeout_at: SimTime,
    /// The old task stopped.
    old_stopped: bool,
    /// Already released (or cancelled).
    done: bool,
    /// When it was set up (for `deploysim explain`).
    since: SimTime,
    /// `Restart` was asked for the task meanwhile and waits for this to finish.
    restart_waits: bool,
    /// Its `Event::Gate` is still in the queue (the entry is not reused before it fired).
    gate_armed: bool,
    /// Stamped when the entry is made: tells a reused entry from the start a list named.
    serial: u64,
}

/// The restart supervisor's state.
#[derive(Default)]
pub(super) struct RestartSupervisor {
    /// Restart history per slot (global: per node) of each service.
    history: BTreeMap<(ServiceId, u64), RestartHistory>,
    /// Delayed starts, by index (events name them by index). An entry is reused once it is done
    /// and nothing names it any more (its gate event fired, no old task lists it), so the table
    /// holds the starts in flight, not every start the run ever made.
    delayed: Vec<DelayedStart>,
    /// Entries of `delayed` free for reuse.
    free: Vec<usize>,
    /// The next entry's serial.
    next_serial: u64,
    /// The pending delayed start of each task that has one (swarmkit's `delays`). By task id
    /// in a [`TaskTable`] rather than a B-tree: every task an update or a restart creates
    /// gets one, looked up again when it is released, and no order of these is ever read.
    pending: TaskTable<u32>,
    /// Delayed starts by the old task they wait for. A B-tree, not a [`TaskTable`]: the old
    /// tasks an update replaces are scattered over every id the run made, so nearly every
    /// entry would take (and soon give back) a page of its own.
    waiting_on: BTreeMap<TaskId, Vec<usize>>,
    /// Pending old-task timeouts (time, delayed start), swept by one armed event instead of one
    /// event each: almost every delayed start is released long before its timeout.
    timeouts: BTreeSet<(SimTime, usize)>,
    /// When the sweep event is armed.
    sweep_at: Option<SimTime>,
    /// Emptied lists of `waiting_on`, for the next old task waited on (nearly every delayed
    /// start of an update waits on one: a list made each time was an allocation each).
    spare_lists: Vec<Vec<usize>>,
    /// The starts a release looks at, with their serials (kept, empty, from one release to
    /// the next).
    released: Vec<(usize, u64)>,
}

/// Emptied `waiting_on` lists kept for reuse, at most.
const SPARE_LISTS: usize = 16;

impl RestartSupervisor {
    /// Back to `RestartSupervisor::default()`, keeping its tables' room (a world reused from
    /// run to run). Every field is named, so that one added later must be said here too.
    pub(super) fn clear(&mut self) {
        let RestartSupervisor {
            history,
            delayed,
            free,
            next_serial,
            pending,
            waiting_on,
            timeouts,
            sweep_at,
            // Empty lists: room only.
            spare_lists: _,
            released: _,
        } = self;
        history.clear();
        delayed.clear();
        free.clear();
        *next_serial = 0;
        pending.clear(0);
        waiting_on.clear();
        timeouts.clear();
        *sweep_at = None;
    }

    /// Whether `task` has a delayed start pending (which looks it up in the store when it is
    /// released: the store keeps it until then).
    pub(super) fn is_pending(&self, task: TaskId) -> bool {
        self.pending.contains(task)
    }

    /// Ends delayed start `index`, released or cancelled; true when a restart waits on it.
    fn finish(&mut self, index: usize) -> bool {
        let d = &mut self.delayed[index];
        d.done = true;
        let (timeout, task, waits, wait_for) = (d.timeout_at, d.task, d.restart_waits, d.wait_for);
        self.timeouts.remove(&(timeout, index));
        self.pending.remove(task);
        if let Some(old) = wait_for
            && let Some(list) = self.waiting_on.get_mut(&old)
        {
            list.retain(|&i| i != index);
            if list.is_empty()
                && let Some(list) = self.waiting_on.remove(&old)
            {
                self.recycle(list);
            }
        }
        self.free_if_unnamed(index);
        waits
    }

    /// Keeps an emptied `waiting_on` list for reuse (a few small ones).
    fn recycle(&mut self, mut list: Vec<usize>) {
        if self.spare_lists.len() < SPARE_LISTS && list.capacity() <= 64 {
            list.clear();
            self.spare_lists.push(list);
        }
    }

    /// Makes a done entry reusable once no queued event names it.
    fn free_if_unnamed(&mut self, index: usize) {
        let d = &self.delayed[index];
        if d.done && !d.gate_armed {
            self.free.push(index);
        }
    }

    /// A new entry, reusing a free one when there is one.
    fn add(&mut self, mut start: DelayedStart) -> usize {
        start.serial = self.next_serial;
        self.next_serial += 1;
        match self.free.pop() {
            Some(index) => {
                self.delayed[index] = start;
                index
            }
            None => {
                self.delayed.push(start);
                self.delayed.len() - 1
            }
        }
    }
}

impl Manager {
    /// `Restart`: shut the task down and, if the policy allows, create a replacement in the same
    /// slot with the service's current spec, started after the delay.
    pub(super) fn restart(&mut self, id: TaskId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        // Is the task still in the process of restarting (its own delayed start pending)? Then
        // wait for that to finish, to avoid tight restart loops.
        if let Some(&index) = self.restarts.pending.get(id) {
            self.restarts.delayed[index as usize].restart_waits = true;
            return;
        }
        if !self.store.take_restart(id) {
            return;
        }
        self.set_desired(id, TaskState::Shutdown, cluster, io);
        let t = self.store.task(id);
        let (sid, slot, old_spec, state, node) = (t.service, t.slot, t.spec, t.state, t.node);
        let node_drained = node.is_some_and(|n| self.store.node(n).availability == Availability::Drain);
        let node_down = node.is_some_and(|n| self.store.node(n).down);
        let service = self.store.service(sid);
        let policy = service.spec_at(old_spec).task.restart.clone();
        let (current, global) = (service.current, service.is_global());
        let now = io.now();
        let history = self.restarts.history.entry((sid, slot)).or_default();
        if !history.should_restart(&policy, old_spec, state, now) {
            self.store.decline_restart(id);
            let why = match policy.condition {
                RestartCondition::None => Declined::ConditionNone,
                RestartCondition::OnFailure if state == TaskState::Complete => Declined::CompletedOnFailure,
                _ => Declined::MaxAttempts { max_attempts: policy.max_attempts, window: policy.window },
            };
            self.decide(sid, now, |recorder, store| DecisionKind::RestartDeclined {
                task: recorder.task_name(id, store),
                slot,
                why,
            });
            return;
        }
        history.record(&policy, current, now);
        let global_node = if global { node } else { None };
        let new = self.create_task(
            NewTask { service: sid, slot, node: global_node, spec: current, desired: TaskState::Ready },
            cluster,
            io,
        );
        let delay = restart::restart_delay(&policy, node_drained);
        if self.recorder.update(sid).started_at.is_some() {
            self.recorder.update_mut(sid).restart_tasks += 1;
        }
        self.decide(sid, now, |recorder, store| DecisionKind::Restarted {
            old: recorder.task_name(id, store),
            new: recorder.task_name(new, store),
            slot,
            delay,
        });
        let wait_stop = !(state > TaskState::Running || node_down);
        self.delay_start(Some(id), new, delay, wait_stop, cluster, io);
    }

    /// `waitRestart`: the delayed start a restart waited for has finished; restart the task
    /// now unless it was shut down meanwhile.
    fn restart_after_wait(&mut self, id: TaskId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        if self.store.task(id).desired <= TaskState::Running {
            self.restart(id, cluster, io);
        }
    }

    /// `DelayStart`: start `new` after `delay` and, when `wait_stop`, after `old` stops (or
    /// its node goes down, or 60 s pass: the timer starts with the delay).
    pub(super) fn delay_start(
        &mut self,
        old: Option<TaskId>,
        new: TaskId,
        delay: SimDuration,
        wait_stop: bool,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        // A new delayed start of a task replaces the one it had (which then never starts it).
        if let Some(&previous) = self.restarts.pending.get(new)
            && self.restarts.finish(previous as usize)
        {
            self.restart_after_wait(new, cluster, io);
        }
        let now = io.now();
        let wait_for = old.filter(|&o| wait_stop && self.store.task(o).state <= TaskState::Running);
        // `TaskTimeout`: how long to wait for the old task at most (the timer starts with the delay).
        let old_task_timeout = io.latency(|l| &l.old_task_timeout);
        let r = &mut self.restarts;
        // With no delay, a start waiting for the old task is released by its stop or timeout.
        let gate_armed = delay > SimDuration::ZERO || wait_for.is_none();
        let index = r.add(DelayedStart {
            task: new,
            delay_until: now.plus(delay),
            wait_for,
            timeout_at: now.plus(old_task_timeout),
            old_stopped: false,
            done: false,
            since: now,
            restart_waits: false,
            gate_armed,
            serial: 0,
        });
        // Entries are reused: there are at most as many as starts in flight at once.
        r.pending.insert(new, u32::try_from(index).expect("a delayed start's entry"));
        if let Some(o) = wait_for {
            let spare = &mut r.spare_lists;
            r.waiting_on.entry(o).or_insert_with(|| spare.pop().unwrap_or_default()).push(index);
        }
        if gate_armed {
            io.q.at(now.plus(delay), Event::Gate { gate: index as u32 });
        }
        if wait_for.is_some() {
            let timeout = now.plus(old_task_timeout);
            r.timeouts.insert((timeout, index));
            if r.sweep_at.is_none_or(|at| timeout < at) {
                r.sweep_at = Some(timeout);
                io.q.at(timeout, Event::GateTimeouts);
            }
        }
    }

    /// Releases the delayed starts whose old-task timeout has passed, then re-arms for the next.
    pub(crate) fn gate_timeouts_due(&mut self, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        let now = io.now();
        // (A sweep held back while the manager was down runs later than it was armed for.)
        if self.restarts.sweep_at.is_some_and(|at| at <= now) {
            self.restarts.sweep_at = None;
        }
        while let Some(&(at, index)) = self.restarts.timeouts.first() {
            if at > now {
                break;
            }
            self.restarts.timeouts.pop_first();
            self.check_gate(index, cluster, io);
        }
        let r = &mut self.restarts;
        if let Some(&(next, _)) = r.timeouts.first()
            && r.sweep_at.is_none_or(|at| next < at)
        {
            r.sweep_at = Some(next);
            io.q.at(next, Event::GateTimeouts);
        }
    }

    /// A delayed start's delay has passed (its `Event::Gate`).
    pub(crate) fn gate_due(&mut self, index: usize, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        self.restarts.delayed[index].gate_armed = false;
        if self.restarts.delayed[index].done {
            self.restarts.free_if_unnamed(index);
            return;
        }
        self.check_gate(index, cluster, io);
    }

    /// Releases a delayed start if its conditions now hold (`StartNow`).
    fn check_gate(&mut self, index: usize, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        let now = io.now();
        let d = &self.restarts.delayed[index];
        if d.done || now < d.delay_until {
            return;
        }
        let old_done = d.wait_for.is_none() || d.old_stopped || now >= d.timeout_at;
        if !old_done {
            return;
        }
        let task = d.task;
        if self.recorder.explaining() {
            let how = match d.wait_for {
                None => Release::NoWait,
                Some(_) if d.old_stopped => Release::OldStopped,
                Some(_) => Release::TimedOut,
            };
            let (old, since) = (d.wait_for, d.since);
            let sid = self.store.task(task).service;
            self.decide(sid, now, |recorder, store| DecisionKind::Released {
                task: recorder.task_name(task, store),
                old: old.map(|o| recorder.task_name(o, store)),
                since,
                how,
            });
        }
        let restart_waits = self.restarts.finish(index);
        // StartNow: only a task still below RUNNING is moved.
        if self.store.task(task).desired < TaskState::Running {
            self.set_desired(task, TaskState::Running, cluster, io);
        }
        let sid = self.store.task(task).service;
        self.updater_gate_open(sid, task, cluster, io);
        if restart_waits {
            self.restart_after_wait(task, cluster, io);
        }
        // A task deleted and let go while its start waited is forgotten now.
        self.try_forget_task(task);
    }

    /// Delayed starts waiting on `old` (observed past RUNNING, or its node DOWN) may go.
    pub(super) fn release_gates_waiting_on(&mut self, old: TaskId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        let Some(waiting) = self.restarts.waiting_on.remove(&old) else { return };
        // Taken while the starts are checked (a release that led to another would simply get a
        // list of its own).
        let mut released = std::mem::take(&mut self.restarts.released);
        released.extend(waiting.iter().map(|&i| (i, self.restarts.delayed[i].serial)));
        self.restarts.recycle(waiting);
        for &(index, serial) in &released {
            // A start released by an earlier one's release is skipped, and so is a new start
            // made meanwhile in its reused entry (even one that waits on the same task).
            let d = &mut self.restarts.delayed[index];
            if d.done || d.serial != serial {
                continue;
            }
            d.old_stopped = true;
            self.check_gate(index, cluster, io);
        }
        released.clear();
        self.restarts.released = released;
    }
}

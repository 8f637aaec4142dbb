//! The allocator's step (swarmkit `manager/allocator`: NEW → PENDING) and the scheduler
//! (`manager/scheduler/scheduler.go`): pending tasks wait for a tick, which places every one of
//! them, one task group (service) at a time, through the filters of `swarm::placement`.

use crate::model::task::{NodeId, ServiceId, TaskId, TaskState};
use crate::swarm::placement::{Available, Demand, NodeView, TieBreak, schedule_group, schedule_group_by_load};
use crate::time::{SimDuration, SimTime};
use crate::world::cluster::{ClusterView, Message};
use crate::world::tasktable::TaskTable;
use crate::world::{Event, Io};

use super::Manager;
use super::dispatcher::AssignmentChange;

/// `commitDebounceGap`'s bound: the scheduler ticks at most 1 s after the first change.
const MAX_DEBOUNCE: SimDuration = SimDuration::from_secs(1);

/// From this many nodes on, the scheduler keeps each service's nodes ordered by load and reads
/// only the least loaded, instead of ranking every node at every tick: the same choices
/// (`schedule_group_by_load`), at a cost that follows the tasks placed, not the cluster's size.
/// Below it a scan is as cheap and keeps no index.
const LOAD_INDEX_FROM_NODES: usize = 256;

/// How many tasks ahead of the one a tick assigns the records of one are asked for.
const ASSIGN_PREFETCH_AHEAD: usize = 4;

/// The scheduler's queue and its tick timer.
#[derive(Default)]
pub(super) struct Scheduler {
    /// Tasks waiting to be placed, by task id: every task is added, looked up and removed
    /// here once or more (a B-tree cost a search each time), and a tick reads them in id
    /// order from `queue`.
    pending: TaskTable<()>,
    /// How many tasks `pending` holds.
    pending_count: usize,
    /// The pending tasks in the order they came, and some placed or dropped since (each tick
    /// sorts the list by id and keeps only those still pending).
    queue: Vec<TaskId>,
    /// When the next tick is due (None: not armed).
    tick_due: Option<SimTime>,
    /// The latest the armed tick may be pushed back to by new pending tasks.
    tick_deadline: SimTime,
    /// The lists a tick sorts its tasks into (the pending tasks by service, a group's tasks
    /// bound to a node and free to place), kept empty from tick to tick rather than made anew.
    spare: [Vec<TaskId>; 3],
}

impl Scheduler {
    /// Back to `Scheduler::default()`, keeping its lists' room (a world reused from run to
    /// run). Every field is named, so that one added later must be said here too.
    pub(super) fn clear(&mut self) {
        let Scheduler { pending, pending_count, queue, tick_due, tick_deadline, spare } = self;
        pending.clear(0);
        *pending_count = 0;
        queue.clear();
        *tick_due = None;
        *tick_deadline = SimTime::default();
        for list in spare {
            list.clear();
        }
    }

    /// Some task waits to be placed.
    pub(super) fn has_pending(&self) -> bool {
        self.pending_count > 0
    }

    /// Whether `id` waits to be placed.
    fn is_pending(&self, id: TaskId) -> bool {
        self.pending.contains(id)
    }

    /// `id` waits to be placed from now on.
    fn add(&mut self, id: TaskId) {
        if self.pending.get(id).is_none() {
            self.pending.insert(id, ());
            self.pending_count += 1;
            self.queue.push(id);
        }
    }

    /// Drops a task the task reaper deletes before it was placed, or one just placed; false if
    /// it was not pending.
    pub(super) fn forget(&mut self, id: TaskId) -> bool {
        let was = self.pending.remove(id).is_some();
        if was {
            self.pending_count -= 1;
        }
        was
    }

    /// Moves the tasks still pending into `tasks`, in id order (emptying `queue`).
    fn take_in_id_order(&mut self, tasks: &mut Vec<TaskId>) {
        tasks.extend(self.queue.drain(..).filter(|&id| self.pending.contains(id)));
        tasks.sort_unstable();
        tasks.dedup();
    }

    /// After a tick over `tasks`: those still pending wait for the next tick (beside any that
    /// came during this one: each tick sorts its list).
    fn requeue(&mut self, tasks: &[TaskId]) {
        self.queue.extend(tasks.iter().copied().filter(|&id| self.pending.contains(id)));
    }
}

impl Manager {
    /// The allocator: NEW → PENDING, then the scheduler's next tick.
    pub(crate) fn allocate(&mut self, id: TaskId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        // (A task deleted before it was allocated, forgotten since or not, stays as it is.)
        let Some(task) = self.store.get(id).filter(|t| !t.deleted) else { return };
        if task.state != TaskState::New {
            return;
        }
        // The allocator ignores the desired state: a task told to stop before it was allocated
        // is still allocated and scheduled (see `set_desired`), unless it is being removed.
        if task.desired == TaskState::Remove {
            self.set_state(id, TaskState::Shutdown, Message::Fixed("shutdown"), cluster, io);
            return;
        }
        self.set_state(id, TaskState::Pending, Message::Fixed("pending task scheduling"), cluster, io);
        self.scheduler.add(id);
        self.debounce_schedule_tick(io);
    }

    /// Schedules a tick after the scheduler's debounce, unless one is already due.
    pub(super) fn arm_schedule_tick(&mut self, io: &mut Io<'_>) {
        if self.scheduler.tick_due.is_none() {
            let d = io.latency(|l| &l.schedule);
            let due = io.now().plus(d);
            self.scheduler.tick_due = Some(due);
            self.scheduler.tick_deadline = io.now().plus(MAX_DEBOUNCE);
            io.q.at(due, Event::ScheduleTick);
        }
    }

    /// A new task became pending: swarmkit's scheduler waits for a quiet gap (`schedule`,
    /// 50 ms) after the last such change, but never more than 1 s after the first, so a steady
    /// trickle of new tasks is placed in batches.
    fn debounce_schedule_tick(&mut self, io: &mut Io<'_>) {
        match self.scheduler.tick_due {
            None => self.arm_schedule_tick(io),
            Some(due) => {
                let d = io.latency(|l| &l.schedule);
                let pushed = io.now().plus(d).min(self.scheduler.tick_deadline);
                if pushed > due {
                    self.scheduler.tick_due = Some(pushed);
                }
            }
        }
    }

    /// The tick: every pending task, grouped by service.
    pub(crate) fn schedule_tick(&mut self, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        match self.scheduler.tick_due {
            Some(due) if due > io.now() => {
                // Pushed back since this event was scheduled.
                io.q.at(due, Event::ScheduleTick);
                return;
            }
            Some(_) => self.scheduler.tick_due = None,
            None => return,
        }
        // Task groups by service in service order, each group's tasks in id order (a stable
        // sort of the pending tasks, which come in id order).
        let [mut tasks, mut bound, mut free] = std::mem::take(&mut self.scheduler.spare);
        self.scheduler.take_in_id_order(&mut tasks);
        tasks.sort_by_key(|&id| self.store.task(id).service);
        let mut start = 0;
        while start < tasks.len() {
            let sid = self.store.task(tasks[start]).service;
            let end = start + tasks[start..].iter().take_while(|&&t| self.store.task(t).service == sid).count();
            // Global tasks are bound to their node: check that node alone.
            for &t in &tasks[start..end] {
                if self.store.task(t).node.is_some() {
                    bound.push(t);
                } else {
                    free.push(t);
                }
            }
            self.schedule_service_group(sid, &bound, &mut free, cluster, io);
            bound.clear();
            free.clear();
            start = end;
        }
        self.scheduler.requeue(&tasks);
        tasks.clear();
        self.scheduler.spare = [tasks, bound, free];
    }

    /// Places the pending tasks of service `sid`: those `bound` to a node on it, the `free`
    /// ones (in id order, shuffled here when Swarm's races are random) over the nodes.
    fn schedule_service_group(
        &mut self,
        sid: ServiceId,
        bound: &[TaskId],
        free: &mut [TaskId],
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        for &id in bound {
            // Placing one task can settle another of the same tick (a task being removed while
            // still unplaced is dropped at once, see `set_desired`): only those still pending.
            if !self.scheduler.is_pending(id) {
                continue;
            }
            let task = self.store.task(id);
            let node = task.node.expect("bound");
            if self.store.node(node).removed {
                // The global orchestrator deletes the tasks of a deleted node.
                self.scheduler.forget(id);
                continue;
            }
            let view = self.node_view(node, sid);
            let spec = &self.store.service(sid).spec_at(task.spec).task;
            let demand = Demand { reservations: spec.resources.reservations, host_ports: &spec.host_ports };
            match schedule_group(std::slice::from_ref(&view), &spec.placement, &demand, 1, TieBreak::Index).remove(0) {
                Ok(_) => self.assign(id, node, cluster, io),
                Err(why) => self.leave_pending(id, why, io),
            }
        }
        if free.is_empty() {
            return;
        }
        let mut tie = TieBreak::Index;
        if io.random_races() {
            // Go map orders: which equally good node comes first (`nodeSet`), and which task of
            // the group is placed first (`taskGroup`).
            tie = TieBreak::Shuffled(io.rng.races.between(0, u64::MAX));
            io.rng.races.shuffle(free);
        }
        let count = free.len();
        // Reservations and host ports change what a node can take as tasks are placed, and
        // preferences place by their own tree: those groups are placed by a full scan.
        let indexable = {
            let spec = &self.store.service(sid).spec().task;
            spec.resources.reservations.is_zero() && spec.host_ports.is_empty() && spec.placement.preferences.is_empty()
        };
        if indexable && self.store.nodes().len() >= LOAD_INDEX_FROM_NODES && self.store.index_load(sid) {
            let placement = &self.store.service(sid).spec().task.placement;
            let by_load = self.store.nodes_by_load(sid);
            if let Some(choices) =
                schedule_group_by_load(by_load, |i| self.node_view(NodeId(i as u32), sid), placement, count, tie)
            {
                if cfg!(debug_assertions) {
                    // The load index is kept by hand: in test builds, every indexed choice is
                    // checked against a full scan.
                    let views: Vec<NodeView<'_>> =
                        self.store.nodes().iter().map(|n| self.node_view(n.id, sid)).collect();
                    let full: Vec<Result<usize, String>> =
                        schedule_group(&views, placement, &Demand::default(), count, tie);
                    assert_eq!(full, choices.iter().map(|&i| Ok(i)).collect::<Vec<_>>(), "load index out of date");
                }
                for (k, (&id, i)) in free.iter().zip(choices).enumerate() {
                    // The tasks come in a random order: the records of one a few places on are
                    // asked for ahead (see `crate::prefetch`).
                    if let Some(&ahead) = free.get(k + ASSIGN_PREFETCH_AHEAD) {
                        self.prefetch_task(ahead);
                        cluster.prefetch_task(ahead);
                    }
                    if self.scheduler.is_pending(id) {
                        self.assign(id, NodeId(i as u32), cluster, io);
                    }
                }
                return;
            }
        }
        // A removed node is no longer in the scheduler's node set at all.
        let ids: Vec<NodeId> = self.store.nodes().iter().filter(|n| !n.removed).map(|n| n.id).collect();
        let views: Vec<NodeView<'_>> = ids.iter().map(|&n| self.node_view(n, sid)).collect();
        let spec = &self.store.service(sid).spec().task;
        let demand = Demand { reservations: spec.resources.reservations, host_ports: &spec.host_ports };
        let choices = schedule_group(&views, &spec.placement, &demand, count, tie);
        drop(views);
        for (&id, choice) in free.iter().zip(choices) {
            if !self.scheduler.is_pending(id) {
                continue;
            }
            match choice {
                Ok(i) => self.assign(id, ids[i], cluster, io),
                Err(why) => self.leave_pending(id, why, io),
            }
        }
    }

    fn assign(&mut self, id: TaskId, node: NodeId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        self.scheduler.forget(id);
        self.store.assign(id, node);
        let r = self.store.reservations(id);
        if !r.is_zero() {
            self.recorder.reservation(r, true, || self.store.cluster_capacity());
        }
        self.set_state(id, TaskState::Assigned, Message::Fixed("scheduler assigned task to node"), cluster, io);
        self.send_to_node(node, AssignmentChange::Assigned(id), io);
    }

    /// The task stays PENDING; its message explains why (logged once per new reason).
    fn leave_pending(&mut self, id: TaskId, why: String, io: &mut Io<'_>) {
        if *self.store.task(id).message != *why {
            let message = self.recorder.intern(&why);
            self.store.set_message(id, message);
            let arm = self.reaper.updated(self.store.task(id), io.now());
            self.arm_reaper(arm, io);
            self.recorder.log_task(id, &self.store, io.now());
        }
    }

    /// A node as the scheduler and constraints see it, for service `sid`: what the manager
    /// knows. A node whose link is cut stays READY until its heartbeat deadline marks it DOWN,
    /// so the scheduler may place tasks there meanwhile; they stay ASSIGNED, never reaching the
    /// agent, until the node returns (the m06 traces).
    pub(super) fn node_view(&self, node: NodeId, sid: ServiceId) -> NodeView<'_> {
        let n = self.store.node(node);
        let spec_version = self.store.service(sid).current;
        let recent_failures = n.failures.iter().filter(|(s, v, _)| *s == sid && *v == spec_version).count() as u32;
        NodeView {
            name: &n.spec.name,
            id: &n.docker_id,
            role: n.spec.role,
            labels: &n.spec.labels,
            ready: !n.down && !n.unknown,
            availability: n.availability,
            service_tasks: n.service_tasks.get(&sid).copied().unwrap_or(0),
            total_tasks: n.total_tasks,
            recent_failures,
            available: Available::of(n.spec.capacity, n.reserved),
            host_ports: &n.host_ports,
        }
    }
}

//! The scheduler's tick: places every pending task, one task group (service) at a time, as
//! swarmkit's `scheduler.tick` does after its debounce.

use std::collections::BTreeMap;

use crate::engine::EventQueue;
use crate::model::task::{NodeId, ServiceId, TaskId, TaskState};
use crate::swarm::placement::{NodeView, TieBreak, schedule_group};

use super::{AgentStep, Event, World};

/// `commitDebounceGap`'s bound: the scheduler ticks at most 1 s after the first change.
const MAX_DEBOUNCE: crate::time::SimDuration = crate::time::SimDuration::from_secs(1);

impl World {
    /// Schedules a tick after the scheduler's debounce, unless one is already due.
    pub(super) fn arm_schedule_tick(&mut self, q: &mut EventQueue<Event>) {
        if self.tick_due.is_none() {
            let d = self.latency(|l| &l.schedule);
            let due = q.now().plus(d);
            self.tick_due = Some(due);
            self.tick_deadline = q.now().plus(MAX_DEBOUNCE);
            q.at(due, Event::ScheduleTick);
        }
    }

    /// A new task became pending: swarmkit's scheduler waits for a quiet gap (`schedule`,
    /// 50 ms) after the last such change, but never more than 1 s after the first, so a steady
    /// trickle of new tasks is placed in batches.
    pub(super) fn debounce_schedule_tick(&mut self, q: &mut EventQueue<Event>) {
        match self.tick_due {
            None => self.arm_schedule_tick(q),
            Some(due) => {
                let d = self.latency(|l| &l.schedule);
                let pushed = q.now().plus(d).min(self.tick_deadline);
                if pushed > due {
                    self.tick_due = Some(pushed);
                }
            }
        }
    }

    pub(super) fn schedule_tick(&mut self, q: &mut EventQueue<Event>) {
        match self.tick_due {
            Some(due) if due > q.now() => {
                // Pushed back since this event was scheduled.
                q.at(due, Event::ScheduleTick);
                return;
            }
            Some(_) => self.tick_due = None,
            None => return,
        }
        let mut groups: BTreeMap<ServiceId, Vec<TaskId>> = BTreeMap::new();
        for &id in &self.pending {
            groups.entry(self.task(id).service).or_default().push(id);
        }
        for (sid, tasks) in groups {
            self.schedule_service_group(sid, tasks, q);
        }
    }

    fn schedule_service_group(&mut self, sid: ServiceId, tasks: Vec<TaskId>, q: &mut EventQueue<Event>) {
        // Global tasks are bound to their node: check that node alone.
        let (bound, free): (Vec<TaskId>, Vec<TaskId>) = tasks.into_iter().partition(|&t| self.task(t).node.is_some());
        for id in bound {
            let node = self.task(id).node.expect("bound");
            let view = self.node_view(node, sid);
            let placement = self.service(sid).spec_at(self.task(id).spec).task.placement.clone();
            match schedule_group(std::slice::from_ref(&view), &placement, 1, TieBreak::Index).remove(0) {
                Ok(_) => self.assign(id, node, q),
                Err(why) => self.leave_pending(id, why, q),
            }
        }
        if free.is_empty() {
            return;
        }
        let placement = self.service(sid).spec().task.placement.clone();
        let mut free = free;
        let mut tie = TieBreak::Index;
        if self.scenario.races == crate::model::scenario::Races::Random {
            // Go map orders: which equally good node comes first (`nodeSet`), and which task of
            // the group is placed first (`taskGroup`).
            tie = TieBreak::Shuffled(self.streams.races.between(0, u64::MAX));
            self.streams.races.shuffle(&mut free);
        }
        let views: Vec<NodeView<'_>> = (0..self.nodes.len()).map(|i| self.node_view(NodeId(i as u32), sid)).collect();
        let choices = schedule_group(&views, &placement, free.len(), tie);
        drop(views);
        for (id, choice) in free.into_iter().zip(choices) {
            match choice {
                Ok(i) => self.assign(id, NodeId(i as u32), q),
                Err(why) => self.leave_pending(id, why, q),
            }
        }
    }

    fn assign(&mut self, id: TaskId, node: NodeId, q: &mut EventQueue<Event>) {
        self.pending.remove(&id);
        let sid = self.task(id).service;
        self.task_mut(id).node = Some(node);
        self.task_mut(id).counted_on_node = true;
        let n = &mut self.nodes[node.0 as usize];
        n.total_tasks += 1;
        *n.service_tasks.entry(sid).or_insert(0) += 1;
        self.set_state(id, TaskState::Assigned, "scheduler assigned task to node", q);
        let d = self.latency(|l| &l.dispatch);
        q.after(d, Event::Agent { task: id, step: AgentStep::Accept });
    }

    /// The task stays PENDING; its message explains why (logged once per new reason).
    fn leave_pending(&mut self, id: TaskId, why: String, q: &mut EventQueue<Event>) {
        if *self.task(id).message != *why {
            self.task_mut(id).message = self.recorder.intern(&why);
            self.log_pending(id, q.now());
        }
    }
}

//! The scheduler's tick: places every pending task, one task group (service) at a time, as
//! swarmkit's `scheduler.tick` does after its debounce.

use std::collections::BTreeMap;

use crate::engine::EventQueue;
use crate::model::task::{NodeId, ServiceId, TaskId, TaskState};
use crate::swarm::placement::{NodeView, schedule_group};

use super::{AgentStep, Event, World};

impl World {
    /// Schedules a tick after the scheduler's debounce, unless one is already due.
    pub(super) fn arm_schedule_tick(&mut self, q: &mut EventQueue<Event>) {
        if !self.schedule_tick_armed {
            self.schedule_tick_armed = true;
            let d = self.latency(|l| &l.schedule);
            q.after(d, Event::ScheduleTick);
        }
    }

    pub(super) fn schedule_tick(&mut self, q: &mut EventQueue<Event>) {
        self.schedule_tick_armed = false;
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
            match schedule_group(std::slice::from_ref(&view), &placement, 1).remove(0) {
                Ok(_) => self.assign(id, node, q),
                Err(why) => self.leave_pending(id, why, q),
            }
        }
        if free.is_empty() {
            return;
        }
        let placement = self.service(sid).spec().task.placement.clone();
        let views: Vec<NodeView<'_>> = (0..self.nodes.len()).map(|i| self.node_view(NodeId(i as u32), sid)).collect();
        let choices = schedule_group(&views, &placement, free.len());
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

//! The orchestrators: swarmkit's replicated orchestrator (`orchestrator/replicated`:
//! `reconcile`, `addTasks`, `deleteTasks`), global orchestrator (`orchestrator/global`:
//! `reconcileOneService`), and the task-change handling both share (`handleTaskChange`,
//! which hands ended tasks to the restart supervisor). They hold no state of their own: each
//! reconcile reads the store and hands the slots to the update supervisor.

use std::collections::BTreeMap;

use crate::model::cluster::Availability;
use crate::model::decision::{DecisionKind, ScaleDownSlot};
use crate::model::record::UpdateState;
use crate::model::spec::{ServiceMode, ServiceSpec};
use crate::model::task::{NodeId, ServiceId, TaskId, TaskState};
use crate::swarm::placement::constraint_matches;
use crate::swarm::restart;
use crate::world::cluster::ClusterView;
use crate::world::{Event, Io};

use crate::gomap::{GoMap, seeded_hash};
use crate::gosort::go_sort;

use super::Manager;
use super::store::NewTask;
use super::update::SlotOrder;

/// A service's slots and the tasks filling each, in ascending slot order (see
/// [`Manager::slots_of`]), in two flat lists.
#[derive(Default)]
pub(super) struct Slots {
    /// Each slot, with the end of its tasks in `tasks` (they begin where the previous slot's
    /// end).
    slots: Vec<(u64, u32)>,
    /// Every slot's tasks, slot after slot.
    tasks: Vec<TaskId>,
}

impl Slots {
    /// Slots.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The `i`th slot and its tasks.
    pub(super) fn get(&self, i: usize) -> (u64, &[TaskId]) {
        let start = if i == 0 { 0 } else { self.slots[i - 1].1 as usize };
        let (slot, end) = self.slots[i];
        (slot, &self.tasks[start..end as usize])
    }

    /// Every slot and its tasks, in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, &[TaskId])> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Where `slot` is, if it is filled.
    fn position(&self, slot: u64) -> Option<usize> {
        self.slots.binary_search_by_key(&slot, |s| s.0).ok()
    }

    /// Adds a slot after the others (a higher number) with its tasks.
    fn push(&mut self, slot: u64, tasks: &[TaskId]) {
        self.tasks.extend_from_slice(tasks);
        self.slots.push((slot, self.tasks.len() as u32));
    }
}

/// The global orchestrator's map of nodes (swarmkit `global.Orchestrator.nodes`,
/// `map[string]*api.Node`), kept for the order a range over it takes: `reconcileServices` ranges
/// over it to list a global service's slots for the updater. It lives as long as the
/// orchestrator, so its layout carries the nodes' history: `updateNode` deletes a node that is
/// drained or DOWN and puts it back (into the first empty cell of its bucket) when it is not;
/// `EventDeleteNode` deletes it. The first leader's orchestrator is taken to have seen the
/// nodes join in the order they are declared (the manager first: `swarm init`, then each
/// `swarm join`, as recorded in m10, where the manager's task was updated first in both runs);
/// a new leader's fills a new map from `store.FindNodes`, in node-id order (random ids). The
/// map follows the store when a global service is reconciled (several node changes since the
/// last reconcile are applied in node order, not in the order they happened).
#[derive(Default)]
pub(super) struct GlobalNodes {
    /// The map and its hash seed; none until a global service is first reconciled.
    map: Option<(GoMap<NodeId>, u64)>,
    /// Which nodes are keys, by index.
    held: Vec<bool>,
    /// The next fill is a new leader's (in node-id order).
    by_id: bool,
    /// Each node's rank among the node ids, drawn when a new leader first needs it and kept:
    /// a node's id is its own for the swarm's life (`docker node ls` shows the same one after
    /// any number of leader changes), so every new leader fills its map in the same order.
    id_ranks: Vec<u64>,
}

impl GlobalNodes {
    /// A new leader's orchestrator: a new map, filled in node-id order when next needed.
    pub(super) fn restart(&mut self) {
        self.map = None;
        self.held.clear();
        self.by_id = true;
        // `id_ranks` stay: the nodes keep their ids.
    }

    /// `updateNode` / `EventDeleteNode` for every node whose state changed since the last call.
    fn sync(&mut self, store: &super::store::Store, ids: &mut crate::rng::SimRng) {
        if self.map.is_none() {
            self.map = Some((GoMap::new(), ids.between(0, u64::MAX)));
        }
        let nodes = store.nodes().len();
        self.held.resize(nodes, false);
        let mut order: Vec<usize> = (0..nodes).collect();
        if std::mem::take(&mut self.by_id) {
            while self.id_ranks.len() < nodes {
                self.id_ranks.push(ids.between(0, u64::MAX));
            }
            order.sort_by_key(|&i| self.id_ranks[i]);
        }
        let (map, seed) = self.map.as_mut().expect("made above");
        for i in order {
            let node = store.node(NodeId(i as u32));
            let key = !node.down && !node.removed && node.availability != Availability::Drain;
            if key == self.held[i] {
                continue;
            }
            self.held[i] = key;
            if key {
                map.insert(node.id, seeded_hash(*seed, i as u64));
            } else {
                map.remove(node.id, seeded_hash(*seed, i as u64));
                if map.len() == 0 {
                    // `mapdelete`: an emptied map draws a new hash seed.
                    *seed = ids.between(0, u64::MAX);
                }
            }
        }
    }

    /// The nodes in the order a range over the map visits them when `mapiterinit` draws `r`.
    pub(super) fn range(&self, r: u64) -> Vec<NodeId> {
        self.map.as_ref().map(|(map, _)| map.range(r)).unwrap_or_default()
    }
}

impl Manager {
    /// `docker stack deploy` at t = 0: creates every service and reconciles it.
    pub(crate) fn deploy_stack(&mut self, io: &mut Io<'_>, rollout_routes: &[(String, bool)]) {
        for spec in io.scenario.services.clone() {
            self.add_service(spec, io);
        }
        self.refresh_routes(io.now(), &io.scenario.traffic, rollout_routes);
    }

    /// Adds a service (`docker stack deploy`, `docker service create`) and reconciles it.
    pub(super) fn add_service(&mut self, spec: ServiceSpec, io: &mut Io<'_>) -> ServiceId {
        let id = self.store.add_service(spec, io.now());
        self.recorder.service_added(&self.store.service(id).name);
        io.q.at(io.now(), Event::Reconcile { service: id, dead_slots: true });
        id
    }

    /// Reconciles every service, as a new leader's orchestrators do when they start (with
    /// `dead_slots`). A node change reconciles only global services: `reconcile_node_change`.
    pub(super) fn reconcile_all(&mut self, dead_slots: bool, io: &mut Io<'_>) {
        for svc in self.store.services() {
            self.recorder.sample_due(svc.id);
            io.q.at(io.now(), Event::Reconcile { service: svc.id, dead_slots });
        }
    }

    /// A node changed (registered, DOWN, drained, relabelled, removed): the global orchestrator
    /// reconciles its services on that node (`global.go` `reconcileOneNode`), while the
    /// replicated orchestrator only restarts the tasks of a node that became invalid
    /// (`replicated/tasks.go` `handleNodeChange`, done by the caller): no replicated reconcile.
    pub(super) fn reconcile_node_change(&mut self, io: &mut Io<'_>) {
        for svc in self.store.services() {
            self.recorder.sample_due(svc.id);
            if svc.is_global() {
                io.q.at(io.now(), Event::Reconcile { service: svc.id, dead_slots: false });
            }
        }
    }

    /// The tasks that fill each slot (`UpdatableTasksInSlot`): tasks whose desired state is at
    /// most RUNNING; a slot whose last task ended and will not be restarted stays filled by
    /// that dead task, except during a rollback, which must converge. In ascending slot order
    /// (flat lists, not a map nor a list per slot: a reconcile hands these very slots to the
    /// update supervisor).
    pub(super) fn slots_of(&self, sid: ServiceId) -> Slots {
        let svc = self.store.service(sid);
        let mut slots = Slots::default();
        for slot in svc.by_slot.slots() {
            if self.slot_members_into(sid, slot, &mut slots.tasks) {
                slots.slots.push((slot, slots.tasks.len() as u32));
            }
        }
        slots
    }

    /// The tasks filling one slot (empty when the slot is empty).
    pub(super) fn slot_members(&self, sid: ServiceId, slot: u64) -> Vec<TaskId> {
        let mut tasks = Vec::new();
        self.slot_members_into(sid, slot, &mut tasks);
        tasks
    }

    /// Appends the tasks filling one slot to `out`; false (nothing appended) when the slot is
    /// empty.
    pub(super) fn slot_members_into(&self, sid: ServiceId, slot: u64, out: &mut Vec<TaskId>) -> bool {
        let svc = self.store.service(sid);
        let Some(history) = svc.by_slot.get(slot) else { return false };
        let before = out.len();
        out.extend(history.iter().copied().filter(|&id| self.store.task(id).desired <= TaskState::Running));
        if out.len() > before {
            return true;
        }
        let rollback = svc.status.as_ref().is_some_and(|s| s.state == UpdateState::RollbackStarted);
        let Some(&last) = history.last() else { return false };
        let t = self.store.task(last);
        let dead_fills = !rollback && t.restart_declined && t.desired != TaskState::Remove;
        if dead_fills {
            out.push(last);
        }
        dead_fills
    }

    /// Reconciles a service with its spec: add or remove tasks, then hand the slots to the
    /// update supervisor.
    pub(crate) fn reconcile(&mut self, sid: ServiceId, dead_slots: bool, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        let svc = self.store.service(sid);
        if svc.is_removed() {
            return;
        }
        match svc.spec().mode {
            ServiceMode::Replicated { replicas } => self.reconcile_replicated(sid, replicas, dead_slots, cluster, io),
            ServiceMode::Global => self.reconcile_global(sid, cluster, io),
        }
    }

    fn reconcile_replicated(
        &mut self,
        sid: ServiceId,
        replicas: u64,
        dead_slots: bool,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) {
        let mut slots = self.slots_of(sid);
        // The keys of `updatableAndDeadSlots`'s map, read before this reconcile adds or
        // deletes a task (only their order is drawn from, with random races).
        let mut slot_order =
            if io.random_races() { SlotOrder::GoMap(self.slot_map_keys(sid)) } else { SlotOrder::Ascending };
        let filled = |slots: &Slots, slot: u64| slots.position(slot).is_some();
        // `updatableAndDeadSlots`: a slot none of whose tasks is updatable is dead, and
        // `reconcile` deletes its tasks (`deleteTasksMap`) unless `addTasks` reuses its number:
        // e.g. a scaled-away slot's failed history, which the task reaper alone never deletes.
        let mut dead: Vec<u64> = if dead_slots {
            self.store.service(sid).by_slot.slots().filter(|&s| !filled(&slots, s)).collect()
        } else {
            Vec::new()
        };
        if (slots.len() as u64) < replicas {
            // addTasks: the missing slots get the newest spec directly, outside the updater.
            let current = self.store.service(sid).current;
            let mut next = 1u64;
            for _ in slots.len() as u64..replicas {
                while filled(&slots, next) {
                    next += 1;
                }
                dead.retain(|&s| s != next);
                self.create_task(
                    NewTask { service: sid, slot: next, node: None, spec: current, desired: TaskState::Running },
                    cluster,
                    io,
                );
                next += 1;
            }
        } else if slots.len() as u64 > replicas {
            // Scale down, leaving the nodes balanced (`reconcile`, `slotsByRunningState`,
            // `slotsByIndex` in manager/orchestrator/replicated/{services,slot}.go): slots with a
            // running task first, then lower slot numbers (a total order: whatever order the
            // map gave, the result is the same); each single-task slot with a node is counted as
            // the nth copy of the service on its node, and the slots are sorted by that count
            // (others, index -1, last). The first `replicas` stay; the rest are removed, so the
            // nodes holding the most copies lose theirs first. Both sorts are Go's `sort.Sort`
            // (src/gosort.rs): up to 12 slots a stable insertion sort, beyond that pdqsort, which
            // leaves slots of the same count in an order of its own; it decides which node keeps
            // an extra copy when the kept count does not divide evenly.
            let running: Vec<bool> = (0..slots.len())
                .map(|i| slots.get(i).1.iter().any(|&t| self.store.task(t).state == TaskState::Running))
                .collect();
            let mut order: Vec<usize> = (0..slots.len()).collect();
            go_sort(&mut order, |&i, &j| match (running[i], running[j]) {
                (true, false) => true,
                (false, true) => false,
                _ => slots.get(i).0 < slots.get(j).0,
            });
            let mut copies_on_node: BTreeMap<NodeId, u64> = BTreeMap::new();
            // Index -1 (`slotsByIndex.Less` puts it after every index ≥ 0) is u64::MAX here.
            let mut nth_on_node = vec![u64::MAX; slots.len()];
            for &i in &order {
                let tasks = slots.get(i).1;
                if let Some(n) = (tasks.len() == 1).then(|| self.store.task(tasks[0]).node).flatten() {
                    let count = copies_on_node.entry(n).or_insert(0);
                    *count += 1;
                    nth_on_node[i] = *count;
                }
            }
            go_sort(&mut order, |&i, &j| nth_on_node[i] < nth_on_node[j]);
            self.decide(sid, io.now(), |recorder, store| DecisionKind::ScaledDown {
                kept: replicas as u32,
                order: (order.iter())
                    .map(|&i| {
                        let (slot, tasks) = slots.get(i);
                        let node = (nth_on_node[i] != u64::MAX).then(|| store.task(tasks[0]).node).flatten();
                        ScaleDownSlot {
                            slot,
                            node: node.map(|n| recorder.node_row_name(n, store)),
                            nth: nth_on_node[i],
                            running: running[i],
                        }
                    })
                    .collect(),
            });
            let mut removed = vec![false; slots.len()];
            // The updater gets the kept slots in this order, not the map's
            // (`sortedSlots[:specifiedSlots]`).
            let kept_order = order[..replicas as usize].iter().map(|&i| slots.get(i).0).collect();
            for &i in &order[replicas as usize..] {
                removed[i] = true;
                // `setTasksDesiredState(..., REMOVE)`: every task of the slot not already past
                // REMOVE, a dead slot's declined task (desired SHUTDOWN) included; the task
                // reaper then deletes it, and the slot is free for a later scale-up.
                for &t in slots.get(i).1 {
                    if self.store.task(t).desired < TaskState::Remove {
                        self.set_desired(t, TaskState::Remove, cluster, io);
                    }
                }
            }
            let mut kept = Slots::default();
            for i in (0..slots.len()).filter(|&i| !removed[i]) {
                let (slot, tasks) = slots.get(i);
                kept.push(slot, tasks);
            }
            slots = kept;
            slot_order = SlotOrder::Given(kept_order);
        }
        for slot in dead {
            let tasks = self.store.service(sid).by_slot.get(slot).map(<[TaskId]>::to_vec).unwrap_or_default();
            for id in tasks {
                self.delete_task(id, io);
            }
        }
        self.supervise_update(sid, &slots, slot_order, cluster, io);
    }

    /// The keys `updatableAndDeadSlots` inserts into its map, with what orders them: it appends
    /// every task of the service (`store.FindTasks(ByServiceID)`: memdb's index sorts them by
    /// task id) to its slot's entry, so a slot is inserted at its first task in id order. Each
    /// slot comes with that task's id rank, unsorted: the updater sorts them only when it has
    /// more than one slot to take (most reconciles update nothing: a restart's, a new leader's).
    fn slot_map_keys(&self, sid: ServiceId) -> Vec<(u64, u64)> {
        let by_slot = &self.store.service(sid).by_slot;
        (by_slot.slots())
            .map(|slot| {
                let tasks = by_slot.get(slot).unwrap_or_default();
                let first = tasks.iter().map(|&t| self.store.task(t).id_rank).min().unwrap_or(u64::MAX);
                (first, slot)
            })
            .collect()
    }

    /// Can `node` run a task of global service `sid`? Not when it is DOWN or drained (the
    /// global orchestrator drops such nodes from its set: `updateNode`), nor when the service's
    /// constraints exclude it.
    pub(super) fn global_node_eligible(&self, sid: ServiceId, node: NodeId) -> bool {
        let n = self.store.node(node);
        if n.down || n.removed || n.availability == Availability::Drain {
            return false;
        }
        let view = self.node_view(node, sid);
        self.store.service(sid).spec().task.placement.constraints.iter().all(|c| constraint_matches(c, &view))
    }

    /// `reconcileServices` for one global service: a task on every eligible node; the tasks of
    /// a node that is no longer eligible (DOWN, drained, excluded by a constraint) are shut
    /// down, so a node that comes back gets a new task; a paused node gets neither a new task
    /// nor an update, and keeps the one it has.
    fn reconcile_global(&mut self, sid: ServiceId, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        let slots = self.slots_of(sid);
        self.global_nodes.sync(&self.store, &mut io.rng.ids);
        let current = self.store.service(sid).current;
        let mut keep = Slots::default();
        for i in 0..self.store.nodes().len() {
            let node = NodeId(i as u32);
            let slot = i as u64 + 1;
            let tasks = slots.position(slot).map(|k| slots.get(k).1);
            if !self.global_node_eligible(sid, node) {
                for &t in tasks.into_iter().flatten() {
                    self.set_desired(t, TaskState::Shutdown, cluster, io);
                }
                continue;
            }
            if self.store.node(node).availability == Availability::Pause {
                continue;
            }
            match tasks {
                None => {
                    let new =
                        NewTask { service: sid, slot, node: Some(node), spec: current, desired: TaskState::Running };
                    self.create_task(new, cluster, io);
                }
                Some(tasks) => keep.push(slot, tasks),
            }
        }
        let order = if io.random_races() { SlotOrder::GlobalNodes } else { SlotOrder::Ascending };
        self.supervise_update(sid, &keep, order, cluster, io);
    }

    /// Desired replicas as the timeline shows them (global: nodes that accept the service).
    pub(crate) fn desired_count(&self, sid: ServiceId) -> u64 {
        let svc = self.store.service(sid);
        if svc.is_removed() {
            return 0;
        }
        match svc.spec().mode {
            ServiceMode::Replicated { replicas } => replicas,
            ServiceMode::Global => {
                self.store.nodes().iter().filter(|n| self.global_node_eligible(sid, n.id)).count() as u64
            }
        }
    }

    /// `handleTaskChange`: the manager learns a task's state (≥ RUNNING).
    pub(crate) fn observe(&mut self, id: TaskId, state: TaskState, cluster: ClusterView<'_>, io: &mut Io<'_>) {
        // When the updater saw this first and started a rollback, the restored spec is already
        // committed, so the replacement below uses it (the s05 trace's first run); the
        // rollback's reconcile is queued behind events already due now.
        if state <= TaskState::Running {
            return;
        }
        let Some(task) = self.store.get(id).filter(|t| !t.deleted) else {
            return; // `tickTasks`: `GetTask` finds nothing to restart
        };
        // A task that ended while it should run (failed, rejected, or exited — an unhealthy
        // container killed with status 0 completes) counts against a rollout's new version.
        if task.desired <= TaskState::Running {
            let sid = task.service;
            self.store.count_failure(sid);
            if self.recorder.update(sid).started_at.is_some() {
                self.recorder.update_mut(sid).task_failures += 1;
            }
        }
        let task = self.store.task(id);
        if matches!(state, TaskState::Failed | TaskState::Rejected)
            && let Some(node) = task.node
        {
            self.store.note_failure(node, task.service, task.spec, io.now());
        }
        self.release_gates_waiting_on(id, cluster, io);
        let node_invalid = false;
        if !restart::needs_restart(self.store.task(id).desired, state, node_invalid) {
            return;
        }
        let task = self.store.task(id);
        if !self.store.service(task.service).is_global() {
            self.restart(id, cluster, io);
            return;
        }
        // The global orchestrator's `tickTasks`: nothing for a task whose node is DOWN or
        // drained (reconciling shuts it down); a paused node, or one the constraints now
        // exclude, gets no replacement.
        let (sid, node) = (task.service, task.node.expect("global tasks are bound to a node"));
        let n = self.store.node(node);
        if n.down || n.availability == Availability::Drain {
            return;
        }
        if n.availability == Availability::Pause || !self.global_node_eligible(sid, node) {
            self.set_desired(id, TaskState::Shutdown, cluster, io);
        } else {
            self.restart(id, cluster, io);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every new leader fills its node map from `store.FindNodes` in node-id order, and a node's
    /// id is its own for the swarm's life: with at most 8 nodes (one bucket) each leader's
    /// range is the same id order rotated, however many leaders came before (review36: the
    /// ranks were drawn again for each leader, a new order each time).
    #[test]
    fn every_new_leader_fills_its_node_map_in_the_same_id_order() {
        let yaml = "services: {web: {image: \"a:1\", deploy: {mode: global}}}\nx-simulation: {cluster: {nodes: 6}}\n";
        let scenario = crate::scenario::load_str(yaml, std::path::Path::new("t.yml")).expect("valid");
        let store = super::super::store::Store::new(&scenario.nodes, 0);
        let mut ids = crate::rng::SimRng::stream(7, "ids");
        let mut nodes = GlobalNodes::default();
        let mut orders = Vec::new();
        for _leader in 0..4 {
            nodes.restart();
            nodes.sync(&store, &mut ids);
            // A range from the first cell is the insertion order itself.
            orders.push(nodes.range(0));
        }
        assert_eq!(orders[0].len(), 6, "every node is a key: {orders:?}");
        assert!(orders.iter().all(|o| *o == orders[0]), "one id order for every leader: {orders:?}");
        let declared: Vec<NodeId> = (0..6).map(NodeId).collect();
        assert_ne!(orders[0], declared, "seed 7: the id order is drawn, not the declared one");
    }
}

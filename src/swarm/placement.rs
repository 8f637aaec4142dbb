//! Task placement, mirroring swarmkit's `manager/scheduler` (`pipeline.go` filters in their
//! order — `ReadyFilter`, `ResourceFilter`, `ConstraintFilter`, `HostPortFilter`,
//! `MaxReplicasFilter` of `filter.go` —, `scheduleTaskGroup`'s `nodeLess`,
//! `constraint/constraint.go`), and placement preferences as swarmkit's decision tree
//! (`nodeset.go` `tree`, `scheduler.go` `scheduleNTasksOnSubtree`). Real Swarm breaks ties between
//! equally good nodes by Go map order (`nodeSet.tree` ranges over a map): the caller passes each
//! node's rank among equals, drawn from the seed or, for a readable order, the node index.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::model::cluster::{Availability, NodeRole};
use crate::model::spec::{Constraint, ConstraintOp, Placement, Resources};

/// `maxFailures`: a node with this many recent failures of the service is ranked last.
pub const MAX_RECENT_FAILURES: u32 = 5;

/// What the scheduler knows about one node.
#[derive(Clone, Debug)]
pub struct NodeView<'a> {
    /// Hostname.
    pub name: &'a str,
    /// Node id as `node.id` constraints see it.
    pub id: &'a str,
    /// manager or worker.
    pub role: NodeRole,
    /// `node.labels`.
    pub labels: &'a std::collections::BTreeMap<String, String>,
    /// Status READY (heartbeating).
    pub ready: bool,
    /// Availability.
    pub availability: Availability,
    /// Active tasks (desired ≤ RUNNING… ≤ COMPLETE) of the service being placed.
    pub service_tasks: u64,
    /// Active tasks of all services.
    pub total_tasks: u64,
    /// Failures of this service+spec on the node in the last 5 minutes.
    pub recent_failures: u32,
    /// `AvailableResources`: the node's capacity less the reservations of the tasks it holds
    /// (negative when over-committed, as swarmkit's int64s can be).
    pub available: Available,
    /// Host-mode published ports its tasks hold (`usedHostPorts`), with how many tasks hold each.
    pub host_ports: &'a std::collections::BTreeMap<u64, u32>,
}

/// No host port held (a node as declared, before any task).
static NO_HOST_PORTS: std::collections::BTreeMap<u64, u32> = std::collections::BTreeMap::new();

impl<'a> NodeView<'a> {
    /// The node as the scenario declares it, ready and empty (what `check` reasons about).
    pub fn declared(n: &'a crate::model::cluster::NodeSpec) -> NodeView<'a> {
        NodeView {
            name: &n.name,
            id: &n.name,
            role: n.role,
            labels: &n.labels,
            ready: true,
            availability: n.availability,
            service_tasks: 0,
            total_tasks: 0,
            recent_failures: 0,
            available: Available::of(n.capacity, Resources::default()),
            host_ports: &NO_HOST_PORTS,
        }
    }
}

/// A node's unreserved CPU and memory (`NodeInfo.AvailableResources`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Available {
    /// Nano-CPUs.
    pub nano_cpus: i64,
    /// Bytes.
    pub memory_bytes: i64,
}

impl Available {
    /// `capacity` less `reserved`.
    pub fn of(capacity: Resources, reserved: Resources) -> Available {
        Available {
            nano_cpus: capacity.nano_cpus as i64 - reserved.nano_cpus as i64,
            memory_bytes: capacity.memory_bytes as i64 - reserved.memory_bytes as i64,
        }
    }

    /// `ResourceFilter.Check`: the reservation fits in what is left.
    fn fits(self, r: Resources) -> bool {
        r.nano_cpus as i64 <= self.nano_cpus && r.memory_bytes as i64 <= self.memory_bytes
    }

    fn take(&mut self, r: Resources) {
        self.nano_cpus -= r.nano_cpus as i64;
        self.memory_bytes -= r.memory_bytes as i64;
    }
}

/// What each task of the group takes from the node it is placed on: its reservations and its
/// host-mode published ports.
#[derive(Clone, Copy, Debug, Default)]
pub struct Demand<'a> {
    /// `Spec.Resources.Reservations`.
    pub reservations: Resources,
    /// Ports published in host mode.
    pub host_ports: &'a [u64],
}

impl Demand<'_> {
    /// Nothing to set aside: the resource and host-port filters are off (`SetTask` false).
    pub fn is_none(&self) -> bool {
        self.reservations.is_zero() && self.host_ports.is_empty()
    }

    fn port_taken(&self, node: &NodeView<'_>) -> bool {
        self.host_ports.iter().any(|p| node.host_ports.contains_key(p))
    }
}

/// Does `node` satisfy `c`? Values compare case-insensitively; a missing label is "".
pub fn constraint_matches(c: &Constraint, node: &NodeView<'_>) -> bool {
    let actual: String = match c.key.as_str() {
        "node.role" => node.role.as_str().to_string(),
        "node.hostname" => node.name.to_string(),
        "node.id" => node.id.to_string(),
        "node.platform.os" => "linux".to_string(),
        "node.platform.arch" => "x86_64".to_string(),
        key => match key.strip_prefix("node.labels.").or_else(|| key.strip_prefix("engine.labels.")) {
            Some(label) => node.labels.get(label).cloned().unwrap_or_default(),
            None => String::new(),
        },
    };
    let equal = actual.eq_ignore_ascii_case(&c.value);
    match c.op {
        ConstraintOp::Eq => equal,
        ConstraintOp::Ne => !equal,
    }
}

/// Why a node was filtered out (`pipeline.go` explanations).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Filter {
    NotAvailable,
    Resources,
    Constraints,
    HostPort,
    MaxReplicas,
}

impl Filter {
    fn explain(self, count: usize) -> String {
        let nodes = if count == 1 { "node".to_string() } else { "nodes".to_string() };
        match self {
            Filter::NotAvailable => format!("{count} {nodes} not available for new tasks"),
            Filter::Resources => format!("insufficient resources on {count} {nodes}"),
            Filter::HostPort => format!("host-mode port already in use on {count} {nodes}"),
            Filter::Constraints => format!("scheduling constraints not satisfied on {count} {nodes}"),
            Filter::MaxReplicas => format!("max replicas per node limit exceed on {count} {nodes}"),
        }
    }
}

fn first_failing_filter(node: &NodeView<'_>, placement: &Placement, demand: &Demand<'_>) -> Option<Filter> {
    if !node.ready || node.availability != Availability::Active {
        return Some(Filter::NotAvailable);
    }
    if !node.available.fits(demand.reservations) {
        return Some(Filter::Resources);
    }
    if !placement.constraints.iter().all(|c| constraint_matches(c, node)) {
        return Some(Filter::Constraints);
    }
    if demand.port_taken(node) {
        return Some(Filter::HostPort);
    }
    if placement.max_replicas_per_node > 0 && node.service_tasks >= placement.max_replicas_per_node {
        return Some(Filter::MaxReplicas);
    }
    None
}

/// How nodes that `nodeLess` finds equal are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TieBreak {
    /// By node index (a readable, fixed order).
    Index,
    /// By a hash of the node index with this key: a different random order for each key, as Go
    /// map order is.
    Shuffled(u64),
}

impl TieBreak {
    fn rank(self, i: usize) -> u64 {
        match self {
            TieBreak::Index => i as u64,
            TieBreak::Shuffled(key) => splitmix64(key ^ i as u64),
        }
    }
}

/// SplitMix64's finaliser: a bijection of u64, so distinct nodes never tie.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A candidate's place in `nodeLess` order: (recent failures when ≥ 5, tasks of the service,
/// tasks in total, rank among equals, node index). Lower is better; no two are equal.
type NodeKey = (u32, u64, u64, u64, usize);

/// Places `count` tasks of one service (one task group) on `nodes`, ties between equally good
/// nodes broken by `tie`. Returns, for each task in order, the chosen node index, or
/// `Err(explanation)` once no node fits: `no suitable node (...)`, with the explanations ordered
/// by how many nodes each filter removed. Each task placed takes `demand` from its node, which
/// leaves the candidates once the next task no longer fits there (`scheduleNTasksOnNodes`
/// re-runs the pipeline on the node after each assignment).
pub fn schedule_group(
    nodes: &[NodeView<'_>],
    placement: &Placement,
    demand: &Demand<'_>,
    count: usize,
    tie: TieBreak,
) -> Vec<Result<usize, String>> {
    if !placement.preferences.is_empty() {
        return spread::schedule(nodes, placement, demand, count, tie);
    }
    let mut failures: Vec<(Filter, usize)> = Vec::new();
    // Without a demand, only the `count` best can be chosen (the greedy below only ever raises
    // a chosen node's key, and every key is distinct). A node that fills up drops out, so with
    // a demand every candidate is kept.
    let bound = if demand.is_none() { count } else { nodes.len() };
    let best = best_candidates(nodes.iter().enumerate(), placement, demand, bound, tie, &mut failures);
    place_greedily(best, |i| nodes[i].available, placement, demand, count, &mut failures)
}

/// The same placement as [`schedule_group`] for a task group with no demand (no reservation,
/// no host port) and no placement preference, found without looking at every node: `by_load`
/// yields `(tasks of the service, tasks in total, node index)` in ascending order of the load
/// (the first two), the nodes of one load in any order, as the scheduler's load index keeps
/// them, and `view` describes a node.
///
/// The `count` best nodes are those with the lowest keys (load, then rank among equals) among
/// the nodes that pass the filters and have no run of recent failures, so levels of equal load
/// are taken in order and, within a level, nodes in rank order until `count` are found: every
/// node of a level is ranked (a hash of its index: cheap), but only the nodes taken, and those
/// found failing a filter on the way, are looked at. A few tasks on a level of 50,000 equally
/// loaded nodes cost 50,000 hashes, not 50,000 node views.
///
/// Returns `None` when fewer than `count` nodes pass with no recent failures: the caller then
/// runs [`schedule_group`] over every node, which places on failing nodes too (ranked last) or
/// explains, counting every node's failing filter, why some task fits nowhere.
pub fn schedule_group_by_load<'a>(
    by_load: impl Iterator<Item = (u64, u64, usize)>,
    view: impl Fn(usize) -> NodeView<'a>,
    placement: &Placement,
    count: usize,
    tie: TieBreak,
) -> Option<Vec<usize>> {
    debug_assert!(placement.preferences.is_empty(), "preferences place by their own tree");
    let demand = Demand::default();
    let mut best: BinaryHeap<NodeKey> = BinaryHeap::with_capacity(count);
    let mut by_load = by_load.peekable();
    let mut level: Vec<(u64, usize)> = Vec::new();
    while best.len() < count {
        let Some(&(svc, total, _)) = by_load.peek() else {
            break;
        };
        level.clear();
        while let Some((_, _, i)) = by_load.next_if(|&(s, t, _)| (s, t) == (svc, total)) {
            level.push((tie.rank(i), i));
        }
        // The level's nodes are looked at in rank order until `count` pass: the least ranked
        // that could still be taken are picked out (a selection, linear in the level, where a
        // heap of the whole level cost 2 % of the 1M run) and sorted; should some of them fail
        // a filter, the next ones after them. (Ranks are distinct: the order is total.)
        let mut rest = &mut level[..];
        while best.len() < count && !rest.is_empty() {
            let wanted = (count - best.len()).min(rest.len());
            if wanted < rest.len() {
                rest.select_nth_unstable(wanted - 1);
            }
            let (taken, after) = rest.split_at_mut(wanted);
            taken.sort_unstable();
            for &(rank, i) in &*taken {
                let node = view(i);
                debug_assert_eq!((node.service_tasks, node.total_tasks), (svc, total), "load index out of date");
                if first_failing_filter(&node, placement, &demand).is_none() && failure_rank(node.recent_failures) == 0
                {
                    best.push((0, svc, total, rank, i));
                }
            }
            rest = after;
        }
    }
    if best.len() < count {
        return None;
    }
    let mut failures: Vec<(Filter, usize)> = Vec::new();
    place_greedily(best, |_| Available::default(), placement, &demand, count, &mut failures)
        .into_iter()
        .collect::<Result<Vec<usize>, String>>()
        .ok()
}

/// The `bound` best nodes that pass the filters, by `nodeLess` key (recent failures only when
/// ≥ 5, tasks of this service, tasks in total, then the rank among equals), in a bounded
/// max-heap: a few tasks on thousands of nodes cost O(nodes · log count). Counts the failing
/// filter of every other node into `failures`.
fn best_candidates<'n, 'a: 'n>(
    nodes: impl Iterator<Item = (usize, &'n NodeView<'a>)>,
    placement: &Placement,
    demand: &Demand<'_>,
    bound: usize,
    tie: TieBreak,
    failures: &mut Vec<(Filter, usize)>,
) -> BinaryHeap<NodeKey> {
    let mut best: BinaryHeap<NodeKey> = BinaryHeap::new();
    for (i, node) in nodes {
        match first_failing_filter(node, placement, demand) {
            None => {
                let key = (failure_rank(node.recent_failures), node.service_tasks, node.total_tasks, tie.rank(i), i);
                if best.len() < bound {
                    best.push(key);
                } else if best.peek().is_some_and(|worst| key < *worst) {
                    best.pop();
                    best.push(key);
                }
            }
            Some(f) => count_failure(failures, f),
        }
    }
    best
}

/// `scheduleNTasksOnNodes`: each task in turn goes to the best candidate, whose key then rises
/// by one task of the service and one in total; a node whose room (`available`, as the views
/// say) no longer fits the demand, or whose host port is now taken, or that reached
/// `max_replicas_per_node`, drops out.
fn place_greedily(
    best: BinaryHeap<NodeKey>,
    available: impl Fn(usize) -> Available,
    placement: &Placement,
    demand: &Demand<'_>,
    count: usize,
    failures: &mut Vec<(Filter, usize)>,
) -> Vec<Result<usize, String>> {
    let mut heap: BinaryHeap<Reverse<NodeKey>> = best.into_iter().map(Reverse).collect();
    // What is left on the nodes tasks were placed on (only with a demand).
    let mut left: std::collections::BTreeMap<usize, Available> = std::collections::BTreeMap::new();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let Some(Reverse((failure_order, svc, total, tie, i))) = heap.pop() else {
            out.push(Err(no_suitable_node(failures)));
            continue;
        };
        out.push(Ok(i));
        let full = if demand.is_none() {
            None
        } else {
            let room = left.entry(i).or_insert_with(|| available(i));
            room.take(demand.reservations);
            if !room.fits(demand.reservations) {
                Some(Filter::Resources)
            } else if !demand.host_ports.is_empty() {
                // The task just placed holds the port now.
                Some(Filter::HostPort)
            } else {
                None
            }
        };
        let full = full.or((placement.max_replicas_per_node > 0 && svc + 1 >= placement.max_replicas_per_node)
            .then_some(Filter::MaxReplicas));
        match full {
            Some(filter) => count_failure(failures, filter),
            None => heap.push(Reverse((failure_order, svc + 1, total + 1, tie, i))),
        }
    }
    out
}

fn count_failure(failures: &mut Vec<(Filter, usize)>, f: Filter) {
    match failures.iter_mut().find(|(g, _)| *g == f) {
        Some((_, n)) => *n += 1,
        None => failures.push((f, 1)),
    }
}

/// The label a spread descriptor names: `node.labels.zone` (or `engine.labels.zone`, which the
/// simulator keeps with the node's labels, as constraints do) → `zone`; `None` for any other
/// descriptor, which swarmkit's tree skips.
pub fn spread_label(descriptor: &str) -> Option<&str> {
    ["node.labels.", "engine.labels."].iter().find_map(|prefix| {
        let head = descriptor.get(..prefix.len())?;
        (descriptor.len() > prefix.len() && head.eq_ignore_ascii_case(prefix)).then(|| &descriptor[prefix.len()..])
    })
}

/// Placement preferences: swarmkit's decision tree. Every node (eligible or not) sits at the
/// leaf its label values lead to, each branch counting the service's active tasks under it;
/// tasks are split so that the branches even out (`scheduleNTasksOnSubtree`), and within a leaf
/// placed as without preferences. A branch that cannot take its share is given up and the
/// rest shared among the others.
mod spread {
    use super::*;

    /// One level of the tree (`decisionTree`): the service's active tasks under it, then its
    /// branches by label value, or at the last level its nodes.
    #[derive(Default)]
    struct Branch {
        tasks: u64,
        next: Vec<(String, Branch)>,
        nodes: Vec<usize>,
    }

    /// What placing tasks has changed on a node so far.
    struct Slot {
        service_tasks: u64,
        total_tasks: u64,
        available: Available,
        port_taken: bool,
    }

    struct Placer<'v, 'a> {
        nodes: &'v [NodeView<'a>],
        placement: &'v Placement,
        demand: &'v Demand<'v>,
        tie: TieBreak,
        slots: Vec<Slot>,
        /// Filter failures while building the tree, and as nodes fill.
        failures: Vec<(Filter, usize)>,
        /// Tasks not yet placed.
        left: usize,
        out: Vec<Result<usize, String>>,
    }

    pub(super) fn schedule(
        nodes: &[NodeView<'_>],
        placement: &Placement,
        demand: &Demand<'_>,
        count: usize,
        tie: TieBreak,
    ) -> Vec<Result<usize, String>> {
        let slots = nodes
            .iter()
            .map(|n| Slot {
                service_tasks: n.service_tasks,
                total_tasks: n.total_tasks,
                available: n.available,
                port_taken: demand.port_taken(n),
            })
            .collect();
        let mut p = Placer { nodes, placement, demand, tie, slots, failures: Vec::new(), left: count, out: Vec::new() };
        let tree = p.tree();
        p.subtree(&tree, count as u64);
        let mut out = p.out;
        while out.len() < count {
            out.push(Err(no_suitable_node(&p.failures)));
        }
        out
    }

    impl Placer<'_, '_> {
        /// `nodeSet.tree`: every node at the leaf of its label values ("" for a node without
        /// the label), branches ordered by value (fixed races) or shuffled as Go's map order.
        fn tree(&mut self) -> Branch {
            let mut root = Branch::default();
            let labels: Vec<&str> = self.placement.preferences.iter().filter_map(|d| spread_label(d)).collect();
            for (i, node) in self.nodes.iter().enumerate() {
                let mut at = &mut root;
                for label in &labels {
                    at.tasks += node.service_tasks;
                    let value = node.labels.get(*label).map(String::as_str).unwrap_or("");
                    let k = match at.next.iter().position(|(v, _)| v == value) {
                        Some(k) => k,
                        None => {
                            at.next.push((value.to_string(), Branch::default()));
                            at.next.len() - 1
                        }
                    };
                    at = &mut at.next[k].1;
                }
                at.tasks += node.service_tasks;
                match first_failing_filter(node, self.placement, self.demand) {
                    None => at.nodes.push(i),
                    Some(f) => self.fail(f),
                }
            }
            self.order(&mut root);
            root
        }

        fn order(&self, b: &mut Branch) {
            match self.tie {
                TieBreak::Index => b.next.sort_by(|x, y| x.0.cmp(&y.0)),
                TieBreak::Shuffled(key) => b.next.sort_by_key(|(v, _)| splitmix64(key ^ text_hash(v))),
            }
            for (_, next) in &mut b.next {
                self.order(next);
            }
        }

        fn fail(&mut self, f: Filter) {
            match self.failures.iter_mut().find(|(g, _)| *g == f) {
                Some((_, n)) => *n += 1,
                None => self.failures.push((f, 1)),
            }
        }

        /// `scheduleNTasksOnSubtree`: how many of `n` tasks this branch took.
        fn subtree(&mut self, tree: &Branch, n: u64) -> u64 {
            if tree.next.is_empty() {
                return self.leaf(&tree.nodes, n);
            }
            let mut scheduled = 0u64;
            let mut usable = tree.tasks;
            let mut no_room = vec![false; tree.next.len()];
            let mut full = 0usize;
            let mut converging = true;
            while scheduled < n && full != tree.next.len() && converging {
                let open = (tree.next.len() - full) as u64;
                let total = usable + n - scheduled;
                let (desired, mut remainder) = (total / open, total % open);
                converging = false;
                for (k, (_, sub)) in tree.next.iter().enumerate() {
                    if no_room[k] {
                        continue;
                    }
                    if sub.tasks < desired || (sub.tasks == desired && remainder > 0) {
                        converging = true;
                        let mut assign = desired - sub.tasks;
                        if remainder > 0 {
                            assign += 1;
                        }
                        let got = self.subtree(sub, assign);
                        if got < assign {
                            no_room[k] = true;
                            full += 1;
                            usable = usable.saturating_sub(sub.tasks);
                        } else {
                            remainder = remainder.saturating_sub(1);
                        }
                        scheduled += got;
                    }
                }
            }
            scheduled
        }

        /// `scheduleNTasksOnNodes` on a leaf's nodes: the best node by `nodeLess` each time,
        /// dropping nodes as they fill.
        fn leaf(&mut self, nodes: &[usize], n: u64) -> u64 {
            let mut heap: BinaryHeap<Reverse<NodeKey>> = BinaryHeap::new();
            for &i in nodes {
                if self.refuses(i).is_none() {
                    heap.push(Reverse(self.key(i)));
                }
            }
            let mut placed = 0;
            while placed < n && self.left > 0 {
                let Some(Reverse(key)) = heap.pop() else { break };
                let i = key.4;
                self.out.push(Ok(i));
                self.left -= 1;
                placed += 1;
                let slot = &mut self.slots[i];
                slot.service_tasks += 1;
                slot.total_tasks += 1;
                slot.available.take(self.demand.reservations);
                slot.port_taken |= !self.demand.host_ports.is_empty();
                match self.refuses(i) {
                    None => heap.push(Reverse(self.key(i))),
                    Some(f) => self.fail(f),
                }
            }
            placed
        }

        fn key(&self, i: usize) -> NodeKey {
            let s = &self.slots[i];
            (failure_rank(self.nodes[i].recent_failures), s.service_tasks, s.total_tasks, self.tie.rank(i), i)
        }

        /// The filter the node fails now, with what has been placed on it.
        fn refuses(&self, i: usize) -> Option<Filter> {
            let s = &self.slots[i];
            if !s.available.fits(self.demand.reservations) {
                return Some(Filter::Resources);
            }
            if s.port_taken {
                return Some(Filter::HostPort);
            }
            let max = self.placement.max_replicas_per_node;
            (max > 0 && s.service_tasks >= max).then_some(Filter::MaxReplicas)
        }
    }

    /// FNV-1a of a label value: where Go's map puts it, for a shuffled branch order.
    fn text_hash(text: &str) -> u64 {
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
    }
}

fn failure_rank(recent_failures: u32) -> u32 {
    if recent_failures >= MAX_RECENT_FAILURES { recent_failures } else { 0 }
}

fn no_suitable_node(failures: &[(Filter, usize)]) -> String {
    let mut sorted = failures.to_vec();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let parts: Vec<String> = sorted.iter().map(|(f, n)| f.explain(*n)).collect();
    format!("no suitable node ({})", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn view<'a>(name: &'a str, labels: &'a BTreeMap<String, String>, svc: u64, total: u64) -> NodeView<'a> {
        NodeView {
            name,
            id: name,
            role: NodeRole::Worker,
            labels,
            ready: true,
            availability: Availability::Active,
            service_tasks: svc,
            total_tasks: total,
            recent_failures: 0,
            available: Available { nano_cpus: 2_000_000_000, memory_bytes: 8 << 30 },
            host_ports: &NO_HOST_PORTS,
        }
    }

    #[test]
    fn spreads_by_fewest_service_tasks_then_total_then_index() {
        let l = BTreeMap::new();
        let nodes = vec![view("a", &l, 1, 1), view("b", &l, 0, 5), view("c", &l, 0, 2)];
        let got: Vec<usize> = schedule_group(&nodes, &Placement::default(), &Demand::default(), 4, TieBreak::Index)
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        // c (0 svc, 2 total), b (0, 5), then a/c/b all at 1: a has the fewest total.
        assert_eq!(got, vec![2, 1, 0, 2]);
    }

    #[test]
    fn shuffled_ties_only_reorder_equals() {
        // Checks that a shuffled tie-break orders equally good nodes differently for different
        // keys, never places on a loaded node before the empty ones, and that the bounded
        // candidate set gives what placing against every node gives.
        let l = BTreeMap::new();
        let mut nodes: Vec<NodeView<'_>> = (0..8).map(|_| view("n", &l, 0, 0)).collect();
        nodes.push(view("loaded", &l, 1, 1));
        let firsts: std::collections::BTreeSet<usize> = (0..40)
            .map(|key| {
                let got: Vec<usize> =
                    schedule_group(&nodes, &Placement::default(), &Demand::default(), 8, TieBreak::Shuffled(key))
                        .into_iter()
                        .map(|r| r.unwrap())
                        .collect();
                assert!(!got.contains(&8), "the loaded node is never among the first eight: {got:?}");
                let mut sorted = got.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..8).collect::<Vec<_>>(), "one task on each empty node");
                got[0]
            })
            .collect();
        assert!(firsts.len() > 3, "the first choice varies with the key: {firsts:?}");
        let all = schedule_group(&nodes, &Placement::default(), &Demand::default(), 20, TieBreak::Shuffled(7));
        let few = schedule_group(&nodes, &Placement::default(), &Demand::default(), 3, TieBreak::Shuffled(7));
        assert_eq!(all[..3], few[..]);
    }

    #[test]
    fn constraints_and_max_replicas_explain_failure() {
        let mut zone_a = BTreeMap::new();
        zone_a.insert("zone".to_string(), "A".to_string());
        let none = BTreeMap::new();
        let nodes = vec![view("a", &zone_a, 0, 0), view("b", &none, 0, 0)];
        let placement = Placement {
            constraints: vec![Constraint { key: "node.labels.zone".into(), op: ConstraintOp::Eq, value: "a".into() }],
            max_replicas_per_node: 1,
            preferences: Vec::new(),
        };
        let got = schedule_group(&nodes, &placement, &Demand::default(), 2, TieBreak::Index);
        assert_eq!(got[0], Ok(0), "label values compare case-insensitively");
        let err = got[1].clone().unwrap_err();
        assert!(err.starts_with("no suitable node ("), "{err}");
        assert!(err.contains("scheduling constraints not satisfied on 1 node"), "{err}");
        assert!(err.contains("max replicas per node"), "{err}");
    }

    #[test]
    fn reservations_fill_nodes_and_host_ports_take_one_task_per_node() {
        // Two 2-CPU nodes, one already holding 1.5 CPU: tasks of 0.6 CPU fit three on the empty
        // node and none on the other, which the explanation counts as short of resources.
        let l = BTreeMap::new();
        let mut busy = view("busy", &l, 0, 3);
        busy.available.nano_cpus = 500_000_000;
        let nodes = vec![view("empty", &l, 0, 0), busy];
        let demand = Demand { reservations: Resources { nano_cpus: 600_000_000, memory_bytes: 0 }, host_ports: &[] };
        let got = schedule_group(&nodes, &Placement::default(), &demand, 4, TieBreak::Index);
        assert_eq!(got[..3], [Ok(0), Ok(0), Ok(0)]);
        assert_eq!(got[3], Err("no suitable node (insufficient resources on 2 nodes)".to_string()));
        // A host port: one task per node, the node holding it already refused.
        let mut held = BTreeMap::new();
        held.insert(8080, 1);
        let mut taken = view("taken", &l, 0, 0);
        taken.host_ports = &held;
        let nodes = vec![view("a", &l, 0, 0), view("b", &l, 0, 0), taken];
        let demand = Demand { reservations: Resources::default(), host_ports: &[8080] };
        let got = schedule_group(&nodes, &Placement::default(), &demand, 3, TieBreak::Index);
        assert_eq!(got[..2], [Ok(0), Ok(1)]);
        assert_eq!(got[2], Err("no suitable node (host-mode port already in use on 3 nodes)".to_string()));
    }

    #[test]
    fn spread_evens_out_label_values_before_nodes() {
        // Zone a has one node, zone b three: six tasks go three and three (swarmkit's tree),
        // where without the preference they would spread over the nodes, 2 2 1 1.
        let mut a = BTreeMap::new();
        a.insert("zone".to_string(), "a".to_string());
        let mut b = BTreeMap::new();
        b.insert("zone".to_string(), "b".to_string());
        let nodes = vec![view("a1", &a, 0, 0), view("b1", &b, 0, 0), view("b2", &b, 0, 0), view("b3", &b, 0, 0)];
        let placement = Placement { preferences: vec!["node.labels.zone".into()], ..Placement::default() };
        let got = schedule_group(&nodes, &placement, &Demand::default(), 6, TieBreak::Index);
        let on_a = got.iter().filter(|r| **r == Ok(0)).count();
        assert_eq!(on_a, 3, "{got:?}");
        // A zone that fills up gives its share to the others.
        let capped = Placement { max_replicas_per_node: 2, ..placement.clone() };
        let got = schedule_group(&nodes, &capped, &Demand::default(), 6, TieBreak::Index);
        assert_eq!(got.iter().filter(|r| **r == Ok(0)).count(), 2, "{got:?}");
        assert!(got.iter().all(Result::is_ok), "{got:?}");
        assert_eq!(spread_label("node.labels.zone"), Some("zone"));
        assert_eq!(spread_label("node.role"), None);
    }

    #[test]
    fn drained_or_down_nodes_take_nothing() {
        let l = BTreeMap::new();
        let mut a = view("a", &l, 0, 0);
        a.availability = Availability::Drain;
        let mut b = view("b", &l, 0, 0);
        b.ready = false;
        let got = schedule_group(&[a, b], &Placement::default(), &Demand::default(), 1, TieBreak::Index);
        assert_eq!(got[0], Err("no suitable node (2 nodes not available for new tasks)".to_string()));
    }

    #[test]
    fn reading_by_load_places_as_a_full_scan() {
        // Checks, over 3,000 random clusters (loads, availability, readiness, labels, recent
        // failures, max replicas, tie-breaks), that reading only the least loaded levels gives
        // exactly the full scan's choices, and gives up exactly when some task fits nowhere.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
        let mut zone_a = BTreeMap::new();
        zone_a.insert("zone".to_string(), "a".to_string());
        let none = BTreeMap::new();
        let (mut placed, mut gave_up) = (0, 0);
        for case in 0..3_000 {
            let n = rng.gen_range(1..40);
            let nodes: Vec<NodeView<'_>> = (0..n)
                .map(|_| {
                    let svc = rng.gen_range(0..4);
                    let mut v =
                        view("n", if rng.gen_bool(0.7) { &zone_a } else { &none }, svc, svc + rng.gen_range(0..3));
                    v.ready = rng.gen_bool(0.9);
                    if rng.gen_bool(0.1) {
                        v.availability = Availability::Drain;
                    }
                    if rng.gen_bool(0.1) {
                        v.recent_failures = rng.gen_range(1..8);
                    }
                    v
                })
                .collect();
            let placement = Placement {
                constraints: if rng.gen_bool(0.3) {
                    vec![Constraint { key: "node.labels.zone".into(), op: ConstraintOp::Eq, value: "a".into() }]
                } else {
                    Vec::new()
                },
                max_replicas_per_node: if rng.gen_bool(0.3) { rng.gen_range(1..5) } else { 0 },
                ..Placement::default()
            };
            let count = rng.gen_range(1..30);
            let tie = if rng.gen_bool(0.5) { TieBreak::Index } else { TieBreak::Shuffled(rng.r#gen()) };
            // Levels in ascending order, the nodes of a level in a random order (the load
            // index keeps them in none).
            let mut by_load: Vec<(u64, u64, usize)> =
                nodes.iter().enumerate().map(|(i, n)| (n.service_tasks, n.total_tasks, i)).collect();
            let shuffle: Vec<u64> = (0..by_load.len()).map(|_| rng.r#gen()).collect();
            by_load.sort_by_key(|&(s, t, i)| (s, t, shuffle[i]));
            let full = schedule_group(&nodes, &placement, &Demand::default(), count, tie);
            let fast = schedule_group_by_load(by_load.into_iter(), |i| nodes[i].clone(), &placement, count, tie);
            // It gives up exactly when fewer than `count` nodes pass with no run of recent
            // failures (the full scan then decides: it may still place on failing nodes).
            let fresh = nodes
                .iter()
                .filter(|n| {
                    first_failing_filter(n, &placement, &Demand::default()).is_none()
                        && failure_rank(n.recent_failures) == 0
                })
                .count();
            match fast {
                Some(chosen) => {
                    assert_eq!(full, chosen.into_iter().map(Ok).collect::<Vec<_>>(), "case {case}");
                    placed += 1;
                }
                None => {
                    assert!(fresh < count, "case {case}: gave up with {fresh} fresh nodes for {count} tasks");
                    gave_up += 1;
                }
            }
        }
        assert!(placed > 300 && gave_up > 300, "both outcomes are exercised: {placed} placed, {gave_up} gave up");
    }
}

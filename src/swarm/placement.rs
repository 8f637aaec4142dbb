//! Task placement, mirroring swarmkit's `manager/scheduler` (`pipeline.go` filters,
//! `scheduleTaskGroup`'s `nodeLess`, `constraint/constraint.go`). Real Swarm breaks ties between
//! equally good nodes by Go map order (`nodeSet.tree` ranges over a map): the caller passes each
//! node's rank among equals, drawn from the seed or, for a readable order, the node index.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::model::cluster::{Availability, NodeRole};
use crate::model::spec::{Constraint, ConstraintOp, Placement};

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
    Constraints,
    MaxReplicas,
}

impl Filter {
    fn explain(self, count: usize) -> String {
        let nodes = if count == 1 { "node".to_string() } else { "nodes".to_string() };
        match self {
            Filter::NotAvailable => format!("{count} {nodes} not available for new tasks"),
            Filter::Constraints => format!("scheduling constraints not satisfied on {count} {nodes}"),
            Filter::MaxReplicas => format!("max replicas per node limit exceed on {count} {nodes}"),
        }
    }
}

fn first_failing_filter(node: &NodeView<'_>, placement: &Placement) -> Option<Filter> {
    if !node.ready || node.availability != Availability::Active {
        return Some(Filter::NotAvailable);
    }
    if !placement.constraints.iter().all(|c| constraint_matches(c, node)) {
        return Some(Filter::Constraints);
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
/// by how many nodes each filter removed.
pub fn schedule_group(
    nodes: &[NodeView<'_>],
    placement: &Placement,
    count: usize,
    tie: TieBreak,
) -> Vec<Result<usize, String>> {
    let mut failures: Vec<(Filter, usize)> = Vec::new();
    let best = best_candidates(nodes.iter().enumerate(), placement, count, tie, &mut failures);
    place_greedily(best, placement, count, &mut failures)
}

/// The same placement as [`schedule_group`] over `node_count` nodes, found without looking at
/// every node: `by_load` yields node indices in ascending (tasks of the service, tasks in total)
/// order, as the scheduler's load index keeps them, and `view` describes a node. Only the nodes
/// up to the first load level at which `count` of them pass the filters are read: a few tasks
/// placed on thousands of nodes cost the few least loaded, not a scan of the cluster.
///
/// Returns `None` when some task fits nowhere: the explanation counts every node's failing
/// filter, so the caller then runs [`schedule_group`] over all of them.
pub fn schedule_group_by_load<'a>(
    by_load: impl Iterator<Item = usize>,
    view: impl Fn(usize) -> NodeView<'a>,
    placement: &Placement,
    count: usize,
    tie: TieBreak,
) -> Option<Vec<usize>> {
    // Levels are read whole, so every node not read has a higher load than those `count` that
    // passed, hence a worse key; a node with ≥ 5 recent failures ranks after every node with
    // fewer whatever its load. So the `count` best are among the nodes read.
    let mut read: Vec<(usize, NodeView<'a>)> = Vec::new();
    let mut passing = 0usize;
    let mut level: Option<(u64, u64)> = None;
    for i in by_load {
        let node = view(i);
        let load = (node.service_tasks, node.total_tasks);
        if level != Some(load) {
            if passing >= count {
                break;
            }
            level = Some(load);
        }
        if first_failing_filter(&node, placement).is_none() && failure_rank(node.recent_failures) == 0 {
            passing += 1;
        }
        read.push((i, node));
    }
    let mut failures: Vec<(Filter, usize)> = Vec::new();
    let best = best_candidates(read.iter().map(|(i, n)| (*i, n)), placement, count, tie, &mut failures);
    place_greedily(best, placement, count, &mut failures).into_iter().collect::<Result<Vec<usize>, String>>().ok()
}

/// The `count` best nodes that pass the filters, by `nodeLess` key; counts the failing filter
/// of every other node into `failures`.
fn best_candidates<'n, 'a: 'n>(
    nodes: impl Iterator<Item = (usize, &'n NodeView<'a>)>,
    placement: &Placement,
    count: usize,
    tie: TieBreak,
    failures: &mut Vec<(Filter, usize)>,
) -> BinaryHeap<NodeKey> {
    // Candidates keyed by nodeLess: recent failures (only when ≥ 5), tasks of this service,
    // tasks in total, then the rank among equals. Only the `count` best can be chosen (the
    // greedy below only ever raises a chosen node's key, and every key is distinct), so a
    // bounded max-heap keeps those: a few tasks on thousands of nodes cost O(nodes · log count).
    let mut best: BinaryHeap<NodeKey> = BinaryHeap::with_capacity(count + 1);
    for (i, node) in nodes {
        match first_failing_filter(node, placement) {
            None => {
                let key = (failure_rank(node.recent_failures), node.service_tasks, node.total_tasks, tie.rank(i), i);
                if best.len() < count {
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

/// `scheduleTaskGroup`'s loop: each task in turn goes to the best node, whose key then rises
/// by one task of the service and one in total.
fn place_greedily(
    best: BinaryHeap<NodeKey>,
    placement: &Placement,
    count: usize,
    failures: &mut Vec<(Filter, usize)>,
) -> Vec<Result<usize, String>> {
    let mut heap: BinaryHeap<Reverse<NodeKey>> = best.into_iter().map(Reverse).collect();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let Some(Reverse((failure_order, svc, total, tie, i))) = heap.pop() else {
            out.push(Err(no_suitable_node(failures)));
            continue;
        };
        out.push(Ok(i));
        if placement.max_replicas_per_node > 0 && svc + 1 >= placement.max_replicas_per_node {
            count_failure(failures, Filter::MaxReplicas);
        } else {
            heap.push(Reverse((failure_order, svc + 1, total + 1, tie, i)));
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
        }
    }

    #[test]
    fn spreads_by_fewest_service_tasks_then_total_then_index() {
        let l = BTreeMap::new();
        let nodes = vec![view("a", &l, 1, 1), view("b", &l, 0, 5), view("c", &l, 0, 2)];
        let got: Vec<usize> =
            schedule_group(&nodes, &Placement::default(), 4, TieBreak::Index).into_iter().map(|r| r.unwrap()).collect();
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
                let got: Vec<usize> = schedule_group(&nodes, &Placement::default(), 8, TieBreak::Shuffled(key))
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
        let all = schedule_group(&nodes, &Placement::default(), 20, TieBreak::Shuffled(7));
        let few = schedule_group(&nodes, &Placement::default(), 3, TieBreak::Shuffled(7));
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
        };
        let got = schedule_group(&nodes, &placement, 2, TieBreak::Index);
        assert_eq!(got[0], Ok(0), "label values compare case-insensitively");
        let err = got[1].clone().unwrap_err();
        assert!(err.starts_with("no suitable node ("), "{err}");
        assert!(err.contains("scheduling constraints not satisfied on 1 node"), "{err}");
        assert!(err.contains("max replicas per node"), "{err}");
    }

    #[test]
    fn drained_or_down_nodes_take_nothing() {
        let l = BTreeMap::new();
        let mut a = view("a", &l, 0, 0);
        a.availability = Availability::Drain;
        let mut b = view("b", &l, 0, 0);
        b.ready = false;
        let got = schedule_group(&[a, b], &Placement::default(), 1, TieBreak::Index);
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
        let mut gave_up = 0;
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
            };
            let count = rng.gen_range(1..30);
            let tie = if rng.gen_bool(0.5) { TieBreak::Index } else { TieBreak::Shuffled(rng.r#gen()) };
            let mut by_load: Vec<usize> = (0..nodes.len()).collect();
            by_load.sort_by_key(|&i| (nodes[i].service_tasks, nodes[i].total_tasks, i));
            let full = schedule_group(&nodes, &placement, count, tie);
            let fast = schedule_group_by_load(by_load.into_iter(), |i| nodes[i].clone(), &placement, count, tie);
            match full.iter().cloned().collect::<Result<Vec<usize>, String>>() {
                Ok(chosen) => assert_eq!(fast, Some(chosen), "case {case}"),
                Err(_) => {
                    assert_eq!(fast, None, "case {case}");
                    gave_up += 1;
                }
            }
        }
        assert!((300..2_700).contains(&gave_up), "both outcomes are exercised: {gave_up} gave up");
    }
}

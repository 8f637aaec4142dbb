//! Pairs a real run's slots with the simulation's by their task histories, not their numbers,
//! and the tasks of each pair, so that per-task times can be compared.

use std::collections::BTreeMap;

use super::observe::{RunObs, TaskObs, is_terminal};
use super::tolerance::Tolerance;

/// A slot's history within a window: its tasks in creation order, each (image, distinct states).
pub type SlotHistory = Vec<(String, Vec<String>)>;

/// The cost of leaving a slot unpaired (or pairing incompatible histories): larger than any sum
/// of time differences, so the assignment pairs as many slots as possible first.
const UNPAIRED: f64 = 1e9;

/// One paired slot.
#[derive(Clone, Debug, PartialEq)]
pub struct SlotPair {
    /// The real run's slot number.
    pub real: u64,
    /// The simulation's slot number.
    pub sim: u64,
    /// Where the simulated slot's history was cut to match.
    pub cut: f64,
    /// |cut − window end|: how far from the real window end the simulated history was taken.
    pub shift: f64,
}

/// The result of pairing a real run's slots with the simulation's.
#[derive(Clone, Debug, PartialEq)]
pub struct SlotMatching {
    /// The real run's slot histories in the window [0, last row].
    pub real_slots: BTreeMap<u64, SlotHistory>,
    /// Simulated slot histories cut at the paired cut (or the window end when unpaired).
    pub sim_slots: BTreeMap<u64, SlotHistory>,
    /// Paired slots, by real slot number.
    pub pairs: Vec<SlotPair>,
    /// Slots left unpaired, each set beside its closest counterpart on the other side when
    /// there is one: (real slot, simulated slot). Each is a failed measure.
    pub unpaired: Vec<(Option<u64>, Option<u64>)>,
    /// The real window end.
    pub window_end: f64,
}

impl SlotMatching {
    /// Every real slot paired and every simulated slot used.
    pub fn complete(&self) -> bool {
        self.pairs.len() == self.real_slots.len() && self.pairs.len() == self.sim_slots.len()
    }

    /// The largest shift any pair needed.
    pub fn max_shift(&self) -> f64 {
        self.pairs.iter().map(|p| p.shift).fold(0.0, f64::max)
    }

    /// Whether a real slot was paired.
    pub fn real_paired(&self, slot: u64) -> bool {
        self.pairs.iter().any(|p| p.real == slot)
    }

    /// Whether a simulated slot was paired.
    pub fn sim_paired(&self, slot: u64) -> bool {
        self.pairs.iter().any(|p| p.sim == slot)
    }
}

/// The history of one slot's tasks, cut at `cut`.
pub fn slot_history(tasks: &[&TaskObs], cut: f64) -> SlotHistory {
    tasks.iter().filter_map(|t| t.window_states(cut).map(|s| (t.image.clone(), s))).collect()
}

/// The tasks of a slot that are part of the window ending at `cut`, in creation order.
pub fn window_tasks<'a>(tasks: &[&'a TaskObs], cut: f64) -> Vec<&'a TaskObs> {
    tasks.iter().copied().filter(|t| t.window_states(cut).is_some()).collect()
}

/// Same tasks (by image, in order), and for each task the real distinct states are a
/// subsequence of the simulated ones (the poll misses short-lived states; the simulator
/// records every state) with the same final state.
pub fn history_matches(real: &SlotHistory, sim: &SlotHistory) -> bool {
    real.len() == sim.len()
        && real.iter().zip(sim).all(|((ri, rs), (si, ss))| ri == si && is_subsequence(rs, ss) && rs.last() == ss.last())
}

/// True when `needle` appears in `hay` in order (not necessarily contiguously).
pub fn is_subsequence(needle: &[String], hay: &[String]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|n| it.any(|h| h == n))
}

/// The timed events of a task that the comparison checks: its creation (if after the action),
/// reaching `running`, and reaching its terminal state, each only when the real task did so
/// within the window ending at `end`.
pub fn timed_events(task: &TaskObs, end: f64) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    if let Some(c) = task.created_after_action().filter(|c| *c <= end) {
        out.push(("created".to_string(), c));
    }
    if let Some(r) = task.reached("running").filter(|r| *r <= end) {
        out.push(("running".to_string(), r));
    }
    let last = task.states.iter().rev().find(|(t, _)| *t > 0.0 && *t <= end);
    if let Some((t, s)) = last.filter(|(_, s)| is_terminal(s)) {
        // When the task entered its final state, as `sim_time_of` reads the simulation: a later
        // row repeating the state (its desired state changed) is not when it ended.
        out.push((s.clone(), task.reached(s).unwrap_or(*t)));
    }
    if let Some(r) = task.removed.filter(|r| *r > 0.0 && *r <= end) {
        out.push(("removed".to_string(), r));
    }
    out
}

/// When the simulated task did what the real task's event names.
pub fn sim_time_of(task: &TaskObs, event: &str) -> Option<f64> {
    match event {
        "created" => task.created_after_action(),
        "removed" => task.removed.filter(|r| *r > 0.0),
        state => task.reached(state),
    }
}

/// Sum of |real − simulated| over the timed events of paired tasks (missing events cost a
/// second each): what the assignment minimises among equally good history pairings.
fn time_cost(real: &[&TaskObs], sim: &[&TaskObs], end: f64) -> f64 {
    real.iter()
        .zip(sim)
        .flat_map(|(r, s)| {
            timed_events(r, end).into_iter().map(|(e, t)| sim_time_of(s, &e).map_or(1.0, |ts| (ts - t).abs()))
        })
        .sum()
}

/// How unlike two slot histories are, to set an unpaired slot beside the one it most resembles:
/// a task more or fewer, or a task of another image or final state, each counts.
fn dissimilarity(a: &SlotHistory, b: &SlotHistory) -> f64 {
    let differing = a.iter().zip(b).filter(|((ai, asts), (bi, bsts))| ai != bi || asts.last() != bsts.last()).count();
    (differing + a.len().abs_diff(b.len())) as f64
}

/// A slot's history in brief, per task: its image and final state. Two runs of the same real
/// scenario are polled at different instants, so each misses different short-lived states; the
/// kinds are what both show.
fn kinds(h: &SlotHistory) -> Vec<(&str, Option<&str>)> {
    h.iter().map(|(i, s)| (i.as_str(), s.last().map(String::as_str))).collect()
}

/// Candidate cuts of one simulated slot around the window end `w`: the lower end of the
/// tolerance, then every event time of the slot inside it (the history is constant between
/// events), nearest to `w` first, each with its distance to `w` and the history there.
fn candidates(tasks: &[&TaskObs], w: f64, tol: f64) -> Vec<(f64, f64, SlotHistory)> {
    let mut cuts = vec![w - tol];
    cuts.extend(tasks.iter().flat_map(|t| t.states.iter().map(|(t, _)| *t)).filter(|t| *t > w - tol && *t <= w + tol));
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    // The history at a cut holds until the next cut: its distance to `w` is 0 when that
    // interval contains `w`.
    let mut with_distance: Vec<(f64, f64)> = cuts
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            let next = cuts.get(k + 1).copied().unwrap_or(f64::INFINITY);
            let d = if c <= w && w < next {
                0.0
            } else if c > w {
                c - w
            } else {
                next - w
            };
            (d.abs(), c)
        })
        .collect();
    with_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
    with_distance.into_iter().map(|(d, c)| (d, c, slot_history(tasks, c))).collect()
}

/// Pairs the real run's slots with the simulation's, up to renumbering: which slot Swarm updates
/// first is arbitrary (r1 and r2 of the same scenario differ), so only the multiset of slot
/// histories is comparable. The real window is [0, last row]; each simulated slot may be cut
/// anywhere within the timing tolerance of that end, so that a transition the real run made just
/// before its last row and the simulation made slightly later (or the reverse) is not a mismatch.
/// Among pairings with the most matching histories, the one whose task times are closest wins:
/// slots with identical histories are then paired by when things happened to them.
pub fn match_slots(real: &RunObs, sim: &RunObs, tolerance: &Tolerance) -> SlotMatching {
    let w = real.window_end();
    let tol = tolerance.allowed(w);
    let real_by_slot = real.by_slot();
    let real_slots: BTreeMap<u64, SlotHistory> =
        real_by_slot.iter().map(|(s, tasks)| (*s, slot_history(tasks, w))).filter(|(_, h)| !h.is_empty()).collect();
    let sim_by_slot = sim.by_slot();
    let cands: BTreeMap<u64, Vec<(f64, f64, SlotHistory)>> = sim_by_slot
        .iter()
        .map(|(s, tasks)| (*s, candidates(tasks, w, tol)))
        .filter(|(_, hs)| hs.iter().any(|(_, _, h)| !h.is_empty()))
        .collect();
    let real_keys: Vec<u64> = real_slots.keys().copied().collect();
    let sim_keys: Vec<u64> = cands.keys().copied().collect();
    // compat[i][j]: the first cut (nearest the window end) at which sim slot j matches real slot i.
    // A global service's slots are nodes: a node's history pairs only with the same node's.
    let node_of = |tasks: &[&TaskObs]| tasks.first().map(|t| t.node.clone()).unwrap_or_default();
    let same_node = |rk: &u64, sk: &u64| {
        !(real.per_node_slots && sim.per_node_slots) || node_of(&real_by_slot[rk]) == node_of(&sim_by_slot[sk])
    };
    let compat: Vec<Vec<Option<usize>>> = real_keys
        .iter()
        .map(|rk| {
            sim_keys
                .iter()
                .map(|sk| {
                    if !same_node(rk, sk) {
                        return None;
                    }
                    cands[sk].iter().position(|(_, _, h)| history_matches(&real_slots[rk], h))
                })
                .collect()
        })
        .collect();
    let n = real_keys.len().max(sim_keys.len());
    // Padding rows/columns (one side has more slots) cost the same for everyone.
    let mut cost = vec![vec![2.0 * UNPAIRED; n]; n];
    for (i, rk) in real_keys.iter().enumerate() {
        let real_tasks = window_tasks(&real_by_slot[rk], w);
        for (j, sk) in sim_keys.iter().enumerate() {
            cost[i][j] = match compat[i][j] {
                Some(c) => time_cost(&real_tasks, &window_tasks(&sim_by_slot[sk], cands[sk][c].1), w),
                // Incompatible: only ever chosen for slots that cannot pair, and then with the
                // most alike counterpart, so the report sets like beside like.
                None => UNPAIRED + dissimilarity(&real_slots[rk], &slot_history(&sim_by_slot[sk], w)),
            };
        }
    }
    let assignment = assign(&cost);
    let mut pairs = Vec::new();
    let mut unpaired = Vec::new();
    let mut sim_slots = BTreeMap::new();
    for (j, sk) in sim_keys.iter().enumerate() {
        let owner = (0..real_keys.len()).find(|&i| assignment[i] == j);
        let hist = match owner.and_then(|i| compat[i][j].map(|c| (i, c))) {
            Some((i, c)) => {
                let (shift, cut, hist) = &cands[sk][c];
                pairs.push(SlotPair { real: real_keys[i], sim: *sk, cut: *cut, shift: *shift });
                hist.clone()
            }
            None => {
                unpaired.push((owner.map(|i| real_keys[i]), Some(*sk)));
                slot_history(&sim_by_slot[sk], w)
            }
        };
        sim_slots.insert(*sk, hist);
    }
    for (i, rk) in real_keys.iter().enumerate() {
        if assignment[i] >= sim_keys.len() {
            unpaired.push((Some(*rk), None));
        }
    }
    pairs.sort_by_key(|p| p.real);
    unpaired.sort_by_key(|(r, s)| (r.is_none(), *r, *s));
    SlotMatching { real_slots, sim_slots, pairs, unpaired, window_end: w }
}

/// Whether two real runs took the same path up to `end`: the same multiset of slot histories
/// on what both show (every task's image and final state). Only such runs' spread is noise;
/// runs on different paths of a race differ by what the race decided.
pub fn same_path(a: &RunObs, b: &RunObs, end: f64) -> bool {
    let multiset = |run: &RunObs| {
        let mut all: Vec<Vec<(String, Option<String>)>> = run
            .by_slot()
            .values()
            .map(|tasks| slot_history(tasks, end))
            .filter(|h| !h.is_empty())
            .map(|h| kinds(&h).into_iter().map(|(i, s)| (i.to_string(), s.map(str::to_string))).collect())
            .collect();
        all.sort();
        all
    };
    let states =
        |run: &RunObs| run.status.iter().filter(|(t, _)| *t <= end).map(|(_, s)| s.clone()).collect::<Vec<_>>();
    multiset(a) == multiset(b) && states(a) == states(b)
}

/// Pairs the slots of two real runs of one scenario, for their spread (`compare
/// --widen-by-spread`): only slots whose histories agree on every task's image and final state
/// within the common window `end`, and among those the pairing whose task times are closest.
/// The states in between are not compared: each run's poll misses different short ones.
/// Returns (slot of `a`, slot of `b`) pairs.
pub fn match_real_runs(a: &RunObs, b: &RunObs, end: f64) -> Vec<(u64, u64)> {
    let by_a = a.by_slot();
    let by_b = b.by_slot();
    let hist = |tasks: &[&TaskObs]| slot_history(tasks, end);
    let a_keys: Vec<u64> = by_a.keys().copied().filter(|k| !hist(&by_a[k]).is_empty()).collect();
    let b_keys: Vec<u64> = by_b.keys().copied().filter(|k| !hist(&by_b[k]).is_empty()).collect();
    let n = a_keys.len().max(b_keys.len());
    let mut cost = vec![vec![2.0 * UNPAIRED; n]; n];
    for (i, ka) in a_keys.iter().enumerate() {
        let (ha, ta) = (hist(&by_a[ka]), window_tasks(&by_a[ka], end));
        for (j, kb) in b_keys.iter().enumerate() {
            let hb = hist(&by_b[kb]);
            cost[i][j] =
                if kinds(&ha) == kinds(&hb) { time_cost(&ta, &window_tasks(&by_b[kb], end), end) } else { UNPAIRED };
        }
    }
    let assignment = assign(&cost);
    a_keys
        .iter()
        .enumerate()
        .filter_map(|(i, ka)| {
            let j = assignment[i];
            (j < b_keys.len() && cost[i][j] < UNPAIRED).then(|| (*ka, b_keys[j]))
        })
        .collect()
}

/// The paired tasks of a slot pair, in creation order.
pub fn paired_tasks<'a>(
    real: &'a RunObs,
    sim: &'a RunObs,
    pair: &SlotPair,
    end: f64,
) -> Vec<(&'a TaskObs, &'a TaskObs)> {
    let real_tasks: Vec<&TaskObs> = real.tasks.iter().filter(|t| t.slot == pair.real).collect();
    let sim_tasks: Vec<&TaskObs> = sim.tasks.iter().filter(|t| t.slot == pair.sim).collect();
    let mut real_tasks = window_tasks(&real_tasks, end);
    let mut sim_tasks = window_tasks(&sim_tasks, pair.cut);
    let order =
        |a: &&TaskObs, b: &&TaskObs| a.first_seen.total_cmp(&b.first_seen).then(a.first_index.cmp(&b.first_index));
    real_tasks.sort_by(order);
    sim_tasks.sort_by(order);
    real_tasks.into_iter().zip(sim_tasks).collect()
}

/// Minimum-cost assignment of rows to columns of a square matrix (Hungarian algorithm, O(n³)):
/// `result[row] = column`. A few dozen slots at most, so the textbook version is plenty.
fn assign(cost: &[Vec<f64>]) -> Vec<usize> {
    let n = cost.len();
    // 1-based potentials and matching, as in the classic formulation; p[j] = row matched to column j.
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    let (mut p, mut way) = (vec![0usize; n + 1], vec![0usize; n + 1]);
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let (mut delta, mut j1) = (f64::INFINITY, 0);
            for j in 1..=n {
                if !used[j] {
                    let cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut result = vec![0; n];
    for j in 1..=n {
        if p[j] > 0 {
            result[p[j] - 1] = j - 1;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_minimises_cost() {
        // Checks the Hungarian solver on a case where the greedy choice is wrong.
        let cost = vec![vec![1.0, 2.0, 3.0], vec![2.0, 4.0, 6.0], vec![3.0, 6.0, 9.0]];
        let a = assign(&cost);
        let total: f64 = a.iter().enumerate().map(|(i, j)| cost[i][*j]).sum();
        assert_eq!(total, 10.0);
        assert_eq!(assign(&[vec![5.0, 1.0], vec![1.0, 5.0]]), vec![1, 0]);
    }

    /// A global service's task on `node` (its slot numbered by node, as the loaders do).
    fn global_task(id: &str, node: &str, states: &[&str]) -> TaskObs {
        TaskObs {
            id: id.into(),
            slot: 0,
            image: "x:1".into(),
            node: node.into(),
            first_seen: -1.0,
            first_index: 0,
            states: states.iter().enumerate().map(|(k, s)| (k as f64 - 1.0, s.to_string())).collect(),
            origin: None,
            removed: None,
            deleted: None,
        }
    }

    fn global_run(tasks: Vec<TaskObs>) -> RunObs {
        let mut tasks = tasks;
        let per_node_slots = crate::fidelity::observe::number_node_slots(&mut tasks);
        RunObs {
            label: "r".into(),
            status: vec![],
            final_state: "none".into(),
            initial_state: "none".into(),
            tasks,
            last_row: Some(5.0),
            recording_end: Some(5.0),
            serving: vec![],
            has_nodes: true,
            node_states: None,
            per_node_slots,
        }
    }

    #[test]
    fn a_global_service_pairs_each_node_with_itself() {
        // Checks that a node's history pairs only with the same node's: here node b's task ended
        // in the real run and node a's in the simulation, so nothing may pair across them.
        let real = global_run(vec![
            global_task("1", "a", &["running"]),
            global_task("2", "b", &["running", "running", "shutdown"]),
        ]);
        let sim = global_run(vec![
            global_task("3", "a", &["running", "running", "shutdown"]),
            global_task("4", "b", &["running"]),
        ]);
        let m = match_slots(&real, &sim, &Tolerance::default());
        assert!(m.pairs.is_empty(), "{:?}", m.pairs);
        assert_eq!(m.unpaired.len(), 2);
        let same = match_slots(&real, &real.clone(), &Tolerance::default());
        assert_eq!(same.pairs.len(), 2);
    }

    #[test]
    fn subsequence_rule() {
        // Checks that polled (missing) states are allowed but order is not.
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(is_subsequence(&s(&["new", "running"]), &s(&["new", "pending", "running"])));
        assert!(!is_subsequence(&s(&["running", "new"]), &s(&["new", "running"])));
    }
}

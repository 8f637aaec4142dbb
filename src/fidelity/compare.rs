//! The fidelity measures, computed the same way on a real and a simulated run, and their verdict:
//! exact for states, order, counts and the final status; within the tolerance for times. Each
//! real run is judged on its own, against each simulated seed; a race (several legitimate
//! outcomes) is matched by seeds: the comparison passes when every real run is reproduced by
//! some seed, never by widening the tolerance.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::matching::{self, SlotHistory, SlotMatching};
use super::observe::{NodeStates, Origin, RunObs};
use super::tolerance::Tolerance;

/// One line of a comparison: a measure, its real and simulated values, and the verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measure {
    /// What is measured.
    pub measure: String,
    /// `exact` (states, order, counts, status) or `time` (within the tolerance).
    pub rule: &'static str,
    /// The real run's value.
    pub real: String,
    /// The simulation's value.
    pub simulated: String,
    /// simulated − real, in seconds for times and units for counts; `null` when not numeric.
    pub difference: Option<f64>,
    /// For times: the difference allowed, in seconds (max(abs, rel × t), or the real runs'
    /// spread of this measure with `--widen-by-spread` when that is larger); `null` otherwise.
    pub allowed_s: Option<f64>,
    /// Whether the simulation is within tolerance (exact rules: equal).
    pub within_tolerance: bool,
}

impl Measure {
    fn exact(measure: impl Into<String>, real: impl Into<String>, sim: impl Into<String>) -> Measure {
        let (real, simulated) = (real.into(), sim.into());
        let within_tolerance = real == simulated;
        Measure {
            measure: measure.into(),
            rule: "exact",
            real,
            simulated,
            difference: None,
            allowed_s: None,
            within_tolerance,
        }
    }

    fn count(measure: impl Into<String>, real: u64, sim: u64) -> Measure {
        let mut m = Measure::exact(measure, real.to_string(), sim.to_string());
        m.difference = Some(sim as f64 - real as f64);
        m
    }

    /// A failed measure: what the real run has and the simulation lacks (or the reverse).
    fn missing(measure: impl Into<String>, real: impl Into<String>, sim: impl Into<String>) -> Measure {
        let mut m = Measure::exact(measure, real, sim);
        m.within_tolerance = false;
        m
    }

    fn time(measure: impl Into<String>, real: f64, sim: Option<f64>, allowed: f64) -> Measure {
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        Measure {
            measure: measure.into(),
            rule: "time",
            real: format!("{real:.3}s"),
            simulated: sim.map_or("-".to_string(), |s| format!("{s:.3}s")),
            difference: sim.map(|s| round(s - real)),
            allowed_s: Some(round(allowed)),
            // A thousandth of a millisecond of slack: both sides are printed and parsed in
            // milliseconds, so a difference of exactly the tolerance must not fail on rounding.
            within_tolerance: sim.is_some_and(|s| (s - real).abs() <= allowed + 1e-6),
        }
    }
}

/// One simulated run (one seed) against one real run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunComparison {
    /// The real run's label (`r1`).
    pub label: String,
    /// The trace's path prefix (empty when not from a file).
    pub trace: String,
    /// The simulation's seed.
    pub seed: u64,
    /// The end of the compared window, seconds after the action: the recording's end.
    pub window_end_s: f64,
    /// Every measure within tolerance.
    pub passed: bool,
    /// Share of measures within tolerance, 0–1.
    pub score: f64,
    /// The measures, in report order.
    pub measures: Vec<Measure>,
    /// Window and slot-cut notes.
    pub notes: Vec<String>,
    /// Full slot histories when they do not all pair up, for diagnosis.
    pub details: Vec<String>,
}

/// One real run against every simulated seed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunVerdict {
    /// The real run's label (`r1`).
    pub label: String,
    /// The trace's path prefix.
    pub trace: String,
    /// The seeds whose simulation matches this run on every measure.
    pub reproduced_by: Vec<u64>,
    /// `reproduced_by` as a share of the seeds tried, 0–1: how often the model takes this run's
    /// path.
    pub share: f64,
    /// The comparison shown: the first seed that reproduces the run, else the best-scoring one
    /// (the lowest seed among equals).
    pub shown: RunComparison,
}

/// The simulation (one or several seeds) against every real run given.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// The simulated service compared.
    pub service: String,
    /// The timing tolerance used.
    pub tolerance: Tolerance,
    /// Whether time measures were widened to the real runs' own spread (`--widen-by-spread`).
    pub widened_by_spread: bool,
    /// The seeds simulated.
    pub seeds: Vec<u64>,
    /// The verdict: every real run is reproduced, on every measure, by at least one seed.
    pub passed: bool,
    /// The fidelity score, 0–1: the mean over the real runs of the shown comparison's score.
    pub score: f64,
    /// One verdict per real run, in the order given.
    pub runs: Vec<RunVerdict>,
    /// Seeds whose simulation matches none of the real runs.
    pub unmatched_seeds: Vec<u64>,
}

impl Comparison {
    /// Whether some seed reproduces real run `i` on every measure.
    pub fn run_matches(&self, i: usize) -> bool {
        !self.runs[i].reproduced_by.is_empty()
    }
}

/// What the comparison needs to know besides the runs.
#[derive(Clone, Debug)]
pub struct Setup<'a> {
    /// Scenario name, for the header.
    pub scenario: &'a str,
    /// Simulated service name.
    pub service: &'a str,
    /// The image of the update's new tasks (`--image` of the action, else the running image).
    pub target_image: &'a str,
    /// Timing tolerance.
    pub tolerance: Tolerance,
    /// Allow each time measure the real runs' own spread of it, where that is larger than the
    /// tolerance (opt-in; off by default: every run is judged on its own).
    pub widen_by_spread: bool,
}

/// Compares every simulated seed with each real run (`traces[i]` is run i's path, for the
/// report). `sims` holds (seed, simulated run), in the order to report them.
pub fn compare(setup: &Setup, reals: &[RunObs], traces: &[String], sims: &[(u64, RunObs)]) -> Comparison {
    let spreads = if setup.widen_by_spread { spread::of_runs(reals) } else { vec![Spread::default(); reals.len()] };
    let runs: Vec<RunVerdict> = reals
        .iter()
        .enumerate()
        .map(|(i, real)| {
            let trace = traces.get(i).cloned().unwrap_or_default();
            let all: Vec<RunComparison> = sims
                .iter()
                .map(|(seed, sim)| compare_run(setup, real, trace.clone(), *seed, sim, &spreads[i]))
                .collect();
            let reproduced_by: Vec<u64> = all.iter().filter(|c| c.passed).map(|c| c.seed).collect();
            let shown = all
                .iter()
                .find(|c| c.passed)
                .or_else(|| all.iter().rev().max_by(|a, b| a.score.total_cmp(&b.score)))
                .cloned()
                .expect("at least one seed is simulated");
            RunVerdict {
                label: real.label.clone(),
                trace,
                share: reproduced_by.len() as f64 / sims.len().max(1) as f64,
                reproduced_by,
                shown,
            }
        })
        .collect();
    let seeds: Vec<u64> = sims.iter().map(|(s, _)| *s).collect();
    let unmatched_seeds = seeds.iter().copied().filter(|s| !runs.iter().any(|r| r.reproduced_by.contains(s))).collect();
    Comparison {
        scenario: setup.scenario.to_string(),
        service: setup.service.to_string(),
        tolerance: setup.tolerance,
        widened_by_spread: setup.widen_by_spread,
        passed: runs.iter().all(|r| !r.reproduced_by.is_empty()),
        score: runs.iter().map(|r| r.shown.score).sum::<f64>() / runs.len().max(1) as f64,
        runs,
        seeds,
        unmatched_seeds,
    }
}

pub use spread::Spread;

/// How much real runs of one scenario differ from each other, measure by measure: what
/// `--widen-by-spread` allows on top of the tolerance. Real runs are paired with each other on
/// what both of them show (every task's image and final state; each poll misses different
/// short-lived states), never by the rule that pairs a simulation with a run. Only instants are
/// widened, never durations, and only by the nearest run on the same path; it cannot tell apart
/// two paths of a race that leave the same slot histories and differ only in timing, which is why
/// it is opt-in and the fidelity suite judges without it.
pub mod spread {
    use std::collections::BTreeMap;

    use super::super::matching::{self, timed_events};
    use super::super::observe::RunObs;

    /// One real run's spread per time measure: the difference to the same measure of the
    /// nearest other real run that took the same path (see `matching::same_path`), in seconds.
    /// The nearest repeat, not the farthest: two paths of a race can leave the same slot
    /// histories and differ only in timing (s05's r1 and r5, a rollback finished in 3 ms or in
    /// 8 s), and the farthest run would let one path excuse the other.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Spread {
        /// UpdateStatus change #i (same state in the other run).
        pub status: BTreeMap<usize, f64>,
        /// (slot, task index in the slot, event) of this run.
        pub events: BTreeMap<(u64, usize, String), f64>,
    }

    impl Spread {
        fn note<K: Ord>(map: &mut BTreeMap<K, f64>, key: K, d: f64) {
            let e = map.entry(key).or_insert(f64::INFINITY);
            *e = e.min(d);
        }
    }

    /// The spread of every real run against all the others (empty with one run).
    pub fn of_runs(reals: &[RunObs]) -> Vec<Spread> {
        let mut out = vec![Spread::default(); reals.len()];
        for (i, a) in reals.iter().enumerate() {
            for (j, b) in reals.iter().enumerate() {
                if i == j {
                    continue;
                }
                let end = a.window_end().min(b.window_end());
                // Runs that took different paths of a race differ by the race, not by noise:
                // one path must never excuse another.
                if !matching::same_path(a, b, end) {
                    continue;
                }
                for (k, ((ta, sa), (tb, sb))) in a.status.iter().zip(&b.status).enumerate() {
                    if sa == sb && *ta <= end && *tb <= end {
                        Spread::note(&mut out[i].status, k, (ta - tb).abs());
                    }
                }
                let (by_a, by_b) = (a.by_slot(), b.by_slot());
                for (slot_a, slot_b) in matching::match_real_runs(a, b, end) {
                    let tasks_a = matching::window_tasks(&by_a[&slot_a], end);
                    let tasks_b = matching::window_tasks(&by_b[&slot_b], end);
                    for (k, (ta, tb)) in tasks_a.iter().zip(&tasks_b).enumerate() {
                        for (event, t) in timed_events(ta, end) {
                            if let Some(other) = matching::sim_time_of(tb, &event).filter(|t| *t <= end) {
                                Spread::note(&mut out[i].events, (slot_a, k, event), (t - other).abs());
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// Every measure of one real run against one simulated run.
fn compare_run(setup: &Setup, real: &RunObs, trace: String, seed: u64, sim: &RunObs, spread: &Spread) -> RunComparison {
    let tol = &setup.tolerance;
    let w = real.window_end();
    let m = matching::match_slots(real, sim, tol);
    let mut measures = vec![status_at_end(real, sim, w, tol)];
    measures.extend(status_changes(real, sim, w, tol, spread));
    measures.push(Measure::count(
        format!("slots the update gave a {} task before it first stopped", short(setup.target_image)),
        forward_slots(real, setup.target_image, w) as u64,
        forward_slots(sim, setup.target_image, w + tol.allowed(w)) as u64,
    ));
    let letters = kind_letters(&m);
    measures.push(replacement_order(real, sim, &m, tol, &letters));
    measures.extend(kind_counts(&m, &letters));
    measures.extend(slot_histories(&m));
    let serving = (real.min_serving(w), sim.min_serving(w));
    measures.push(Measure::exact(
        "minimum serving tasks",
        serving.0.map_or("-".to_string(), |n| n.to_string()),
        serving.1.map_or("-".to_string(), |n| n.to_string()),
    ));
    if let (Some(r), Some(s)) = serving {
        measures.last_mut().expect("just pushed").difference = Some(s as f64 - r as f64);
    }
    if real.has_nodes {
        measures.push(per_node_at_end(real, sim, w, tol));
    }
    if let (Some(real_nodes), Some(sim_nodes)) = (&real.node_states, &sim.node_states) {
        measures.extend(node_state_changes(real_nodes, sim_nodes, w, tol));
    }
    measures.extend(task_times(real, sim, &m, tol, spread));
    measures.extend(unpaired_task_times(real, &m));
    let ok = measures.iter().filter(|m| m.within_tolerance).count();
    RunComparison {
        label: real.label.clone(),
        trace,
        seed,
        window_end_s: w,
        passed: ok == measures.len(),
        score: ok as f64 / measures.len().max(1) as f64,
        notes: vec![format!(
            "window [0, {w:.3}s] ({}); simulated slots may be cut anywhere in [{:.3}s, {:.3}s]; \
             {}/{} slots paired, largest shift used: {:.3}s",
            real.window_source(),
            w - tol.allowed(w),
            w + tol.allowed(w),
            m.pairs.len(),
            m.real_slots.len().max(m.sim_slots.len()),
            m.max_shift()
        )],
        details: unpaired_details(real, &m),
        measures,
    }
}

/// The UpdateStatus at the window's end. As with the slot histories, the simulation may be read
/// anywhere within the tolerance of that end: a status the real run reached just before the
/// recording stopped, and the simulation just after, is not a mismatch (its change's time is a
/// measure of its own).
fn status_at_end(real: &RunObs, sim: &RunObs, w: f64, tol: &Tolerance) -> Measure {
    let wanted = real.state_at(w);
    let (lo, hi) = (w - tol.allowed(w), w + tol.allowed(w));
    let instants = [w, lo, hi].into_iter().chain(sim.status.iter().map(|(t, _)| *t).filter(|t| *t > lo && *t <= hi));
    let shown = instants.map(|t| sim.state_at(t)).find(|s| *s == wanted).unwrap_or_else(|| sim.state_at(w));
    Measure::exact("UpdateStatus at the window end", wanted, shown)
}

/// The difference allowed on a real time `t` whose real runs spread by `spread` seconds.
fn allowed(tol: &Tolerance, t: f64, spread: Option<f64>) -> f64 {
    tol.allowed(t).max(spread.unwrap_or(0.0))
}

/// UpdateStatus changes, in order: same state, time within tolerance of the real time. The real
/// run's changes are those of its window; the simulation's are those up to the window end, and
/// as many later ones, within the tolerance of the end, as the real run has more.
fn status_changes(real: &RunObs, sim: &RunObs, w: f64, tol: &Tolerance, spread: &Spread) -> Vec<Measure> {
    let within: Vec<&(f64, String)> = sim.status.iter().filter(|(t, _)| *t <= w).collect();
    let late = sim.status.iter().filter(|(t, _)| *t > w && *t <= w + tol.allowed(w));
    let simulated: Vec<&(f64, String)> =
        within.iter().copied().chain(late.take(real.status.len().saturating_sub(within.len()))).collect();
    let longest = real.status.len().max(simulated.len());
    (0..longest)
        .map(|i| {
            let name = format!("UpdateStatus change #{}", i + 1);
            match (real.status.get(i), simulated.get(i)) {
                (Some((tr, sr)), Some((ts, ss))) if sr == ss => Measure::time(
                    format!("{name}: {sr}"),
                    *tr,
                    Some(*ts),
                    allowed(tol, *tr, spread.status.get(&i).copied()),
                ),
                (r, s) => {
                    let cell =
                        |x: Option<&(f64, String)>| x.map_or("-".to_string(), |(t, st)| format!("{st} @ {t:.3}s"));
                    Measure::exact(name, cell(r), cell(s.copied()))
                }
            }
        })
        .collect()
}

/// Each node's state (`docker node ls` STATUS) at the action, and its changes in order: same
/// state, time within tolerance of the real one — when a silent node went `down` is when its
/// heartbeat deadline passed, and when it was `ready` again is when its agent registered; a
/// model with the wrong heartbeat period, or a restarted daemon that re-registers at the wrong
/// time, fails here even when every task matched. Matched as the UpdateStatus changes are: the
/// simulation's changes up to the window end, and as many later ones within the tolerance of
/// the end as the real run has more. A node on one side only fails its first measure.
fn node_state_changes(real: &NodeStates, sim: &NodeStates, w: f64, tol: &Tolerance) -> Vec<Measure> {
    let names: BTreeSet<&String> = real.keys().chain(sim.keys()).collect();
    let mut measures = Vec::new();
    for node in names {
        let (r, s) = (real.get(node), sim.get(node));
        let first =
            |x: Option<&(String, Vec<(f64, String)>)>| x.map_or("-".to_string(), |(initial, _)| initial.clone());
        measures.push(Measure::exact(format!("node {node}: state at the action"), first(r), first(s)));
        let (Some((_, real_changes)), Some((_, sim_changes))) = (r, s) else {
            continue;
        };
        let within = sim_changes.iter().filter(|(t, _)| *t <= w);
        let late = sim_changes.iter().filter(|(t, _)| *t > w && *t <= w + tol.allowed(w));
        let within_count = within.clone().count();
        let simulated: Vec<&(f64, String)> =
            within.chain(late.take(real_changes.len().saturating_sub(within_count))).collect();
        for i in 0..real_changes.len().max(simulated.len()) {
            let name = format!("node {node}: state change #{}", i + 1);
            measures.push(match (real_changes.get(i), simulated.get(i)) {
                // A state the real node was seen leaving but not entering: no time to judge.
                (Some((tr, sr)), Some(_)) if tr.is_nan() => {
                    Measure::exact(format!("{name} (its real time unseen)"), sr.clone(), simulated[i].1.clone())
                }
                (Some((tr, sr)), Some((ts, ss))) if sr == ss => {
                    Measure::time(format!("{name}: {sr}"), *tr, Some(*ts), tol.allowed(*tr))
                }
                (r, s) => {
                    let cell = |x: Option<&(f64, String)>| {
                        x.map_or(
                            "-".to_string(),
                            |(t, st)| if t.is_nan() { st.clone() } else { format!("{st} @ {t:.3}s") },
                        )
                    };
                    Measure::exact(name, cell(r), cell(s.copied()))
                }
            });
        }
    }
    measures
}

/// The number of distinct slots given a task of `target_image` before the update first stopped
/// (`paused`, `completed`, `rollback_started`, …): how far a bad update got. Tasks count on both
/// sides alike, whoever made them (a trace cannot tell the updater's from the restart
/// supervisor's: a node lost during an update is refilled with the new spec, as m06 shows), when
/// created before the stop or in its instant: a worker freed by the failure may take its next
/// slot in the same instant (Go's `select`), which a trace's millisecond timestamps put 0–1 ms
/// before the status change (s22 r5, m06 r2). A simulation knows the order within an instant: a
/// replacement the restart supervisor makes in the instant of a rollback is not the update's.
///
/// Creation times are exact on both sides (the trace's `new` row is the task's CreatedAt), and
/// counting slots, not tasks, makes restarts of an already replaced slot irrelevant. A run with
/// no UpdateStatus at all (a creation, a node failure) replaced nothing: 0.
pub fn forward_slots(run: &RunObs, target_image: &str, end: f64) -> usize {
    if run.status.is_empty() {
        return 0;
    }
    // An update still going when the recording ended is counted up to its end.
    let cut = run.first_terminal_status().unwrap_or(f64::INFINITY).min(end);
    let mut slots: Vec<u64> = run
        .tasks
        .iter()
        .filter(|t| t.image == target_image)
        .filter(|t| {
            t.created_after_action()
                .is_some_and(|c| c < cut || (c == cut && t.origin.is_none_or(|o| o == Origin::Update)))
        })
        .map(|t| t.slot)
        .collect();
    slots.sort_unstable();
    slots.dedup();
    slots.len()
}

/// The order in which slots were first given a new task after the action, as batches of slot
/// kinds. Real creations less than the absolute tolerance apart form one batch (Swarm creates a
/// batch's tasks within milliseconds, in an arbitrary order); the simulated replacements, in
/// creation order, are cut into batches of the same sizes. Exact: same batches, and in each the
/// same kinds of slot history.
fn replacement_order(
    real: &RunObs,
    sim: &RunObs,
    m: &SlotMatching,
    tol: &Tolerance,
    letters: &BTreeMap<String, String>,
) -> Measure {
    let w = m.window_end;
    let real_seq = replacements(real, &m.real_slots, w, letters);
    let sim_seq = replacements(sim, &m.sim_slots, w + tol.allowed(w), letters);
    let mut sizes: Vec<usize> = Vec::new();
    for (k, (t, _)) in real_seq.iter().enumerate() {
        if k == 0 || t - real_seq[k - 1].0 > tol.abs_s {
            sizes.push(0);
        }
        *sizes.last_mut().expect("a batch was opened") += 1;
    }
    let real_batches = chunk(&real_seq, &sizes);
    let sim_batches = if sim_seq.len() == real_seq.len() {
        chunk(&sim_seq, &sizes)
    } else {
        vec![sim_seq.iter().map(|(_, k)| k.clone()).collect()]
    };
    Measure::exact(
        "order of replacement (batches of slot kinds)",
        render_batches(&real_batches),
        render_batches(&sim_batches),
    )
}

/// (creation time of the slot's first task created after the action, slot kind), by time.
fn replacements(
    run: &RunObs,
    slots: &BTreeMap<u64, SlotHistory>,
    end: f64,
    letters: &BTreeMap<String, String>,
) -> Vec<(f64, String)> {
    let by_slot = run.by_slot();
    let mut out: Vec<(f64, String)> = slots
        .iter()
        .filter_map(|(slot, hist)| {
            let first = by_slot.get(slot)?.iter().filter_map(|t| t.created_after_action()).find(|c| *c <= end)?;
            Some((first, letters[&kind(hist)].clone()))
        })
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    out
}

/// Splits a sequence into batches of the given sizes, each sorted (order within a batch is arbitrary).
fn chunk(seq: &[(f64, String)], sizes: &[usize]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut start = 0;
    for size in sizes {
        let mut batch: Vec<String> = seq[start..start + size].iter().map(|(_, k)| k.clone()).collect();
        batch.sort();
        out.push(batch);
        start += size;
    }
    out
}

/// `[2×A] [B C]`: each batch's slot kinds, by letter.
fn render_batches(batches: &[Vec<String>]) -> String {
    if batches.iter().all(|b| b.is_empty()) {
        return "none".to_string();
    }
    batches.iter().map(|b| format!("[{}]", counted_runs(b).join(" "))).collect::<Vec<_>>().join(" ")
}

/// Each run of equal items once, with its length when longer than one: `[A, A, B]` → `2×A`, `B`.
fn counted_runs(items: &[String]) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut k = 0;
    while k < items.len() {
        let same = items[k..].iter().take_while(|x| **x == items[k]).count();
        parts.push(if same > 1 { format!("{same}×{}", items[k]) } else { items[k].clone() });
        k += same;
    }
    parts
}

/// A letter per slot kind seen on either side (`A`, `B`, … in kind order), so that the order
/// measure stays short; the kind rows say which letter is which.
fn kind_letters(m: &SlotMatching) -> BTreeMap<String, String> {
    let kinds: std::collections::BTreeSet<String> =
        m.real_slots.values().chain(m.sim_slots.values()).map(kind).collect();
    kinds.into_iter().enumerate().map(|(i, k)| (k, letter(i))).collect()
}

/// `A`…`Z`, then `A1`, `B1`, …
fn letter(i: usize) -> String {
    let c = char::from(b'A' + (i % 26) as u8);
    if i < 26 { c.to_string() } else { format!("{c}{}", i / 26) }
}

/// How many slots of each kind (each task's image and final state), on both sides.
fn kind_counts(m: &SlotMatching, letters: &BTreeMap<String, String>) -> Vec<Measure> {
    let mut kinds: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for h in m.real_slots.values() {
        kinds.entry(kind(h)).or_default().0 += 1;
    }
    for h in m.sim_slots.values() {
        kinds.entry(kind(h)).or_default().1 += 1;
    }
    kinds.into_iter().map(|(k, (r, s))| Measure::count(format!("slots {}: {k}", letters[&k]), r, s)).collect()
}

/// Running tasks per node at the window end. As with the slot histories, the simulation may be
/// read anywhere within the tolerance of that end: a task that became running just after the
/// trace's last row is not a mismatch.
fn per_node_at_end(real: &RunObs, sim: &RunObs, w: f64, tol: &Tolerance) -> Measure {
    let wanted = per_node(real, w);
    let (lo, hi) = (w - tol.allowed(w), w + tol.allowed(w));
    let mut instants: Vec<f64> = vec![w, lo];
    instants.extend(sim.tasks.iter().flat_map(|t| t.states.iter().map(|(t, _)| *t)).filter(|t| *t > lo && *t <= hi));
    instants.sort_by(|a, b| (a - w).abs().total_cmp(&(b - w).abs()));
    let shown = instants.iter().map(|t| per_node(sim, *t)).find(|v| *v == wanted).unwrap_or_else(|| per_node(sim, w));
    Measure::exact("tasks running per node at the window end", wanted, shown)
}

/// `mn-w1: 3, vm: 3`.
fn per_node(run: &RunObs, t: f64) -> String {
    let counts = run.running_per_node(t);
    if counts.is_empty() {
        return "none".to_string();
    }
    counts.iter().map(|(n, c)| format!("{n}: {c}")).collect::<Vec<_>>().join(", ")
}

/// For each paired task: when it was created (if after the action), reached running, and
/// reached its terminal state, as far as the real task did within the window; and, for a task
/// created after the action, how long it took from its creation to each of the others.
///
/// The durations are judged on their own length (max(0.5 s, 10 %) of the real duration): the
/// allowance on an instant grows with the time since the action, so late in a recording a
/// wrong restart delay or health timing could hide inside it, while the task's own lifetime
/// shows it plainly.
fn task_times(real: &RunObs, sim: &RunObs, m: &SlotMatching, tol: &Tolerance, spread: &Spread) -> Vec<Measure> {
    let mut out = Vec::new();
    for pair in &m.pairs {
        for (k, (rt, st)) in matching::paired_tasks(real, sim, pair, m.window_end).into_iter().enumerate() {
            let task = format!("slot {}~{} task {} ({})", pair.real, pair.sim, k + 1, short(&rt.image));
            let events = matching::timed_events(rt, m.window_end);
            // A container the simulation removed well inside the window, where the recording
            // shows none removed: the reverse of a missing event.
            let real_removed = events.iter().any(|(e, _)| e == "removed");
            if let Some(s) = st.removed.filter(|&s| !real_removed && s > 0.0 && s + tol.allowed(s) < m.window_end) {
                out.push(Measure::missing(format!("{task} removed"), "-", format!("{s:.3}s")));
            }
            for (event, t) in &events {
                let widened = spread.events.get(&(pair.real, k, event.clone())).copied();
                out.push(Measure::time(
                    format!("{task} {event}"),
                    *t,
                    matching::sim_time_of(st, event),
                    allowed(tol, *t, widened),
                ));
            }
            let Some(&(_, created)) = events.iter().find(|(e, _)| e == "created") else { continue };
            let sim_created = st.created_after_action();
            for (event, t) in events.iter().filter(|(e, _)| e != "created") {
                let real_d = t - created;
                let sim_d = sim_created.zip(matching::sim_time_of(st, event)).map(|(c, e)| e - c);
                out.push(Measure::time(
                    format!("{task} created → {event} (duration)"),
                    real_d,
                    sim_d,
                    tol.allowed(real_d),
                ));
            }
        }
    }
    out
}

/// One measure per slot: its history (each task's image and final state) is the simulated
/// slot's it was paired with, or, for a slot left unpaired, a failure showing both sides: the
/// unpaired slot and its closest counterpart, if any.
fn slot_histories(m: &SlotMatching) -> Vec<Measure> {
    let mut out: Vec<Measure> = m
        .pairs
        .iter()
        .map(|p| {
            let (real, sim) = (kind(&m.real_slots[&p.real]), kind(&m.sim_slots[&p.sim]));
            let mut measure = Measure::exact(format!("slot {}~{} history", p.real, p.sim), real, sim);
            // The pairing rule (real states ⊆ simulated, same tasks and final states) holds.
            measure.within_tolerance = true;
            measure
        })
        .collect();
    for (r, s) in &m.unpaired {
        let name = match (r, s) {
            (Some(r), Some(s)) => format!("slot {r}~{s} history (no simulated slot matches real slot {r})"),
            (Some(r), None) => format!("slot {r} history (no simulated slot left for it)"),
            (None, Some(s)) => format!("simulated slot {s} history (no real slot matches it)"),
            (None, None) => continue,
        };
        let real = r.map_or("-".to_string(), |r| kind(&m.real_slots[&r]));
        let sim = s.map_or("-".to_string(), |s| kind(&m.sim_slots[&s]));
        out.push(Measure::missing(name, real, sim));
    }
    out
}

/// The timed events of real slots left unpaired: each is a measure the simulation failed, so
/// that a run whose interesting slots do not pair is not judged on the few measures left.
fn unpaired_task_times(real: &RunObs, m: &SlotMatching) -> Vec<Measure> {
    let by_slot = real.by_slot();
    let mut out = Vec::new();
    for slot in m.unpaired.iter().filter_map(|(r, _)| *r) {
        for (k, task) in matching::window_tasks(&by_slot[&slot], m.window_end).into_iter().enumerate() {
            for (event, t) in matching::timed_events(task, m.window_end) {
                let mut measure = Measure::time(
                    format!("slot {slot} task {} ({}) {event} (slot unpaired)", k + 1, short(&task.image)),
                    t,
                    None,
                    0.0,
                );
                measure.allowed_s = None;
                out.push(measure);
            }
        }
    }
    out
}

/// Full slot histories of a run whose slots do not all pair up.
fn unpaired_details(real: &RunObs, m: &SlotMatching) -> Vec<String> {
    if m.complete() {
        return Vec::new();
    }
    let mut d = format!("slot histories, {} vs simulation (cut at {:.3}s; ✗ = unpaired):\n", real.label, m.window_end);
    for (slot, hist) in &m.real_slots {
        let mark = if m.real_paired(*slot) { " " } else { "✗" };
        let _ = writeln!(d, "  {mark} {} slot {slot}: {}", real.label, full(hist));
    }
    for (slot, hist) in &m.sim_slots {
        let mark = if m.sim_paired(*slot) { " " } else { "✗" };
        let _ = writeln!(d, "  {mark} sim slot {slot}: {}", full(hist));
    }
    vec![d]
}

/// `websim:v2-trap` → `v2-trap`: a scenario's images usually share a repository; the tag is the news.
pub fn short(image: &str) -> &str {
    image.rsplit_once(':').map_or(image, |(_, tag)| tag)
}

/// A slot history in brief: each task's image and final state.
/// Runs of equal tasks are written once with their count (`24×crash:failed`): a crash loop's
/// slot stays one readable line.
pub fn kind(h: &SlotHistory) -> String {
    let tasks: Vec<String> =
        h.iter().map(|(i, s)| format!("{}:{}", short(i), s.last().map_or("?", |s| s.as_str()))).collect();
    counted_runs(&tasks).join(" > ")
}

/// A slot history in full: each task's image and every distinct state.
fn full(h: &SlotHistory) -> String {
    h.iter().map(|(i, s)| format!("{}({})", short(i), s.join(">"))).collect::<Vec<_>>().join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(changes: &[(f64, &str)]) -> NodeStates {
        let changes = changes.iter().map(|&(t, s)| (t, s.to_string())).collect();
        NodeStates::from([("w1".to_string(), ("ready".to_string(), changes))])
    }

    fn verdicts(real: &NodeStates, sim: &NodeStates) -> Vec<bool> {
        node_state_changes(real, sim, 60.0, &Tolerance::default()).iter().map(|m| m.within_tolerance).collect()
    }

    #[test]
    fn a_node_state_change_is_judged_by_state_and_time() {
        let real = states(&[(12.0, "down"), (62.0, "ready")]);
        // Within max(0.5 s, 10 %): 12 ± 1.2 s, 62 ± 6.2 s.
        assert_eq!(verdicts(&real, &states(&[(12.9, "down"), (57.0, "ready")])), [true, true, true]);
        // A heartbeat deadline 3 s late is a wrong model, whatever the tasks did.
        assert_eq!(verdicts(&real, &states(&[(15.0, "down"), (62.0, "ready")])), [true, false, true]);
        // A missing change, or another state, fails; so does an extra one within the window.
        assert_eq!(verdicts(&real, &states(&[(12.0, "down")])), [true, true, false]);
        assert_eq!(verdicts(&real, &states(&[(12.0, "unknown"), (62.0, "ready")])), [true, false, true]);
        assert_eq!(
            verdicts(&real, &states(&[(12.0, "down"), (40.0, "ready"), (50.0, "down")])),
            [true, true, false, false]
        );
        // A change after the window (60 s) beyond its tolerance is not the simulation's to show.
        assert_eq!(verdicts(&states(&[(12.0, "down")]), &states(&[(12.0, "down"), (70.0, "ready")])), [true, true]);
        // A node on one side only fails.
        let other = NodeStates::from([("w2".to_string(), ("ready".to_string(), vec![]))]);
        assert!(verdicts(&states(&[]), &other).iter().any(|ok| !ok));
    }

    #[test]
    fn a_change_whose_real_time_was_unseen_is_judged_by_state_only() {
        let real = states(&[(f64::NAN, "unknown"), (11.5, "ready")]);
        assert_eq!(verdicts(&real, &states(&[(10.7, "unknown"), (11.8, "ready")])), [true, true, true]);
        assert_eq!(verdicts(&real, &states(&[(10.7, "down"), (11.8, "ready")])), [true, false, true]);
    }
}

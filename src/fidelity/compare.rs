//! The fidelity measures, computed the same way on a real and a simulated run, and their verdict:
//! exact for states, order, counts and the final status; within the tolerance for times.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::matching::{self, SlotHistory, SlotMatching};
use super::observe::RunObs;
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
    /// Whether the simulation is within tolerance (exact rules: equal).
    pub within_tolerance: bool,
}

impl Measure {
    fn exact(measure: impl Into<String>, real: impl Into<String>, sim: impl Into<String>) -> Measure {
        let (real, simulated) = (real.into(), sim.into());
        let within_tolerance = real == simulated;
        Measure { measure: measure.into(), rule: "exact", real, simulated, difference: None, within_tolerance }
    }

    fn count(measure: impl Into<String>, real: u64, sim: u64) -> Measure {
        let mut m = Measure::exact(measure, real.to_string(), sim.to_string());
        m.difference = Some(sim as f64 - real as f64);
        m
    }

    fn time(measure: impl Into<String>, real: f64, sim: Option<f64>, tolerance: &Tolerance) -> Measure {
        Measure {
            measure: measure.into(),
            rule: "time",
            real: format!("{real:.3}s"),
            simulated: sim.map_or("-".to_string(), |s| format!("{s:.3}s")),
            difference: sim.map(|s| ((s - real) * 1000.0).round() / 1000.0),
            within_tolerance: sim.is_some_and(|s| tolerance.within(real, s)),
        }
    }
}

/// The simulation against one real run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunComparison {
    /// The run's label (`r1`).
    pub label: String,
    /// The trace's path prefix (empty when not from a file).
    pub trace: String,
    /// The end of the compared window: the trace's last row, seconds after the action.
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

/// The simulation against every real run given.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// The simulated service compared.
    pub service: String,
    /// True when the simulation need only match one real run (a documented race).
    pub any_run: bool,
    /// The timing tolerance used.
    pub tolerance: Tolerance,
    /// The verdict: every run matched, or (any_run) at least one.
    pub passed: bool,
    /// The fidelity score, 0–1: the mean of the runs' scores, or (any_run) the best one.
    pub score: f64,
    /// One comparison per real run, in the order given.
    pub runs: Vec<RunComparison>,
}

impl Comparison {
    /// Whether the simulation matches real run `i` on every measure.
    pub fn run_matches(&self, i: usize) -> bool {
        self.runs[i].passed
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
    /// Match any run instead of every run.
    pub any_run: bool,
    /// Timing tolerance.
    pub tolerance: Tolerance,
}

/// Compares the simulation with each real run (`traces[i]` is run i's path, for the report).
pub fn compare(setup: &Setup, reals: &[RunObs], traces: &[String], sim: &RunObs) -> Comparison {
    let mut setup = setup.clone();
    // A race has several legitimate outcomes: comparing its runs with each other measures the
    // race, not noise.
    if !setup.any_run {
        setup.tolerance.noise_s = run_to_run_noise(&setup, reals);
    }
    let setup = &setup;
    let runs: Vec<RunComparison> = reals
        .iter()
        .enumerate()
        .map(|(i, r)| compare_run(setup, r, traces.get(i).cloned().unwrap_or_default(), sim))
        .collect();
    let scores = runs.iter().map(|r| r.score);
    let (passed, score) = if setup.any_run {
        (runs.iter().any(|r| r.passed), scores.fold(0.0, f64::max))
    } else {
        (runs.iter().all(|r| r.passed), scores.sum::<f64>() / runs.len().max(1) as f64)
    };
    Comparison {
        scenario: setup.scenario.to_string(),
        service: setup.service.to_string(),
        any_run: setup.any_run,
        tolerance: setup.tolerance,
        passed,
        score,
        runs,
    }
}

/// The largest difference on a time measure between two real runs that otherwise agree
/// (same states and pairings), beyond the base tolerance's own allowance: how much the real
/// system varies by itself. 0 with fewer than two runs.
pub fn run_to_run_noise(setup: &Setup, reals: &[RunObs]) -> f64 {
    let mut base = setup.clone();
    base.tolerance.noise_s = 0.0;
    let mut noise: f64 = 0.0;
    for (i, a) in reals.iter().enumerate() {
        for b in &reals[i + 1..] {
            for m in compare_run(&base, a, String::new(), b).measures {
                if let ("time", Some(d)) = (m.rule, m.difference) {
                    noise = noise.max(d.abs());
                }
            }
        }
    }
    // Only the spread beyond what the base tolerance already allows widens it.
    (noise - base.tolerance.abs_s).max(0.0)
}

/// Every measure of one real run against the simulation.
fn compare_run(setup: &Setup, real: &RunObs, trace: String, sim: &RunObs) -> RunComparison {
    let tol = &setup.tolerance;
    let w = real.last_row.unwrap_or(0.0);
    let m = matching::match_slots(real, sim, tol);
    let mut measures = vec![Measure::exact("final UpdateStatus", &real.final_state, &sim.final_state)];
    measures.extend(status_changes(real, sim, tol));
    measures.push(Measure::count(
        format!("slots given a {} task before the first pause/completion/rollback", short(setup.target_image)),
        replaced_slots(real, setup.target_image) as u64,
        replaced_slots(sim, setup.target_image) as u64,
    ));
    let letters = kind_letters(&m);
    measures.push(replacement_order(real, sim, &m, tol, &letters));
    measures.extend(kind_counts(&m, &letters));
    // Not a plain equality of the two cells: "5/6" on both sides is still a failure.
    let mut paired = Measure::exact(
        "slot histories paired (real states ⊆ simulated, same final)",
        format!("{}/{} slots", m.pairs.len(), m.real_slots.len()),
        format!("{}/{} slots", m.pairs.len(), m.sim_slots.len()),
    );
    paired.within_tolerance = m.complete();
    measures.push(paired);
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
    measures.extend(task_times(real, sim, &m, tol));
    let ok = measures.iter().filter(|m| m.within_tolerance).count();
    RunComparison {
        label: real.label.clone(),
        trace,
        window_end_s: w,
        passed: ok == measures.len(),
        score: ok as f64 / measures.len().max(1) as f64,
        notes: vec![format!(
            "window [0, {w:.3}s] (the trace's last row); simulated slots may be cut anywhere in [{:.3}s, {:.3}s]; \
             largest shift used by paired slots: {:.3}s",
            w - tol.allowed(w),
            w + tol.allowed(w),
            m.max_shift()
        )],
        details: unpaired_details(real, &m),
        measures,
    }
}

/// UpdateStatus changes, in order: same state, time within tolerance of the real time.
fn status_changes(real: &RunObs, sim: &RunObs, tol: &Tolerance) -> Vec<Measure> {
    let longest = real.status.len().max(sim.status.len());
    (0..longest)
        .map(|i| {
            let name = format!("UpdateStatus change #{}", i + 1);
            match (real.status.get(i), sim.status.get(i)) {
                (Some((tr, sr)), Some((ts, ss))) if sr == ss => {
                    Measure::time(format!("{name}: {sr}"), *tr, Some(*ts), tol)
                }
                (r, s) => {
                    let cell =
                        |x: Option<&(f64, String)>| x.map_or("-".to_string(), |(t, st)| format!("{st} @ {t:.3}s"));
                    Measure::exact(name, cell(r), cell(s))
                }
            }
        })
        .collect()
}

/// The number of distinct slots that got a task of `target_image` created at or after the
/// action and at or before the first terminal UpdateStatus (`paused`, `completed`,
/// `rollback_started`, …): the tasks an update replaced before it paused or rolled back.
/// Why this definition is comparable:
/// * creation times are exact on both sides (the trace's `new` row is the task's CreatedAt);
/// * counting *slots*, not tasks, makes restarts of an already replaced slot irrelevant (they
///   happen at run-dependent times around the failure);
/// * cutting at the first terminal status excludes the rollback's and the restart loop's tasks;
///   a task of the old image (a rollback) never counts.
///
/// A run with no UpdateStatus at all (a creation, a node failure) replaced nothing: 0.
pub fn replaced_slots(run: &RunObs, target_image: &str) -> usize {
    if run.status.is_empty() {
        return 0;
    }
    let cut = run.first_terminal_status().unwrap_or(f64::INFINITY);
    let mut slots: Vec<u64> = run
        .tasks
        .iter()
        .filter(|t| t.image == target_image && t.created_after_action().is_some_and(|c| c <= cut))
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
    let render = |b: &Vec<String>| {
        let mut parts: Vec<String> = Vec::new();
        let mut k = 0;
        while k < b.len() {
            let same = b[k..].iter().take_while(|x| **x == b[k]).count();
            parts.push(if same > 1 { format!("{same}×{}", b[k]) } else { b[k].clone() });
            k += same;
        }
        format!("[{}]", parts.join(" "))
    };
    batches.iter().map(render).collect::<Vec<_>>().join(" ")
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
/// reached its terminal state, as far as the real task did within the window.
fn task_times(real: &RunObs, sim: &RunObs, m: &SlotMatching, tol: &Tolerance) -> Vec<Measure> {
    let mut out = Vec::new();
    for pair in &m.pairs {
        for (k, (rt, st)) in matching::paired_tasks(real, sim, pair, m.window_end).into_iter().enumerate() {
            for (event, t) in matching::timed_events(rt, m.window_end) {
                let name = format!("slot {}~{} task {} ({}) {event}", pair.real, pair.sim, k + 1, short(&rt.image));
                out.push(Measure::time(name, t, matching::sim_time_of(st, &event), tol));
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
pub fn kind(h: &SlotHistory) -> String {
    h.iter()
        .map(|(i, s)| format!("{}:{}", short(i), s.last().map_or("?", |s| s.as_str())))
        .collect::<Vec<_>>()
        .join(" > ")
}

/// A slot history in full: each task's image and every distinct state.
fn full(h: &SlotHistory) -> String {
    h.iter().map(|(i, s)| format!("{}({})", short(i), s.join(">"))).collect::<Vec<_>>().join("  ")
}

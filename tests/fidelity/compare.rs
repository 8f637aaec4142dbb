//! The fidelity measures (final UpdateStatus, slots replaced, per-slot task histories,
//! UpdateStatus change times), computed the same way on real and simulated runs, and the table
//! that reports them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::observe::{RunObs, TaskObs};

/// The timing tolerance around a real time `t`: max(0.5 s, 10 % of t). Real runs of the same
/// scenario differ by 0.1–0.5 s (summary_notes.md), so anything tighter would test noise.
pub fn tolerance(t: f64) -> f64 {
    (0.1 * t.abs()).max(0.5)
}

/// One line of the report: a measure, its value in each real run and in the simulation, and
/// whether the simulation is within tolerance of each real run.
#[derive(Clone, Debug)]
pub struct Row {
    pub measure: String,
    pub real: Vec<String>,
    pub sim: String,
    pub ok: Vec<bool>,
}

/// All measures of one scenario.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub scenario: String,
    pub run_labels: Vec<String>,
    /// True when the simulation need only match one of the real runs (a documented race).
    pub any_run: bool,
    pub rows: Vec<Row>,
    /// Full slot histories of the runs the simulation does not match, for diagnosis.
    pub details: Vec<String>,
    /// Window ends and tolerances, for the header.
    pub notes: Vec<String>,
}

impl Comparison {
    /// Whether the simulation matches real run `i` on every measure.
    pub fn run_matches(&self, i: usize) -> bool {
        self.rows.iter().all(|r| r.ok[i])
    }

    /// The verdict: every run matched, or (race scenarios) at least one.
    pub fn passed(&self) -> bool {
        let mut matches = (0..self.run_labels.len()).map(|i| self.run_matches(i));
        if self.any_run { matches.any(|m| m) } else { matches.all(|m| m) }
    }

    /// The report: a header, the table, then details of unmatched slot histories.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let rule = if self.any_run {
            "must match at least one real run (a race: two legitimate outcomes)"
        } else {
            "must match every real run"
        };
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(out, "fidelity {}: {verdict} ({rule})", self.scenario);
        for note in &self.notes {
            let _ = writeln!(out, "  {note}");
        }
        let mut header = vec!["measure".to_string()];
        header.extend(self.run_labels.iter().map(|l| format!("real {l}")));
        header.push("simulated".to_string());
        header.push("within tolerance".to_string());
        let mut lines = vec![header];
        for row in &self.rows {
            let mut line = vec![row.measure.clone()];
            line.extend(row.real.iter().cloned());
            line.push(row.sim.clone());
            let failed: Vec<&str> =
                self.run_labels.iter().zip(&row.ok).filter(|(_, ok)| !**ok).map(|(l, _)| l.as_str()).collect();
            line.push(if failed.is_empty() { "yes".to_string() } else { format!("NO ({})", failed.join(", ")) });
            lines.push(line);
        }
        let widths: Vec<usize> =
            (0..lines[0].len()).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
        for (n, line) in lines.iter().enumerate() {
            let cells: Vec<String> = line.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
            if n == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                let _ = writeln!(out, "|-{}-|", rule.join("-|-"));
            }
        }
        for d in &self.details {
            let _ = writeln!(out, "{d}");
        }
        out
    }
}

/// Compares the simulation with each real run of a scenario. `target_image` is the image the
/// action asks for (the image of the update's new tasks).
pub fn compare(scenario: &str, reals: &[RunObs], sim: &RunObs, target_image: &str, any_run: bool) -> Comparison {
    let mut rows = Vec::new();
    let mut details = Vec::new();
    let mut notes = Vec::new();
    let n = reals.len();

    // 1. Final UpdateStatus: exact.
    rows.push(Row {
        measure: "final UpdateStatus".into(),
        real: reals.iter().map(|r| r.final_state.clone()).collect(),
        sim: sim.final_state.clone(),
        ok: reals.iter().map(|r| r.final_state == sim.final_state).collect(),
    });

    // 2. Slots replaced by the update before its first terminal status: exact.
    let sim_replaced = replaced_slots(sim, target_image);
    rows.push(Row {
        measure: format!("slots given a {} task in [action, first terminal status]", short(target_image)),
        real: reals.iter().map(|r| replaced_slots(r, target_image).to_string()).collect(),
        sim: sim_replaced.to_string(),
        ok: reals.iter().map(|r| replaced_slots(r, target_image) == sim_replaced).collect(),
    });

    // 4. (listed before the slot histories: short rows first) UpdateStatus changes, in order:
    // same state, time within tolerance of the real time.
    let longest = reals.iter().map(|r| r.status.len()).chain([sim.status.len()]).max().unwrap_or(0);
    for i in 0..longest {
        let cell = |s: Option<&(f64, String)>| s.map_or("-".to_string(), |(t, st)| format!("{st} @ {t:.3}s"));
        let sim_i = sim.status.get(i);
        rows.push(Row {
            measure: format!("UpdateStatus change #{}", i + 1),
            real: reals.iter().map(|r| cell(r.status.get(i))).collect(),
            sim: cell(sim_i),
            ok: reals
                .iter()
                .map(|r| match (r.status.get(i), sim_i) {
                    (Some((tr, sr)), Some((ts, ss))) => sr == ss && (ts - tr).abs() <= tolerance(*tr),
                    _ => false,
                })
                .collect(),
        });
    }

    // 3. Per-slot task histories.
    let matchings: Vec<SlotMatching> = reals.iter().map(|r| match_slots(r, sim)).collect();
    // The simulated column shows the simulation as cut for the first run it matches (or r1).
    let shown = (0..n).find(|&i| matchings[i].complete()).unwrap_or(0);
    let mut kinds: BTreeMap<String, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, m) in matchings.iter().enumerate() {
        for k in &m.real_kinds {
            kinds.entry(k.clone()).or_insert_with(|| (vec![0; n], vec![0; n])).0[i] += 1;
        }
        for k in &m.sim_kinds {
            kinds.entry(k.clone()).or_insert_with(|| (vec![0; n], vec![0; n])).1[i] += 1;
        }
    }
    for (kind, (real_counts, sim_counts)) in &kinds {
        rows.push(Row {
            measure: format!("slots: {kind}"),
            real: real_counts.iter().map(|c| c.to_string()).collect(),
            sim: sim_counts[shown].to_string(),
            ok: (0..n).map(|i| real_counts[i] == sim_counts[i]).collect(),
        });
    }
    rows.push(Row {
        measure: "slot histories matched (real states ⊆ simulated, same final)".into(),
        real: matchings.iter().map(|m| format!("{}/{} slots", m.matched, m.real_slots.len())).collect(),
        sim: format!("{} slots", matchings[shown].sim_slots.len()),
        ok: matchings.iter().map(|m| m.complete()).collect(),
    });

    for (r, m) in reals.iter().zip(&matchings) {
        let w = r.last_row.unwrap_or(0.0);
        notes.push(format!(
            "{}: window [0, {w:.3}s] (trace's last row); simulated slots may end anywhere in [{:.3}s, {:.3}s]; \
             largest shift used by matched slots: {:.3}s",
            r.label,
            w - tolerance(w),
            w + tolerance(w),
            m.max_shift
        ));
        if !m.complete() {
            let mut d = format!("slot histories, {} vs simulation (cut at {w:.3}s):\n", r.label);
            for (slot, hist) in &m.real_slots {
                let mark = if m.real_matched.contains(slot) { " " } else { "✗" };
                let _ = writeln!(d, "  {mark} {} slot {slot}: {}", r.label, full(hist));
            }
            for (slot, hist) in &m.sim_slots {
                let mark = if m.sim_matched.contains(slot) { " " } else { "✗" };
                let _ = writeln!(d, "  {mark} sim slot {slot}: {}", full(hist));
            }
            details.push(d);
        }
    }
    Comparison {
        scenario: scenario.to_string(),
        run_labels: reals.iter().map(|r| r.label.clone()).collect(),
        any_run,
        rows,
        details,
        notes,
    }
}

/// Measure 2. The number of distinct slots that got a task of `target_image` created at or after
/// the action and at or before the first terminal UpdateStatus (`paused`, `completed`,
/// `rollback_started`, …). Why this definition is comparable:
/// * creation times are exact on both sides (the trace's `new` row is the task's CreatedAt);
/// * counting *slots*, not tasks, makes restarts of an already replaced slot irrelevant (they
///   happen at run-dependent times around the failure);
/// * cutting at the first terminal status excludes the rollback's and the restart loop's tasks;
///   a task of the old image (a rollback) never counts.
///
/// A run with no UpdateStatus at all (s08, whose action is the creation) replaced nothing: 0.
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

/// A slot's history within a window: its tasks in creation order, each (image, distinct states).
pub type SlotHistory = Vec<(String, Vec<String>)>;

/// The history of one slot's tasks, cut at `cut`.
fn slot_history(tasks: &[&TaskObs], cut: f64) -> SlotHistory {
    tasks.iter().filter_map(|t| t.window_states(cut).map(|s| (t.image.clone(), s))).collect()
}

/// Measure 3 for one slot pair: same tasks (by image, in order), and for each task the real
/// distinct states are a subsequence of the simulated ones (the poll misses short-lived states;
/// the simulator records every state) with the same final state.
pub fn history_matches(real: &SlotHistory, sim: &SlotHistory) -> bool {
    real.len() == sim.len()
        && real.iter().zip(sim).all(|((ri, rs), (si, ss))| ri == si && is_subsequence(rs, ss) && rs.last() == ss.last())
}

/// True when `needle` appears in `hay` in order (not necessarily contiguously).
pub fn is_subsequence(needle: &[String], hay: &[String]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|n| it.any(|h| h == n))
}

/// The result of pairing a real run's slots with the simulation's.
struct SlotMatching {
    real_slots: BTreeMap<u64, SlotHistory>,
    /// Simulated slot histories cut at the matched cut (or the window end when unmatched).
    sim_slots: BTreeMap<u64, SlotHistory>,
    real_matched: Vec<u64>,
    sim_matched: Vec<u64>,
    matched: usize,
    /// The largest distance between the real window end and a matched simulated slot's cut.
    max_shift: f64,
    real_kinds: Vec<String>,
    sim_kinds: Vec<String>,
}

impl SlotMatching {
    fn complete(&self) -> bool {
        self.matched == self.real_slots.len() && self.matched == self.sim_slots.len()
    }
}

/// Pairs the real run's slots with the simulation's, up to renumbering: which slot Swarm updates
/// first is arbitrary (r1 and r2 of the same scenario differ), so only the multiset of slot
/// histories is comparable. The real window is [0, last row]; each simulated slot may be cut
/// anywhere within the timing tolerance of that end, so that a transition the real run made just
/// before its last row and the simulation made slightly later (or the reverse) is not a mismatch.
fn match_slots(real: &RunObs, sim: &RunObs) -> SlotMatching {
    let w = real.last_row.expect("a trace has a last row");
    let tol = tolerance(w);
    let real_slots: BTreeMap<u64, SlotHistory> = real
        .by_slot()
        .into_iter()
        .map(|(s, tasks)| (s, slot_history(&tasks, w)))
        .filter(|(_, h)| !h.is_empty())
        .collect();
    let sim_by_slot = sim.by_slot();
    // Candidate cuts per simulated slot: the window's lower end, then every event time of the
    // slot inside the window (the history is constant between events).
    // Candidates are tried nearest to `w` first, so a match reports the smallest shift needed.
    let candidates: BTreeMap<u64, Vec<(f64, SlotHistory)>> = sim_by_slot
        .iter()
        .map(|(s, tasks)| {
            let mut cuts = vec![w - tol];
            cuts.extend(
                tasks.iter().flat_map(|t| t.states.iter().map(|(t, _)| *t)).filter(|t| *t > w - tol && *t <= w + tol),
            );
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
            (*s, with_distance.into_iter().map(|(d, c)| (d, slot_history(tasks, c))).collect())
        })
        .filter(|(_, hs): &(u64, Vec<(f64, SlotHistory)>)| hs.iter().any(|(_, h)| !h.is_empty()))
        .collect();
    let real_keys: Vec<u64> = real_slots.keys().copied().collect();
    let sim_keys: Vec<u64> = candidates.keys().copied().collect();
    // compat[i][j]: the history of the j-th simulated slot at the first cut matching real slot i.
    let compat: Vec<Vec<Option<usize>>> = real_keys
        .iter()
        .map(|rk| {
            sim_keys
                .iter()
                .map(|sk| candidates[sk].iter().position(|(_, h)| history_matches(&real_slots[rk], h)))
                .collect()
        })
        .collect();
    // Kuhn's augmenting paths: at most a few slots, so the simple algorithm is plenty.
    let mut owner: Vec<Option<usize>> = vec![None; sim_keys.len()];
    fn augment(i: usize, compat: &[Vec<Option<usize>>], seen: &mut [bool], owner: &mut [Option<usize>]) -> bool {
        for j in 0..owner.len() {
            if compat[i][j].is_some() && !seen[j] {
                seen[j] = true;
                if owner[j].is_none_or(|k| augment(k, compat, seen, owner)) {
                    owner[j] = Some(i);
                    return true;
                }
            }
        }
        false
    }
    let mut matched = 0;
    for i in 0..real_keys.len() {
        if augment(i, &compat, &mut vec![false; sim_keys.len()], &mut owner) {
            matched += 1;
        }
    }
    // Simulated histories for display: at the matched cut, else at the window end.
    let mut sim_slots = BTreeMap::new();
    let mut sim_matched = Vec::new();
    let mut real_matched = Vec::new();
    let mut max_shift: f64 = 0.0;
    for (j, sk) in sim_keys.iter().enumerate() {
        let hist = match owner[j] {
            Some(i) => {
                real_matched.push(real_keys[i]);
                sim_matched.push(*sk);
                let (shift, hist) = &candidates[sk][compat[i][j].expect("matched pairs are compatible")];
                max_shift = max_shift.max(*shift);
                hist.clone()
            }
            None => slot_history(&sim_by_slot[sk], w),
        };
        sim_slots.insert(*sk, hist);
    }
    let real_kinds = real_slots.values().map(kind).collect();
    let sim_kinds = sim_slots.values().map(kind).collect();
    SlotMatching { real_slots, sim_slots, real_matched, sim_matched, matched, max_shift, real_kinds, sim_kinds }
}

/// `websim:v2-trap` → `v2-trap`: every image here is from one repository; the tag is the news.
fn short(image: &str) -> &str {
    image.rsplit_once(':').map_or(image, |(_, tag)| tag)
}

/// A slot history in brief: each task's image and final state.
fn kind(h: &SlotHistory) -> String {
    h.iter()
        .map(|(i, s)| format!("{}:{}", short(i), s.last().map_or("?", |s| s.as_str())))
        .collect::<Vec<_>>()
        .join(" > ")
}

/// A slot history in full: each task's image and every distinct state.
fn full(h: &SlotHistory) -> String {
    h.iter().map(|(i, s)| format!("{}({})", short(i), s.join(">"))).collect::<Vec<_>>().join("  ")
}

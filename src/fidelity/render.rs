//! Renders a [`Comparison`] as a readable table or as JSON.

use std::fmt::Write as _;

use super::compare::{Comparison, Measure, RunComparison};

/// The report: per real run a header, the table (measure, real, simulated, difference, allowed,
/// within tolerance?) of the seed shown for it and details of unpaired slots; with several
/// seeds, which seeds reproduced each run; then the overall verdict and score.
pub fn table(c: &Comparison) -> String {
    let mut out = String::new();
    for run in &c.runs {
        out.push_str(&run_table(c, &run.shown));
        out.push('\n');
    }
    if c.seeds.len() > 1 {
        let _ = writeln!(out, "{} over seeds {}:", c.scenario, seed_list(&c.seeds));
        for run in &c.runs {
            let who = if run.reproduced_by.is_empty() {
                format!("no seed (best: seed {}, score {})", run.shown.seed, percent(run.shown.score))
            } else {
                seed_list(&run.reproduced_by)
            };
            let _ = writeln!(
                out,
                "  real {}: reproduced by {} of {} seeds ({}): {who}",
                run.label,
                run.reproduced_by.len(),
                c.seeds.len(),
                percent(run.share)
            );
        }
        if !c.unmatched_seeds.is_empty() {
            let _ = writeln!(
                out,
                "  on no recorded path: {} of {} seeds ({}): {}",
                c.unmatched_seeds.len(),
                c.seeds.len(),
                percent(c.unmatched_seeds.len() as f64 / c.seeds.len() as f64),
                seed_list(&c.unmatched_seeds)
            );
        }
        out.push('\n');
    }
    let rule = if c.seeds.len() > 1 {
        "every real run must be reproduced by some seed"
    } else {
        "the simulation must match every real run"
    };
    let widened = if c.widened_by_spread { ", or the real runs' own spread where larger" } else { "" };
    let verdict = if c.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(
        out,
        "fidelity {} ({}): {verdict}, score {} ({rule}; each run judged alone, times within max({}s, {}%){widened})",
        c.scenario,
        c.service,
        percent(c.score),
        trim(c.tolerance.abs_s),
        trim(c.tolerance.rel * 100.0)
    );
    out
}

/// JSON with a fixed field order (the structs' declaration order).
pub fn json(c: &Comparison) -> String {
    let mut s = serde_json::to_string_pretty(c).expect("a comparison always serialises");
    s.push('\n');
    s
}

/// `1-3 5 7-9`: seeds in order, runs of consecutive seeds shortened.
fn seed_list(seeds: &[u64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seeds.len() {
        let mut j = i;
        while j + 1 < seeds.len() && seeds[j + 1] == seeds[j] + 1 {
            j += 1;
        }
        parts.push(if j > i { format!("{}-{}", seeds[i], seeds[j]) } else { seeds[i].to_string() });
        i = j + 1;
    }
    parts.join(" ")
}

fn run_table(c: &Comparison, run: &RunComparison) -> String {
    let mut out = String::new();
    let ok = run.measures.iter().filter(|m| m.within_tolerance).count();
    let trace = if run.trace.is_empty() { String::new() } else { format!(" ({})", run.trace) };
    let _ = writeln!(
        out,
        "{} seed {} vs real {}{trace}: {ok}/{} measures within tolerance, score {}",
        c.scenario,
        run.seed,
        run.label,
        run.measures.len(),
        percent(run.score)
    );
    for note in &run.notes {
        let _ = writeln!(out, "  {note}");
    }
    let header = ["measure", "real", "simulated", "difference", "allowed", "within tolerance"];
    let mut lines = vec![header.map(String::from).to_vec()];
    lines.extend(run.measures.iter().map(cells));
    out.push_str(&align(&lines));
    for d in &run.details {
        let _ = writeln!(out, "{d}");
    }
    out
}

fn cells(m: &Measure) -> Vec<String> {
    let diff = match (m.difference, m.rule) {
        (Some(d), "time") => format!("{d:+.3}s"),
        (Some(0.0), _) => "0".to_string(),
        (Some(d), _) => format!("{d:+}"),
        (None, _) => String::new(),
    };
    let verdict = if m.within_tolerance { "yes" } else { "NO" };
    let allowed = m.allowed_s.map_or(String::new(), |a| format!("±{a:.3}s"));
    vec![m.measure.clone(), m.real.clone(), m.simulated.clone(), diff, allowed, verdict.to_string()]
}

/// A Markdown-style table with padded columns.
fn align(lines: &[Vec<String>]) -> String {
    let widths: Vec<usize> =
        (0..lines[0].len()).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (n, line) in lines.iter().enumerate() {
        let cells: Vec<String> =
            line.iter().zip(&widths).map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
        if n == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "|-{}-|", rule.join("-|-"));
        }
    }
    out
}

/// `0.9583` → `95.8%`.
fn percent(score: f64) -> String {
    format!("{}%", trim((score * 1000.0).round() / 10.0))
}

/// A number without trailing zeros: `0.5`, `10`.
fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fidelity::Tolerance;
    use crate::fidelity::compare::RunVerdict;

    fn measure(name: &str, rule: &'static str, difference: Option<f64>, ok: bool) -> Measure {
        Measure {
            measure: name.into(),
            rule,
            real: "r".into(),
            simulated: "s".into(),
            difference,
            allowed_s: (rule == "time").then_some(0.5),
            within_tolerance: ok,
        }
    }

    #[test]
    fn table_shows_differences_and_verdicts() {
        // Checks the cell formats (signed seconds for times, signed counts, blank when not
        // numeric), the allowance, the NO marker, the per-run and overall scores, and the seed
        // summary.
        let run = |seed, passed| RunComparison {
            label: "r1".into(),
            trace: "t/x.r1".into(),
            seed,
            window_end_s: 10.0,
            passed,
            score: 2.0 / 3.0,
            measures: vec![
                measure("a time", "time", Some(-0.25), true),
                measure("a count", "exact", Some(1.0), false),
                measure("a state", "exact", None, true),
            ],
            notes: vec![],
            details: vec![],
        };
        let verdict = RunVerdict {
            label: "r1".into(),
            trace: "t/x.r1".into(),
            reproduced_by: vec![],
            share: 0.0,
            shown: run(3, false),
        };
        let c = Comparison {
            scenario: "x".into(),
            service: "x_web".into(),
            tolerance: Tolerance::default(),
            widened_by_spread: false,
            seeds: vec![1, 2, 3, 5],
            passed: false,
            score: 2.0 / 3.0,
            runs: vec![verdict],
            unmatched_seeds: vec![1, 2, 3, 5],
        };
        let t = table(&c);
        assert!(t.contains("x seed 3 vs real r1 (t/x.r1): 2/3 measures within tolerance, score 66.7%"), "{t}");
        assert!(t.contains("| a time  | r    | s         | -0.250s    | ±0.500s | yes              |"), "{t}");
        assert!(t.contains("| a count | r    | s         | +1         |         | NO               |"), "{t}");
        assert!(t.contains("real r1: reproduced by 0 of 4 seeds (0%): no seed (best: seed 3, score 66.7%)"), "{t}");
        assert!(t.contains("on no recorded path: 4 of 4 seeds (100%): 1-3 5"), "{t}");
        assert!(t.contains("FAIL, score 66.7%"), "{t}");
        let j: serde_json::Value = serde_json::from_str(&json(&c)).expect("valid JSON");
        assert_eq!(j["runs"][0]["shown"]["measures"][2]["difference"], serde_json::Value::Null);
        assert_eq!(j["runs"][0]["shown"]["measures"][0]["allowed_s"], 0.5);
    }
}

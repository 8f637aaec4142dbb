//! Renders a [`Comparison`] as a readable table or as JSON.

use std::fmt::Write as _;

use super::compare::{Comparison, Measure, RunComparison};

/// The report: per real run a header, the table (measure, real, simulated, difference, within
/// tolerance?) and details of unpaired slots; then the overall verdict and score.
pub fn table(c: &Comparison) -> String {
    let mut out = String::new();
    for run in &c.runs {
        out.push_str(&run_table(c, run));
        out.push('\n');
    }
    let rule = if c.any_run { "must match at least one real run (a race)" } else { "must match every real run" };
    let verdict = if c.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(
        out,
        "fidelity {} ({}): {verdict}, score {} ({rule}; times within max({}s, {}%))",
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

fn run_table(c: &Comparison, run: &RunComparison) -> String {
    let mut out = String::new();
    let ok = run.measures.iter().filter(|m| m.within_tolerance).count();
    let trace = if run.trace.is_empty() { String::new() } else { format!(" ({})", run.trace) };
    let _ = writeln!(
        out,
        "{} vs real {}{trace}: {ok}/{} measures within tolerance, score {}",
        c.scenario,
        run.label,
        run.measures.len(),
        percent(run.score)
    );
    for note in &run.notes {
        let _ = writeln!(out, "  {note}");
    }
    let mut lines = vec![["measure", "real", "simulated", "difference", "within tolerance"].map(String::from).to_vec()];
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
    vec![m.measure.clone(), m.real.clone(), m.simulated.clone(), diff, verdict.to_string()]
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

    fn measure(name: &str, rule: &'static str, difference: Option<f64>, ok: bool) -> Measure {
        Measure {
            measure: name.into(),
            rule,
            real: "r".into(),
            simulated: "s".into(),
            difference,
            within_tolerance: ok,
        }
    }

    #[test]
    fn table_shows_differences_and_verdicts() {
        // Checks the cell formats (signed seconds for times, signed counts, blank when not
        // numeric), the NO marker, the per-run and overall scores.
        let run = RunComparison {
            label: "r1".into(),
            trace: "t/x.r1".into(),
            window_end_s: 10.0,
            passed: false,
            score: 2.0 / 3.0,
            measures: vec![
                measure("a time", "time", Some(-0.25), true),
                measure("a count", "exact", Some(1.0), false),
                measure("a state", "exact", None, true),
            ],
            notes: vec![],
            details: vec![],
        };
        let c = Comparison {
            scenario: "x".into(),
            service: "x_web".into(),
            any_run: false,
            tolerance: Tolerance::default(),
            passed: false,
            score: 2.0 / 3.0,
            runs: vec![run],
        };
        let t = table(&c);
        assert!(t.contains("x vs real r1 (t/x.r1): 2/3 measures within tolerance, score 66.7%"), "{t}");
        assert!(t.contains("| a time  | r    | s         | -0.250s    | yes              |"), "{t}");
        assert!(t.contains("| a count | r    | s         | +1         | NO               |"), "{t}");
        assert!(t.contains("FAIL, score 66.7%"), "{t}");
        let j: serde_json::Value = serde_json::from_str(&json(&c)).expect("valid JSON");
        assert_eq!(j["runs"][0]["measures"][2]["difference"], serde_json::Value::Null);
    }
}

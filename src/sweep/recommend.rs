//! `--objective` and `--constraint`: choosing the policy to recommend from `sweep.csv`'s
//! figures.

use super::policy_stats::{Column, metric};

/// Minimise or maximise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// `min:`
    Min,
    /// `max:`
    Max,
}

/// `min:METRIC` or `max:METRIC`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Objective {
    /// Which way is better.
    pub direction: Direction,
    /// A `sweep.csv` column.
    pub metric: String,
}

/// `METRIC>=V` (also `<=`, `>`, `<`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Constraint {
    /// A `sweep.csv` column.
    pub metric: String,
    /// The comparison.
    pub op: &'static str,
    /// The bound.
    pub bound: f64,
}

/// The objective used when `--objective` is not given.
pub(crate) const DEFAULT_OBJECTIVE: &str = "min:duration_p95";
/// The constraint used when no `--constraint` is given.
pub(crate) const DEFAULT_CONSTRAINT: &str = "min_serving_ratio_p5>=0.8";

/// Parses `min:METRIC` / `max:METRIC`, checking the metric against `known`.
pub(crate) fn parse_objective(text: &str, known: &[&str]) -> Result<Objective, String> {
    let (dir, name) =
        text.split_once(':').ok_or_else(|| format!("--objective {text:?}: expected min:METRIC or max:METRIC"))?;
    let direction = match dir {
        "min" => Direction::Min,
        "max" => Direction::Max,
        other => return Err(format!("--objective {text:?}: {other:?} is neither min nor max")),
    };
    Ok(Objective { direction, metric: check_metric(name.trim(), known)? })
}

/// Parses `METRIC>=V`, `METRIC<=V`, `METRIC>V` or `METRIC<V`.
pub(crate) fn parse_constraint(text: &str, known: &[&str]) -> Result<Constraint, String> {
    for op in [">=", "<=", ">", "<"] {
        if let Some((name, bound)) = text.split_once(op) {
            let bound: f64 = bound
                .trim()
                .parse()
                .map_err(|_| format!("--constraint {text:?}: {:?} is not a number", bound.trim()))?;
            return Ok(Constraint { metric: check_metric(name.trim(), known)?, op, bound });
        }
    }
    Err(format!("--constraint {text:?}: expected METRIC>=V, METRIC<=V, METRIC>V or METRIC<V"))
}

fn check_metric(name: &str, known: &[&str]) -> Result<String, String> {
    if known.contains(&name) {
        return Ok(name.to_string());
    }
    let hint = crate::scenario::suggest::did_you_mean_value(name, known)
        .unwrap_or_else(|| format!("one of {}", known.join(", ")));
    Err(format!("unknown metric {name:?}: {hint}"))
}

impl Constraint {
    /// Whether `value` meets the constraint (an undefined value never does).
    pub(crate) fn holds(&self, value: f64) -> bool {
        match self.op {
            ">=" => value >= self.bound,
            "<=" => value <= self.bound,
            ">" => value > self.bound,
            _ => value < self.bound,
        }
    }

    /// `min_serving_ratio_p5 >= 0.8`.
    pub(crate) fn describe(&self) -> String {
        format!("{} {} {}", self.metric, self.op, self.bound)
    }
}

/// The policies meeting every constraint, best first by the objective; ties go to the policy
/// listed first (lower index), so the choice never depends on anything but the figures.
pub(crate) fn ranked(policies: &[Vec<Column>], objective: &Objective, constraints: &[Constraint]) -> Vec<usize> {
    let value = |i: usize| metric(&policies[i], &objective.metric).unwrap_or(f64::NAN);
    let feasible = |i: &usize| constraints.iter().all(|c| metric(&policies[*i], &c.metric).is_some_and(|v| c.holds(v)));
    let mut order: Vec<usize> = (0..policies.len()).filter(feasible).filter(|&i| !value(i).is_nan()).collect();
    order.sort_by(|&a, &b| {
        let by_value = match objective.direction {
            Direction::Min => value(a).total_cmp(&value(b)),
            Direction::Max => value(b).total_cmp(&value(a)),
        };
        by_value.then(a.cmp(&b))
    });
    order
}

/// When no policy meets every constraint: the one that comes nearest (the least summed shortfall,
/// each relative to its bound, an undefined figure counting as infinitely far; ties to the
/// policy listed first), with a line for each constraint it misses and by how much.
pub(crate) fn nearest(policies: &[Vec<Column>], constraints: &[Constraint]) -> Option<(usize, Vec<String>)> {
    let shortfall = |c: &Constraint, v: f64| -> f64 {
        if v.is_nan() {
            return f64::INFINITY;
        }
        if c.holds(v) {
            return 0.0;
        }
        (v - c.bound).abs().max(f64::MIN_POSITIVE) / c.bound.abs().max(1e-9)
    };
    let total = |i: usize| -> f64 {
        constraints.iter().map(|c| shortfall(c, metric(&policies[i], &c.metric).unwrap_or(f64::NAN))).sum()
    };
    let best = (0..policies.len()).min_by(|&a, &b| total(a).total_cmp(&total(b)).then(a.cmp(&b)))?;
    let misses = constraints
        .iter()
        .filter_map(|c| {
            let v = metric(&policies[best], &c.metric).unwrap_or(f64::NAN);
            (shortfall(c, v) > 0.0).then(|| {
                if v.is_nan() {
                    format!("{}: undefined in every run", c.describe())
                } else {
                    format!("{}: {} by {}", c.describe(), trim(v), trim((v - c.bound).abs()))
                }
            })
        })
        .collect();
    Some((best, misses))
}

/// A figure without trailing zeros (`2.5`, `3`).
fn trim(v: f64) -> String {
    let text = format!("{v:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

//! One policy's statistics over its runs, and the columns of `sweep.csv` (which are also the
//! metrics `--objective` and `--constraint` may name).

use super::exec::RunFigures;
use super::stats::{Estimate, mean, percentile, proportion};

/// A named figure of a policy and how many decimals it prints with.
pub(crate) type Column = (&'static str, f64, usize);

/// Every figure of one policy, in `sweep.csv` column order. Durations are seconds (3
/// decimals), ratios and probabilities 4 decimals; `failed_requests_*` only with traffic; the
/// capacity figures (see [`CAPACITY_METRICS`]) only with `capacity`, the reservation ones only
/// when tasks reserved CPU or memory.
pub(crate) fn columns(runs: &[&RunFigures], capacity: bool) -> Vec<Column> {
    let mut durations: Vec<f64> = runs.iter().map(|r| r.success_duration_s()).collect();
    durations.sort_by(f64::total_cmp);
    let mut ratios: Vec<f64> = runs.iter().map(|r| r.min_serving_ratio.as_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    let below: Vec<f64> = runs.iter().map(|r| r.seconds_below_desired.as_nanos() as f64 / 1e9).collect();
    let n = runs.len();
    let mut out = vec![("runs", n as f64, 0)];
    out.extend(with_ci("duration_mean", mean(&durations), 3));
    out.push(("duration_p50", percentile(&durations, 50), 3));
    out.push(("duration_p95", percentile(&durations, 95), 3));
    out.push(("duration_max", durations.last().copied().unwrap_or(f64::NAN), 3));
    out.extend(with_ci("pause_probability", proportion(runs.iter().filter(|r| r.paused).count(), n), 4));
    out.extend(with_ci("rollback_probability", proportion(runs.iter().filter(|r| r.rolled_back).count(), n), 4));
    out.extend(with_ci("min_serving_ratio_mean", mean(&ratios), 4));
    out.push(("min_serving_ratio_p5", percentile(&ratios, 5), 4));
    out.push(("min_serving_ratio_min", ratios.first().copied().unwrap_or(f64::NAN), 4));
    out.push(("seconds_below_desired_mean", mean(&below).value, 3));
    let failed: Option<Vec<f64>> = runs.iter().map(|r| r.failed_requests.map(|f| f as f64)).collect();
    if let Some(failed) = failed.filter(|f| !f.is_empty()) {
        out.extend(with_ci("failed_requests_mean", mean(&failed), 3));
    }
    if capacity {
        out.extend(capacity_columns(runs));
    }
    out
}

/// The capacity figures: only in `sweep.csv` when the sweep's tasks reserve CPU or memory or a
/// goal names one (so that sweeps without either keep their columns).
pub(crate) const CAPACITY_METRICS: &[&str] =
    &["peak_extra_tasks", "peak_reserved_cpus", "cpu_headroom", "peak_reserved_memory_mib", "memory_headroom_mib"];

/// The worst run's: most extra tasks, most reserved, least headroom (CPUs with 3 decimals,
/// MiB with 1).
fn capacity_columns(runs: &[&RunFigures]) -> Vec<Column> {
    let max = |f: &dyn Fn(&RunFigures) -> f64| runs.iter().map(|r| f(r)).fold(f64::NAN, f64::max);
    let min = |f: &dyn Fn(&RunFigures) -> f64| runs.iter().map(|r| f(r)).fold(f64::NAN, f64::min);
    let mut out = vec![("peak_extra_tasks", max(&|r| r.peak_extra_tasks as f64), 0)];
    if runs.iter().any(|r| r.reservations.is_some()) {
        // A run whose tasks reserved nothing reserved 0; its headroom is the whole cluster's,
        // which it does not know: it does not count toward the least headroom.
        let of = |r: &RunFigures, f: &dyn Fn(&crate::model::record::ReservationRecord) -> f64, none: f64| {
            r.reservations.as_ref().map_or(none, f)
        };
        const MIB: f64 = 1024.0 * 1024.0;
        out.push(("peak_reserved_cpus", max(&|r| of(r, &|x| x.peak.nano_cpus as f64 / 1e9, 0.0)), 3));
        out.push(("cpu_headroom", min(&|r| of(r, &|x| x.cpu_headroom() as f64 / 1e9, f64::NAN)), 3));
        out.push(("peak_reserved_memory_mib", max(&|r| of(r, &|x| x.peak.memory_bytes as f64 / MIB, 0.0)), 1));
        out.push(("memory_headroom_mib", min(&|r| of(r, &|x| x.memory_headroom() as f64 / MIB, f64::NAN)), 1));
    }
    out
}

/// Every metric an objective or constraint may name: the columns of a policy with traffic.
pub(crate) fn metric_names() -> Vec<&'static str> {
    let sample = RunFigures {
        policy: 0,
        seed: 1,
        final_state: None,
        duration: None,
        paused: false,
        rolled_back: false,
        min_serving_ratio: crate::report::Ratio::ONE,
        seconds_below_desired: crate::time::SimDuration::ZERO,
        failed_requests: Some(0),
        peak_extra_tasks: 0,
        reservations: Some(Default::default()),
    };
    columns(&[&sample], true).into_iter().map(|(name, _, _)| name).filter(|n| *n != "runs").collect()
}

/// `name`, `name_ci_low`, `name_ci_high`.
fn with_ci(name: &'static str, e: Estimate, decimals: usize) -> [Column; 3] {
    let (low, high) = ci_names(name);
    [(name, e.value, decimals), (low, e.low, decimals), (high, e.high, decimals)]
}

/// The CI column names of a figure (static: the set of figures is fixed).
fn ci_names(name: &str) -> (&'static str, &'static str) {
    match name {
        "duration_mean" => ("duration_mean_ci_low", "duration_mean_ci_high"),
        "pause_probability" => ("pause_probability_ci_low", "pause_probability_ci_high"),
        "rollback_probability" => ("rollback_probability_ci_low", "rollback_probability_ci_high"),
        "min_serving_ratio_mean" => ("min_serving_ratio_mean_ci_low", "min_serving_ratio_mean_ci_high"),
        _ => ("failed_requests_mean_ci_low", "failed_requests_mean_ci_high"),
    }
}

/// A figure as CSV text: fixed decimals, `inf` for infinity, empty when undefined.
pub(crate) fn format_value(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        String::new()
    } else if value.is_infinite() {
        if value > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{value:.decimals$}")
    }
}

/// The value of the metric `name` in `columns`, if the policy has it.
pub(crate) fn metric(columns: &[Column], name: &str) -> Option<f64> {
    columns.iter().find(|(n, _, _)| *n == name).map(|(_, v, _)| *v)
}

//! Judging the new version from a measurement of its requests (Argo's measurement against a
//! `failureCondition`, with `failureLimit` failed measurements tolerated).

use super::Measurement;
use crate::model::strategy::Analysis;
use crate::time::SimTime;

/// What one measurement says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Too few requests to judge (fewer than `min_requests`): neither pass nor fail.
    Inconclusive,
    /// The error rate is within the bound.
    Pass,
    /// The error rate (ppm) exceeds the bound.
    Fail(u32),
}

/// Judges `m` by `analysis` (exact integer comparison: `failed / requests > max`).
pub(crate) fn judge(analysis: &Analysis, m: &Measurement) -> Verdict {
    if m.requests == 0 || m.requests < analysis.min_requests {
        return Verdict::Inconclusive;
    }
    let rate_ppm = (m.failed as u128 * 1_000_000 / m.requests as u128) as u32;
    if m.failed as u128 * 1_000_000 > analysis.max_error_rate_ppm as u128 * m.requests as u128 {
        Verdict::Fail(rate_ppm)
    } else {
        Verdict::Pass
    }
}

/// `12.5%` from ppm.
pub(crate) fn percent(ppm: u32) -> String {
    let tenths = (ppm as u64 + 500) / 1000;
    if tenths.is_multiple_of(10) { format!("{}%", tenths / 10) } else { format!("{}.{}%", tenths / 10, tenths % 10) }
}

/// Counts failed measurements (window `[m.from, now)`) against `failure_limit`: returns the
/// reason to abort when this measurement is one too many.
pub(crate) fn record(analysis: &Analysis, m: &Measurement, now: SimTime, failed_so_far: &mut u32) -> Option<String> {
    let Verdict::Fail(ppm) = judge(analysis, m) else { return None };
    *failed_so_far += 1;
    (*failed_so_far > analysis.failure_limit).then(|| {
        format!(
            "{} of {} requests to the new version failed from {} to {} ({}, more than {})",
            m.failed,
            m.requests,
            m.from.secs_ms(),
            now.secs_ms(),
            percent(ppm),
            percent(analysis.max_error_rate_ppm)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(requests: u64, failed: u64) -> Measurement {
        Measurement { from: SimTime::ZERO, requests, failed }
    }

    #[test]
    fn judges_the_error_rate_exactly() {
        let a = Analysis::default(); // at most 1 %, at least 10 requests
        assert_eq!(judge(&a, &m(9, 9)), Verdict::Inconclusive);
        assert_eq!(judge(&a, &m(100, 1)), Verdict::Pass); // exactly 1 % is not more than 1 %
        assert_eq!(judge(&a, &m(100, 2)), Verdict::Fail(20_000));
        assert_eq!(judge(&a, &m(0, 0)), Verdict::Inconclusive);
        assert_eq!(percent(20_000), "2%");
        assert_eq!(percent(125_000), "12.5%");
    }

    #[test]
    fn failure_limit_tolerates_that_many_failed_measurements() {
        let a = Analysis { failure_limit: 1, ..Analysis::default() };
        let mut failed = 0;
        let now = SimTime(10_000_000_000);
        assert!(record(&a, &m(100, 50), now, &mut failed).is_none());
        assert!(record(&a, &m(100, 0), now, &mut failed).is_none());
        let why = record(&a, &m(100, 50), now, &mut failed).unwrap();
        assert_eq!(why, "50 of 100 requests to the new version failed from 0.000 to 10.000 (50%, more than 1%)");
    }
}

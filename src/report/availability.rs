//! Availability figures of one service, computed from that service's timeline samples alone.
//!
//! The samples are read as a step function: a sample's counts hold from its time until the
//! next sample of the same service, and the last sample holds until `run.end_time`. All
//! arithmetic is on integers (nanoseconds, replica counts), so the figures are exact and print
//! the same bytes on every machine.

use crate::model::record::{RunRecord, ServingSample};
use crate::time::{SimDuration, SimTime};

/// Fixed-point scale for the time-weighted ratio's numerator: one part in a million of a
/// nanosecond-weighted share is far below the four decimals we print.
const WEIGHT_SCALE: u128 = 1_000_000;

/// A non-negative fraction `num / den` kept exact (not reduced), so `8 / 10` still says "8 of 10".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    /// Numerator.
    pub num: u128,
    /// Denominator, never zero.
    pub den: u128,
}

impl Ratio {
    /// Exactly one.
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `serving / desired` of one sample, or 1 when nothing is desired (nothing is missing).
    pub fn of_sample(serving: u64, desired: u64) -> Ratio {
        if desired == 0 { Ratio::ONE } else { Ratio { num: serving as u128, den: desired as u128 } }
    }

    /// `self < other`, compared exactly by cross-multiplying (sample ratios are built from
    /// `u64`s, whose products fit in `u128`).
    pub fn is_below(self, other: Ratio) -> bool {
        self.num.saturating_mul(other.den) < other.num.saturating_mul(self.den)
    }

    /// True when the fraction is 1 or more.
    pub fn is_whole(self) -> bool {
        self.num >= self.den
    }

    /// Decimal text with exactly `decimals` digits after the point, rounded half up:
    /// `Ratio { num: 2, den: 3 }.fixed(4) == "0.6667"`.
    pub fn fixed(self, decimals: u32) -> String {
        let scale = 10u128.pow(decimals);
        let scaled = self.scaled(decimals);
        if decimals == 0 {
            return scaled.to_string();
        }
        let width = decimals as usize;
        format!("{}.{:0width$}", scaled / scale, scaled % scale)
    }

    /// The fraction in units of `10^-decimals`, rounded half up (what [`Ratio::fixed`] prints).
    pub fn scaled(self, decimals: u32) -> u128 {
        let scale = 10u128.pow(decimals);
        (self.num.saturating_mul(scale).saturating_mul(2) + self.den) / (2 * self.den)
    }

    /// The nearest `f64`, for callers that want to compute with it (reports print
    /// [`Ratio::fixed`] instead).
    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// How well a service kept its replicas serving. "Serving" means passing health checks and
/// receiving traffic from the routing mesh (`healthy_old + healthy_new`).
///
/// **Observation window** (for `min_serving`, `min_serving_ratio` and the two `seconds_*`
/// figures): from the first moment the service had `serving >= desired` — it had finished its
/// initial deploy — until `run.end_time` (or its removal by `docker service rm`). If it never
/// got there, the window is the whole run (from its first sample); if it got there only after
/// its first update had started, the window starts with that update (an update cannot be said
/// to have kept replicas serving that were never serving). This keeps the ramp-up of the first
/// deploy out of the figures, which are about what an update costs.
///
/// A sample superseded by another sample of the same service at the same instant lasted no time
/// and is ignored (the engine may record several changes within one event); the last sample
/// always counts, since its values are the final state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    /// Start of the observation window; `None` when the service has no samples (then the other
    /// figures are 0, and `min_serving_ratio` is 1: nothing was observed missing).
    pub observed_from: Option<SimTime>,
    /// Fewest replicas serving at any time in the observation window.
    pub min_serving: u64,
    /// Lowest `serving / desired` in the observation window; a sample with `desired == 0` counts
    /// as 1. Not capped at 1: a service always above its desired count reports more than 1.
    pub min_serving_ratio: Ratio,
    /// Time-weighted mean of `min(serving, desired) / desired` (1 where `desired == 0`) over the
    /// update window `[update.started_at, update.completed_at or run.end_time]` of the service's
    /// last update, including any rollback. `None` when the service never updated (or has no
    /// samples). A zero-length window reports the value at that instant.
    pub serving_ratio_time_weighted: Option<Ratio>,
    /// Total time in the observation window with `serving < desired`.
    pub seconds_below_desired: SimDuration,
    /// Total time in the observation window with `serving == 0` while `desired > 0`: a full
    /// outage of the service.
    pub seconds_none_serving: SimDuration,
}

/// One sample and the interval it holds for.
struct Segment {
    start: SimTime,
    end: SimTime,
    sample: ServingSample,
}

impl Segment {
    fn len(&self) -> SimDuration {
        self.end.since(self.start)
    }
}

/// Computes the [`Availability`] of `service` from `run.timeline` (see the type's docs for the
/// exact definitions) and the service's update times from `run.services`.
pub fn availability(run: &RunRecord, service: &str) -> Availability {
    match run.services.iter().find(|s| s.name == service) {
        Some(record) => availability_of(run, record),
        None => availability_in(run, service, (SimTime::ZERO, None)),
    }
}

/// The [`Availability`] of one service of the run: a name used again after `docker service rm`
/// is a new service, observed from its creation to its removal.
pub fn availability_of(run: &RunRecord, service: &crate::model::record::ServiceRecord) -> Availability {
    availability_in(run, &service.name, (service.created_at, service.removed_at))
}

fn availability_in(run: &RunRecord, service: &str, life: (SimTime, Option<SimTime>)) -> Availability {
    let segments = segments(run, service, life);
    let first_update = first_update_start(run, service);
    let observed = &segments[window_start(&segments, first_update)..];
    Availability {
        observed_from: observed.first().map(|g| g.start),
        min_serving: observed.iter().map(|g| g.sample.serving).min().unwrap_or(0),
        min_serving_ratio: min_ratio(observed),
        serving_ratio_time_weighted: update_window(run, service).and_then(|window| time_weighted(&segments, window)),
        seconds_below_desired: total(observed, |s| s.serving < s.desired),
        seconds_none_serving: total(observed, |s| s.serving == 0 && s.desired > 0),
    }
}

/// The service's samples as intervals, dropping samples that lasted no time (except the last).
/// A removed service (`docker service rm`) is observed until its removal: after that it is not
/// missing replicas, it is gone.
fn segments(run: &RunRecord, service: &str, (created, removed): (SimTime, Option<SimTime>)) -> Vec<Segment> {
    let until = removed.unwrap_or(run.end_time);
    let mut samples =
        run.timeline.serving_of(service).filter(|s| s.t >= created && removed.is_none_or(|r| s.t < r)).peekable();
    let mut out = Vec::with_capacity(run.timeline.len());
    while let Some(sample) = samples.next() {
        let next = samples.peek().map_or(until, |n| n.t);
        // max: a sample after end_time (or out of order) holds for no time rather than negative.
        let end = next.max(sample.t);
        let is_last = samples.peek().is_none();
        if end > sample.t || is_last {
            out.push(Segment { start: sample.t, end, sample });
        }
    }
    out
}

/// Index of the first segment of the observation window: the first with every desired replica
/// serving (the deploy finished), unless the service's first update started before that, in
/// which case the segment the update started in; 0 when neither happened.
fn window_start(segments: &[Segment], first_update: Option<SimTime>) -> usize {
    let converged = segments.iter().position(|g| g.sample.serving >= g.sample.desired);
    let update = first_update.and_then(|t| segments.iter().rposition(|g| g.start <= t));
    match (converged, update) {
        (Some(c), Some(u)) => c.min(u),
        (Some(c), None) => c,
        (None, _) => 0,
    }
}

/// When the service's first update (of the run) started.
fn first_update_start(run: &RunRecord, service: &str) -> Option<SimTime> {
    let record = run.services.iter().find(|s| s.name == service)?;
    record.previous_updates.iter().chain(std::iter::once(&record.update)).find_map(|u| u.started_at)
}

fn min_ratio(segments: &[Segment]) -> Ratio {
    segments
        .iter()
        .map(|g| Ratio::of_sample(g.sample.serving, g.sample.desired))
        .fold(None, |lowest: Option<Ratio>, r| match lowest {
            Some(low) if !r.is_below(low) => Some(low),
            _ => Some(r),
        })
        .unwrap_or(Ratio::ONE)
}

fn total(segments: &[Segment], counts: impl Fn(&ServingSample) -> bool) -> SimDuration {
    segments.iter().filter(|g| counts(&g.sample)).fold(SimDuration::ZERO, |sum, g| sum.plus(g.len()))
}

/// `[started_at, completed_at or end_time]` of the service's last update, if it had one.
fn update_window(run: &RunRecord, service: &str) -> Option<(SimTime, SimTime)> {
    let update = &run.services.iter().find(|s| s.name == service)?.update;
    let start = update.started_at?;
    let end = update.completed_at.unwrap_or(run.end_time).max(start);
    Some((start, end))
}

/// `min(serving, desired) / desired`, or 1 when nothing is desired.
fn capped(sample: &ServingSample) -> Ratio {
    Ratio::of_sample(sample.serving.min(sample.desired), sample.desired)
}

/// Time-weighted mean of [`capped`] over the part of `[start, end]` the samples cover.
fn time_weighted(segments: &[Segment], (start, end): (SimTime, SimTime)) -> Option<Ratio> {
    let mut weighted: u128 = 0;
    let mut covered: u128 = 0;
    for g in segments {
        let (from, to) = (g.start.max(start), g.end.min(end));
        if to <= from {
            continue;
        }
        let dt = to.since(from).as_nanos() as u128;
        let share = capped(&g.sample);
        covered += dt;
        weighted += dt.saturating_mul(WEIGHT_SCALE).saturating_mul(share.num) / share.den;
    }
    if covered > 0 {
        return Some(Ratio { num: weighted, den: covered * WEIGHT_SCALE });
    }
    value_at(segments, start)
}

/// The capped ratio in force at `t` (the first sample's, if `t` precedes every sample).
fn value_at(segments: &[Segment], t: SimTime) -> Option<Ratio> {
    let g = segments.iter().rev().find(|g| g.start <= t).or(segments.first())?;
    Some(capped(&g.sample))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{EndReason, UpdateState};
    use crate::report::fixtures::{MS, S, empty_run, sample, service};

    /// 10 desired. Initial deploy: 0 serving at 0 s, 5 at 2 s, all 10 at 5 s. Update 30 s–60 s:
    /// 8 serving 40.0–43.5 s (3.5 s), 0 serving 50–51 s (1 s), back to 10 at 51 s. End at 100 s.
    fn dipping_run() -> RunRecord {
        let mut run = empty_run();
        run.end_time = SimTime(100 * S);
        run.timeline = vec![
            sample("web_web", 0, 10, 0),
            sample("web_web", 2 * S, 10, 5),
            sample("web_web", 5 * S, 10, 10),
            sample("web_web", 40 * S, 10, 8),
            sample("web_web", 43 * S + 500 * MS, 10, 10),
            sample("web_web", 50 * S, 10, 0),
            sample("web_web", 51 * S, 10, 10),
        ]
        .into();
        let mut web = service("web_web", 10);
        web.update.state = Some(UpdateState::Completed);
        web.update.started_at = Some(SimTime(30 * S));
        web.update.completed_at = Some(SimTime(60 * S));
        run.services = vec![web];
        run
    }

    #[test]
    fn dips_are_measured_after_the_initial_deploy() {
        let a = availability(&dipping_run(), "web_web");
        // The ramp-up (0 and 5 serving before 5 s) is outside the window.
        assert_eq!(a.observed_from, Some(SimTime(5 * S)));
        assert_eq!(a.min_serving, 0);
        assert_eq!(a.min_serving_ratio, Ratio { num: 0, den: 10 });
        // 3.5 s at 8 plus 1 s at 0.
        assert_eq!(a.seconds_below_desired, SimDuration(4_500 * MS));
        assert_eq!(a.seconds_none_serving, SimDuration(S));
        // Update window 30–60 s = 30 s: 3.5 s at 0.8, 1 s at 0, 25.5 s at 1.
        // (3.5 * 0.8 + 25.5) / 30 = 28.3 / 30 = 0.94333…
        let tw = a.serving_ratio_time_weighted.unwrap();
        assert_eq!(tw.fixed(4), "0.9433");
    }

    #[test]
    fn a_deploy_that_converges_only_after_the_update_began_is_observed_from_the_update() {
        // The issue-15 contradiction: the first deploy never had all 10 serving (3 at most), the
        // update began at 30 s and brought all 10 at 51 s. The window is the update's, so the
        // figures agree with the time-weighted mean instead of saying "never fell below".
        let mut run = dipping_run();
        run.timeline = vec![
            sample("web_web", 0, 10, 0),
            sample("web_web", 2 * S, 10, 3),
            sample("web_web", 20 * S, 10, 1),
            sample("web_web", 51 * S, 10, 10),
        ]
        .into();
        let a = availability(&run, "web_web");
        assert_eq!(a.observed_from, Some(SimTime(20 * S)), "the segment the update started in");
        assert_eq!(a.min_serving, 1);
        assert_eq!(a.seconds_below_desired, SimDuration(31 * S));
        assert!(a.serving_ratio_time_weighted.unwrap().is_below(Ratio::ONE));
    }

    #[test]
    fn min_is_the_lowest_lasting_value_not_the_initial_zero() {
        let mut run = dipping_run();
        // Remove the full outage: the lowest value after the deploy is then the 8 of 10 dip.
        run.timeline.retain(|s| s.t != SimTime(50 * S));
        let a = availability(&run, "web_web");
        assert_eq!(a.min_serving, 8);
        assert_eq!(a.min_serving_ratio.fixed(4), "0.8000");
        assert_eq!(a.seconds_none_serving, SimDuration::ZERO);
        assert_eq!(a.seconds_below_desired, SimDuration(3_500 * MS));
    }

    #[test]
    fn other_services_samples_do_not_cut_a_step() {
        let mut run = dipping_run();
        // A db sample in the middle of web's 8-serving dip must not end that dip.
        run.timeline.insert(4, sample("web_db", 41 * S, 1, 1));
        let a = availability(&run, "web_web");
        assert_eq!(a.seconds_below_desired, SimDuration(4_500 * MS));
        let db = availability(&run, "web_db");
        assert_eq!(db.observed_from, Some(SimTime(41 * S)));
        assert_eq!(db.seconds_below_desired, SimDuration::ZERO);
        assert_eq!(db.serving_ratio_time_weighted, None, "db never updated");
    }

    #[test]
    fn instantaneous_samples_do_not_count_as_dips() {
        let mut run = dipping_run();
        // At 70 s the engine records 9 then 10 within one event: no time at 9.
        run.timeline.push(sample("web_web", 70 * S, 10, 9));
        run.timeline.push(sample("web_web", 70 * S, 10, 10));
        let a = availability(&run, "web_web");
        assert_eq!(a.min_serving, 0);
        assert_eq!(a.seconds_below_desired, SimDuration(4_500 * MS));
        run.timeline.retain(|s| s.t != SimTime(50 * S));
        assert_eq!(availability(&run, "web_web").min_serving, 8);
    }

    #[test]
    fn the_last_sample_holds_until_end_time() {
        let mut run = dipping_run();
        run.timeline.push(sample("web_web", 90 * S, 10, 7));
        run.end_reason = EndReason::UntilReached;
        let a = availability(&run, "web_web");
        // 90–100 s at 7 of 10 adds 10 s below desired.
        assert_eq!(a.seconds_below_desired, SimDuration(14_500 * MS));
        assert_eq!(a.min_serving_ratio, Ratio { num: 0, den: 10 });
    }

    #[test]
    fn never_deployed_service_is_observed_for_the_whole_run() {
        let mut run = empty_run();
        run.end_time = SimTime(20 * S);
        run.timeline = vec![sample("web_web", 0, 3, 0), sample("web_web", 5 * S, 3, 2)].into();
        let a = availability(&run, "web_web");
        assert_eq!(a.observed_from, Some(SimTime::ZERO));
        assert_eq!(a.min_serving, 0);
        assert_eq!(a.seconds_below_desired, SimDuration(20 * S));
        assert_eq!(a.seconds_none_serving, SimDuration(5 * S));
    }

    #[test]
    fn update_still_running_is_weighted_until_end_time() {
        let mut run = dipping_run();
        run.services[0].update.completed_at = None;
        run.services[0].update.state = Some(UpdateState::Updating);
        // Window 30–100 s = 70 s; below 1 only as before: (3.5 * 0.8 + 65.5) / 70 = 68.3 / 70.
        let tw = availability(&run, "web_web").serving_ratio_time_weighted.unwrap();
        assert_eq!(tw.fixed(4), "0.9757");
    }

    #[test]
    fn serving_above_desired_is_capped_in_the_weighted_mean_only() {
        let mut run = empty_run();
        run.end_time = SimTime(10 * S);
        run.timeline = vec![sample("web_web", 0, 2, 3)].into();
        let mut web = service("web_web", 2);
        web.update.started_at = Some(SimTime::ZERO);
        run.services = vec![web];
        let a = availability(&run, "web_web");
        assert_eq!(a.min_serving_ratio.fixed(2), "1.50");
        assert_eq!(a.serving_ratio_time_weighted.unwrap().fixed(4), "1.0000");
    }

    #[test]
    fn zero_desired_counts_as_fully_served() {
        let mut run = empty_run();
        run.timeline = vec![sample("web_web", 0, 0, 0)].into();
        let a = availability(&run, "web_web");
        assert_eq!(a.min_serving_ratio, Ratio::ONE);
        assert_eq!(a.seconds_none_serving, SimDuration::ZERO);
        assert_eq!(a.seconds_below_desired, SimDuration::ZERO);
    }

    #[test]
    fn ratio_prints_rounded_half_up() {
        assert_eq!(Ratio { num: 2, den: 3 }.fixed(4), "0.6667");
        assert_eq!(Ratio { num: 1, den: 8 }.fixed(2), "0.13");
        assert_eq!(Ratio { num: 7, den: 7 }.fixed(3), "1.000");
        assert_eq!(Ratio { num: 1, den: 3 }.fixed(0), "0");
        assert!(Ratio { num: 7, den: 10 }.is_below(Ratio { num: 3, den: 4 }));
        assert!(!Ratio { num: 8, den: 10 }.is_below(Ratio { num: 4, den: 5 }));
    }
}

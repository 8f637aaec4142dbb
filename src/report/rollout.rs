//! A rollout seen from the router: which version the requests could reach over time, and the
//! figures that compare strategies — how long until only the new version answered, how many
//! extra tasks it cost, how far serving fell, how many requests the new version answered
//! (the exposure, when it is bad), how long both versions answered at once, and how long until
//! only the old one answered again when the rollout was stopped.
//!
//! # Definitions
//!
//! The rollout is the run's first blue-green or canary rollout, else its first `docker service
//! update --image` or `docker service create`; it starts at `T0` on service `S` (blue, the
//! stable one, or the created one) towards image `I` (the new version), and its route is the
//! one the rollout steers, or the first route `S` is ever a backend of (see
//! [`crate::model::route`]; `S` alone when nothing was recorded). `D` is `S`'s desired replicas
//! at `T0`.
//!
//! A task is **routed** when it serves (healthy, bound) and its service is a backend of the
//! route that gets requests: any backend under replica-ratio routing, one with a weight above 0
//! under weighted routing. It is **new** when it runs `I`, old otherwise.
//!
//! - `fully_new_at`: from when on only new tasks were routed (and at least one was), until the
//!   end of the run; none if that never held at the end;
//! - `peak_extra_tasks`: the most containers (tasks observed `starting` or `running`, including
//!   those asked to stop whose process has not exited, over every service) above the count just
//!   before `T0`: the capacity the strategy needs beyond the steady state. A task waiting in
//!   `ready` holds no container yet: a stop-first update starts the new container only after
//!   the old one exited (the Docker 20.10 traces show `container_id` appearing at `starting`),
//!   so it costs none;
//! - `min_serving_ratio`: the fewest routed tasks after `T0`, over `D`;
//! - `mixed_seconds`: time after `T0` during which old and new tasks were both routed;
//! - `recovered_at`: when the rollout was stopped and only old tasks answer at the end, the last
//!   time a new task stopped being routed (none if no new task was ever routed).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::iter::Peekable;

use crate::model::event_log::{Rows, TimelineRows};
use crate::model::record::RunRecord;
use crate::model::route::RouteState;
use crate::model::traffic::ServingInterval;
use crate::report::availability::Ratio;
use crate::time::SimTime;

/// What was rolled out, where and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollout {
    /// When it started.
    pub start: SimTime,
    /// The service rolled out (blue, or the stable one).
    pub service: String,
    /// The new image.
    pub image: String,
    /// The route it steers.
    pub route: String,
    /// `S`'s desired replicas at the start.
    pub desired: u64,
}

/// The routed and running counts from one instant on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRow {
    /// From when.
    pub t: SimTime,
    /// Old-version tasks receiving requests.
    pub routed_old: u64,
    /// New-version tasks receiving requests.
    pub routed_new: u64,
    /// Tasks on their way up, every service.
    pub starting: u64,
    /// Tasks stopping whose container still runs, every service.
    pub stopping: u64,
    /// Tasks running with desired running, every service.
    pub running: u64,
    /// Tasks with a container (observed `starting` or `running`), every service.
    pub containers: u64,
}

/// The comparison figures of one run's rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    /// The rollout.
    pub rollout: Rollout,
    /// From when only new tasks were routed, to the end.
    pub fully_new_at: Option<SimTime>,
    /// Most containers above the count at the start.
    pub peak_extra_tasks: u64,
    /// Fewest routed tasks after the start, over `desired`.
    pub min_serving_ratio: Ratio,
    /// Time both versions were routed.
    pub mixed: crate::time::SimDuration,
    /// When only old tasks were routed again, for good (a stopped rollout).
    pub recovered_at: Option<SimTime>,
}

/// The run's rollout, if it has one.
pub fn rollout(run: &RunRecord) -> Option<Rollout> {
    rollout_from(run, SimTime::ZERO)
}

/// When [`rollout`] starts, without the rest of it (no timeline read, no name copied): a
/// sweep's `peak_extra_tasks` needs only this.
pub fn rollout_start(run: &RunRecord) -> Option<SimTime> {
    first_change(run, SimTime::ZERO).map(|change| match change {
        FirstChange::Strategy(s) => s.started_at,
        FirstChange::ByHand((t, _, _)) => *t,
    })
}

/// What starts the run's first rollout at or after `from`: a blue-green or canary rollout,
/// else an image given to a service by hand.
enum FirstChange<'a> {
    Strategy(&'a crate::model::strategy::StrategyRecord),
    ByHand(&'a (SimTime, String, String)),
}

fn first_change(run: &RunRecord, from: SimTime) -> Option<FirstChange<'_>> {
    match run.strategies.iter().find(|s| s.started_at >= from) {
        Some(s) => Some(FirstChange::Strategy(s)),
        None => run.image_changes.iter().find(|(t, _, _)| *t >= from).map(FirstChange::ByHand),
    }
}

/// The run's first rollout started at or after `from`.
pub fn rollout_from(run: &RunRecord, from: SimTime) -> Option<Rollout> {
    let (start, service, image, route) = match first_change(run, from)? {
        FirstChange::Strategy(s) => (s.started_at, s.service.clone(), s.image.clone(), s.route.clone()),
        FirstChange::ByHand((t, service, image)) => {
            // An update by hand: the route is the one the service is (ever) a backend of — a
            // green created by `docker service create` joins it later, by labels.
            let route = run
                .routes
                .iter()
                .find(|r| r.backends.iter().any(|b| b.service == *service))
                .map_or_else(|| service.clone(), |r| r.route.clone());
            (*t, service.clone(), image.clone(), route)
        }
    };
    let desired = run.timeline.serving_of(&service).filter(|s| s.t <= start).last().map_or(0, |s| s.desired);
    Some(Rollout { start, service, image, route, desired })
}

/// The routed counts over the whole run, one row per change, made as they are read: a merge of
/// the serving spans (in start order, their endings held in a heap until due), the route's
/// states, the timeline samples and the containers' changes, each in time order. What it holds
/// follows the tasks serving at once, not the run's history (a 100,000-replica update's
/// summary otherwise sorted 400,000 changes at once).
pub fn route_rows<'a>(run: &'a RunRecord, rollout: &'a Rollout) -> RouteRows<'a> {
    let states: Vec<&RouteState> = run.routes.iter().filter(|r| r.route == rollout.route).collect();
    RouteRows {
        run,
        rollout,
        states,
        next_state: 0,
        spans: (Box::new(run.serving.iter()) as Box<dyn Iterator<Item = ServingInterval>>).peekable(),
        endings: BinaryHeap::new(),
        samples: run.timeline.iter().peekable(),
        hold: run.containers.iter().peekable(),
        at: None,
        serving: BTreeMap::new(),
        latest: BTreeMap::new(),
        containers: 0,
        last: None,
    }
}

/// The iterator of [`route_rows`].
pub struct RouteRows<'a> {
    run: &'a RunRecord,
    rollout: &'a Rollout,
    /// The route's states, in time order, and the next one's index.
    states: Vec<&'a RouteState>,
    next_state: usize,
    /// The serving spans not yet started.
    spans: Peekable<Box<dyn Iterator<Item = ServingInterval> + 'a>>,
    /// Endings of started spans: (when, service, new?), earliest first.
    endings: BinaryHeap<Reverse<(SimTime, &'a str, bool)>>,
    samples: Peekable<TimelineRows<'a>>,
    hold: Peekable<Rows<'a, (SimTime, i64)>>,
    /// The last instant read (`None` before the first, which is always `T = 0`).
    at: Option<SimTime>,
    /// Serving tasks per service: (old, new).
    serving: BTreeMap<&'a str, (i64, i64)>,
    /// Each service's latest sample: (starting, stopping, running).
    latest: BTreeMap<std::sync::Arc<str>, (u64, u64, u64)>,
    containers: i64,
    /// The last row given (a row equal to it but for `t` is not given again).
    last: Option<RouteRow>,
}

impl RouteRows<'_> {
    /// The next instant anything changes, after the last one read.
    fn next_instant(&mut self) -> Option<SimTime> {
        let Some(_) = self.at else { return Some(SimTime::ZERO) };
        [
            self.states.get(self.next_state).map(|s| s.t),
            self.spans.peek().map(|s| s.start),
            self.endings.peek().map(|Reverse(e)| e.0),
            self.samples.peek().map(|s| s.t),
            self.hold.peek().map(|c| c.0),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

impl Iterator for RouteRows<'_> {
    type Item = RouteRow;

    fn next(&mut self) -> Option<RouteRow> {
        loop {
            let t = self.next_instant()?;
            debug_assert!(self.at.is_none_or(|at| t > at), "route rows' sources are in time order");
            self.at = Some(t);
            while self.states.get(self.next_state).is_some_and(|s| s.t <= t) {
                self.next_state += 1;
            }
            while let Some((_, d)) = self.hold.next_if(|c| c.0 <= t) {
                self.containers += d;
            }
            while let Some(span) = self.spans.next_if(|s| s.start <= t) {
                // Spans come in start order (the recorder logs each as it begins): one that
                // came later than a later-starting one would be counted late, unlike the sort.
                debug_assert_eq!(span.start, t, "serving spans are in start order");
                let (service, image) = (self.run.name(span.service), self.run.name(span.image));
                let new = *image == *self.rollout.image;
                let entry = self.serving.entry(service).or_default();
                if new {
                    entry.1 += 1
                } else {
                    entry.0 += 1
                }
                if let Some(end) = span.end {
                    self.endings.push(Reverse((end, service, new)));
                }
            }
            while self.endings.peek().is_some_and(|Reverse(e)| e.0 <= t) {
                let Some(Reverse((_, service, new))) = self.endings.pop() else { break };
                let entry = self.serving.entry(service).or_default();
                if new { entry.1 -= 1 } else { entry.0 -= 1 }
            }
            while let Some(s) = self.samples.next_if(|s| s.t <= t) {
                self.latest.insert(s.service, (s.starting, s.stopping, s.running_old + s.running_new));
            }
            let (mut routed_old, mut routed_new) = (0, 0);
            for b in backends_at(&self.states, t, self.rollout) {
                let (old, new) = self.serving.get(b).copied().unwrap_or_default();
                routed_old += old.max(0) as u64;
                routed_new += new.max(0) as u64;
            }
            let (starting, stopping, running) =
                self.latest.values().fold((0, 0, 0), |(a, b, c), (x, y, z)| (a + x, b + y, c + z));
            let containers = self.containers.max(0) as u64;
            let row = RouteRow { t, routed_old, routed_new, starting, stopping, running, containers };
            if self.last.as_ref().is_none_or(|r| RouteRow { t, ..r.clone() } != row) {
                self.last = Some(row.clone());
                return Some(row);
            }
        }
    }
}

/// The services that get requests at `t`: the route's backends then (weight above 0 under
/// weighted routing); before anything was recorded, the rolled-out service alone.
fn backends_at<'a>(states: &[&'a RouteState], t: SimTime, rollout: &'a Rollout) -> Vec<&'a str> {
    match states.iter().rev().find(|s| s.t <= t) {
        Some(state) => {
            let weighted = state.weighted();
            state
                .backends
                .iter()
                .filter(|b| !weighted || b.weight.unwrap_or(1) > 0)
                .map(|b| b.service.as_str())
                .collect()
        }
        None => vec![rollout.service.as_str()],
    }
}

/// The comparison figures of a run (`None` without a rollout).
pub fn figures(run: &RunRecord) -> Option<Figures> {
    figures_from(run, SimTime::ZERO)
}

/// The comparison figures of the run's first rollout started at or after `from`.
pub fn figures_from(run: &RunRecord, from: SimTime) -> Option<Figures> {
    let rollout = rollout_from(run, from)?;
    let start = rollout.start;
    let mut rows = route_rows(run, &rollout).peekable();
    // The rows up to the start: the one in force at it begins `after`, and the steady state just
    // before it (what the rollout itself creates at `T0` is the cost being measured) is the
    // last row before it. The first row (`T = 0`) is never after the start.
    let (mut before, mut in_force) = (None::<RouteRow>, None::<RouteRow>);
    while let Some(row) = rows.next_if(|r| r.t <= start) {
        if row.t < start {
            before = Some(row.clone());
        }
        in_force = Some(row);
    }
    let at_start = before.as_ref().or(in_force.as_ref()).map_or(0, |r| r.containers);
    // One pass over `after` (the row in force at the start, then every later one).
    let (mut peak_extra_tasks, mut fewest) = (0, None::<u64>);
    let mut mixed = crate::time::SimDuration::ZERO;
    let mut previous: Option<RouteRow> = None;
    // Since when every row routed only new tasks; where the last row routing a new task ended.
    let (mut only_new_since, mut new_routed_until) = (None::<SimTime>, None::<SimTime>);
    let (mut new_pending, mut any_new) = (false, false);
    for row in in_force.into_iter().chain(rows) {
        if let Some(p) = previous.take()
            && p.routed_old > 0
            && p.routed_new > 0
        {
            mixed = mixed.plus(row.t.since(p.t.max(start)));
        }
        peak_extra_tasks = peak_extra_tasks.max(row.containers.saturating_sub(at_start));
        fewest = Some(fewest.map_or(row.routed_old + row.routed_new, |f| f.min(row.routed_old + row.routed_new)));
        if row.routed_old > 0 || row.routed_new == 0 {
            only_new_since = None;
        } else if only_new_since.is_none() {
            only_new_since = Some(row.t);
        }
        if new_pending {
            new_routed_until = Some(row.t);
            new_pending = false;
        }
        if row.routed_new > 0 {
            (new_pending, any_new) = (true, true);
        }
        previous = Some(row);
    }
    if let Some(p) = &previous
        && p.routed_old > 0
        && p.routed_new > 0
    {
        mixed = mixed.plus(run.end_time.since(p.t.max(start)));
    }
    let min_serving_ratio = Ratio::of_sample(fewest.unwrap_or(0), rollout.desired);
    let last = previous.as_ref();
    let fully_new = last.is_some_and(|r| r.routed_old == 0 && r.routed_new > 0);
    let fully_new_at = if fully_new { only_new_since.map(|t| t.max(start)) } else { None };
    let back_to_old = last.is_some_and(|r| r.routed_new == 0) && any_new;
    let recovered_at = if back_to_old { new_routed_until } else { None };
    Some(Figures { rollout, fully_new_at, peak_extra_tasks, min_serving_ratio, mixed, recovered_at })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::record::Name;
    use crate::model::traffic::ServingEnd;
    use crate::report::fixtures::{S, empty_run};

    /// Names of the spans below, in this order.
    const NAMES: [&str; 4] = ["web_web", "t", "app:1", "app:2"];

    fn span(image: u32, start: u64, end: Option<u64>) -> ServingInterval {
        ServingInterval {
            service: Name(0),
            task_id: Name(1),
            image: Name(image),
            start: SimTime(start * S),
            end: end.map(|e| SimTime(e * S)),
            ended_by: end.map(|_| ServingEnd::Unbound),
            cut: None,
        }
    }

    /// A run whose update of `web_web` to `app:2` starts at 3 s, with the given spans.
    fn run_with(spans: Vec<ServingInterval>) -> (RunRecord, Rollout) {
        let mut run = empty_run();
        run.end_time = SimTime(20 * S);
        run.names = NAMES.iter().map(|n| Arc::from(*n)).collect();
        run.serving = spans.into();
        run.image_changes = vec![(SimTime(3 * S), "web_web".into(), "app:2".into())];
        let rollout = rollout(&run).expect("an image change");
        (run, rollout)
    }

    #[test]
    fn spans_ending_out_of_start_order_are_counted_down_when_they_end() {
        // Old tasks serve [0, 12) and [1, 6); new ones [4, ∞) and [5, 8): the endings come in
        // another order than the starts (6, 8, 12), and every change instant gives a row.
        let (run, rollout) =
            run_with(vec![span(2, 0, Some(12)), span(2, 1, Some(6)), span(3, 4, None), span(3, 5, Some(8))]);
        let rows: Vec<(u64, u64, u64)> =
            route_rows(&run, &rollout).map(|r| (r.t.0 / S, r.routed_old, r.routed_new)).collect();
        assert_eq!(rows, [(0, 1, 0), (1, 2, 0), (4, 2, 1), (5, 2, 2), (6, 1, 2), (8, 1, 1), (12, 0, 1)]);
        let f = figures(&run).expect("a rollout");
        // Both versions routed from 4 s to 12 s; only the new one from 12 s to the end.
        assert_eq!(f.mixed, crate::time::SimDuration(8 * S));
        assert_eq!(f.fully_new_at, Some(SimTime(12 * S)));
        assert_eq!(f.recovered_at, None);
    }

    #[test]
    fn a_rollout_taken_back_recovers_when_the_last_new_task_stops_serving() {
        // New tasks serve [4, 9) and [5, 7) beside an old one that never stops: back to old
        // at 9 s, the end of the first new span, which ended after the later one.
        let (run, _) = run_with(vec![span(2, 0, None), span(3, 4, Some(9)), span(3, 5, Some(7))]);
        let f = figures(&run).expect("a rollout");
        assert_eq!(f.recovered_at, Some(SimTime(9 * S)));
        assert_eq!(f.fully_new_at, None);
        assert_eq!(f.mixed, crate::time::SimDuration(5 * S));
    }

    /// The rows and figures as 569f0fe^ made them (every change collected and sorted), the
    /// reference the streamed ones must equal (review19).
    fn old_route_rows(run: &RunRecord, rollout: &Rollout) -> Vec<RouteRow> {
        let states: Vec<&RouteState> = run.routes.iter().filter(|r| r.route == rollout.route).collect();
        // Serving changes: (when, service, new?, +1 | -1).
        let mut changes: Vec<(SimTime, &str, bool, i64)> = Vec::with_capacity(run.serving.len() * 2);
        for span in run.serving.iter() {
            let (service, image) = (run.name(span.service), run.name(span.image));
            let new = *image == *rollout.image;
            changes.push((span.start, service, new, 1));
            if let Some(end) = span.end {
                changes.push((end, service, new, -1));
            }
        }
        changes.sort_by_key(|c| c.0);
        let mut instants: Vec<SimTime> = vec![SimTime::ZERO];
        instants.extend(states.iter().map(|s| s.t));
        instants.extend(changes.iter().map(|c| c.0));
        instants.extend(run.timeline.iter().map(|s| s.t));
        instants.extend(run.containers.iter().map(|c| c.0));
        instants.sort_unstable();
        instants.dedup();

        let mut rows: Vec<RouteRow> = Vec::new();
        let mut serving: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        let mut latest: BTreeMap<std::sync::Arc<str>, (u64, u64, u64)> = BTreeMap::new();
        let mut containers: i64 = 0;
        let (mut change, mut sample) = (changes.iter().peekable(), run.timeline.iter().peekable());
        let mut hold = run.containers.iter().peekable();
        for &t in &instants {
            while let Some((_, d)) = hold.next_if(|c| c.0 <= t) {
                containers += d;
            }
            while let Some(&(_, service, new, d)) = change.next_if(|c| c.0 <= t) {
                let entry = serving.entry(service).or_default();
                if new { entry.1 += d } else { entry.0 += d }
            }
            while let Some(s) = sample.next_if(|s| s.t <= t) {
                latest.insert(s.service, (s.starting, s.stopping, s.running_old + s.running_new));
            }
            let (mut routed_old, mut routed_new) = (0, 0);
            for b in backends_at(&states, t, rollout) {
                let (old, new) = serving.get(b).copied().unwrap_or_default();
                routed_old += old.max(0) as u64;
                routed_new += new.max(0) as u64;
            }
            let (starting, stopping, running) =
                latest.values().fold((0, 0, 0), |(a, b, c), (x, y, z)| (a + x, b + y, c + z));
            let containers = containers.max(0) as u64;
            let row = RouteRow { t, routed_old, routed_new, starting, stopping, running, containers };
            if rows.last().is_none_or(|r| RouteRow { t, ..r.clone() } != row) {
                rows.push(row);
            }
        }
        rows
    }

    /// As 569f0fe^ folded [`old_route_rows`].
    fn old_figures_from(run: &RunRecord, from: SimTime) -> Option<Figures> {
        let rollout = rollout_from(run, from)?;
        let rows = old_route_rows(run, &rollout);
        let start = rollout.start;
        // The row in force at the start, and every later one.
        let first = rows.iter().rposition(|r| r.t <= start).unwrap_or(0);
        let after = &rows[first..];
        // The steady state just before the start (what the rollout itself creates at `T0` is the
        // cost being measured).
        let before = rows.iter().rposition(|r| r.t < start).map_or(first, |i| i);
        let at_start = rows.get(before).map_or(0, |r| r.containers);
        let peak_extra_tasks = after.iter().map(|r| r.containers.saturating_sub(at_start)).max().unwrap_or(0);
        let fewest = after.iter().map(|r| r.routed_old + r.routed_new).min().unwrap_or(0);
        let min_serving_ratio = Ratio::of_sample(fewest, rollout.desired);
        let mut mixed = crate::time::SimDuration::ZERO;
        for (i, r) in after.iter().enumerate() {
            if r.routed_old > 0 && r.routed_new > 0 {
                let from = r.t.max(start);
                let to = after.get(i + 1).map_or(run.end_time, |n| n.t);
                mixed = mixed.plus(to.since(from));
            }
        }
        let last = after.last();
        let fully_new = last.is_some_and(|r| r.routed_old == 0 && r.routed_new > 0);
        let fully_new_at = fully_new.then(|| {
            let i = after.iter().rposition(|r| r.routed_old > 0 || r.routed_new == 0).map_or(0, |i| i + 1);
            after[i].t.max(start)
        });
        let back_to_old = last.is_some_and(|r| r.routed_new == 0) && after.iter().any(|r| r.routed_new > 0);
        let recovered_at = back_to_old.then(|| {
            let i = after.iter().rposition(|r| r.routed_new > 0).expect("some row routed the new version");
            after[i + 1].t
        });
        Some(Figures { rollout, fully_new_at, peak_extra_tasks, min_serving_ratio, mixed, recovered_at })
    }

    /// A small generator (xorshift), so that the comparison below needs no crate.
    struct Draw(u64);

    impl Draw {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    #[test]
    fn streamed_rows_and_figures_equal_the_sorted_ones_on_random_runs() {
        use crate::model::record::TimelineSample;
        use crate::model::route::Backend;
        // Whole seconds over a short run, so that many changes fall on one instant.
        let at = |s: u64| SimTime(s * S);
        for case in 0..3000u64 {
            let mut d = Draw(0x9E37_79B9_7F4A_7C15 ^ (case + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
            let mut run = empty_run();
            run.end_time = at(25);
            run.names = ["web_web", "t", "app:1", "app:2", "web_green"].iter().map(|n| Arc::from(*n)).collect();
            let services = ["web_web", "web_green"];
            // Spans in start order (as the recorder logs them), ends in any order, some empty.
            let mut starts: Vec<u64> = (0..d.below(12)).map(|_| d.below(22)).collect();
            starts.sort_unstable();
            run.serving = starts
                .iter()
                .map(|&s| ServingInterval {
                    service: Name(if d.below(3) == 0 { 4 } else { 0 }),
                    task_id: Name(1),
                    image: Name(2 + d.below(2) as u32),
                    start: at(s),
                    end: (d.below(4) != 0).then(|| at(s + d.below(8))),
                    ended_by: None,
                    cut: None,
                })
                .collect::<Vec<_>>()
                .into();
            let mut t = 0;
            for _ in 0..d.below(8) {
                t += d.below(4);
                let counts = (d.below(3), d.below(3), d.below(3));
                run.timeline.push(TimelineSample {
                    t: at(t),
                    service: Arc::from(services[d.below(2) as usize]),
                    desired: 2,
                    running_old: counts.0,
                    running_new: counts.1,
                    healthy_old: 0,
                    healthy_new: 0,
                    starting: counts.2,
                    stopping: d.below(2),
                    serving: 0,
                    update_state: "",
                });
            }
            let mut t = 0;
            run.containers = (0..d.below(8))
                .map(|_| {
                    t += 1 + d.below(3);
                    (at(t), d.below(5) as i64 - 2)
                })
                .collect();
            let mut t = 0;
            run.routes = (0..d.below(4))
                .map(|_| {
                    t += d.below(6);
                    let weighted = d.below(2) == 0;
                    let mut backends = Vec::new();
                    for s in services {
                        if d.below(3) != 0 {
                            backends.push(Backend { service: s.to_string(), weight: weighted.then(|| d.below(3)) });
                        }
                    }
                    RouteState { t: at(t), route: "web_web".into(), backends }
                })
                .collect();
            run.image_changes = vec![(at(d.below(16)), "web_web".into(), "app:2".into())];
            let from = at(d.below(3) * 2);
            let Some(rollout) = rollout_from(&run, from) else { continue };
            let new: Vec<RouteRow> = route_rows(&run, &rollout).collect();
            assert_eq!(new, old_route_rows(&run, &rollout), "case {case}: rows");
            assert_eq!(figures_from(&run, from), old_figures_from(&run, from), "case {case}: figures");
        }
    }
}

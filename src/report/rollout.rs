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

use std::collections::BTreeMap;

use crate::model::record::RunRecord;
use crate::model::route::RouteState;
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

/// The routed counts over the whole run, one row per change (a sweep over the serving spans,
/// the route's states and the timeline samples, each in time order).
pub fn route_rows(run: &RunRecord, rollout: &Rollout) -> Vec<RouteRow> {
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
    let rows = route_rows(run, &rollout);
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

//! What a sweep keeps of each run (a few figures of one service), and how its runs are dealt
//! out to shards.

use crate::model::record::{RunRecord, UpdateState};
use crate::report::{Ratio, availability};
use crate::time::{SimDuration, SimTime};

/// What a sweep keeps of one run (of the sweep's service).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RunFigures {
    /// Index of the policy.
    pub policy: usize,
    /// Seed of the run (1-based run number within the policy).
    pub seed: u64,
    /// The last UpdateStatus state, `None` when the service never updated.
    pub final_state: Option<UpdateState>,
    /// `completed_at - started_at` when the update (or its rollback) completed.
    pub duration: Option<SimDuration>,
    /// The update paused at some point (`paused` or `rollback_paused`).
    pub paused: bool,
    /// A rollback started at some point.
    pub rolled_back: bool,
    /// Lowest `serving / desired` (see [`crate::report::Availability`]).
    pub min_serving_ratio: Ratio,
    /// Time with fewer replicas serving than desired.
    pub seconds_below_desired: SimDuration,
    /// Failed client requests, with `x-simulation.traffic` on the service.
    pub failed_requests: Option<u64>,
    /// The most containers beyond those at the rollout's start (the summary's
    /// `peak_extra_tasks`; 0 without a rollout).
    pub peak_extra_tasks: u64,
    /// Task reservations over the cluster, when any task reserved CPU or memory.
    pub reservations: Option<crate::model::record::ReservationRecord>,
}

impl RunFigures {
    /// The update duration counted by the sweep's statistics: only an update that reached
    /// `completed` has one; a paused, rolled-back or unfinished update counts as infinitely
    /// long, so a policy that often fails cannot look fast.
    pub(crate) fn success_duration_s(&self) -> f64 {
        match (self.final_state, self.duration) {
            (Some(UpdateState::Completed), Some(d)) => d.as_nanos() as f64 / 1e9,
            _ => f64::INFINITY,
        }
    }
}

/// How a sweep's runs are made: figures only. [`figures`] reads the record's seed, services
/// (update, its status changes and earlier updates, creation and removal), timeline and end
/// time (availability), request outcomes (from the serving spans, their service and image
/// names, routes and image changes), container counts, strategies and reservations — never a
/// task or process row, which this mode leaves out, nor a serving span of a run without traffic
/// or a rollout, which it does not follow (see `SimulateOptions::figures_only`).
pub(crate) fn run_options() -> crate::commands::simulate::SimulateOptions {
    crate::commands::simulate::SimulateOptions { figures_only: true, ..Default::default() }
}

/// The figures of `service` in one run.
pub(crate) fn figures(record: &RunRecord, service: &str, policy: usize) -> RunFigures {
    let update = record.services.iter().find(|s| s.name == service).map(|s| &s.update);
    let changed =
        |states: &[UpdateState]| update.is_some_and(|u| u.status_changes.iter().any(|c| states.contains(&c.state)));
    let availability = availability(record, service);
    RunFigures {
        policy,
        seed: record.seed,
        final_state: update.and_then(|u| u.state),
        duration: update.and_then(|u| Some(u.completed_at?.since(u.started_at?))),
        paused: changed(&[UpdateState::Paused, UpdateState::RollbackPaused]),
        rolled_back: update.is_some_and(|u| u.rollback_started_at.is_some()),
        min_serving_ratio: availability.min_serving_ratio,
        seconds_below_desired: availability.seconds_below_desired,
        failed_requests: record.requests.iter().find(|r| r.service == service).map(|r| r.failed()),
        peak_extra_tasks: peak_extra_tasks(record),
        reservations: record.reservations,
    }
}

/// The `peak_extra_tasks` of [`crate::report::rollout::figures`] (0 without a rollout), from
/// the container counts alone: the report's figure comes from its routed-count rows, which a
/// sweep otherwise never reads, and building them cost a sweep run a tenth of its time.
pub(crate) fn peak_extra_tasks(record: &RunRecord) -> u64 {
    crate::report::rollout::rollout_start(record).map_or(0, |start| peak_extra_containers(&record.containers, start))
}

/// The most containers held at any instant from `start` on (each instant's changes applied
/// together, as the report's rows do) above the count just before `start` (at `start` itself
/// when the rollout starts at 0 s, where no instant precedes it). `changes` are in time order.
fn peak_extra_containers(changes: &crate::model::record::ContainerLog, start: SimTime) -> u64 {
    let held = |count: i64| count.max(0) as u64;
    let mut changes = changes.iter().peekable();
    let mut count = 0;
    while let Some((_, d)) = changes.next_if(|c| c.0 < start) {
        count += d;
    }
    let before = held(count);
    while let Some((_, d)) = changes.next_if(|c| c.0 <= start) {
        count += d;
    }
    let at_start = if start == SimTime::ZERO { held(count) } else { before };
    let mut peak = held(count);
    while let Some((t, d)) = changes.next() {
        count += d;
        while let Some((_, d)) = changes.next_if(|c| c.0 == t) {
            count += d;
        }
        peak = peak.max(held(count));
    }
    peak.saturating_sub(at_start)
}

/// A deterministic share of a sweep's runs: `--shard I/N` takes the jobs (numbered in (policy,
/// seed) order from 0) whose number is `I - 1` modulo `N`. Dealing jobs out round-robin rather
/// than in blocks gives every shard a similar mix of cheap and costly policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 1-based shard number.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole sweep.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Parses `I/N` (1 ≤ I ≤ N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text:?}: expected I/N with 1 <= I <= N, e.g. --shard 2/8");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse::<u64>().map_err(|_| bad())?, n.trim().parse::<u64>().map_err(|_| bad())?);
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether job `job` belongs to this shard.
    pub fn owns(self, job: usize) -> bool {
        job as u64 % self.count == self.index - 1
    }

    /// The jobs of this shard among `total`, ascending.
    pub fn jobs(self, total: usize) -> impl Iterator<Item = usize> {
        ((self.index - 1) as usize..total).step_by(self.count as usize)
    }

    /// How many of the `total` jobs are this shard's (`jobs(total).count()`, without counting).
    pub fn job_count(self, total: usize) -> usize {
        total.saturating_sub((self.index - 1) as usize).div_ceil(self.count as usize)
    }

    /// The `i`-th (from 0) of this shard's jobs.
    pub fn job(self, i: usize) -> usize {
        (self.index - 1) as usize + i * self.count as usize
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The job number of run `seed` (1-based) of `policy`.
pub(crate) fn job_of(policy: usize, seed: u64, seeds: u64) -> usize {
    policy * seeds as usize + (seed - 1) as usize
}

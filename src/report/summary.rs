//! `summary.json`: the run's key figures per service, for machines and diffs — typed
//! ([`Summary`]), built once from the [`RunRecord`], serialised for the file and read as it is
//! by `deploysim test` (no JSON round trip).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::record::{RunRecord, ServiceRecord, StatusChange, UpdateRecord, UpdateState};
use crate::model::strategy::StrategyRecord;
use crate::model::traffic::RequestSeries;
use crate::report::availability::{Availability, Ratio, availability_of};
use crate::time::{SimDuration, SimTime};

/// `summary.json` of `run`: pretty JSON with a trailing newline (see [`Summary`]).
pub fn summary_json(run: &RunRecord) -> String {
    Summary::of(run).to_json()
}

/// The run summary. Serialised, its keys always come in this order (services in scenario
/// order, keyed by full service name):
///
/// ```text
/// { "scenario", "seed", "input_digest", "deploysim_version", "engine",
///   "run": { "end_reason", "end_time_s", "events_handled" },
///   "services": { "<name>": {
///       "desired_replicas",
///       "update": { "state", "message", "started_at_s", "completed_at_s", "duration_s",
///                   "tasks_replaced", "failures",
///                   "counts": { "slots_updated", "slots_rolled_back", "restart_tasks",
///                               "failures_counted", "failures_not_counted" },   (once started)
///                   "rollback_started_at_s",
///                   "status_changes": [ { "t_s", "state", "message" } ],
///                   "status_cleared_at_s" },   (only when a scale cleared UpdateStatus)
///       "previous_updates": [ { the same, for each earlier update } ],   (only when any)
///       "availability": { "observed_from_s", "min_serving", "min_serving_ratio",
///                         "serving_ratio_time_weighted", "seconds_below_desired",
///                         "seconds_none_serving" },
///       "requests": { "total", "failed", "failed_ratio", "longest_outage_s",
///                     "observed_from_s", "longest_outage_at_s",
///                     "new_version": { "image", "requests", "failed" },
///                     "backends": [ { "service", "requests", "failed" } ] },
///       "created_at_s", "removed_at_s" } },
///   "routes": { "<route>": <requests> },
///   "rollout": { "service", "image", "route", "started_at_s", "desired", "fully_new_at_s",
///                "time_to_fully_new_s", "peak_extra_tasks", "min_serving_ratio",
///                "mixed_versions_s", "recovered_at_s", "time_to_recover_s" },
///   "strategies": [ { "strategy", "service", "new_service", "image", "route", "started_at_s",
///                     "outcome", "message", "ended_at_s",
///                     "phases": [ { "t_s", "phase", "message" } ] } ],
///   "actions": [ { "t_s", "command", "error" } ] }
/// ```
///
/// Keys that only some runs have are left out of the others, so that a run without them reads
/// as before: `new_version` (the route's new version — the image last brought to one of its
/// backends — and the requests its tasks answered), `backends` (only with more than one),
/// `created_at_s` (services created after the start), `removed_at_s` (services removed),
/// `routes` (traffic entries written `route:`), `rollout` (runs with an update to a new image
/// or a blue-green or canary rollout: the figures of [`crate::report::rollout`], times to
/// `null` when they never happened) and `strategies` (blue-green and canary rollouts).
///
/// Times (`*_s`) and durations (`duration_s`, `seconds_*`) are seconds with exactly three
/// decimals; ratios have exactly four. Missing times are `null`; `update.state` is `null` when
/// the service never had an update; `duration_s` is `completed_at_s - started_at_s`, `null`
/// until the update completes. `availability` is defined on [`Availability`]. `requests` is
/// present only for services with `x-simulation.traffic` (see [`crate::traffic`]): requests
/// counted from `observed_from_s` to the end, how many failed and their share (0 when none were
/// counted), and the longest continuous time every arriving request failed, with its start
/// (`null` when there was none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// The seed of the run.
    pub seed: u64,
    /// Digest of the input files.
    pub input_digest: String,
    /// The version of deploysim that ran it.
    pub deploysim_version: String,
    /// The Docker engine behaviour reproduced.
    pub engine: String,
    /// How the run ended.
    pub run: RunSummary,
    /// Per service, keyed by name (`name#2` for a name used again after `docker service rm`).
    pub services: Keyed<ServiceSummary>,
    /// Traffic entries written `route:`.
    #[serde(default, skip_serializing_if = "Keyed::is_empty")]
    pub routes: Keyed<RequestsSummary>,
    /// The rollout's figures (an update to a new image, or a blue-green or canary rollout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutSummary>,
    /// Blue-green and canary rollouts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strategies: Vec<StrategySummary>,
    /// Task reservations against the cluster's capacity (only when some task reserved CPU or
    /// memory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservations: Option<ReservationSummary>,
    /// The timeline's actions, with Swarm's refusals.
    pub actions: Vec<ActionSummary>,
}

/// `reservations`: the cluster's capacity, the most its tasks reserved at once and what that
/// left (CPUs as docker prints them, memory in bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReservationSummary {
    /// Every node's CPUs, summed.
    pub capacity_cpus: String,
    /// The most CPUs reserved at once.
    pub peak_reserved_cpus: String,
    /// CPUs left at that peak.
    pub cpu_headroom: String,
    /// Every node's memory, summed.
    pub capacity_memory_bytes: u64,
    /// The most memory reserved at once.
    pub peak_reserved_memory_bytes: u64,
    /// Memory left at that peak.
    pub memory_headroom_bytes: i64,
}

impl ReservationSummary {
    /// The summary of `r`.
    pub fn of(r: &crate::model::record::ReservationRecord) -> ReservationSummary {
        let headroom = r.cpu_headroom();
        let cpus = crate::model::spec::format_cpus(headroom.unsigned_abs());
        ReservationSummary {
            capacity_cpus: r.capacity.cpus_text(),
            peak_reserved_cpus: r.peak.cpus_text(),
            cpu_headroom: if headroom < 0 { format!("-{cpus}") } else { cpus },
            capacity_memory_bytes: r.capacity.memory_bytes,
            peak_reserved_memory_bytes: r.peak.memory_bytes,
            memory_headroom_bytes: r.memory_headroom(),
        }
    }
}

/// `run`: how the run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// `quiescent`, `until` or `max_events`.
    pub end_reason: String,
    /// When it ended.
    pub end_time_s: Seconds,
    /// Events the engine handled.
    pub events_handled: u64,
}

/// One service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceSummary {
    /// Replicas desired at the end.
    pub desired_replicas: u64,
    /// The last update (or manual rollback): every figure in it counts that update alone, its
    /// automatic rollback included.
    pub update: UpdateSummary,
    /// The updates before it, oldest first, with the same figures (only when there were any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_updates: Vec<UpdateSummary>,
    /// Serving figures, see [`Availability`].
    pub availability: AvailabilitySummary,
    /// With traffic on the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<RequestsSummary>,
    /// For a service created after the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at_s: Option<Seconds>,
    /// For a service removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at_s: Option<Seconds>,
}

/// `update`: the service's last update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateSummary {
    /// The last UpdateStatus state; `None` (`null`) when the service never updated.
    #[serde(with = "update_state")]
    pub state: Option<UpdateState>,
    /// Docker's message of that state.
    pub message: String,
    /// When the update started.
    pub started_at_s: Option<Seconds>,
    /// When it completed.
    pub completed_at_s: Option<Seconds>,
    /// `completed_at_s - started_at_s`, once completed.
    pub duration_s: Option<Seconds>,
    /// Tasks the update's updaters created (its rollback's included): see `counts` for what
    /// they did.
    pub tasks_replaced: u64,
    /// Task failures the updater counted.
    pub failures: u64,
    /// What the update did, per kind of work (once it started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<UpdateCounts>,
    /// When a rollback started.
    pub rollback_started_at_s: Option<Seconds>,
    /// Every UpdateStatus change.
    pub status_changes: Vec<StatusChangeSummary>,
    /// When a later spec update that asked for no new task (`docker service scale`) cleared the
    /// service's UpdateStatus for good (`docker service inspect` shows none from then on:
    /// `state` stays this update's own last state). Only on the last update, only when it
    /// happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_cleared_at_s: Option<Seconds>,
}

/// `counts`: one update's work, each kind counted once, never more than happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateCounts {
    /// Slots the update's updater took (a new task, or a clean one kept): at most the slots.
    pub slots_updated: u64,
    /// Slots its rollback's updater took back to the previous spec.
    pub slots_rolled_back: u64,
    /// Tasks the restart supervisor created meanwhile (replacing tasks that ended).
    pub restart_tasks: u64,
    /// Failures the updater counted toward `max_failure_ratio`.
    pub failures_counted: u64,
    /// The service's other failures meanwhile: the restart supervisor's tasks, failures
    /// outside a monitor window, after the updater stopped.
    pub failures_not_counted: u64,
}

/// One UpdateStatus change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusChangeSummary {
    /// When.
    pub t_s: Seconds,
    /// The new state.
    #[serde(with = "update_state::required")]
    pub state: UpdateState,
    /// Docker's message.
    pub message: String,
}

/// `availability`: see [`Availability`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AvailabilitySummary {
    /// Start of the observed window.
    pub observed_from_s: Option<Seconds>,
    /// Fewest tasks serving.
    pub min_serving: u64,
    /// Fewest serving over desired.
    pub min_serving_ratio: Fixed4,
    /// Serving over desired, weighted by time, over the update.
    pub serving_ratio_time_weighted: Option<Fixed4>,
    /// Time with fewer tasks serving than desired.
    pub seconds_below_desired: Seconds,
    /// Time with no task serving.
    pub seconds_none_serving: Seconds,
}

/// `requests`: the client requests of one route (see [`crate::traffic`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestsSummary {
    /// Requests counted.
    pub total: u64,
    /// Of those, failed.
    pub failed: u64,
    /// `failed / total` (0 when none were counted).
    pub failed_ratio: Fixed4,
    /// The longest time every arriving request failed.
    pub longest_outage_s: Seconds,
    /// Start of the counted window.
    pub observed_from_s: Seconds,
    /// When the longest outage began.
    pub longest_outage_at_s: Option<Seconds>,
    /// The requests the route's new version answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_version: Option<NewVersionSummary>,
    /// Per backend service, when the route has more than one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<BackendSummary>,
}

/// `new_version`: the requests the new image answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewVersionSummary {
    /// The image last brought to one of the route's backends.
    pub image: String,
    /// Requests its tasks answered.
    pub requests: u64,
    /// Of those, failed.
    pub failed: u64,
}

/// One backend service of a route.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendSummary {
    /// The service.
    pub service: String,
    /// Requests it was sent.
    pub requests: u64,
    /// Of those, failed.
    pub failed: u64,
}

/// `rollout`: the figures of [`crate::report::rollout`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RolloutSummary {
    /// The service updated.
    pub service: String,
    /// The new image.
    pub image: String,
    /// The route measured.
    pub route: String,
    /// When the rollout started.
    pub started_at_s: Seconds,
    /// Replicas desired.
    pub desired: u64,
    /// From when only the new version answered.
    pub fully_new_at_s: Option<Seconds>,
    /// `fully_new_at_s - started_at_s`.
    pub time_to_fully_new_s: Option<Seconds>,
    /// Most containers above the steady state.
    pub peak_extra_tasks: u64,
    /// Fewest tasks receiving requests over desired.
    pub min_serving_ratio: Fixed4,
    /// Time both versions answered.
    pub mixed_versions_s: Seconds,
    /// When only the old version answered again.
    pub recovered_at_s: Option<Seconds>,
    /// `recovered_at_s - started_at_s`.
    pub time_to_recover_s: Option<Seconds>,
}

/// One blue-green or canary rollout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrategySummary {
    /// `blue_green` or `canary`.
    pub strategy: String,
    /// The service rolled out.
    pub service: String,
    /// The service holding the new version.
    pub new_service: String,
    /// The new image.
    pub image: String,
    /// The route switched.
    pub route: String,
    /// When it started.
    pub started_at_s: Seconds,
    /// How it ended (`null` while in progress).
    pub outcome: Option<String>,
    /// Its last message.
    pub message: String,
    /// When it ended.
    pub ended_at_s: Option<Seconds>,
    /// Its phases.
    pub phases: Vec<PhaseSummary>,
}

/// One phase of a strategy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseSummary {
    /// When it began.
    pub t_s: Seconds,
    /// Its name.
    pub phase: String,
    /// What happened.
    pub message: String,
}

/// One timeline action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionSummary {
    /// When it ran.
    pub t_s: Seconds,
    /// The docker command.
    pub command: String,
    /// Swarm's refusal, if any.
    pub error: Option<String>,
}

impl Summary {
    /// The summary of `run`.
    pub fn of(run: &RunRecord) -> Summary {
        let routes = run
            .requests
            .iter()
            .filter(|r| !run.services.iter().any(|s| s.name == r.service))
            .map(|r| (r.service.clone(), RequestsSummary::of(r)));
        Summary {
            scenario: run.scenario.clone(),
            seed: run.seed,
            input_digest: run.input_digest.clone(),
            deploysim_version: env!("CARGO_PKG_VERSION").to_string(),
            engine: run.engine.clone(),
            run: RunSummary {
                end_reason: run.end_reason.as_str().to_string(),
                end_time_s: Seconds::at(run.end_time),
                events_handled: run.events_handled,
            },
            services: services(run),
            routes: Keyed(routes.collect()),
            rollout: crate::report::rollout::figures(run).map(|f| RolloutSummary::of(&f)),
            strategies: run.strategies.iter().map(StrategySummary::of).collect(),
            reservations: run.reservations.as_ref().map(ReservationSummary::of),
            actions: run.actions.iter().map(ActionSummary::of).collect(),
        }
    }

    /// Pretty JSON with a trailing newline: `summary.json`'s bytes.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a summary always serializes");
        text.push('\n');
        text
    }

    /// The service keyed `name` (the first of that name).
    pub fn service(&self, name: &str) -> Option<&ServiceSummary> {
        self.services.get(name)
    }
}

/// Keyed by name; a name used again after `docker service rm` is another service, keyed
/// `name#2`, `name#3`… (traffic named after the service reports under its first one).
fn services(run: &RunRecord) -> Keyed<ServiceSummary> {
    let mut seen: Vec<&str> = Vec::new();
    Keyed(
        run.services
            .iter()
            .map(|s| {
                let n = seen.iter().filter(|x| **x == s.name).count();
                seen.push(&s.name);
                let key = if n == 0 { s.name.clone() } else { format!("{}#{}", s.name, n + 1) };
                let requests = run.requests.iter().find(|r| r.service == s.name).filter(|_| n == 0);
                (key, ServiceSummary::of(s, &availability_of(run, s), requests))
            })
            .collect(),
    )
}

impl ServiceSummary {
    fn of(service: &ServiceRecord, availability: &Availability, requests: Option<&RequestSeries>) -> ServiceSummary {
        ServiceSummary {
            desired_replicas: service.desired_replicas,
            update: UpdateSummary {
                status_cleared_at_s: service.status_cleared_at().map(Seconds::at),
                ..UpdateSummary::of(&service.update)
            },
            previous_updates: service.previous_updates.iter().map(UpdateSummary::of).collect(),
            availability: AvailabilitySummary::of(availability),
            // Only with traffic: summaries of runs without it stay byte-identical.
            requests: requests.map(RequestsSummary::of),
            created_at_s: (service.created_at > SimTime::ZERO).then(|| Seconds::at(service.created_at)),
            removed_at_s: service.removed_at.map(Seconds::at),
        }
    }
}

impl UpdateSummary {
    fn of(u: &UpdateRecord) -> UpdateSummary {
        let duration = match (u.started_at, u.completed_at) {
            (Some(start), Some(end)) => Some(end.since(start)),
            _ => None,
        };
        UpdateSummary {
            state: u.state,
            message: u.message.clone(),
            started_at_s: u.started_at.map(Seconds::at),
            completed_at_s: u.completed_at.map(Seconds::at),
            duration_s: duration.map(Seconds::of),
            tasks_replaced: u.tasks_replaced,
            failures: u.failures,
            counts: u.started_at.map(|_| UpdateCounts {
                slots_updated: u.slots_updated,
                slots_rolled_back: u.slots_rolled_back,
                restart_tasks: u.restart_tasks,
                failures_counted: u.failures,
                failures_not_counted: u.task_failures.saturating_sub(u.failures),
            }),
            rollback_started_at_s: u.rollback_started_at.map(Seconds::at),
            status_changes: u.status_changes.iter().map(StatusChangeSummary::of).collect(),
            status_cleared_at_s: None,
        }
    }
}

impl StatusChangeSummary {
    fn of(c: &StatusChange) -> StatusChangeSummary {
        StatusChangeSummary { t_s: Seconds::at(c.t), state: c.state, message: c.message.clone() }
    }
}

impl AvailabilitySummary {
    fn of(a: &Availability) -> AvailabilitySummary {
        AvailabilitySummary {
            observed_from_s: a.observed_from.map(Seconds::at),
            min_serving: a.min_serving,
            min_serving_ratio: Fixed4::of(a.min_serving_ratio),
            serving_ratio_time_weighted: a.serving_ratio_time_weighted.map(Fixed4::of),
            seconds_below_desired: Seconds::of(a.seconds_below_desired),
            seconds_none_serving: Seconds::of(a.seconds_none_serving),
        }
    }
}

impl RequestsSummary {
    fn of(r: &RequestSeries) -> RequestsSummary {
        let (total, failed) = (r.total(), r.failed());
        let new_version = r.new_image.as_ref().map(|image| NewVersionSummary {
            image: image.clone(),
            requests: r.to_new,
            failed: r.new_failed,
        });
        let backends = if r.backends.len() > 1 {
            let backend = |b: &crate::model::traffic::BackendRequests| BackendSummary {
                service: b.service.clone(),
                requests: b.total,
                failed: b.failed,
            };
            r.backends.iter().map(backend).collect()
        } else {
            Vec::new()
        };
        RequestsSummary {
            total,
            failed,
            failed_ratio: Fixed4::of(Ratio { num: failed as u128, den: total.max(1) as u128 }),
            longest_outage_s: Seconds::of(r.longest_outage),
            observed_from_s: Seconds::at(r.from),
            longest_outage_at_s: r.longest_outage_at.map(Seconds::at),
            new_version,
            backends,
        }
    }
}

impl RolloutSummary {
    fn of(f: &crate::report::rollout::Figures) -> RolloutSummary {
        let r = &f.rollout;
        RolloutSummary {
            service: r.service.clone(),
            image: r.image.clone(),
            route: r.route.clone(),
            started_at_s: Seconds::at(r.start),
            desired: r.desired,
            fully_new_at_s: f.fully_new_at.map(Seconds::at),
            time_to_fully_new_s: f.fully_new_at.map(|t| Seconds::of(t.since(r.start))),
            peak_extra_tasks: f.peak_extra_tasks,
            min_serving_ratio: Fixed4::of(f.min_serving_ratio),
            mixed_versions_s: Seconds::of(f.mixed),
            recovered_at_s: f.recovered_at.map(Seconds::at),
            time_to_recover_s: f.recovered_at.map(|t| Seconds::of(t.since(r.start))),
        }
    }
}

impl StrategySummary {
    fn of(s: &StrategyRecord) -> StrategySummary {
        let phase = |p: &crate::model::strategy::PhaseChange| PhaseSummary {
            t_s: Seconds::at(p.t),
            phase: p.phase.clone(),
            message: p.message.clone(),
        };
        StrategySummary {
            strategy: s.strategy.clone(),
            service: s.service.clone(),
            new_service: s.new_service.clone(),
            image: s.image.clone(),
            route: s.route.clone(),
            started_at_s: Seconds::at(s.started_at),
            outcome: s.outcome.clone(),
            message: s.message.clone(),
            ended_at_s: s.ended_at.map(Seconds::at),
            phases: s.phases.iter().map(phase).collect(),
        }
    }
}

impl ActionSummary {
    fn of((t, command, error): &(SimTime, String, Option<String>)) -> ActionSummary {
        ActionSummary { t_s: Seconds::at(*t), command: command.clone(), error: error.clone() }
    }
}

/// Seconds held as whole milliseconds, the precision `summary.json` prints: always written
/// with exactly three decimals (`51.200`, never `51.2`), so times read the same in every file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seconds(pub u64);

impl Seconds {
    /// The time `t`, truncated to the millisecond.
    pub fn at(t: SimTime) -> Seconds {
        Seconds(t.0 / 1_000_000)
    }

    /// The duration `d`, truncated to the millisecond.
    pub fn of(d: SimDuration) -> Seconds {
        Seconds(d.0 / 1_000_000)
    }

    /// The nearest `f64`: the value a JSON reader gets from the text.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1e3
    }
}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// A ratio held to four decimals (in units of 1/10,000, rounded half up), always written with
/// exactly four (`0.8000`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fixed4(pub u64);

impl Fixed4 {
    /// `r` to four decimals.
    pub fn of(r: Ratio) -> Fixed4 {
        Fixed4(u64::try_from(r.scaled(4)).unwrap_or(u64::MAX))
    }

    /// The nearest `f64`: the value a JSON reader gets from the text.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1e4
    }
}

impl fmt::Display for Fixed4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:04}", self.0 / 10_000, self.0 % 10_000)
    }
}

/// Writes `text` as a JSON number exactly as given (serde_json would print `51.2` for 51.200).
fn raw_number<S: Serializer>(text: String, serializer: S) -> Result<S::Ok, S::Error> {
    serde_json::value::RawValue::from_string(text).map_err(serde::ser::Error::custom)?.serialize(serializer)
}

/// A JSON number as a count of `1/scale` units (rounded: the file holds decimals).
fn scaled_number<'de, D: Deserializer<'de>>(deserializer: D, scale: f64) -> Result<u64, D::Error> {
    let x = f64::deserialize(deserializer)?;
    if !(x.is_finite() && x >= 0.0) {
        return Err(de::Error::custom(format!("expected a non-negative number, found {x}")));
    }
    Ok((x * scale).round() as u64)
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        raw_number(self.to_string(), serializer)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Seconds, D::Error> {
        scaled_number(deserializer, 1e3).map(Seconds)
    }
}

impl Serialize for Fixed4 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        raw_number(self.to_string(), serializer)
    }
}

impl<'de> Deserialize<'de> for Fixed4 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Fixed4, D::Error> {
        scaled_number(deserializer, 1e4).map(Fixed4)
    }
}

/// A JSON object whose keys keep their order (services in scenario order), read and written
/// as pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyed<T>(pub Vec<(String, T)>);

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed(Vec::new())
    }
}

impl<T> Keyed<T> {
    /// No key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of the first `key`.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl<T: Serialize> Serialize for Keyed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Keyed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Keyed<T>, D::Error> {
        struct Pairs<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Pairs<T> {
            type Value = Keyed<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Keyed<T>, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = access.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Keyed(pairs))
            }
        }
        deserializer.deserialize_map(Pairs(PhantomData))
    }
}

/// An UpdateStatus state as Docker writes it (`rollback_started`); `null` for none.
mod update_state {
    use serde::{Deserialize, Deserializer, Serializer, de};

    use crate::model::record::UpdateState;

    pub(super) fn serialize<S: Serializer>(state: &Option<UpdateState>, serializer: S) -> Result<S::Ok, S::Error> {
        match state {
            Some(s) => serializer.serialize_str(s.as_str()),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<UpdateState>, D::Error> {
        Option::<String>::deserialize(deserializer)?.map(|text| parse(&text)).transpose()
    }

    fn parse<E: de::Error>(text: &str) -> Result<UpdateState, E> {
        UpdateState::parse(text).ok_or_else(|| E::custom(format!("unknown UpdateStatus state {text:?}")))
    }

    /// A state that is always there (a status change's).
    pub(super) mod required {
        use serde::{Deserialize, Deserializer, Serializer};

        use crate::model::record::UpdateState;

        pub(crate) fn serialize<S: Serializer>(state: &UpdateState, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(state.as_str())
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<UpdateState, D::Error> {
            super::parse(&String::deserialize(deserializer)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{MS, S, completed_update, empty_run, sample, service};
    use serde_json::Value;

    /// web_web updated 30.050 s → 81.284 s (51.234 s) with 10 of 10 replaced; web_db never
    /// updated. One refused action.
    fn run() -> RunRecord {
        let mut run = empty_run();
        let mut web = service("web_web", 10);
        web.update = completed_update(81 * S + 284 * MS);
        // The db service comes first in the scenario: the output must keep that order.
        run.services = vec![service("web_db", 1), web];
        run.timeline = vec![
            sample("web_db", 0, 1, 1),
            sample("web_web", 0, 10, 10),
            sample("web_web", 40 * S, 10, 8),
            sample("web_web", 52 * S + 400 * MS, 10, 10),
        ]
        .into();
        run.actions = vec![
            (SimTime(10 * S), "docker service scale web_web=10".into(), None),
            (
                SimTime(20 * S),
                "docker node update --availability drain ghost".into(),
                Some("node ghost not found".into()),
            ),
        ];
        run
    }

    #[test]
    fn parses_back_with_exact_values() {
        let text = summary_json(&run());
        assert!(text.ends_with("}\n"));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["seed"], 42);
        assert_eq!(v["deploysim_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["run"]["end_reason"], "quiescent");
        let web = &v["services"]["web_web"];
        assert_eq!(web["update"]["state"], "completed");
        assert_eq!(web["update"]["status_changes"][1]["state"], "completed");
        assert_eq!(web["availability"]["min_serving"], 8);
        assert_eq!(v["actions"][0]["error"], Value::Null);
        assert_eq!(v["actions"][1]["error"], "node ghost not found");
        // Exact decimal text, not a float's shortest form (51.234, 12.400 — never 12.4).
        assert!(text.contains("\"duration_s\": 51.234,"), "{text}");
        assert!(text.contains("\"started_at_s\": 30.050,"), "{text}");
        assert!(text.contains("\"seconds_below_desired\": 12.400,"), "{text}");
        assert!(text.contains("\"end_time_s\": 100.000,"), "{text}");
        assert!(text.contains("\"min_serving_ratio\": 0.8000,"), "{text}");
    }

    #[test]
    fn reads_back_into_the_same_summary_and_bytes() {
        let text = summary_json(&run());
        let parsed: Summary = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, Summary::of(&run()));
        assert_eq!(parsed.to_json(), text);
        let web = parsed.service("web_web").unwrap();
        assert_eq!(web.update.state, Some(crate::model::record::UpdateState::Completed));
        assert_eq!(web.update.duration_s, Some(Seconds(51_234)));
        assert_eq!(web.availability.min_serving_ratio, Fixed4(8000));
        // The values a JSON reader gets from the text.
        assert_eq!(web.update.duration_s.unwrap().as_f64(), 51.234);
        assert_eq!(web.availability.min_serving_ratio.as_f64(), 0.8);
    }

    #[test]
    fn never_updated_service_has_nulls() {
        let v: Value = serde_json::from_str(&summary_json(&run())).unwrap();
        let db = &v["services"]["web_db"];
        assert_eq!(db["update"]["state"], Value::Null);
        assert_eq!(db["update"]["started_at_s"], Value::Null);
        assert_eq!(db["update"]["duration_s"], Value::Null);
        assert_eq!(db["update"]["status_changes"], Value::Array(vec![]));
        assert_eq!(db["availability"]["serving_ratio_time_weighted"], Value::Null);
        assert_eq!(db["availability"]["min_serving_ratio"], 1.0);
    }

    #[test]
    fn keys_and_services_keep_their_order() {
        let text = summary_json(&run());
        let pos = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing"));
        let top = [
            "\"scenario\"",
            "\"seed\"",
            "\"input_digest\"",
            "\"deploysim_version\"",
            "\"engine\"",
            "\"run\"",
            "\"services\"",
            "\"actions\"",
        ];
        assert!(top.windows(2).all(|w| pos(w[0]) < pos(w[1])), "{text}");
        assert!(pos("\"web_db\": {") < pos("\"web_web\": {"));
    }

    #[test]
    fn requests_only_for_services_with_traffic() {
        use crate::model::traffic::{RequestBucket, RequestSeries};
        let mut run = run();
        let bucket = |t: u64, ok, failed| RequestBucket { t: SimTime(t * S), ok, failed };
        run.requests = vec![RequestSeries {
            service: "web_web".into(),
            from: SimTime(2 * S),
            until: SimTime(5 * S),
            buckets: vec![bucket(2, 100, 0), bucket(3, 30, 70), bucket(4, 100, 0)],
            longest_outage: crate::time::SimDuration(700 * MS),
            longest_outage_at: Some(SimTime(3 * S + 300 * MS)),
            new_image: None,
            to_new: 0,
            new_failed: 0,
            backends: Vec::new(),
        }];
        let text = summary_json(&run);
        // 70 of 300 failed: 0.2333.
        let expected = "\"requests\": {\n        \"total\": 300,\n        \"failed\": 70,\n        \"failed_ratio\": 0.2333,\n        \"longest_outage_s\": 0.700,\n        \"observed_from_s\": 2.000,\n        \"longest_outage_at_s\": 3.300\n      }";
        assert!(text.contains(expected), "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["services"]["web_db"].get("requests"), None);
    }
}

//! The numbers behind the hazards, computed with the simulator's own model: Docker's health
//! monitor ([`crate::swarm::health::predict`]), the scenario's image behaviour and latencies,
//! swarmkit's placement filters and its float32 failure-ratio test.

use crate::model::cluster::Availability;
use crate::model::image::{HealthBehavior, ImageBehavior};
use crate::model::scenario::Scenario;
use crate::model::spec::{Placement, ServiceMode, ServiceSpec};
use crate::swarm::health::{FailingProbe, ProbeOracle, ProbeResult, ResolvedHealth, failing_probes, predict};
use crate::swarm::placement::{NodeView, constraint_matches};
use crate::time::{SimDuration, SimTime};

/// Far enough for any realistic health check to settle.
const HORIZON: SimTime = SimTime(24 * 3600 * 1_000_000_000);

/// How long one probe takes in this scenario (`x-simulation.latencies.probe`, typical value).
pub(crate) fn probe_duration(scenario: &Scenario) -> SimDuration {
    scenario.latencies.probe.typical()
}

/// A container whose first probe passes and every later one fails.
struct FirstPassThenFail {
    first: Option<SimTime>,
}

impl ProbeOracle for FirstPassThenFail {
    fn probe(&mut self, at: SimTime) -> ProbeResult {
        if self.first.is_none() {
            self.first = Some(at);
            return ProbeResult::Pass;
        }
        ProbeResult::Fail
    }
    fn passes_from(&self) -> Option<SimTime> {
        None
    }
    fn fails_from(&self) -> Option<SimTime> {
        self.first.map(|t| SimTime(t.0 + 1))
    }
}

/// A container whose probes pass from `from` on (never, when `None`).
struct PassesFrom(Option<SimTime>);

impl ProbeOracle for PassesFrom {
    fn probe(&mut self, at: SimTime) -> ProbeResult {
        if self.0.is_some_and(|p| at >= p) { ProbeResult::Pass } else { ProbeResult::Fail }
    }
    fn passes_from(&self) -> Option<SimTime> {
        self.0
    }
    fn fails_from(&self) -> Option<SimTime> {
        if self.0.is_none() { Some(SimTime::ZERO) } else { None }
    }
}

/// For a task that passes its first probe (so becomes healthy, and RUNNING) and then fails
/// every probe: how long after that first healthy result it is marked unhealthy.
pub(crate) fn unhealthy_after_running(health: &ResolvedHealth, probe: SimDuration) -> Option<SimDuration> {
    let mut oracle = FirstPassThenFail { first: None };
    let out = predict(health, SimTime::ZERO, probe, &mut oracle, HORIZON);
    Some(out.unhealthy_at?.since(out.healthy_at?))
}

/// When, after container start, the first probe passes for an image whose probes pass from
/// `passes_from` on (`None`: it never becomes healthy).
pub(crate) fn first_healthy(
    health: &ResolvedHealth,
    probe: SimDuration,
    passes_from: SimDuration,
) -> Option<SimDuration> {
    let mut oracle = PassesFrom(Some(SimTime(passes_from.0)));
    let out = predict(health, SimTime::ZERO, probe, &mut oracle, HORIZON);
    out.healthy_at.map(|t| t.since(SimTime::ZERO))
}

/// When a never-healthy task is marked unhealthy, after container start.
pub(crate) fn never_healthy_fails_after(health: &ResolvedHealth, probe: SimDuration) -> Option<SimDuration> {
    let mut oracle = PassesFrom(None);
    let out = predict(health, SimTime::ZERO, probe, &mut oracle, HORIZON);
    out.unhealthy_at.map(|t| t.since(SimTime::ZERO))
}

/// The parts of the time a new task needs to become ready on a node without the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReadyTime {
    /// Image pull.
    pub pull: SimDuration,
    /// Container create and start.
    pub start: SimDuration,
    /// From start to the first passing probe (0 without a health check).
    pub first_healthy: SimDuration,
}

impl ReadyTime {
    /// The sum.
    pub(crate) fn total(&self) -> SimDuration {
        self.pull.plus(self.start).plus(self.first_healthy)
    }
}

/// Typical ready time of `image` with `health` (None when it never becomes healthy).
pub(crate) fn ready_time(scenario: &Scenario, image: &str, health: Option<&ResolvedHealth>) -> Option<ReadyTime> {
    let behavior = scenario.image(image);
    let first_healthy = match health {
        Some(h) => first_healthy(h, probe_duration(scenario), passes_from(&behavior)?)?,
        None => SimDuration::ZERO,
    };
    Some(ReadyTime { pull: behavior.pull.typical(), start: behavior.start.typical(), first_healthy })
}

/// From when (after start) the image's probes pass; `None` if never.
fn passes_from(behavior: &ImageBehavior) -> Option<SimDuration> {
    match &behavior.health {
        HealthBehavior::Healthy | HealthBehavior::UnhealthyAfter(_) | HealthBehavior::Flaky(_) => {
            Some(SimDuration::ZERO)
        }
        HealthBehavior::HealthyAfter(d) => Some(d.typical()),
        HealthBehavior::NeverHealthy => None,
    }
}

/// Nodes that can take tasks of `spec` at deploy time: active and matching every constraint.
pub(crate) fn eligible_nodes(scenario: &Scenario, placement: &Placement) -> u64 {
    let eligible = scenario.nodes.iter().filter(|n| n.availability == Availability::Active).filter(|n| {
        let view = NodeView::declared(n);
        placement.constraints.iter().all(|c| constraint_matches(c, &view))
    });
    eligible.count() as u64
}

/// Tasks the service runs: its replicas, or one per eligible node for a global service.
pub(crate) fn task_count(scenario: &Scenario, spec: &ServiceSpec) -> u64 {
    match spec.mode {
        ServiceMode::Replicated { replicas } => replicas,
        ServiceMode::Global => eligible_nodes(scenario, &spec.task.placement),
    }
}

/// The fewest counted failures that trigger the failure action: the first k with
/// `float32(k) / float32(slots) > ratio` (swarmkit compares in float32, strictly). `None` when
/// even every slot failing does not.
pub(crate) fn failures_to_trigger(ratio: f32, slots: u64) -> Option<u64> {
    (1..=slots).find(|&k| k as f32 / slots as f32 > ratio)
}

/// Probes listed at most (a start period of hours with a short interval is a long list).
const MAX_LISTED_PROBES: usize = 1_000;

/// When Docker's health monitor marks a container unhealthy, against the rule of thumb
/// `start_period + interval × retries` (the tutorial's): moby runs the first probe one interval
/// after start, each next one an interval after the previous one *ended* (so every probe's
/// duration adds, up to the timeout when it hangs), and discounts a failure only while the
/// status is `starting` and the probe began inside the start period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HealthTiming {
    /// The probes of a container that never answers, each taking the scenario's probe time.
    pub probes: Vec<FailingProbe>,
    /// The same when every probe hangs until the timeout.
    pub hung: Vec<FailingProbe>,
    /// `start_period + interval × retries`.
    pub rule_of_thumb: SimDuration,
    /// For a task that passes its first probe (so reaches RUNNING) then fails every probe: how
    /// long after RUNNING it is marked unhealthy.
    pub after_running: Option<SimDuration>,
}

impl HealthTiming {
    /// Unhealthy after start, when no probe ever passes (fast failing probes).
    pub(crate) fn unhealthy_after(&self) -> SimDuration {
        self.probes.last().map_or(SimDuration::ZERO, |p| p.end)
    }

    /// Unhealthy after start, when every probe hangs until the timeout.
    pub(crate) fn unhealthy_after_hung(&self) -> SimDuration {
        self.hung.last().map_or(SimDuration::ZERO, |p| p.end)
    }

    /// `2.000s (counted), 4.070s, 6.140s`: when each probe began, the discounted ones marked.
    pub(crate) fn probe_list(probes: &[FailingProbe]) -> String {
        let shown: Vec<String> = probes
            .iter()
            .take(12)
            .map(|p| format!("{}s{}", p.start.secs_ms(), if p.counted { "" } else { " (discounted)" }))
            .collect();
        let more = if probes.len() > 12 { format!(" … {} probes in all", probes.len()) } else { String::new() };
        shown.join(", ") + &more
    }
}

/// See [`HealthTiming`].
pub(crate) fn health_timing(health: &ResolvedHealth, probe: SimDuration) -> HealthTiming {
    HealthTiming {
        probes: failing_probes(health, probe, MAX_LISTED_PROBES),
        hung: failing_probes(health, health.timeout, MAX_LISTED_PROBES),
        rule_of_thumb: health.start_period.plus(health.interval.times(u64::from(health.retries))),
        after_running: unhealthy_after_running(health, probe),
    }
}

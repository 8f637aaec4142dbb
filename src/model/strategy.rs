//! Deployment strategies beside Swarm's rolling update: their knobs, as a timeline entry's
//! `strategy:` gives them (validated, defaults resolved). The controllers that run them are in
//! [`crate::strategy`].

use crate::time::SimDuration;

/// How an update is rolled out.
#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    /// Green beside blue at full size, then an atomic router switch.
    BlueGreen(BlueGreen),
    /// A few new replicas beside the stable ones, exposed step by step.
    Canary(Canary),
}

impl Strategy {
    /// The new version's service beside `old`: `web_web-green` beside `web_web`, then
    /// `web_web-blue` beside `web_web-green`, and so on — the colours alternate, and never come
    /// back to the stack's own name (which a traffic entry `service: web_web` routes to
    /// whatever its labels say); `web_web-canary` beside `web_web`.
    pub fn new_service_name(&self, old: &str) -> String {
        match self {
            Strategy::BlueGreen(_) => match (old.strip_suffix("-green"), old.strip_suffix("-blue")) {
                (Some(base), _) => format!("{base}-blue"),
                (_, Some(base)) => format!("{base}-green"),
                _ => format!("{old}-green"),
            },
            Strategy::Canary(_) => format!("{old}-canary"),
        }
    }

    /// `blue_green` or `canary`, as written in scenarios and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::BlueGreen(_) => "blue_green",
            Strategy::Canary(_) => "canary",
        }
    }
}

/// When the new version is judged bad from what it does (Argo Rollouts' `AnalysisTemplate`
/// and Flagger's analysis, reduced to the two signals a swarm shows: request errors and task
/// failures).
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// Time between two measurements of the new version's requests (Argo `interval`).
    pub interval: SimDuration,
    /// A measurement fails when more than this share of the requests the new version answered
    /// in the interval failed (Flagger's request success rate of 99 % is 1 %).
    pub max_error_rate_ppm: u32,
    /// Fewer requests than this in an interval make no measurement (too few to judge).
    pub min_requests: u64,
    /// Failed measurements tolerated; one more aborts (Argo `failureLimit`, default 0).
    pub failure_limit: u32,
    /// Task failures of the new version tolerated (a task that failed, was rejected, or exited
    /// while it should run); one more aborts at once.
    pub max_task_failures: u64,
}

impl Default for Analysis {
    fn default() -> Self {
        Analysis {
            interval: SimDuration::from_secs(10),
            max_error_rate_ppm: 10_000,
            min_requests: 10,
            failure_limit: 0,
            max_task_failures: 0,
        }
    }
}

/// Blue-green (Argo Rollouts' `blueGreen` vocabulary, on two Swarm services).
#[derive(Clone, Debug, PartialEq)]
pub struct BlueGreen {
    /// After every green task serves: how long it must keep serving, with no task failure,
    /// before the switch (a bake; Argo's pre-promotion wait). 0 switches at once.
    pub bake: SimDuration,
    /// Blue is kept this long after the switch, for an instant switch back; the analysis runs
    /// meanwhile (Argo `scaleDownDelaySeconds`, default 30 s).
    pub scale_down_delay: SimDuration,
    /// Green must be fully serving within this long of its creation, else it is abandoned (Argo
    /// `progressDeadlineSeconds`, default 10 min).
    pub progress_deadline: SimDuration,
    /// How green is judged after the switch.
    pub analysis: Analysis,
}

impl Default for BlueGreen {
    fn default() -> Self {
        BlueGreen {
            bake: SimDuration::ZERO,
            scale_down_delay: SimDuration::from_secs(30),
            progress_deadline: SimDuration::from_secs(600),
            analysis: Analysis::default(),
        }
    }
}

/// How requests reach the canary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanaryRouting {
    /// By replica ratio: the router round-robins over every serving task of both services, so
    /// the canary's share is its replicas over all; each step scales the canary.
    Replicas,
    /// By explicit weights (`deploysim.weight` labels read by a weighted router): the canary
    /// keeps a fixed size and each step sets the weights.
    Weights,
}

/// One canary step: expose `weight_pct` % of the requests, then watch for `pause`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CanaryStep {
    /// Share of the requests sent to the canary, in percent (1–99).
    pub weight_pct: u32,
    /// How long the step lasts once the canary serves at that weight.
    pub pause: SimDuration,
}

/// Canary (Argo's `steps` with `setWeight`/`pause`, promoted Flagger-style: the stable service
/// is rolling-updated to the new image, then the canary removed).
#[derive(Clone, Debug, PartialEq)]
pub struct Canary {
    /// How requests reach the canary.
    pub routing: CanaryRouting,
    /// With `Weights`: the canary's replicas (default: enough for the largest step's share of
    /// the stable service's replicas, at least 1).
    pub replicas: Option<u64>,
    /// The steps, in order.
    pub steps: Vec<CanaryStep>,
    /// The canary must serve at each step's size within this long, else it is aborted.
    pub progress_deadline: SimDuration,
    /// How the canary is judged during the steps.
    pub analysis: Analysis,
}

impl Default for Canary {
    fn default() -> Self {
        Canary {
            routing: CanaryRouting::Replicas,
            replicas: None,
            steps: vec![
                CanaryStep { weight_pct: 10, pause: SimDuration::from_secs(60) },
                CanaryStep { weight_pct: 50, pause: SimDuration::from_secs(60) },
            ],
            progress_deadline: SimDuration::from_secs(600),
            analysis: Analysis::default(),
        }
    }
}

/// Canary replicas giving about `weight_pct` % of requests beside `stable` serving replicas
/// under replica-ratio routing: the share is `c / (stable + c)`, so `c` is the integer nearest
/// to `w·stable / (100 − w)` (ties up), and at least 1.
pub fn replicas_for_weight(weight_pct: u32, stable: u64) -> u64 {
    let w = weight_pct.min(99) as u128;
    let (num, den) = (w * stable as u128, 100 - w);
    let c = (2 * num + den) / (2 * den);
    (c as u64).max(1)
}

/// Canary replicas for the weighted router: the largest step's share of `stable`, rounded
/// up, at least 1. Argo sizes a router-backed canary per step (`ceil(weight × replicas)`);
/// here it is sized once, for the largest step, so that raising a weight never waits for new
/// tasks — at the cost of more idle capacity during the early steps.
pub fn replicas_for_largest_step(steps: &[CanaryStep], stable: u64) -> u64 {
    let w = steps.iter().map(|s| s.weight_pct).max().unwrap_or(0) as u64;
    (w * stable).div_ceil(100).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_ratio_sizes_are_nearest_to_the_weight() {
        // 10 % beside 10 stable: 10·10/90 = 1.11 → 1 (share 1/11 ≈ 9 %).
        assert_eq!(replicas_for_weight(10, 10), 1);
        // 50 %: 10 → share 10/20.
        assert_eq!(replicas_for_weight(50, 10), 10);
        // 25 % of 10: 10·25/75 = 3.33 → 3 (3/13 ≈ 23 %).
        assert_eq!(replicas_for_weight(25, 10), 3);
        // 5 % of 4: 0.21 → at least 1.
        assert_eq!(replicas_for_weight(5, 4), 1);
        // A tie rounds up: 20 % of 2 is 0.5 → 1; 60 % of 1 is 1.5 → 2.
        assert_eq!(replicas_for_weight(60, 1), 2);
    }

    #[test]
    fn weighted_canary_is_sized_for_the_largest_step() {
        let steps = [
            CanaryStep { weight_pct: 10, pause: SimDuration::ZERO },
            CanaryStep { weight_pct: 25, pause: SimDuration::ZERO },
        ];
        assert_eq!(replicas_for_largest_step(&steps, 10), 3); // ceil(2.5)
        assert_eq!(replicas_for_largest_step(&steps[..1], 4), 1); // ceil(0.4)
    }
}

/// A rollout phase change (for reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseChange {
    /// When.
    pub t: crate::time::SimTime,
    /// The phase (`waiting`, `baking`, `switched`, `step 1/2`, `promoting`).
    pub phase: String,
    /// What happened, for people.
    pub message: String,
}

/// What a blue-green or canary rollout did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrategyRecord {
    /// `blue_green` or `canary`.
    pub strategy: String,
    /// The service rolled out (blue, or the stable one).
    pub service: String,
    /// The new version's service (green, or the canary).
    pub new_service: String,
    /// The new image.
    pub image: String,
    /// The route both serve.
    pub route: String,
    /// When the rollout started.
    pub started_at: crate::time::SimTime,
    /// Its phases, in order.
    pub phases: Vec<PhaseChange>,
    /// How it ended (`completed`, `aborted`, `switched_back`, `promotion_failed`), `None`
    /// while it was still going when the run ended.
    pub outcome: Option<String>,
    /// Why it ended so.
    pub message: String,
    /// When it ended.
    pub ended_at: Option<crate::time::SimTime>,
}

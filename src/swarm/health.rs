//! Docker's container health monitor (moby `daemon/health.go`: `monitor`, `getInterval`,
//! `handleProbeResult`), computed ahead instead of stepped probe by probe: given when the
//! container started and what each probe would answer, it returns when the status first becomes
//! healthy and when it becomes unhealthy. Passing probes in a steady state are skipped
//! arithmetically, so a healthy container costs no events.

use crate::model::scenario::EngineVersion;
use crate::model::spec::{HealthConfig, Healthcheck};
use crate::time::{SimDuration, SimTime};

/// The health check a task's container runs: the service's, each field it leaves empty (no
/// test, an unset duration, no retries) taken from the image's `HEALTHCHECK` (moby
/// `daemon/commit.go` `merge`); the image's alone when the service sets none. `None` when the
/// service disables it, when the test is `NONE`, or when no test remains at all (moby
/// `daemon/health.go` `getProbe`: nothing to probe). So `--health-interval 5s` on a service
/// whose image has a `HEALTHCHECK` runs the image's test every 5 s, and on one whose image has
/// none runs nothing.
pub fn effective(service: Option<&Healthcheck>, image: Option<&HealthConfig>) -> Option<HealthConfig> {
    let config = match (service, image) {
        (Some(Healthcheck::Disabled), _) => return None,
        (Some(Healthcheck::Check(own)), Some(image)) => HealthConfig {
            test: if own.test.is_empty() { image.test.clone() } else { own.test.clone() },
            interval: set(own.interval).or(image.interval),
            timeout: set(own.timeout).or(image.timeout),
            retries: own.retries.filter(|&n| n != 0).or(image.retries),
            start_period: set(own.start_period).or(image.start_period),
            start_interval: set(own.start_interval).or(image.start_interval),
        },
        (Some(Healthcheck::Check(own)), None) => own.clone(),
        (None, image) => image?.clone(),
    };
    match config.test.first().map(String::as_str) {
        None | Some("NONE") => None,
        Some(_) => Some(config),
    }
}

/// A duration the user set (moby treats 0 as unset).
fn set(d: Option<SimDuration>) -> Option<SimDuration> {
    d.filter(|d| *d != SimDuration::ZERO)
}

/// Docker's defaults (`daemon/health.go`, `defaultProbeInterval` etc.).
const DEFAULT_INTERVAL: SimDuration = SimDuration::from_secs(30);
const DEFAULT_TIMEOUT: SimDuration = SimDuration::from_secs(30);
const DEFAULT_RETRIES: u32 = 3;

/// A health check with every default applied for one engine version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolvedHealth {
    /// Time between the end of one probe and the start of the next.
    pub interval: SimDuration,
    /// A probe running longer than this fails.
    pub timeout: SimDuration,
    /// Counted consecutive failures that make the container unhealthy.
    pub retries: u32,
    /// Failures of probes that start within this time of container start are not counted
    /// (while the status is still `starting`).
    pub start_period: SimDuration,
    /// Probe interval inside the start period while `starting` (None: use `interval`).
    pub start_interval: Option<SimDuration>,
}

impl ResolvedHealth {
    /// Applies Docker's defaults: zero means "default" (`timeoutWithDefault`), retries ≤ 0 mean
    /// 3, and `start_interval` only exists on engines that support it.
    pub fn resolve(config: &HealthConfig, engine: EngineVersion) -> ResolvedHealth {
        let or_default = |d: Option<SimDuration>, default| match d {
            Some(d) if d > SimDuration::ZERO => d,
            _ => default,
        };
        let start_interval = if engine.supports_start_interval() {
            match config.start_interval {
                Some(d) if d > SimDuration::ZERO => Some(d),
                _ => engine.default_start_interval(),
            }
        } else {
            None
        };
        ResolvedHealth {
            interval: or_default(config.interval, DEFAULT_INTERVAL),
            timeout: or_default(config.timeout, DEFAULT_TIMEOUT),
            retries: match config.retries {
                Some(r) if r > 0 => r,
                _ => DEFAULT_RETRIES,
            },
            start_period: config.start_period.unwrap_or(SimDuration::ZERO),
            start_interval,
        }
    }
}

/// What one probe answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeResult {
    /// Exit 0.
    Pass,
    /// Non-zero exit or timeout.
    Fail,
}

/// The probe answers over time, as the world knows them.
pub trait ProbeOracle {
    /// The answer of a probe starting at `at`.
    fn probe(&mut self, at: SimTime) -> ProbeResult;
    /// From which time on every probe passes forever (None: no such time, or unknown).
    fn passes_from(&self) -> Option<SimTime>;
    /// From which time on every probe fails forever (None: no such time, or unknown).
    fn fails_from(&self) -> Option<SimTime>;
}

/// The status changes a container's health monitor will make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HealthOutcome {
    /// First `health_status: healthy`.
    pub healthy_at: Option<SimTime>,
    /// First `health_status: unhealthy` (Swarm then stops the container).
    pub unhealthy_at: Option<SimTime>,
}

/// Runs the monitor from `started` until the outcome is settled or `horizon` passes.
/// `probe_duration` is how long a probe takes (capped at the timeout).
pub fn predict(
    health: &ResolvedHealth,
    started: SimTime,
    probe_duration: SimDuration,
    oracle: &mut dyn ProbeOracle,
    horizon: SimTime,
) -> HealthOutcome {
    let mut outcome = HealthOutcome::default();
    let duration = probe_duration.min(health.timeout);
    let mut healthy = false;
    let mut streak = 0u32;
    let mut now = started;
    loop {
        // getInterval: the start interval applies only inside the start period while the
        // status is still `starting`.
        let in_start_period = now.since(started) < health.start_period;
        let gap = match health.start_interval {
            Some(si) if in_start_period && !healthy => si,
            _ => health.interval,
        };
        let mut probe_start = now.plus(gap);
        if probe_start > horizon {
            return outcome;
        }
        // Steady healthy state: skip straight to the first probe that can fail.
        if healthy && probe_start.since(started) >= health.start_period {
            match oracle.fails_from() {
                Some(t) if t > probe_start => {
                    let period = health.interval.plus(duration).as_nanos().max(1);
                    let k = (t.0 - probe_start.0).div_ceil(period);
                    probe_start = SimTime(probe_start.0 + k * period);
                    if probe_start > horizon {
                        return outcome;
                    }
                }
                Some(_) => {}
                None if oracle.passes_from().is_some_and(|p| p <= probe_start) => return outcome,
                None => {}
            }
        }
        let probe_end = probe_start.plus(duration);
        match oracle.probe(probe_start) {
            ProbeResult::Pass => {
                streak = 0;
                if !healthy {
                    healthy = true;
                    outcome.healthy_at = Some(probe_end);
                }
                if oracle.fails_from().is_none() && oracle.passes_from().is_some_and(|p| p <= probe_start) {
                    return outcome;
                }
            }
            ProbeResult::Fail => {
                // handleProbeResult: a failure while `starting` inside the start period is not
                // counted; the comparison is `<`, so a probe starting exactly at the end counts.
                let ignored = !healthy && probe_start.since(started) < health.start_period;
                if !ignored {
                    streak += 1;
                    if streak >= health.retries {
                        outcome.unhealthy_at = Some(probe_end);
                        return outcome;
                    }
                }
            }
        }
        now = probe_end;
    }
}

/// One probe of a container whose every probe fails, as moby's monitor runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailingProbe {
    /// When it started, after container start.
    pub start: SimDuration,
    /// When it ended (`start` + its duration, at most the timeout).
    pub end: SimDuration,
    /// Whether the failure counted toward `retries` (not while `starting` inside the start
    /// period).
    pub counted: bool,
}

/// The probes of a container whose every probe fails, from its start until it is marked
/// unhealthy (at the last one's end), each taking `probe_duration` (capped at the timeout): the
/// schedule [`predict`] walks, spelled out for `deploysim explain` and `check`. At most
/// `max_probes` (a start period of hours with a 1 s interval is a long list).
pub fn failing_probes(health: &ResolvedHealth, probe_duration: SimDuration, max_probes: usize) -> Vec<FailingProbe> {
    let duration = probe_duration.min(health.timeout);
    let mut probes = Vec::new();
    let (mut now, mut streak) = (SimDuration::ZERO, 0u32);
    while probes.len() < max_probes {
        let gap = match health.start_interval {
            Some(si) if now < health.start_period => si,
            _ => health.interval,
        };
        let start = now.plus(gap);
        let end = start.plus(duration);
        // handleProbeResult: `starting` and the probe began inside the start period.
        let counted = start >= health.start_period;
        probes.push(FailingProbe { start, end, counted });
        if counted {
            streak += 1;
            if streak >= health.retries {
                break;
            }
        }
        now = end;
    }
    probes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probes fail until `pass_from` and fail again from `fail_from`.
    struct Script {
        pass_from: Option<SimTime>,
        fail_from: Option<SimTime>,
        probes: u32,
    }
    impl ProbeOracle for Script {
        fn probe(&mut self, at: SimTime) -> ProbeResult {
            self.probes += 1;
            let passing = self.pass_from.is_some_and(|p| at >= p) && self.fail_from.is_none_or(|f| at < f);
            if passing { ProbeResult::Pass } else { ProbeResult::Fail }
        }
        fn passes_from(&self) -> Option<SimTime> {
            if self.fail_from.is_some() { None } else { self.pass_from }
        }
        fn fails_from(&self) -> Option<SimTime> {
            self.fail_from
        }
    }

    fn s(x: u64) -> SimDuration {
        SimDuration::from_secs(x)
    }
    fn ms(x: u64) -> SimDuration {
        SimDuration::from_millis(x)
    }
    fn cfg(interval: u64, retries: u32, start_period: u64) -> HealthConfig {
        HealthConfig {
            test: vec![],
            interval: Some(s(interval)),
            timeout: Some(s(1)),
            retries: Some(retries),
            start_period: Some(s(start_period)),
            start_interval: None,
        }
    }
    const FAR: SimTime = SimTime(3_600_000_000_000);

    #[test]
    fn the_services_check_is_merged_over_the_images_field_by_field() {
        // moby daemon/commit.go `merge`: what the service leaves empty comes from the image.
        let image = HealthConfig { test: vec!["CMD".into(), "probe".into()], ..cfg(30, 5, 10) };
        let only_interval = HealthConfig { interval: Some(s(5)), ..HealthConfig::default() };
        let merged = effective(Some(&Healthcheck::Check(only_interval.clone())), Some(&image)).unwrap();
        assert_eq!(merged.test, image.test, "no test of its own: the image's runs");
        assert_eq!(merged.interval, Some(s(5)), "the service's interval wins");
        assert_eq!((merged.retries, merged.start_period), (Some(5), Some(s(10))), "the rest from the image");
        // getProbe: no test anywhere, nothing runs; NONE and disable turn the image's off.
        assert_eq!(effective(Some(&Healthcheck::Check(only_interval)), None), None);
        let none = HealthConfig { test: vec!["NONE".into()], ..HealthConfig::default() };
        assert_eq!(effective(Some(&Healthcheck::Check(none)), Some(&image)), None);
        assert_eq!(effective(Some(&Healthcheck::Disabled), Some(&image)), None);
        assert_eq!(effective(None, Some(&image)), Some(image.clone()));
        let own = HealthConfig { test: vec!["CMD-SHELL".into(), "true".into()], retries: Some(0), ..cfg(2, 0, 0) };
        let merged = effective(Some(&Healthcheck::Check(own)), Some(&image)).unwrap();
        assert_eq!(merged.test[1], "true", "its own test wins");
        assert_eq!((merged.retries, merged.start_period), (Some(5), Some(s(10))), "0 is unset in moby");
    }

    #[test]
    fn never_healthy_with_start_period_matches_the_s04_trace() {
        // s04: interval 2s, retries 3, start_period 2s on Docker 20.10: unhealthy 6.2–6.6 s
        // after start. Probes start at 2.0 (counts: not < 2s), 4.07, 6.14 → unhealthy at 6.21.
        let h = ResolvedHealth::resolve(&cfg(2, 3, 2), EngineVersion::V20_10);
        let mut o = Script { pass_from: None, fail_from: Some(SimTime::ZERO), probes: 0 };
        let out = predict(&h, SimTime::ZERO, ms(70), &mut o, FAR);
        assert_eq!(out.healthy_at, None);
        assert_eq!(out.unhealthy_at, Some(SimTime(6_210_000_000)));
    }

    #[test]
    fn s08_start_period_5s_ignores_two_probes() {
        // s08: interval 2s, retries 3, start_period 5s: trace says 10.32–10.55 s.
        let h = ResolvedHealth::resolve(&cfg(2, 3, 5), EngineVersion::V20_10);
        let mut o = Script { pass_from: None, fail_from: Some(SimTime::ZERO), probes: 0 };
        let out = predict(&h, SimTime::ZERO, ms(70), &mut o, FAR);
        assert_eq!(out.unhealthy_at, Some(SimTime(10_350_000_000)));
    }

    #[test]
    fn start_interval_applies_only_on_engines_that_support_it() {
        // Research §3.3: interval 10s, retries 3, start_period 60s, start_interval unset on
        // Engine ≥ 27 (5s): probes at 5..55 ignored, 60/70/80 count → unhealthy at ~80 s.
        let c = cfg(10, 3, 60);
        let new = ResolvedHealth::resolve(&c, EngineVersion::V27);
        assert_eq!(new.start_interval, Some(s(5)));
        let mut o = Script { pass_from: None, fail_from: Some(SimTime::ZERO), probes: 0 };
        let out = predict(&new, SimTime::ZERO, SimDuration::ZERO, &mut o, FAR);
        assert_eq!(out.unhealthy_at, Some(SimTime(80_000_000_000)));
        let old = ResolvedHealth::resolve(&c, EngineVersion::V20_10);
        assert_eq!(old.start_interval, None);
        let mut o = Script { pass_from: None, fail_from: Some(SimTime::ZERO), probes: 0 };
        let out = predict(&old, SimTime::ZERO, SimDuration::ZERO, &mut o, FAR);
        // 20.10: probes every 10 s; 10..50 ignored, 60, 70, 80 count.
        assert_eq!(out.unhealthy_at, Some(SimTime(80_000_000_000)));
    }

    #[test]
    fn first_probe_comes_after_interval_not_start_period() {
        let h = ResolvedHealth::resolve(&cfg(1, 3, 1), EngineVersion::V20_10);
        let mut o = Script { pass_from: Some(SimTime::ZERO), fail_from: None, probes: 0 };
        let out = predict(&h, SimTime(100), ms(70), &mut o, FAR);
        assert_eq!(out.healthy_at, Some(SimTime(100 + 1_070_000_000)));
        assert_eq!(out.unhealthy_at, None);
        assert_eq!(o.probes, 1, "a steadily healthy container needs one probe evaluated");
    }

    #[test]
    fn degrading_container_is_found_without_stepping_every_probe() {
        // Healthy at first, then every probe fails from 1 h on: the monitor jumps there.
        let h = ResolvedHealth::resolve(&cfg(5, 3, 0), EngineVersion::V20_10);
        let fail_from = SimTime(3_600_000_000_000);
        let mut o = Script { pass_from: Some(SimTime::ZERO), fail_from: Some(fail_from), probes: 0 };
        let out = predict(&h, SimTime::ZERO, ms(100), &mut o, SimTime(u64::MAX / 2));
        let unhealthy = out.unhealthy_at.unwrap();
        assert!(unhealthy > fail_from && unhealthy < fail_from.plus(s(16)), "{unhealthy:?}");
        assert!(o.probes < 10, "probes evaluated: {}", o.probes);
    }

    #[test]
    fn failing_probes_spell_out_what_predict_computes() {
        // Each configuration's last probe ends when `predict` marks the container unhealthy,
        // with a fast probe and with every probe hanging until its timeout.
        for (interval, retries, start_period) in [(2, 3, 2), (2, 3, 5), (5, 3, 15), (1, 1, 0), (30, 3, 60)] {
            for probe in [ms(70), s(100)] {
                let h = ResolvedHealth::resolve(&cfg(interval, retries, start_period), EngineVersion::V20_10);
                let mut o = Script { pass_from: None, fail_from: Some(SimTime::ZERO), probes: 0 };
                let predicted = predict(&h, SimTime::ZERO, probe, &mut o, FAR).unhealthy_at.expect("unhealthy");
                let probes = failing_probes(&h, probe, 1000);
                let last = probes.last().expect("a probe");
                assert_eq!(SimTime(last.end.as_nanos()), predicted, "{interval}/{retries}/{start_period} {probe}");
                assert_eq!(probes.iter().filter(|p| p.counted).count() as u32, retries);
            }
        }
        // The rollback tutorial's settings: 2.000 (counts: not < 2s), 4.070, 6.140 → 6.210.
        let h = ResolvedHealth::resolve(&cfg(2, 3, 2), EngineVersion::V20_10);
        let starts: Vec<u64> = failing_probes(&h, ms(70), 10).iter().map(|p| p.start.as_nanos() / 1_000_000).collect();
        assert_eq!(starts, [2000, 4070, 6140]);
    }

    #[test]
    fn defaults_are_dockers() {
        let h = ResolvedHealth::resolve(&HealthConfig::default(), EngineVersion::V20_10);
        assert_eq!((h.interval, h.timeout, h.retries, h.start_period), (s(30), s(30), 3, SimDuration::ZERO));
    }
}

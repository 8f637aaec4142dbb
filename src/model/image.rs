//! How an image behaves when Swarm runs it: pulls, start, health, exit and stop.

use crate::model::spec::HealthConfig;
use crate::rng::Dist;
use crate::time::SimDuration;

/// What the container's health probe answers over time (measured from container start).
#[derive(Clone, Debug, PartialEq)]
pub enum HealthBehavior {
    /// Every probe passes.
    Healthy,
    /// Every probe fails.
    NeverHealthy,
    /// Probes fail until this long after start, then pass.
    HealthyAfter(Dist),
    /// Probes pass until this long after start, then fail.
    UnhealthyAfter(Dist),
    /// Each probe fails independently with this probability.
    Flaky(f64),
}

/// How the main process ends on its own.
#[derive(Clone, Debug, PartialEq)]
pub enum ExitBehavior {
    /// Never exits by itself.
    RunsForever,
    /// Exits with `code` this long after start (0 makes the task `complete`).
    ExitsAfter {
        /// Exit status.
        code: i32,
        /// Time from container start.
        after: Dist,
    },
}

/// What the process does on SIGTERM.
#[derive(Clone, Debug, PartialEq)]
pub enum StopBehavior {
    /// Exits by itself `after` the signal, with `exit_code` (0 for a TERM trap, 143 by default).
    Graceful {
        /// Time from SIGTERM to exit.
        after: Dist,
        /// Exit status on SIGTERM.
        exit_code: i32,
    },
    /// Ignores SIGTERM (e.g. a shell or httpd as PID 1): killed after the grace period (137).
    IgnoresSigterm,
}

/// The behaviour of one `image:tag`.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageBehavior {
    /// Pull time when the node does not have the image.
    pub pull: Dist,
    /// Probability that one pull attempt fails.
    pub pull_failure: f64,
    /// The image does not exist in the registry: every pull fails (`No such image`).
    pub missing: bool,
    /// How long a pull of it takes to fail (None: `latencies.pull_cached`). Recorded failures
    /// take milliseconds (a tag the registry does not have, a refused connection: s26, s27); a
    /// registry behind a firewall that drops packets takes a TCP timeout.
    pub failed_pull: Option<Dist>,
    /// Container create + start time (from desired RUNNING reaching the node to process start).
    pub start: Dist,
    /// The image's Dockerfile `HEALTHCHECK`, used when the service sets none.
    pub healthcheck: Option<HealthConfig>,
    /// What its probe answers.
    pub health: HealthBehavior,
    /// Whether it exits by itself.
    pub exit: ExitBehavior,
    /// What it does on SIGTERM.
    pub stop: StopBehavior,
    /// Share of the requests it answers with an error while healthy and serving (a bug its
    /// health check does not see), in parts per million.
    pub errors_ppm: u32,
    /// Behaviour that depends on how many of its containers came before ("every other new
    /// container crashes"); `None`: every container behaves alike.
    pub per_container: Option<PerContainer>,
}

/// Changes of an image's behaviour by container ordinal: the n-th container of the image created
/// anywhere in the cluster (1-based, in the order the daemons create them) behaves as the image
/// with the n-th change made. Real images do this through state outside the container, e.g. a
/// counter in a bind-mounted host file (the recorded `s29-alternate-crash`).
#[derive(Clone, Debug, PartialEq)]
pub struct PerContainer {
    /// The changes, by ordinal.
    pub changes: Vec<ImagePatch>,
    /// After the last change: start over from the first (`cycle`), or behave as the image itself
    /// (`first`).
    pub repeat: bool,
}

impl PerContainer {
    /// The change for the container with this 1-based ordinal, if any.
    pub fn change_for(&self, ordinal: u64) -> Option<&ImagePatch> {
        let len = self.changes.len() as u64;
        if len == 0 || ordinal == 0 {
            return None;
        }
        let index = if self.repeat { (ordinal - 1) % len } else { ordinal - 1 };
        self.changes.get(index as usize)
    }
}

impl Default for ImageBehavior {
    /// A well-behaved image: 2 s pull, 500 ms start, healthy, runs forever, exits 50 ms after
    /// SIGTERM with status 0.
    fn default() -> Self {
        ImageBehavior {
            pull: Dist::Fixed(SimDuration::from_secs(2)),
            pull_failure: 0.0,
            missing: false,
            failed_pull: None,
            start: Dist::Fixed(SimDuration::from_millis(500)),
            healthcheck: None,
            health: HealthBehavior::Healthy,
            exit: ExitBehavior::RunsForever,
            stop: StopBehavior::Graceful { after: Dist::Fixed(SimDuration::from_millis(50)), exit_code: 0 },
            errors_ppm: 0,
            per_container: None,
        }
    }
}

/// A change of an image's behaviour from an instant on (a timeline `image:` entry): every field
/// given replaces the image's own for pulls begun and containers started from then on.
/// Containers already started keep the behaviour they started with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImagePatch {
    /// New pull time.
    pub pull: Option<Dist>,
    /// New pull failure probability.
    pub pull_failure: Option<f64>,
    /// Gone from (or back in) the registry.
    pub missing: Option<bool>,
    /// New failed-pull time.
    pub failed_pull: Option<Dist>,
    /// New create + start time.
    pub start: Option<Dist>,
    /// New Dockerfile `HEALTHCHECK` (`Some(None)`: none).
    pub healthcheck: Option<Option<HealthConfig>>,
    /// New probe answers.
    pub health: Option<HealthBehavior>,
    /// New exit behaviour.
    pub exit: Option<ExitBehavior>,
    /// New SIGTERM behaviour.
    pub stop: Option<StopBehavior>,
}

impl ImagePatch {
    /// `behavior` with this change made.
    pub fn apply_to(&self, behavior: &mut ImageBehavior) {
        if let Some(d) = &self.pull {
            behavior.pull = d.clone();
        }
        if let Some(p) = self.pull_failure {
            behavior.pull_failure = p;
        }
        if let Some(m) = self.missing {
            behavior.missing = m;
        }
        if let Some(d) = &self.failed_pull {
            behavior.failed_pull = Some(d.clone());
        }
        if let Some(d) = &self.start {
            behavior.start = d.clone();
        }
        if let Some(h) = &self.healthcheck {
            behavior.healthcheck = h.clone();
        }
        if let Some(h) = &self.health {
            behavior.health = h.clone();
        }
        if let Some(x) = &self.exit {
            behavior.exit = x.clone();
        }
        if let Some(s) = &self.stop {
            behavior.stop = s.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crash() -> ImagePatch {
        ImagePatch {
            exit: Some(ExitBehavior::ExitsAfter { code: 1, after: Dist::Fixed(SimDuration::from_secs(3)) }),
            ..ImagePatch::default()
        }
    }

    #[test]
    fn a_cycle_starts_over_and_a_first_list_ends() {
        let cycle = PerContainer { changes: vec![crash(), ImagePatch::default()], repeat: true };
        let hits: Vec<bool> = (1..=5).map(|n| cycle.change_for(n) == Some(&crash())).collect();
        assert_eq!(hits, [true, false, true, false, true]);
        let first = PerContainer { changes: vec![crash(), crash()], repeat: false };
        let hits: Vec<bool> = (1..=4).map(|n| first.change_for(n).is_some()).collect();
        assert_eq!(hits, [true, true, false, false]);
        assert_eq!(first.change_for(0), None, "ordinals count from 1");
    }
}

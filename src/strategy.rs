//! Blue-green and canary rollouts built from Swarm's own parts: a controller — what Argo
//! Rollouts or Flagger would be beside a swarm — that creates a second service, steers a
//! router through service labels (see [`crate::model::route`]), judges the new version and
//! removes what is left over. Rolling (Swarm's updater) needs no controller.
//!
//! Each controller is a pure state machine, like the updater: it is driven by what it
//! observes of the two services ([`Observation`]) and returns [`Command`]s — the docker
//! commands a person would run — that the world carries out and logs. It never touches the
//! queue, the clock or a random stream.
//!
//! - [`blue_green`]: green beside blue at full size; once every green task serves (and a bake
//!   time has passed with no failure) the router switches every request at once; blue is kept
//!   for a scale-down delay, then removed. A failure before the switch abandons green; after
//!   it, an instant switch back to blue.
//! - [`canary`]: a few new replicas beside the stable service, exposed step by step (by
//!   replica ratio or by weights), judged at every step; promotion rolling-updates the stable
//!   service to the new image (with its own `update_config`) and removes the canary, an abort
//!   removes the canary.
//!
//! Both judge the new version with [`analysis`]: its task failures at once, and the share of
//! its requests that failed, measured every `interval`.

pub(crate) mod analysis;
pub(crate) mod blue_green;
pub(crate) mod canary;

use crate::model::record::UpdateState;
use crate::time::SimTime;

/// What a controller sees of one service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct View {
    /// Desired replicas.
    pub desired: u64,
    /// Tasks serving (healthy, bound).
    pub serving: u64,
    /// Tasks of it that ended (failed, rejected or exited) while they should run, since it
    /// exists.
    pub failures: u64,
    /// Its UpdateStatus state.
    pub update: Option<UpdateState>,
    /// When its last update started.
    pub update_started: Option<SimTime>,
}

/// The requests the new version was sent in a window, and how many failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Measurement {
    /// Start of the window (its end is the observation's `now`).
    pub from: SimTime,
    /// Requests sent to the new version.
    pub requests: u64,
    /// Of those, the failed ones.
    pub failed: u64,
}

/// What a controller is given at each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Observation {
    /// Now.
    pub now: SimTime,
    /// The service being replaced (blue, or the stable one).
    pub old: View,
    /// The new version's service (green, or the canary), once created.
    pub new: Option<View>,
    /// The measurement the controller asked for, when it is due now.
    pub measurement: Option<Measurement>,
}

/// Which of the two services a command is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Which {
    /// Blue, or the stable service.
    Old,
    /// Green, or the canary.
    New,
}

/// How a rollout ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every request goes to the new version and the old one is gone.
    Completed,
    /// The new version was removed before it took all the traffic (green abandoned before the
    /// switch, canary aborted).
    Aborted,
    /// Blue-green switched, the new version failed, and the router switched back.
    SwitchedBack,
    /// The canary passed, but the stable service's rolling update to the new image did not
    /// complete (it paused or rolled back); the canary was removed.
    PromotionFailed,
}

impl Outcome {
    /// Report spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Aborted => "aborted",
            Outcome::SwitchedBack => "switched_back",
            Outcome::PromotionFailed => "promotion_failed",
        }
    }
}

/// What a controller asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// `docker service create` of the new version: the old service's spec with the new image,
    /// `replicas` replicas, and, when `join_route`, the label making it a backend of the route.
    CreateNew {
        /// Replicas.
        replicas: u64,
        /// Labelled `deploysim.route=ROUTE` from the start (replica-ratio canary).
        join_route: bool,
    },
    /// `docker service scale NEW=N`.
    ScaleNew {
        /// Replicas.
        replicas: u64,
    },
    /// `docker service update --label-add … --label-rm … SERVICE`: a router change.
    Labels {
        /// Which service.
        which: Which,
        /// Labels set.
        add: Vec<(String, String)>,
        /// Labels removed.
        rm: Vec<String>,
    },
    /// The user's `docker service update` (its `--image` and other flags) on the old service:
    /// the canary's promotion.
    UpdateOld,
    /// `docker service rm` of one service.
    Remove(Which),
    /// Call the controller again at this instant.
    WakeAt(SimTime),
    /// Measure the new version's requests from `from` to `at`, and call the controller then.
    MeasureAt {
        /// End of the window.
        at: SimTime,
        /// Start of the window.
        from: SimTime,
    },
    /// The rollout entered a phase (for reports).
    Phase {
        /// Short name (`waiting`, `switched`, `step 1/2`, …).
        name: String,
        /// What is happening, for people.
        message: String,
    },
    /// The rollout ended.
    Finish {
        /// How.
        outcome: Outcome,
        /// Why, for people.
        message: String,
    },
}

/// The labels that make a service a weighted backend of `route`.
pub(crate) fn backend_labels(route: &str, weight: Option<u64>) -> Vec<(String, String)> {
    let mut out = vec![(crate::model::route::ROUTE_LABEL.to_string(), route.to_string())];
    if let Some(w) = weight {
        out.push((crate::model::route::WEIGHT_LABEL.to_string(), w.to_string()));
    }
    out
}

/// `Labels` setting only a weight.
pub(crate) fn set_weight(which: Which, weight: u64) -> Command {
    Command::Labels {
        which,
        add: vec![(crate::model::route::WEIGHT_LABEL.to_string(), weight.to_string())],
        rm: vec![],
    }
}

/// `Labels` taking a service out of the route (and its weight).
pub(crate) fn leave_route(which: Which) -> Command {
    let rm = vec![crate::model::route::ROUTE_LABEL.to_string(), crate::model::route::WEIGHT_LABEL.to_string()];
    Command::Labels { which, add: vec![], rm }
}

/// `Labels` removing only the weight.
pub(crate) fn drop_weight(which: Which) -> Command {
    Command::Labels { which, add: vec![], rm: vec![crate::model::route::WEIGHT_LABEL.to_string()] }
}

/// A phase command.
pub(crate) fn phase(name: impl Into<String>, message: impl Into<String>) -> Command {
    Command::Phase { name: name.into(), message: message.into() }
}

/// How the commands end the rollout, if they do (for tests of both controllers).
#[cfg(test)]
pub(crate) fn finished(commands: &[Command]) -> Option<Outcome> {
    commands.iter().find_map(|c| match c {
        Command::Finish { outcome, .. } => Some(*outcome),
        _ => None,
    })
}

/// Either controller.
#[derive(Clone, Debug)]
pub(crate) enum Controller {
    /// Blue-green.
    BlueGreen(blue_green::BlueGreenController),
    /// Canary.
    Canary(canary::CanaryController),
}

impl Controller {
    /// The first commands, at the rollout's start.
    pub(crate) fn start(&mut self, now: SimTime) -> Vec<Command> {
        match self {
            Controller::BlueGreen(c) => c.start(now),
            Controller::Canary(c) => c.start(now),
        }
    }

    /// The commands an observation calls for (none when nothing changed).
    pub(crate) fn step(&mut self, obs: &Observation) -> Vec<Command> {
        match self {
            Controller::BlueGreen(c) => c.step(obs),
            Controller::Canary(c) => c.step(obs),
        }
    }

    /// Whether it has finished.
    pub(crate) fn done(&self) -> bool {
        match self {
            Controller::BlueGreen(c) => c.done(),
            Controller::Canary(c) => c.done(),
        }
    }

    /// Swarm refused one of its commands (`why`): the rollout cannot go on. Returns the
    /// commands that end it (removing what it created).
    pub(crate) fn refused(&mut self, refused: &Command, why: &str) -> Vec<Command> {
        match self {
            Controller::BlueGreen(c) => c.refused(refused, why),
            Controller::Canary(c) => c.refused(refused, why),
        }
    }
}

/// The outcome of a rollout one of whose commands Swarm refused: a refused promotion is a
/// failed promotion, anything else stops the rollout before the new version took over.
pub(crate) fn refused_outcome(refused: &Command) -> Outcome {
    if *refused == Command::UpdateOld { Outcome::PromotionFailed } else { Outcome::Aborted }
}

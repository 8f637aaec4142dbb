//! Canary on two Swarm services: Argo Rollouts' `steps` (`setWeight`, `pause`) with a
//! background analysis, promoted as Flagger promotes (the stable service takes the new
//! version through its own rolling update, then the canary goes).
//!
//! For each step the canary is brought to that step's size — by replica ratio, `c` replicas
//! beside the stable service's `N` give it `c / (N + c)` of the requests; with weights, a fixed
//! size and the router's weights — and, once it serves at that size, watched for the step's
//! `pause`: a canary task failure aborts at once, and the analysis measures its requests every
//! `interval`. After the last step the stable service is rolling-updated to the new image; when
//! that update completes, the canary is taken out of the route and removed. An abort takes the
//! canary out of the route and removes it: the stable service never changed.

use super::{
    Command, Observation, Outcome, Which, analysis, backend_labels, drop_weight, leave_route, phase, set_weight,
};
use crate::model::record::UpdateState;
use crate::model::strategy::{Canary, CanaryRouting, replicas_for_largest_step, replicas_for_weight};
use crate::time::SimTime;

/// Where the rollout is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Step `step`: the canary is being brought to `size` serving tasks.
    Ramping { step: usize, size: u64, deadline: SimTime },
    /// Step `step`: the canary serves at its weight until `until`.
    Pausing { step: usize, size: u64, until: SimTime },
    /// Every step passed: the stable service is updating to the new image since `since`, and
    /// must have completed by `deadline`.
    Promoting { since: SimTime, deadline: SimTime },
    /// Finished.
    Done,
}

/// The canary controller of one rollout.
#[derive(Clone, Debug)]
pub(crate) struct CanaryController {
    config: Canary,
    route: String,
    /// The stable service's replicas at the start.
    stable: u64,
    phase: Phase,
    failed_measurements: u32,
}

impl CanaryController {
    /// A rollout beside a stable service of `stable` replicas on `route`.
    pub(crate) fn new(config: Canary, route: &str, stable: u64) -> CanaryController {
        CanaryController { config, route: route.to_string(), stable, phase: Phase::Done, failed_measurements: 0 }
    }

    /// Whether it has finished.
    pub(crate) fn done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The canary's size at step `step`.
    fn size(&self, step: usize) -> u64 {
        match self.config.routing {
            CanaryRouting::Replicas => replicas_for_weight(self.config.steps[step].weight_pct, self.stable),
            CanaryRouting::Weights => {
                self.config.replicas.unwrap_or_else(|| replicas_for_largest_step(&self.config.steps, self.stable))
            }
        }
    }

    /// `step 1/2`.
    fn step_name(&self, step: usize) -> String {
        format!("step {}/{}", step + 1, self.config.steps.len())
    }

    /// Creates the canary (in the route at once under replica-ratio routing: each task takes
    /// requests as soon as it serves; outside it under weights, until it serves).
    pub(crate) fn start(&mut self, now: SimTime) -> Vec<Command> {
        let size = self.size(0);
        let deadline = now.plus(self.config.progress_deadline);
        self.phase = Phase::Ramping { step: 0, size, deadline };
        let replicas_routing = self.config.routing == CanaryRouting::Replicas;
        vec![
            phase(self.step_name(0), self.ramp_message(0, size)),
            Command::CreateNew { replicas: size, join_route: replicas_routing },
            Command::WakeAt(deadline),
        ]
    }

    fn ramp_message(&self, step: usize, size: u64) -> String {
        let w = self.config.steps[step].weight_pct;
        match self.config.routing {
            CanaryRouting::Replicas => {
                let share = size as f64 * 100.0 / (self.stable + size) as f64;
                format!("{w}%: {size} canary replica(s) beside {} stable, about {share:.1}% of requests", self.stable)
            }
            CanaryRouting::Weights => format!("{w}% of requests by weight, once the {size} canary replica(s) serve"),
        }
    }

    /// Reacts to what it sees; several phases may pass in one call.
    pub(crate) fn step(&mut self, obs: &Observation) -> Vec<Command> {
        let mut out = Vec::new();
        loop {
            let before = self.phase;
            self.advance(obs, &mut out);
            if self.phase == before || self.phase == Phase::Done {
                return out;
            }
        }
    }

    fn advance(&mut self, obs: &Observation, out: &mut Vec<Command>) {
        let now = obs.now;
        let Some(canary) = obs.new else { return };
        let exposed = matches!(self.phase, Phase::Ramping { .. } | Phase::Pausing { .. });
        if exposed && canary.failures > self.config.analysis.max_task_failures {
            return self.abort(format!("{} canary task failure(s)", canary.failures), out);
        }
        match self.phase {
            Phase::Done => {}
            Phase::Ramping { step, size, deadline } => {
                if canary.serving >= size {
                    let s = self.config.steps[step];
                    if self.config.routing == CanaryRouting::Weights {
                        let w = s.weight_pct as u64;
                        out.push(Command::Labels {
                            which: Which::New,
                            add: backend_labels(&self.route, Some(w)),
                            rm: vec![],
                        });
                        out.push(set_weight(Which::Old, 100 - w));
                    }
                    let until = now.plus(s.pause);
                    self.phase = Phase::Pausing { step, size, until };
                    out.push(Command::WakeAt(until));
                    let first = now.plus(self.config.analysis.interval);
                    if first <= until {
                        out.push(Command::MeasureAt { at: first, from: now });
                    }
                } else if now >= deadline {
                    let why = format!(
                        "the canary had {} of {size} tasks serving after the progress deadline ({})",
                        canary.serving, self.config.progress_deadline
                    );
                    self.abort(why, out);
                }
            }
            Phase::Pausing { step, size, until } => {
                if let Some(m) = obs.measurement {
                    if let Some(why) = analysis::record(&self.config.analysis, &m, now, &mut self.failed_measurements) {
                        return self.abort(why, out);
                    }
                    let next = now.plus(self.config.analysis.interval);
                    if next <= until {
                        out.push(Command::MeasureAt { at: next, from: now });
                    }
                }
                if now < until {
                    return;
                }
                let next = step + 1;
                if next < self.config.steps.len() {
                    let new_size = self.size(next);
                    out.push(phase(self.step_name(next), self.ramp_message(next, new_size)));
                    if new_size != size {
                        out.push(Command::ScaleNew { replicas: new_size });
                    }
                    let deadline = now.plus(self.config.progress_deadline);
                    self.phase = Phase::Ramping { step: next, size: new_size, deadline };
                    out.push(Command::WakeAt(deadline));
                } else {
                    let deadline = now.plus(self.config.progress_deadline);
                    self.phase = Phase::Promoting { since: now, deadline };
                    out.push(phase("promoting", "every step passed: the stable service is updating to the new image"));
                    out.push(Command::UpdateOld);
                    out.push(Command::WakeAt(deadline));
                }
            }
            Phase::Promoting { since, deadline } => {
                let this_update = obs.old.update_started.is_some_and(|t| t >= since);
                match obs.old.update {
                    Some(UpdateState::Completed) if this_update => {
                        self.remove_canary(out);
                        out.push(Command::Finish {
                            outcome: Outcome::Completed,
                            message: "the stable service runs the new version; canary removed".into(),
                        });
                    }
                    Some(
                        state @ (UpdateState::Paused | UpdateState::RollbackCompleted | UpdateState::RollbackPaused),
                    ) if this_update => {
                        self.remove_canary(out);
                        out.push(Command::Finish {
                            outcome: Outcome::PromotionFailed,
                            message: format!("the stable service's update ended {}; canary removed", state.as_str()),
                        });
                    }
                    _ if now >= deadline => {
                        self.remove_canary(out);
                        let why = format!(
                            "the stable service's update had not completed after the progress deadline ({})",
                            self.config.progress_deadline
                        );
                        out.push(Command::Finish { outcome: Outcome::PromotionFailed, message: why });
                    }
                    _ => {}
                }
            }
        }
    }

    /// Swarm refused `command`: the canary leaves the route and goes (if it was created).
    pub(crate) fn refused(&mut self, command: &Command, why: &str) -> Vec<Command> {
        let mut out = Vec::new();
        if matches!(command, Command::CreateNew { .. }) {
            self.phase = Phase::Done;
        } else {
            self.remove_canary(&mut out);
        }
        let outcome = super::refused_outcome(command);
        out.push(Command::Finish { outcome, message: format!("refused by Swarm: {why}") });
        out
    }

    fn remove_canary(&mut self, out: &mut Vec<Command>) {
        self.phase = Phase::Done;
        out.push(leave_route(Which::New));
        if self.config.routing == CanaryRouting::Weights {
            out.push(drop_weight(Which::Old));
        }
        out.push(Command::Remove(Which::New));
    }

    fn abort(&mut self, why: String, out: &mut Vec<Command>) {
        self.remove_canary(out);
        out.push(Command::Finish { outcome: Outcome::Aborted, message: format!("canary aborted: {why}") });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::strategy::CanaryStep;
    use crate::strategy::{Measurement, View};
    use crate::time::SimDuration;

    const S: u64 = 1_000_000_000;

    fn obs(t: u64, canary_serving: u64, failures: u64) -> Observation {
        Observation {
            now: SimTime(t * S),
            old: View { desired: 10, serving: 10, ..View::default() },
            new: Some(View { serving: canary_serving, failures, ..View::default() }),
            measurement: None,
        }
    }

    fn config(routing: CanaryRouting) -> Canary {
        Canary {
            routing,
            steps: vec![
                CanaryStep { weight_pct: 10, pause: SimDuration::from_secs(30) },
                CanaryStep { weight_pct: 50, pause: SimDuration::from_secs(30) },
            ],
            ..Canary::default()
        }
    }

    fn has(commands: &[Command], want: &Command) -> bool {
        commands.contains(want)
    }

    use crate::strategy::finished as finish;

    #[test]
    fn replica_ratio_steps_scale_the_canary_then_promote() {
        let mut c = CanaryController::new(config(CanaryRouting::Replicas), "web_web", 10);
        let start = c.start(SimTime::ZERO);
        // 10 % beside 10 stable: 1 canary replica, in the route from the start.
        assert!(has(&start, &Command::CreateNew { replicas: 1, join_route: true }));
        let serving = c.step(&obs(3, 1, 0));
        assert!(has(&serving, &Command::WakeAt(SimTime(33 * S))));
        assert!(has(&serving, &Command::MeasureAt { at: SimTime(13 * S), from: SimTime(3 * S) }));
        // Step 2: 50 % → 10 replicas.
        let step2 = c.step(&obs(33, 1, 0));
        assert!(has(&step2, &Command::ScaleNew { replicas: 10 }));
        assert!(c.step(&obs(40, 6, 0)).is_empty(), "not every canary task serves yet");
        assert!(has(&c.step(&obs(41, 10, 0)), &Command::WakeAt(SimTime(71 * S))));
        let promote = c.step(&obs(71, 10, 0));
        assert!(has(&promote, &Command::UpdateOld));
        // The stable service's earlier (completed) update does not count...
        let mut done = obs(90, 10, 0);
        done.old.update = Some(UpdateState::Completed);
        done.old.update_started = Some(SimTime(5 * S));
        assert!(c.step(&done).is_empty());
        // ...this one does.
        done.old.update_started = Some(SimTime(71 * S));
        let end = c.step(&done);
        assert_eq!(finish(&end), Some(Outcome::Completed));
        assert!(has(&end, &leave_route(Which::New)) && has(&end, &Command::Remove(Which::New)));
    }

    #[test]
    fn weights_are_set_once_the_canary_serves() {
        let mut c = CanaryController::new(config(CanaryRouting::Weights), "web_web", 10);
        let start = c.start(SimTime::ZERO);
        // Sized for the largest step (50 % of 10), outside the route until it serves.
        assert!(has(&start, &Command::CreateNew { replicas: 5, join_route: false }));
        assert!(c.step(&obs(2, 4, 0)).is_empty());
        let on = c.step(&obs(3, 5, 0));
        let canary_in = Command::Labels { which: Which::New, add: backend_labels("web_web", Some(10)), rm: vec![] };
        assert!(has(&on, &canary_in) && has(&on, &set_weight(Which::Old, 90)));
        // The next step changes weights only: no scaling.
        let step2 = c.step(&obs(33, 5, 0));
        assert!(!step2.iter().any(|c| matches!(c, Command::ScaleNew { .. })));
        assert!(has(&step2, &set_weight(Which::Old, 50)));
    }

    #[test]
    fn a_failed_measurement_or_a_task_failure_aborts_and_removes_the_canary() {
        let mut c = CanaryController::new(config(CanaryRouting::Weights), "web_web", 10);
        c.start(SimTime::ZERO);
        c.step(&obs(3, 5, 0));
        let mut o = obs(13, 5, 0);
        o.measurement = Some(Measurement { from: SimTime(3 * S), requests: 100, failed: 20 });
        let abort = c.step(&o);
        assert_eq!(finish(&abort), Some(Outcome::Aborted));
        assert!(has(&abort, &leave_route(Which::New)) && has(&abort, &drop_weight(Which::Old)));
        assert!(has(&abort, &Command::Remove(Which::New)));

        let mut c = CanaryController::new(config(CanaryRouting::Replicas), "web_web", 10);
        c.start(SimTime::ZERO);
        assert_eq!(finish(&c.step(&obs(2, 0, 1))), Some(Outcome::Aborted));
    }

    #[test]
    fn a_stable_update_that_rolls_back_fails_the_promotion() {
        let steps = vec![CanaryStep { weight_pct: 10, pause: SimDuration::from_secs(10) }];
        let mut c = CanaryController::new(Canary { steps, ..config(CanaryRouting::Replicas) }, "web_web", 10);
        c.start(SimTime::ZERO);
        c.step(&obs(1, 1, 0));
        assert!(has(&c.step(&obs(11, 1, 0)), &Command::UpdateOld));
        let mut o = obs(40, 1, 0);
        o.old.update = Some(UpdateState::RollbackCompleted);
        o.old.update_started = Some(SimTime(11 * S));
        assert_eq!(finish(&c.step(&o)), Some(Outcome::PromotionFailed));
    }
}

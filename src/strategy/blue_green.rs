//! Blue-green on two Swarm services, in Argo Rollouts' terms: green (the new version, at blue's
//! size, outside the route) → every green task serving → `bake` with no failure → the switch
//! (green weight 100, blue weight 0: every request at once) → `scale_down_delay` with the
//! analysis running, blue still up → blue removed. A green task failure (or `progress_deadline`
//! passing) before the switch abandons green — no request ever reached it; a failure or a
//! failed analysis after the switch switches back to blue and removes green.

use super::{
    Command, Observation, Outcome, Which, analysis, backend_labels, drop_weight, leave_route, phase, set_weight,
};
use crate::model::strategy::BlueGreen;
use crate::time::SimTime;

/// Where the rollout is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Green is being created and started.
    Waiting { deadline: SimTime },
    /// Every green task serves; waiting out the bake time (the progress deadline still holds
    /// if a task stops serving meanwhile).
    Baking { until: SimTime, deadline: SimTime },
    /// The router sends everything to green; blue kept until `until`.
    Switched { until: SimTime },
    /// Finished.
    Done,
}

/// The blue-green controller of one rollout.
#[derive(Clone, Debug)]
pub(crate) struct BlueGreenController {
    config: BlueGreen,
    /// The route both services serve (blue's `deploysim.route`, or blue's name).
    route: String,
    /// Green's size: blue's desired replicas at the start.
    replicas: u64,
    phase: Phase,
    failed_measurements: u32,
}

impl BlueGreenController {
    /// A rollout of `replicas` replicas on `route`.
    pub(crate) fn new(config: BlueGreen, route: &str, replicas: u64) -> BlueGreenController {
        BlueGreenController { config, route: route.to_string(), replicas, phase: Phase::Done, failed_measurements: 0 }
    }

    /// Whether it has finished.
    pub(crate) fn done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Creates green, outside the route.
    pub(crate) fn start(&mut self, now: SimTime) -> Vec<Command> {
        let deadline = now.plus(self.config.progress_deadline);
        self.phase = Phase::Waiting { deadline };
        vec![
            phase("waiting", format!("green starts {} replicas beside blue, outside the route", self.replicas)),
            Command::CreateNew { replicas: self.replicas, join_route: false },
            Command::WakeAt(deadline),
        ]
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
        let Some(green) = obs.new else { return };
        let failures = green.failures > self.config.analysis.max_task_failures;
        match self.phase {
            Phase::Done => {}
            Phase::Waiting { .. } | Phase::Baking { .. } if failures => {
                let why = format!("{} green task failure(s) before the switch", green.failures);
                self.abandon(why, out);
            }
            Phase::Waiting { deadline } => {
                if green.serving >= self.replicas {
                    if self.config.bake.as_nanos() == 0 {
                        self.switch(now, out);
                    } else {
                        let until = now.plus(self.config.bake);
                        self.phase = Phase::Baking { until, deadline };
                        out.push(phase(
                            "baking",
                            format!("every green task serves; switching at {}s unless one fails", until.secs_ms()),
                        ));
                        out.push(Command::WakeAt(until));
                    }
                } else if now >= deadline {
                    let why = format!(
                        "green had {} of {} tasks serving after the progress deadline ({})",
                        green.serving, self.replicas, self.config.progress_deadline
                    );
                    self.abandon(why, out);
                }
            }
            Phase::Baking { until, deadline } => {
                if green.serving < self.replicas {
                    self.phase = Phase::Waiting { deadline };
                    out.push(phase("waiting", "a green task stopped serving during the bake"));
                } else if now >= until {
                    self.switch(now, out);
                }
            }
            Phase::Switched { until } => {
                if failures {
                    let why = format!("{} green task failure(s) after the switch", green.failures);
                    return self.switch_back(why, out);
                }
                if let Some(m) = obs.measurement {
                    if let Some(why) = analysis::record(&self.config.analysis, &m, now, &mut self.failed_measurements) {
                        return self.switch_back(why, out);
                    }
                    let next = now.plus(self.config.analysis.interval);
                    if next <= until {
                        out.push(Command::MeasureAt { at: next, from: now });
                    }
                }
                if now >= until {
                    self.phase = Phase::Done;
                    out.push(Command::Remove(Which::Old));
                    // Alone in the route now: back to plain replica-ratio routing, so a later
                    // rollout starts from a route without weights.
                    out.push(drop_weight(Which::New));
                    out.push(Command::Finish {
                        outcome: Outcome::Completed,
                        message: format!("blue removed {} after the switch", self.config.scale_down_delay),
                    });
                }
            }
        }
    }

    /// Swarm refused `command`: back to blue as it was, green removed if it exists.
    pub(crate) fn refused(&mut self, command: &Command, why: &str) -> Vec<Command> {
        let switched = matches!(self.phase, Phase::Switched { .. });
        self.phase = Phase::Done;
        let mut out = Vec::new();
        if switched {
            out.extend([drop_weight(Which::Old), leave_route(Which::New)]);
        }
        if !matches!(command, Command::CreateNew { .. }) {
            out.push(Command::Remove(Which::New));
        }
        let outcome = super::refused_outcome(command);
        out.push(Command::Finish { outcome, message: format!("refused by Swarm: {why}") });
        out
    }

    /// Every request to green at once (the weights change in one router update).
    fn switch(&mut self, now: SimTime, out: &mut Vec<Command>) {
        let until = now.plus(self.config.scale_down_delay);
        self.phase = Phase::Switched { until };
        out.push(phase(
            "switched",
            format!("the router sends every request to green; blue kept until {}s", until.secs_ms()),
        ));
        out.push(Command::Labels { which: Which::New, add: backend_labels(&self.route, Some(100)), rm: vec![] });
        out.push(set_weight(Which::Old, 0));
        out.push(Command::WakeAt(until));
        let first = now.plus(self.config.analysis.interval);
        if first <= until {
            out.push(Command::MeasureAt { at: first, from: now });
        }
    }

    fn switch_back(&mut self, why: String, out: &mut Vec<Command>) {
        self.phase = Phase::Done;
        out.push(drop_weight(Which::Old));
        out.push(leave_route(Which::New));
        out.push(Command::Remove(Which::New));
        out.push(Command::Finish { outcome: Outcome::SwitchedBack, message: format!("switched back to blue: {why}") });
    }

    fn abandon(&mut self, why: String, out: &mut Vec<Command>) {
        self.phase = Phase::Done;
        out.push(Command::Remove(Which::New));
        out.push(Command::Finish { outcome: Outcome::Aborted, message: format!("green abandoned: {why}") });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::{Measurement, View};
    use crate::time::SimDuration;

    const S: u64 = 1_000_000_000;

    fn obs(t: u64, serving: u64, failures: u64) -> Observation {
        Observation {
            now: SimTime(t * S),
            old: View { desired: 4, serving: 4, ..View::default() },
            new: Some(View { desired: 4, serving, failures, ..View::default() }),
            measurement: None,
        }
    }

    fn controller(bake: u64) -> BlueGreenController {
        let config = BlueGreen { bake: SimDuration::from_secs(bake), ..BlueGreen::default() };
        BlueGreenController::new(config, "web_web", 4)
    }

    fn kinds(commands: &[Command]) -> Vec<&'static str> {
        commands
            .iter()
            .map(|c| match c {
                Command::CreateNew { .. } => "create",
                Command::ScaleNew { .. } => "scale",
                Command::Labels { .. } => "labels",
                Command::UpdateOld => "update-old",
                Command::Remove(Which::Old) => "rm-old",
                Command::Remove(Which::New) => "rm-new",
                Command::WakeAt(_) => "wake",
                Command::MeasureAt { .. } => "measure",
                Command::Phase { .. } => "phase",
                Command::Finish { .. } => "finish",
            })
            .collect()
    }

    use crate::strategy::finished as outcome;

    #[test]
    fn switches_once_every_green_task_serves_and_removes_blue_after_the_delay() {
        let mut c = controller(0);
        assert_eq!(kinds(&c.start(SimTime(60 * S))), ["phase", "create", "wake"]);
        assert!(c.step(&obs(61, 3, 0)).is_empty(), "3 of 4 serving: no switch yet");
        let switch = c.step(&obs(62, 4, 0));
        assert_eq!(kinds(&switch), ["phase", "labels", "labels", "wake", "measure"]);
        // Green gets the route and weight 100, blue weight 0, in one instant.
        assert_eq!(
            switch[1],
            Command::Labels {
                which: Which::New,
                add: vec![("deploysim.route".into(), "web_web".into()), ("deploysim.weight".into(), "100".into())],
                rm: vec![]
            }
        );
        assert_eq!(switch[2], set_weight(Which::Old, 0));
        assert_eq!(switch[3], Command::WakeAt(SimTime(92 * S)));
        // A passing measurement asks for the next one.
        let mut o = obs(72, 4, 0);
        o.measurement = Some(Measurement { from: SimTime(62 * S), requests: 1000, failed: 0 });
        assert_eq!(c.step(&o), [Command::MeasureAt { at: SimTime(82 * S), from: SimTime(72 * S) }]);
        let end = c.step(&obs(92, 4, 0));
        assert_eq!(kinds(&end), ["rm-old", "labels", "finish"]);
        assert_eq!(end[1], drop_weight(Which::New));
        assert_eq!(outcome(&end), Some(Outcome::Completed));
        assert!(c.done());
        assert!(c.step(&obs(93, 4, 0)).is_empty());
    }

    #[test]
    fn a_failure_before_the_switch_abandons_green_without_touching_the_router() {
        let mut c = controller(30);
        c.start(SimTime::ZERO);
        let baking = c.step(&obs(5, 4, 0));
        assert_eq!(kinds(&baking), ["phase", "wake"]);
        let abandoned = c.step(&obs(20, 3, 1));
        assert_eq!(kinds(&abandoned), ["rm-new", "finish"]);
        assert_eq!(outcome(&abandoned), Some(Outcome::Aborted));
    }

    #[test]
    fn green_that_never_serves_is_abandoned_at_the_progress_deadline() {
        let mut c = controller(0);
        c.start(SimTime::ZERO);
        assert!(c.step(&obs(599, 2, 0)).is_empty());
        assert_eq!(outcome(&c.step(&obs(600, 2, 0))), Some(Outcome::Aborted));
    }

    #[test]
    fn a_failed_analysis_after_the_switch_switches_back() {
        let mut c = controller(0);
        c.start(SimTime::ZERO);
        c.step(&obs(5, 4, 0));
        let mut o = obs(15, 4, 0);
        o.measurement = Some(Measurement { from: SimTime(5 * S), requests: 1000, failed: 200 });
        let back = c.step(&o);
        assert_eq!(kinds(&back), ["labels", "labels", "rm-new", "finish"]);
        assert_eq!(back[0], drop_weight(Which::Old));
        assert_eq!(back[1], leave_route(Which::New));
        assert_eq!(outcome(&back), Some(Outcome::SwitchedBack));
    }

    #[test]
    fn a_bake_restarts_when_a_green_task_stops_serving() {
        let mut c = controller(30);
        c.start(SimTime::ZERO);
        c.step(&obs(5, 4, 0));
        // A task restarts without failing (e.g. its node was lost): wait again (the progress
        // deadline stays where it was), then bake anew.
        assert_eq!(kinds(&c.step(&obs(10, 3, 0))), ["phase"]);
        assert_eq!(kinds(&c.step(&obs(12, 4, 0))), ["phase", "wake"]);
        assert!(c.step(&obs(40, 4, 0)).is_empty(), "the bake now ends at 42 s");
        assert_eq!(kinds(&c.step(&obs(42, 4, 0)))[0], "phase");
    }
}

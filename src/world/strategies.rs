//! Blue-green and canary rollouts in the world: starts a controller ([`crate::strategy`]) for a
//! timeline entry with `strategy:`, shows it the two services after every event, and carries
//! out its commands as the docker commands they stand for — logged like timeline actions,
//! marked with the strategy's name.

use crate::engine::EventQueue;
use crate::model::route::{ROUTE_LABEL, WEIGHT_LABEL};
use crate::model::scenario::ServiceUpdate;
use crate::model::spec::{ServiceMode, ServiceSpec};
use crate::model::strategy::{PhaseChange, Strategy, StrategyRecord};
use crate::model::task::ServiceId;
use crate::strategy::blue_green::BlueGreenController;
use crate::strategy::canary::CanaryController;
use crate::strategy::{Command, Controller, Measurement, Observation, View, Which};
use crate::time::SimTime;

use super::{Event, World};

/// One rollout under a strategy.
pub(super) struct StrategyRun {
    controller: Controller,
    /// Blue, or the stable service.
    old: ServiceId,
    /// Green, or the canary, once created.
    new: Option<ServiceId>,
    /// The user's `docker service update` flags (the new image and any other change).
    update: ServiceUpdate,
    /// The timeline entry's command text.
    text: String,
    /// The traffic entry whose route this is, if any (what the analysis measures).
    traffic: Option<usize>,
    /// A measurement asked for: (due at, window start).
    pending_measure: Option<(SimTime, SimTime)>,
    record: StrategyRecord,
}

impl StrategyRun {
    /// Whether its controller has finished.
    pub(super) fn done(&self) -> bool {
        self.controller.done()
    }
}

impl World {
    /// Starts a blue-green or canary rollout of `sid` to the image in `update`.
    pub(super) fn start_rollout(
        &mut self,
        sid: ServiceId,
        update: &ServiceUpdate,
        strategy: &Strategy,
        text: &str,
        q: &mut EventQueue<Event>,
    ) -> Result<(), String> {
        let now = q.now();
        let old = self.service(sid);
        if !matches!(old.spec().mode, ServiceMode::Replicated { .. }) {
            return Err(format!("{} needs a replicated service; {} is global", strategy.name(), old.name));
        }
        if let Some(run) = self.strategies.iter().find(|r| r.old == sid && !r.controller.done()) {
            return Err(format!(
                "a {} rollout of {} is in progress (since {}s)",
                run.record.strategy,
                old.name,
                run.record.started_at.secs_ms()
            ));
        }
        let name = strategy.new_service_name(&old.name);
        if self.live_service(&name).is_some() {
            return Err(format!("service {name} already exists: remove it first (docker service rm {name})"));
        }
        let route = old.spec().labels.get(ROUTE_LABEL).cloned().unwrap_or_else(|| old.name.to_string());
        // `--replicas` in the command sizes the new version (and the stable service after a
        // canary's promotion).
        let replicas = update.replicas.unwrap_or_else(|| self.desired_count(sid));
        let controller = match strategy {
            Strategy::BlueGreen(c) => Controller::BlueGreen(BlueGreenController::new(c.clone(), &route, replicas)),
            Strategy::Canary(c) => Controller::Canary(CanaryController::new(c.clone(), &route, replicas)),
        };
        let record = StrategyRecord {
            strategy: strategy.name().to_string(),
            service: old.name.to_string(),
            new_service: name,
            image: update.image.clone().unwrap_or_else(|| old.spec().task.image.clone()),
            route: route.clone(),
            started_at: now,
            phases: Vec::new(),
            outcome: None,
            message: String::new(),
            ended_at: None,
        };
        let traffic = self.scenario.traffic.iter().position(|t| t.service == route);
        self.strategies.push(StrategyRun {
            controller,
            old: sid,
            new: None,
            update: update.clone(),
            text: text.to_string(),
            traffic,
            pending_measure: None,
            record,
        });
        let run = self.strategies.len() - 1;
        let commands = self.strategies[run].controller.start(now);
        self.carry_out(run, commands, q);
        Ok(())
    }

    /// Shows every rollout still going what it watches (after each event).
    pub(super) fn drive_strategies(&mut self, q: &mut EventQueue<Event>) {
        for run in 0..self.strategies.len() {
            if !self.strategies[run].controller.done() {
                self.drive_strategy(run, q);
            }
        }
    }

    /// One step of rollout `run`, with its measurement when one is due.
    fn drive_strategy(&mut self, run: usize, q: &mut EventQueue<Event>) {
        let now = q.now();
        let r = &self.strategies[run];
        if r.controller.done() {
            return;
        }
        let measurement = match r.pending_measure {
            Some((at, from)) if at <= now => {
                self.strategies[run].pending_measure = None;
                Some(self.measure_new(run, from, now))
            }
            _ => None,
        };
        let r = &self.strategies[run];
        let obs = Observation { now, old: self.view(r.old), new: r.new.map(|s| self.view(s)), measurement };
        let commands = self.strategies[run].controller.step(&obs);
        if !commands.is_empty() {
            self.carry_out(run, commands, q);
        }
    }

    fn view(&self, sid: ServiceId) -> View {
        let s = self.service(sid);
        View {
            desired: self.desired_count(sid),
            serving: s.counts.healthy_old + s.counts.healthy_new,
            failures: s.failures,
            update: s.status.as_ref().map(|st| st.state),
            update_started: s.record.started_at,
        }
    }

    /// The new version's requests in `[from, until)`, from what the run recorded so far.
    fn measure_new(&self, run: usize, from: SimTime, until: SimTime) -> Measurement {
        let r = &self.strategies[run];
        let Some(spec) = r.traffic.map(|i| &self.scenario.traffic[i]) else {
            return Measurement { from, requests: 0, failed: 0 };
        };
        let (requests, failed) = crate::traffic::measure(
            &self.recorder.serving,
            &self.recorder.routes,
            &self.recorder.image_changes,
            spec,
            &self.error_rates,
            &r.record.new_service,
            (from, until),
        );
        Measurement { from, requests, failed }
    }

    fn carry_out(&mut self, run: usize, commands: Vec<Command>, q: &mut EventQueue<Event>) {
        for command in commands {
            if let Err(why) = self.carry_out_one(run, &command, q) {
                // Swarm refused it: the controller ends the rollout (and nothing after it runs).
                let ending = self.strategies[run].controller.refused(&command, &why);
                self.carry_out(run, ending, q);
                break;
            }
        }
        self.refresh_routes(q.now());
    }

    /// Carries out one command; `Err` when Swarm refused a command the rollout depends on.
    fn carry_out_one(&mut self, run: usize, command: &Command, q: &mut EventQueue<Event>) -> Result<(), String> {
        let now = q.now();
        match command.clone() {
            Command::CreateNew { replicas, join_route } => {
                let spec = self.new_spec(run, replicas, join_route);
                let text = create_text(&spec, &self.service(self.strategies[run].old).name);
                let result = self.service_create(&spec, q);
                self.strategies[run].new = self.live_service(&spec.name);
                self.log_strategy(run, now, text, result.clone());
                return result;
            }
            Command::ScaleNew { replicas } => {
                let u = ServiceUpdate { replicas: Some(replicas), ..Default::default() };
                let name = self.strategies[run].record.new_service.clone();
                return self.strategy_update(run, Which::New, &u, format!("docker service scale {name}={replicas}"), q);
            }
            Command::Labels { which, add, rm } => {
                let u = ServiceUpdate { label_add: add, label_rm: rm, ..Default::default() };
                let text = labels_text(&u, &self.name_of(run, which));
                // A router change on a service already gone changes nothing: not a refusal.
                let _ = self.strategy_update(run, which, &u, text, q);
            }
            Command::UpdateOld => {
                let u = self.strategies[run].update.clone();
                let text = self.strategies[run].text.clone();
                return self.strategy_update(run, Which::Old, &u, text, q);
            }
            Command::Remove(which) => {
                let name = self.name_of(run, which);
                let result = match self.service_of(run, which) {
                    Some(sid) => self.service_rm(sid, q),
                    None => Err(format!("service {name} not found")),
                };
                self.log_strategy(run, now, format!("docker service rm {name}"), result);
            }
            Command::WakeAt(t) => q.at(t.max(now), Event::Strategy { run: run as u32 }),
            Command::MeasureAt { at, from } => {
                self.strategies[run].pending_measure = Some((at, from));
                q.at(at.max(now), Event::Strategy { run: run as u32 });
            }
            Command::Phase { name, message } => {
                self.strategies[run].record.phases.push(PhaseChange { t: now, phase: name, message });
            }
            Command::Finish { outcome, message } => {
                let record = &mut self.strategies[run].record;
                record.outcome = Some(outcome.as_str().to_string());
                record.message = message;
                record.ended_at = Some(now);
            }
        }
        Ok(())
    }

    /// The old service's spec with the user's changes (the new image), renamed, resized, and
    /// out of the route unless `join_route`.
    fn new_spec(&self, run: usize, replicas: u64, join_route: bool) -> ServiceSpec {
        let r = &self.strategies[run];
        let mut spec = super::actions::updated_spec(self.service(r.old).spec(), &r.update);
        spec.name = r.record.new_service.clone();
        spec.mode = ServiceMode::Replicated { replicas };
        spec.labels.remove(ROUTE_LABEL);
        spec.labels.remove(WEIGHT_LABEL);
        if join_route {
            spec.labels.insert(ROUTE_LABEL.to_string(), r.record.route.clone());
        }
        spec
    }

    fn service_of(&self, run: usize, which: Which) -> Option<ServiceId> {
        let r = &self.strategies[run];
        match which {
            Which::Old => Some(r.old).filter(|&s| !self.service(s).is_removed()),
            Which::New => r.new.filter(|&s| !self.service(s).is_removed()),
        }
    }

    fn name_of(&self, run: usize, which: Which) -> String {
        let r = &self.strategies[run];
        match which {
            Which::Old => r.record.service.clone(),
            Which::New => r.record.new_service.clone(),
        }
    }

    fn strategy_update(
        &mut self,
        run: usize,
        which: Which,
        u: &ServiceUpdate,
        text: String,
        q: &mut EventQueue<Event>,
    ) -> Result<(), String> {
        let result = match self.service_of(run, which) {
            Some(sid) => self.service_update(sid, u, q),
            None => Err(format!("service {} not found", self.name_of(run, which))),
        };
        self.log_strategy(run, q.now(), text, result.clone());
        result
    }

    /// Logs a command the controller ran, beside the timeline's actions.
    fn log_strategy(&mut self, run: usize, now: SimTime, text: String, result: Result<(), String>) {
        let tag = &self.strategies[run].record.strategy;
        self.recorder.actions.push((now, format!("[{tag}] {text}"), result.err()));
    }

    /// Each rollout's route, and whether the route is named after its service (which is then
    /// a backend whatever its labels).
    pub(super) fn strategy_routes(&self) -> Vec<(String, bool)> {
        self.strategies.iter().map(|r| (r.record.route.clone(), r.record.route == r.record.service)).collect()
    }

    /// What every rollout did, in start order.
    pub(super) fn strategy_records(&self) -> Vec<StrategyRecord> {
        self.strategies.iter().map(|r| r.record.clone()).collect()
    }
}

/// `docker service create --name N --replicas R [--label …] IMAGE`, noting whose other
/// settings it copies.
fn create_text(spec: &ServiceSpec, from: &str) -> String {
    let replicas = match spec.mode {
        ServiceMode::Replicated { replicas } => replicas,
        ServiceMode::Global => 0,
    };
    let labels: String = spec
        .labels
        .iter()
        .filter(|(k, _)| k.starts_with("deploysim."))
        .map(|(k, v)| format!(" --label {k}={v}"))
        .collect();
    format!(
        "docker service create --name {} --replicas {replicas}{labels} {} (other settings as {from})",
        spec.name, spec.task.image
    )
}

/// `docker service update --label-add K=V --label-rm K SERVICE`.
fn labels_text(u: &ServiceUpdate, service: &str) -> String {
    let mut parts = vec!["docker service update".to_string()];
    parts.extend(u.label_add.iter().map(|(k, v)| format!("--label-add {k}={v}")));
    parts.extend(u.label_rm.iter().map(|k| format!("--label-rm {k}")));
    parts.push(service.to_string());
    parts.join(" ")
}

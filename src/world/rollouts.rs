//! Blue-green and canary rollouts, run as Argo Rollouts or Flagger run them: a controller
//! outside Swarm ([`crate::strategy`]) that watches two services after every event and acts
//! through the control API with the docker commands a person would type — logged like
//! timeline actions, marked with the strategy's name.

use crate::model::route::{ROUTE_LABEL, WEIGHT_LABEL};
use crate::model::scenario::ServiceUpdate;
use crate::model::spec::{ServiceMode, ServiceSpec};
use crate::model::strategy::{PhaseChange, Strategy, StrategyRecord};
use crate::model::task::ServiceId;
use crate::strategy::blue_green::BlueGreenController;
use crate::strategy::canary::CanaryController;
use crate::strategy::{Command, Controller, Measurement, Observation, View, Which};
use crate::time::SimTime;
use crate::traffic::ErrorRates;

use super::cluster::ClusterView;
use super::manager::{Manager, updated_spec};
use super::{Event, Io};

/// One rollout under a strategy.
struct StrategyRun {
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

/// Every rollout of the run, in start order.
#[derive(Default)]
pub(crate) struct Rollouts {
    runs: Vec<StrategyRun>,
}

/// The parts of the world a rollout step acts on.
struct Ctx<'m, 'c, 'e, 'i, 'q> {
    manager: &'m mut Manager,
    cluster: ClusterView<'c>,
    errors: &'e ErrorRates,
    io: &'i mut Io<'q>,
}

impl Rollouts {
    /// Some rollout was started.
    pub(super) fn any(&self) -> bool {
        !self.runs.is_empty()
    }

    /// Rollout `run` has finished.
    pub(super) fn is_done(&self, run: u32) -> bool {
        self.runs[run as usize].controller.done()
    }

    /// Each rollout's route, and whether the route is named after its service (which is then
    /// a backend whatever its labels).
    pub(super) fn routes(&self) -> Vec<(String, bool)> {
        self.runs.iter().map(|r| (r.record.route.clone(), r.record.route == r.record.service)).collect()
    }

    /// What every rollout did, in start order.
    pub(super) fn records(&self) -> Vec<StrategyRecord> {
        self.runs.iter().map(|r| r.record.clone()).collect()
    }

    /// Starts a blue-green or canary rollout of `sid` to the image in `update`.
    pub(super) fn start(
        &mut self,
        (sid, update, strategy, text): (ServiceId, &ServiceUpdate, &Strategy, &str),
        manager: &mut Manager,
        cluster: ClusterView<'_>,
        errors: &ErrorRates,
        io: &mut Io<'_>,
    ) -> Result<(), String> {
        let now = io.now();
        let old = manager.service_status(sid);
        if !matches!(old.spec.mode, ServiceMode::Replicated { .. }) {
            return Err(format!("{} needs a replicated service; {} is global", strategy.name(), old.name));
        }
        if let Some(run) = self.runs.iter().find(|r| r.old == sid && !r.controller.done()) {
            return Err(format!(
                "a {} rollout of {} is in progress (since {}s)",
                run.record.strategy,
                old.name,
                run.record.started_at.secs_ms()
            ));
        }
        let name = strategy.new_service_name(old.name);
        if manager.live_service(&name).is_some() {
            return Err(format!("service {name} already exists: remove it first (docker service rm {name})"));
        }
        let route = old.spec.labels.get(ROUTE_LABEL).cloned().unwrap_or_else(|| old.name.to_string());
        // `--replicas` in the command sizes the new version (and the stable service after a
        // canary's promotion).
        let replicas = update.replicas.unwrap_or(old.desired);
        let controller = match strategy {
            Strategy::BlueGreen(c) => Controller::BlueGreen(BlueGreenController::new(c.clone(), &route, replicas)),
            Strategy::Canary(c) => Controller::Canary(CanaryController::new(c.clone(), &route, replicas)),
        };
        let record = StrategyRecord {
            strategy: strategy.name().to_string(),
            service: old.name.to_string(),
            new_service: name,
            image: update.image.clone().unwrap_or_else(|| old.spec.task.image.clone()),
            route: route.clone(),
            started_at: now,
            phases: Vec::new(),
            outcome: None,
            message: String::new(),
            ended_at: None,
        };
        let traffic = io.scenario.traffic.iter().position(|t| t.service == route);
        self.runs.push(StrategyRun {
            controller,
            old: sid,
            new: None,
            update: update.clone(),
            text: text.to_string(),
            traffic,
            pending_measure: None,
            record,
        });
        let run = self.runs.len() - 1;
        let commands = self.runs[run].controller.start(now);
        self.carry_out(run, commands, &mut Ctx { manager, cluster, errors, io });
        Ok(())
    }

    /// Shows every rollout still going what it watches (after each event).
    pub(super) fn drive(
        &mut self,
        manager: &mut Manager,
        cluster: ClusterView<'_>,
        errors: &ErrorRates,
        io: &mut Io<'_>,
    ) {
        let mut ctx = Ctx { manager, cluster, errors, io };
        for run in 0..self.runs.len() {
            if !self.runs[run].controller.done() {
                self.drive_one(run, &mut ctx);
            }
        }
    }

    /// One step of rollout `run`, with its measurement when one is due.
    fn drive_one(&mut self, run: usize, ctx: &mut Ctx<'_, '_, '_, '_, '_>) {
        let now = ctx.io.now();
        let r = &self.runs[run];
        let measurement = match r.pending_measure {
            Some((at, from)) if at <= now => {
                self.runs[run].pending_measure = None;
                Some(self.measure_new(run, from, now, ctx))
            }
            _ => None,
        };
        let r = &self.runs[run];
        let view = |sid: ServiceId| {
            let s = ctx.manager.service_status(sid);
            View {
                desired: s.desired,
                serving: s.counts.serving(),
                failures: s.failures,
                update: s.update,
                update_started: s.update_started,
            }
        };
        let obs = Observation { now, old: view(r.old), new: r.new.map(view), measurement };
        let commands = self.runs[run].controller.step(&obs);
        if !commands.is_empty() {
            self.carry_out(run, commands, ctx);
        }
    }

    /// The new version's requests in `[from, until)`, from what the run recorded so far.
    fn measure_new(&self, run: usize, from: SimTime, until: SimTime, ctx: &Ctx<'_, '_, '_, '_, '_>) -> Measurement {
        let r = &self.runs[run];
        let Some(spec) = r.traffic.map(|i| &ctx.io.scenario.traffic[i]) else {
            return Measurement { from, requests: 0, failed: 0 };
        };
        let recorded = ctx.manager.traffic_inputs();
        let (serving, routes, images) = ((recorded.serving, recorded.names), recorded.routes, recorded.image_changes);
        let window = (from, until);
        let (requests, failed) =
            crate::traffic::measure(serving, routes, images, spec, ctx.errors, &r.record.new_service, window);
        Measurement { from, requests, failed }
    }

    fn carry_out(&mut self, run: usize, commands: Vec<Command>, ctx: &mut Ctx<'_, '_, '_, '_, '_>) {
        for command in commands {
            if let Err(why) = self.carry_out_one(run, &command, ctx) {
                // Swarm refused it: the controller ends the rollout (and nothing after it runs).
                let ending = self.runs[run].controller.refused(&command, &why);
                self.carry_out(run, ending, ctx);
                break;
            }
        }
        let routes = self.routes();
        ctx.manager.refresh_routes(ctx.io.now(), &ctx.io.scenario.traffic, &routes);
    }

    /// Carries out one command; `Err` when Swarm refused a command the rollout depends on.
    fn carry_out_one(
        &mut self,
        run: usize,
        command: &Command,
        ctx: &mut Ctx<'_, '_, '_, '_, '_>,
    ) -> Result<(), String> {
        let now = ctx.io.now();
        match command.clone() {
            Command::CreateNew { replicas, join_route } => {
                let spec = self.new_spec(run, replicas, join_route, ctx);
                let from = ctx.manager.service_status(self.runs[run].old).name.to_string();
                let text = create_text(&spec, &from);
                let result = ctx.manager.service_create(&spec, ctx.io);
                self.runs[run].new = ctx.manager.live_service(&spec.name);
                self.log(run, now, text, result.clone(), ctx);
                return result;
            }
            Command::ScaleNew { replicas } => {
                let u = ServiceUpdate { replicas: Some(replicas), ..Default::default() };
                let name = self.runs[run].record.new_service.clone();
                return self.update(run, Which::New, &u, format!("docker service scale {name}={replicas}"), ctx);
            }
            Command::Labels { which, add, rm } => {
                let u = ServiceUpdate { label_add: add, label_rm: rm, ..Default::default() };
                let text = labels_text(&u, &self.name_of(run, which));
                // A router change on a service already gone changes nothing: not a refusal.
                let _ = self.update(run, which, &u, text, ctx);
            }
            Command::UpdateOld => {
                let u = self.runs[run].update.clone();
                let text = self.runs[run].text.clone();
                return self.update(run, Which::Old, &u, text, ctx);
            }
            Command::Remove(which) => {
                let name = self.name_of(run, which);
                let result = match self.service_of(run, which, ctx) {
                    Some(sid) => ctx.manager.service_rm(sid, ctx.cluster, ctx.io),
                    None => Err(format!("service {name} not found")),
                };
                self.log(run, now, format!("docker service rm {name}"), result, ctx);
            }
            Command::WakeAt(t) => ctx.io.q.at(t.max(now), Event::Strategy { run: run as u32 }),
            Command::MeasureAt { at, from } => {
                self.runs[run].pending_measure = Some((at, from));
                ctx.io.q.at(at.max(now), Event::Strategy { run: run as u32 });
            }
            Command::Phase { name, message } => {
                self.runs[run].record.phases.push(PhaseChange { t: now, phase: name, message });
            }
            Command::Finish { outcome, message } => {
                let record = &mut self.runs[run].record;
                record.outcome = Some(outcome.as_str().to_string());
                record.message = message;
                record.ended_at = Some(now);
            }
        }
        Ok(())
    }

    /// The old service's spec with the user's changes (the new image), renamed, resized, and
    /// out of the route unless `join_route`.
    fn new_spec(&self, run: usize, replicas: u64, join_route: bool, ctx: &Ctx<'_, '_, '_, '_, '_>) -> ServiceSpec {
        let r = &self.runs[run];
        let mut spec = updated_spec(ctx.manager.service_status(r.old).spec, &r.update);
        spec.name = r.record.new_service.clone();
        spec.mode = ServiceMode::Replicated { replicas };
        spec.labels.remove(ROUTE_LABEL);
        spec.labels.remove(WEIGHT_LABEL);
        if join_route {
            spec.labels.insert(ROUTE_LABEL.to_string(), r.record.route.clone());
        }
        spec
    }

    fn service_of(&self, run: usize, which: Which, ctx: &Ctx<'_, '_, '_, '_, '_>) -> Option<ServiceId> {
        let r = &self.runs[run];
        let sid = match which {
            Which::Old => Some(r.old),
            Which::New => r.new,
        };
        sid.filter(|&s| !ctx.manager.service_status(s).removed)
    }

    fn name_of(&self, run: usize, which: Which) -> String {
        let r = &self.runs[run];
        match which {
            Which::Old => r.record.service.clone(),
            Which::New => r.record.new_service.clone(),
        }
    }

    fn update(
        &mut self,
        run: usize,
        which: Which,
        u: &ServiceUpdate,
        text: String,
        ctx: &mut Ctx<'_, '_, '_, '_, '_>,
    ) -> Result<(), String> {
        let result = match self.service_of(run, which, ctx) {
            Some(sid) => ctx.manager.service_update(sid, u, ctx.cluster, ctx.io),
            None => Err(format!("service {} not found", self.name_of(run, which))),
        };
        self.log(run, ctx.io.now(), text, result.clone(), ctx);
        result
    }

    /// Logs a command the controller ran, beside the timeline's actions.
    fn log(
        &self,
        run: usize,
        now: SimTime,
        text: String,
        result: Result<(), String>,
        ctx: &mut Ctx<'_, '_, '_, '_, '_>,
    ) {
        let tag = &self.runs[run].record.strategy;
        ctx.manager.log_rollout_command(now, format!("[{tag}] {text}"), result.err());
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

//! The simulated cluster: applies Swarm's decisions (`swarm`), samples durations, schedules
//! engine events and records what happens. Submodules split it by Swarm component.

mod actions;
mod agent;
mod daemon;
mod dispatcher;
pub mod event;
mod nodes;
mod orchestrator;
mod record;
mod scheduler;
mod secrets;
mod services;
mod state;
mod strategies;
mod updates;

use std::collections::BTreeSet;

use crate::engine::{EventQueue, Limits, Model, StopReason, run};
use crate::model::record::{EndReason, RunRecord};
use crate::model::scenario::Scenario;
use crate::model::task::{NodeId, ServiceId};
use crate::rng::{Dist, SimRng};
use crate::time::{SimDuration, SimTime};

pub use event::{AgentStep, Event};
use record::Recorder;
pub use state::{Gate, Node, Service, Task};

/// Random streams, one per subsystem (see `rng`).
struct Streams {
    latency: SimRng,
    pull: SimRng,
    start: SimRng,
    health: SimRng,
    exit: SimRng,
    stop: SimRng,
    heartbeat: SimRng,
    /// Swarm's races: Go map orders, goroutines committing first (`Races::Random` only).
    races: SimRng,
}

impl Streams {
    fn new(seed: u64) -> Streams {
        Streams {
            latency: SimRng::stream(seed, "latency"),
            pull: SimRng::stream(seed, "image-pull"),
            start: SimRng::stream(seed, "container-start"),
            health: SimRng::stream(seed, "health"),
            exit: SimRng::stream(seed, "container-exit"),
            stop: SimRng::stream(seed, "container-stop"),
            heartbeat: SimRng::stream(seed, "heartbeat"),
            races: SimRng::stream(seed, "races"),
        }
    }
}

/// The whole simulated swarm.
pub struct World {
    scenario: Scenario,
    nodes: Vec<Node>,
    services: Vec<Service>,
    tasks: Vec<Task>,
    gates: Vec<Gate>,
    /// Gates by the old task they wait for.
    gates_waiting: std::collections::BTreeMap<crate::model::task::TaskId, Vec<usize>>,
    /// Pending old-task timeouts (time, gate), swept by one armed event instead of one event
    /// per gate: almost every gate opens long before its timeout.
    gate_timeouts: BTreeSet<(SimTime, usize)>,
    /// When the sweep event is armed.
    gate_sweep_at: Option<SimTime>,
    pending: BTreeSet<crate::model::task::TaskId>,
    /// When the scheduler's next tick is due (None: not armed).
    tick_due: Option<SimTime>,
    /// The latest the armed tick may be pushed back to by new pending tasks.
    tick_deadline: SimTime,
    registry_down_until: SimTime,
    next_updater_run: u64,
    /// Armed updater timers: (service, updater run, timer).
    updater_timers: Vec<(ServiceId, u64, crate::swarm::updater::UpdaterTimer)>,
    streams: Streams,
    /// The manager's dispatcher: task status reports wait for its next batch commit.
    dispatcher: dispatcher::StatusBatcher,
    recorder: Recorder,
    /// The swarm's secrets (metadata only).
    secrets: secrets::SecretStore,
    /// Optional per-event invariant check (tests).
    check_invariants: bool,
    /// Blue-green and canary rollouts, in start order.
    strategies: Vec<strategies::StrategyRun>,
    /// Error rates of images that answer some requests with errors (ppm).
    error_rates: crate::traffic::ErrorRates,
}

impl World {
    /// Builds the world for `scenario` at t = 0 (nothing deployed yet).
    pub fn new(scenario: Scenario) -> World {
        let nodes = scenario.nodes.iter().enumerate().map(|(i, spec)| Node::new(NodeId(i as u32), spec)).collect();
        let streams = Streams::new(scenario.seed);
        let batch = scenario.latencies.status_batch;
        // The timer started whenever the manager did: its phase is anyone's guess (fixed: 0).
        let phase = match scenario.races {
            crate::model::scenario::Races::Random => {
                SimDuration(SimRng::stream(scenario.seed, "dispatcher").between(0, batch.0.saturating_sub(1)))
            }
            crate::model::scenario::Races::Fixed => SimDuration::ZERO,
        };
        World {
            nodes,
            services: Vec::new(),
            tasks: Vec::new(),
            gates: Vec::new(),
            gates_waiting: Default::default(),
            gate_timeouts: BTreeSet::new(),
            gate_sweep_at: None,
            pending: BTreeSet::new(),
            tick_due: None,
            tick_deadline: SimTime::ZERO,
            registry_down_until: SimTime::ZERO,
            next_updater_run: 0,
            updater_timers: Vec::new(),
            streams,
            dispatcher: dispatcher::StatusBatcher::new(batch, phase),
            recorder: Recorder::default(),
            secrets: Default::default(),
            check_invariants: false,
            strategies: Vec::new(),
            error_rates: scenario.error_rates(),
            scenario,
        }
    }

    /// Turns on the invariant checks run after every event (slower; for tests).
    pub fn with_invariant_checks(mut self) -> World {
        self.check_invariants = true;
        self
    }

    /// Deploys the stack at t = 0, runs the timeline to the end and returns what happened.
    pub fn simulate(mut self) -> RunRecord {
        let mut queue = EventQueue::new();
        self.seed_secrets();
        self.deploy_stack(&mut queue);
        for (index, action) in self.scenario.timeline.iter().enumerate() {
            queue.at(action.at, Event::Action { index: index as u32 });
        }
        let limits = Limits { end: self.scenario.until, max_events: self.scenario.max_events };
        let outcome = run(&mut self, &mut queue, limits);
        // A finished rollout's pending wake-ups (a progress deadline past `until`) change
        // nothing either.
        let stale_only = outcome.stop == StopReason::EndTime
            && queue.all_pending(|e| matches!(e, Event::Strategy { run } if self.strategies[*run as usize].done()));
        let stop = if stale_only { StopReason::Quiescent } else { outcome.stop };
        let (end_reason, end_time) = match stop {
            // Stale timers (an old-task timeout after its task stopped) change nothing: the
            // run ends at the last change.
            StopReason::Quiescent => (EndReason::Quiescent, self.recorder.last_change_at),
            StopReason::EndTime => (EndReason::UntilReached, self.scenario.until),
            StopReason::MaxEvents => (EndReason::MaxEventsReached, outcome.last_event_at),
        };
        self.into_record(end_reason, end_time, outcome.events)
    }

    fn latency(&mut self, pick: fn(&crate::model::scenario::Latencies) -> &Dist) -> SimDuration {
        let dist = pick(&self.scenario.latencies).clone();
        dist.sample(&mut self.streams.latency)
    }

    fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.0 as usize]
    }

    fn service_mut(&mut self, id: ServiceId) -> &mut Service {
        &mut self.services[id.0 as usize]
    }
}

impl Model for World {
    type Event = Event;

    fn handle(&mut self, event: Event, queue: &mut EventQueue<Event>) {
        self.recorder.now = queue.now();
        match event {
            Event::Action { index } => self.apply_action(index as usize, queue),
            Event::Agent { task, step } => self.agent_step(task, step, queue),
            Event::DesiredArrives { task } => self.desired_arrives(task, queue),
            Event::Observe { task, state } => self.observe(task, state, queue),
            Event::UpdaterObserves { task, state } => {
                let service = self.task(task).service;
                self.updater_observes(service, task, state, queue);
            }
            Event::DispatcherCommit => self.dispatcher_commit(queue),
            Event::ScheduleTick => self.schedule_tick(queue),
            Event::Reconcile { service } => self.reconcile(service, queue),
            Event::Gate { gate } => self.check_gate(gate as usize, queue),
            Event::GateTimeouts => self.gate_timeouts_due(queue),
            Event::Updater { timer } => self.updater_timer(timer as usize, queue),
            Event::DaemonJobsDue { node } => self.daemon_jobs_due(node, queue),
            Event::NodeDownDetected { node, epoch } => self.node_down_detected(node, epoch, queue),
            Event::NodeOrphanDeadline { node, epoch } => self.node_orphan_deadline(node, epoch, queue),
            Event::NodeReconnects { node, epoch } => self.node_reconnects(node, epoch, queue),
            // A wake-up only: every rollout still going is driven below, after any event.
            Event::Strategy { .. } => {}
        }
        if !self.strategies.is_empty() {
            self.drive_strategies(queue);
        }
        let now = queue.now();
        self.flush_samples(now);
        if self.check_invariants {
            self.assert_invariants();
        }
    }
}

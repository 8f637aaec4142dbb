//! The simulated swarm, cut as Docker cuts it: a substrate of machines (`cluster`: each node's
//! network link, swarmkit agent, moby container daemon and image store, and the registry) under
//! a control plane (`manager`: swarmkit's store, dispatcher, scheduler, orchestrators, restart
//! and update supervisors, control API). The two talk as swarmkit's agent and dispatcher do:
//! the manager sends assignments and desired states as events; a node reports task states
//! through an [`cluster::Uplink`]. Blue-green and canary controllers (`rollouts`) are clients
//! of the control API, as Argo Rollouts or Flagger would be.
//!
//! This file is the composition: it owns the components, routes each engine event to the one
//! it concerns, and builds the run record at the end. It holds no Swarm logic of its own.

mod cluster;
pub(crate) mod event;
mod manager;
mod rollouts;
pub(crate) mod tasktable;

use crate::engine::{EventQueue, Limits, Model, StopReason, run};
use crate::limits::MAX_TASKS;
use crate::model::record::{EndReason, RunRecord};
use crate::model::scenario::{Action, ContainerRef, Latencies, Races, Scenario};
use crate::rng::{Dist, SimRng};
use crate::time::{SimDuration, SimTime};

use cluster::{Cluster, SessionAttempt, SessionOutcome};
pub(crate) use event::{AgentStep, Event};
use manager::{ASSIGNMENT_BATCH_WAIT, Manager};
use rollouts::Rollouts;

/// Random streams, one per subsystem (see `rng`): a consumer added to one never shifts another's
/// draws.
pub(crate) struct Streams {
    /// Control-plane and agent latencies (`x-simulation.latencies`).
    pub latency: SimRng,
    /// Image pulls: durations and failures.
    pub pull: SimRng,
    /// Container start work.
    pub start: SimRng,
    /// Health behaviour (healthy after, flaky probes).
    pub health: SimRng,
    /// Unasked container exits.
    pub exit: SimRng,
    /// Graceful stop work after SIGTERM.
    pub stop: SimRng,
    /// Heartbeat phases, session retry waits and gRPC re-dial jitter.
    pub heartbeat: SimRng,
    /// Link cuts: when the cut node's address resolutions begin, and when the manager's own
    /// request for its address arrives once the link is back.
    pub link: SimRng,
    /// Swarm's races: Go map orders, goroutines committing first (`Races::Random` only).
    pub races: SimRng,
    /// Go's random values that are no race: ids (swarmkit's `identity.NewID`), as the rank
    /// each task's or node's id takes among the others, and each Go map's hash seed.
    pub ids: SimRng,
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
            link: SimRng::stream(seed, "link"),
            races: SimRng::stream(seed, "races"),
            ids: SimRng::stream(seed, "ids"),
        }
    }
}

/// What every component acting on an event may use: the queue (the clock and future events),
/// the random streams, and the scenario (read-only).
pub(crate) struct Io<'a> {
    /// The event queue.
    pub q: &'a mut EventQueue<Event>,
    /// The random streams.
    pub rng: &'a mut Streams,
    /// The scenario being run.
    pub scenario: &'a Scenario,
}

impl Io<'_> {
    /// The instant of the event being handled.
    pub(crate) fn now(&self) -> SimTime {
        self.q.now()
    }

    /// One draw of a control-plane or agent latency.
    pub(crate) fn latency(&mut self, pick: fn(&Latencies) -> &Dist) -> SimDuration {
        pick(&self.scenario.latencies).sample(&mut self.rng.latency)
    }

    /// Swarm's races are drawn from the seed (else: the fixed, readable order).
    pub(crate) fn random_races(&self) -> bool {
        self.scenario.races == Races::Random
    }

    /// A value that swarmkit, gRPC or the kernel leaves to chance within `[lo, hi]` (a heartbeat
    /// period's jitter, an agent's backoff wait, a restarted manager's election): drawn from
    /// `stream` with random races; with `races: fixed`, the middle of the range, so that a
    /// teaching run takes one path whatever the seed.
    pub(crate) fn chance_between(&mut self, stream: fn(&mut Streams) -> &mut SimRng, lo: u64, hi: u64) -> u64 {
        if self.random_races() { stream(self.rng).between(lo, hi) } else { lo + hi.saturating_sub(lo) / 2 }
    }
}

/// Tasks a run of `scenario` is expected to create, for the first size of the lists kept per
/// task: each service's first tasks (a global service's, one a node) and as many again for a
/// rollout, at most [`EXPECTED_TASKS_AT_MOST`]. Only a size to start from: a list grows as
/// it would anyway, so a wrong guess costs nothing but a copy; a sweep's small runs then make
/// their lists once instead of growing them step by step.
pub(crate) fn expected_tasks(scenario: &Scenario) -> usize {
    let first: u64 = scenario
        .services
        .iter()
        .map(|s| match s.mode {
            crate::model::spec::ServiceMode::Replicated { replicas } => replicas,
            crate::model::spec::ServiceMode::Global => scenario.nodes.len() as u64,
        })
        .sum();
    (first.saturating_mul(2) as usize).min(EXPECTED_TASKS_AT_MOST)
}

/// The largest first size of a per-task list (a large run's lists grow as before).
const EXPECTED_TASKS_AT_MOST: usize = 1024;

/// The scenario's manager node (the first declared manager).
fn manager_node_of(scenario: &Scenario) -> Option<crate::model::task::NodeId> {
    scenario
        .nodes
        .iter()
        .position(|n| n.role == crate::model::cluster::NodeRole::Manager)
        .map(|i| crate::model::task::NodeId(i as u32))
}

/// The whole simulated swarm.
pub(crate) struct World {
    scenario: Scenario,
    streams: Streams,
    cluster: Cluster,
    manager: Manager,
    rollouts: Rollouts,
    /// Error rates of images that answer some requests with errors (ppm).
    error_rates: crate::traffic::ErrorRates,
    /// Optional per-event invariant check (tests).
    check_invariants: bool,
    /// Compute the request outcomes at the run's end (else the caller does).
    with_requests: bool,
    /// Task state changes this run may record ([`crate::limits::history_budget`]).
    history_budget: usize,
    /// The manager's node (its daemon's crash and restart stop and restart the control plane;
    /// the scenario checks allow it only with a single manager).
    manager_node: Option<crate::model::task::NodeId>,
    /// Control-loop work that fell due while the manager was down, done when a new leader
    /// starts (see `manager/leader.rs`).
    held_back: Vec<Event>,
    /// The event queue, kept between runs of a renewed world (its room, never its events).
    queue: EventQueue<Event>,
    /// The world ran: it must be renewed before it runs again.
    ran: bool,
}

impl World {
    /// Builds the world for `scenario` at t = 0 (nothing deployed yet).
    pub(crate) fn new(scenario: Scenario) -> World {
        World {
            streams: Streams::new(scenario.seed),
            cluster: Cluster::new(&scenario.nodes, &scenario.images, expected_tasks(&scenario)),
            manager: Manager::new(&scenario),
            rollouts: Rollouts::default(),
            error_rates: scenario.error_rates(),
            check_invariants: false,
            with_requests: true,
            history_budget: crate::limits::history_budget(&scenario),
            manager_node: manager_node_of(&scenario),
            held_back: Vec::new(),
            queue: EventQueue::new(),
            ran: false,
            scenario,
        }
    }

    /// Makes this world the one `World::new` builds for its scenario changed by `change`
    /// (another seed, another scenario), with the options it was given (invariant checks,
    /// decisions, figures-only, requests), keeping the room its components' lists and tables
    /// grew. A sweep's worker runs thousands of small runs: renewing its one world instead of
    /// building and dropping one per run took about 6% off a bench-sweep's CPU time. Every
    /// field is named, so that one added later must be said here too; a test
    /// (`sweep::tests`) runs the bundled scenarios through one renewed world and compares each
    /// record with a new world's.
    pub(crate) fn renew(&mut self, change: impl FnOnce(&mut Scenario)) {
        let World {
            scenario,
            streams,
            cluster,
            manager,
            rollouts,
            error_rates,
            // Options, not run state.
            check_invariants: _,
            with_requests: _,
            history_budget,
            manager_node,
            held_back,
            queue,
            ran,
        } = self;
        change(scenario);
        *streams = Streams::new(scenario.seed);
        cluster.renew(&scenario.nodes, &scenario.images, expected_tasks(scenario));
        manager.renew(scenario);
        *rollouts = Rollouts::default();
        *error_rates = scenario.error_rates();
        *history_budget = crate::limits::history_budget(scenario);
        *manager_node = manager_node_of(scenario);
        held_back.clear();
        queue.clear();
        *ran = false;
    }

    /// Turns on the invariant checks run after every event (slower; for tests).
    pub(crate) fn with_invariant_checks(mut self) -> World {
        self.check_invariants = true;
        self
    }

    /// Records the decisions behind the run in `RunRecord::decisions` (`deploysim explain`).
    pub(crate) fn with_decisions(mut self) -> World {
        self.manager.record_decisions();
        self
    }

    /// Records only what a run's figures read: no task or process rows (`RunRecord::figures_only`).
    pub(crate) fn with_figures_only(mut self) -> World {
        self.manager.record_figures_only(&self.scenario);
        self
    }

    /// Leaves `RunRecord::requests` empty: the caller computes them to an end of its own.
    pub(crate) fn without_requests(mut self) -> World {
        self.with_requests = false;
        self
    }

    /// Deploys the stack at t = 0, runs the timeline to the end and returns what happened.
    pub(crate) fn simulate(mut self) -> RunRecord {
        self.run()
    }

    /// Deploys the stack at t = 0, runs the timeline to the end and returns what happened,
    /// leaving the world spent: [`World::renew`] makes it ready for another run.
    pub(crate) fn run(&mut self) -> RunRecord {
        assert!(!std::mem::replace(&mut self.ran, true), "a world runs once: renew it for the next run");
        let mut queue = std::mem::take(&mut self.queue);
        {
            let mut io = Io { q: &mut queue, rng: &mut self.streams, scenario: &self.scenario };
            self.manager.deploy_stack(&mut io, &[]);
        }
        // A command with jitter lands at a random instant of its window (its own stream: adding
        // jitter to one entry shifts no other draw).
        let mut landing = SimRng::stream(self.scenario.seed, "timeline");
        for (index, action) in self.scenario.timeline.iter().enumerate() {
            let at = action.at.plus(SimDuration(landing.between(0, action.jitter.0.saturating_sub(1))));
            queue.at(at, Event::Action { index: index as u32 });
        }
        let limits = Limits { end: self.scenario.until, max_events: self.scenario.max_events };
        let outcome = run(self, &mut queue, limits);
        // A finished rollout's pending wake-ups (a progress deadline past `until`) change
        // nothing either.
        let stale_only = outcome.stop == StopReason::EndTime
            && queue.all_pending(|e| matches!(e, Event::Strategy { run } if self.rollouts.is_done(*run)));
        let stop = if stale_only { StopReason::Quiescent } else { outcome.stop };
        let (end_reason, end_time) = match stop {
            // Stale timers (an old-task timeout after its task stopped) change nothing: the
            // run ends at the last change.
            StopReason::Quiescent => (EndReason::Quiescent, self.manager.last_change_at()),
            StopReason::EndTime => (EndReason::UntilReached, self.scenario.until),
            StopReason::MaxEvents => (EndReason::MaxEventsReached, outcome.last_event_at),
            StopReason::Exhausted if self.manager.task_count() >= MAX_TASKS => {
                (EndReason::TaskLimitReached, outcome.last_event_at)
            }
            StopReason::Exhausted => (EndReason::HistoryLimitReached, outcome.last_event_at),
        };
        self.queue = queue;
        let strategies = self.rollouts.records();
        let mut record = self.manager.take_record(&self.scenario, strategies);
        record.end_reason = end_reason;
        record.end_time = end_time;
        record.events_handled = outcome.events;
        // Request outcomes are computed from what was recorded, never simulated per request.
        if self.with_requests {
            record.requests = crate::traffic::evaluate(&record, &self.scenario.traffic, &self.error_rates);
        }
        record
    }

    /// Takes back the lists of `record`, the record of this world's last run, for its next
    /// run (see `Manager::recycle_record`): a caller that runs many small runs and reads only
    /// their figures gives each record back once it is read.
    pub(crate) fn recycle(&mut self, record: RunRecord) {
        self.manager.recycle_record(record);
    }

    /// Timeline entry `index`: a docker command for the manager or a rollout, or a fault of the
    /// substrate. Logged at once, as typed (so a strategy's own commands follow the one that
    /// started it); a command takes effect after the CLI's round trip, a fault at once.
    fn issue_action(&mut self, index: usize, q: &mut EventQueue<Event>) {
        let timed = &self.scenario.timeline[index];
        let logged = self.manager.log_action(q.now(), timed.text.clone());
        if timed.action.is_command() {
            let mut io = Io { q, rng: &mut self.streams, scenario: &self.scenario };
            let d = io.latency(|l| &l.command);
            io.q.after(d, Event::ActionEffect { index: index as u32, logged: logged as u32 });
        } else {
            self.apply_action(index, logged, q);
        }
    }

    /// Carries out timeline entry `index` and records Docker's answer on its log line.
    fn apply_action(&mut self, index: usize, logged: usize, q: &mut EventQueue<Event>) {
        let timed = &self.scenario.timeline[index];
        let mut io = Io { q, rng: &mut self.streams, scenario: &self.scenario };
        // With the manager's dockerd down, the CLI cannot reach it (`docker kill` goes to the
        // container's own node).
        let needs_api = timed.action.is_command() && !matches!(timed.action, Action::ContainerKill { .. });
        let result = match &timed.action {
            _ if needs_api && !self.manager.api_up() => Err(manager::API_DOWN.to_string()),
            Action::Rollout { service, update, strategy } => match self.manager.live_service(service) {
                Some(sid) => {
                    let rollout = (sid, &**update, &**strategy, timed.text.as_str());
                    self.rollouts.start(rollout, &mut self.manager, self.cluster.view(), &self.error_rates, &mut io)
                }
                None => Err(format!("service {service} not found")),
            },
            Action::NodeDown { node } => match self.cluster.node_named(node) {
                Some(n) => {
                    let cut = self.cluster.cut(n, &mut io);
                    if cut.in_touch {
                        let next_heartbeat = self.manager.node_silent(n, self.cluster.view(), &mut io);
                        if cut.session_up {
                            let sent = next_heartbeat.unwrap_or(io.now());
                            self.cluster.heartbeat_into_cut(n, sent, &mut io);
                        }
                    }
                    Ok(())
                }
                None => Err(format!("node {node} not found")),
            },
            Action::NodeRm { node, force } => match self.manager.node_rm_allowed(node, *force) {
                Ok(n) => {
                    self.cluster.evict(n);
                    self.manager.remove_node(n, self.cluster.view(), &mut io);
                    // Whether the shutdowns just sent reach the node before its session ends
                    // is a race between the dispatcher and the session's teardown: in 4 of 5
                    // recorded runs (m11) they did and the agent stopped its containers; in one
                    // the session ended first and they kept running, unmanaged.
                    let delivered = !io.random_races() || io.rng.races.chance(SHUTDOWNS_BEAT_SESSION_END);
                    if delivered {
                        let after =
                            ASSIGNMENT_BATCH_WAIT.plus(io.latency(|l| &l.dispatch)).plus(SESSION_END_AFTER_DISPATCH);
                        io.q.after(after, Event::SessionClosed { node: n });
                    } else {
                        self.cluster.close_session(n);
                    }
                    Ok(())
                }
                Err(refusal) => Err(refusal),
            },
            Action::NodeUp { node } => match self.cluster.node_named(node) {
                Some(n) => {
                    self.cluster.restore_link(n, &mut io);
                    Ok(())
                }
                None => Err(format!("node {node} not found")),
            },
            Action::RegistryOutage { duration } => {
                self.cluster.registry_outage(io.now().plus(*duration));
                Ok(())
            }
            Action::ImageChange { image, patch } => {
                self.cluster.change_image(image, patch);
                Ok(())
            }
            // Both go to the container's own node's dockerd: with it down, the CLI cannot
            // connect, although the container's process lives on until the daemon restarts.
            Action::ContainerKill { service, target, signal } => {
                let now = io.now();
                on_containers((&self.manager, &mut self.cluster, now), service, target, true, |cluster, t| {
                    cluster.kill_container(t, *signal, &mut io)
                })
            }
            Action::HealthProbes { service, target, pass } => {
                let now = io.now();
                on_containers((&self.manager, &mut self.cluster, now), service, target, false, |cluster, t| {
                    cluster.set_container_probes(t, *pass, &mut io)
                })
            }
            Action::DaemonKill { node } => match self.cluster.node_named(node) {
                Some(n) => {
                    let was_up = self.cluster.kill_daemon(n);
                    if Some(n) == self.manager_node {
                        // The control plane dies with its dockerd (a leadership still to come
                        // from an earlier start is void); every agent loses its session and
                        // retries.
                        let already = self.manager.halted();
                        self.manager.halt();
                        if !already {
                            self.cluster.manager_gone(n, &mut io);
                        }
                    }
                    if was_up {
                        self.manager.node_silent(n, self.cluster.view(), &mut io);
                    }
                    Ok(())
                }
                None => Err(format!("node {node} not found")),
            },
            Action::DaemonStart { node } => match self.cluster.node_named(node) {
                Some(n) if Some(n) == self.manager_node => {
                    // Its agent registers once the restarted control plane is leader.
                    if self.cluster.start_daemon(n, false, &mut io) && self.manager.halted() {
                        let restart = self.manager.restarting(&mut io);
                        io.q.after(restart.listener_after, Event::ListenerOpens { term: restart.term });
                        io.q.after(restart.leader_after, Event::LeaderElected { term: restart.term });
                    }
                    Ok(())
                }
                Some(n) => {
                    self.cluster.start_daemon(n, true, &mut io);
                    Ok(())
                }
                None => Err(format!("node {node} not found")),
            },
            action => self.manager.control_api(action, &timed.text, self.cluster.view(), &mut io),
        };
        self.manager.log_action_result(logged, result.err());
        self.manager.refresh_routes(io.now(), &self.scenario.traffic, &self.rollouts.routes());
    }
}

/// The control plane's own work, which only a leader does: held back while the manager is down.
/// (The dispatcher's deadlines and commits need no holding: the dispatcher was reset, so they
/// find nothing to do; the nodes' own steps go on without the manager.)
fn is_control_loop(event: &Event) -> bool {
    matches!(
        event,
        Event::Agent { step: AgentStep::Allocate, .. }
            | Event::Observe { .. }
            | Event::UpdaterObserves { .. }
            | Event::ScheduleTick
            | Event::Reconcile { .. }
            | Event::Gate { .. }
            | Event::GateTimeouts
            | Event::Updater { .. }
    )
}

/// How often a removed node hears the shutdowns of its tasks before its session ends: 4 of the 5
/// recorded `docker node rm --force` runs (m11), as Laplace's rule estimates it, (4 + 1) / (5 + 2).
const SHUTDOWNS_BEAT_SESSION_END: f64 = 5.0 / 7.0;

/// When the shutdowns win, the session ends this long after they arrive (m11: the removed
/// agent's first refused call 0.12–0.14 s after the command, which is the node's assignments
/// batch, 100 ms, then `dispatch`, then this).
const SESSION_END_AFTER_DISPATCH: SimDuration = SimDuration::from_millis(28);

/// `docker kill` (`kill`) or a health flip of the containers `target` names: `act` on each
/// until one takes it; refused when a container's node's dockerd is down or, started again,
/// does not serve its API yet (the CLI cannot connect), or with Docker's words when no such
/// container runs.
fn on_containers(
    (manager, cluster, now): (&Manager, &mut Cluster, SimTime),
    service: &str,
    target: &ContainerRef,
    kill: bool,
    mut act: impl FnMut(&mut Cluster, crate::model::task::TaskId) -> bool,
) -> Result<(), String> {
    let tasks = manager.container_candidates(service, target);
    if tasks.iter().any(|&t| cluster.container_daemon_down(t, now)) {
        Err(manager::API_DOWN.to_string())
    } else if tasks.into_iter().any(|t| act(cluster, t)) {
        Ok(())
    } else {
        Err(no_such_container(kill, service, target))
    }
}

/// Docker's refusal when a command names a container that does not run (`docker kill`:
/// `Error response from daemon: Cannot kill container: web_web.3: No such container: web_web.3`).
fn no_such_container(kill: bool, service: &str, target: &ContainerRef) -> String {
    let name = match target {
        ContainerRef::Slot(slot) => format!("{service}.{slot}"),
        ContainerRef::Node(node) => format!("{service}.{node}"),
    };
    if kill {
        format!("Error response from daemon: Cannot kill container: {name}: No such container: {name}")
    } else {
        format!("Error: No such container: {name}")
    }
}

impl Model for World {
    type Event = Event;

    fn prefetch(&self, event: &Event) {
        if let Event::Agent { task, .. }
        | Event::DesiredArrives { task }
        | Event::Observe { task, .. }
        | Event::UpdaterObserves { task, .. } = *event
        {
            self.cluster.prefetch_task(task);
            self.manager.prefetch_task(task);
        } else if let Event::DaemonJobsDue { node } = *event {
            self.cluster.prefetch_node(node);
        }
    }

    fn prefetch_near(&self, event: &Event) {
        if let Event::Agent { task, .. } = *event {
            self.cluster.prefetch_task_node(task);
        } else if let Event::DaemonJobsDue { node } = *event {
            self.cluster.prefetch_daemon_jobs(node);
        }
    }

    fn exhausted(&self) -> bool {
        self.manager.task_count() >= MAX_TASKS || self.manager.recorded_changes() >= self.history_budget
    }

    fn handle(&mut self, event: Event, q: &mut EventQueue<Event>) {
        self.manager.clock(q.now());
        if self.manager.halted() && is_control_loop(&event) {
            self.held_back.push(event);
        } else if let Event::Action { index } = event {
            self.issue_action(index as usize, q);
        } else if let Event::ActionEffect { index, logged } = event {
            self.apply_action(index as usize, logged as usize, q);
        } else {
            let mut io = Io { q, rng: &mut self.streams, scenario: &self.scenario };
            let (cluster, manager) = (&mut self.cluster, &mut self.manager);
            match event {
                Event::Action { .. } | Event::ActionEffect { .. } => unreachable!("handled above"),
                // The allocator is the manager's; every later step is the node's.
                Event::Agent { task, step: AgentStep::Allocate } => manager.allocate(task, cluster.view(), &mut io),
                // A message for a task forgotten since (deleted, and its node let it go) is dropped.
                Event::Agent { task, step: AgentStep::Accept } if !manager.knows_task(task) => {}
                Event::Agent { task, step: AgentStep::Accept } => {
                    cluster.accept(manager.assignment(task, !cluster.has_heard_of(task)), manager, &mut io)
                }
                Event::Agent { task, step } => cluster.agent_step(task, step, manager, &mut io),
                Event::DesiredArrives { task } if !manager.knows_task(task) => {}
                Event::DesiredArrives { task } => {
                    cluster.desired_arrives(manager.assignment(task, !cluster.has_heard_of(task)), manager, &mut io)
                }
                Event::DaemonJobsDue { node } => cluster.daemon_jobs_due(node, manager, &mut io),
                // A restarted dockerd still loading has no agent yet: it registers once loaded.
                Event::NodeReconnects { node } if cluster.registration_held(node, io.now()) => {}
                // No leader to register with: the agent keeps trying on its backoff.
                Event::NodeReconnects { node } if manager.halted() => cluster.reconnect_later(node, &mut io),
                Event::NodeReconnects { node } => {
                    if cluster.reconnect(node) {
                        manager.node_reconnected(node, cluster.view(), &mut io);
                        cluster.report_unreported(node, manager, &mut io);
                        if Some(node) == self.manager_node {
                            manager.open_api();
                        }
                    }
                }
                Event::SessionAttempt { node, backoff_ms, leader_polls, attempt } => {
                    let attempt = SessionAttempt { backoff_ms, leader_polls, attempt };
                    let outcome = cluster.session_attempt(node, attempt, manager.endpoint(), &mut io);
                    if outcome == SessionOutcome::Registered {
                        manager.node_reconnected(node, cluster.view(), &mut io);
                        cluster.report_unreported(node, manager, &mut io);
                    }
                }
                Event::SessionDialEnds { node, attempt } => {
                    if cluster.dial_ended(node, attempt, manager.endpoint(), &mut io) == SessionOutcome::Registered {
                        manager.node_reconnected(node, cluster.view(), &mut io);
                        cluster.report_unreported(node, manager, &mut io);
                    }
                }
                Event::HeartbeatFails { node, cut } => cluster.heartbeat_failed(node, cut, &mut io),
                // A sole manager's swarm component starts only once its dockerd's `restore` is
                // done (moby `createAndStartCluster` after `NewDaemon`).
                Event::ListenerOpens { .. } | Event::LeaderElected { .. }
                    if self.manager_node.is_some_and(|n| cluster.control_plane_held(n, event, io.now())) => {}
                Event::ListenerOpens { term } => manager.open_listener(term, io.now()),
                Event::LeaderElected { term } => {
                    if let Some(own_agent) = manager.become_leader(term, cluster.view(), &mut io) {
                        if let Some(node) = self.manager_node {
                            cluster.expect_registration(node, own_agent, &mut io);
                        }
                        // The work held back while there was no leader, in the order it fell due.
                        for held in self.held_back.drain(..) {
                            io.q.at(io.now(), held);
                        }
                    }
                }
                Event::SessionClosed { node } => cluster.close_session(node),
                Event::DaemonRestored { node, daemon } => cluster.restore_containers(node, daemon, manager, &mut io),
                Event::Observe { task, state } => manager.observe(task, state, cluster.view(), &mut io),
                Event::UpdaterObserves { task, state } => {
                    manager.updater_observes(task, state, cluster.view(), &mut io)
                }
                Event::DispatcherCommit => manager.dispatcher_commit(&mut io),
                Event::AssignmentsDue { node } => manager.assignments_due(node, &mut io),
                Event::ScheduleTick => manager.schedule_tick(cluster.view(), &mut io),
                Event::ReaperTick { serial } => manager.reaper_tick(serial, &mut io),
                Event::Reconcile { service, dead_slots } => {
                    manager.reconcile(service, dead_slots, cluster.view(), &mut io)
                }
                Event::Gate { gate } => manager.gate_due(gate as usize, cluster.view(), &mut io),
                Event::GateTimeouts => manager.gate_timeouts_due(cluster.view(), &mut io),
                Event::Updater { timer } => manager.updater_timer(timer as usize, cluster.view(), &mut io),
                Event::NodeDownDetected { node, epoch } => {
                    manager.node_down_detected(node, epoch, cluster.view(), &mut io)
                }
                Event::NodeOrphanDeadline { node, epoch } => {
                    manager.node_orphan_deadline(node, epoch, cluster.view(), &mut io)
                }
                // A wake-up only: every rollout still going is driven below, after any event.
                Event::Strategy { .. } => {}
            }
        }
        let mut io = Io { q, rng: &mut self.streams, scenario: &self.scenario };
        if self.rollouts.any() && !self.manager.halted() {
            self.rollouts.drive(&mut self.manager, self.cluster.view(), &self.error_rates, &mut io);
        }
        let now = io.now();
        self.manager.flush_samples(now);
        if self.check_invariants {
            self.manager.assert_invariants();
        }
    }
}

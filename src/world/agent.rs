//! A node's agent and daemon: moves a task through ACCEPTED … RUNNING and on to its end as
//! swarmkit's `agent/exec/controller.go: Do` and moby's swarm executor do — pull, create, the
//! READY hold, start, the health gate, and the stop sequence (SIGTERM, then SIGKILL after the
//! grace period truncated to whole seconds).

use crate::engine::EventQueue;
use crate::model::image::{ExitBehavior, HealthBehavior, StopBehavior};
use crate::model::spec::Healthcheck;
use crate::model::task::{TaskId, TaskState};
use crate::swarm::health::{self, ProbeOracle, ProbeResult, ResolvedHealth};
use crate::time::{SimDuration, SimTime};

use super::daemon::JobKind;
use super::state::{ContainerPhase, StopCause};
use super::{AgentStep, Event, World};

/// Docker's default stop timeout on Linux when the service sets no grace period.
const DEFAULT_GRACE: SimDuration = SimDuration::from_secs(10);

/// Probe answers from an image's declared health behaviour.
struct BehaviorOracle<'a> {
    behavior: &'a HealthBehavior,
    pass_from: Option<SimTime>,
    fail_from: Option<SimTime>,
    rng: &'a mut crate::rng::SimRng,
}

impl ProbeOracle for BehaviorOracle<'_> {
    fn probe(&mut self, at: SimTime) -> ProbeResult {
        let pass = match self.behavior {
            HealthBehavior::Flaky(p) => !self.rng.chance(*p),
            _ => self.pass_from.is_some_and(|p| at >= p) && self.fail_from.is_none_or(|f| at < f),
        };
        if pass { ProbeResult::Pass } else { ProbeResult::Fail }
    }
    fn passes_from(&self) -> Option<SimTime> {
        if self.fail_from.is_some() { None } else { self.pass_from }
    }
    fn fails_from(&self) -> Option<SimTime> {
        self.fail_from
    }
}

impl World {
    /// Dispatches one agent-side step.
    pub(super) fn agent_step(&mut self, id: TaskId, step: AgentStep, q: &mut EventQueue<Event>) {
        match step {
            AgentStep::Allocate => self.allocate(id, q),
            AgentStep::Accept => self.accept(id, q),
            AgentStep::PullDone { ok } => self.pull_done(id, ok, q),
            AgentStep::StartBegin => self.start_begin(id, q),
            AgentStep::ContainerStarted => self.container_started(id, q),
            AgentStep::Healthy => self.healthy(id, q),
            AgentStep::Unhealthy => self.unhealthy(id, q),
            AgentStep::Signal => self.signal(id, q),
            AgentStep::Exited { code } => self.exited(id, code, q),
            AgentStep::Report { state } => self.report(id, state, q),
        }
    }

    fn task_node_reachable(&self, id: TaskId) -> bool {
        self.task(id).node.is_some_and(|n| self.nodes[n.0 as usize].reachable)
    }

    /// NEW → PENDING, then the scheduler's next tick.
    fn allocate(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        if self.task(id).state != TaskState::New {
            return;
        }
        // The allocator ignores the desired state: a task told to stop before it was allocated
        // is still allocated and scheduled (see `set_desired`), unless it is being removed.
        if self.task(id).desired == TaskState::Remove {
            self.set_state(id, TaskState::Shutdown, "shutdown", q);
            return;
        }
        self.set_state(id, TaskState::Pending, "pending task scheduling", q);
        self.pending.insert(id);
        self.debounce_schedule_tick(q);
    }

    /// The assignment reached the node: ACCEPTED, PREPARING, and the pull starts.
    fn accept(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        if self.task(id).state != TaskState::Assigned || !self.task_node_reachable(id) {
            return;
        }
        // The assignment carries the task as it is now, desired state included.
        self.task_mut(id).agent_desired = self.task(id).desired;
        if self.task(id).agent_desired > TaskState::Running {
            self.set_state(id, TaskState::Shutdown, "shutdown", q);
            return;
        }
        self.set_state(id, TaskState::Accepted, "accepted", q);
        self.set_state(id, TaskState::Preparing, "preparing", q);
        self.begin_pull(id, q);
    }

    /// Swarm always tries to pull; a failed pull is fine when the image is cached.
    fn begin_pull(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        let image_ref = self.task_spec(id).image.clone();
        let image = self.scenario.image(&image_ref);
        let node = self.task(id).node.expect("accepted tasks have a node");
        let cached = self.nodes[node.0 as usize].cache.contains(&image_ref);
        let now = q.now();
        if !cached {
            // The daemon downloads an image once: a task that asks for an image already being
            // pulled on its node waits for that download.
            if let Some(&(done_at, ok)) = self.nodes[node.0 as usize].pulling.get(&image_ref)
                && done_at >= now
            {
                q.at(done_at, Event::Agent { task: id, step: AgentStep::PullDone { ok } });
                return;
            }
        }
        let registry_down = q.now() < self.registry_down_until;
        let pull_fails = image.missing || registry_down || self.streams.pull.chance(image.pull_failure);
        let duration = if cached || pull_fails {
            self.latency(|l| &l.pull_cached)
        } else {
            image.pull.sample(&mut self.streams.pull)
        };
        if !cached && !pull_fails {
            self.nodes[node.0 as usize].pulling.insert(image_ref, (now.plus(duration), true));
        }
        q.after(duration, Event::Agent { task: id, step: AgentStep::PullDone { ok: cached || !pull_fails } });
    }

    fn pull_done(&mut self, id: TaskId, ok: bool, q: &mut EventQueue<Event>) {
        if self.task(id).state != TaskState::Preparing || !self.task_node_reachable(id) {
            return;
        }
        if !ok {
            // moby's executor reports the missing image (20.10 wording); the task is REJECTED
            // and the restart supervisor retries with a new task.
            let msg = format!("No such image: {}", self.task_spec(id).image);
            self.set_state(id, TaskState::Rejected, &msg, q);
            return;
        }
        let image = self.task_spec(id).image.clone();
        let node = self.task(id).node.expect("assigned");
        self.nodes[node.0 as usize].pulling.remove(&image);
        self.nodes[node.0 as usize].cache.insert(image);
        self.set_state(id, TaskState::Ready, "prepared", q);
        self.agent_advance(id, q);
    }

    /// The agent acts on the desired state it has heard.
    fn agent_advance(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        let task = self.task(id);
        if task.agent_desired > TaskState::Running {
            self.begin_stop(id, q);
        } else if task.agent_desired == TaskState::Running && task.state == TaskState::Ready {
            let d = self.latency(|l| &l.start_begin);
            let at = self.agent_slot(id, q.now().plus(d));
            q.at(at, Event::Agent { task: id, step: AgentStep::StartBegin });
        }
    }

    /// The agent works through its tasks one at a time: an operation due at `at` on a node
    /// whose agent is still busy waits for it (traces: six SIGTERMs sent at once land 10–20 ms
    /// apart). Returns when this one happens.
    fn agent_slot(&mut self, id: TaskId, at: SimTime) -> SimTime {
        let node = self.task(id).node.expect("agent work happens on a node").0 as usize;
        let gap = self.latency(|l| &l.agent_step);
        let n = &mut self.nodes[node];
        let start = at.max(n.agent_free_at);
        n.agent_free_at = start.plus(gap);
        start
    }

    /// A desired-state change reached the node.
    pub(super) fn desired_arrives(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        if !self.task_node_reachable(id) {
            return; // delivered when the node answers again (see `node_up`)
        }
        let desired = self.task(id).desired;
        if self.task(id).agent_desired == desired {
            return;
        }
        self.task_mut(id).agent_desired = desired;
        self.agent_advance(id, q);
    }

    fn start_begin(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        let task = self.task(id);
        if task.state != TaskState::Ready || task.agent_desired != TaskState::Running || !self.task_node_reachable(id) {
            return;
        }
        self.set_state(id, TaskState::Starting, "starting", q);
        let image = self.scenario.image(&self.task_spec(id).image);
        let work = image.start.sample(&mut self.streams.start);
        self.daemon_submit(id, JobKind::Start, work, q);
    }

    /// The health check that applies: the service's, else the image's `HEALTHCHECK`.
    fn resolved_health(&self, id: TaskId) -> Option<ResolvedHealth> {
        let spec = self.task_spec(id);
        let config = match &spec.healthcheck {
            Some(Healthcheck::Disabled) => return None,
            Some(Healthcheck::Check(c)) => Some(c.clone()),
            None => self.scenario.image(&spec.image).healthcheck,
        }?;
        if config.test.first().is_some_and(|t| t == "NONE") {
            return None;
        }
        Some(ResolvedHealth::resolve(&config, self.scenario.engine))
    }

    fn container_started(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        if self.task(id).state != TaskState::Starting {
            return;
        }
        let now = q.now();
        let image = self.scenario.image(&self.task_spec(id).image);
        {
            let c = &mut self.task_mut(id).container;
            c.phase = ContainerPhase::Running;
            c.started_at = now;
        }
        self.record_secret_mounts(id, now);
        if let ExitBehavior::ExitsAfter { code, after } = &image.exit {
            let d = after.sample(&mut self.streams.exit);
            q.after(d, Event::Agent { task: id, step: AgentStep::Exited { code: *code } });
        }
        if self.task(id).agent_desired > TaskState::Running {
            self.begin_stop(id, q);
            return;
        }
        match self.resolved_health(id) {
            None => {
                self.task_mut(id).container.healthy = true;
                self.set_state(id, TaskState::Running, "started", q);
            }
            Some(h) => self.schedule_health(id, &h, &image.health, now, q),
        }
    }

    /// The daemon writes each referenced secret into the container's tmpfs as it starts.
    fn record_secret_mounts(&mut self, id: TaskId, now: SimTime) {
        let task = self.task(id);
        let svc = self.service(task.service);
        let Some(node) = task.node else { return };
        let mounts: Vec<crate::model::record::SecretMount> = svc
            .spec_at(task.spec)
            .task
            .secrets
            .iter()
            .map(|r| crate::model::record::SecretMount {
                t: now,
                service: svc.name.clone(),
                task_id: task.docker_id.clone(),
                node: self.nodes[node.0 as usize].name.clone(),
                secret: r.source.clone(),
                path: r.mount_path(),
                uid: r.uid.clone(),
                gid: r.gid.clone(),
                mode: r.mode,
            })
            .collect();
        self.recorder.secret_mounts.extend(mounts);
    }

    fn schedule_health(
        &mut self,
        id: TaskId,
        h: &ResolvedHealth,
        behavior: &HealthBehavior,
        now: SimTime,
        q: &mut EventQueue<Event>,
    ) {
        let probe = self.latency(|l| &l.probe);
        let (pass_from, fail_from) = match behavior {
            HealthBehavior::Healthy => (Some(now), None),
            HealthBehavior::NeverHealthy => (None, Some(now)),
            HealthBehavior::HealthyAfter(d) => (Some(now.plus(d.sample(&mut self.streams.health))), None),
            HealthBehavior::UnhealthyAfter(d) => (Some(now), Some(now.plus(d.sample(&mut self.streams.health)))),
            HealthBehavior::Flaky(_) => (None, None),
        };
        let horizon = self.scenario.until;
        let mut oracle = BehaviorOracle { behavior, pass_from, fail_from, rng: &mut self.streams.health };
        let outcome = health::predict(h, now, probe, &mut oracle, horizon);
        if let Some(t) = outcome.healthy_at {
            q.at(t, Event::Agent { task: id, step: AgentStep::Healthy });
        }
        if let Some(t) = outcome.unhealthy_at {
            q.at(t, Event::Agent { task: id, step: AgentStep::Unhealthy });
        }
    }

    fn container_live(&self, id: TaskId) -> bool {
        let c = &self.task(id).container;
        c.phase == ContainerPhase::Running && !c.signalled
    }

    /// `controller.Start` returns once the container is healthy: the task becomes RUNNING.
    fn healthy(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        if !self.container_live(id) || self.task(id).container.stop_cause != StopCause::None {
            return;
        }
        self.task_mut(id).container.healthy = true;
        self.touch(id);
        if self.task(id).state == TaskState::Starting {
            self.set_state(id, TaskState::Running, "started", q);
        }
    }

    /// The executor shuts an unhealthy container down; its exit ends the task.
    fn unhealthy(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        if !self.container_live(id) || self.task(id).container.stop_cause != StopCause::None {
            return;
        }
        {
            let c = &mut self.task_mut(id).container;
            c.healthy = false;
            c.stop_cause = StopCause::Unhealthy;
        }
        self.touch(id);
        let d = self.latency(|l| &l.unhealthy_kill);
        q.after(d, Event::Agent { task: id, step: AgentStep::Signal });
    }

    /// Desired state past RUNNING: stop the container, or end a task that never started.
    fn begin_stop(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        let task = self.task(id);
        if task.state.is_terminal() || task.container.stop_requested {
            return;
        }
        match task.container.phase {
            ContainerPhase::NotStarted => self.set_state(id, TaskState::Shutdown, "shutdown", q),
            ContainerPhase::Exited => {}
            ContainerPhase::Running => {
                self.task_mut(id).container.stop_requested = true;
                if self.task(id).container.stop_cause == StopCause::None {
                    self.task_mut(id).container.stop_cause = StopCause::Shutdown;
                }
                if !self.task(id).container.signalled {
                    // The agent removes the task from the load balancer before the signal
                    // (traces: SIGTERM ~1.2 s after desired SHUTDOWN).
                    let d = self.latency(|l| &l.stop_signal);
                    let at = self.agent_slot(id, q.now().plus(d));
                    q.at(at, Event::Agent { task: id, step: AgentStep::Signal });
                }
            }
        }
    }

    /// SIGTERM; SIGKILL after the grace period (whole seconds, as `ContainerStop` truncates).
    fn signal(&mut self, id: TaskId, q: &mut EventQueue<Event>) {
        let c = self.task(id).container;
        if c.phase != ContainerPhase::Running || c.signalled {
            return;
        }
        self.task_mut(id).container.signalled = true;
        self.touch(id);
        let grace_secs = self.task_spec(id).stop_grace_period.unwrap_or(DEFAULT_GRACE).whole_secs();
        let grace = SimDuration::from_secs(grace_secs);
        let image = self.scenario.image(&self.task_spec(id).image);
        // SIGKILL after the grace period, unless the process has exited by then.
        q.after(grace, Event::Agent { task: id, step: AgentStep::Exited { code: 137 } });
        if let StopBehavior::Graceful { after, exit_code } = &image.stop {
            let work = after.sample(&mut self.streams.stop);
            self.daemon_submit(id, JobKind::Stop { code: *exit_code }, work, q);
        }
    }

    /// Hands a container start or stop to the node's daemon and re-plans its completions.
    fn daemon_submit(&mut self, id: TaskId, kind: JobKind, work: SimDuration, q: &mut EventQueue<Event>) {
        let node = self.task(id).node.expect("containers run on a node");
        let next = self.nodes[node.0 as usize].daemon.submit(q.now(), id, kind, work);
        self.arm_daemon(node, next, q);
    }

    /// Makes sure an event fires by the daemon's next completion.
    fn arm_daemon(&mut self, node: crate::model::task::NodeId, next: Option<SimTime>, q: &mut EventQueue<Event>) {
        let daemon = &mut self.nodes[node.0 as usize].daemon;
        if let Some(at) = next
            && daemon.armed_at.is_none_or(|armed| at < armed)
        {
            daemon.armed_at = Some(at);
            q.at(at, Event::DaemonJobsDue { node });
        }
    }

    /// The daemon's next completions are due: the containers start or exit.
    pub(super) fn daemon_jobs_due(&mut self, node: crate::model::task::NodeId, q: &mut EventQueue<Event>) {
        let daemon = &mut self.nodes[node.0 as usize].daemon;
        if daemon.armed_at != Some(q.now()) {
            return; // superseded by an earlier completion, which re-armed
        }
        daemon.armed_at = None;
        let (done, next) = daemon.finish_due(q.now());
        self.arm_daemon(node, next, q);
        for (task, kind) in done {
            match kind {
                JobKind::Start => self.container_started(task, q),
                JobKind::Stop { code } => self.exited(task, code, q),
            }
        }
    }

    fn exited(&mut self, id: TaskId, code: i32, q: &mut EventQueue<Event>) {
        let c = self.task(id).container;
        if c.phase != ContainerPhase::Running {
            return;
        }
        // A process that died another way (crash, SIGKILL) no longer needs its stop job.
        let node = self.task(id).node.expect("containers run on a node");
        let next = self.nodes[node.0 as usize].daemon.cancel(q.now(), id);
        self.arm_daemon(node, next, q);
        self.task_mut(id).container.phase = ContainerPhase::Exited;
        self.task_mut(id).container.healthy = false;
        self.touch(id);
        let state = if c.stop_requested {
            TaskState::Shutdown
        } else if code == 0 {
            TaskState::Complete
        } else {
            TaskState::Failed
        };
        let message = match (state, c.stop_cause) {
            (TaskState::Shutdown, _) => "shutdown".to_string(),
            (TaskState::Complete, _) => "finished".to_string(),
            (_, StopCause::Unhealthy) => format!("task: non-zero exit ({code}): dockerexec: unhealthy container"),
            _ => format!("task: non-zero exit ({code})"),
        };
        let d = self.latency(|l| &l.exit_report);
        self.task_mut(id).message = self.recorder.intern(&message);
        let at = self.agent_slot(id, q.now().plus(d));
        q.at(at, Event::Agent { task: id, step: AgentStep::Report { state } });
    }

    fn report(&mut self, id: TaskId, state: TaskState, q: &mut EventQueue<Event>) {
        if self.task(id).state >= state {
            return;
        }
        let message = self.task(id).message.clone();
        self.set_state(id, state, &message, q);
    }
}

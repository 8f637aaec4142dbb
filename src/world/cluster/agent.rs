//! A node's agent: moves a task through ACCEPTED … RUNNING and on to its end as swarmkit's
//! `agent/exec/controller.go: Do` and moby's swarm executor (`daemon/cluster/executor/container`)
//! do — pull, create, the READY hold, start, the health gate, and the stop sequence (SIGTERM,
//! then SIGKILL after the grace period truncated to whole seconds) — with `agent/task.go`'s
//! task manager around it: a change to the task cancels the operation in flight, retried a
//! second later.

use std::sync::Arc;

use crate::model::image::{ExitBehavior, HealthBehavior, ImageBehavior, StopBehavior};
use crate::model::record::ProcessChange;
use crate::model::scenario::KillSignal;
use crate::model::spec::TaskSpec;
use crate::model::task::{NodeId, TaskId, TaskState};
use crate::rng::{Dist, SimRng};
use crate::swarm::health::{self, ProbeOracle, ProbeResult, ResolvedHealth};
use crate::time::{SimDuration, SimTime};

use super::daemon::JobKind;
use super::{Assignment, Cluster, Message, Uplink};
use crate::world::{AgentStep, Event, Io};

/// moby's `container.DefaultStopTimeout`: a container's stop timeout when its config sets none.
/// The swarm executor never sets one (`containerConfig.config` has no `StopTimeout`; the grace
/// period goes with each `ContainerStop` instead, `containerAdapter.shutdown`), so this is the
/// timeout of every stop the daemon makes on its own: a restarted dockerd's, while it loads.
const DAEMON_STOP_TIMEOUT: SimDuration = SimDuration::from_secs(10);

/// What follows `restore` in a dockerd's start (the network controller, then the cluster):
/// `daemon_register` less `daemon_restore`, each drawn as a latency.
fn start_after_restore(io: &mut Io<'_>) -> SimDuration {
    let (register, restore) = (io.latency(|l| &l.daemon_register), io.latency(|l| &l.daemon_restore));
    SimDuration::from_nanos(register.as_nanos().saturating_sub(restore.as_nanos()))
}

/// The daemon's work in one container start: the image's `start`; a fixed one scaled by a
/// log-normal factor of median 1 and shape `spread` (`latencies.start_spread`: dockerd's own
/// part of a start is not the same twice). An image's random `start` is drawn alone.
fn start_work(start: &Dist, spread: f64, rng: &mut SimRng) -> SimDuration {
    match *start {
        Dist::Fixed(median) if spread > 0.0 => Dist::LogNormal { median, sigma: spread }.sample(rng),
        _ => start.sample(rng),
    }
}

/// How long swarmkit's task manager waits before it runs `exec.Do` again after an operation
/// returned `ErrTaskRetry`, which a cancelled operation does (`agent/task.go`:
/// `time.AfterFunc(time.Second, …)`, "enough to keep the task manager from running away with the
/// CPU").
const TASK_RETRY_DELAY: SimDuration = SimDuration::from_secs(1);

/// moby `daemon/cluster`'s `swarmConnectTimeout`: how long a starting dockerd waits for its
/// swarm node to be ready before it goes on (and serves its API) without it.
const SWARM_CONNECT_TIMEOUT: SimDuration = SimDuration::from_secs(20);

/// Docker's default stop timeout on Linux when the service sets no grace period.
const DEFAULT_GRACE: SimDuration = DAEMON_STOP_TIMEOUT;

/// moby's `defaultGossipConvergeDelay`: a task with a service binding (attached to a swarm
/// network) is taken out of the load balancer, then the executor waits this long for the
/// change to spread before it stops the container (`controller.Shutdown`, on a desired
/// SHUTDOWN and on an unhealthy verdict alike). Recorded: every stop of a stack service's task
/// 2.0 s later than the same update of a `docker service create` service (s28 vs s28b).
const GOSSIP_CONVERGE_DELAY: SimDuration = SimDuration::from_secs(2);

/// Where a task's container is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContainerPhase {
    /// Not created or not started yet.
    NotStarted,
    /// Process running.
    Running,
    /// Process exited.
    Exited,
}

/// Why a container is being stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StopCause {
    /// Not stopping.
    None,
    /// Desired state went past RUNNING.
    Shutdown,
    /// The health monitor found it unhealthy.
    Unhealthy,
}

/// A task's container.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Container {
    /// Phase.
    pub phase: ContainerPhase,
    /// Health status is healthy (or there is no health check).
    pub healthy: bool,
    /// SIGTERM has been sent.
    pub signalled: bool,
    /// Why it is stopping.
    stop_cause: StopCause,
    /// The agent has begun stopping it (desired SHUTDOWN seen).
    stop_requested: bool,
    /// It exists on the node (moby's executor creates it in `Prepare`: the task is READY), so
    /// a deleted task's agent has one to remove, started or not.
    created: bool,
    /// The manager deleted its task and the agent heard it: the container is stopped if it
    /// runs, then removed, and nothing more is reported (the task is gone).
    removing: bool,
    /// A restarted dockerd is stopping it while it loads (`restore_containers`): the daemon's
    /// start waits for it to exit.
    restored: bool,
    /// Where moby's `Prepare` stands while the task is PREPARING.
    prepare: Prepare,
    /// Cancelled `Prepare`s so far (numbers each retry, so that a stale one is ignored).
    prepare_retries: u8,
}

/// moby's `Prepare` of a PREPARING task (the pull, forked into a context of its own, then the
/// container's creation), as swarmkit's task manager runs it (`agent/task.go`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prepare {
    /// Waiting for the pull (and any task not preparing).
    InFlight,
    /// A new desired state cancelled it: `exec.Do` made that `ErrTaskRetry`, and the task
    /// manager runs `Do` again at the retry numbered `retry` ([`TASK_RETRY_DELAY`] later), or at
    /// once when another desired state arrives meanwhile; `pulled` is the outcome of a pull that
    /// ended in the meantime.
    Retrying { retry: u8, pulled: Option<bool> },
}

impl Default for Container {
    fn default() -> Self {
        Container {
            phase: ContainerPhase::NotStarted,
            healthy: false,
            signalled: false,
            stop_cause: StopCause::None,
            stop_requested: false,
            created: false,
            removing: false,
            restored: false,
            prepare: Prepare::InFlight,
            prepare_retries: 0,
        }
    }
}

/// A task as its node's agent knows it.
pub(super) struct TaskRun {
    /// The node it runs on.
    pub node: NodeId,
    /// What to run.
    pub spec: Arc<TaskSpec>,
    /// Its state as the agent last reported it.
    state: TaskState,
    /// The desired state as the agent last heard it (`None`: not heard yet).
    desired: Option<TaskState>,
    /// The status message of a failed exit, reported with the final state (see
    /// `final_message`; empty after a stop or a clean exit).
    exit_message: Box<str>,
    /// A final state its agent could not report (the container exited while the daemon was
    /// down): reported when the agent registers again.
    unreported: Option<TaskState>,
    /// Its container.
    pub container: Container,
    /// The manager deleted it while the node could not hear it: its container is removed when
    /// the agent registers again.
    unassigned: bool,
    /// How its image behaved when the container was created (a later change of the image's
    /// behaviour does not reach a container already made).
    behavior: Option<Arc<ImageBehavior>>,
    /// Its health monitor, while the container that has a health check lives: boxed, since a
    /// run is kept after its container exits (observers ask for the container's last state)
    /// and most runs of a long run are such ended ones, which drop their monitor (see
    /// `exited`).
    health: Option<Box<HealthWatch>>,
}

/// A container's health monitor: what its probes answer, and which prediction of the monitor's
/// verdicts is current (changing the answers makes the events of earlier ones stale).
struct HealthWatch {
    /// The check, defaults applied.
    check: ResolvedHealth,
    /// When the container started.
    started: SimTime,
    /// How long one probe takes.
    probe: SimDuration,
    /// Each probe fails independently with this probability (`HealthBehavior::Flaky`); other
    /// behaviours are drawn once, into `pass_from` and `fail_from`.
    flaky: Option<f64>,
    /// From when every probe passes / fails, as the image's behaviour drew it.
    /// ([`NEVER`]: not at all; an `Option` would double their size in a monitor kept for every
    /// live container.)
    pass_from: SimTime,
    fail_from: SimTime,
    /// Answers set from outside from an instant on (`health:` timeline entries): (from, pass).
    /// A boxed slice (8 bytes when empty): almost no container gets one, so an added answer
    /// may copy the few before it.
    overrides: Option<Box<[(SimTime, bool)]>>,
    /// The current prediction's number.
    watch: u32,
}

/// A probe verdict time that never comes.
const NEVER: SimTime = SimTime(u64::MAX);

impl HealthWatch {
    /// Answers set from outside, in order.
    fn overrides(&self) -> &[(SimTime, bool)] {
        self.overrides.as_deref().unwrap_or(&[])
    }
}

impl TaskRun {
    /// The agent's record of a task it hears of for the first time, keeping the spec it was
    /// sent.
    pub(super) fn new(a: &Assignment, spec: Arc<TaskSpec>) -> TaskRun {
        TaskRun {
            node: a.node,
            spec,
            state: a.state,
            desired: None,
            exit_message: Box::default(),
            unreported: None,
            container: Container::default(),
            unassigned: false,
            behavior: None,
            health: None,
        }
    }
}

/// A node's agent works through its task operations one at a time: an operation due at an
/// instant when the agent is busy waits for it (traces: six SIGTERMs sent at once land 10–20 ms
/// apart). An operation taken on early for a later instant (a SIGTERM due after the
/// load-balancer removal delay) holds only its own instant: one due before it goes first.
#[derive(Default)]
pub(super) struct AgentQueue {
    /// Operations taken on, (start, end) by start, at most one a start. They never overlap.
    /// A few at a time, taken on mostly after the others and forgotten from the front: a
    /// sorted ring of them keeps its room from one operation to the next (an ordered map
    /// made and freed a node per operation).
    busy: std::collections::VecDeque<(SimTime, SimTime)>,
}

impl AgentQueue {
    /// Its operations will be read soon (see `crate::prefetch`).
    pub(super) fn prefetch(&self) {
        if let Some(first) = self.busy.front() {
            crate::prefetch::prefetch(first);
        }
    }

    /// No operation taken on, keeping the ring's room (a world reused from run to run).
    pub(super) fn clear(&mut self) {
        let AgentQueue { busy } = self;
        busy.clear();
    }

    /// Takes on an operation due at `at` that keeps the agent busy for `gap`; returns when it
    /// starts. `now` lets operations that are over be forgotten.
    pub(super) fn take(&mut self, now: SimTime, at: SimTime, gap: SimDuration) -> SimTime {
        while let Some(&(_, end)) = self.busy.front()
            && end <= now
        {
            self.busy.pop_front();
        }
        // Only the last operation starting before this one would end can be in its way; after
        // moving past it, the next one may be. `before` counts the operations starting before
        // this one would end: it only grows as `start` moves, so it is found once and then
        // advanced (a node given thousands of operations at once walks its chain once per
        // operation, not a binary search per step).
        let mut start = at;
        let mut before = self.busy.partition_point(|&(s, _)| s < start.plus(gap));
        while let Some(&(_, end)) = before.checked_sub(1).map(|i| &self.busy[i])
            && end > start
        {
            start = end;
            while self.busy.get(before).is_some_and(|&(s, _)| s < start.plus(gap)) {
                before += 1;
            }
        }
        // Where it goes by its start (an operation starting at the same instant is replaced,
        // as a map keyed by start would).
        let at = self.busy.partition_point(|&(s, _)| s < start);
        match self.busy.get_mut(at) {
            Some(entry) if entry.0 == start => entry.1 = start.plus(gap),
            _ => self.busy.insert(at, (start, start.plus(gap))),
        }
        start
    }
}

/// Probe answers from an image's declared health behaviour, and from the answers set from
/// outside since (the last one wins).
struct BehaviorOracle<'a> {
    watch: &'a HealthWatch,
    rng: &'a mut crate::rng::SimRng,
}

impl ProbeOracle for BehaviorOracle<'_> {
    fn probe(&mut self, at: SimTime) -> ProbeResult {
        let w = self.watch;
        let set = w.overrides().iter().rev().find(|(from, _)| *from <= at).map(|&(_, pass)| pass);
        let pass = match (set, w.flaky) {
            (Some(pass), _) => pass,
            (None, Some(p)) => !self.rng.chance(p),
            (None, _) => at >= w.pass_from && at < w.fail_from,
        };
        if pass { ProbeResult::Pass } else { ProbeResult::Fail }
    }
    fn passes_from(&self) -> Option<SimTime> {
        let w = self.watch;
        match w.overrides().last() {
            Some(&(from, pass)) => pass.then_some(from),
            None if w.fail_from != NEVER => None,
            None => (w.pass_from != NEVER).then_some(w.pass_from),
        }
    }
    fn fails_from(&self) -> Option<SimTime> {
        let w = self.watch;
        match w.overrides().last() {
            Some(&(from, pass)) => (!pass).then_some(from),
            None => (w.fail_from != NEVER).then_some(w.fail_from),
        }
    }
}

impl Cluster {
    /// Dispatches one agent-side step of a task the node already has. A step of a task the
    /// node has forgotten since (the manager deleted it and its container was removed) finds
    /// nothing to act on: it is ignored.
    pub(crate) fn agent_step(&mut self, id: TaskId, step: AgentStep, up: &mut impl Uplink, io: &mut Io<'_>) {
        if !self.runs.contains(id) && step != AgentStep::Unassigned {
            return;
        }
        match step {
            AgentStep::Allocate | AgentStep::Accept => unreachable!("the manager's allocator and the assignment"),
            AgentStep::PullDone { ok } => self.pull_done(id, ok, up, io),
            AgentStep::StartBegin => self.start_begin(id, up, io),
            AgentStep::Healthy { watch } => self.healthy(id, watch, up, io),
            AgentStep::Unhealthy { watch } => self.unhealthy(id, watch, up, io),
            AgentStep::Signal => self.signal(id, up, io),
            AgentStep::Exited { code } => self.exited(id, code, up, io),
            // The daemon that would send SIGKILL may have died meanwhile.
            AgentStep::GraceExpired { daemon } if self.daemon_up(id) && daemon == self.daemon_starts(id) => {
                if self.run(id).container.phase == ContainerPhase::Running {
                    up.process_changed(id, ProcessChange::Sigkill);
                }
                self.exited(id, 137, up, io)
            }
            AgentStep::GraceExpired { .. } => {}
            // The agent goes on through a cut link (its report reaches the manager when the
            // session is back, as an exit's does); a dead agent's step is taken up by the
            // restarted one (`restore_done`).
            AgentStep::ShutdownUnstarted { daemon, from }
                if self.daemon_up(id)
                    && daemon == self.daemon_starts(id)
                    && self.run(id).state == from
                    && !self.run(id).container.removing =>
            {
                self.report(id, TaskState::Shutdown, Message::Fixed("shutdown"), up, io)
            }
            AgentStep::ShutdownUnstarted { .. } => {}
            AgentStep::PrepareRetried { daemon, retry }
                if self.daemon_up(id)
                    && daemon == self.daemon_starts(id)
                    && self.run(id).state == TaskState::Preparing
                    && !self.run(id).container.removing
                    && matches!(self.run(id).container.prepare, Prepare::Retrying { retry: r, .. } if r == retry) =>
            {
                self.retry_prepare(id, up, io)
            }
            AgentStep::PrepareRetried { .. } => {}
            AgentStep::Report { state } => {
                let message = std::mem::take(&mut self.run_mut(id).exit_message);
                self.report(id, state, final_message(state, &message), up, io);
            }
            AgentStep::AgentStarted { daemon } if self.daemon_up(id) && daemon == self.daemon_starts(id) => {
                // Unless its registration, at the same instant, has reported it already.
                if let Some(state) = self.run_mut(id).unreported.take() {
                    let message = std::mem::take(&mut self.run_mut(id).exit_message);
                    self.report(id, state, final_message(state, &message), up, io);
                }
            }
            AgentStep::AgentStarted { .. } => {}
            AgentStep::Unassigned => self.unassign(id, up, io),
            AgentStep::Removed => self.removed(id, up),
        }
    }

    /// The manager deleted the task: the agent closes it and removes its container (swarmkit
    /// `worker.reconcileTaskState` → `closeManager` → `controller.Remove`). A node that cannot
    /// hear it now (its link or daemon down) learns it from the full assignment set it gets when
    /// its agent registers again (`report_unreported`).
    ///
    /// Once nothing of the task is left on the node (its container removed, or it had none),
    /// the node forgets it ([`Uplink::task_forgotten`]): its run goes, and any step of it still
    /// queued is ignored.
    fn unassign(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        let Some(run) = self.runs.get_mut(id) else {
            // The node never heard of it (its assignment did not reach the node).
            up.task_forgotten(id);
            return;
        };
        if !self.machines[run.node.0 as usize].reachable {
            run.unassigned = true;
            return;
        }
        run.unassigned = false;
        // A container exists from READY (made by `Prepare`, started or not); a task rejected
        // before has none. Either way the task is closed: a pull in flight is cancelled
        // (`controller.Remove` → `cancelPull`) and no start begins (`start_begin`, `pull_done`).
        if run.container.removing {
            return;
        }
        run.container.removing = true;
        if !run.container.created {
            // Nothing of it is left on the node.
            self.forget(id, up);
            return;
        }
        let live = run.container.phase == ContainerPhase::Running
            || (run.container.phase == ContainerPhase::NotStarted && run.state == TaskState::Starting);
        if live {
            // `controller.Remove` shuts a live container down first (`Shutdown`: out of the load
            // balancer, then `ContainerStop`), with none of the wait a desired SHUTDOWN goes
            // through: recorded m15 (a removed node's global task, deleted while running):
            // SIGTERM 0.07-0.16 s after the task left the store, `destroy` 0.23-0.41 s after
            // the `docker node rm`. One being started is stopped once started.
            let c = &mut run.container;
            c.stop_requested = true;
            if c.stop_cause == StopCause::None {
                c.stop_cause = StopCause::Shutdown;
            }
            if c.phase == ContainerPhase::Running && !c.signalled {
                self.signal_for_removal(id, io);
            }
            return;
        }
        let d = io.latency(|l| &l.container_remove);
        io.q.after(d, Event::Agent { task: id, step: AgentStep::Removed });
    }

    /// The removal's stop: SIGTERM once the container is out of the load balancer.
    fn signal_for_removal(&mut self, id: TaskId, io: &mut Io<'_>) {
        let at = io.now().plus(self.gossip_delay(id));
        let at = self.agent_slot(id, at, io);
        io.q.at(at, Event::Agent { task: id, step: AgentStep::Signal });
    }

    /// The node lets go of a task the manager deleted, with nothing of it left on the node.
    fn forget(&mut self, id: TaskId, up: &mut impl Uplink) {
        self.runs.remove(id);
        up.task_forgotten(id);
    }

    /// The container is gone (`docker events`: `destroy`).
    fn removed(&mut self, id: TaskId, up: &mut impl Uplink) {
        up.process_changed(id, ProcessChange::Removed);
        self.forget(id, up);
    }

    /// The agent's new state for a task, reported up.
    fn report(&mut self, id: TaskId, state: TaskState, message: Message<'_>, up: &mut impl Uplink, io: &mut Io<'_>) {
        self.run_mut(id).state = state;
        up.task_status(id, state, message, self.view(), io);
    }

    /// Observers see the container's change.
    fn touch(&self, id: TaskId, up: &mut impl Uplink) {
        up.container_changed(id, self.view());
    }

    /// The assignment reached the node: ACCEPTED, PREPARING, and the pull starts.
    pub(crate) fn accept(&mut self, mut a: Assignment, up: &mut impl Uplink, io: &mut Io<'_>) {
        if a.state != TaskState::Assigned || !self.machines[a.node.0 as usize].reachable {
            return;
        }
        if self.runs.get(a.task).is_some_and(|r| r.state > TaskState::Assigned) {
            // Accepted already, from the full assignment set of a new session (`desired_arrives`).
            return;
        }
        self.heard_of(&mut a);
        let id = a.task;
        // The assignment carries the task as it is now, desired state included.
        self.run_mut(id).desired = Some(a.desired);
        if a.desired > TaskState::Running {
            // Told to stop before it reached the node: `exec.Do` calls `controller.Shutdown`
            // all the same (the gossip delay for a task on a swarm network), then SHUTDOWN.
            self.shutdown_unstarted(id, up, io);
            return;
        }
        self.start_accepted(id, up, io);
    }

    /// A task the agent takes on (`exec.Do` from ASSIGNED): ACCEPTED, PREPARING, and the pull
    /// starts.
    fn start_accepted(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        self.report(id, TaskState::Accepted, Message::Fixed("accepted"), up, io);
        self.report(id, TaskState::Preparing, Message::Fixed("preparing"), up, io);
        self.begin_pull(id, io);
    }

    /// The pull ended. The agent goes on with its tasks through a cut link (swarmkit's task
    /// managers need no manager to run `exec.Do`): READY and the start follow, and the reports
    /// reach the manager with the session, as an exit's does. With its dockerd dead there is
    /// no agent to go on.
    fn pull_done(&mut self, id: TaskId, ok: bool, up: &mut impl Uplink, io: &mut Io<'_>) {
        if self.run(id).state != TaskState::Preparing || self.run(id).container.removing || !self.daemon_up(id) {
            return;
        }
        if self.run(id).container.stop_requested {
            // `controller.Shutdown` cancelled the pull (`shutdown_unstarted`).
            return;
        }
        if let Prepare::Retrying { retry, pulled: None } = self.run(id).container.prepare {
            // Its `Prepare` was cancelled: the pull ended in its own context, and the retry sees
            // how (`retry_prepare`).
            self.run_mut(id).container.prepare = Prepare::Retrying { retry, pulled: Some(ok) };
            if ok {
                let run = self.runs.get(id).expect("the node has heard of the task");
                self.machines[run.node.0 as usize].images.pulled(&run.spec.image);
            }
            return;
        }
        self.prepared(id, ok, up, io);
    }

    /// `Prepare` returns with the pull's outcome: REJECTED, or READY and on to the desired state.
    fn prepared(&mut self, id: TaskId, ok: bool, up: &mut impl Uplink, io: &mut Io<'_>) {
        if !ok {
            // moby's executor reports the missing image (20.10 wording); the task is REJECTED
            // and the restart supervisor retries with a new task.
            let msg = format!("No such image: {}", self.run(id).spec.image);
            self.report(id, TaskState::Rejected, Message::Text(&msg), up, io);
            return;
        }
        // The image's name is read where the run keeps it (no copy, no reference counted).
        let run = self.runs.get(id).expect("the node has heard of the task");
        self.machines[run.node.0 as usize].images.pulled(&run.spec.image);
        self.run_mut(id).container.created = true;
        self.report(id, TaskState::Ready, Message::Fixed("prepared"), up, io);
        self.agent_advance(id, up, io);
    }

    /// The agent acts on the desired state it has heard.
    fn agent_advance(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        let run = self.run(id);
        let desired = run.desired.expect("advanced after hearing the desired state");
        if desired > TaskState::Running {
            self.begin_stop(id, up, io);
        } else if desired == TaskState::Running && run.state == TaskState::Ready {
            let d = io.latency(|l| &l.start_begin);
            let at = self.agent_slot(id, io.now().plus(d), io);
            io.q.at(at, Event::Agent { task: id, step: AgentStep::StartBegin });
        }
    }

    /// The agent works through its tasks one at a time (see [`AgentQueue`]). Returns when this
    /// operation, due at `at`, happens.
    fn agent_slot(&mut self, id: TaskId, at: SimTime, io: &mut Io<'_>) -> SimTime {
        let gap = io.latency(|l| &l.agent_step);
        let now = io.now();
        self.machine(id).agent.take(now, at, gap)
    }

    /// A desired-state change reached the node (possibly before the assignment itself).
    pub(crate) fn desired_arrives(&mut self, mut a: Assignment, up: &mut impl Uplink, io: &mut Io<'_>) {
        if !self.machines[a.node.0 as usize].reachable {
            return; // delivered when the node answers again (see `node_reconnected`)
        }
        self.heard_of(&mut a);
        let id = a.task;
        if self.run(id).desired == Some(a.desired) {
            return;
        }
        self.run_mut(id).desired = Some(a.desired);
        if a.state == TaskState::Assigned
            && self.run(id).state <= TaskState::Assigned
            && a.desired <= TaskState::Running
        {
            // Its assignment was sent while the node could not hear it (a batch that went out
            // after a cut or a daemon kill): the full set its new session gets carries the task
            // still ASSIGNED, and the agent takes it on as any new task (swarmkit
            // `worker.reconcileTaskState` starts its task manager; `exec.Do` accepts it).
            self.start_accepted(id, up, io);
            return;
        }
        if self.run(id).state == TaskState::Preparing && a.desired <= TaskState::Running {
            // The task changed under its `Prepare` (desired READY → RUNNING: its delayed start
            // released): swarmkit's task manager cancels the operation, as for any change.
            // Recorded s42b: READY 1.01–1.04 s after the desired RUNNING reached the agent, 0.6 s
            // after the pull itself had ended.
            self.interrupt_prepare(id, up, io);
            return;
        }
        self.agent_advance(id, up, io);
    }

    /// A new desired state reached a PREPARING task's agent. With `Prepare` in flight, the task
    /// manager cancels it; `exec.Do` turns the cancellation into `ErrTaskRetry`, and `Do` runs
    /// again only [`TASK_RETRY_DELAY`] later, while the pull goes on in its own context (moby
    /// `controller.Prepare`). With a retry already waiting, no operation is in flight and the
    /// task manager runs `Do` at once (`agent/task.go`: the update pumps `run`).
    fn interrupt_prepare(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        if let Prepare::Retrying { .. } = self.run(id).container.prepare {
            self.retry_prepare(id, up, io);
            return;
        }
        let c = &mut self.run_mut(id).container;
        c.prepare_retries = c.prepare_retries.wrapping_add(1);
        let retry = c.prepare_retries;
        c.prepare = Prepare::Retrying { retry, pulled: None };
        let daemon = self.daemon_starts(id);
        let at = self.agent_slot(id, io.now().plus(TASK_RETRY_DELAY), io);
        io.q.at(at, Event::Agent { task: id, step: AgentStep::PrepareRetried { daemon, retry } });
    }

    /// `exec.Do` runs again for a PREPARING task whose `Prepare` was cancelled: past RUNNING it
    /// shuts the task down unprepared; else `Prepare` again, which returns at once with a pull
    /// that ended meanwhile and otherwise waits for it.
    fn retry_prepare(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        let Prepare::Retrying { pulled, .. } = self.run(id).container.prepare else { return };
        self.run_mut(id).container.prepare = Prepare::InFlight;
        if self.run(id).desired.is_some_and(|d| d > TaskState::Running) {
            self.shutdown_unstarted(id, up, io);
        } else if let Some(ok) = pulled {
            self.prepared(id, ok, up, io);
        }
    }

    /// `exec.Do` shuts down a task that has no container: moby's `controller.Shutdown` cancels
    /// a pull still going, waits the gossip delay for a task on a swarm network, and finds
    /// nothing to stop: SHUTDOWN.
    fn shutdown_unstarted(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        let wait = self.gossip_delay(id);
        if wait == SimDuration::ZERO {
            self.report(id, TaskState::Shutdown, Message::Fixed("shutdown"), up, io);
            return;
        }
        let at = self.agent_slot(id, io.now().plus(wait), io);
        self.queue_unstarted_shutdown(id, at, io);
    }

    /// `controller.Shutdown` of a task with no container is under way: SHUTDOWN is reported at
    /// `at` unless the task moves on or its agent dies first (`ShutdownUnstarted`).
    fn queue_unstarted_shutdown(&mut self, id: TaskId, at: SimTime, io: &mut Io<'_>) {
        self.run_mut(id).container.stop_requested = true;
        let (daemon, from) = (self.daemon_starts(id), self.run(id).state);
        io.q.at(at, Event::Agent { task: id, step: AgentStep::ShutdownUnstarted { daemon, from } });
    }

    fn start_begin(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        let run = self.run(id);
        if run.state != TaskState::Ready
            || run.desired != Some(TaskState::Running)
            || run.container.removing
            || !self.daemon_up(id)
        {
            return;
        }
        self.report(id, TaskState::Starting, Message::Fixed("starting"), up, io);
        let behavior = self.next_container_behavior(id);
        let work = start_work(&behavior.start, io.scenario.latencies.start_spread, &mut io.rng.start);
        self.run_mut(id).behavior = Some(behavior);
        self.daemon_submit(id, JobKind::Start, work, io);
    }

    /// How the task's image behaves for its container (a shared copy, for a caller that acts
    /// on the cluster while it reads it).
    fn container_behavior(&self, id: TaskId) -> Arc<ImageBehavior> {
        self.run(id).behavior.clone().expect("a container is created before it runs")
    }

    /// How the task's image behaves for its container, borrowed.
    fn behavior_of(&self, id: TaskId) -> &ImageBehavior {
        self.run(id).behavior.as_deref().expect("a container is created before it runs")
    }

    /// The health check that applies: the service's, else the image's `HEALTHCHECK`.
    fn resolved_health(&self, id: TaskId, io: &Io<'_>) -> Option<ResolvedHealth> {
        let image = self.behavior_of(id);
        let config =
            crate::swarm::health::effective(self.run(id).spec.healthcheck.as_ref(), image.healthcheck.as_ref())?;
        Some(ResolvedHealth::resolve(&config, io.scenario.engine))
    }

    fn container_started(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        if self.run(id).state != TaskState::Starting {
            return;
        }
        let now = io.now();
        self.run_mut(id).container.phase = ContainerPhase::Running;
        up.secrets_mounted(id, now);
        if let ExitBehavior::ExitsAfter { code, after } = &self.behavior_of(id).exit {
            let d = after.sample(&mut io.rng.exit);
            io.q.after(d, Event::Agent { task: id, step: AgentStep::Exited { code: *code } });
        }
        if self.run(id).container.removing {
            self.signal_for_removal(id, io);
            return;
        }
        if self.run(id).desired.is_some_and(|d| d > TaskState::Running) {
            self.begin_stop(id, up, io);
            return;
        }
        match self.resolved_health(id, io) {
            None => {
                self.run_mut(id).container.healthy = true;
                self.report(id, TaskState::Running, Message::Fixed("started"), up, io);
            }
            Some(h) => {
                let image = self.container_behavior(id);
                self.schedule_health(id, &h, &image.health, now, io)
            }
        }
    }

    fn schedule_health(
        &mut self,
        id: TaskId,
        h: &ResolvedHealth,
        behavior: &HealthBehavior,
        now: SimTime,
        io: &mut Io<'_>,
    ) {
        let probe = io.latency(|l| &l.probe);
        let rng = &mut io.rng.health;
        let (pass_from, fail_from) = match behavior {
            HealthBehavior::Healthy => (now, NEVER),
            HealthBehavior::NeverHealthy => (NEVER, now),
            HealthBehavior::HealthyAfter(d) => (now.plus(d.sample(rng)), NEVER),
            HealthBehavior::UnhealthyAfter(d) => (now, now.plus(d.sample(rng))),
            HealthBehavior::Flaky(_) => (NEVER, NEVER),
        };
        let watch = HealthWatch {
            check: *h,
            started: now,
            probe,
            flaky: match behavior {
                HealthBehavior::Flaky(p) => Some(*p),
                _ => None,
            },
            pass_from,
            fail_from,
            overrides: None,
            watch: 0,
        };
        self.run_mut(id).health = Some(Box::new(watch));
        self.predict_health(id, io);
    }

    /// Runs the health monitor ahead from the container's start with what its probes answer
    /// now, and schedules the verdicts still to come under a new prediction number.
    fn predict_health(&mut self, id: TaskId, io: &mut Io<'_>) {
        let now = io.now();
        let horizon = io.scenario.until;
        let Some(watch) = self.run_mut(id).health.as_mut() else { return };
        watch.watch += 1;
        let number = watch.watch;
        let (check, started, probe) = (watch.check, watch.started, watch.probe);
        let mut oracle = BehaviorOracle { watch, rng: &mut io.rng.health };
        let outcome = health::predict(&check, started, probe, &mut oracle, horizon);
        if let Some(t) = outcome.healthy_at.filter(|t| *t >= now) {
            io.q.at(t, Event::Agent { task: id, step: AgentStep::Healthy { watch: number } });
        }
        if let Some(t) = outcome.unhealthy_at.filter(|t| *t >= now) {
            io.q.at(t, Event::Agent { task: id, step: AgentStep::Unhealthy { watch: number } });
        }
    }

    /// The container's probes pass (or fail) from now on, as `docker exec TASK touch
    /// /tmp/unhealthy` makes a check that tests a file fail. The monitor goes on with its own
    /// cadence; a container stopping or gone is not probed any more.
    pub(super) fn set_probes(&mut self, id: TaskId, pass: bool, io: &mut Io<'_>) {
        let now = io.now();
        if !self.container_live(id) || self.run(id).container.stop_cause != StopCause::None {
            return;
        }
        let Some(watch) = self.run_mut(id).health.as_mut() else { return };
        let mut answers = watch.overrides.take().map(Vec::from).unwrap_or_default();
        answers.push((now, pass));
        watch.overrides = Some(answers.into_boxed_slice());
        self.predict_health(id, io);
    }

    /// Whether `watch` is the container's current health prediction.
    fn current_watch(&self, id: TaskId, watch: u32) -> bool {
        self.run(id).health.as_ref().is_some_and(|w| w.watch == watch)
    }

    fn container_live(&self, id: TaskId) -> bool {
        let c = &self.run(id).container;
        c.phase == ContainerPhase::Running && !c.signalled && self.daemon_up(id)
    }

    /// The daemon of the task's node runs (its health monitor with it).
    fn daemon_up(&self, id: TaskId) -> bool {
        self.machines[self.run(id).node.0 as usize].daemon_up
    }

    /// How many times the task's node's dockerd was started again.
    fn daemon_starts(&self, id: TaskId) -> u32 {
        self.machines[self.run(id).node.0 as usize].daemon_starts
    }

    /// A restarted dockerd stops the containers it finds still running, as a daemon without
    /// live-restore does while it loads (moby `daemon.restore` → `shutdownContainer`: SIGTERM,
    /// SIGKILL after the container's own stop timeout, [`DAEMON_STOP_TIMEOUT`], whatever the
    /// service's grace period): they end as their exit code says, not as a shutdown the agent
    /// asked for. `restore` waits for every one of them to exit before the daemon goes on to
    /// start its swarm agent (`NewDaemon` returns, then `createAndStartCluster`): the node's
    /// registration waits for them ([`Cluster::registration_held`]).
    pub(crate) fn restore_containers(&mut self, node: NodeId, daemon: u32, up: &mut impl Uplink, io: &mut Io<'_>) {
        let m = &self.machines[node.0 as usize];
        if !m.daemon_up || m.daemon_starts != daemon {
            return; // killed again before it had loaded (a later start loads on its own)
        }
        let left: Vec<TaskId> = (self.runs.iter())
            .filter(|(_, run)| run.node == node && run.container.phase == ContainerPhase::Running)
            .map(|(id, _)| id)
            .collect();
        let m = &mut self.machines[node.0 as usize];
        m.restoring = left.len() as u32;
        m.restored_exits.clear();
        if left.is_empty() {
            self.restore_done(node, io);
        }
        for id in left {
            // A SIGTERM the old daemon sent is forgotten with it, and so is its SIGKILL after
            // the grace period: this daemon's stop is a stop of its own.
            let c = &mut self.run_mut(id).container;
            c.signalled = false;
            c.restored = true;
            self.send_sigterm(id, DAEMON_STOP_TIMEOUT, up, io);
        }
    }

    /// The node's dockerd died: the stops its `restore` was making die with it (a later start
    /// counts its own).
    pub(super) fn restore_abandoned(&mut self, node: NodeId) {
        for id in self.runs.ids() {
            if let Some(run) = self.runs.get_mut(id).filter(|r| r.node == node) {
                run.container.restored = false;
            }
        }
    }

    /// The agent registered again: the final states it could not report go up now.
    pub(crate) fn report_unreported(&mut self, node: NodeId, up: &mut impl Uplink, io: &mut Io<'_>) {
        for id in self.runs.ids() {
            let Some(run) = self.runs.get_mut(id).filter(|r| r.node == node) else { continue };
            if let Some(state) = run.unreported.take() {
                let message = std::mem::take(&mut run.exit_message);
                self.report(id, state, final_message(state, &message), up, io);
            }
            if self.runs.get(id).is_some_and(|r| r.unassigned) {
                self.unassign(id, up, io);
            }
        }
    }

    /// `controller.Start` returns once the container is healthy: the task becomes RUNNING.
    fn healthy(&mut self, id: TaskId, watch: u32, up: &mut impl Uplink, io: &mut Io<'_>) {
        if !self.current_watch(id, watch) || self.run(id).container.healthy {
            return;
        }
        if !self.container_live(id) || self.run(id).container.stop_cause != StopCause::None {
            return;
        }
        self.run_mut(id).container.healthy = true;
        self.touch(id, up);
        if self.run(id).state == TaskState::Starting {
            self.report(id, TaskState::Running, Message::Fixed("started"), up, io);
        }
    }

    /// The executor shuts an unhealthy container down; its exit ends the task.
    fn unhealthy(&mut self, id: TaskId, watch: u32, up: &mut impl Uplink, io: &mut Io<'_>) {
        if !self.current_watch(id, watch) {
            return;
        }
        if !self.container_live(id) || self.run(id).container.stop_cause != StopCause::None {
            return;
        }
        let c = &mut self.run_mut(id).container;
        c.healthy = false;
        c.stop_cause = StopCause::Unhealthy;
        self.touch(id, up);
        let d = io.latency(|l| &l.unhealthy_kill).plus(self.gossip_delay(id));
        io.q.after(d, Event::Agent { task: id, step: AgentStep::Signal });
    }

    /// The wait for the overlay's gossip before a stop: only for a task on a swarm network.
    fn gossip_delay(&self, id: TaskId) -> SimDuration {
        if self.run(id).spec.networks.is_empty() { SimDuration::ZERO } else { GOSSIP_CONVERGE_DELAY }
    }

    /// Desired state past RUNNING: stop the container, or end a task that never started.
    fn begin_stop(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        let run = self.run(id);
        if run.state.is_terminal() || run.container.stop_requested {
            return;
        }
        match run.container.phase {
            // Its container is being started: the stop follows the start (`container_started`
            // calls back here), as a started container's (recorded s38: a task STARTING at
            // `docker service rm` reported shutdown 1.1 s after it, not at once).
            ContainerPhase::NotStarted if run.state == TaskState::Starting => {}
            // PREPARING: the new desired state interrupts `Prepare` (a second's retry when it was
            // waiting for the pull), and the retry shuts the task down unprepared.
            ContainerPhase::NotStarted if run.state == TaskState::Preparing => self.interrupt_prepare(id, up, io),
            // No container and nothing in flight: shut down at once (after the gossip delay).
            ContainerPhase::NotStarted => self.shutdown_unstarted(id, up, io),
            ContainerPhase::Exited => {}
            ContainerPhase::Running => {
                let c = &mut self.run_mut(id).container;
                c.stop_requested = true;
                if c.stop_cause == StopCause::None {
                    c.stop_cause = StopCause::Shutdown;
                }
                if !c.signalled {
                    // The new desired state cancels the agent's `Wait` (or `Start`); swarmkit's
                    // task manager retries the cancelled operation a second later, and that
                    // run of `exec.Do` shuts the container down (traces: SIGTERM ~1.2 s after
                    // desired SHUTDOWN; see `Latencies::stop_signal`), after the overlay's
                    // gossip delay for a task on a swarm network.
                    let d = io.latency(|l| &l.stop_signal).plus(self.gossip_delay(id));
                    let at = self.agent_slot(id, io.now().plus(d), io);
                    io.q.at(at, Event::Agent { task: id, step: AgentStep::Signal });
                }
            }
        }
    }

    /// SIGTERM; SIGKILL after the grace period (whole seconds, as `ContainerStop` truncates).
    fn signal(&mut self, id: TaskId, up: &mut impl Uplink, io: &mut Io<'_>) {
        if !self.daemon_up(id) || self.machines[self.run(id).node.0 as usize].restoring > 0 {
            // The agent and the daemon that would stop it died meanwhile (a daemon started
            // since is still in `restore`, with no agent yet): the restarted daemon stops what
            // it finds still running (`restore_containers`).
            return;
        }
        let c = self.run(id).container;
        if c.phase == ContainerPhase::Exited
            && c.stop_requested
            && !c.signalled
            && !c.removing
            && !self.run(id).state.is_terminal()
        {
            // The stop reached `ContainerStop` and found the process gone: the shutdown it
            // waited for is reported now (see `exited`).
            io.q.at(io.now(), Event::Agent { task: id, step: AgentStep::Report { state: TaskState::Shutdown } });
            return;
        }
        let grace = self.run(id).spec.stop_grace_period.unwrap_or(DEFAULT_GRACE).whole_secs();
        self.send_sigterm(id, SimDuration::from_secs(grace), up, io);
    }

    /// A container the restarted dockerd was stopping while it loads has exited. When it was
    /// the last, `restore` is done ([`Cluster::restore_done`]).
    fn restored_exited(&mut self, id: TaskId, io: &mut Io<'_>) {
        self.run_mut(id).container.restored = false;
        let node = self.run(id).node;
        let m = &mut self.machines[node.0 as usize];
        m.restoring = m.restoring.saturating_sub(1);
        m.restored_exits.push(id);
        if m.restoring == 0 {
            self.restore_done(node, io);
        }
    }

    /// The restarted dockerd's `restore` is done (loaded, and every container it stopped has
    /// exited): the rest of the daemon's start follows (`daemon_register` less
    /// `daemon_restore`: what follows `restore` in an unhindered start, the network controller
    /// and the cluster), and then its agent starts, registers, and reports the restored
    /// containers that exited (`AgentStarted`; see `exited`). READY is therefore the later of
    /// `daemon_register` after the start and this rest after the last exit, continuously:
    /// recorded READY − last `die` 0.37–0.86 s over m09, m09b, m16, m16b, m16c, m17, m17b, m17c
    /// (one outlier 2.44 s), whether the stops took 0.1 s or 10 s.
    fn restore_done(&mut self, node: NodeId, io: &mut Io<'_>) {
        let rest = start_after_restore(io);
        let m = &mut self.machines[node.0 as usize];
        let daemon = m.daemon_starts;
        if m.api_waits_until.is_some() {
            // The swarm component starts after the rest of the daemon's start; the API is
            // served once the node is ready, or after `cluster.New` gives up waiting.
            m.api_waits_until = Some(io.now().plus(rest).plus(SWARM_CONNECT_TIMEOUT));
        }
        if std::mem::take(&mut m.registration_held) {
            let at = io.now().plus(rest);
            m.registers_at = Some(at);
            io.q.at(at, Event::NodeReconnects { node });
        }
        // The manager's control plane held for the restore goes ahead as it ends, its steps as
        // far apart as they were drawn: recorded (m12, m12b), the leader came 24-97 ms after
        // "Loading containers: done", the listener 10-70 ms before the leader. Released at the
        // restore's end, a step due just before it and one due just after it come together.
        if let Some(&(first, _)) = m.control_plane_held.first() {
            let start = io.now();
            for (due, event) in m.control_plane_held.drain(..) {
                io.q.at(start.plus(due.since(first)), event);
            }
        }
        let agent_at = io.now().plus(rest);
        for task in std::mem::take(&mut m.restored_exits) {
            io.q.at(agent_at, Event::Agent { task, step: AgentStep::AgentStarted { daemon } });
        }
        // A task with no container whose operation the dead agent had under way (the retry of
        // a cancelled `Prepare`, or `Shutdown`'s gossip wait) is taken up by the new agent: its
        // task manager runs `exec.Do` from the agent's database (`worker.Init`). Desired past
        // RUNNING, `Do` calls `controller.Shutdown` again; else `Prepare` again, which finds the
        // pull's outcome (`retry_prepare`).
        let lost: Vec<TaskId> = (self.runs.iter())
            .filter(|(_, r)| {
                r.node == node
                    && r.state < TaskState::Starting
                    && r.container.phase == ContainerPhase::NotStarted
                    && !r.container.removing
                    && (r.container.stop_requested || matches!(r.container.prepare, Prepare::Retrying { .. }))
            })
            .map(|(id, _)| id)
            .collect();
        for id in lost {
            let stopping = self.run(id).desired.is_some_and(|d| d > TaskState::Running);
            match self.run(id).container.prepare {
                Prepare::Retrying { retry, .. } if !stopping => {
                    io.q.at(agent_at, Event::Agent { task: id, step: AgentStep::PrepareRetried { daemon, retry } });
                }
                _ => {
                    self.run_mut(id).container.prepare = Prepare::InFlight;
                    let at = agent_at.plus(self.gossip_delay(id));
                    self.queue_unstarted_shutdown(id, at, io);
                }
            }
        }
    }

    /// The node's dockerd sends the container SIGTERM, and SIGKILL `grace` later unless it has
    /// exited by then (moby `containerStop`); nothing if it is not running or already signalled.
    fn send_sigterm(&mut self, id: TaskId, grace: SimDuration, up: &mut impl Uplink, io: &mut Io<'_>) {
        let c = self.run(id).container;
        if c.phase != ContainerPhase::Running || c.signalled {
            return;
        }
        self.run_mut(id).container.signalled = true;
        up.process_changed(id, ProcessChange::Sigterm);
        self.touch(id, up);
        // SIGKILL after the grace period, unless the process has exited by then.
        let daemon = self.daemon_starts(id);
        io.q.after(grace, Event::Agent { task: id, step: AgentStep::GraceExpired { daemon } });
        if let StopBehavior::Graceful { after, exit_code } = &self.behavior_of(id).stop {
            let (work, code) = (after.sample(&mut io.rng.stop), *exit_code);
            self.daemon_submit(id, JobKind::Stop { code }, work, io);
        }
    }

    /// `docker kill`: the container gets `signal` from its node's daemon. SIGKILL ends the
    /// process at once (exit 137, the task fails); SIGTERM does what the image does on SIGTERM.
    /// Neither is the agent's own stop: the task ends as its exit code says.
    pub(super) fn kill(&mut self, id: TaskId, signal: KillSignal, io: &mut Io<'_>) {
        if self.run(id).container.phase != ContainerPhase::Running {
            return;
        }
        match signal {
            KillSignal::Kill => {
                let d = io.latency(|l| &l.container_kill);
                io.q.after(d, Event::Agent { task: id, step: AgentStep::Exited { code: 137 } });
            }
            KillSignal::Term => {
                if let StopBehavior::Graceful { after, exit_code } = &self.behavior_of(id).stop {
                    let (work, code) = (after.sample(&mut io.rng.stop), *exit_code);
                    self.daemon_submit(id, JobKind::Stop { code }, work, io);
                }
            }
        }
    }

    /// Hands a container start or stop to the node's daemon and re-plans its completions.
    fn daemon_submit(&mut self, id: TaskId, kind: JobKind, work: SimDuration, io: &mut Io<'_>) {
        let node = self.run(id).node;
        let next = self.machines[node.0 as usize].daemon.submit(io.now(), id, kind, work);
        self.arm_daemon(node, next, io);
    }

    /// Makes sure an event fires by the daemon's next completion.
    fn arm_daemon(&mut self, node: NodeId, next: Option<SimTime>, io: &mut Io<'_>) {
        let daemon = &mut self.machines[node.0 as usize].daemon;
        if let Some(at) = next
            && daemon.armed_at.is_none_or(|armed| at < armed)
        {
            daemon.armed_at = Some(at);
            io.q.at(at, Event::DaemonJobsDue { node });
        }
    }

    /// The daemon's next completions are due: the containers start or exit.
    pub(crate) fn daemon_jobs_due(&mut self, node: NodeId, up: &mut impl Uplink, io: &mut Io<'_>) {
        let daemon = &mut self.machines[node.0 as usize].daemon;
        if daemon.armed_at != Some(io.now()) {
            return; // superseded by an earlier completion, which re-armed
        }
        daemon.armed_at = None;
        // The finished jobs go through a list kept for the next completion (taken while
        // they are acted on: an action never finishes another node's jobs, but if it did it
        // would simply get a list of its own).
        let mut done = std::mem::take(&mut self.finished_jobs);
        let next = self.machines[node.0 as usize].daemon.finish_due(io.now(), &mut done);
        self.arm_daemon(node, next, io);
        for &(task, kind) in &done {
            if !self.runs.contains(task) {
                continue; // a job of a task forgotten since (see `unassign`)
            }
            match kind {
                JobKind::Start => self.container_started(task, up, io),
                JobKind::Stop { code } => self.exited(task, code, up, io),
            }
        }
        done.clear();
        self.finished_jobs = done;
    }

    fn exited(&mut self, id: TaskId, code: i32, up: &mut impl Uplink, io: &mut Io<'_>) {
        let c = self.run(id).container;
        if c.phase != ContainerPhase::Running {
            return;
        }
        // A process that died another way (crash, SIGKILL) no longer needs its stop job.
        let node = self.run(id).node;
        let next = self.machines[node.0 as usize].daemon.cancel(io.now(), id);
        self.arm_daemon(node, next, io);
        up.process_changed(id, ProcessChange::Exited(code));
        if c.restored {
            self.restored_exited(id, io);
        }
        let run = self.run_mut(id);
        run.container.phase = ContainerPhase::Exited;
        run.container.healthy = false;
        // The monitor of an exited container is never consulted again: its pending verdicts
        // find no live container (`healthy`, `unhealthy`), and probes are set and predicted
        // only for a live one (`set_probes`). Dropping it keeps an ended run small.
        run.health = None;
        self.touch(id, up);
        // A container that was never healthy and exits 0 (a TERM trap after the unhealthy
        // shutdown) makes moby's controller `Start` return without an error, so the agent does
        // pass through RUNNING — but `Wait` returns at once and the agent's status reporter
        // keeps only the latest pending status of a task (swarmkit agent/reporter.go): the
        // manager never sees it. No recorded poll of ~20 such tasks caught a RUNNING that a
        // separate commit would have shown in about 8 of them. So the final state is reported
        // alone.
        let state = if c.stop_requested {
            TaskState::Shutdown
        } else if code == 0 {
            TaskState::Complete
        } else {
            TaskState::Failed
        };
        // A stop's and a clean exit's messages are fixed (`final_message`): only a failure's
        // own words are kept.
        if state == TaskState::Failed {
            let message = match c.stop_cause {
                StopCause::Unhealthy => format!("task: non-zero exit ({code}): dockerexec: unhealthy container"),
                _ => format!("task: non-zero exit ({code})"),
            };
            self.run_mut(id).exit_message = message.into_boxed_str();
        }
        if c.removing && self.daemon_up(id) {
            // The removal's stop is done: the container goes; the task is no longer the
            // manager's to hear of (the agent's "attempted to update status for a task that has
            // been removed"). moby's `controller.Remove` removes it once its `Shutdown` has
            // returned, i.e. once `ContainerStop` has (the daemon's cleanup after the `die`, its
            // `stop` event: what a stop's report waits for, `Latencies::stop_report`), then
            // `ContainerRm` (`container_remove`). Recorded: `die` → `stop` 50–104 ms and `stop`
            // → `destroy` 4–22 ms (m15, a removed node's task); with three removals at once on
            // a node (m20e) `die` → `stop` 0.10–0.31 s.
            let d = self.stop_returns(io).plus(io.latency(|l| &l.container_remove));
            io.q.after(d, Event::Agent { task: id, step: AgentStep::Removed });
            return;
        }
        if !self.daemon_up(id) {
            // No agent to see it (its daemon is down): the state goes up when it registers.
            self.run_mut(id).unreported = Some(state);
            return;
        }
        if c.restored {
            // The restarted daemon's own stop while it loads (moby `restore`, inside
            // `NewDaemon`): the swarm agent does not exist yet (`createAndStartCluster` comes
            // after). Once started, its `worker.Init` runs the task from its database and
            // `exec.Do` sees the exit (RUNNING: `Wait` → COMPLETE; desired past RUNNING:
            // SHUTDOWN): the state is the agent's from its start, sent up whenever its session
            // is (recorded m16, m17: Status.Timestamp 0.3-1.0 s after the `die`, just before
            // READY; m14: with the manager down, long before it).
            self.run_mut(id).unreported = Some(state);
            return;
        }
        if c.stop_requested && !c.signalled {
            // The agent is stopping it (swarmkit's one-second retry of the cancelled `Wait`,
            // then moby's `controller.Shutdown` and `ContainerStop`): no operation watches the
            // container meanwhile, so an exit is not reported; the task is SHUTDOWN when the
            // stop reaches the signal (`signal`). Recorded s38/s39: a
            // crash-looping task whose process exited 0.1-0.8 s after its desired REMOVE was
            // reported shutdown 1.10-1.17 s after it, never failed.
            return;
        }
        let d = if state != TaskState::Shutdown {
            // Drawn by default (its spread puts a crash loop's reports at every point of the
            // dispatcher's batch, `Latencies::exit_report`); `races: fixed` keeps one path.
            if io.random_races() { io.latency(|l| &l.exit_report) } else { io.scenario.latencies.exit_report.typical() }
        } else {
            self.stop_returns(io)
        };
        let at = self.agent_slot(id, io.now().plus(d), io);
        io.q.at(at, Event::Agent { task: id, step: AgentStep::Report { state } });
    }

    /// A stopped container's `die` → moby's `ContainerStop` returns (`Latencies::stop_report`).
    fn stop_returns(&self, io: &mut Io<'_>) -> SimDuration {
        if io.random_races() {
            io.latency(|l| &l.stop_report)
        } else {
            // Drawn by default (its spread decides which dispatcher batch a stop-first step's old
            // task makes: `Latencies::stop_report`), so `races: fixed` takes its typical value to
            // keep one path whatever the seed.
            io.scenario.latencies.stop_report.typical()
        }
    }
}

/// What the agent reports with the final state `exited` gave a container: "shutdown" after a
/// stop, "finished" after a clean exit (fixed words: no copy of them is made per task), and a
/// failure's own message (`failure`, kept by `exited`).
fn final_message(state: TaskState, failure: &str) -> Message<'_> {
    match state {
        TaskState::Shutdown => Message::Fixed("shutdown"),
        TaskState::Complete => Message::Fixed("finished"),
        _ => Message::Text(failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> SimTime {
        SimTime(n * 1_000_000)
    }

    #[test]
    fn operations_due_together_are_handled_one_after_another() {
        // Checks the serialisation the traces show: six operations due at once start a gap apart.
        let mut agent = AgentQueue::default();
        let starts: Vec<SimTime> = (0..6).map(|_| agent.take(ms(0), ms(100), SimDuration::from_millis(25))).collect();
        assert_eq!(starts, (0..6).map(|i| ms(100 + 25 * i)).collect::<Vec<_>>());
    }

    #[test]
    fn an_operation_taken_on_for_later_does_not_hold_up_an_earlier_one() {
        // Checks that a SIGTERM reserved 1.13 s ahead leaves the agent free until then, that an
        // operation due inside its instant waits for it, and that finished ones are forgotten.
        let mut agent = AgentQueue::default();
        let gap = SimDuration::from_millis(25);
        assert_eq!(agent.take(ms(0), ms(1_130), gap), ms(1_130));
        assert_eq!(agent.take(ms(0), ms(50), gap), ms(50), "due before the reserved one: not held up");
        assert_eq!(agent.take(ms(0), ms(1_120), gap), ms(1_155), "would overlap the reserved one: after it");
        assert_eq!(agent.take(ms(0), ms(1_100), gap), ms(1_100), "fits in the gap before it");
        assert_eq!(agent.take(ms(2_000), ms(2_000), gap), ms(2_000));
        assert_eq!(agent.busy.len(), 1, "operations over by now are forgotten");
    }

    #[test]
    fn the_ring_starts_operations_where_an_ordered_map_of_them_did() {
        // The queue was a B-tree map start -> end; the ring must give the same starts (and
        // replace an operation starting at the same instant, as the map's insert did) for any
        // mix of operations due now, later, inside earlier ones, of zero and positive length.
        fn by_map(
            busy: &mut std::collections::BTreeMap<SimTime, SimTime>,
            now: SimTime,
            at: SimTime,
            gap: SimDuration,
        ) -> SimTime {
            while let Some((_, &end)) = busy.first_key_value()
                && end <= now
            {
                busy.pop_first();
            }
            let mut start = at;
            while let Some((_, &end)) = busy.range(..start.plus(gap)).next_back()
                && end > start
            {
                start = end;
            }
            busy.insert(start, start.plus(gap));
            start
        }
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut draw = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let (mut map, mut ring) = (std::collections::BTreeMap::new(), AgentQueue::default());
        let mut now = ms(0);
        for _ in 0..20_000 {
            now = now.plus(SimDuration::from_millis(draw(3) * draw(20)));
            let at = now.plus(SimDuration::from_millis(draw(4) * draw(300)));
            let gap = SimDuration::from_millis(draw(3) * 10);
            assert_eq!(ring.take(now, at, gap), by_map(&mut map, now, at, gap));
            assert_eq!(
                ring.busy.iter().copied().collect::<Vec<_>>(),
                map.iter().map(|(&s, &e)| (s, e)).collect::<Vec<_>>()
            );
        }
    }
}

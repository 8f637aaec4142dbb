//! The single closed set of engine events the Swarm world schedules.

use crate::model::task::{NodeId, ServiceId, TaskId, TaskState};

/// A step of a task's life on its node, carried out by the node's agent or daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AgentStep {
    /// The allocator moves the new task to PENDING.
    Allocate,
    /// The assignment reached the node: ACCEPTED, PREPARING, and the image pull begins.
    Accept,
    /// The pull attempt ended.
    PullDone {
        /// The image is usable (pulled, or already cached).
        ok: bool,
    },
    /// Desired RUNNING reached the agent and the task is READY: STARTING.
    StartBegin,
    /// First passing health probe (of the health watch numbered `watch`).
    Healthy {
        /// Which prediction of the container's health monitor this is (a changed probe
        /// answer makes earlier ones stale).
        watch: u32,
    },
    /// The health monitor declared the container unhealthy.
    Unhealthy {
        /// Which prediction this is (see `Healthy`).
        watch: u32,
    },
    /// The stop signal (SIGTERM) is sent.
    Signal,
    /// The stop's grace period is over: the daemon sends SIGKILL (exit 137) unless the process
    /// has exited, or that daemon has died since (a restarted one stops it on its own).
    GraceExpired {
        /// Which start of the node's dockerd set the timer.
        daemon: u32,
    },
    /// The container's process exited with this status.
    Exited {
        /// Exit status (137 after SIGKILL).
        code: i32,
    },
    /// The restarted dockerd has loaded and its swarm agent starts: it finds the task's
    /// container exited (stopped by the daemon's `restore`) and reports its final state.
    AgentStarted {
        /// Which start of the node's dockerd this is.
        daemon: u32,
    },
    /// The task manager runs `exec.Do` again a second after a new desired state cancelled the
    /// task's `Prepare` (see `TASK_RETRY_DELAY`), unless the agent has died since or `Do` ran
    /// again sooner.
    PrepareRetried {
        /// Which start of the node's dockerd cancelled it.
        daemon: u32,
        /// Which cancellation of the task's `Prepare` this retry follows.
        retry: u8,
    },
    /// A task with no container yet is shut down after the gossip delay of a task on a swarm
    /// network, unless the agent that would do it has died since or the task has moved on from
    /// `from`.
    ShutdownUnstarted {
        /// Which start of the node's dockerd began it.
        daemon: u32,
        /// The task's state when it began.
        from: TaskState,
    },
    /// The agent reports the task's final state.
    Report {
        /// The state reported.
        state: TaskState,
    },
    /// The manager deleted the task (its task reaper): the agent learns that it is no longer
    /// assigned, and removes its container.
    Unassigned,
    /// The container of a task no longer assigned is removed (`docker rm`).
    Removed,
}

/// Everything that can happen in the simulated world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// Timeline entry `index` of the scenario is due.
    Action {
        /// Index into `Scenario::timeline`.
        index: u32,
    },
    /// A task's agent-side step.
    Agent {
        /// The task.
        task: TaskId,
        /// The step.
        step: AgentStep,
    },
    /// Timeline entry `index`, a docker command logged as typed, takes effect now.
    ActionEffect {
        /// Index into `Scenario::timeline`.
        index: u32,
        /// Its line in the command log, for Docker's answer.
        logged: u32,
    },
    /// A blue-green or canary controller asked to be called now.
    Strategy {
        /// Index into the world's rollouts.
        run: u32,
    },
    /// A desired-state change reached the task's node.
    DesiredArrives {
        /// The task.
        task: TaskId,
    },
    /// The orchestrator and restart supervisor learn a task's committed state (≥ RUNNING: the
    /// only ones they act on).
    Observe {
        /// The task.
        task: TaskId,
        /// The state reported.
        state: TaskState,
    },
    /// The service's updater learns a task's committed state. It watches the store on its own
    /// goroutine, so it may act before or after the orchestrator does.
    UpdaterObserves {
        /// The task.
        task: TaskId,
        /// The state reported.
        state: TaskState,
    },
    /// The dispatcher's batch timer fired: the task statuses reported since commit now.
    DispatcherCommit,
    /// A node's assignments stream may be due to send its batch of changes (swarmkit
    /// `Assignments`: `batchingWaitTime` after the latest change; a later change re-arms it).
    AssignmentsDue {
        /// The node.
        node: NodeId,
    },
    /// The scheduler places pending tasks.
    ScheduleTick,
    /// The task reaper's batching timer fired (or its dirty slots passed `maxDirty`).
    ReaperTick {
        /// Which arming of the timer (a re-armed or stopped one makes it stale).
        serial: u32,
    },
    /// The orchestrator reconciles a service (after a spec or status change).
    Reconcile {
        /// The service.
        service: ServiceId,
        /// It is swarmkit's replicated `reconcile` (a service created or updated, a task meant
        /// to run deleted, a new leader), which also deletes the tasks of dead slots; false for
        /// the model's own reconciles after a node change (swarmkit's replicated orchestrator
        /// only restarts that node's tasks).
        dead_slots: bool,
    },
    /// A `DelayStart` delay or its old-task timeout elapsed.
    /// The earliest pending old-task timeout of the delayed starts may have passed.
    GateTimeouts,
    /// A `DelayStart` delay elapsed.
    Gate {
        /// Index into the world's gates.
        gate: u32,
    },
    /// An updater timer fired (the timer itself is kept in the world's table, which keeps
    /// every event 16 bytes: the queue's size is what a large run pays for).
    Updater {
        /// Index into the world's updater timers.
        timer: u32,
    },
    /// A restarted dockerd has loaded its containers: it stops those left running.
    DaemonRestored {
        /// The node.
        node: NodeId,
        /// Which start of its dockerd (`Machine::daemon_starts`): a daemon killed before it
        /// had loaded restores nothing, and a later start loads on its own.
        daemon: u32,
    },
    /// A node's daemon may have finished container starts or stops.
    DaemonJobsDue {
        /// The node.
        node: NodeId,
    },
    /// The dispatcher's heartbeat deadline for a silent node passed.
    NodeDownDetected {
        /// The node.
        node: NodeId,
        /// Which outage (a node that came back meanwhile ignores the stale check).
        epoch: u32,
    },
    /// A removed node's session with the manager ends (its agent's next call is refused).
    SessionClosed {
        /// The node.
        node: NodeId,
    },
    /// A node's agent registers with the manager (its daemon started again), or its session
    /// carries on (the link back before the heartbeat gave up).
    NodeReconnects {
        /// The node.
        node: NodeId,
    },
    /// A node's agent, retrying its session since the manager went away, sends its Session RPC
    /// (`leader_polls` 0), or the RPC, waiting in the manager's raft proxy for a leader, sees
    /// the proxy's once-a-second poll (`leader_polls` > 0: how many so far).
    SessionAttempt {
        /// The node.
        node: NodeId,
        /// The agent's backoff for this attempt, in ms (the next one grows from it).
        backoff_ms: u32,
        /// Polls of the raft proxy for a leader so far.
        leader_polls: u8,
        /// Which of the agent's attempts (its `attempt` counter): an attempt left queued when the
        /// agent stopped retrying (its daemon killed) must not run beside a later retry loop.
        attempt: u32,
    },
    /// The heartbeat a node's agent sent into a cut of its link (`cut`, which one) times out:
    /// its session fails.
    HeartbeatFails {
        /// The node.
        node: NodeId,
        /// Which cut of the node.
        cut: u32,
    },
    /// The dial a retrying agent's Session RPC waits on ends, its node learnt the manager's
    /// address (the link back), or the RPC, unanswered over a cut link, times out.
    SessionDialEnds {
        /// The node.
        node: NodeId,
        /// Which session attempt (an earlier one's is stale).
        attempt: u32,
    },
    /// The restarted manager's remote API listener (port 2377) opens.
    ListenerOpens {
        /// Which restart (a manager killed again since makes it stale).
        term: u32,
    },
    /// The restarted manager's raft elected it leader: its control plane starts.
    LeaderElected {
        /// Which restart (a manager killed again since makes it stale).
        term: u32,
    },
    /// A node has been down for 24 h: its tasks become ORPHANED.
    NodeOrphanDeadline {
        /// The node.
        node: NodeId,
        /// Which outage.
        epoch: u32,
    },
}

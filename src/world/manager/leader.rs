//! The manager's own crash and restart, with a single manager (swarmkit `manager/manager.go`:
//! the control loops run only on the raft leader; `becomeLeader` starts the dispatcher, the
//! allocator, the scheduler, the orchestrators and the task reaper; `becomeFollower` or a dead
//! process stops them all).
//!
//! - **Killed** (its dockerd SIGKILLed, `daemon_kill` of the manager): nothing of the control
//!   plane runs. Its store is raft's and survives on disk; the dispatcher's pending batch,
//!   every heartbeat deadline and every node's assignment changes not yet sent are lost (each
//!   node hears them in the full set its next session gets: [`super::dispatcher`]). The
//!   Engine API refuses every
//!   command ("Cannot connect to the Docker daemon …").
//! - **Started again** (`daemon_start`): dockerd stops the containers it finds while it loads
//!   (no live-restore, as on a worker), the manager binds its remote API listener (port 2377,
//!   `manager.New` → `BindRemote`, served from `Run` before raft starts), raft restarts as a
//!   one-member cluster and elects itself (m12/m12b: 0.5–1.4 s after the start command, 20–70 ms
//!   after "Listening for connections"; all of it after dockerd's `restore`, which `NewDaemon`
//!   finishes before `createAndStartCluster`: a container that ignores SIGTERM holds the listener
//!   and the election until its 10 s stop timeout, and they follow the rest of the start after
//!   it, `Cluster::control_plane_held`), and the new leader's components start:
//!   the dispatcher marks every node UNKNOWN (`markNodesUnknown`), the orchestrators reconcile
//!   every service, the scheduler and allocator take up pending tasks, the restart supervisor's
//!   delayed starts and the updater resume from the store (`taskinit.CheckTasks`; the updater
//!   re-reads `UpdateStatus`). In the model the work that fell due during the outage is done as
//!   the leader starts (the world holds it back meanwhile). The manager's own agent registers,
//!   and the Engine API answers, about a second after the leader (m12/m12b: 1.008–1.029 s), and
//!   its task states reach the dispatcher then: its old tasks, stopped by dockerd while loading,
//!   end COMPLETE (exit 0) and are replaced with the restart delay.

use crate::time::{SimDuration, SimTime};
use crate::world::Io;
use crate::world::cluster::ClusterView;

use super::Manager;

/// Between the manager's `dockerd` start and its raft leadership: the ten recorded restarts
/// (m12 and m12b r1–r5) took 0.525, 0.693, 1.406, 0.763, 0.573, 0.741, 1.018, 0.949, 0.538 and
/// 0.717 s (the log's "Loading containers: done" is 0.01–0.1 s before; the time goes into
/// restoring containers).
const LEADER_AFTER_START_MS: (u64, u64) = (500, 1_420);

/// Between the remote API listener opening and the raft leadership: "Listening for connections"
/// came 30, 22, 67, 14, 11, 47, 66, 65, 11 and 30 ms before "became leader" in the ten recorded
/// restarts' manager logs (tests/data/fidelity/traces/m12*.sessions.csv). A worker's session
/// that reaches the listener in between waits in the raft proxy for a leader
/// ([`crate::world::cluster`]'s session attempt).
const LISTENER_BEFORE_LEADER_MS: (u64, u64) = (10, 70);

/// Between the leadership and the manager's own agent registering with it (the Engine API
/// opens in the same instant): its first Session RPC, sent about when the listener opens, waits
/// in the raft proxy (`raft.Node.LeaderConn`, a 1 s ticker) and registered 1.006–1.036 s after
/// the leader in 9 of the ten recorded restarts. The tenth (m12 r4, +0.105 s: the RPC met the
/// dispatcher not yet running, failed `Aborted` and was retried at once) is a path not modelled.
const OWN_AGENT_AFTER_LEADER_MS: (u64, u64) = (1_005, 1_040);

/// What the Docker CLI answers (on stderr, exit 1) when the manager's Engine API is down, for
/// `docker kill` and every other command (recorded: tests/data/fidelity/wording/kill-daemon-down.rN.txt).
pub(crate) const API_DOWN: &str =
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";

/// A restart's schedule, from the `daemon_start` instant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Restart {
    /// Which restart (a manager killed again since makes the rest stale).
    pub term: u32,
    /// When the remote API listener opens.
    pub listener_after: SimDuration,
    /// When raft elects the manager leader.
    pub leader_after: SimDuration,
}

/// Whether the control plane runs and the Engine API answers.
#[derive(Clone, Copy, Debug)]
pub(super) struct Leadership {
    /// No leader: the control loops do not run (from the kill until a new leader).
    halted: bool,
    /// The Engine API does not answer (from the kill until the manager's agent registers).
    api_down: bool,
    /// Which restart this is (a leadership of an earlier start, killed again meanwhile, is
    /// stale).
    term: u32,
    /// Since when the remote API listener (port 2377) accepts connections; `None` while the
    /// manager's dockerd is dead or has not bound it yet.
    listening_since: Option<SimTime>,
}

impl Default for Leadership {
    /// The manager of a running swarm: leader, listening from the start.
    fn default() -> Self {
        Leadership { halted: false, api_down: false, term: 0, listening_since: Some(SimTime::ZERO) }
    }
}

/// What a worker's agent meets when its session reaches the manager's address.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ManagerEndpoint {
    /// Since when the remote API listener accepts connections (`None`: refused).
    pub listening_since: Option<SimTime>,
    /// The dispatcher runs (the manager is raft leader).
    pub leader: bool,
}

impl Manager {
    /// No leader: the control loops do not run.
    pub(crate) fn halted(&self) -> bool {
        self.leadership.halted
    }

    /// The Engine API answers commands.
    pub(crate) fn api_up(&self) -> bool {
        !self.leadership.api_down
    }

    /// What an agent's session meets at the manager's address now.
    pub(crate) fn endpoint(&self) -> ManagerEndpoint {
        ManagerEndpoint { listening_since: self.leadership.listening_since, leader: !self.leadership.halted }
    }

    /// The manager's dockerd was killed: its control plane stops with it.
    pub(crate) fn halt(&mut self) {
        self.leadership.halted = true;
        self.leadership.api_down = true;
        self.leadership.listening_since = None;
        self.leadership.term += 1;
        self.dispatcher.stop();
        self.stop_reaper();
    }

    /// The manager's dockerd was started again: returns its term, when its remote API listener
    /// opens and when it becomes leader.
    pub(crate) fn restarting(&mut self, io: &mut Io<'_>) -> Restart {
        let (lo, hi) = LEADER_AFTER_START_MS;
        let leader_after = io.chance_between(|s| &mut s.latency, lo, hi);
        let (lo, hi) = LISTENER_BEFORE_LEADER_MS;
        let listener_before = io.chance_between(|s| &mut s.latency, lo, hi);
        Restart {
            term: self.leadership.term,
            listener_after: SimDuration::from_millis(leader_after - listener_before),
            leader_after: SimDuration::from_millis(leader_after),
        }
    }

    /// The restarted manager binds its remote API listener (unless it was killed again since
    /// `term` began).
    pub(crate) fn open_listener(&mut self, term: u32, now: SimTime) {
        if term == self.leadership.term && self.leadership.halted && self.leadership.listening_since.is_none() {
            self.leadership.listening_since = Some(now);
        }
    }

    /// The restarted manager is leader (unless it was killed again since `term` began): the
    /// dispatcher marks the nodes UNKNOWN and every service is reconciled. Returns when the
    /// manager's own agent registers, or `None` for a stale leadership.
    pub(crate) fn become_leader(
        &mut self,
        term: u32,
        cluster: ClusterView<'_>,
        io: &mut Io<'_>,
    ) -> Option<SimDuration> {
        if term != self.leadership.term || !self.leadership.halted {
            return None;
        }
        self.leadership.halted = false;
        // The listener opened just before (`open_listener`); a leader always listens.
        self.leadership.listening_since.get_or_insert(io.now());
        self.mark_nodes_unknown(cluster, io);
        // The constraint enforcer starts with the leader (`Run`: every node once).
        self.enforce_constraints_everywhere(cluster, io);
        self.start_reaper(io);
        self.global_nodes.restart();
        self.reconcile_all(true, io);
        if self.scheduler.has_pending() {
            self.arm_schedule_tick(io);
        }
        let (lo, hi) = OWN_AGENT_AFTER_LEADER_MS;
        Some(SimDuration::from_millis(io.chance_between(|s| &mut s.latency, lo, hi)))
    }

    /// The manager's own agent registered: the Engine API answers again.
    pub(crate) fn open_api(&mut self) {
        if !self.leadership.halted {
            self.leadership.api_down = false;
        }
    }
}

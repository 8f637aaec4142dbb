//! The manager's own crash and restart, with a single manager (swarmkit `manager/manager.go`:
//! the control loops run only on the raft leader; `becomeLeader` starts the dispatcher, the
//! allocator, the scheduler, the orchestrators and the task reaper; `becomeFollower` or a dead
//! process stops them all).
//!
//! - **Killed** (its dockerd SIGKILLed, `daemon_kill` of the manager): nothing of the control
//!   plane runs. Its store is raft's and survives on disk; the dispatcher's pending batch and
//!   every heartbeat deadline are lost ([`super::dispatcher`]). The Engine API refuses every
//!   command ("Cannot connect to the Docker daemon …").
//! - **Started again** (`daemon_start`): dockerd stops the containers it finds while it loads
//!   (no live-restore, as on a worker), raft restarts as a one-member cluster and elects itself
//!   (m12/m12b: 0.5–1.4 s after the start command), and the new leader's components start:
//!   the dispatcher marks every node UNKNOWN (`markNodesUnknown`), the orchestrators reconcile
//!   every service, the scheduler and allocator take up pending tasks, the restart supervisor's
//!   delayed starts and the updater resume from the store (`taskinit.CheckTasks`; the updater
//!   re-reads `UpdateStatus`). In the model the work that fell due during the outage is done as
//!   the leader starts (the world holds it back meanwhile). The manager's own agent registers,
//!   and the Engine API answers, about a second after the leader (m12/m12b: 1.008–1.029 s), and
//!   its task states reach the dispatcher then: its old tasks, stopped by dockerd while loading,
//!   end COMPLETE (exit 0) and are replaced with the restart delay.

use crate::time::SimDuration;
use crate::world::Io;
use crate::world::cluster::ClusterView;

use super::Manager;

/// Between the manager's `dockerd` start and its raft leadership: the six recorded restarts
/// (m12 r1–r3, m12b r1–r3) took 0.525, 0.693, 1.406, 0.741, 1.018 and 0.949 s (the log's
/// "Loading containers: done" is 0.05–0.1 s before; the time goes into restoring containers).
const LEADER_AFTER_START_MS: (u64, u64) = (500, 1_420);

/// Between the leadership and the manager's own agent registering with it (the Engine API
/// opens in the same instant): 1.008, 1.018, 1.019, 1.029, 1.016 and 1.016 s in the six
/// recorded restarts.
const OWN_AGENT_AFTER_LEADER_MS: (u64, u64) = (1_005, 1_030);

/// What the Docker CLI answers (on stderr, exit 1) when the manager's Engine API is down, for
/// `docker kill` and every other command (recorded: tests/data/fidelity/wording/kill-daemon-down.rN.txt).
pub(crate) const API_DOWN: &str =
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";

/// Whether the control plane runs and the Engine API answers.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Leadership {
    /// No leader: the control loops do not run (from the kill until a new leader).
    halted: bool,
    /// The Engine API does not answer (from the kill until the manager's agent registers).
    api_down: bool,
    /// Which restart this is (a leadership of an earlier start, killed again meanwhile, is
    /// stale).
    term: u32,
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

    /// The manager's dockerd was killed: its control plane stops with it.
    pub(crate) fn halt(&mut self) {
        self.leadership.halted = true;
        self.leadership.api_down = true;
        self.leadership.term += 1;
        self.dispatcher.stop();
    }

    /// The manager's dockerd was started again: returns its term and when it becomes leader.
    pub(crate) fn restarting(&mut self, io: &mut Io<'_>) -> (u32, SimDuration) {
        let (lo, hi) = LEADER_AFTER_START_MS;
        (self.leadership.term, SimDuration::from_millis(io.rng.latency.between(lo, hi)))
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
        self.mark_nodes_unknown(cluster, io);
        self.reconcile_all(io);
        if self.scheduler.has_pending() {
            self.arm_schedule_tick(io);
        }
        let (lo, hi) = OWN_AGENT_AFTER_LEADER_MS;
        Some(SimDuration::from_millis(io.rng.latency.between(lo, hi)))
    }

    /// The manager's own agent registered: the Engine API answers again.
    pub(crate) fn open_api(&mut self) {
        if !self.leadership.halted {
            self.leadership.api_down = false;
        }
    }
}

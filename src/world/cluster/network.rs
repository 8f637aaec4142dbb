//! The nodes' faults, as a fault injector causes them: a link cut (`node_down`) silences a node
//! at once; when it comes back (`node_up`) the agent re-registers its session only on its next
//! attempt, after its reconnect backoff (swarmkit `agent/session.go`, `node.go`: the backoff is
//! capped at 8 s with random jitter; real 3-node traces: READY 0.6–5.4 s after the link came
//! back). A killed dockerd (`daemon_kill`) takes containerd and the agent with it but not the
//! containers, whose shims survive; started again (`daemon_start`), dockerd stops the
//! containers it finds while it loads (no live-restore: moby `daemon.restore`), and the agent
//! registers after it (m09: SIGTERM 0.13–0.40 s, READY 0.59–1.08 s after the start).
//!
//! When the manager itself goes away (its dockerd killed), every other agent's session fails
//! and the agent retries on its own schedule (swarmkit `agent/agent.go`, `run`: after each failed
//! session `backoff = min(100 ms + 2 × backoff, 8 s)`; `agent/session.go`, `run`: the next session
//! waits a random delay in [0, backoff) before it registers). Only an attempt made once a new
//! leader's dispatcher runs succeeds, so the workers come back READY 0–8 s after the leader
//! (m12/m12b: 0.1–7.8 s), each at its own time. Meanwhile their containers keep running and the
//! routing mesh keeps reaching them.

use crate::model::task::NodeId;
use crate::time::SimDuration;
use crate::world::{Event, Io};

use super::Cluster;

/// Range of the wait between a node's network coming back and its session re-registering.
const RECONNECT_MIN_MS: u64 = 500;
const RECONNECT_MAX_MS: u64 = 5_500;

/// `initialSessionFailureBackoff` and `maxSessionFailureBackoff` (swarmkit `agent/agent.go`).
const SESSION_BACKOFF_INITIAL_MS: u64 = 100;
const SESSION_BACKOFF_MAX_MS: u64 = 8_000;

/// The agent's backoff after one more failed session.
pub(crate) fn next_session_backoff(backoff_ms: u64) -> u64 {
    (SESSION_BACKOFF_INITIAL_MS + 2 * backoff_ms).min(SESSION_BACKOFF_MAX_MS)
}

impl Cluster {
    /// Cuts the node's link; false when it was already cut.
    pub(crate) fn cut(&mut self, node: NodeId) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if !m.link_up {
            return false;
        }
        let was_in_touch = m.reachable || m.retrying;
        m.link_up = false;
        m.reachable = false;
        m.reconnecting = false;
        m.retrying = false;
        was_in_touch
    }

    /// Kills the node's dockerd: the agent is gone (the manager will miss its heartbeats), the
    /// daemon's work in progress is lost, the containers keep running unwatched. False when it
    /// was not running.
    pub(crate) fn kill_daemon(&mut self, node: NodeId) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if !m.daemon_up {
            return false;
        }
        let was_in_touch = m.reachable || m.retrying;
        m.daemon_up = false;
        m.reachable = false;
        m.reconnecting = false;
        m.retrying = false;
        m.daemon = Default::default();
        was_in_touch
    }

    /// Starts the node's dockerd again: it stops the containers left running while it loads
    /// (`DaemonRestored`), then its agent registers (`NodeReconnects`) — unless `register` is
    /// false: the manager's own agent registers when its control plane is up again (see
    /// [`Cluster::expect_registration`]). False when it was already running.
    pub(crate) fn start_daemon(&mut self, node: NodeId, register: bool, io: &mut Io<'_>) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if m.daemon_up {
            return false;
        }
        m.daemon_up = true;
        let restore = io.latency(|l| &l.daemon_restore);
        io.q.after(restore, Event::DaemonRestored { node });
        if register && m.link_up && !m.reconnecting {
            m.reconnecting = true;
            let register = io.latency(|l| &l.daemon_register);
            io.q.after(register, Event::NodeReconnects { node });
        }
        true
    }

    /// The node's agent will register after `after` (`NodeReconnects`): the manager's own agent,
    /// once its restarted control plane is up.
    pub(crate) fn expect_registration(&mut self, node: NodeId, after: crate::time::SimDuration, io: &mut Io<'_>) {
        let m = &mut self.machines[node.0 as usize];
        if m.reachable || m.reconnecting || !m.daemon_up || !m.link_up {
            return;
        }
        m.reconnecting = true;
        io.q.after(after, Event::NodeReconnects { node });
    }

    /// The manager went away: every other node's session fails at once, and each agent starts
    /// retrying (`SessionAttempt`). Returns the nodes whose session ended.
    pub(crate) fn manager_gone(&mut self, manager: NodeId, io: &mut Io<'_>) -> Vec<NodeId> {
        let mut lost = Vec::new();
        for i in 0..self.machines.len() {
            let node = NodeId(i as u32);
            let m = &mut self.machines[i];
            if node == manager || !m.reachable {
                continue;
            }
            m.reachable = false;
            lost.push(node);
            self.retry_session(node, 0, io);
        }
        lost
    }

    /// The node's agent retries its session: the next attempt after a random wait within the
    /// backoff that follows `failed_backoff_ms` (`agent.go`, `session.go`).
    pub(crate) fn retry_session(&mut self, node: NodeId, failed_backoff_ms: u64, io: &mut Io<'_>) {
        let m = &mut self.machines[node.0 as usize];
        m.retrying = true;
        m.reconnecting = false;
        let backoff = next_session_backoff(failed_backoff_ms);
        let wait = SimDuration::from_millis(io.rng.heartbeat.between(0, backoff - 1));
        io.q.after(wait, Event::SessionAttempt { node, backoff_ms: backoff as u32 });
    }

    /// One session attempt of a retrying agent: registered (true) when the manager takes
    /// registrations now, else the agent backs off and tries again. An agent that stopped
    /// retrying meanwhile (its link cut, its daemon killed) makes no attempt.
    pub(crate) fn session_attempt(
        &mut self,
        node: NodeId,
        backoff_ms: u32,
        manager_accepts: bool,
        io: &mut Io<'_>,
    ) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if !m.retrying || m.removed {
            return false;
        }
        if manager_accepts {
            m.retrying = false;
            m.link_up = true;
            m.reachable = true;
            return true;
        }
        self.retry_session(node, u64::from(backoff_ms), io);
        false
    }

    /// A `NodeReconnects` came while the manager cannot take the registration: the agent goes
    /// on retrying, from the longest backoff (it had been failing meanwhile).
    pub(crate) fn reconnect_later(&mut self, node: NodeId, io: &mut Io<'_>) {
        let m = &self.machines[node.0 as usize];
        if m.reachable || !m.reconnecting || m.removed || !m.daemon_up {
            return;
        }
        self.retry_session(node, SESSION_BACKOFF_MAX_MS, io);
    }

    /// The link is back: the agent's session re-registers after its backoff (`NodeReconnects`).
    pub(crate) fn restore_link(&mut self, node: NodeId, io: &mut Io<'_>) {
        let m = &mut self.machines[node.0 as usize];
        if m.link_up || m.reconnecting {
            return;
        }
        m.reconnecting = true;
        let wait = SimDuration::from_millis(io.rng.heartbeat.between(RECONNECT_MIN_MS, RECONNECT_MAX_MS));
        io.q.after(wait, Event::NodeReconnects { node });
    }

    /// `docker node rm`: the manager refuses the node's session from now on ("node … was
    /// removed from swarm"; it never registers again). What it has already been sent still
    /// arrives until [`Cluster::close_session`].
    pub(crate) fn evict(&mut self, node: NodeId) {
        let m = &mut self.machines[node.0 as usize];
        m.removed = true;
        m.reconnecting = false;
    }

    /// The removed node's session has ended: it hears nothing more and its reports go nowhere;
    /// its agent finishes what it was doing, and its containers are left as they are.
    pub(crate) fn close_session(&mut self, node: NodeId) {
        self.machines[node.0 as usize].reachable = false;
    }

    /// The agent's session is registered again; false when it already was, or cannot be.
    pub(crate) fn reconnect(&mut self, node: NodeId) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if m.reachable || !m.reconnecting || m.removed {
            return false;
        }
        m.reconnecting = false;
        // Until the session is back the mesh has nothing of the node either (as recorded:
        // serving resumes with READY).
        m.link_up = true;
        m.reachable = m.daemon_up;
        m.reachable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_backoff_grows_as_swarmkits_agent_and_stops_at_eight_seconds() {
        // swarmkit `agent/agent.go`: after each failed session
        // `backoff = min(initialSessionFailureBackoff + 2*backoff, maxSessionFailureBackoff)`,
        // from 0: 100 ms, 300 ms, 700 ms, 1.5 s, 3.1 s, 6.3 s, then 8 s for good (the recorded
        // worker logs of m11/m12 show the same sequence).
        let mut backoff = 0;
        let mut seen = Vec::new();
        for _ in 0..8 {
            backoff = next_session_backoff(backoff);
            seen.push(backoff);
        }
        assert_eq!(seen, vec![100, 300, 700, 1_500, 3_100, 6_300, 8_000, 8_000]);
    }
}

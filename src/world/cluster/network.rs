//! The nodes' faults, as a fault injector causes them: a link cut (`node_down`) silences a node
//! at once; when it comes back (`node_up`) the agent re-registers its session only on its next
//! attempt, after its reconnect backoff (swarmkit `agent/session.go`, `node.go`: the backoff is
//! capped at 8 s with random jitter; real 3-node traces: READY 0.6–5.4 s after the link came
//! back). A killed dockerd (`daemon_kill`) takes containerd and the agent with it but not the
//! containers, whose shims survive; started again (`daemon_start`), dockerd stops the
//! containers it finds while it loads (no live-restore: moby `daemon.restore`), and the agent
//! registers after it (m09: SIGTERM 0.13–0.40 s, READY 0.59–1.08 s after the start).

use crate::model::task::NodeId;
use crate::time::SimDuration;
use crate::world::{Event, Io};

use super::Cluster;

/// Range of the wait between a node's network coming back and its session re-registering.
const RECONNECT_MIN_MS: u64 = 500;
const RECONNECT_MAX_MS: u64 = 5_500;

impl Cluster {
    /// Cuts the node's link; false when it was already cut.
    pub(crate) fn cut(&mut self, node: NodeId) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if !m.link_up {
            return false;
        }
        let was_reachable = m.reachable;
        m.link_up = false;
        m.reachable = false;
        m.reconnecting = false;
        was_reachable
    }

    /// Kills the node's dockerd: the agent is gone (the manager will miss its heartbeats), the
    /// daemon's work in progress is lost, the containers keep running unwatched. False when it
    /// was not running.
    pub(crate) fn kill_daemon(&mut self, node: NodeId) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if !m.daemon_up {
            return false;
        }
        let was_reachable = m.reachable;
        m.daemon_up = false;
        m.reachable = false;
        m.reconnecting = false;
        m.daemon = Default::default();
        was_reachable
    }

    /// Starts the node's dockerd again: it stops the containers left running while it loads
    /// (`DaemonRestored`), then its agent registers (`NodeReconnects`).
    pub(crate) fn start_daemon(&mut self, node: NodeId, io: &mut Io<'_>) {
        let m = &mut self.machines[node.0 as usize];
        if m.daemon_up {
            return;
        }
        m.daemon_up = true;
        let restore = io.latency(|l| &l.daemon_restore);
        io.q.after(restore, Event::DaemonRestored { node });
        if m.link_up && !m.reconnecting {
            m.reconnecting = true;
            let register = io.latency(|l| &l.daemon_register);
            io.q.after(register, Event::NodeReconnects { node });
        }
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

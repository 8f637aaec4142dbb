//! The nodes' network links, as a fault injector sees them: a link cut (`node_down`) silences
//! a node at once; when it comes back (`node_up`) the agent re-registers its session only on
//! its next attempt, after its reconnect backoff (swarmkit `agent/session.go`, `node.go`:
//! the backoff is capped at 8 s with random jitter; real 3-node traces: READY 0.6–5.4 s after
//! the link came back).

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
        if !m.reachable {
            return false;
        }
        m.reachable = false;
        m.reconnecting = false;
        true
    }

    /// The link is back: the agent's session re-registers after its backoff (`NodeReconnects`).
    pub(crate) fn restore_link(&mut self, node: NodeId, io: &mut Io<'_>) {
        let m = &mut self.machines[node.0 as usize];
        if m.reachable || m.reconnecting {
            return;
        }
        m.reconnecting = true;
        let wait = SimDuration::from_millis(io.rng.heartbeat.between(RECONNECT_MIN_MS, RECONNECT_MAX_MS));
        io.q.after(wait, Event::NodeReconnects { node });
    }

    /// The agent's session is registered again; false when it already was.
    pub(crate) fn reconnect(&mut self, node: NodeId) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if m.reachable {
            return false;
        }
        m.reconnecting = false;
        m.reachable = true;
        true
    }
}

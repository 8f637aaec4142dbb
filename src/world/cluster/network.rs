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
//! session `backoff = min(100 ms + 2 × backoff, 8 s)`). Each attempt (`agent/session.go`,
//! `newSession`) first makes a gRPC channel to the manager, which dials at once, then waits a
//! random delay in [0, backoff) and only then sends its Session RPC (`run`, `start`). The RPC
//! fails at once with the channel's last error unless the channel has connected by then: a
//! channel whose dial was refused dials again after 1 s, then after 1.6^k s ± 20 % (grpc-go's
//! connection backoff: `backoff.DefaultConfig`, the first retry un-jittered). So an attempt
//! whose channel was made while the manager was down registers only if one of those re-dials
//! falls between the listener opening and the RPC — the recorded worker logs of m12/m12b show
//! every dial and RPC so (`tests/data/fidelity/traces/m12*.sessions.csv`), and why a worker can
//! come back READY almost 8 s after the leader: its RPC failed 50 ms after the listener opened
//! and its next one waited 7.7 s. An RPC that reaches the listener before raft has a leader
//! waits in the dispatcher's raft proxy, which looks for a leader once a second
//! (`manager/state/raft/raft.go`, `LeaderConn`), up to the agent's 5 s `dispatcherRPCTimeout`.
//! Meanwhile the workers' containers keep running and the routing mesh keeps reaching them.

use crate::model::task::NodeId;
use crate::time::{SimDuration, SimTime};
use crate::world::manager::ManagerEndpoint;
use crate::world::{Event, Io};

use super::Cluster;

/// Range of the wait between a node's network coming back and its session re-registering.
const RECONNECT_MIN_MS: u64 = 500;
const RECONNECT_MAX_MS: u64 = 5_500;

/// `initialSessionFailureBackoff` and `maxSessionFailureBackoff` (swarmkit `agent/agent.go`).
const SESSION_BACKOFF_INITIAL_MS: u64 = 100;
const SESSION_BACKOFF_MAX_MS: u64 = 8_000;

/// grpc-go's connection backoff (`backoff.DefaultConfig`): a refused channel dials again after
/// `BaseDelay` 1 s, then after `BaseDelay × Multiplier^k` (k = 1, 2, …; capped at `MaxDelay`)
/// scaled by a uniform factor in [1 − Jitter, 1 + Jitter]; the first retry has no jitter
/// (`internal/backoff`, `Backoff(0)`). Recorded gaps: 1.001–1.002 s, then 1.43–1.92 s.
const GRPC_REDIAL_BASE_NS: u64 = 1_000_000_000;
const GRPC_REDIAL_MAX_NS: u64 = 120_000_000_000;
/// The jitter factor's bounds, in millionths.
const GRPC_REDIAL_JITTER_PPM: (u64, u64) = (800_000, 1_200_000);

/// The agent's `dispatcherRPCTimeout` (swarmkit `agent/session.go`): how long its Session RPC
/// may wait, here for the raft proxy to find a leader, polling once a second.
const SESSION_RPC_TIMEOUT_POLLS: u8 = 5;

/// Whether an agent's gRPC channel, made at `made`, has connected by `rpc`, the manager
/// listening from `listening_since` on: it dials at `made`, and while refused again 1 s later,
/// then each 1.6^k s later scaled by a jitter factor in millionths (`jitter_ppm`, drawn only as
/// far as needed, within [`GRPC_REDIAL_JITTER_PPM`]).
pub(crate) fn channel_connected(
    made: SimTime,
    listening_since: SimTime,
    rpc: SimTime,
    mut jitter_ppm: impl FnMut() -> u64,
) -> bool {
    if made >= listening_since {
        return true;
    }
    let mut dial = made.plus(SimDuration::from_nanos(GRPC_REDIAL_BASE_NS));
    let mut base = GRPC_REDIAL_BASE_NS;
    while dial < listening_since {
        if dial > rpc {
            return false;
        }
        // × 1.6, exact in integers (8/5 of a power-of-ten count of nanoseconds).
        base = (base / 5 * 8).min(GRPC_REDIAL_MAX_NS);
        let gap = base / 1_000 * jitter_ppm() / 1_000;
        dial = dial.plus(SimDuration::from_nanos(gap));
    }
    dial <= rpc
}

/// What a session attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SessionOutcome {
    /// The agent registered: the node's session is back.
    Registered,
    /// The RPC failed; the agent backs off and tries again (or it no longer retries).
    Failed,
    /// The RPC waits in the manager's raft proxy for a leader.
    WaitsForLeader,
}

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

    /// The node's agent retries its session: a new channel to the manager now, and its Session
    /// RPC after a random wait within the backoff that follows `failed_backoff_ms` (`agent.go`,
    /// `session.go`).
    pub(crate) fn retry_session(&mut self, node: NodeId, failed_backoff_ms: u64, io: &mut Io<'_>) {
        let m = &mut self.machines[node.0 as usize];
        m.retrying = true;
        m.reconnecting = false;
        m.channel_since = io.now();
        let backoff = next_session_backoff(failed_backoff_ms);
        let wait = SimDuration::from_millis(io.rng.heartbeat.between(0, backoff - 1));
        io.q.after(wait, Event::SessionAttempt { node, backoff_ms: backoff as u32, leader_polls: 0 });
    }

    /// The Session RPC of a retrying agent (`leader_polls` 0), or the raft proxy's poll for a
    /// leader while the RPC waits in it: registered when the channel has connected to a manager
    /// that is leader; waiting when it is listening but has no leader yet (another poll in a
    /// second, up to the RPC timeout); else the agent backs off and tries again. An agent that
    /// stopped retrying meanwhile (its link cut, its daemon killed) makes no attempt.
    pub(crate) fn session_attempt(
        &mut self,
        node: NodeId,
        backoff_ms: u32,
        leader_polls: u8,
        manager: ManagerEndpoint,
        io: &mut Io<'_>,
    ) -> SessionOutcome {
        let m = &mut self.machines[node.0 as usize];
        if !m.retrying || m.removed {
            return SessionOutcome::Failed;
        }
        let now = io.now();
        let connected = match manager.listening_since {
            None => false,
            Some(since) if leader_polls == 0 => {
                let (lo, hi) = GRPC_REDIAL_JITTER_PPM;
                channel_connected(m.channel_since, since, now, || io.rng.heartbeat.between(lo, hi))
            }
            // A poll: the RPC went out on a connected channel `leader_polls` seconds ago; the
            // connection lives while the process that took it listens (a listener opened since
            // is a restarted manager's).
            Some(since) => since.0 <= now.0.saturating_sub(u64::from(leader_polls) * 1_000_000_000),
        };
        if connected && manager.leader {
            m.retrying = false;
            m.link_up = true;
            m.reachable = true;
            return SessionOutcome::Registered;
        }
        if connected && leader_polls < SESSION_RPC_TIMEOUT_POLLS {
            io.q.after(
                SimDuration::from_secs(1),
                Event::SessionAttempt { node, backoff_ms, leader_polls: leader_polls + 1 },
            );
            return SessionOutcome::WaitsForLeader;
        }
        self.retry_session(node, u64::from(backoff_ms), io);
        SessionOutcome::Failed
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

    fn at_ms(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    #[test]
    fn a_channel_made_while_the_manager_listens_is_connected_at_once() {
        let never = || unreachable!("no re-dial is needed");
        assert!(channel_connected(at_ms(5_000), at_ms(4_000), at_ms(5_000), never));
        assert!(channel_connected(at_ms(5_000), at_ms(5_000), at_ms(5_001), never));
    }

    #[test]
    fn a_refused_channel_dials_again_after_exactly_one_second() {
        // grpc-go: `Backoff(0)` is the base delay, un-jittered (recorded: 1.001-1.002 s).
        let never = || unreachable!("the first re-dial is not jittered");
        assert!(!channel_connected(at_ms(1_000), at_ms(1_500), at_ms(1_999), never));
        assert!(channel_connected(at_ms(1_000), at_ms(1_500), at_ms(2_000), never));
        // Listening since the re-dial itself counts.
        assert!(channel_connected(at_ms(1_000), at_ms(2_000), at_ms(2_000), never));
    }

    #[test]
    fn later_re_dials_grow_by_1_6_with_twenty_percent_jitter() {
        // Listening from just after the 1 s re-dial: the next dial is 1.6 s × [0.8, 1.2] later,
        // so an RPC 1.28 s after it can have connected only with the shortest jitter, one 1.92 s
        // after it always has.
        let (lo, hi) = GRPC_REDIAL_JITTER_PPM;
        let made = at_ms(0);
        let listening = at_ms(1_001);
        assert!(channel_connected(made, listening, at_ms(1_000 + 1_280), || lo));
        assert!(!channel_connected(made, listening, at_ms(1_000 + 1_279), || lo));
        assert!(!channel_connected(made, listening, at_ms(1_000 + 1_919), || hi));
        assert!(channel_connected(made, listening, at_ms(1_000 + 1_920), || hi));
        // The third gap is 2.56 s × jitter: dials at 1, 2.6, 5.16 s with no jitter.
        let mid = 1_000_000;
        assert!(!channel_connected(made, at_ms(2_601), at_ms(5_159), || mid));
        assert!(channel_connected(made, at_ms(2_601), at_ms(5_160), || mid));
    }

    #[test]
    fn a_channel_draws_jitter_only_for_the_re_dials_it_needs() {
        let mut draws = 0;
        // The RPC comes before the second re-dial: one draw at most, none past the RPC.
        channel_connected(at_ms(0), at_ms(10_000), at_ms(1_500), || {
            draws += 1;
            1_000_000
        });
        assert_eq!(draws, 1);
        // The gap grows to its 120 s cap and stays there (no overflow over a long outage).
        let mut draws = 0;
        assert!(channel_connected(at_ms(0), at_ms(3_600_000), at_ms(3_720_000), || {
            draws += 1;
            1_000_000
        }));
        assert!(draws > 20, "{draws} re-dials over an hour");
    }
}

//! The nodes' faults, as a fault injector causes them, and how each agent's session with the
//! manager comes back after them.
//!
//! **A link cut** (`node_down`) silences a node at once: the manager hears nothing more (its
//! heartbeat deadline marks it DOWN, [`crate::world::manager`]), and the routing mesh loses its
//! containers. The agent notices only when its next heartbeat fails: swarmkit
//! `agent/session.go`, `heartbeat`, sends one a period after the last answer (the period the
//! dispatcher chose, 5 s ± 0.5 s: `manager/dispatcher/nodes.go`, `Heartbeat`) and gives it
//! `dispatcherRPCTimeout` (5 s); the failed heartbeat ends the session ("heartbeat to manager …
//! failed", DeadlineExceeded, then "agent: session failed" backoff=100ms: m12b's worker logs,
//! 5.9–9.9 s after the cut). The agent then retries as after a manager restart (below), but
//! every dial now hangs: the worker's kernel cannot resolve the manager's MAC address, and a
//! resolution gives up after [`ARP_PROBES`] probes [`ARP_PROBE_INTERVAL_NS`] apart, failing
//! every connect waiting on it with "connect: no route to host". Other traffic to the manager
//! keeps a resolution going at all times, so the failures come on one clock, every
//! 3.072 s, whenever the dial began (m12b r1–r5: every failure of a 75 s cut on that clock).
//! A Session RPC sent meanwhile waits while its channel is connecting and fails with the dial
//! (gRPC's fail-fast RPCs: `grpc/doc/wait-for-ready.md`), or fails at once between dials. A
//! connection made before the cut is not lost with it (swarmkit sets no gRPC keepalive; the
//! heartbeat into the cut fails on its deadline, not with the transport): an RPC over it gets
//! no answer until the address is learnt, or fails on its 5 s deadline.
//!
//! **The link back** (`node_up`): the kernel learns the manager's address at its next probe,
//! or earlier when the manager's own request for the worker's address arrives (the manager
//! keeps resolving it too, on its own clock); a probe that ends a resolution comes too late
//! for the dials waiting on it, which fail first (m12b r3, r5). A dial in flight then
//! connects; a later one connects at once. The node registers at the first Session RPC of the
//! current attempt whose channel connected — after the agent's random wait, up to 8 s after a
//! long cut (m12b r1: an attempt made 0.47 s after the link came back, its RPC 6.6 s later,
//! READY 7.1 s after `node_up`). A cut shorter than the heartbeat's timeout loses nothing:
//! the session carries on once the address is learnt.
//!
//! **A killed dockerd** (`daemon_kill`) takes containerd and the agent with it but not the
//! containers, whose shims survive; started again (`daemon_start`), dockerd stops the
//! containers it finds while it loads (no live-restore: moby `daemon.restore`), and the agent
//! registers after it (m09: SIGTERM 0.13–0.40 s, READY 0.59–1.08 s after the start).
//!
//! **When the manager itself goes away** (its dockerd killed), every other agent's session
//! fails and the agent retries on its own schedule (swarmkit `agent/agent.go`, `run`: after
//! each failed session `backoff = min(100 ms + 2 × backoff, 8 s)`). Each attempt
//! (`agent/session.go`, `newSession`) first makes a gRPC channel to the manager, which dials at
//! once, then waits a random delay in [0, backoff) and only then sends its Session RPC (`run`,
//! `start`). The RPC fails at once with the channel's last error unless the channel has
//! connected by then: a channel whose dial was refused dials again after 1 s, then after
//! 1.6^k s ± 20 % (grpc-go's connection backoff: `backoff.DefaultConfig`, the first retry
//! un-jittered; `addrConn.resetTransport` waits it out after the failure). So an attempt
//! whose channel was made while the manager was down registers only if one of those re-dials
//! falls between the listener opening and the RPC — the recorded worker logs of m12/m12b show
//! every dial and RPC so (`tests/data/fidelity/traces/m12*.sessions.csv`), and why a worker can
//! come back READY almost 8 s after the leader: its RPC failed 84 ms after the listener opened
//! (its channel's last dial refused) and its next one waited 7.7 s (m12 r2, mn-w2). An RPC that reaches the listener before raft has a leader
//! waits in the dispatcher's raft proxy, which looks for a leader once a second
//! (`manager/state/raft/raft.go`, `LeaderConn`), up to the agent's 5 s `dispatcherRPCTimeout`.
//! Meanwhile the workers' containers keep running and the routing mesh keeps reaching them.

use crate::model::task::NodeId;
use crate::time::{SimDuration, SimTime};
use crate::world::manager::ManagerEndpoint;
use crate::world::{Event, Io};

use super::Cluster;

/// `initialSessionFailureBackoff` and `maxSessionFailureBackoff` (swarmkit `agent/agent.go`).
const SESSION_BACKOFF_INITIAL_MS: u64 = 100;
const SESSION_BACKOFF_MAX_MS: u64 = 8_000;

/// grpc-go's connection backoff (`backoff.DefaultConfig`): a refused channel dials again after
/// `BaseDelay` 1 s, then after `BaseDelay × Multiplier^k` (k = 1, 2, …; capped at `MaxDelay`)
/// scaled by a uniform factor in [1 − Jitter, 1 + Jitter]; the first retry has no jitter
/// (`internal/backoff`, `Backoff(0)`). Recorded gaps (m12/m12b worker logs): 1.000–1.007 s
/// (1.025 s under load), then 1.6 s × [0.818, 1.194], then 2.56 s × [0.810, 1.191].
const GRPC_REDIAL_BASE_NS: u64 = 1_000_000_000;
const GRPC_REDIAL_MAX_NS: u64 = 120_000_000_000;
/// The jitter factor's bounds, in millionths.
const GRPC_REDIAL_JITTER_PPM: (u64, u64) = (800_000, 1_200_000);

/// The agent's `dispatcherRPCTimeout` (swarmkit `agent/session.go`): how long its Session RPC
/// may wait, here for the raft proxy to find a leader, polling once a second.
const SESSION_RPC_TIMEOUT_POLLS: u8 = 5;

/// The same `dispatcherRPCTimeout` bounds each heartbeat (`session.heartbeat`): the session of
/// an agent cut off fails this long after the first heartbeat it sends into the cut; and the
/// Session RPC (`session.start`: "session initiation timed out").
const DISPATCHER_RPC_TIMEOUT: SimDuration = SimDuration::from_secs(5);

/// Between two ARP probes of the worker's kernel for the manager's address: 1.024 s as
/// recorded (m12b r2: a dial waiting on a resolution connected 1.024 s after it began, the link
/// being back; Linux's `retrans_time_ms` of 1 s, as the kernel's timers round it).
pub(crate) const ARP_PROBE_INTERVAL_NS: u64 = 1_024_000_000;

/// Probes before a resolution gives up and every connect waiting on it fails with "no route
/// to host" (Linux's `mcast_solicit`, 3): the no-route delay. The worker logs of m12b r1–r5
/// show those failures 3.072 s apart through each 75 s cut (r1: 22 of them, from 5.363 to
/// 69.875 s), a dial that began mid-resolution failing with it (r2: dialled at 68.246, failed
/// at 69.625).
pub(crate) const ARP_PROBES: u64 = 3;

/// How long a resolution lasts when nothing answers.
const ARP_RESOLUTION_NS: u64 = ARP_PROBE_INTERVAL_NS * ARP_PROBES;

/// Between the cut and the worker's first probe for the manager's address (the start of the
/// clock its resolutions fail on): 1.15, 0.90, 1.76, 0.20 and 1.83 s in m12b r1–r5's worker
/// logs (counting back from the failures, 3.072 s apart).
const ARP_FIRST_PROBE_AFTER_CUT_MS: (u64, u64) = (190, 1_840);

/// The manager's own request for the worker's address arrives within a probe interval of the
/// link coming back (it resolves the worker on its own 1.024 s clock): m12b r1 and r4's
/// workers learnt the manager's address 0.78 and 0.56 s after the link came back, before their
/// own next probe; the three others' own probes came first (or their resolution failed).
const PEER_PROBE_WITHIN_MS: u64 = 1_023;

/// A cut of a node's link, and its end.
#[derive(Clone, Copy, Debug)]
pub(super) struct LinkCut {
    /// Which cut of the node this is (a heartbeat failure of an earlier one is stale).
    serial: u32,
    /// When the link was cut.
    since: SimTime,
    /// The worker's first probe for the manager's address: its resolutions fail at
    /// `arp_start + k × ARP_RESOLUTION`, k ≥ 1, until the address is learnt.
    arp_start: SimTime,
    /// The link is back (`node_up`) and the address learnt.
    learnt: Option<Learnt>,
}

/// When a node whose link came back learns the manager's address again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Learnt {
    /// The instant.
    pub at: SimTime,
    /// Learnt by a probe that ended a resolution: the dials waiting on it failed first.
    pub after_failure: bool,
}

/// How a dial gets on over the node's link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// Its first packet reaches the manager at this instant.
    Reaches(SimTime),
    /// It fails with "no route to host" at this instant.
    NoRoute(SimTime),
}

impl LinkCut {
    /// A cut at `since` whose first probe is at `arp_start`.
    pub(crate) fn new(serial: u32, since: SimTime, arp_start: SimTime) -> LinkCut {
        LinkCut { serial, since, arp_start, learnt: None }
    }

    /// The link is back (`node_up` happened; the address may be learnt later).
    pub(crate) fn restored(&self) -> bool {
        self.learnt.is_some()
    }

    /// The link is back and the address learnt by `now`: every dial from now on reaches the
    /// manager at once, and every dial begun earlier has ended.
    fn over_by(&self, now: SimTime) -> bool {
        self.learnt.is_some_and(|l| l.at <= now)
    }

    /// When the resolution a connect made at `at` waits on gives up (a dial at the very
    /// instant one gives up waits on the next).
    pub(crate) fn resolution_end_after(&self, at: SimTime) -> SimTime {
        if at < self.arp_start {
            return self.arp_start.plus(SimDuration::from_nanos(ARP_RESOLUTION_NS));
        }
        let k = (at.0 - self.arp_start.0) / ARP_RESOLUTION_NS + 1;
        SimTime(self.arp_start.0.saturating_add(k.saturating_mul(ARP_RESOLUTION_NS)))
    }

    /// The link came back at `up`; the manager's request for the worker's address arrives
    /// `peer_probe` later. The address is learnt at the first of that and the worker's own
    /// next probe.
    pub(crate) fn restore(&mut self, up: SimTime, peer_probe: SimDuration) -> Learnt {
        let learnt = if up <= self.arp_start {
            // Back before the worker ever asked: its first probe is answered.
            Learnt { at: up, after_failure: false }
        } else {
            let j = (up.0 - self.arp_start.0).div_ceil(ARP_PROBE_INTERVAL_NS);
            let own = SimTime(self.arp_start.0.saturating_add(j.saturating_mul(ARP_PROBE_INTERVAL_NS)));
            let peer = up.plus(peer_probe);
            if peer < own {
                Learnt { at: peer, after_failure: false }
            } else {
                Learnt { at: own, after_failure: j.is_multiple_of(ARP_PROBES) }
            }
        };
        self.learnt = Some(learnt);
        learnt
    }

    /// How a dial made at `at` gets on: at once before the cut and once the address is
    /// learnt; meanwhile it waits on a resolution, and reaches the manager if the address is
    /// learnt before that gives up.
    pub(crate) fn dial(&self, at: SimTime) -> Path {
        if at < self.since {
            return Path::Reaches(at);
        }
        if let Some(l) = self.learnt
            && at >= l.at
        {
            return Path::Reaches(at);
        }
        let end = self.resolution_end_after(at);
        match self.learnt {
            Some(l) if l.at < end || (l.at == end && !l.after_failure) => Path::Reaches(l.at),
            _ => Path::NoRoute(end),
        }
    }
}

/// Where an agent's gRPC channel to the manager stands at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChannelState {
    /// Connected (READY).
    Ready,
    /// A dial is under way until this instant (CONNECTING): an RPC waits for it.
    Connecting(SimTime),
    /// Between dials (TRANSIENT_FAILURE): an RPC fails at once.
    Failed,
    /// Connected before the link was cut, which it is still: the connection lives on (no
    /// keepalive: swarmkit sets none), an RPC over it gets no answer until the link is back.
    Stalled,
}

/// A session attempt's gRPC channel (`ConnBroker.Select` in `newSession`): it dials at once,
/// and after each failure again on grpc-go's backoff. Its dials are worked out only as far as
/// an RPC needs them (jitter is drawn then), so that the attempts of a run draw in one order.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Channel {
    /// The next dial's instant, or the current one's.
    dial_at: SimTime,
    /// The last gap's un-jittered length (0: no re-dial yet).
    backoff_ns: u64,
    /// It connected at this instant.
    connected: Option<SimTime>,
}

impl Channel {
    /// A channel made at `made`: it dials at once.
    pub(crate) fn new(made: SimTime) -> Channel {
        Channel { dial_at: made, backoff_ns: 0, connected: None }
    }

    /// Where the channel stands at `now`, with the manager listening from `listening_since`
    /// and the node's link `cut`: it dials again after each failure, 1 s then 1.6^k s later
    /// scaled by a jitter factor in millionths (`jitter_ppm`, within
    /// [`GRPC_REDIAL_JITTER_PPM`]).
    pub(crate) fn at(
        &mut self,
        now: SimTime,
        cut: Option<&LinkCut>,
        listening_since: Option<SimTime>,
        mut jitter_ppm: impl FnMut() -> u64,
    ) -> ChannelState {
        if listening_since.is_none() && cut.is_none_or(|c| c.over_by(now)) {
            // Refused whatever it does (and nothing drawn: the next attempt dials afresh), as
            // over a link never cut.
            return ChannelState::Failed;
        }
        loop {
            if let Some(connected) = self.connected {
                match cut {
                    Some(c) if connected < c.since && c.since <= now && !c.over_by(now) => {
                        return ChannelState::Stalled;
                    }
                    // The process it connected to has been killed since (a listener opened
                    // later, or none now): its dials are walked again against the listener there
                    // is, from the instant it had connected (the kill's own instant is not kept).
                    _ if listening_since.is_none_or(|since| since > connected) => {
                        *self = Channel::new(connected);
                        continue;
                    }
                    _ => return ChannelState::Ready,
                }
            }
            let dial = self.dial_at;
            if dial > now {
                return ChannelState::Failed;
            }
            let failed_at = match cut.map_or(Path::Reaches(dial), |c| c.dial(dial)) {
                Path::NoRoute(end) if end > now => return ChannelState::Connecting(end),
                Path::NoRoute(end) => end,
                Path::Reaches(at) if at > now => return ChannelState::Connecting(at),
                Path::Reaches(at) if listening_since.is_some_and(|since| since <= at) => {
                    self.connected = Some(at);
                    continue;
                }
                // Refused.
                Path::Reaches(at) => at,
            };
            let gap = if self.backoff_ns == 0 {
                self.backoff_ns = GRPC_REDIAL_BASE_NS;
                GRPC_REDIAL_BASE_NS
            } else {
                // × 1.6 in integers: exact for the first nine steps (1 s = 5^9 × 2^9 ns), then off
                // by nanoseconds; the 120 s cap comes at the eleventh.
                self.backoff_ns = (self.backoff_ns / 5 * 8).min(GRPC_REDIAL_MAX_NS);
                self.backoff_ns / 1_000 * jitter_ppm() / 1_000
            };
            self.dial_at = failed_at.plus(SimDuration::from_nanos(gap));
        }
    }
}

/// One Session RPC of a retrying agent, as its event carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SessionAttempt {
    /// The agent's backoff for this attempt, in ms.
    pub backoff_ms: u32,
    /// Polls of the raft proxy for a leader so far (0: the RPC itself).
    pub leader_polls: u8,
    /// The agent's attempt counter when the attempt was made.
    pub attempt: u32,
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
    /// The RPC waits for its channel's dial, or for an answer over a link cut
    /// (`SessionDialEnds`).
    WaitsForDial,
}

/// The agent's backoff after one more failed session.
pub(crate) fn next_session_backoff(backoff_ms: u64) -> u64 {
    (SESSION_BACKOFF_INITIAL_MS + 2 * backoff_ms).min(SESSION_BACKOFF_MAX_MS)
}

/// What cutting a node's link ended.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CutOff {
    /// The manager was in touch with the node (it will miss its heartbeats).
    pub in_touch: bool,
    /// The agent had a session: its next heartbeat will fail
    /// ([`Cluster::heartbeat_into_cut`]).
    pub session_up: bool,
}

/// A Session RPC waiting for its channel's dial, or for an answer over a link cut.
#[derive(Clone, Copy, Debug)]
pub(super) struct RpcWait {
    /// When the RPC was sent: it fails `dispatcherRPCTimeout` later ("session initiation timed
    /// out", `session.start`) if still unanswered.
    sent: SimTime,
    /// When the dial ends (or the address is learnt, or the RPC times out).
    until: SimTime,
    /// The attempt's backoff, in ms.
    backoff_ms: u32,
}

impl Cluster {
    /// Cuts the node's link: nothing reaches the manager from now on; the agent notices when a
    /// heartbeat fails. A link cut again before its address was learnt goes on with the same
    /// resolutions. Its session's state is returned (nothing when it was already cut).
    pub(crate) fn cut(&mut self, node: NodeId, io: &mut Io<'_>) -> CutOff {
        let now = io.now();
        let m = &mut self.machines[node.0 as usize];
        if m.cut.is_some_and(|c| !c.restored()) {
            return CutOff { in_touch: false, session_up: false };
        }
        let cut_off = CutOff { in_touch: m.reachable || (m.retrying && m.link_up), session_up: m.reachable };
        match &mut m.cut {
            // The same cut going on: its resolutions, and the heartbeat sent into it.
            Some(c) if c.learnt.is_some_and(|l| l.at > now) => c.learnt = None,
            _ => {
                m.cuts += 1;
                let (lo, hi) = ARP_FIRST_PROBE_AFTER_CUT_MS;
                let first_probe = SimDuration::from_millis(io.chance_between(|s| &mut s.link, lo, hi));
                m.cut = Some(LinkCut::new(m.cuts, now, now.plus(first_probe)));
            }
        }
        m.link_up = false;
        m.reachable = false;
        // A registration under way (a daemon's, a session resuming) is lost with the link; an
        // agent already retrying goes on, its dials now hanging.
        m.reconnecting = false;
        cut_off
    }

    /// The agent of a node cut off sends its next heartbeat at `sent` (a period after the
    /// last answer, as the dispatcher drew it): it fails `dispatcherRPCTimeout` later, and the
    /// session with it (`HeartbeatFails`), unless the link is back by then.
    pub(crate) fn heartbeat_into_cut(&mut self, node: NodeId, sent: SimTime, io: &mut Io<'_>) {
        let m = &mut self.machines[node.0 as usize];
        let Some(cut) = m.cut else { return };
        let fails = sent.max(io.now()).plus(DISPATCHER_RPC_TIMEOUT);
        m.heartbeat_fails_at = Some(fails);
        io.q.at(fails, Event::HeartbeatFails { node, cut: cut.serial });
    }

    /// The heartbeat sent into cut `serial` timed out: the session fails and the agent
    /// retries ("agent: session failed" backoff=100ms).
    pub(crate) fn heartbeat_failed(&mut self, node: NodeId, serial: u32, io: &mut Io<'_>) {
        let now = io.now();
        let m = &mut self.machines[node.0 as usize];
        if m.cut.is_none_or(|c| c.serial != serial) || m.heartbeat_fails_at != Some(now) {
            return;
        }
        m.heartbeat_fails_at = None;
        if !m.daemon_up || m.removed || m.reachable || m.retrying {
            return;
        }
        self.retry_session(node, 0, io);
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
        m.heartbeat_fails_at = None;
        m.rpc_wait = None;
        m.daemon = Default::default();
        m.restoring = 0;
        m.registration_held = false;
        m.restored_exits.clear();
        m.control_plane_held.clear();
        m.registers_at = None;
        self.restore_abandoned(node);
        was_in_touch
    }

    /// Starts the node's dockerd again: it stops the containers left running while it loads
    /// (`DaemonRestored`), then its agent registers (`NodeReconnects`) — unless `register` is
    /// false: the manager's own agent registers when its control plane is up again (see
    /// [`Cluster::expect_registration`]), and an agent whose link is cut starts trying when
    /// the link is back ([`Cluster::restore_link`]). False when it was already running.
    pub(crate) fn start_daemon(&mut self, node: NodeId, register: bool, io: &mut Io<'_>) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if m.daemon_up {
            return false;
        }
        m.daemon_up = true;
        m.daemon_starts += 1;
        // `restore` is under way until it has loaded (then it counts the containers it stops):
        // an agent due meanwhile waits for it, whatever the latencies say.
        m.restoring = 1;
        let restore = io.latency(|l| &l.daemon_restore);
        io.q.after(restore, Event::DaemonRestored { node, daemon: m.daemon_starts });
        if register {
            m.api_waits_until = Some(SimTime::MAX);
        }
        let link_back = m.cut.is_none_or(|c| c.restored());
        if register && link_back && !m.reconnecting {
            // The agent registers the rest of the start after `restore` is done (`restore_done`):
            // `daemon_register` after the start when the restore has nothing to wait for.
            m.reconnecting = true;
            m.registration_held = true;
        }
        true
    }

    /// The sole manager's control plane step `event` (`ListenerOpens`, `LeaderElected`) is due
    /// on `node` while its restarted dockerd is still in `restore`: held until the restore is
    /// done (see `restore_done`). True when held.
    pub(crate) fn control_plane_held(&mut self, node: NodeId, event: Event, now: SimTime) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if m.restoring == 0 {
            return false;
        }
        m.control_plane_held.push((now, event));
        true
    }

    /// The node's agent is due to register (`NodeReconnects`) while its restarted dockerd is
    /// still loading or stopping containers it found running (`restore_containers`): the agent
    /// is not started yet (moby starts the cluster after `NewDaemon`, whose `restore` waits for
    /// those stops), so the registration is held until they have exited. True when held, or
    /// when it is a dead daemon's, due before the one this daemon's restore queued (dropped).
    pub(crate) fn registration_held(&mut self, node: NodeId, now: SimTime) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if m.registers_at.is_some_and(|at| now < at) {
            return true;
        }
        if m.restoring == 0 || !m.reconnecting {
            return false;
        }
        m.registration_held = true;
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
    /// retrying (`SessionAttempt`). Returns the nodes whose session ended. (An agent cut off
    /// learns nothing of it: its heartbeat fails as it would have.)
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
        m.channel = Channel::new(io.now());
        m.attempt = m.attempt.wrapping_add(1);
        m.rpc_wait = None;
        let backoff = next_session_backoff(failed_backoff_ms);
        let wait = SimDuration::from_millis(io.chance_between(|s| &mut s.heartbeat, 0, backoff - 1));
        io.q.after(
            wait,
            Event::SessionAttempt { node, backoff_ms: backoff as u32, leader_polls: 0, attempt: m.attempt },
        );
    }

    /// The Session RPC of a retrying agent (`leader_polls` 0), or the raft proxy's poll for a
    /// leader while the RPC waits in it: registered when the channel has connected to a manager
    /// that is leader; waiting when it is listening but has no leader yet (another poll in a
    /// second, up to the RPC timeout), or while the channel dials (`SessionDialEnds` when the
    /// dial ends); else the agent backs off and tries again. An agent that stopped retrying
    /// meanwhile (its daemon killed) makes no attempt, and an attempt of an earlier retry loop
    /// is stale.
    pub(crate) fn session_attempt(
        &mut self,
        node: NodeId,
        attempt: SessionAttempt,
        manager: ManagerEndpoint,
        io: &mut Io<'_>,
    ) -> SessionOutcome {
        let SessionAttempt { backoff_ms, leader_polls, attempt } = attempt;
        let m = &mut self.machines[node.0 as usize];
        if !m.retrying || m.removed || m.attempt != attempt {
            return SessionOutcome::Failed;
        }
        let now = io.now();
        // The RPC went out now, or earlier if it has been waiting ([`Cluster::dial_ended`]).
        let sent = m.rpc_wait.take().map_or(now, |w| w.sent);
        let connected = match manager.listening_since {
            listening if leader_polls == 0 => {
                let (lo, hi) = GRPC_REDIAL_JITTER_PPM;
                let cut = m.cut;
                let state =
                    m.channel.at(now, cut.as_ref(), listening, || io.chance_between(|s| &mut s.heartbeat, lo, hi));
                let until = match state {
                    ChannelState::Ready | ChannelState::Failed => None,
                    ChannelState::Connecting(until) => Some(until),
                    // Unanswered until the address is learnt, failed at the RPC's timeout.
                    ChannelState::Stalled => {
                        let timeout = sent.plus(DISPATCHER_RPC_TIMEOUT);
                        let learnt = cut.and_then(|c| c.learnt).map(|l| l.at);
                        (timeout > now).then(|| learnt.map_or(timeout, |at| at.min(timeout)))
                    }
                };
                if let Some(until) = until {
                    m.rpc_wait = Some(RpcWait { sent, until, backoff_ms });
                    io.q.at(until, Event::SessionDialEnds { node, attempt: m.attempt });
                    return SessionOutcome::WaitsForDial;
                }
                state == ChannelState::Ready
            }
            None => false,
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
                Event::SessionAttempt { node, backoff_ms, leader_polls: leader_polls + 1, attempt },
            );
            return SessionOutcome::WaitsForLeader;
        }
        self.retry_session(node, u64::from(backoff_ms), io);
        SessionOutcome::Failed
    }

    /// The dial a Session RPC of attempt `attempt` waits on has ended (or the node learnt the
    /// manager's address): the RPC goes on as the channel now stands. Stale otherwise.
    pub(crate) fn dial_ended(
        &mut self,
        node: NodeId,
        attempt: u32,
        manager: ManagerEndpoint,
        io: &mut Io<'_>,
    ) -> SessionOutcome {
        let m = &mut self.machines[node.0 as usize];
        let Some(wait) = m.rpc_wait else { return SessionOutcome::Failed };
        if !m.retrying || m.attempt != attempt || wait.until != io.now() {
            return SessionOutcome::Failed;
        }
        self.session_attempt(
            node,
            SessionAttempt { backoff_ms: wait.backoff_ms, leader_polls: 0, attempt },
            manager,
            io,
        )
    }

    /// A `NodeReconnects` came while the manager cannot take the registration: that session
    /// fails — a fresh agent's first (its dockerd just started) or one that had worked until
    /// now (its link back after a cut the manager's restart fell in) — and the agent retries
    /// from the first backoff. swarmkit `agent/agent.go`, `run`: a new agent starts with
    /// backoff 0 and sends its first Session RPC at once, and every session that registered
    /// resets the backoff to 0, so the waits after are < 100 ms, < 300 ms, … (not the 8 s of
    /// an agent that had been failing all along).
    pub(crate) fn reconnect_later(&mut self, node: NodeId, io: &mut Io<'_>) {
        let m = &self.machines[node.0 as usize];
        if m.reachable || !m.reconnecting || m.removed || !m.daemon_up {
            return;
        }
        self.retry_session(node, 0, io);
    }

    /// The link is back (`node_up`): the node learns the manager's address at its next probe
    /// or on the manager's request, whichever comes first. A session whose heartbeat has not
    /// failed yet carries on then (`NodeReconnects`); an RPC waiting on a dial goes on then
    /// (`SessionDialEnds`); an agent that was not trying (down from the start, or its daemon
    /// started during the cut) tries again from the longest backoff, as one that has been
    /// failing all along.
    pub(crate) fn restore_link(&mut self, node: NodeId, io: &mut Io<'_>) {
        let now = io.now();
        let m = &mut self.machines[node.0 as usize];
        let Some(cut) = m.cut.as_mut() else { return };
        if cut.restored() {
            return;
        }
        let peer_probe = SimDuration::from_millis(io.chance_between(|s| &mut s.link, 0, PEER_PROBE_WITHIN_MS));
        let learnt = cut.restore(now, peer_probe);
        if m.removed || !m.daemon_up || m.reachable || m.reconnecting {
            return;
        }
        if let Some(fails_at) = m.heartbeat_fails_at {
            // The heartbeat stays pending until the session is back: cut again before the
            // address is learnt, the session fails with it after all.
            if learnt.at < fails_at {
                m.reconnecting = true;
                io.q.at(learnt.at, Event::NodeReconnects { node });
            }
            return;
        }
        if m.retrying {
            if let Some(wait) = m.rpc_wait.as_mut()
                && learnt.at < wait.until
            {
                wait.until = learnt.at;
                io.q.at(learnt.at, Event::SessionDialEnds { node, attempt: m.attempt });
            }
            return;
        }
        if m.restoring > 0 {
            // Its dockerd, started during the cut, is still in `restore`: no agent runs yet. It
            // starts once the restore is done, the link up, and registers as after any start.
            m.reconnecting = true;
            m.registration_held = true;
            return;
        }
        self.retry_session(node, SESSION_BACKOFF_MAX_MS, io);
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

    /// The agent's session is registered again (or carries on after a short cut); false when
    /// it already was, or cannot be.
    pub(crate) fn reconnect(&mut self, node: NodeId) -> bool {
        let m = &mut self.machines[node.0 as usize];
        if m.reachable || !m.reconnecting || m.removed {
            return false;
        }
        m.reconnecting = false;
        m.heartbeat_fails_at = None;
        m.api_waits_until = None;
        // Until the session is back the mesh has nothing of the node either (as recorded:
        // serving resumes with READY).
        m.link_up = true;
        m.reachable = m.daemon_up;
        m.reachable
    }
}

#[cfg(test)]
#[path = "network/replay_tests.rs"]
mod replay_tests;

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

    /// A two-node cluster (a manager, and a worker: `NodeId(1)`) with nothing deployed, and
    /// seed 1's random streams.
    fn manager_and_worker() -> (crate::model::scenario::Scenario, Cluster, crate::world::Streams) {
        let yaml = "services:\n  web:\n    image: web:1\nx-simulation:\n  stack: t\n  cluster: {nodes: 2}\n";
        let scenario = crate::scenario::load_str(yaml, std::path::Path::new("t.yml")).expect("scenario");
        let cluster = Cluster::new(&scenario.nodes, &scenario.images, 1);
        (scenario, cluster, crate::world::Streams::new(1))
    }

    #[test]
    fn an_attempt_left_queued_by_a_retry_loop_the_daemon_kill_stopped_is_stale() {
        // A worker retrying its session (manager away) has its dockerd killed and started again:
        // the new agent's retry loop is the only one; an attempt the old loop left in the queue
        // must neither register nor end the new loop (the review's case: m12 with the worker's
        // daemon killed and started while the manager is still down).
        let (scenario, mut cluster, mut streams) = manager_and_worker();
        let mut queue = crate::engine::queue::EventQueue::new();
        let mut io = Io { q: &mut queue, rng: &mut streams, scenario: &scenario };
        let worker = NodeId(1);
        cluster.retry_session(worker, 0, &mut io);
        let old_loop = cluster.machines[1].attempt;
        assert!(cluster.kill_daemon(worker));
        cluster.machines[1].daemon_up = true;
        cluster.retry_session(worker, SESSION_BACKOFF_MAX_MS, &mut io);
        let up = ManagerEndpoint { listening_since: Some(SimTime::ZERO), leader: true };
        let stale = SessionAttempt { backoff_ms: 100, leader_polls: 0, attempt: old_loop };
        assert_eq!(cluster.session_attempt(worker, stale, up, &mut io), SessionOutcome::Failed);
        assert!(cluster.machines[1].retrying, "the stale attempt ended the new loop");
        let current = SessionAttempt { attempt: cluster.machines[1].attempt, ..stale };
        assert_eq!(cluster.session_attempt(worker, current, up, &mut io), SessionOutcome::Registered);
    }

    #[test]
    fn an_agent_that_cannot_register_yet_retries_from_the_first_backoff() {
        // swarmkit `agent.go`, `run`: a fresh agent (its dockerd just started while the manager
        // is down) starts from backoff 0, so its next attempt comes within 100 ms, not within
        // the 8 s of an agent that had been failing all along.
        let (scenario, mut cluster, mut streams) = manager_and_worker();
        let mut queue = crate::engine::queue::EventQueue::new();
        let worker = NodeId(1);
        let mut io = Io { q: &mut queue, rng: &mut streams, scenario: &scenario };
        assert!(cluster.kill_daemon(worker));
        assert!(cluster.start_daemon(worker, true, &mut io));
        assert!(cluster.machines[1].reconnecting, "the new agent is about to register");
        let mut queue = crate::engine::queue::EventQueue::new();
        let mut io = Io { q: &mut queue, rng: &mut streams, scenario: &scenario };
        cluster.reconnect_later(worker, &mut io);
        let (at, event) = queue.pop().expect("the agent tries again");
        match event {
            Event::SessionAttempt { node, backoff_ms, leader_polls: 0, .. } => {
                assert_eq!((node, backoff_ms), (worker, 100));
                assert!(at < SimTime(100_000_000), "next attempt at {at:?}");
            }
            other => panic!("expected a session attempt, got {other:?}"),
        }
    }

    fn at_ms(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    /// Whether a channel made at `made` has connected by `rpc` to a manager listening since
    /// `listening_since`, over a link never cut.
    fn channel_connected(
        made: SimTime,
        listening_since: SimTime,
        rpc: SimTime,
        jitter_ppm: impl FnMut() -> u64,
    ) -> bool {
        Channel::new(made).at(rpc, None, Some(listening_since), jitter_ppm) == ChannelState::Ready
    }

    #[test]
    fn a_channel_made_while_the_manager_listens_is_connected_at_once() {
        let never = || unreachable!("no re-dial is needed");
        assert!(channel_connected(at_ms(5_000), at_ms(4_000), at_ms(5_000), never));
        assert!(channel_connected(at_ms(5_000), at_ms(5_000), at_ms(5_001), never));
    }

    #[test]
    fn a_refused_channel_dials_again_after_exactly_one_second() {
        // grpc-go: `Backoff(0)` is the base delay, un-jittered (recorded: 1.000-1.007 s).
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

    #[test]
    fn a_channel_to_a_manager_that_is_not_listening_fails_without_drawing() {
        let never = || unreachable!("nothing is drawn for a channel that is refused anyway");
        assert_eq!(Channel::new(at_ms(0)).at(at_ms(9_000), None, None, never), ChannelState::Failed);
        // Nor over a link cut once and back (the address learnt at 2.5 s): as if never cut.
        let mut cut = LinkCut::new(1, at_ms(1_000), at_ms(1_200));
        cut.restore(at_ms(2_000), SimDuration::from_millis(500));
        assert_eq!(Channel::new(at_ms(3_000)).at(at_ms(9_000), Some(&cut), None, never), ChannelState::Failed);
    }

    #[test]
    fn a_connection_to_a_manager_killed_since_is_gone() {
        // Connected at 1 s to the manager listening since 0; killed and listening again from
        // 5.5 s: the channel is walked again from 1 s (re-dials at 2 s, then 3.6 s and 6.16 s
        // un-jittered), connected only from the re-dial after 5.5 s.
        let mut channel = Channel::new(at_ms(1_000));
        let mid = || 1_000_000;
        assert_eq!(channel.at(at_ms(1_000), None, Some(SimTime::ZERO), mid), ChannelState::Ready);
        assert_eq!(channel.at(at_ms(4_000), None, None, mid), ChannelState::Failed);
        assert_eq!(channel.at(at_ms(6_159), None, Some(at_ms(5_500)), mid), ChannelState::Failed);
        assert_eq!(channel.at(at_ms(6_160), None, Some(at_ms(5_500)), mid), ChannelState::Ready);
    }

    /// m12b r1's cut (worker mn-w1): its resolutions failed at 5.363 s and every 3.072 s after
    /// (the trace's clock, in ms); the cut began at -5 s, so on the simulated clock (+5 s).
    fn m12b_r1_cut() -> LinkCut {
        // First probe 3.072 s before the first failure at 5.363 (10.363 simulated).
        LinkCut::new(1, at_ms(0), at_ms(10_363 - 3_072))
    }

    #[test]
    fn during_a_cut_dials_fail_on_the_resolutions_clock_whenever_they_began() {
        let cut = m12b_r1_cut();
        // r1: the dial of the attempt made at 8.436 (13.436) failed at 11.507 (16.507); the
        // re-dial at 21.724 (26.724), 1 s after the failure at 20.723, failed at 23.795.
        assert_eq!(cut.dial(at_ms(13_436)), Path::NoRoute(at_ms(16_507)));
        assert_eq!(cut.dial(at_ms(26_724)), Path::NoRoute(at_ms(28_795)));
        // A dial at the very instant a resolution gives up waits on the next one.
        assert_eq!(cut.dial(at_ms(16_507)), Path::NoRoute(at_ms(19_579)));
        // Before the cut nothing hangs.
        let later = LinkCut::new(1, at_ms(5_000), at_ms(6_000));
        assert_eq!(later.dial(at_ms(4_999)), Path::Reaches(at_ms(4_999)));
        // A dial before the first probe waits on the first resolution.
        assert_eq!(later.dial(at_ms(5_500)), Path::NoRoute(at_ms(9_072)));
    }

    #[test]
    fn an_rpc_waits_while_its_channel_dials_and_fails_with_the_dial() {
        let cut = m12b_r1_cut();
        let listening = Some(SimTime::ZERO);
        let never = || unreachable!("no second re-dial");
        // r1: attempt made at 17.652 (22.652), RPC 4.218 s later: its dial failed at 20.723,
        // the re-dial 1 s later was still under way, and the RPC failed with it at 23.795.
        let mut channel = Channel::new(at_ms(22_652));
        assert_eq!(channel.at(at_ms(26_870), Some(&cut), listening, never), ChannelState::Connecting(at_ms(28_795)));
        // r1: the attempt made at 26.868 (31.868) sent its RPC at 33.768 (38.768), between the
        // re-dial's failure at 33.011 and the next re-dial (1.6 s × jitter later): at once.
        let mut channel = Channel::new(at_ms(31_868));
        assert_eq!(channel.at(at_ms(38_768), Some(&cut), listening, || 1_000_000), ChannelState::Failed);
    }

    #[test]
    fn the_address_is_learnt_at_the_next_probe_or_the_managers_request() {
        // r2: resolutions failing at 66.552 and 69.624; the link back at 70.004, the manager's
        // request later than the worker's own probe at 70.648: learnt then, and the dial made
        // at 69.626 connects then (recorded: READY at 70.650).
        let mut cut = LinkCut::new(1, at_ms(0), at_ms(69_624 - 22 * 3_072));
        let learnt = cut.restore(at_ms(70_004), SimDuration::from_millis(900));
        assert_eq!(learnt, Learnt { at: at_ms(70_648), after_failure: false });
        assert_eq!(cut.dial(at_ms(69_626)), Path::Reaches(at_ms(70_648)));
        assert_eq!(cut.dial(at_ms(70_700)), Path::Reaches(at_ms(70_700)));
        // r1-like: the manager's request comes first (0.78 s after the link).
        let mut cut = LinkCut::new(1, at_ms(0), at_ms(69_624 - 22 * 3_072));
        let learnt = cut.restore(at_ms(70_001), SimDuration::from_millis(300));
        assert_eq!(learnt, Learnt { at: at_ms(70_301), after_failure: false });
    }

    #[test]
    fn a_probe_that_ends_a_resolution_comes_too_late_for_the_dials_waiting_on_it() {
        // r3: a resolution from 67.412 fails at 70.484, the link back at 70.006 and no request
        // from the manager before: the dial made at 67.413 fails at 70.484; the next one, at
        // 70.485, connects at once (recorded: READY at 70.487).
        let mut cut = LinkCut::new(1, at_ms(0), at_ms(67_412 - 21 * 3_072));
        let learnt = cut.restore(at_ms(70_006), SimDuration::from_millis(1_000));
        assert_eq!(learnt, Learnt { at: at_ms(70_484), after_failure: true });
        assert_eq!(cut.dial(at_ms(67_413)), Path::NoRoute(at_ms(70_484)));
        assert_eq!(cut.dial(at_ms(70_485)), Path::Reaches(at_ms(70_485)));
        // r5 the same way: the channel made at 67.484 fails at 70.556, dials again 1 s later
        // and connects; the attempt's RPC at 75.028 goes through.
        let mut cut = LinkCut::new(1, at_ms(0), at_ms(67_484 - 21 * 3_072));
        cut.restore(at_ms(70_000), SimDuration::from_millis(1_000));
        let mut channel = Channel::new(at_ms(67_484));
        let never = || unreachable!("connected at the first re-dial");
        assert_eq!(channel.at(at_ms(71_000), Some(&cut), Some(SimTime::ZERO), never), ChannelState::Failed);
        assert_eq!(channel.at(at_ms(75_028), Some(&cut), Some(SimTime::ZERO), never), ChannelState::Ready);
    }

    #[test]
    fn a_link_back_before_the_worker_ever_probed_is_learnt_at_once() {
        let mut cut = LinkCut::new(1, at_ms(1_000), at_ms(2_000));
        assert_eq!(
            cut.restore(at_ms(1_500), SimDuration::from_millis(700)),
            Learnt { at: at_ms(1_500), after_failure: false }
        );
    }

    #[test]
    fn a_connection_outlives_a_cut_but_is_answered_only_once_the_address_is_learnt() {
        // Connected at 1 s; the link cut at 2 s: at 3 s the connection is still there (no
        // re-dial), stalled; once the address is learnt (the link back at 4 s, the manager's
        // request 0.3 s later) it carries on.
        let mut channel = Channel::new(at_ms(1_000));
        let listening = Some(SimTime::ZERO);
        let never = || unreachable!("no re-dial");
        assert_eq!(channel.at(at_ms(1_500), None, listening, never), ChannelState::Ready);
        let mut cut = LinkCut::new(1, at_ms(2_000), at_ms(2_500));
        assert_eq!(channel.at(at_ms(3_000), Some(&cut), listening, never), ChannelState::Stalled);
        cut.restore(at_ms(4_000), SimDuration::from_millis(300));
        assert_eq!(channel.at(at_ms(4_299), Some(&cut), listening, never), ChannelState::Stalled);
        assert_eq!(channel.at(at_ms(4_300), Some(&cut), listening, never), ChannelState::Ready);
    }

    #[test]
    fn a_dial_that_reaches_a_manager_not_listening_is_refused_and_re_dialled() {
        // Resolutions failing at 9.716 s and every 3.072 s; the link back at 9.9 s and the
        // address learnt at 10 s; the manager listens from 10.5 s: the dial waiting since 9.8 s
        // reaches it at 10 s, refused; the re-dial at 11 s connects.
        let mut cut = LinkCut::new(1, at_ms(0), at_ms(500));
        cut.restore(at_ms(9_900), SimDuration::from_millis(100));
        assert_eq!(cut.dial(at_ms(9_000)), Path::NoRoute(at_ms(9_716)), "failed before the link came back");
        let mut channel = Channel::new(at_ms(9_800));
        let listening = Some(at_ms(10_500));
        let never = || unreachable!("the first re-dial is not jittered");
        assert_eq!(channel.at(at_ms(9_900), Some(&cut), listening, never), ChannelState::Connecting(at_ms(10_000)));
        assert_eq!(channel.at(at_ms(10_999), Some(&cut), listening, never), ChannelState::Failed);
        assert_eq!(channel.at(at_ms(11_000), Some(&cut), listening, never), ChannelState::Ready);
    }
}

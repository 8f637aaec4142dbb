"""Multi-node scenario definitions (stdlib only). Service specs reuse ../scenarios.py (S(), create_argv()).

Each scenario: spec = a ../scenarios.py spec (create command generated from it), steps = timed actions
relative to t = 0 (the first step), end_s = fixed end of recording, or (terminal, tail_s, hard_s) = stop
tail_s after UpdateStatus becomes terminal, at the latest hard_s.
Step kinds: cut NODE (`ip link set mnv-NODE down`, root side of the node's veth: the node goes silent;
its dockerd, containerd and containers keep running), restore NODE (`ip link set mnv-NODE up`),
drain NODE (`docker node update --availability drain NODE`), update ARGS (`docker service update --detach ARGS web`),
activate NODE (`docker node update --availability active NODE`), scale N (`docker service scale --detach web=N`).
Optional keys (m06+): victim (the node manalyse.py follows, i.e. the one cut; default VICTIM),
min_end_s (with terminal: record at least until this t), setup_before / setup_after (steps run before /
after the service is created and has converged, before the recording starts; ("wait", N) waits for N
running tasks).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import scenarios as SC  # noqa: E402

VICTIM = "mn-w2"

M = {}
M["m01-node-down"] = dict(
    spec=SC.S(),   # 6 replicas websim:v1-trap, health interval 1s, restart delay 5s, update defaults
    steps=[(0.0, "cut", VICTIM), (60.0, "restore", VICTIM)],
    end_s=100.0, baseline_s=7.0,   # from r2 on (r1 used 2 s): longer baseline so the last heartbeat before the cut is in the net log
    expect="node DOWN ~13.5-16.5 s after the cut (3 missed 5 s heartbeats); its 2 tasks get replacements "
           "created at once, started after the 5 s restart delay on the 2 surviving nodes; on restore the old "
           "tasks are shut down.")
M["m02-drain"] = dict(
    spec=SC.S(),
    steps=[(0.0, "drain", VICTIM)],
    end_s=30.0, after=[("activate", VICTIM)],
    expect="the 2 tasks on the drained node are shut down and replaced at once (no restart delay) on the other nodes.")
M["m03-update-spread"] = dict(
    spec=SC.S(update=dict(parallelism=2, delay="2s", order="stop-first")),
    steps=[(0.0, "update", ["--image", "websim:v2-trap"])],
    terminal=True, tail_s=15.0, hard_s=120.0,
    expect="3 batches of 2 with 2 s delay; placement of each new task: same node as the task it replaces, or re-spread.")

# ---- m06+ (recorded 2026-12-02). Victim for link cuts: mn-w1 (m01 used mn-w2).
M["m06-node-down-before-update"] = dict(
    victim="mn-w1",
    spec=SC.S(),   # 6 replicas, update parallelism 1 delay 0s stop-first pause monitor 5s
    steps=[(0.0, "cut", "mn-w1"), (5.0, "update", ["--image", "websim:v2-trap"]), (40.0, "restore", "mn-w1")],
    terminal=True, tail_s=20.0, hard_s=150.0, min_end_s=60.0, baseline_s=7.0,
    expect="mn-w1 silent from t=0, update issued at t=5 (before the node is DOWN at ~t=12-15): does the updater pick "
           "w1's tasks while the node is still 'ready' (and stall on them), and what happens when the node goes DOWN "
           "and returns at t=40?")
M["m07-global-node-down"] = dict(
    victim="mn-w1",
    spec=SC.S(mode="global", replicas=3),
    steps=[(0.0, "cut", "mn-w1"), (45.0, "restore", "mn-w1")],
    end_s=85.0, baseline_s=7.0,
    expect="global service, one task per node: when mn-w1 goes DOWN no replacement is created elsewhere; "
           "when it returns, is its old task kept, or shut down and replaced by a new one?")
M["m08-scale-down-balance"] = dict(
    spec=SC.S(),
    setup_before=[("drain", "mn-w1"), ("drain", "mn-w2")],
    setup_after=[("activate", "mn-w1"), ("activate", "mn-w2"), ("scale", 9), ("wait", 9)],
    steps=[(0.0, "scale", 5)],
    end_s=20.0,
    expect="created with 6 replicas while both workers are drained (all 6 on vm), workers re-activated, scaled to 9 "
           "(the 3 new tasks land on the workers: vm 6 + 3 on workers); then 9 -> 5. swarmkit removes the tasks with the "
           "highest per-node copy index (most-loaded node first): expect all 4 removed from vm (vm 2 left), "
           "not the highest slot numbers.")
# ---- m09+ (recorded 2026-12-06). Step kinds added: pause NODE (`docker node update --availability pause NODE`),
# kill_task NODE (`docker -H <NODE's socket> kill <its running web container>`, i.e. SIGKILL), ps NODE (process snapshot
# of the worker's dockerd/containerd/shims + its `docker ps -a`; stored in meta.json, not an action). Optional key
# end_after_ready=(NODE, S): record until S s after NODE is Ready again after the last `start` step (with terminal=True
# also until tail_s after a terminal UpdateStatus), at most hard_s.
M["m09-worker-daemon-kill"] = dict(
    victim="mn-w1",
    spec=SC.S(),   # 6 replicas websim:v1-trap, spread 2/2/2
    setup_after=[("ps", "mn-w1")],
    steps=[(0.0, "kill", "mn-w1"), (1.0, "ps", "mn-w1"), (19.0, "ps", "mn-w1"), (20.0, "start", "mn-w1"),
           (26.0, "ps", "mn-w1")],
    end_after_ready=("mn-w1", 30.0), hard_s=150.0, baseline_s=7.0,
    expect="kill -9 of mn-w1's dockerd: its containerd/shims and containers may survive; the manager sees no heartbeat "
           "and marks the node DOWN after ~12-15 s, creating replacements elsewhere (started after the 5 s restart delay); "
           "on restart (t=20) the daemon finds its old containers (no live-restore) and the node becomes Ready again.")
M["m09b-worker-daemon-kill-during-update"] = dict(
    victim="mn-w1",
    spec=SC.S(),   # update parallelism 1, delay 0s, stop-first, failure action pause, monitor 5s
    setup_after=[("ps", "mn-w1")],
    steps=[(0.0, "update", ["--image", "websim:v2-trap"]), (3.0, "kill", "mn-w1"), (4.0, "ps", "mn-w1"),
           (22.0, "ps", "mn-w1"), (23.0, "start", "mn-w1"), (29.0, "ps", "mn-w1")],
    terminal=True, tail_s=20.0, end_after_ready=("mn-w1", 30.0), hard_s=180.0, baseline_s=7.0,
    expect="as m09, during a parallelism-1 update started 3 s before the kill: does the updater stall on a task of the "
           "dead node (as in m06 for a silent node), and what is the final UpdateStatus?")
M["m10-global-pause-drain"] = dict(
    victim="mn-w2",
    spec=SC.S(mode="global", replicas=3),
    steps=[(0.0, "pause", "mn-w2"), (5.0, "kill_task", "mn-w2"), (15.0, "update", ["--force"]),
           (30.0, "drain", "mn-w1"), (45.0, "activate", "mn-w1"), (45.0, "activate", "mn-w2")],
    end_s=65.0,
    expect="global service, one task per node: pause mn-w2 (t=0), SIGKILL its container (t=5: not replaced, a paused "
           "node takes no new tasks), `service update --force` (t=15: new tasks on vm and mn-w1 only), drain mn-w1 "
           "(t=30: its task shut down, nothing created), both active again at t=45 (new tasks on both).")
# ---- m11+ (recorded 2026-12-06, second session "06b"). Step kinds added: node_rm NODE (`docker node rm --force NODE`),
# wsnap NODE (the node's own daemon: Swarm state from `docker info` + `docker ps -a`; stored in meta.json, not an action),
# rejoin NODE (`swarm leave --force` on the node, then `swarm join` with the worker token: a NEW node ID, same hostname),
# kill_manager (`kill -KILL $(cat /var/run/docker.pid)`: the manager's dockerd, its containerd dies with it),
# start_manager (start_manager.sh: the same dockerd command line and data-root as before), psm (process snapshot of the
# manager's dockerd/containerd/shims + its `docker ps -a`). Steps may have negative offsets (t = 0 is offset 0).
M["m11-node-rm-force"] = dict(
    victim="mn-w2",
    spec=SC.S(),   # 6 replicas websim:v1-trap, spread 2/2/2
    setup_after=[("wsnap", "mn-w2")],
    steps=[(0.0, "node_rm", "mn-w2"), (1.0, "wsnap", "mn-w2"), (10.0, "wsnap", "mn-w2"), (40.0, "wsnap", "mn-w2")],
    end_s=45.0, baseline_s=7.0, after=[("rejoin", "mn-w2")],
    expect="`docker node rm --force` of a live, Ready worker: the node object is deleted at once; its 2 tasks are "
           "orphaned and replaced on vm/mn-w1 (restart delay?); the removed node's daemon loses its swarm membership "
           "(certificate no longer valid): does it stop/remove its containers, and when?")
M["m12-manager-restart"] = dict(
    victim="vm",
    spec=SC.S(),
    setup_after=[("psm", "vm")],
    steps=[(0.0, "kill_manager", "vm"), (1.0, "psm", "vm"), (9.5, "psm", "vm"), (10.0, "start_manager", "vm"),
           (15.0, "psm", "vm")],
    end_s=60.0, baseline_s=7.0,
    expect="the only manager's dockerd is SIGKILLed (its containerd dies, shims and containers survive, unprobed) and "
           "started again at t=10 with the same data-root: raft state is reloaded, the node is leader again; the "
           "dispatcher marks the workers UNKNOWN until they re-register (they reconnect with backoff), the restarted "
           "daemon stops the manager's own 2 containers (no live-restore) and their tasks are replaced after the 5 s "
           "restart delay; the worker containers keep running.")
M["m12b-manager-restart-worker-cut"] = dict(
    victim="mn-w1",
    spec=SC.S(),
    setup_after=[("psm", "vm")],
    steps=[(-5.0, "cut", "mn-w1"), (0.0, "kill_manager", "vm"), (1.0, "psm", "vm"), (9.5, "psm", "vm"),
           (10.0, "start_manager", "vm"), (15.0, "psm", "vm"), (70.0, "restore", "mn-w1")],
    end_s=80.0, baseline_s=7.0,
    expect="as m12, but mn-w1's link is cut 5 s before the kill and stays cut until t=70: after the restart mn-w1 "
           "cannot re-register, so it stays UNKNOWN for the dispatcher's grace period and then goes DOWN; its 2 tasks "
           "are replaced only then.")
# ---- m13+ (recorded 2026-12-07, session "07b"): short link cuts of a worker, shorter than the manager's grace
# (3 x the 5 s heartbeat period). No new step kinds. Baseline 10 s: at least one heartbeat (5 s period) of the victim
# lies in the recorded net log and the log slices (t0 - 10 s) before the cut. Fixed windows (no `start` step, so
# end_after_ready does not apply).
M["m13-brief-link-cut"] = dict(
    victim="mn-w1",
    spec=SC.S(),   # as m01: 6 replicas websim:v1-trap, spread 2/2/2
    steps=[(0.0, "cut", "mn-w1"), (3.0, "restore", "mn-w1")],
    end_s=40.0, baseline_s=10.0,
    expect="mn-w1's link is cut for 3 s, less than the agent's heartbeat RPC timeout (dispatcherRPCTimeout 5 s): a "
           "heartbeat sent into the cut may still complete after the restore (TCP retransmission), so the session "
           "may survive; the manager's grace (15 s) does not expire: the node should stay READY, no task changes.")
M["m13b-link-cut-8s"] = dict(
    victim="mn-w1",
    spec=SC.S(),
    steps=[(0.0, "cut", "mn-w1"), (8.0, "restore", "mn-w1")],
    end_s=40.0, baseline_s=10.0,
    expect="mn-w1's link is cut for 8 s: a heartbeat sent into the cut times out after 5 s (dispatcherRPCTimeout), the "
           "agent's session fails and it re-registers after the restore (backoff + dials that fail on the ARP "
           "clock while the link is down); the manager's grace (3 x 5 s) has not expired at the restore: does the node "
           "stay READY (re-registration before the grace ends) or go DOWN, and does any task change?")
# ---- m14 (recorded 2026-12-07, session "07c"). Step kind added: start_nowait NODE (start_worker.sh in the background,
# recorded as kind `start`: with the manager down the worker's API is served only after its swarm start gives up, 20 s).
M["m14-worker-daemon-restart-manager-down"] = dict(
    victim="mn-w1",
    spec=SC.S(),   # as m12: 6 replicas websim:v1-trap, spread 2/2/2
    setup_after=[("psm", "vm")],
    steps=[(0.0, "kill_manager", "vm"), (2.0, "kill", "mn-w1"), (4.0, "start_nowait", "mn-w1"),
           (10.0, "start_manager", "vm"), (15.0, "psm", "vm")],
    end_s=45.0, baseline_s=7.0,
    expect="as m12 (the only manager's dockerd killed at t=0, started again at t=10), but mn-w1's dockerd is killed at "
           "t=2 and started again at t=4 while the manager is down: its fresh agent starts with backoff 0 (first "
           "session at once, then random waits in [0, 100 ms), [0, 300 ms), ... up to 8 s), while mn-w2's agent has "
           "been failing since t=0: which worker registers first after the manager is leader again, and how long "
           "after it?")
# ---- m15 (recorded 2026-12-07, session "07f"): `docker node rm --force` of a worker running a GLOBAL service's task.
# No new step kinds; spec key poll_s (the manager poll period, 0.05 s here, default 0.15 s) and a new trace file
# traces/NAME.rN.deleted.csv (tasks that vanished from GET /tasks: deleted from the manager's store).
M["m15-global-node-rm"] = dict(
    victim="mn-w2",
    spec=SC.S(mode="global", replicas=3),   # as m07: one task per node
    setup_after=[("wsnap", "mn-w2")],
    steps=[(0.0, "node_rm", "mn-w2"), (1.0, "wsnap", "mn-w2"), (10.0, "wsnap", "mn-w2"), (35.0, "wsnap", "mn-w2")],
    end_s=40.0, baseline_s=7.0, poll_s=0.05, after=[("rejoin", "mn-w2")],
    expect="global service, one task per node; `docker node rm --force` of the live, Ready worker mn-w2: controlapi "
           "RemoveNode orphans its task and deletes the node; the global orchestrator (EventDeleteNode) deletes that "
           "task from the store at once; no replacement anywhere. Does the removed node's agent get the removal (its "
           "container killed and destroyed, as the agent does for a task no longer assigned) or keep it running?")
M["m15b-global-node-rm-down"] = dict(
    victim="mn-w2",
    spec=SC.S(mode="global", replicas=3),
    setup_after=[("wsnap", "mn-w2")],
    steps=[(-25.0, "cut", "mn-w2"), (-1.0, "wsnap", "mn-w2"), (0.0, "node_rm", "mn-w2"), (1.0, "wsnap", "mn-w2"),
           (10.0, "wsnap", "mn-w2"), (30.0, "wsnap", "mn-w2")],
    end_s=35.0, baseline_s=7.0, poll_s=0.05, after=[("restore", "mn-w2"), ("rejoin", "mn-w2")],
    expect="as m15, but mn-w2's link is cut 25 s before the rm (the node is DOWN 11-15 s after the cut, so DOWN at the "
           "rm; its task gets desired shutdown at DOWN and stays `running` in the API, as in m07): at the rm the task is "
           "deleted from the store; the silent node hears nothing (its container keeps running); no replacement.")
# ---- m16 (recorded 2026-12-07, session "07h"): a worker's dockerd killed while Swarm stops one of its containers,
# one that ignores SIGTERM (websim:v1 with `httpd -f` as PID 1, as s09a), stop grace 20 s. One replica, pinned to mn-w1
# by a placement constraint, so that the scale to 0 at t = 0 stops exactly that task. Step kind added: psh NODE (as ps,
# plus the container's own `httpd -f` process, and `docker ps -a` with a 3 s timeout: the daemon's API does not answer
# while it restores). The restart is start_nowait (recorded as `start`): a daemon that stops a SIGTERM-ignoring
# container while it loads serves its API only after that stop.
M16_SPEC = SC.S(image="websim:v1", command=["httpd", "-f", "-p", "8080", "-h", "/www"], replicas=1,
                stop_grace_period="20s", constraints=["node.hostname==mn-w1"])
M["m16-worker-daemon-kill-during-stop"] = dict(
    victim="mn-w1",
    spec=M16_SPEC,
    setup_after=[("psh", "mn-w1")],
    steps=[(0.0, "scale", 0), (1.0, "psh", "mn-w1"), (2.0, "kill", "mn-w1"), (3.0, "psh", "mn-w1"),
           (6.5, "psh", "mn-w1"), (7.0, "start_nowait", "mn-w1"), (9.0, "psh", "mn-w1"), (14.0, "psh", "mn-w1"),
           (21.0, "psh", "mn-w1"), (30.0, "psh", "mn-w1")],
    end_s=50.0, baseline_s=7.0, poll_s=0.05,
    expect="scale 1 -> 0 at t=0: the agent SIGTERMs the task's container (httpd as PID 1 ignores it; SIGKILL due at "
           "t~20); mn-w1's dockerd is SIGKILLed at t=2 (containerd with it, the shim and the container survive) and started "
           "again at t=7, within the grace period. Does the old SIGKILL ever come (t~20)? The new daemon stops what it "
           "finds running while it loads (no live-restore): SIGTERM, then SIGKILL after the container's stop timeout "
           "(a swarm container has no Config.StopTimeout: 10 s default, not the service's 20 s grace?), and only then "
           "does its API and agent come up. What does the agent report for the task, and when is it deleted?")
M["m16b-worker-daemon-kill-during-stop-late"] = dict(
    victim="mn-w1",
    spec=M16_SPEC,
    setup_after=[("psh", "mn-w1")],
    steps=[(0.0, "scale", 0), (1.0, "psh", "mn-w1"), (2.0, "kill", "mn-w1"), (3.0, "psh", "mn-w1"),
           (19.0, "psh", "mn-w1"), (25.0, "psh", "mn-w1"), (31.5, "psh", "mn-w1"), (32.0, "start_nowait", "mn-w1"),
           (34.0, "psh", "mn-w1"), (39.0, "psh", "mn-w1"), (46.0, "psh", "mn-w1"), (55.0, "psh", "mn-w1")],
    end_s=75.0, baseline_s=7.0, poll_s=0.05,
    expect="as m16, but the dockerd is started again at t=32, after the grace period would have ended (t~20): the node "
           "goes DOWN meanwhile (~t=13-17); the container keeps running, unsignalled, until the new daemon stops it.")
M["m16c-worker-daemon-kill-during-stop-grace5"] = dict(
    victim="mn-w1",
    spec=SC.S(image="websim:v1", command=["httpd", "-f", "-p", "8080", "-h", "/www"], replicas=1,
              stop_grace_period="5s", constraints=["node.hostname==mn-w1"]),
    setup_after=[("psh", "mn-w1")],
    steps=[(0.0, "scale", 0), (1.0, "psh", "mn-w1"), (2.0, "kill", "mn-w1"), (3.0, "psh", "mn-w1"),
           (6.5, "psh", "mn-w1"), (7.0, "start_nowait", "mn-w1"), (9.0, "psh", "mn-w1"), (14.0, "psh", "mn-w1"),
           (21.0, "psh", "mn-w1"), (30.0, "psh", "mn-w1")],
    end_s=50.0, baseline_s=7.0, poll_s=0.05,
    expect="as m16 with a 5 s grace period (SIGKILL due at t~6.2, after the kill at t=2): is the restarted daemon's "
           "stop (started at t=7) 10 s long (the container's default stop timeout), i.e. longer than the service's grace?")
# ---- m17 (recorded 2026-12-07, session "07i"): the service's tasks on a worker whose dockerd is dead are removed
# (`service rm`) or scaled away. 3 replicas of websim:v1-trap (exits 0 at once on SIGTERM) pinned to mn-w1, so that
# every task is on the dead daemon's node. Step kinds added: service_rm (`docker service rm web`), pst (psh for v1-trap
# containers: their `httpd -p 8080`). Spec key poll_by_id: the task poll is an unfiltered GET /tasks kept to the
# service's ID (a `service` filter fails once the service is removed; ../record.py's s38).
M17_SPEC = SC.S(replicas=3, constraints=["node.hostname==mn-w1"])
M17_STEPS = [(0.0, "kill", "mn-w1"), (1.0, "pst", "mn-w1"), (3.0, "service_rm", None), (4.0, "pst", "mn-w1"),
             (20.0, "pst", "mn-w1"), (24.5, "pst", "mn-w1"), (25.0, "start_nowait", "mn-w1"), (27.0, "pst", "mn-w1"),
             (30.0, "pst", "mn-w1"), (40.0, "pst", "mn-w1")]
M["m17-service-rm-worker-daemon-dead"] = dict(
    victim="mn-w1",
    spec=M17_SPEC,
    setup_after=[("pst", "mn-w1")],
    steps=M17_STEPS,
    end_s=50.0, baseline_s=7.0, poll_s=0.05, poll_by_id=True,
    expect="mn-w1's dockerd SIGKILLed at t=0 (containerd with it; shims and containers survive); `docker service rm "
           "web` at t=3: every task gets desired REMOVE; are they deleted at once (no agent to report), at DOWN "
           "(~t=12-16), or only when the node is back? Nothing can signal the containers while the daemon is down. "
           "The dockerd is started again at t=25 (after DOWN): it stops the containers it finds running while it loads "
           "(restore; v1-trap exits 0 on SIGTERM at once), its agent registers, and then: does it report the tasks "
           "(shutdown) or find them gone (no assignment) and remove the containers?")
M["m17b-scale0-worker-daemon-dead"] = dict(
    victim="mn-w1",
    spec=M17_SPEC,
    setup_after=[("pst", "mn-w1")],
    steps=[(off, "scale", 0) if kind == "service_rm" else (off, kind, arg) for off, kind, arg in M17_STEPS],
    end_s=50.0, baseline_s=7.0, poll_s=0.05, poll_by_id=True,
    expect="as m17 with `docker service scale --detach web=0` at t=3: the tasks stay in the store with desired "
           "REMOVE (the service remains); when are they deleted (reaper: only once past COMPLETE?), what does the "
           "restarted daemon and agent do with the containers?")
M["m17c-scale-up-rm-worker-daemon-dead"] = dict(
    victim="mn-w1",
    spec=M17_SPEC,
    setup_after=[("pst", "mn-w1")],
    steps=[(0.0, "kill", "mn-w1"), (1.0, "pst", "mn-w1"), (1.5, "scale", 6)]
          + [(off, kind, arg) for off, kind, arg in M17_STEPS if off >= 3.0],
    end_s=50.0, baseline_s=7.0, poll_s=0.05, poll_by_id=True,
    expect="as m17, with `docker service scale --detach web=6` at t=1.5, between the kill and the rm: the three new "
           "tasks are assigned to mn-w1 (still Ready: not yet DOWN) but never reach its dead agent; the rm gives them "
           "desired REMOVE in state ASSIGNED, which the reaper does not delete (it deletes only tasks not yet "
           "assigned or past COMPLETE). When the agent is back: are they started (a container created) or shut down "
           "without one?")
M["m17d-node-rm-worker-daemon-dead"] = dict(
    victim="mn-w1",
    spec=M17_SPEC,
    setup_after=[("pst", "mn-w1")],
    steps=[(off, "node_rm", "mn-w1") if kind == "service_rm" else (off, kind, arg) for off, kind, arg in M17_STEPS],
    end_s=50.0, baseline_s=7.0, poll_s=0.05, poll_by_id=True, after=[("rejoin", "mn-w1")],
    expect="as m17 with `docker node rm --force mn-w1` at t=3 instead of the service rm (the node is still Ready: its "
           "heartbeat has not yet failed): its tasks are orphaned or deleted, replacements stay pending (the constraint "
           "names the removed node). The dockerd started at t=25 stops its containers while it loads; its agent "
           "belongs to a removed node: is it refused, and are the exited containers removed? After the recording "
           "mn-w1 leaves (--force) and joins again (a new node ID), as m11.")
# ---- m18 (recorded 2026-12-07, session "07k"): the only manager's dockerd killed and started again (as m12), while
# its own two tasks run an image that ignores SIGTERM (websim:v1 with `httpd -f` as PID 1, as m16/s09a). Step kind
# added: start_manager_nowait (start_manager.sh in the background, recorded as `start_manager`): the restarted daemon
# stops the surviving containers while it loads (no live-restore; 10 s before the SIGKILL) and only then starts its
# swarm component and API, so start_manager.sh (which waits for the API) would hold up the steps after it.
M["m18-manager-restart-sigterm-ignored"] = dict(
    victim="vm",
    spec=SC.S(image="websim:v1", command=["httpd", "-f", "-p", "8080", "-h", "/www"]),   # as m12: 6 replicas, spread
    # 2/2/2, health interval 1 s, restart delay 5 s, stop grace 10 s, update defaults; only the image/command differ
    setup_after=[("psm", "vm")],
    steps=[(0.0, "kill_manager", "vm"), (1.0, "psm", "vm"), (9.5, "psm", "vm"), (10.0, "start_manager_nowait", "vm"),
           (15.0, "psm", "vm"), (25.0, "psm", "vm")],
    end_s=70.0, baseline_s=7.0,
    expect="as m12 (the only manager's dockerd SIGKILLed at t=0, started again at t=10), but the manager's 2 containers "
           "ignore SIGTERM: the restarted daemon's restore SIGTERMs them at ~t=10.2 and SIGKILLs them 10 s later (exit "
           "137); moby starts the swarm component (createAndStartCluster) only after NewDaemon's restore, so the raft "
           "leader, the :2377 listener and the dispatcher should come ~10 s later than in m12 (~t=20.5), the workers' "
           "sessions failing until then; the 2 tasks failed/replaced after the 5 s restart delay.")
# ---- m19 (recorded 2026-12-07, session "07p"): a crash loop on three nodes. The service is CREATED at t = 0 (key
# create_at_t0: no create/convergence before the recording; step kind `create` runs the spec's create command and
# t = 0 is when it was issued). Question: with the failures of the service's version counted per node (swarmkit
# scheduler nodeLess: a node with >= 5 failures within 5 min loses to one with fewer, before load), do a scheduling
# pass's replacements all go to the node that failed least, as the model predicts?
M["m19-crash-loop-3nodes"] = dict(
    spec=SC.S(image="websim:crash", replicas=9, health=SC.HC_TUT,
              restart=dict(condition="any", delay="1s", max_attempts=0, window="0s")),   # s34's health/restart flags
    create_at_t0=True,
    steps=[(0.0, "create", None)],
    end_s=60.0, baseline_s=2.0,
    expect="9 replicas of websim:crash (exits 1 ~1 s after start, restart delay 1 s) created at t=0, spread 3/3/3; every "
           "task fails, each slot restarts every ~2.3 s; once a node has >= 5 recent failures the scheduler prefers the "
           "node with fewer failures: do the replacements pile onto the least-failed node?")
# ---- m20-m20c (recorded 2026-12-08, session "08", helper rec34): which slots a replicated scale-down of MORE than 12
# slots keeps. swarmkit replicated/services.go `reconcile` sorts the slots running-first then by slot number, numbers
# each single-task slot as the nth copy on its node, then sort.Sort()s them by that number and keeps the first
# `replicas`. Go 1.19's sort.Sort is an insertion sort up to 12 elements (stable) but pdqsort above (not stable): the
# ties between nodes are broken by pdqsort. The layout is built as m08's, one block of slots per node (so it is the
# same in every run): both workers drained, the create all on vm, then mn-w1 activated and the service scaled (the new
# slots all go to mn-w1, which has none), then mn-w2 likewise. notes/rec34_pdqsort.py computes what each sort keeps.
def _blocks(first, second, third):
    return dict(setup_before=[("drain", "mn-w1"), ("drain", "mn-w2")],
                setup_after=[("activate", "mn-w1"), ("scale", first + second), ("wait", first + second),
                             ("activate", "mn-w2"), ("scale", first + second + third),
                             ("wait", first + second + third)])


M["m20-scale-down-15-to-8"] = dict(
    spec=SC.S(replicas=5), **_blocks(5, 5, 5),
    steps=[(0.0, "scale", 8)], end_s=20.0,
    expect="15 slots in blocks (vm 1-5, mn-w1 6-10, mn-w2 11-15; per-node copy index 1..5 each), scaled to 8: the 6 "
           "slots of index 1-2 stay and 2 of the 3 of index 3 (slots 3, 8, 13). Go 1.19 pdqsort (rec34_pdqsort.py) "
           "keeps 3 and 13 (vm 3, mn-w1 2, mn-w2 3); a stable sort keeps 3 and 8 (mn-w1 3, mn-w2 2).")
M["m20b-scale-down-20-to-10"] = dict(
    spec=SC.S(replicas=7), **_blocks(7, 7, 6),
    steps=[(0.0, "scale", 10)], end_s=20.0,
    expect="20 slots in blocks (vm 1-7, mn-w1 8-14, mn-w2 15-20), scaled to 10: index 1-3 stay (9 slots) and 1 of the 3 "
           "of index 4 (slots 4, 11, 18). pdqsort keeps 11 (mn-w1 4); a stable sort keeps 4 (vm 4).")
M["m20c-scale-down-14-to-8"] = dict(
    spec=SC.S(replicas=5), **_blocks(5, 5, 4),
    steps=[(0.0, "scale", 8)], end_s=20.0,
    expect="14 slots in blocks (vm 1-5, mn-w1 6-10, mn-w2 11-14), scaled to 8: index 1-2 stay and 2 of the 3 of index 3 "
           "(slots 3, 8, 13). pdqsort keeps 3 and 13 (mn-w2 3); a stable sort keeps 3 and 8 (mn-w1 3).")
M["m20d-scale-down-15-to-7"] = dict(
    spec=SC.S(replicas=5), **_blocks(5, 5, 5),
    steps=[(0.0, "scale", 7)], end_s=20.0,
    expect="the control for m20: the same 15 slots scaled to 7: index 1-2 stay and 1 of the 3 of index 3 (slots 3, 8, "
           "13). pdqsort and a stable sort both keep 3 (vm 3, mn-w1 2, mn-w2 2).")
M["m20e-scale-down-update-15-to-7"] = dict(
    spec=SC.S(replicas=5), **_blocks(5, 5, 5),
    steps=[(0.0, "update", ["--replicas", "7", "--image", "websim:v2-trap"])],
    terminal=True, tail_s=10.0, hard_s=120.0,
    expect="m20d's scale-down to 7 together with an image update (one `docker service update`): reconcile keeps slots "
           "1 2 3 6 7 11 12 (both sorts agree) and hands the updater sortedSlots[:7] in the sorted order, so the "
           "parallelism-1 update takes them in that order: pdqsort 11 1 6 2 7 12 3, a stable sort 1 6 11 2 7 12 3.")
# ---- m21-m21c (recorded 2026-12-08, session "08c", helper fid38): swarmkit's constraint enforcer
# (manager/orchestrator/constraintenforcer/constraint_enforcer.go rejectNoncompliantTasks) runs on every node update and,
# for an ACTIVE node only, sets each of its tasks whose service's CURRENT constraints the node no longer meets to
# REJECTED ("assigned node no longer meets constraints"). Step kinds label_add / label_rm ("NODE KEY=VAL" / "NODE KEY").
# Every node is labelled tier=web before the create; the label stays on vm and mn-w2 (the next run's setup adds it
# back on mn-w1).
_LABELS = [("label_add", "vm tier=web"), ("label_add", "mn-w1 tier=web"), ("label_add", "mn-w2 tier=web")]
M["m21-label-rm-active"] = dict(
    victim="mn-w1",
    spec=SC.S(constraints=["node.labels.tier==web"]),   # 6 replicas, spread 2/2/2, restart delay 5 s
    setup_before=_LABELS,
    steps=[(0.0, "label_rm", "mn-w1 tier")],
    end_s=30.0,
    expect="the label removed from an active node: its 2 tasks REJECTED by the constraint enforcer (task rejected by "
           "constraint enforcer / assigned node no longer meets constraints), replaced on vm and mn-w2 after the 5 s "
           "restart delay (the restart supervisor); when are the old containers stopped?")
M["m21b-label-rm-paused"] = dict(
    victim="mn-w1",
    spec=SC.S(constraints=["node.labels.tier==web"]),
    setup_before=_LABELS,
    steps=[(0.0, "pause", "mn-w1"), (5.0, "label_rm", "mn-w1 tier"), (15.0, "activate", "mn-w1")],
    end_s=45.0,
    expect="mn-w1 paused, then its label removed (the enforcer skips a paused node: nothing), then made active again at "
           "t=15: its 2 tasks REJECTED then, replaced on vm and mn-w2 after the restart delay.")
M["m21c-constraint-add-then-label-rm"] = dict(
    victim="mn-w1",
    spec=SC.S(),   # no constraint at create
    setup_before=_LABELS,
    steps=[(0.0, "update", ["--constraint-add", "node.labels.tier==web"]), (10.0, "label_rm", "mn-w1 tier")],
    end_s=40.0,
    expect="a constraint every node meets added by an update at t=0: are the tasks replaced (IsTaskDirty)? Then mn-w1's "
           "label removed at t=10: the enforcer uses the service's current constraints (not the task's): its tasks "
           "REJECTED, as in m21.")
ORDER = list(M)

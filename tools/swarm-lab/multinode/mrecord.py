#!/usr/bin/env python3
"""Record one run of one multi-node scenario (see mscenarios.py, README.md).

usage: mrecord.py SCENARIO RUN
       mrecord.py --normalise SCENARIO RUN

Sources, all recorded simultaneously:
  * manager Engine API poll every 0.15 s: GET /tasks?filters={"service":["web"]}, GET /services/web, GET /nodes
    (every new task (ID, Version.Index) kept in full; every change of a node's state/availability/message kept)
  * `docker events` on EVERY daemon (manager: container+service+node events; workers: container events)
  * GET /info on every daemon every 1 s (each daemon's own view: Swarm.LocalNodeState / Error)
  * 2026-12-07n: at the end, `docker inspect` of every container of the service each daemon's stream or the task
    poll saw there (raw/NAME.rN.inspect.json, per daemon); a `start`/`die` a re-attached stream lost is added to
    containers.csv from the container's State, marked `inspect` in a last column `source` (../record.py
    merge_inspected).
stdlib only; helpers are imported from ../record.py.
"""
import csv
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import record as R          # noqa: E402  (../record.py)
import scenarios as SC      # noqa: E402  (../scenarios.py)
import mscenarios as MS     # noqa: E402

D = SC.DOCKER
SVC = SC.SERVICE
POLL_S = 0.15
SERVICE_ID = None   # 2026-12-07i (m17+): set when the scenario has poll_by_id (see Recorder._poll)
INFO_S = 1.0
RAW = os.path.join(HERE, "raw")
TRACES = os.path.join(HERE, "traces")
SOCKS = {"vm": "/var/run/docker.sock", "mn-w1": "/tmp/mn/w1/docker.sock", "mn-w2": "/tmp/mn/w2/docker.sock"}
MANAGER = "vm"
log = R.log
run = R.run


class Api(R.Api):
    def __init__(self, path="/var/run/docker.sock"):
        self.path = path
        self.c = R.UnixHTTP(path)

    def get(self, path):
        for attempt in range(3):
            try:
                self.c.request("GET", path)
                r = self.c.getresponse()
                body = r.read()
                return r.status, (json.loads(body) if body else None)
            except (R.http.client.HTTPException, OSError):
                self.c.close()
                self.c = R.UnixHTTP(self.path)
                if attempt == 2:
                    raise
        return None, None

    def nodes(self):
        st, b = self.get("/nodes")
        return b if st == 200 else []


def dk(node):
    return [D, "-H", "unix://" + SOCKS[node]]


def containers_on(node):
    p = run(dk(node) + ["ps", "-aq", "--filter", f"label=com.docker.swarm.service.name={SVC}"])
    return [x for x in p.stdout.split() if x]


def node_ids(api):
    return {n["Description"]["Hostname"]: n["ID"] for n in api.nodes()}


def ensure_cluster(api, timeout=180):
    """links up, every node Ready + Active, service gone, no service containers on any daemon."""
    for w in ("mn-w1", "mn-w2"):
        run(["ip", "link", "set", "mnv-" + w.replace("mn-", ""), "up"])
    for n in api.nodes():
        if n["Spec"].get("Availability") != "active":
            run([D, "node", "update", "--availability", "active", n["ID"]])
    if api.service() is not None:
        run([D, "service", "rm", SVC])
    t_end = time.time() + timeout
    while time.time() < t_end:
        ns = api.nodes()
        ok_nodes = len(ns) == 3 and all(n["Status"]["State"] == "ready" and n["Spec"]["Availability"] == "active"
                                        for n in ns)
        left = {h: containers_on(h) for h in SOCKS}
        if ok_nodes and api.service() is None and not any(left.values()):
            return True
        time.sleep(1)
    log("WARNING: cluster not clean:", [(n["Description"]["Hostname"], n["Status"]["State"]) for n in api.nodes()],
        {h: containers_on(h) for h in SOCKS})
    return False


class Recorder:
    def __init__(self):
        self.stop = threading.Event()
        self.task_versions, self.seen = [], set()
        self.service_log, self.last_us = [], "<init>"
        self.node_log, self.last_node = [], {}
        self.info_log, self.last_info = [], {}
        self.events = []
        self.poll_count, self.poll_dt = 0, []
        self.terminal_at = self.terminal_state = None
        self.baseline_us = None
        self.armed = False
        self.procs = []
        self.stream_breaks = []
        self.api_log, self.last_api = [], None
        # 2026-12-07f (m15+): which task IDs each successful poll listed (as ../record.py since 2026-12-07d), to see
        # when a task is deleted from the manager's store (m15: the global orchestrator on `node rm`)
        self.prev_ids, self.prev_tp = None, None
        self.presence = []           # {"task_id", "slot", "node_id", "event": appeared|gone, "t_before", "t_after"}

    def start(self):
        for node in SOCKS:
            threading.Thread(target=self._events_loop, args=(node,), daemon=True).start()
        threading.Thread(target=self._poll, daemon=True).start()
        threading.Thread(target=self._info, daemon=True).start()
        threading.Thread(target=self._net, daemon=True).start()

    def _events_loop(self, node):
        """`docker events` on one daemon; if the stream breaks (daemon killed), re-attach with --since the
        last event received (a restarted daemon replays what it has buffered since it came up)."""
        since, seen = None, set()
        while not self.stop.is_set():
            argv = dk(node) + ["events", "--format", "{{json .}}", "--filter", "type=container"]
            if node == MANAGER:
                argv += ["--filter", "type=service", "--filter", "type=node"]
            if since is not None:
                argv += ["--since", f"{since:.9f}"]
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
            self.procs.append(p)
            for line in p.stdout:
                now = time.time()
                line = line.strip()
                if not line:
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("Action", "").startswith("exec_create"):
                    continue
                key = (ev.get("id"), ev.get("timeNano"), ev.get("Action"))
                if key in seen:
                    continue
                seen.add(key)
                since = ev.get("timeNano", now * 1e9) / 1e9
                self.events.append({"t_recv": now, "daemon": node, "ev": ev})
            p.wait()
            if self.stop.is_set():
                break
            if since is None:
                since = time.time()
            self.stream_breaks.append({"t": time.time(), "daemon": node, "rc": p.returncode})
            time.sleep(0.5)

    def _net(self):
        """Packet counters of the root-side veths every 0.05 s (rx = sent BY the worker). In steady state the
        only worker->manager traffic is the agent's heartbeat, so this dates the last heartbeat before a cut."""
        self.net_log = []
        last = {}
        while not self.stop.is_set():
            now = time.time()
            for w in ("w1", "w2"):
                d = f"/sys/class/net/mnv-{w}/statistics/"
                try:
                    cur = tuple(int(open(d + k).read()) for k in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes"))
                except OSError:
                    continue
                if last.get(w) != cur:
                    if w in last:
                        self.net_log.append({"t": now, "dev": "mnv-" + w, "rx_packets": cur[0] - last[w][0],
                                             "rx_bytes": cur[1] - last[w][1], "tx_packets": cur[2] - last[w][2],
                                             "tx_bytes": cur[3] - last[w][3]})
                    last[w] = cur
            time.sleep(0.05)

    def _poll(self):
        api = Api(SOCKS[MANAGER])
        while not self.stop.is_set():
            t_a = time.time()
            # 2026-12-06b: a poll counts only if all three requests answered 200 (while the manager daemon is down
            # or has no leader yet it does not); every change of the answer kind goes to raw/NAME.rN.api.jsonl
            try:
                if SERVICE_ID is None:
                    f = urllib.parse.quote(json.dumps({"service": [SVC]}))
                    st_t, tasks = api.get(f"/tasks?filters={f}")
                else:
                    # 2026-12-07i (m17+, as ../record.py's poll_by_id since s38): an UNFILTERED GET /tasks kept to
                    # the service's ID, since the daemon resolves a `service` filter through the service object and
                    # a filtered poll fails once the service is removed, while its tasks stay in the store
                    st_t, tasks = api.get("/tasks")
                    if st_t == 200:
                        tasks = [t for t in tasks if t.get("ServiceID") == SERVICE_ID]
                st_s, svc = api.get(f"/services/{SVC}")
                st_n, nodes = api.get("/nodes")
                ans = (st_t, st_s, st_n, "" if st_n == 200 else str((nodes or {}).get("message", ""))[:120])
            except Exception as e:
                ans = (None, None, None, "unreachable: " + type(e).__name__ + " " + str(e)[:80])
            if ans != self.last_api:
                self.last_api = ans
                self.api_log.append({"t": time.time(), "tasks": ans[0], "service": ans[1], "nodes": ans[2],
                                     "detail": ans[3]})
            if ans[0] != 200 or ans[2] != 200 or ans[1] not in (200, 404):
                time.sleep(POLL_S)
                continue
            svc = svc if st_s == 200 else None
            t_b = time.time()
            tp = (t_a + t_b) / 2
            self.poll_count += 1
            self.poll_dt.append(t_b - t_a)
            ids = {t["ID"]: (t.get("Slot") or "", t.get("NodeID", "")) for t in tasks}
            if self.prev_ids is not None:
                for tid in sorted(self.prev_ids.keys() - ids.keys()):
                    self.presence.append(dict(task_id=tid, slot=self.prev_ids[tid][0], node_id=self.prev_ids[tid][1],
                                              event="gone", t_before=self.prev_tp, t_after=tp))
                for tid in sorted(ids.keys() - self.prev_ids.keys()):
                    self.presence.append(dict(task_id=tid, slot=ids[tid][0], node_id=ids[tid][1],
                                              event="appeared", t_before=self.prev_tp, t_after=tp))
            self.prev_ids, self.prev_tp = ids, tp
            for t in tasks:
                key = (t["ID"], t["Version"]["Index"])
                if key not in self.seen:
                    self.seen.add(key)
                    self.task_versions.append({"t_poll": tp, "task": t})
            for n in nodes:
                cur = (n["Status"].get("State"), n["Spec"].get("Availability"), n["Status"].get("Message", ""),
                       n["Status"].get("Addr", ""))
                if self.last_node.get(n["ID"]) != cur:
                    self.last_node[n["ID"]] = cur
                    self.node_log.append({"t_poll": tp, "node": n})
            us = (svc or {}).get("UpdateStatus")
            if us != self.last_us:
                self.last_us = us
                self.service_log.append({"t_poll": tp, "UpdateStatus": us,
                                         "SpecVersion": (svc or {}).get("Version", {}).get("Index")})
                st = (us or {}).get("State")
                if self.armed and st in R.TERMINAL and us != self.baseline_us and self.terminal_at is None:
                    self.terminal_at, self.terminal_state = tp, st
            dt = POLL_S - (time.time() - t_a)
            if dt > 0:
                time.sleep(dt)

    def _info(self):
        apis = {h: Api(s) for h, s in SOCKS.items()}
        while not self.stop.is_set():
            t_a = time.time()
            for h, a in apis.items():
                try:
                    st, info = a.get("/info")
                except Exception as e:
                    info = {"Swarm": {"Error": "API unreachable: " + str(e)[:80]}}
                sw = (info or {}).get("Swarm", {}) or {}
                cur = {"LocalNodeState": sw.get("LocalNodeState"), "Error": sw.get("Error"),
                       "ControlAvailable": sw.get("ControlAvailable"), "Nodes": sw.get("Nodes"),
                       "ContainersRunning": (info or {}).get("ContainersRunning")}
                if self.last_info.get(h) != cur:
                    self.last_info[h] = cur
                    self.info_log.append({"t_poll": time.time(), "daemon": h, "info": cur})
            dt = INFO_S - (time.time() - t_a)
            if dt > 0:
                time.sleep(dt)

    def finish(self):
        self.stop.set()
        time.sleep(1.2)
        for p in self.procs:       # our own children, by pid
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


def do_step(kind, arg):
    if kind == "cut":
        argv = ["ip", "link", "set", "mnv-" + arg.replace("mn-", ""), "down"]
    elif kind == "restore":
        argv = ["ip", "link", "set", "mnv-" + arg.replace("mn-", ""), "up"]
    elif kind == "drain":
        argv = [D, "node", "update", "--availability", "drain", arg]
    elif kind == "activate":
        argv = [D, "node", "update", "--availability", "active", arg]
    elif kind == "scale":     # arg = replica count
        argv = [D, "service", "scale", "--detach", f"{SVC}={arg}"]
    elif kind == "kill":      # SIGKILL the worker's dockerd (its containerd child has Pdeathsig)
        argv = ["kill", "-KILL", open(f"/tmp/mn/w{arg[-1]}/dockerd.pid").read().strip()]
    elif kind == "start":     # restart the worker's dockerd (same data-root: rejoins the swarm by itself)
        argv = [os.path.join(HERE, "start_worker.sh"), arg[-1]]
    elif kind == "start_nowait":  # 2026-12-07c (m14): as `start`, but in the background: a worker dockerd started
        # while the manager is down serves its API only when its swarm node is ready or after moby's 20 s
        # swarmConnectTimeout (daemon/cluster: Cluster.Start), and start_worker.sh waits for the API, which would
        # hold up the next step. Recorded as kind `start` (the action is the same); its cmd shows the difference.
        n = arg[-1]
        argv = ["sh", "-c", f"{os.path.join(HERE, 'start_worker.sh')} {n} >/tmp/mn/w{n}/start_nowait.out 2>&1 &"]
    elif kind == "update":
        argv = [D, "service", "update", "--detach"] + list(arg) + [SVC]
    elif kind == "create":    # 2026-12-07p (m19): the service's create command (arg = the spec) is the action
        argv = SC.create_argv(arg)
    # ---- 2026-12-06 (m09, m10)
    elif kind == "pause":
        argv = [D, "node", "update", "--availability", "pause", arg]
    elif kind in ("label_add", "label_rm"):   # 2026-12-08c (m21): `docker node update --label-add KEY=VAL NODE` /
        # `--label-rm KEY NODE`; arg = "NODE KEY=VAL" / "NODE KEY"
        node, lab = arg.split()
        argv = [D, "node", "update", "--" + kind.replace("_", "-"), lab, node]
    elif kind == "kill_task":   # SIGKILL (docker kill) the running container of service web on node `arg`
        cids = run(dk(arg) + ["ps", "-q", "--no-trunc", "--filter", f"label=com.docker.swarm.service.name={SVC}",
                              "--filter", "status=running"]).stdout.split()
        argv = dk(arg) + ["kill"] + cids[:1]
    elif kind == "ps":          # snapshot of the worker's dockerd / containerd / shim processes (not an action)
        argv = ["sh", "-c", f"ps -eo pid,ppid,etimes,stat,args | grep -E '/tmp/mn/w{arg[-1]}/|dockerd.pid' "
                            f"| grep -v -E 'grep|sh -c'; echo containers:; {D} -H unix://{SOCKS[arg]} ps -a "
                            f"--format '{{{{.ID}}}} {{{{.Status}}}} {{{{.Names}}}}' 2>&1 | head -20"]
    elif kind == "psh":         # 2026-12-07h (m16): as ps, plus the containers' `httpd -f` processes; docker ps -a with
        # a timeout (a restarting daemon accepts connections but answers only after it has loaded its containers)
        argv = ["sh", "-c", f"ps -eo pid,ppid,etimes,stat,args | grep -E '/tmp/mn/w{arg[-1]}/|dockerd.pid|httpd -f' "
                            f"| grep -v -E 'grep|sh -c'; echo containers:; timeout 3 {D} -H unix://{SOCKS[arg]} ps -a "
                            f"--format '{{{{.ID}}}} {{{{.Status}}}} {{{{.Names}}}}' 2>&1 | head -20"]
    elif kind == "pst":         # 2026-12-07i (m17): as psh, for websim:v1-trap containers (`httpd -p 8080` daemonised,
        # the trap shell as PID 1)
        argv = ["sh", "-c", f"ps -eo pid,ppid,etimes,stat,args | grep -E '/tmp/mn/w{arg[-1]}/|dockerd.pid|httpd -p' "
                            f"| grep -v -E 'grep|sh -c'; echo containers:; timeout 3 {D} -H unix://{SOCKS[arg]} ps -a "
                            f"--format '{{{{.ID}}}} {{{{.Status}}}} {{{{.Names}}}}' 2>&1 | head -20"]
    elif kind == "service_rm":  # 2026-12-07i (m17): `docker service rm web`
        argv = [D, "service", "rm", SVC]
    # ---- 2026-12-06b (m11, m12, m12b)
    elif kind == "node_rm":     # `docker node rm --force NODE` (the node is live and Ready)
        argv = [D, "node", "rm", "--force", arg]
    elif kind == "wsnap":       # the node's own daemon: its Swarm section of /info and its `docker ps -a` (not an action)
        argv = ["sh", "-c", f"{D} -H unix://{SOCKS[arg]} info --format "
                            f"'LocalNodeState={{{{.Swarm.LocalNodeState}}}} NodeID={{{{.Swarm.NodeID}}}} "
                            f"Error={{{{.Swarm.Error}}}} ControlAvailable={{{{.Swarm.ControlAvailable}}}} "
                            f"ContainersRunning={{{{.ContainersRunning}}}}' 2>&1; echo containers:; "
                            f"{D} -H unix://{SOCKS[arg]} ps -a --format '{{{{.ID}}}} {{{{.Status}}}} {{{{.Names}}}}' 2>&1 | head -20"]
    elif kind == "rejoin":      # the node leaves (--force) and joins again with the worker token (new node ID)
        tok = run([D, "swarm", "join-token", "-q", "worker"]).stdout.strip()
        i = arg[-1]
        argv = ["sh", "-c", f"{D} -H unix://{SOCKS[arg]} swarm leave --force; "
                            f"{D} -H unix://{SOCKS[arg]} swarm join --advertise-addr 10.77.0.1{i} "
                            f"--listen-addr 10.77.0.1{i}:2377 --token \"$TOKEN\" 10.77.0.1:2377"]
        t_a = time.time()
        p = subprocess.run(argv, capture_output=True, text=True,
                           env=dict(os.environ, TOKEN=tok))   # the token never goes into meta.json
        t_b = time.time()
        return dict(kind=kind, target=arg, cmd=SC.shell(argv), t_issued=t_a, t_returned=t_b, rc=p.returncode,
                    stdout=p.stdout.strip(), stderr=p.stderr.strip())
    elif kind == "kill_manager":   # SIGKILL the manager's dockerd (its containerd child dies with it)
        argv = ["kill", "-KILL", open("/var/run/docker.pid").read().strip()]
    elif kind == "start_manager":  # start it again identically (same flags and data-root), see start_manager.sh
        argv = [os.path.join(HERE, "start_manager.sh")]
    elif kind == "start_manager_nowait":  # 2026-12-07k (m18): start_manager.sh in the background. A manager dockerd
        # whose restore stops a SIGTERM-ignoring container serves its API only after that stop (moby NewDaemon →
        # restore → shutdownContainer, 10 s), and start_manager.sh waits for the API, which would hold up the next
        # steps. Recorded as kind `start_manager` (the action is the same); its cmd shows the difference.
        argv = ["sh", "-c", f"{os.path.join(HERE, 'start_manager.sh')} >/tmp/dockerd/start_nowait.out 2>&1 &"]
    elif kind == "psm":         # snapshot of the manager's dockerd / containerd / shim processes + its `docker ps -a`
        argv = ["sh", "-c", "ps -eo pid,ppid,etimes,stat,args | grep -E 'dockerd|containerd' "
                            "| grep -v -E 'grep|sh -c|/tmp/mn/'; echo containers:; "
                            f"timeout 3 {D} ps -a --format '{{{{.ID}}}} {{{{.Status}}}} {{{{.Names}}}}' 2>&1 | head -20"]
    else:
        raise ValueError(kind)
    t_a = time.time()
    p = run(argv)
    t_b = time.time()
    return dict(kind={"start_nowait": "start", "start_manager_nowait": "start_manager"}.get(kind, kind), target=arg if isinstance(arg, str) else SVC,
                cmd=SC.shell(argv), t_issued=t_a,
                t_returned=t_b, rc=p.returncode, stdout=p.stdout.strip(), stderr=p.stderr.strip())


def inspect_seen(rec, meta):
    """2026-12-07n: {daemon: ../record.py inspect_containers's answer} for the containers of the service that
    daemon's event stream saw, the task versions placed on its node, and its `docker ps -a` now."""
    out = {}
    for node in SOCKS:
        ids = R.service_container_ids([e for e in rec.events if e["daemon"] == node], SVC)
        nid = meta.get("node_ids", {}).get(node)
        for r in rec.task_versions:
            if nid and r["task"].get("NodeID") == nid:
                ids.append(((r["task"].get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID") or "")
        if os.path.exists(SOCKS[node]):
            ids += containers_on(node)
        out[node] = R.inspect_containers(R.unique_ids(ids), dk(node))
    return out


def placement(api):
    ids = {v: k for k, v in node_ids(api).items()}
    out = {}
    for t in api.tasks():
        if t.get("DesiredState") == "running":
            # global-service tasks have no Slot: list them by task-ID prefix instead
            out.setdefault(ids.get(t.get("NodeID"), t.get("NodeID")), []).append(t.get("Slot") or "g:" + t["ID"][:6])
    return {k: sorted(v) for k, v in sorted(out.items())}


def record(name, runno):
    global POLL_S, SERVICE_ID
    m = MS.M[name]
    s = m["spec"]
    POLL_S = m.get("poll_s") or 0.15    # 2026-12-07f (m15+): 0.05 s, to time a task's deletion from the store
    api = Api(SOCKS[MANAGER])
    tag = f"{name}.r{runno}"
    os.makedirs(RAW, exist_ok=True)
    meta = {"scenario": name, "run": runno, "service": SVC, "replicas": s["replicas"], "poll_interval_s": POLL_S,
            "spec": s, "steps_planned": m["steps"], "create_cmd": SC.shell(SC.create_argv(s)),
            "expect": m["expect"]}
    log(f"== {tag}: ensure cluster clean / all nodes ready+active")
    meta["cluster_clean_before"] = ensure_cluster(api)
    meta["node_ids"] = node_ids(api)
    log(f"{tag}: create service")
    t_c = time.time()
    # optional setup sequence (m08): node availability changes / scale before the recording starts
    for kind, arg in m.get("setup_before", []):
        st = do_step(kind, arg)
        meta.setdefault("setup_steps", []).append(st)
        log(f"{tag}: setup {st['cmd']} rc={st['rc']}")
    if m.get("create_at_t0"):
        # 2026-12-07p (m19): the create is the action at t = 0 (a crash-looping service never converges)
        p, ok = None, None
    else:
        p = run(SC.create_argv(s))
        meta["create_rc"], meta["create_stderr"] = p.returncode, p.stderr.strip()
        if p.returncode != 0:
            raise RuntimeError(p.stderr)
        ok = R.wait_converged(api, s["replicas"])
    meta["setup_converged"], meta["setup_create_to_converged_s"] = ok, time.time() - t_c
    if m.get("setup_after"):
        meta["placement_after_create"] = placement(api)
        log(f"{tag}: placement after create {meta['placement_after_create']}")
        n_want = s["replicas"]
        for kind, arg in m["setup_after"]:
            if kind == "wait":
                n_want = arg
                ok2 = R.wait_converged(api, arg)
                meta.setdefault("setup_steps", []).append(dict(kind="wait", target=arg, converged=ok2))
                continue
            st = do_step(kind, arg)
            meta.setdefault("setup_steps", []).append(st)
            log(f"{tag}: setup {st['cmd']} rc={st['rc']}")
        meta["setup_converged_final"] = R.wait_converged(api, n_want)
    if not m.get("create_at_t0"):
        time.sleep(3)
    meta["placement_before"] = placement(api)
    log(f"{tag}: converged={ok} after {meta['setup_create_to_converged_s']:.1f}s placement {meta['placement_before']}")
    meta["inspect_before"] = json.loads(run([D, "service", "inspect", SVC]).stdout or "null")
    SERVICE_ID = meta["inspect_before"][0]["ID"] if m.get("poll_by_id") else None
    meta["poll_by_id"] = SERVICE_ID

    rec = Recorder()
    rec.baseline_us = (api.service() or {}).get("UpdateStatus")
    meta["events_from"] = time.time()   # 2026-12-07n: the inspect fallback adds nothing from before this
    rec.start()
    time.sleep(m.get("baseline_s", 2.0))   # baseline (also lets `docker events` attach)
    rec.armed = True
    # 2026-12-06b: steps may have negative offsets (m12b cuts a link at t=-5); t0 is the instant of offset 0
    t0 = time.time() - min(0.0, min(off for off, _, _ in m["steps"]))
    meta["t0"] = t0
    steps_done = []
    for off, kind, arg in m["steps"]:
        while time.time() < t0 + off:
            time.sleep(0.01)
        st = do_step(kind, s if kind == "create" else arg)
        st["t_s"] = st["t_issued"] - t0
        steps_done.append(st)
        log(f"{tag}: t={st['t_s']:.2f} {st['cmd']} rc={st['rc']} {st['stderr'][:200]}")
        if kind in ("update", "create") and off == 0.0:
            t0 = meta["t0"] = st["t_issued"]
    if "end_s" in m:
        while time.time() < t0 + m["end_s"]:
            time.sleep(0.2)
        end_reason = f"fixed window {m['end_s']}s"
    elif m.get("end_after_ready"):
        # m09 (2026-12-06): until `secs` after the node is Ready again (after the last `start` step), and, if the
        # scenario has terminal=True, also until tail_s after a terminal UpdateStatus; at most hard_s
        node, secs = m["end_after_ready"]
        t_start = max([st["t_issued"] for st in steps_done if st["kind"] == "start"] or [t0])
        t_ready = None
        while time.time() - t0 < m["hard_s"]:
            if t_ready is None:
                t_ready = next((r["t_poll"] for r in list(rec.node_log) if r["t_poll"] > t_start
                                and r["node"]["Description"]["Hostname"] == node
                                and r["node"]["Status"].get("State") == "ready"), None)
            want = []
            if t_ready is not None:
                want.append(t_ready + secs)
            if m.get("terminal"):
                want.append(rec.terminal_at + m["tail_s"] if rec.terminal_at else None)
            want.append(t0 + m.get("min_end_s", 0.0))
            if t_ready is not None and None not in want and time.time() >= max(want):
                break
            time.sleep(0.2)
        end_reason = (f"{node} ready at {t_ready - t0:.2f}s (poll) + {secs}s" if t_ready else f"hard timeout {m['hard_s']}s")
        if m.get("terminal"):
            end_reason += (f"; terminal {rec.terminal_state} at {rec.terminal_at - t0:.2f}s" if rec.terminal_at
                           else "; no terminal UpdateStatus")
    else:
        while time.time() - t0 < m["hard_s"] and rec.terminal_at is None:
            time.sleep(0.2)
        if rec.terminal_at is not None:
            end_reason = f"terminal {rec.terminal_state} at {rec.terminal_at - t0:.2f}s"
            t_stop = max(rec.terminal_at + m["tail_s"], t0 + m.get("min_end_s", 0.0))
            time.sleep(max(0.0, t_stop - time.time()))
        else:
            end_reason = f"hard timeout {m['hard_s']}s"
    rec.finish()
    for st in steps_done:
        st["t_s"] = st["t_issued"] - t0
    meta.update(steps=steps_done, end_reason=end_reason, t_end_s=time.time() - t0,
                terminal_state=rec.terminal_state,
                terminal_poll_s=(rec.terminal_at - t0) if rec.terminal_at else None,
                polls=rec.poll_count, poll_request_ms_mean=1000 * sum(rec.poll_dt) / max(1, len(rec.poll_dt)),
                poll_request_ms_max=1000 * max(rec.poll_dt or [0]))
    meta["inspect_after"] = json.loads(run([D, "service", "inspect", SVC]).stdout or "null")
    meta["service_ps_after"] = run([D, "service", "ps", "--no-trunc", SVC]).stdout
    meta["node_ls_after"] = run([D, "node", "ls"]).stdout
    meta["placement_after"] = placement(api)
    # 2026-12-06b: every web container on every daemon, with its exact start/finish times (the manager's event
    # stream loses events across a daemon restart, the container state does not)
    meta["containers_after"] = {}
    for h in SOCKS:
        ids = containers_on(h)
        if ids:
            p = run(dk(h) + ["inspect", "--format", "{{.Name}} {{.State.StartedAt}} {{.State.FinishedAt}} "
                             "{{.State.ExitCode}} {{.State.Status}} {{.Id}}"] + ids)
            meta["containers_after"][h] = p.stdout.strip().splitlines()
    inspected = inspect_seen(rec, meta)   # 2026-12-07n
    log(f"{tag}: {end_reason}; placement after {meta['placement_after']}")
    for kind, arg in m.get("after", []):
        st = do_step(kind, arg)
        meta.setdefault("after_steps", []).append(st)
    with open(os.path.join(RAW, f"{tag}.meta.json"), "w") as f:
        json.dump(meta, f, indent=1, default=str)
    with open(os.path.join(RAW, f"{tag}.inspect.json"), "w") as f:   # 2026-12-07n
        json.dump(inspected, f, indent=1)
    for suffix, rows in (("tasks", rec.task_versions), ("service", rec.service_log), ("events", rec.events),
                         ("nodes", rec.node_log), ("info", rec.info_log), ("net", getattr(rec, "net_log", [])),
                         ("streams", rec.stream_breaks), ("api", rec.api_log), ("presence", rec.presence)):
        with open(os.path.join(RAW, f"{tag}.{suffix}.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    normalise(name, runno)
    return meta


# ------------------------------------------------------------------ normalise
def load_raw(tag):
    def jl(s):
        return [json.loads(l) for l in open(os.path.join(RAW, f"{tag}.{s}.jsonl"))]
    meta = json.load(open(os.path.join(RAW, f"{tag}.meta.json")))
    return meta, jl("tasks"), jl("service"), jl("events"), jl("nodes"), jl("info")


def task_rows(meta, tv):
    """as ../record.py task_rows, plus node/node_id columns; a change of NodeID alone also gives a row."""
    t0 = meta["t0"]
    hn = {v: k for k, v in meta["node_ids"].items()}
    last, rows = {}, []
    for rv in sorted(tv, key=lambda r: (r["t_poll"], r["task"]["Version"]["Index"])):
        t = rv["task"]
        st = t["Status"]
        nid = t.get("NodeID", "")
        cur = (t.get("DesiredState"), st.get("State"), st.get("Err", ""), nid)
        prev = last.get(t["ID"])
        cs = st.get("ContainerStatus") or {}
        base = dict(task_id=t["ID"], slot=t.get("Slot", ""), node=hn.get(nid, nid), node_id=nid,
                    image=t["Spec"]["ContainerSpec"]["Image"].split("@")[0],
                    t_poll_s=rv["t_poll"] - t0, message=st.get("Message", ""),
                    exit_code=cs.get("ExitCode", ""), container_id=(cs.get("ContainerID") or "")[:12],
                    created_s=(R.ts(t.get("CreatedAt")) or t0) - t0)
        if prev is None:
            created = R.ts(t.get("CreatedAt"))
            if created is not None and st.get("State") != "new" and created >= t0 - 5:
                rows.append(dict(base, t_s=created - t0, desired_state=cur[0], state="new", err="",
                                 ts_source="CreatedAt", message="(synthetic: task created)", exit_code="",
                                 container_id="", node="", node_id=""))
            rows.append(dict(base, t_s=(R.ts(st.get("Timestamp")) or rv["t_poll"]) - t0,
                             desired_state=cur[0], state=cur[1], err=cur[2], ts_source="Status.Timestamp"))
        elif cur != prev:
            if cur[1] != prev[1] or cur[2] != prev[2]:
                tt, src = R.ts(st.get("Timestamp")), "Status.Timestamp"
            else:
                tt, src = R.ts(t.get("UpdatedAt")), "UpdatedAt"
            if tt is None:
                tt, src = rv["t_poll"], "poll"
            rows.append(dict(base, t_s=tt - t0, desired_state=cur[0], state=cur[1], err=cur[2], ts_source=src))
        last[t["ID"]] = cur
    rows.sort(key=lambda r: r["t_s"])
    return rows


def container_rows(meta, ev, inspected=None):
    """../record.py container_rows per daemon, plus `node`; with `inspected` (2026-12-07n runs), the start/die each
    daemon's stream lost, from its containers' State (../record.py merge_inspected: column `source`)."""
    out = []
    for node in SOCKS:
        rows = R.container_rows(meta, [e for e in ev if e["daemon"] == node])
        if inspected is not None:
            rows = R.merge_inspected(rows, inspected.get(node), meta["t0"], meta["events_from"], meta["t_end_s"],
                                     SVC)
        for r in rows:
            r["node"] = node
        out += rows
    out.sort(key=lambda r: r["t_s"])
    return out


def node_rows(meta, nl, ev):
    t0 = meta["t0"]
    rows = []
    for r in ev:
        e = r["ev"]
        if e.get("Type") != "node":
            continue
        a = e.get("Actor", {}).get("Attributes", {})
        rows.append(dict(t_s=e["timeNano"] / 1e9 - t0, node=a.get("name", ""), node_id=e.get("Actor", {}).get("ID", ""),
                         state=a.get("state.new", ""), availability=a.get("availability.new", ""), message="",
                         source="node-event", detail=json.dumps(dict({k: v for k, v in a.items() if k != "name"},
                                                                     **({"action": e.get("Action")}
                                                                        if e.get("Action") != "update" else {})),
                                                                sort_keys=True)))
    for r in nl:
        n = r["node"]
        rows.append(dict(t_s=r["t_poll"] - t0, node=n["Description"]["Hostname"], node_id=n["ID"],
                         state=n["Status"].get("State", ""), availability=n["Spec"].get("Availability", ""),
                         message=n["Status"].get("Message", ""), source="poll",
                         detail=json.dumps({"UpdatedAt_s": round((R.ts(n.get("UpdatedAt")) or t0) - t0, 3),
                                            "Addr": n["Status"].get("Addr", "")})))
    # 2026-12-06b: the manager's own log (raw/worker-logs/NAME.rN.vm.dockerd.log, cut by notes/mslice.sh), because
    # the manager's event stream loses node events across a manager restart: every dispatcher registration
    # ("worker ID was successfully registered", i.e. the moment the node becomes ready again) and every raft
    # leadership; state column empty, message = the log message, source=manager-log
    lp = os.path.join(RAW, "worker-logs", f"{meta['scenario']}.r{meta['run']}.vm.dockerd.log")
    if os.path.exists(lp):
        import calendar
        import re
        hn = {v: k for k, v in meta["node_ids"].items()}
        TS = re.compile(r'time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')
        for line in open(lp, errors="replace"):
            mt = TS.search(line)
            m1 = re.search(r'msg="worker (\w+) was successfully registered"', line)
            m2 = re.search(r'msg="[0-9a-f]+ became leader at term (\d+)"', line)
            if not mt or not (m1 or m2):
                continue
            t = calendar.timegm(time.strptime(mt.group(1), "%Y-%m-%dT%H:%M:%S")) + float(mt.group(2) or 0)
            if t - t0 > meta.get("t_end_s", 1e9):   # e.g. m11's re-join after the recording
                continue
            if m1:
                rows.append(dict(t_s=t - t0, node=hn.get(m1.group(1), m1.group(1)), node_id=m1.group(1), state="",
                                 availability="", message="worker registered (dispatcher)", source="manager-log",
                                 detail=""))
            else:
                rows.append(dict(t_s=t - t0, node=MANAGER, node_id=meta["node_ids"].get(MANAGER, ""), state="",
                                 availability="", message=f"raft leader (term {m2.group(1)})", source="manager-log",
                                 detail=""))
    rows.sort(key=lambda r: r["t_s"])
    return rows


def info_rows(meta, il):
    t0 = meta["t0"]
    return [dict(t_s=r["t_poll"] - t0, daemon=r["daemon"], **{k: ("" if v is None else v) for k, v in r["info"].items()})
            for r in il]


def step_rows(meta):
    return [dict(t_s=s["t_s"], kind=s["kind"], target=s["target"], cmd=s["cmd"], rc=s["rc"],
                 returned_after_s=s["t_returned"] - s["t_issued"], stderr=s["stderr"]) for s in meta["steps"]]


def normalise(name, runno):
    tag = f"{name}.r{runno}"
    meta, tv, sl, ev, nl, il = load_raw(tag)
    os.makedirs(TRACES, exist_ok=True)
    w = R.write_csv
    w(os.path.join(TRACES, f"{tag}.tasks.csv"),
      ["t_s", "task_id", "slot", "node", "image", "desired_state", "state", "err", "t_poll_s", "ts_source",
       "message", "exit_code", "container_id", "node_id", "created_s"], task_rows(meta, tv))
    ccols = ["t_s", "node", "task_id", "slot", "image", "event", "exit_code", "signal", "container_id"]
    insp = os.path.join(RAW, f"{tag}.inspect.json")
    inspected = json.load(open(insp)) if os.path.exists(insp) else None   # 2026-12-07n; earlier runs as before
    w(os.path.join(TRACES, f"{tag}.containers.csv"), ccols + (["source"] if inspected is not None else []),
      container_rows(meta, ev, inspected))
    w(os.path.join(TRACES, f"{tag}.service.csv"),
      ["t_s", "update_state", "message", "t_poll_s", "ts_source", "started_at_s", "completed_at_s"],
      R.service_rows(meta, sl, [e for e in ev if e["daemon"] == MANAGER]))
    w(os.path.join(TRACES, f"{tag}.nodes.csv"),
      ["t_s", "node", "state", "availability", "message", "source", "node_id", "detail"], node_rows(meta, nl, ev))
    w(os.path.join(TRACES, f"{tag}.daemons.csv"),
      ["t_s", "daemon", "LocalNodeState", "Error", "ControlAvailable", "Nodes", "ContainersRunning"],
      info_rows(meta, il))
    w(os.path.join(TRACES, f"{tag}.actions.csv"),
      ["t_s", "kind", "target", "cmd", "rc", "returned_after_s", "stderr"], step_rows(meta))
    # 2026-12-07f (m15+): tasks that disappeared from GET /tasks (deleted from the manager's store): the last poll that
    # listed the task and the first that did not (mid-request times), as ../record.py's deleted.csv plus `node`
    # (hostname of the task's NodeID; empty for a task never assigned; a removed node keeps its name from meta.json)
    pres = os.path.join(RAW, f"{tag}.presence.jsonl")
    if os.path.exists(pres):
        t0 = meta["t0"]
        hn = {v: k for k, v in meta["node_ids"].items()}
        rows = [dict(task_id=r["task_id"], slot=r["slot"], node=hn.get(r["node_id"], r["node_id"]),
                     last_seen_s=r["t_before"] - t0, first_missing_s=r["t_after"] - t0)
                for r in map(json.loads, open(pres)) if r["event"] == "gone"]
        rows.sort(key=lambda r: (r["first_missing_s"], r["task_id"]))
        w(os.path.join(TRACES, f"{tag}.deleted.csv"), ["first_missing_s", "last_seen_s", "task_id", "slot", "node"], rows)


if __name__ == "__main__":
    if sys.argv[1] == "--normalise":
        normalise(sys.argv[2], int(sys.argv[3]))
    else:
        record(sys.argv[1], int(sys.argv[2]))

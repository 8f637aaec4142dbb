#!/usr/bin/env python3
"""Record one run of one scenario against the local single-node Docker Swarm.

usage: record.py SCENARIO RUN            (RUN = 1, 2, ...)
       record.py --normalise SCENARIO RUN   (re-derive traces/*.csv from raw/)

Sources recorded simultaneously:
  * Engine API poll (unix socket) every POLL_S: GET /tasks?filters={"service":["web"]}
    and GET /services/web.  Every new (task ID, Version.Index) is kept in full.
  * `docker events --format '{{json .}}' --filter type=container --filter type=service`
    (exec_create events are dropped; exec_start/exec_die = health probes are kept).
  * 2026-12-07n: at the end, `docker inspect` of every container of the service the run saw (events, task
    versions, `docker ps -a`): raw/NAME.rN.inspect.json. A `start`/`die` the event stream lost (a stream
    re-attached with --since after a daemon restart does not always replay them, s41 r1/r3/r4) is added to
    containers.csv from State.StartedAt/FinishedAt, marked `inspect` in a last column `source`.
stdlib only.
"""
import calendar
import csv
import http.client
import json
import os
import secrets as pysecrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenarios as SC  # noqa: E402

D = SC.DOCKER
SVC = SC.SERVICE
POLL_S = 0.15
TERMINAL = {"completed", "paused", "rollback_completed", "rollback_paused"}
RAW = os.path.join(HERE, "raw")
TRACES = os.path.join(HERE, "traces")
NOTES = os.path.join(HERE, "notes")


# ------------------------------------------------------------------ helpers
class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path="/var/run/docker.sock"):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.path)
        self.sock = s


class Api:
    def __init__(self):
        self.c = UnixHTTP()

    def get(self, path):
        for attempt in range(3):
            try:
                self.c.request("GET", path)
                r = self.c.getresponse()
                body = r.read()
                return r.status, (json.loads(body) if body else None)
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = UnixHTTP()
                if attempt == 2:
                    raise
        return None, None

    def tasks(self, svc=None, strict=False):
        svc = svc or SVC
        f = urllib.parse.quote(json.dumps({"service": [svc]}))
        st, b = self.get(f"/tasks?filters={f}")
        if strict and st != 200:   # the recorder's poll: an error must not look like every task deleted
            raise OSError(f"GET /tasks -> {st}")
        return b if st == 200 else []

    def tasks_by_id(self, service_id):
        """2026-12-07e (s38+): every task of the service with this ID, from an UNFILTERED GET /tasks (the swarm
        runs nothing else): the daemon resolves a `service` filter through the service object, so a filtered
        poll fails once the service is removed, while its tasks stay in the store until deleted."""
        st, b = self.get("/tasks")
        if st != 200:
            raise OSError(f"GET /tasks -> {st}")
        return [t for t in b if t.get("ServiceID") == service_id]

    def tasks_filtered_raw(self, value):
        f = urllib.parse.quote(json.dumps({"service": [value]}))
        st, b = self.get(f"/tasks?filters={f}")
        return st, (len(b) if isinstance(b, list) else b)

    def service(self, svc=None):
        svc = svc or SVC
        st, b = self.get(f"/services/{svc}")
        return b if st == 200 else None


def ts(s):
    """RFC3339 with ns -> epoch float (None for zero time)."""
    if not s or s.startswith("0001-"):
        return None
    s = s.rstrip("Z")
    frac = 0.0
    if "." in s:
        s, f = s.split(".", 1)
        frac = float("0." + f)
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S")) + frac


def run(argv, inp=None, check=False):
    p = subprocess.run(argv, input=inp, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{argv} -> {p.returncode}: {p.stderr}")
    return p


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def containers_of(svc=None):
    svc = svc or SVC
    p = run([D, "ps", "-aq", "--filter", f"label=com.docker.swarm.service.name={svc}"])
    return [x for x in p.stdout.split() if x]


def cleanup(api, svc=None, timeout=90):
    """remove the scenario's service and ANY other service left by an earlier scenario (this swarm runs
    nothing else), then wait until no swarm container is left; then remove networks left by a stack (s28)."""
    svc = svc or SVC
    others = run([D, "service", "ls", "-q"]).stdout.split()
    if others:
        run([D, "service", "rm"] + others)
    t_end = time.time() + timeout
    while time.time() < t_end:
        left = run([D, "ps", "-aq", "--filter", "label=com.docker.swarm.service.name"]).stdout.split()
        if api.service(svc) is None and not run([D, "service", "ls", "-q"]).stdout.split() and not left:
            break
        time.sleep(0.5)
    else:
        log("WARNING: cleanup timeout; containers left:", containers_of(svc))
        return False
    nets = run([D, "network", "ls", "-q", "--filter", "label=com.docker.stack.namespace"]).stdout.split()
    for _ in range(20):
        if not nets:
            break
        run([D, "network", "rm"] + nets)
        time.sleep(0.5)
        nets = run([D, "network", "ls", "-q", "--filter", "label=com.docker.stack.namespace"]).stdout.split()
    return True


def slot_container(api, slot):
    """container ID of the running task of `slot` (for CONTAINER_OF_SLOT_N)."""
    for t in api.tasks():
        if t.get("Slot") == slot and t.get("DesiredState") == "running" and t["Status"]["State"] == "running":
            return (t["Status"].get("ContainerStatus") or {}).get("ContainerID"), t["ID"]
    return None, None


def resolve_slot_containers(api, argv, when):
    """Replaces each CONTAINER_OF_SLOT_N word of argv (in place) by the container id of slot N's
    running task; returns {word: {slot, container_id, task_id}} for meta.json."""
    targets = {}
    for i, a in enumerate(argv):
        if a.startswith("CONTAINER_OF_SLOT_"):
            slot = int(a.rsplit("_", 1)[1])
            cid, tid = slot_container(api, slot)
            if not cid:
                raise RuntimeError(f"no running task for slot {slot}{when}")
            targets[a] = dict(slot=slot, container_id=cid, task_id=tid)
            argv[i] = cid
    return targets


def host_cmds(cmds, tag):
    out = []
    for argv in cmds or []:
        argv = [a.replace("{tag}", tag) for a in argv]
        t_a = time.time()
        p = run(argv, check=True)
        out.append(dict(cmd=SC.shell(argv), t=t_a, rc=p.returncode, stderr=p.stderr.strip()))
    return out


def wait_converged(api, replicas, timeout=150, need_update_terminal=False):
    t_end = time.time() + timeout
    while time.time() < t_end:
        tasks = api.tasks()
        want = [t for t in tasks if t.get("DesiredState") == "running"]
        ok = (len(want) == replicas and
              all(t["Status"]["State"] == "running" for t in want))
        # old tasks must be fully down too
        others = [t for t in tasks if t.get("DesiredState") != "running"
                  and t["Status"]["State"] in ("running", "starting", "preparing", "ready", "assigned", "accepted", "pending", "new")]
        svc = api.service() or {}
        us = (svc.get("UpdateStatus") or {}).get("State")
        if need_update_terminal and us not in TERMINAL:
            ok = False
        if ok and not others:
            return True
        time.sleep(0.3)
    return False


# 2026-12-07n: the container state kept for the fallback (no environment, no mounts: nothing a trace needs)
INSPECT_LABELS = ("com.docker.swarm.service.name", "com.docker.swarm.task.id", "com.docker.swarm.task.name")


def inspect_containers(ids, docker=None):
    """{"t", "containers": [the State and swarm labels of each], "missing": [IDs inspect did not find]}:
    one `docker inspect` per container (`docker` = the CLI argv, default this host's daemon), so that one removed
    container does not hide the others."""
    out = {"t": time.time(), "containers": [], "missing": []}
    for cid in ids:
        p = run((docker or [D]) + ["inspect", "--type", "container", cid])
        try:
            c = json.loads(p.stdout)[0] if p.returncode == 0 else None
        except (ValueError, IndexError):
            c = None
        if c is None:
            out["missing"].append(cid)
            continue
        labels = (c.get("Config") or {}).get("Labels") or {}
        st = c.get("State") or {}
        out["containers"].append({
            "Id": c["Id"], "Name": c.get("Name", ""), "Created": c.get("Created", ""),
            "Image": (c.get("Config") or {}).get("Image", ""),
            "Labels": {k: labels[k] for k in INSPECT_LABELS if k in labels},
            "State": {k: st.get(k) for k in ("Status", "ExitCode", "StartedAt", "FinishedAt", "OOMKilled", "Error")}})
    return out


def unique_ids(ids):
    """container IDs in first-seen order, each once: `docker ps -q` gives 12 characters, events and task
    statuses the full ID (kept when both are seen)."""
    uniq = []
    for cid in ids:
        if not cid:
            continue
        same = [i for i, x in enumerate(uniq) if x.startswith(cid) or cid.startswith(x)]
        if same:
            if len(cid) > len(uniq[same[0]]):
                uniq[same[0]] = cid
            continue
        uniq.append(cid)
    return uniq


def service_container_ids(events, svc):
    """IDs of the containers of service `svc` in a list of recorded events ({"ev": …} rows)."""
    return [r["ev"].get("id", "") for r in events if r["ev"].get("Type") == "container"
            and r["ev"].get("Actor", {}).get("Attributes", {}).get("com.docker.swarm.service.name") == svc]


def inspect_seen(rec):
    """docker inspect of every container of the service the run saw: in an event, in a task version's
    ContainerStatus, or listed by `docker ps -a` now (the killed container stays as task history)."""
    ids = service_container_ids(rec.events, SVC)
    for r in rec.task_versions:
        ids.append(((r["task"].get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID") or "")
    return inspect_containers(unique_ids(ids + containers_of()))


# ------------------------------------------------------------------ recorder
class Recorder:
    def __init__(self, api):
        self.api = api
        self.stop = threading.Event()
        self.task_versions = []      # {"t_poll", "task"}
        self.seen = set()
        self.service_log = []        # {"t_poll", "UpdateStatus", "SpecVersion"}
        self.events = []             # {"t_recv", "ev"}
        self.last_us = "<init>"
        self.last_us_state = None
        self.poll_count = 0
        self.poll_dt = []
        self.terminal_at = None
        self.terminal_state = None
        self.baseline_us = None
        self.armed = False
        # 2026-12-07d (s34+): which task IDs each poll listed, to see when the task reaper deleted a task
        self.prev_ids = None         # {task ID: slot} of the previous successful poll
        self.prev_tp = None
        self.presence = []           # {"task_id", "slot", "event": appeared|gone, "t_before", "t_after"}
        # 2026-12-07e (s38+): poll by service ID (unfiltered GET /tasks), and once the service is gone, probe what
        # a GET /tasks filtered by the removed service's ID and by its name answers
        self.service_id = None
        self.gone_probe = None
        self.stream_breaks = []      # 2026-12-07k (s41): when the events stream broke and was re-attached

    def start(self):
        self.ev_proc = subprocess.Popen(
            [D, "events", "--format", "{{json .}}", "--filter", "type=container", "--filter", "type=service"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.t_ev = threading.Thread(target=self._read_events, daemon=True)
        self.t_ev.start()
        self.t_poll = threading.Thread(target=self._poll, daemon=True)
        self.t_poll.start()

    def _read_events(self):
        # 2026-12-07k (s41): when the stream breaks (the daemon was killed), re-attach with --since the last event
        # received, as multinode/mrecord.py does (a restarted daemon replays what it has buffered since it came up)
        since, seen = None, set()
        while True:
            for line in self.ev_proc.stdout:
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
                self.events.append({"t_recv": now, "ev": ev})
            self.ev_proc.wait()
            if self.stop.is_set():
                break
            self.stream_breaks.append({"t": time.time(), "rc": self.ev_proc.returncode})
            if since is None:
                since = time.time()
            time.sleep(0.5)
            if self.stop.is_set():
                break
            self.ev_proc = subprocess.Popen(
                [D, "events", "--format", "{{json .}}", "--filter", "type=container", "--filter", "type=service",
                 "--since", f"{since:.9f}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def _poll(self):
        api = Api()
        while not self.stop.is_set():
            t_a = time.time()
            try:
                tasks = api.tasks_by_id(self.service_id) if self.service_id else api.tasks(strict=True)
                svc = api.service()
                if self.service_id and svc is None and self.gone_probe is None:
                    self.gone_probe = dict(t=time.time(), tasks_listed=len(tasks),
                                           by_id=api.tasks_filtered_raw(self.service_id),
                                           by_name=api.tasks_filtered_raw(SVC))
            except Exception as e:  # keep polling
                log("poll error", e)
                time.sleep(POLL_S)
                continue
            t_b = time.time()
            tp = (t_a + t_b) / 2
            self.poll_count += 1
            self.poll_dt.append(t_b - t_a)
            ids = {t["ID"]: t.get("Slot") or t.get("NodeID", "") for t in tasks}
            if self.prev_ids is not None:
                for tid in sorted(self.prev_ids.keys() - ids.keys()):
                    self.presence.append(dict(task_id=tid, slot=self.prev_ids[tid], event="gone",
                                              t_before=self.prev_tp, t_after=tp))
                for tid in sorted(ids.keys() - self.prev_ids.keys()):
                    self.presence.append(dict(task_id=tid, slot=ids[tid], event="appeared",
                                              t_before=self.prev_tp, t_after=tp))
            self.prev_ids, self.prev_tp = ids, tp
            for t in tasks:
                key = (t["ID"], t["Version"]["Index"])
                if key not in self.seen:
                    self.seen.add(key)
                    self.task_versions.append({"t_poll": tp, "task": t})
            us = (svc or {}).get("UpdateStatus")
            if us != self.last_us:
                self.last_us = us
                self.service_log.append({"t_poll": tp, "UpdateStatus": us,
                                         "SpecVersion": (svc or {}).get("Version", {}).get("Index")})
                st = (us or {}).get("State")
                if self.armed and st in TERMINAL and us != self.baseline_us and self.terminal_at is None:
                    self.terminal_at = tp
                    self.terminal_state = st
            dt = POLL_S - (time.time() - t_a)
            if dt > 0:
                time.sleep(dt)

    def finish(self):
        self.stop.set()
        self.t_poll.join(5)
        self.ev_proc.terminate()       # our own child, by pid
        try:
            self.ev_proc.wait(5)
        except subprocess.TimeoutExpired:
            self.ev_proc.kill()
        self.t_ev.join(5)


def record(name, runno):
    global SVC, POLL_S
    s = SC.SCENARIOS[name]
    POLL_S = s.get("poll_s") or 0.15    # s34+ (2026-12-07d): 0.05 s, to time the task reaper's deletions
    SVC = s.get("service_name") or SC.SERVICE
    os.chdir(HERE)     # stack files and the helper process use paths relative to this folder
    api = Api()
    tag = f"{name}.r{runno}"
    os.makedirs(RAW, exist_ok=True)
    meta = {"scenario": name, "run": runno, "service": SVC, "replicas": s["replicas"],
            "poll_interval_s": POLL_S, "spec": s,
            "create_cmd": SC.shell(SC.create_argv(s)),
            "action_cmd": SC.shell(SC.action_argv(s))}
    log(f"== {tag}: cleanup")
    cleanup(api)
    meta["host_setup"] = host_cmds(s.get("host_setup"), tag)
    if s.get("stack"):
        for fn, img in zip(SC.stack_files(name), (None, s["stack"]["action_image"])):
            with open(os.path.join(HERE, fn), "w") as f:
                f.write(SC.stack_yaml(name, s, image=img))
    bg = None
    if s.get("background"):
        bg_argv = [a.replace("{tag}", tag) for a in s["background"]]
        bg = subprocess.Popen(bg_argv, stdout=subprocess.DEVNULL, stderr=open(os.path.join(RAW, f"{tag}.background.err"), "w"))
        meta["background_cmd"] = SC.shell(bg_argv)
        meta["background_pid"] = bg.pid
        time.sleep(1.0)
        if bg.poll() is not None:
            raise RuntimeError(f"background helper exited rc={bg.returncode}")
    if s["secrets"]:
        run([D, "service", "rm", "web-nosecret"])
        for sec in ("api-key-v1", "api-key-v2"):
            run([D, "secret", "rm", sec])
        # value is random and never written anywhere
        run([D, "secret", "create", "api-key-v1", "-"], inp=pysecrets.token_hex(16), check=True)

    if s["action_kind"] != "create":
        log(f"{tag}: create service")
        t_c = time.time()
        p = run(SC.create_argv(s))
        meta["create_rc"] = p.returncode
        meta["create_stderr"] = p.stderr.strip()
        meta["create_stdout"] = p.stdout.strip()
        if p.returncode != 0:
            raise RuntimeError(p.stderr)
        ok = wait_converged(api, s["replicas"])
        meta["setup_converged"] = ok
        meta["setup_create_to_converged_s"] = time.time() - t_c
        log(f"{tag}: converged={ok} after {time.time() - t_c:.1f}s")
        if s["setup_update_args"]:
            time.sleep(2)
            t_u = time.time()
            p = run(SC.setup_update_argv(s))
            meta["setup_update_cmd"] = SC.shell(SC.setup_update_argv(s))
            meta["setup_update_rc"] = p.returncode
            ok = wait_converged(api, s["replicas"], need_update_terminal=True)
            meta["setup_update_converged"] = ok
            meta["setup_update_s"] = time.time() - t_u
            log(f"{tag}: setup update converged={ok} after {time.time() - t_u:.1f}s")
        if s["secrets"]:
            run([D, "secret", "create", "api-key-v2", "-"], inp=pysecrets.token_hex(16), check=True)
        time.sleep(3)
        meta["inspect_before"] = json.loads(run([D, "service", "inspect", SVC]).stdout)

    rec = Recorder(api)
    rec.baseline_us = (api.service() or {}).get("UpdateStatus")
    if s.get("poll_by_id"):
        rec.service_id = api.service()["ID"]
        meta["service_id"] = rec.service_id
    meta["events_from"] = time.time()   # 2026-12-07n: the fallback below adds nothing from before this
    rec.start()
    time.sleep(2.0)  # baseline (and lets `docker events` attach)
    rec.armed = True
    argv = SC.action_argv(s)
    if s["action_kind"] == "container":   # ("docker" actions, s36, have no CONTAINER_OF_SLOT word)
        meta["action_target"] = resolve_slot_containers(api, argv, "")
        meta["action_cmd_resolved"] = SC.shell(argv)
    meta["pre_action"] = host_cmds(s.get("pre_action"), tag)
    log(f"{tag}: ACTION {SC.shell(argv)}")
    t0 = time.time()
    p = run(argv)
    t1 = time.time()
    meta.update(t0=t0, t0_iso=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0)) + f".{int((t0 % 1) * 1e6):06d}Z",
                action_returned_s=t1 - t0, action_rc=p.returncode,
                action_stdout=p.stdout.strip(), action_stderr=p.stderr.strip())
    # s31+ (2026-12-06d): further docker commands at fixed offsets after t = 0
    meta["later"] = []
    for t_at, largv in SC.later_argvs(s):
        time.sleep(max(0.0, t_at - (time.time() - t0)))
        largv = list(largv)
        tgt = resolve_slot_containers(api, largv, f" at t={t_at}")
        log(f"{tag}: LATER t={t_at} {SC.shell(largv)}")
        t_l = time.time()
        pl = run(largv)
        meta["later"].append(dict(at_s=t_at, issued_s=t_l - t0, returned_s=time.time() - t0, cmd=SC.shell(largv),
                                  target=tgt, rc=pl.returncode, stdout=pl.stdout.strip(), stderr=pl.stderr.strip()))
    if s["record_s"]:
        time.sleep(max(0.0, s["record_s"] - (time.time() - t0)))
        end_reason = f"fixed window {s['record_s']}s"
    else:
        while time.time() - t0 < s["hard_timeout_s"] and rec.terminal_at is None:
            time.sleep(0.2)
        if rec.terminal_at is not None:
            end_reason = f"terminal {rec.terminal_state} at {rec.terminal_at - t0:.2f}s"
            time.sleep(max(0.0, s["tail_s"] - (time.time() - rec.terminal_at)))
            if s.get("min_end_s"):   # s29: at least until t = min_end_s
                time.sleep(max(0.0, s["min_end_s"] - (time.time() - t0)))
        else:
            end_reason = f"hard timeout {s['hard_timeout_s']}s (no terminal UpdateStatus)"
    rec.finish()
    if rec.gone_probe is not None:
        meta["gone_probe"] = dict(rec.gone_probe, t_s=rec.gone_probe["t"] - t0)
    meta.update(end_reason=end_reason, t_end_s=time.time() - t0,
                terminal_state=rec.terminal_state,
                terminal_poll_s=(rec.terminal_at - t0) if rec.terminal_at else None,
                polls=rec.poll_count,
                poll_mean_period_s=(time.time() - t0 + 2.0) / max(1, rec.poll_count),
                poll_request_ms_mean=1000 * sum(rec.poll_dt) / max(1, len(rec.poll_dt)),
                poll_request_ms_max=1000 * max(rec.poll_dt or [0]))
    # 2026-12-07n: after t_end_s (a container change after it is not added), before any `after` command
    inspected = inspect_seen(rec)
    meta["inspect_after"] = json.loads(run([D, "service", "inspect", SVC]).stdout or "null")
    if name.startswith("s29"):   # count -> container map written by websim:v2-alt
        try:
            import shutil
            shutil.copy("/tmp/flags/alt-log", os.path.join(RAW, f"{tag}.alt-log.txt"))
        except OSError as e:
            meta["alt_log_error"] = str(e)
    meta["service_ps_after"] = run([D, "service", "ps", "--no-trunc", SVC]).stdout
    # 2026-12-07d (s34+): host commands after the recording (e.g. restore the swarm's task history limit)
    meta["after"] = host_cmds(s.get("after"), tag)
    log(f"{tag}: {end_reason}")
    if bg is not None:      # our own child, by pid
        bg.terminate()
        try:
            bg.wait(5)
        except subprocess.TimeoutExpired:
            bg.kill()

    if s["secrets"]:
        os.makedirs(NOTES, exist_ok=True)
        p1 = run([D, "service", "create", "--detach", "--name", "web-nosecret", "--secret", "does-not-exist",
                  "websim:v1-trap"])
        p2 = run([D, "secret", "rm", "api-key-v2"])
        p3 = run([D, "secret", "rm", "api-key-v1"])   # no longer used after the rotation
        run([D, "service", "rm", "web-nosecret"])
        with open(os.path.join(NOTES, f"s10-secret-errors.r{runno}.txt"), "w") as f:
            f.write("$ docker service create --detach --name web-nosecret --secret does-not-exist websim:v1-trap\n")
            f.write(f"rc={p1.returncode}\nstdout: {p1.stdout.strip()}\nstderr: {p1.stderr.strip()}\n\n")
            f.write("$ docker secret rm api-key-v2      # in use by service web after the rotation\n")
            f.write(f"rc={p2.returncode}\nstdout: {p2.stdout.strip()}\nstderr: {p2.stderr.strip()}\n\n")
            f.write("$ docker secret rm api-key-v1      # removed from the service by the rotation\n")
            f.write(f"rc={p3.returncode}\nstdout: {p3.stdout.strip()}\nstderr: {p3.stderr.strip()}\n")

    with open(os.path.join(RAW, f"{tag}.meta.json"), "w") as f:
        json.dump(meta, f, indent=1, default=str)
    with open(os.path.join(RAW, f"{tag}.tasks.jsonl"), "w") as f:
        for r in rec.task_versions:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(RAW, f"{tag}.service.jsonl"), "w") as f:
        for r in rec.service_log:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(RAW, f"{tag}.events.jsonl"), "w") as f:
        for r in rec.events:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(RAW, f"{tag}.presence.jsonl"), "w") as f:
        for r in rec.presence:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(RAW, f"{tag}.inspect.json"), "w") as f:   # 2026-12-07n
        json.dump(inspected, f, indent=1)
    if rec.stream_breaks:   # 2026-12-07k (s41)
        with open(os.path.join(RAW, f"{tag}.streams.jsonl"), "w") as f:
            for r in rec.stream_breaks:
                f.write(json.dumps(r) + "\n")
    normalise(name, runno)
    return meta


# ------------------------------------------------------------------ normalise
def load_raw(tag):
    meta = json.load(open(os.path.join(RAW, f"{tag}.meta.json")))
    tv = [json.loads(l) for l in open(os.path.join(RAW, f"{tag}.tasks.jsonl"))]
    sl = [json.loads(l) for l in open(os.path.join(RAW, f"{tag}.service.jsonl"))]
    ev = [json.loads(l) for l in open(os.path.join(RAW, f"{tag}.events.jsonl"))]
    return meta, tv, sl, ev


def r3(x):
    return "" if x is None else f"{x:.3f}"


def task_rows(meta, tv):
    t0 = meta["t0"]
    last = {}
    rows = []
    for rv in sorted(tv, key=lambda r: (r["t_poll"], r["task"]["Version"]["Index"])):
        t = rv["task"]
        st = t["Status"]
        cur = (t.get("DesiredState"), st.get("State"), st.get("Err", ""))
        prev = last.get(t["ID"])
        image = t["Spec"]["ContainerSpec"]["Image"].split("@")[0]
        cs = st.get("ContainerStatus") or {}
        base = dict(task_id=t["ID"], slot=t.get("Slot", ""), image=image,
                    t_poll_s=rv["t_poll"] - t0, message=st.get("Message", ""),
                    exit_code=cs.get("ExitCode", ""), container_id=(cs.get("ContainerID") or "")[:12])
        if prev is None:
            created = ts(t.get("CreatedAt"))
            if created is not None and st.get("State") != "new" and created >= t0 - 5:
                rows.append(dict(base, t_s=created - t0, desired_state="running" if cur[0] == "running" else cur[0],
                                 state="new", err="", ts_source="CreatedAt", message="(synthetic: task created)",
                                 exit_code="", container_id=""))
            rows.append(dict(base, t_s=(ts(st.get("Timestamp")) or rv["t_poll"]) - t0,
                             desired_state=cur[0], state=cur[1], err=cur[2], ts_source="Status.Timestamp"))
        elif cur != prev:
            if cur[1] != prev[1] or cur[2] != prev[2]:
                tt, src = ts(st.get("Timestamp")), "Status.Timestamp"
            else:
                tt, src = ts(t.get("UpdatedAt")), "UpdatedAt"
            if tt is None:
                tt, src = rv["t_poll"], "poll"
            rows.append(dict(base, t_s=tt - t0, desired_state=cur[0], state=cur[1], err=cur[2], ts_source=src))
        last[t["ID"]] = cur
    rows.sort(key=lambda r: r["t_s"])
    return rows


CONTAINER_EVENTS = {"create", "start", "kill", "stop", "die", "destroy", "oom",
                    "health_status: healthy", "health_status: unhealthy"}


def container_rows(meta, ev):
    t0 = meta["t0"]
    rows = []
    for r in ev:
        e = r["ev"]
        if e.get("Type") != "container" or e.get("Action") not in CONTAINER_EVENTS:
            continue
        a = e.get("Actor", {}).get("Attributes", {})
        if a.get("com.docker.swarm.service.name") != SVC:
            continue
        tname = a.get("com.docker.swarm.task.name", "")
        parts = tname.split(".")
        slot = parts[1] if len(parts) >= 3 else ""
        rows.append(dict(t_s=e["timeNano"] / 1e9 - t0, task_id=a.get("com.docker.swarm.task.id", ""),
                         slot=slot, image=a.get("image", "").split("@")[0], event=e["Action"],
                         exit_code=a.get("exitCode", ""), signal=a.get("signal", ""),
                         container_id=e.get("id", "")[:12]))
    rows.sort(key=lambda r: r["t_s"])
    return rows


# 2026-12-07n: the container events a container's State still shows after the run, and the field that times each.
# StartedAt is set when the start succeeds, just before the `start` event; FinishedAt is containerd's exit time (moby
# 20.10 daemon/monitor.go `ProcessEvent`, EventExit: the task is deleted — the log's `ignoring event … /tasks/delete`
# and `shim disconnected` — then SetStopped with the exit's ExitedAt, then the `die` event), so a fallback `die` is the
# exit itself, a few ms before the event would have been (s41 r6-r8: FinishedAt 29-32 ms before the `die` event).
INSPECT_EVENTS = (("start", "StartedAt"), ("die", "FinishedAt"))


def merge_inspected(rows, inspected, t0, t_from, t_end, svc):
    """The container rows of the event stream (`rows`, container_rows's) plus, for each container of service
    `svc` in `inspected` (inspect_containers's), the `start` and `die` the stream lost, timed by the container's
    State: only an instant within [t_from, t0 + t_end] (the stream was attached from t_from; nothing after the
    recording's end), and only when the stream has no row of that event for that container. Every row gets
    `source`: `events` for the stream's, `inspect` for the added ones. Returns a new list in time order."""
    out = [dict(r, source="events") for r in rows]
    have = {(r["container_id"], r["event"]) for r in rows}
    for c in (inspected or {}).get("containers", []):
        labels = c.get("Labels") or {}
        if labels.get("com.docker.swarm.service.name") != svc:
            continue
        cid = c["Id"][:12]
        st = c.get("State") or {}
        parts = labels.get("com.docker.swarm.task.name", "").split(".")
        for event, field in INSPECT_EVENTS:
            t = ts(st.get(field))
            if t is None or (cid, event) in have or t < t_from or t - t0 > t_end:
                continue
            out.append(dict(t_s=t - t0, task_id=labels.get("com.docker.swarm.task.id", ""),
                            slot=parts[1] if len(parts) >= 3 else "", image=(c.get("Image") or "").split("@")[0],
                            event=event, exit_code=str(st.get("ExitCode", "")) if event == "die" else "",
                            signal="", container_id=cid, source="inspect"))
    out.sort(key=lambda r: r["t_s"])
    return out


def service_rows(meta, sl, ev):
    """Union of (a) service events carrying updatestate.new (exact, catches states that last only
    a few ms, e.g. rollback_started) and (b) UpdateStatus changes seen by the API poll that no
    event explains (e.g. the baseline)."""
    t0 = meta["t0"]
    sev = []
    for r in ev:
        e = r["ev"]
        a = e.get("Actor", {}).get("Attributes", {})
        if e.get("Type") == "service" and a.get("name") == SVC and "updatestate.new" in a:
            sev.append((e["timeNano"] / 1e9, a["updatestate.new"]))
    polls = []
    for r in sl:
        us = r["UpdateStatus"] or {}
        polls.append(dict(tp=r["t_poll"], state=us.get("State", "") or "(none)", message=us.get("Message", ""),
                          started=ts(us.get("StartedAt")), completed=ts(us.get("CompletedAt"))))
    rows = []
    matched = set()
    for te, stn in sev:
        # message / timestamps from the first poll showing this state at or after the event
        cand = [i for i, p in enumerate(polls) if p["state"] == stn and te - 0.5 <= p["tp"] <= te + 5.0]
        p = polls[cand[0]] if cand else None
        if cand:
            matched.add(cand[0])
        rows.append(dict(t_s=te - t0, update_state=stn, message=p["message"] if p else "",
                         t_poll_s=(p["tp"] - t0) if p else None, ts_source="service-event",
                         started_at_s=None if not p or p["started"] is None else p["started"] - t0,
                         completed_at_s=None if not p or p["completed"] is None else p["completed"] - t0))
    for i, p in enumerate(polls):
        if i in matched:
            continue
        if rows and any(r["update_state"] == p["state"] and abs((r["t_poll_s"] or -1e9) - (p["tp"] - t0)) < 1e-6
                        for r in rows):
            continue
        rows.append(dict(t_s=p["tp"] - t0, update_state=p["state"], message=p["message"],
                         t_poll_s=p["tp"] - t0, ts_source="poll",
                         started_at_s=None if p["started"] is None else p["started"] - t0,
                         completed_at_s=None if p["completed"] is None else p["completed"] - t0))
    rows.sort(key=lambda r: r["t_s"])
    return rows


def write_csv(path, cols, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow([r3(r[c]) if isinstance(r.get(c), float) else ("" if r.get(c) is None else r.get(c))
                        for c in cols])


def normalise(name, runno):
    global SVC
    tag = f"{name}.r{runno}"
    meta, tv, sl, ev = load_raw(tag)
    SVC = meta.get("service", SC.SERVICE)
    os.makedirs(TRACES, exist_ok=True)
    write_csv(os.path.join(TRACES, f"{tag}.tasks.csv"),
              ["t_s", "task_id", "slot", "image", "desired_state", "state", "err",
               "t_poll_s", "ts_source", "message", "exit_code", "container_id"], task_rows(meta, tv))
    ccols = ["t_s", "task_id", "slot", "image", "event", "exit_code", "signal", "container_id"]
    crows = container_rows(meta, ev)
    insp = os.path.join(RAW, f"{tag}.inspect.json")
    if os.path.exists(insp):   # 2026-12-07n: recorded with the fallback; earlier runs normalise as before
        crows = merge_inspected(crows, json.load(open(insp)), meta["t0"], meta["events_from"], meta["t_end_s"], SVC)
        ccols.append("source")
    write_csv(os.path.join(TRACES, f"{tag}.containers.csv"), ccols, crows)
    write_csv(os.path.join(TRACES, f"{tag}.service.csv"),
              ["t_s", "update_state", "message", "t_poll_s", "ts_source", "started_at_s", "completed_at_s"],
              service_rows(meta, sl, ev))
    # 2026-12-07d (s34+): tasks that disappeared from GET /tasks (deleted from the manager's store, e.g. by the
    # task reaper): the last poll that listed the task and the first that did not (both mid-request times)
    pres = os.path.join(RAW, f"{tag}.presence.jsonl")
    if os.path.exists(pres):
        t0 = meta["t0"]
        rows = [dict(task_id=r["task_id"], slot=r["slot"], last_seen_s=r["t_before"] - t0,
                     first_missing_s=r["t_after"] - t0)
                for r in map(json.loads, open(pres)) if r["event"] == "gone"]
        rows.sort(key=lambda r: (r["first_missing_s"], r["task_id"]))
        write_csv(os.path.join(TRACES, f"{tag}.deleted.csv"),
                  ["first_missing_s", "last_seen_s", "task_id", "slot"], rows)


if __name__ == "__main__":
    if sys.argv[1] == "--normalise":
        normalise(sys.argv[2], int(sys.argv[3]))
    else:
        record(sys.argv[1], int(sys.argv[2]))

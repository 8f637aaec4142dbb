#!/usr/bin/env python3
"""rec22_keytimes.py: key times of m18-manager-restart-sigterm-ignored (2026-12-07k; stdlib only), real and model.

usage: rec22_keytimes.py [--raw RAWDIR] [--traces TRACEDIR] [--model DEPLOYSIM SCENARIO_YML] RUN [RUN ...]
       rec22_keytimes.py --s41 RUN [RUN ...]      (the single-node variant s41: the same instants, one node)

Real (t = 0 is the manager's `kill -KILL`; RAWDIR/NAME.rN.meta.json for t0, TRACEDIR/NAME.rN.{actions,tasks,nodes,
containers,sessions}.csv, the manager's log slice RAWDIR/worker-logs/NAME.rN.vm.dockerd.log):
  kill / start issued (actions.csv); the manager's log: `Starting up`, `Loading containers: start.`, `Container failed
  to exit within 10s of signal 15 - using the force` (the restore's SIGKILL, one per container; its SIGTERM is 10 s
  before, moby `containerStop`, not logged at info level), `shim disconnected` (the container's shim gone: its exit),
  `Loading containers: done.`, `Listening for connections` :2377, raft `became leader`, `dispatcher starting`,
  `Daemon has completed initialization`, `API listen on`; the manager's own container events if the re-attached
  `docker events` stream replayed any (containers.csv, vm, t >= 0); per worker: the session failures between t = 0 and
  its registration (sessions.csv) and `registered` (the dispatcher's line = its first successful session); the node
  state changes (nodes.csv node events); the two killed tasks' rows (tasks.csv: state, exit code, Status.Timestamp) and
  their replacements' created / desired running / running.
Model (--model): `DEPLOYSIM run --seed S --trace SCENARIO` for S = 1..20, the same instants (the trace's t = 0 is the
  `daemon_kill vm` line): SIGTERM, SIGKILL, exited, the nodes' unknown / ready, failed, created, desired running,
  running; printed as seed 1 and min-max over the 20 seeds.
"""
import calendar
import csv
import json
import os
import re
import subprocess
import sys

NAME = "m18-manager-restart-sigterm-ignored"
HERE = os.path.dirname(os.path.abspath(__file__))
TS = re.compile(r'^time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')
NODES = ("vm", "mn-w1", "mn-w2")


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def log_lines(path, t0):
    for line in open(path, errors="replace"):
        m = TS.match(line)
        if m:
            t = calendar.timegm(tuple(int(x) for x in re.split(r"[-T:]", m.group(1))) + (0, 0, 0))
            yield t + float(m.group(2) or 0) - t0, line


def f3(x):
    return "—" if x is None else f"{x:.3f}"


def real(raw, tr, run):
    tag = f"{NAME}.r{run}"
    meta = json.load(open(os.path.join(raw, f"{tag}.meta.json")))
    t0 = meta["t0"]
    acts = rows(os.path.join(tr, f"{tag}.actions.csv"))
    at = {a["kind"]: float(a["t_s"]) for a in acts}
    k = dict(kill=at.get("kill_manager"), start=at.get("start_manager"), sigkill=[], shim_gone=[])
    pats = {"up": 'msg="Starting up"', "load_start": "Loading containers: start.", "load_done": "Loading containers: done.",
            "init": "Daemon has completed initialization", "api": "API listen on", "dispatcher": "dispatcher starting"}
    for t, line in log_lines(os.path.join(raw, "worker-logs", f"{tag}.vm.dockerd.log"), t0):
        if t < 0:
            continue
        for key, p in pats.items():
            if p in line and key not in k:
                k[key] = t
        if "using the force" in line:
            k["sigkill"].append(t)
        if 'msg="shim disconnected"' in line:
            k["shim_gone"].append(t)
        if "Listening for connections" in line and ":2377" in line and "listening" not in k:
            k["listening"] = t
        if "became leader at term" in line and "leader" not in k:
            k["leader"] = t
            k["term"] = re.search(r"term (\d+)", line).group(1)
    ses = rows(os.path.join(tr, f"{tag}.sessions.csv"))
    reg = {}
    for r in ses:
        if r["event"] == "registered" and float(r["t_s"]) >= 0:
            reg.setdefault(r["detail"], float(r["t_s"]))
    k["registered"] = reg
    k["fails"] = {n: [float(r["t_s"]) for r in ses if r["node"] == n and r["event"] == "session_failed"
                      and 0 <= float(r["t_s"]) < reg.get(n, 1e9)] for n in ("mn-w1", "mn-w2")}
    nd = rows(os.path.join(tr, f"{tag}.nodes.csv"))
    k["node_states"] = {n: [(float(r["t_s"]), r["state"]) for r in nd if r["node"] == n and r["source"] == "node-event"
                            and r["state"] and float(r["t_s"]) >= 0] for n in NODES}
    k["vm_events"] = [(float(c["t_s"]), c["slot"], c["event"], c["exit_code"], c["signal"])
                      for c in rows(os.path.join(tr, f"{tag}.containers.csv"))
                      if c["node"] == "vm" and float(c["t_s"]) >= 0 and c["event"] in ("kill", "die", "stop")]
    ts = rows(os.path.join(tr, f"{tag}.tasks.csv"))
    old = sorted({r["task_id"] for r in ts if r["node"] == "vm" and float(r["t_s"]) < 0})
    k["old"] = {}
    for tid in old:
        rs = [r for r in ts if r["task_id"] == tid and float(r["t_s"]) >= 0]
        k["old"][tid] = [(float(r["t_s"]), r["desired_state"], r["state"], r["exit_code"], r["ts_source"]) for r in rs]
    new = [r for r in ts if float(r["created_s"] or -1) >= 0]
    k["new"] = {}
    for r in new:
        d = k["new"].setdefault(r["task_id"], dict(slot=r["slot"], node="", created=float(r["created_s"])))
        if r["node"]:
            d["node"] = r["node"]
        if r["desired_state"] == "running" and "desired_running" not in d:
            d["desired_running"] = float(r["t_s"])
        if r["state"] == "running" and "running" not in d:
            d["running"] = float(r["t_s"])
    k["t_end"] = meta["t_end_s"]
    k["placement_before"] = meta.get("placement_before")
    k["placement_after"] = meta.get("placement_after")
    return k


def print_real(run, k):
    L = k.get("leader")
    print(f"== {NAME}.r{run}  (t_end {k['t_end']:.1f} s; placement before {k['placement_before']}, "
          f"after {k['placement_after']})")
    print(f"manager: kill {f3(k['kill'])}, start issued {f3(k['start'])}, Starting up {f3(k.get('up'))}, "
          f"Loading containers: start {f3(k.get('load_start'))}")
    print(f"  restore: SIGKILL ('using the force') {', '.join(f3(t) for t in k['sigkill'])} (so SIGTERM "
          f"{', '.join(f3(t - 10.0) for t in k['sigkill'])}); shim disconnected {', '.join(f3(t) for t in k['shim_gone'])}")
    print(f"  Loading containers: done {f3(k.get('load_done'))} (last SIGKILL "
          f"{'+%.3f' % (k['load_done'] - max(k['sigkill'])) if k['sigkill'] and 'load_done' in k else '—'}), :2377 "
          f"listening {f3(k.get('listening'))}, leader {f3(L)} (term {k.get('term')}), dispatcher starting "
          f"{f3(k.get('dispatcher'))}, initialized {f3(k.get('init'))}, API {f3(k.get('api'))}")
    print(f"  vm container events replayed: {k['vm_events'] or 'none'}")
    for n in NODES:
        g = k["registered"].get(n)
        fails = k["fails"].get(n, [])
        extra = (f"; {len(fails)} session failures in [0, registered), last {f3(fails[-1]) if fails else '—'}"
                 if n != "vm" else "")
        print(f"  {n}: registered {f3(g)} (leader {'%+.3f' % (g - L) if g is not None and L else '—'}){extra}; "
              f"node events {k['node_states'][n]}")
    for tid, rs in k["old"].items():
        print(f"  old vm task {tid[:6]}: " + "; ".join(f"{t:.3f} {d}/{s}{'(' + e + ')' if e and e != '0' else ''} [{src}]"
                                                  for t, d, s, e, src in rs))
    for tid, d in sorted(k["new"].items(), key=lambda x: x[1]["slot"]):
        print(f"  replacement slot {d['slot']} {tid[:6]} on {d['node']}: created {f3(d['created'])}, desired running "
              f"{f3(d.get('desired_running'))}, running {f3(d.get('running'))}")
    print()


def model(binary, yml, seeds=range(1, 21)):
    out = {}
    for s in seeds:
        p = subprocess.run(["nice", binary, "run", "--quiet", "--seed", str(s), "--trace", yml, "--out",
                            f"/tmp/rec22-model-{s}"], capture_output=True, text=True)
        k, t0 = {}, None
        for line in p.stdout.splitlines():
            m = re.match(r"\s*([\d.]+) (.*)$", line)
            if not m:
                continue
            t, rest = float(m.group(1)), m.group(2)
            if rest.startswith("$ daemon_kill vm"):
                t0 = t
            if t0 is None:
                continue
            t -= t0
            for key, pat in (("start", "$ daemon_start vm"), ("sigterm", " SIGTERM"), ("sigkill", " SIGKILL"),
                             ("exited", " exited ("), ("failed", "-> failed"), ("created", "created (desired"),
                             ("desired_running", "desired ready -> running"), ("running", "starting -> running")):
                if pat in rest:
                    k.setdefault(key, []).append(t)
            m2 = re.match(r'node (\S+): \S+ -> (\S+)', rest)
            if m2:
                k.setdefault(f"{m2.group(1)} {m2.group(2)}", []).append(t)
        out[s] = k
    return out


def print_model(out):
    keys = ["start", "sigterm", "sigkill", "exited", "vm unknown", "failed", "vm ready", "created", "mn-w1 ready",
            "mn-w2 ready", "desired_running", "running"]
    print("model (t after daemon_kill vm): seed 1 | min-max over seeds 1..20 (first occurrence)")
    for key in keys:
        v = [out[s][key][0] for s in out if key in out[s]]
        s1 = out.get(1, {}).get(key)
        print(f"  {key:16s} {f3(s1[0]) if s1 else '—':>8s} | "
              f"{(f3(min(v)) + '-' + f3(max(v))) if v else '—'} ({len(v)} seeds)")


def s41(run):
    """The single-node variant (s41): the same instants from ../raw and ../traces (record.py's layout)."""
    name = "s41-daemon-restart-sigterm-ignored"
    raw, tr = os.path.join(HERE, "..", "raw"), os.path.join(HERE, "..", "traces")
    tag = f"{name}.r{run}"
    meta = json.load(open(os.path.join(raw, f"{tag}.meta.json")))
    t0 = meta["t0"]
    k = dict(sigkill=[], shim_gone=[])
    pats = {"up": 'msg="Starting up"', "load_start": "Loading containers: start.", "load_done": "Loading containers: done.",
            "listening": "Listening for connections", "init": "Daemon has completed initialization",
            "api": "API listen on", "registered": "successfully registered"}
    for t, line in log_lines(os.path.join(raw, f"{tag}.dockerd.log"), t0):
        if t < 0:
            continue
        for key, p in pats.items():
            if p in line and key not in k:
                k[key] = t
        if "became leader at term" in line and "leader" not in k:
            k["leader"] = t
        if "using the force" in line:
            k["sigkill"].append(t)
        if 'msg="shim disconnected"' in line:
            k["shim_gone"].append(t)
    ev = [(float(c["t_s"]), c["event"], c["exit_code"], c["signal"]) for c in rows(os.path.join(tr, f"{tag}.containers.csv"))
          if float(c["t_s"]) >= 0 and c["event"] in ("kill", "die")]
    ts = rows(os.path.join(tr, f"{tag}.tasks.csv"))
    failed = [float(r["t_s"]) for r in ts if r["state"] == "failed"]
    new = [r for r in ts if float(r["t_s"]) >= 0 and r["message"] == "(synthetic: task created)"]
    dr = [float(r["t_s"]) for r in ts if r["desired_state"] == "running" and float(r["t_s"]) > 0]
    run_ = [float(r["t_s"]) for r in ts if r["state"] == "running" and float(r["t_s"]) > 0]
    later = meta.get("later") or [{}]
    print(f"== {tag} (t_end {meta['t_end_s']:.1f} s): start issued {f3(later[0].get('issued_s'))}, Starting up "
          f"{f3(k.get('up'))}, loading start {f3(k.get('load_start'))}, SIGKILL {', '.join(f3(t) for t in k['sigkill'])}"
          f" (SIGTERM {', '.join(f3(t - 10) for t in k['sigkill'])}), shim gone {', '.join(f3(t) for t in k['shim_gone'])}, "
          f"loading done {f3(k.get('load_done'))}, listening {f3(k.get('listening'))}, leader {f3(k.get('leader'))}, "
          f"registered {f3(k.get('registered'))}, initialized {f3(k.get('init'))}, API {f3(k.get('api'))}")
    print(f"   container events {ev or 'none replayed'}; task failed {f3(failed[0] if failed else None)}; replacement "
          f"created {f3(float(new[0]['t_s']) if new else None)}, desired running {f3(dr[0] if dr else None)}, running "
          f"{f3(run_[0] if run_ else None)}")


def main(argv):
    raw = os.path.join(HERE, "..", "multinode", "raw")
    tr = os.path.join(HERE, "..", "multinode", "traces")
    mdl = None
    while argv and argv[0].startswith("--"):
        if argv[0] == "--raw":
            raw, argv = argv[1], argv[2:]
        elif argv[0] == "--traces":
            tr, argv = argv[1], argv[2:]
        elif argv[0] == "--s41":   # the single-node variant's runs (../raw, ../traces)
            for run in argv[1:]:
                s41(run)
            return
        elif argv[0] == "--model":
            mdl, argv = (argv[1], argv[2]), argv[3:]
        else:
            sys.exit(f"unknown option {argv[0]}")
    for run in argv:
        print_real(run, real(raw, tr, run))
    if mdl:
        print_model(model(*mdl))


if __name__ == "__main__":
    main(sys.argv[1:])

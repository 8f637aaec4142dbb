#!/usr/bin/env python3
"""rec31_keytimes.py: key times of s41-daemon-restart-sigterm-ignored runs (2026-12-07n; stdlib only), as a markdown
table, from ../raw and ../traces (record.py's layout) or the folders given.

usage: rec31_keytimes.py [--raw RAWDIR] [--traces TRACEDIR] RUN [RUN ...]

t = 0 is the dockerd's `kill -KILL` (meta.json t0). From the run's dockerd log slice (raw/NAME.rN.dockerd.log):
`Starting up`, `Loading containers: start.`, the restore's SIGKILL (`Container failed to exit within 10s of signal 15 -
using the force`; its SIGTERM is 10 s before, moby `containerStop`, not logged at info level), `shim disconnected`,
moby's `ignoring event … topic=/tasks/delete` of that container, `Loading containers: done.`, `Listening for
connections`, raft `became leader`, `successfully registered` (the node itself = READY), `API listen on`. From the
inspect fallback (raw/NAME.rN.inspect.json, 07n runs): the old container's State.FinishedAt. From containers.csv: the
old container's kill/die rows (t >= 0) with their source. From tasks.csv: the old task `failed`, its replacement
created / desired running / running.
"""
import calendar
import csv
import json
import os
import re
import sys
import time

NAME = "s41-daemon-restart-sigterm-ignored"
HERE = os.path.dirname(os.path.abspath(__file__))
TS = re.compile(r'^time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def epoch(s):
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z", s or "")
    if not m or s.startswith("0001-"):
        return None
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0)


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def f3(x):
    return "" if x is None else f"{x:.3f}"


def keytimes(raw, tr, run):
    tag = f"{NAME}.r{run}"
    meta = json.load(open(os.path.join(raw, f"{tag}.meta.json")))
    t0 = meta["t0"]
    k = {}
    pats = {"up": 'msg="Starting up"', "load_start": "Loading containers: start.", "load_done": "Loading containers: done.",
            "listening": "Listening for connections", "api": "API listen on", "registered": "successfully registered"}
    old = None
    lines = []
    for line in open(os.path.join(raw, f"{tag}.dockerd.log"), errors="replace"):
        m = TS.match(line)
        if not m:
            continue
        t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0) - t0
        if t >= 0:
            lines.append((t, line))
    for t, line in lines:
        for key, p in pats.items():
            if p in line and key not in k:
                k[key] = t
        if "became leader at term" in line and "leader" not in k:
            k["leader"] = t
        mf = re.search(r'using the force" container=([0-9a-f]{64})', line)
        if mf:
            k["sigkill"], old = t, mf.group(1)
    for t, line in lines:
        if old and 'msg="shim disconnected"' in line and f"id={old}" in line:
            k.setdefault("shim", t)
        if old and 'msg="ignoring event"' in line and f"container={old}" in line and "/tasks/delete" in line:
            k.setdefault("taskdel", t)
    insp = os.path.join(raw, f"{tag}.inspect.json")
    if old and os.path.exists(insp):
        for c in json.load(open(insp))["containers"]:
            if c["Id"] == old:
                fa = epoch(c["State"]["FinishedAt"])
                k["finished"] = None if fa is None else fa - t0
    cs = [r for r in rows(os.path.join(tr, f"{tag}.containers.csv")) if old and r["container_id"] == old[:12]]
    kills = [f"{r['signal']}@{float(r['t_s']):.3f}" for r in cs if r["event"] == "kill" and float(r["t_s"]) >= 0]
    die = [r for r in cs if r["event"] == "die"]
    ts = rows(os.path.join(tr, f"{tag}.tasks.csv"))
    failed = [float(r["t_s"]) for r in ts if r["state"] == "failed"]
    new = [r for r in ts if float(r["t_s"]) >= 0 and r["message"] == "(synthetic: task created)"]
    nid = new[0]["task_id"] if new else None   # the replacement's own rows (the failed task stays desired running)
    dr = [float(r["t_s"]) for r in ts if r["task_id"] == nid and r["desired_state"] == "running"]
    run_ = [float(r["t_s"]) for r in ts if r["task_id"] == nid and r["state"] == "running"]
    later = meta.get("later") or [{}]
    sk = k.get("sigkill")
    d = die[0] if die else None
    return [f"r{run}", f3(later[0].get("issued_s")), f3(k.get("up")), f3(k.get("load_start")),
            f3(None if sk is None else sk - 10), f3(sk), f3(k.get("finished")), f3(k.get("shim")), f3(k.get("taskdel")),
            ", ".join(kills) or "none", f"{float(d['t_s']):.3f} ({d.get('source') or 'events'})" if d else "none",
            f"{f3(k.get('load_done'))} (+{f3(None if sk is None or 'load_done' not in k else k['load_done'] - sk)})",
            f3(k.get("listening")), f3(k.get("leader")),
            f"{f3(k.get('registered'))} (+{f3(None if 'leader' not in k or 'registered' not in k else k['registered'] - k['leader'])})",
            f3(k.get("api")), f3(failed[0] if failed else None),
            f"{f3(float(new[0]['t_s']) if new else None)} / {f3(dr[0] if dr else None)} / {f3(run_[0] if run_ else None)}"]


HEAD = ["run", "start issued", "`Starting up`", "loading start", "SIGTERM (SIGKILL − 10)", "SIGKILL (`using the force`)",
        "exit (FinishedAt)", "shim gone", "task delete (moby log)", "kill events (signal@t)", "die row (source)",
        "loading done (− SIGKILL)", ":2377 listening", "leader", "registered (− leader)", "API", "task failed",
        "replacement created / desired running / running"]


def main(argv):
    raw, tr = os.path.join(HERE, "..", "raw"), os.path.join(HERE, "..", "traces")
    while argv and argv[0].startswith("--"):
        if argv[0] == "--raw":
            raw, argv = argv[1], argv[2:]
        elif argv[0] == "--traces":
            tr, argv = argv[1], argv[2:]
        else:
            sys.exit(__doc__)
    print("| " + " | ".join(HEAD) + " |")
    print("|" + "---|" * len(HEAD))
    for r in argv:
        print("| " + " | ".join(keytimes(raw, tr, int(r))) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""2026-12-07m (s44, s44b): key times of a READY task shut down by a newer update. Seconds after t = 0 (the run's
meta.json t0), one host clock. Sources: traces/NAME.rN.tasks.csv (Status.Timestamp rows) and the run's dockerd debug
log slice (raw/NAME.rN.dockerd.log: the agent's `assigned` line = a desired state reaching the agent; the task
manager's `state changed`).   usage: rec24_keytimes.py RUN...   (RUN = NAME.rN)   stdlib only."""
import csv
import datetime
import json
import re
import sys

TS = re.compile(r'^time="([^"]+)"')


def epoch(s):
    s = s.rstrip("Z")
    base, _, frac = s.partition(".")
    d = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return d.timestamp() + float("0." + (frac or "0"))


print("| run | v2 READY | v3 update issued / returned | v2 desired SHUTDOWN (UpdatedAt) | desired SHUTDOWN → agent "
      "(`assigned`) | v2 `state changed` READY→SHUTDOWN (agent) | v2 SHUTDOWN Status.Timestamp | SHUTDOWN − agent "
      "order | v3 desired RUNNING → agent | v3 RUNNING | v1 SIGTERM / SIGKILL / SHUTDOWN |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for run in sys.argv[1:]:
    meta = json.load(open(f"raw/{run}.meta.json"))
    t0 = meta["t0"]
    rows = list(csv.DictReader(open(f"traces/{run}.tasks.csv")))
    ids = {}
    for r in rows:
        ids.setdefault(r["image"], r["task_id"])
    v1, v2, v3 = ids["websim:v1"], ids["websim:v2-trap"], ids["websim:v3-trap"]
    def row(tid, desired, state):
        return next((float(r["t_s"]) for r in rows if r["task_id"] == tid and r["desired_state"] == desired
                     and r["state"] == state), None)
    ready2 = next(float(r["t_s"]) for r in rows if r["task_id"] == v2 and r["state"] == "ready")
    des2 = row(v2, "shutdown", "ready")
    shut2 = row(v2, "shutdown", "shutdown")
    run3 = row(v3, "running", "running")
    shut1 = row(v1, "shutdown", "shutdown")
    cont = list(csv.DictReader(open(f"traces/{run}.containers.csv")))
    term = next(float(c["t_s"]) for c in cont if c["task_id"] == v1 and c["signal"] == "15")
    kill = next((float(c["t_s"]) for c in cont if c["task_id"] == v1 and c["signal"] == "9"), None)
    agent = changed = des3 = None
    for line in open(f"raw/{run}.dockerd.log"):
        m = TS.match(line)
        if not m:
            continue
        t = epoch(m.group(1)) - t0
        if "msg=assigned" in line and f"task.id={v2}" in line and "desiredstate=SHUTDOWN" in line and agent is None:
            agent = t
        if "msg=assigned" in line and f"task.id={v3}" in line and "desiredstate=RUNNING" in line and des3 is None:
            des3 = t
        if '"state changed"' in line and f"task.id={v2}" in line and "->SHUTDOWN" in line:
            changed = t
    lt = meta["later"][0]
    f = lambda x: "" if x is None else f"{x:.3f}"
    print(f"| {run} | {f(ready2)} | {lt['issued_s']:.3f} / {lt['returned_s']:.3f} | {f(des2)} | {f(agent)} | "
          f"{f(changed)} | {f(shut2)} | **{f(shut2 - agent)}** | {f(des3)} | {f(run3)} | "
          f"{f(term)} / {f(kill)} / {f(shut1)} |")

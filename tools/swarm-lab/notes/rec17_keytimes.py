#!/usr/bin/env python3
"""Key times of the m15 / m15b runs (2026-12-07f): `docker node rm --force mn-w2` under a global service.

usage: rec17_keytimes.py MULTINODE_DIR NAME.rN [...]     (reads MULTINODE_DIR/traces and raw/, raw/worker-logs/)

Per run, t from the trace's t = 0 (the rm step's offset 0): when the rm returned, the manager's node `remove` event,
the removed node's task (its last poll listing and first poll without it: deleted.csv; any state it showed after t = 0,
e.g. `orphaned`), tasks created after t = 0 (replacements), the removed node's agent (its log: first session error
after t = 0 and its kind, the `attempted to update status for a task that has been removed` line), its container's
events (kill/die/stop/destroy), its daemon's ContainersRunning at the wsnap steps, and for m15b the node's DOWN.
Markdown table on stdout. stdlib only.
"""
import calendar
import csv
import json
import os
import re
import sys
import time

D = sys.argv[1]
TS = re.compile(r'time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def rows(tag, kind):
    p = os.path.join(D, "traces", f"{tag}.{kind}.csv")
    return list(csv.DictReader(open(p))) if os.path.exists(p) else []


def logt(line):
    m = TS.search(line)
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0) if m else None


def f(x):
    return "" if x is None else f"{x:.3f}"


print("| run | rm returned | node `remove` event | DOWN (event) | task desired shutdown | task states seen after 0 "
      "| last seen | first missing | tasks created after 0 | agent's first error after 0 | `task that has been removed` "
      "| mn-w2 container: kill / die (exit) / stop / destroy | ContainersRunning on mn-w2 at wsnaps |")
print("|" + "---|" * 13)
for tag in sys.argv[2:]:
    meta = json.load(open(os.path.join(D, "raw", f"{tag}.meta.json")))
    t0 = meta["t0"]
    rm = next(s for s in meta["steps"] if s["kind"] == "node_rm")
    victim_id = meta["node_ids"]["mn-w2"]
    nodes = rows(tag, "nodes")
    remove = next((float(r["t_s"]) for r in nodes if r["source"] == "node-event" and '"remove"' in r["detail"]), None)
    down = next((float(r["t_s"]) for r in nodes if r["source"] == "node-event" and r["node_id"] == victim_id
                 and r["state"] == "down"), None)
    tasks = rows(tag, "tasks")
    vt = sorted({r["task_id"] for r in tasks if r["node_id"] == victim_id})
    shut = next((float(r["t_s"]) for r in tasks if r["task_id"] in vt and r["desired_state"] == "shutdown"), None)
    after = sorted({r["state"] for r in tasks if r["task_id"] in vt and float(r["t_poll_s"] or -1e9) > 0})
    dele = [r for r in rows(tag, "deleted") if r["task_id"] in vt]
    created = [r for r in tasks if r["state"] == "new" and float(r["t_s"]) > 0]
    ev = [r for r in rows(tag, "containers") if r["node"] == "mn-w2" and float(r["t_s"]) > -1]
    evs = {}
    for r in ev:
        evs.setdefault(r["event"], (float(r["t_s"]), r["exit_code"]))
    cev = " / ".join(f(evs[k][0]) + (f" ({evs[k][1]})" if k == "die" else "") if k in evs else "—"
                     for k in ("kill", "die", "stop", "destroy"))
    first_err = removed_line = None
    lp = os.path.join(D, "raw", "worker-logs", f"{tag}.mn-w2.dockerd.log")
    for line in open(lp, errors="replace"):
        t = logt(line)
        if t is None or t < t0 or t - t0 > meta["t_end_s"]:   # after the window: the `rejoin` (swarm leave)
            continue
        if removed_line is None and "attempted to update status for a task that has been removed" in line:
            removed_line = t - t0
        if first_err is None and "level=error" in line:
            kind = ("heartbeat" if "heartbeat to manager" in line else
                    "status reporter" if "status reporter" in line else
                    "session" if "session failed" in line else re.sub(r'.*msg="([^"]{0,60}).*', r"\1", line.strip()))
            why = "PermissionDenied" if "PermissionDenied" in line else ("unavailable/timeout" if "Unavailable" in line
                                                                         or "deadline" in line else "")
            first_err = f"{t - t0:.3f} {kind} {why}".strip()
    snaps = []
    for s in meta["steps"]:
        if s["kind"] == "wsnap" and s["t_s"] > 0:
            m = re.search(r"ContainersRunning=(\d+)", s["stdout"])
            snaps.append(f"{s['t_s']:.0f} s: {m.group(1) if m else '?'}")
    print(f"| {tag} | {f(rm['t_returned'] - t0)} | {f(remove)} | {f(down)} | {f(shut)} | {', '.join(after) or '—'} "
          f"| {dele[0]['last_seen_s'] if dele else ''} | {dele[0]['first_missing_s'] if dele else 'never'} "
          f"| {len(created)} | {first_err or ''} | {f(removed_line)} | {cev} | {'; '.join(snaps)} |")

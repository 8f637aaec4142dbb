#!/usr/bin/env python3
"""2026-12-07o (rec32): a trace's serving count over time, as `deploysim compare` derives it (src/fidelity/trace.rs
`serving_steps`, re-written here to show a repaired trace's curve beside the original; the judge itself only
compares its minimum): tasks `running` at t = 0 serve; after t = 0 a container serves from `health_status: healthy`
(or `start`, for an image that never reports a health status) until `kill`, `die` or `health_status: unhealthy`;
a container on a node cut by actions.csv (`cut`/`kill`/`kill_manager` until `restore`/`start`/`start_manager`) does
not count while the cut lasts.

usage: rec32_serving.py TRACE_PREFIX...      (e.g. tests/data/fidelity/traces/m18-manager-restart-sigterm-ignored.r1)
"""
import csv
import os
import sys


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def serving_steps(prefix):
    tasks = rows(prefix + ".tasks.csv")
    conts = sorted(rows(prefix + ".containers.csv"), key=lambda r: float(r["t_s"]))
    acts = rows(prefix + ".actions.csv")
    state0, node_of = {}, {}
    for r in sorted(tasks, key=lambda r: float(r["t_s"])):
        if float(r["t_s"]) <= 0.0:
            state0[r["task_id"]] = r["state"]
        node_of.setdefault(r["task_id"], r.get("node", ""))
        if r.get("node"):
            node_of[r["task_id"]] = r["node"]
    cuts, open_ = [], {}
    for r in acts:
        t = float(r["t_s"])
        if r["kind"] in ("cut", "kill", "kill_manager"):
            open_.setdefault(r["target"], t)
        elif r["kind"] in ("restore", "start", "start_manager") and r["target"] in open_:
            cuts.append((r["target"], open_.pop(r["target"]), t))
    cuts += [(n, f, float("inf")) for n, f in open_.items()]
    checked = {c["image"] for c in conts if c["event"].startswith("health_status")}
    healthy = {t for t, s in state0.items() if s == "running"}
    changes = []
    for c in conts:
        t = float(c["t_s"])
        if t <= 0.0:
            continue
        if c["event"] == "health_status: healthy" or (c["event"] == "start" and c["image"] not in checked):
            changes.append((t, "up", c["task_id"]))
        elif c["event"] in ("kill", "die", "health_status: unhealthy"):
            changes.append((t, "down", c["task_id"]))
    for _, f, u in cuts:
        changes += [(f, "cut", ""), (u, "cut", "")]
    changes.sort(key=lambda x: x[0])

    def count(t):
        return sum(1 for i in healthy if not any(n == node_of.get(i, "") and f <= t < u for n, f, u in cuts))
    steps = [(0.0, count(0.0))]
    for t, kind, tid in changes:
        if kind == "up":
            healthy.add(tid)
        elif kind == "down":
            healthy.discard(tid)
        n = count(t)
        if steps[-1][1] != n:
            steps.append((t, n))
    return steps


if __name__ == "__main__":
    for p in sys.argv[1:]:
        s = serving_steps(p)
        print(f"{os.path.basename(p)}: " + ", ".join(f"{n} from {t:.3f}" for t, n in s) + f"; minimum {min(n for _, n in s)}")

#!/usr/bin/env python3
"""fid23_m09b_paths.py: the path of m09b-worker-daemon-kill-during-update, real runs and model seeds,
in one line each: the update's steps (slot@node of the old task, when taken), when mn-w1 went down
and ready again, when the update paused, and whether a step was taken after mn-w1 came back (the
freed worker won Run's select).

usage: fid23_m09b_paths.py real TRACE_PREFIX...            (tests/data/fidelity/traces/m09b-...rN)
       fid23_m09b_paths.py model DEPLOYSIM SCENARIO FIRST LAST
Times are seconds from the update command. stdlib only.
"""
import collections
import csv
import json
import subprocess
import sys
import tempfile

KILLED = "mn-w1"


def summarise(rows, node_rows, pause_t, t0):
    """rows: dicts with t, task, slot, node, image, desired, state (task table rows in time order)."""
    down = next((float(r["t_s"]) - t0 for r in node_rows if r["node"] == KILLED and r["state"] == "down"), None)
    ready = next((float(r["t_s"]) - t0 for r in node_rows if r["node"] == KILLED and r["state"] == "ready"
                  and float(r["t_s"]) - t0 > 0.5), None)
    node_of = {}
    for r in rows:
        if r["node"]:
            node_of[r["task"]] = r["node"]
    first = {}
    for r in rows:
        first.setdefault(r["task"], r)
    # A step: a new v2 task created while an old task of its slot is told SHUTDOWN in the same instant,
    # not at mn-w1's node-down (the orchestrator's replacements).
    shut = collections.defaultdict(list)
    prev = {}
    for r in rows:
        if r["desired"] == "shutdown" and prev.get(r["task"]) not in (None, "shutdown"):
            shut[r["slot"]].append((r["t"], r["task"]))
        prev[r["task"]] = r["desired"]
    steps = []
    for task, r in sorted(first.items(), key=lambda kv: kv[1]["t"]):
        if "v2" not in r["image"] or r["t"] <= 0:
            continue
        if down is not None and abs(r["t"] - down) < 0.05:
            continue
        old = [o for (t, o) in shut[r["slot"]] if abs(t - r["t"]) < 0.01 and o != task]
        node = node_of.get(old[0], "?") if old else "-"
        steps.append((r["t"], r["slot"], node, task))
    running = {}
    for r in rows:
        if r["state"] == "running" and r["task"] not in running:
            running[r["task"]] = r["t"]
    s1 = running.get(steps[0][3]) if steps else None
    after = [s for s in steps if ready is not None and s[0] > ready]
    fmt = lambda x: "-" if x is None else f"{x:.2f}"
    desc = " ".join(f"{s[1]}@{s[2]}({s[0]:.1f})" for s in steps)
    return {
        "steps": desc,
        "w1_step": next((i + 1 for i, s in enumerate(steps) if s[2] == KILLED and s[0] > 3.0), None),
        "s1_running": s1,
        "down": down,
        "ready": ready,
        "pause": pause_t,
        "after_ready": len(after),
        "line": f"steps {desc} | step1 running {fmt(s1)} | w1 down {fmt(down)} ready {fmt(ready)} "
                f"| paused {fmt(pause_t)} | steps after ready {len(after)}",
    }


def real(prefix):
    with open(prefix + ".tasks.csv") as f:
        rows = [{"t": float(r["t_s"]), "task": r["task_id"], "slot": r["slot"], "node": r["node"],
                 "image": r["image"], "desired": r["desired_state"], "state": r["state"]} for r in csv.DictReader(f)]
    with open(prefix + ".nodes.csv") as f:
        nodes = [r for r in csv.DictReader(f) if r["source"] == "node-event"]
    with open(prefix + ".service.csv") as f:
        pause = next((float(r["t_s"]) for r in csv.DictReader(f) if r["update_state"] == "paused"), None)
    return summarise(rows, nodes, pause, 0.0)


def model(binary, scenario, seed, out):
    subprocess.run([binary, "run", "--seed", str(seed), "-q", "--out", out, scenario], check=True)
    with open(f"{out}/events.csv") as f:
        rows = [{"t": float(r["t_s"]) - 30.0, "task": r["task_id"], "slot": r["slot"], "node": r["node"],
                 "image": r["image"], "desired": r["desired_state"], "state": r["state"]} for r in csv.DictReader(f)]
    with open(f"{out}/nodes.csv") as f:
        nodes = list(csv.DictReader(f))
    with open(f"{out}/summary.json") as f:
        update = json.load(f)["services"]["fid_web"]["update"]
    pause = next((c["t_s"] - 30.0 for c in update["status_changes"] if c["state"] == "paused"), None)
    return summarise(rows, nodes, pause, 30.0)


def main():
    if sys.argv[1] == "real":
        for p in sys.argv[2:]:
            print(p.rsplit(".", 1)[-1], real(p)["line"])
        return
    binary, scenario, first, last = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    tally = collections.Counter()
    with tempfile.TemporaryDirectory() as out:
        for seed in range(first, last + 1):
            s = model(binary, scenario, seed, out)
            print(seed, s["line"])
            tally[("w1 step", s["w1_step"], "after ready", s["after_ready"])] += 1
    for k, n in sorted(tally.items(), key=lambda kv: str(kv[0])):
        print(k, n)


if __name__ == "__main__":
    main()

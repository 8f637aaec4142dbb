#!/usr/bin/env python3
"""2026-12-07o (rec32): every trace's containers whose `die` and task end disagree.

usage: rec32_audit_dies.py TRACES_DIR            (e.g. tests/data/fidelity/traces)

For each run (NAME.rN.{tasks,containers}.csv; the window's end from recording.csv):
  * ended, no die: a container of a task (tasks.csv `container_id`, or containers.csv rows of that task) that
    reached a terminal observed state (complete, failed, shutdown, rejected, orphaned, remove) at 0 < t <= end —
    its container should have exited before that report — while containers.csv has no `die` of that container.
    `start` says whether the stream saw it start (else it started before the recording);
  * die, not ended: a container with a `die` whose task was not terminal at the window's end (last state);
  * a finding on a node that has no container row at all in the run says so (its daemon's events may not have
    been recorded, or nothing happened there after the stream attached).
Prints one line per finding: run, kind, node, task, slot, container, the task's terminal state and time, and the
container's events in the trace.
"""
import csv
import os
import sys

TERMINAL = {"complete", "failed", "shutdown", "rejected", "orphaned", "remove"}


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def audit(prefix):
    out = []
    tasks = sorted(rows(prefix + ".tasks.csv"), key=lambda r: float(r["t_s"]))
    conts = rows(prefix + ".containers.csv")
    rec = rows(prefix + ".recording.csv")
    end = float(rec[0]["t_end_s"]) if rec else max([float(r["t_s"]) for r in tasks + conts] or [0.0])
    by_task = {}
    for r in tasks:
        by_task.setdefault(r["task_id"], []).append(r)
    ev = {}
    cid_task = {}
    for c in conts:
        ev.setdefault(c["container_id"], []).append(c)
        cid_task[c["container_id"]] = c["task_id"]
    nodes_with_rows = {c.get("node", "") for c in conts}
    for tid, rs in by_task.items():
        cids = {r["container_id"] for r in rs if r.get("container_id")}
        cids |= {cid for cid, t in cid_task.items() if t == tid}
        node = next((r.get("node", "") for r in reversed(rs) if r.get("node")), "")
        term = next(((float(r["t_s"]), r["state"]) for r in rs if r["state"] in TERMINAL), None)
        last = rs[-1]["state"]
        for cid in sorted(cids):
            evs = [c["event"] for c in ev.get(cid, [])]
            desc = " ".join(f"{c['event']}@{float(c['t_s']):.3f}" for c in ev.get(cid, [])) or "(none)"
            if node and node not in nodes_with_rows:
                desc += " (no container row of any task on this node)"
            if term and 0.0 < term[0] <= end and "die" not in evs:
                out.append((prefix, "ended, no die" + (" (start seen)" if "start" in evs else ""), node, tid,
                            rs[-1]["slot"], cid, f"{term[1]}@{term[0]:.3f}", desc))
            if "die" in evs and last not in TERMINAL:
                out.append((prefix, "die, not ended", node, tid, rs[-1]["slot"], cid, f"last {last}", desc))
    return out


if __name__ == "__main__":
    d = sys.argv[1]
    runs = sorted({f[:-len(".tasks.csv")] for f in os.listdir(d) if f.endswith(".tasks.csv")})
    n = 0
    for r in runs:
        for f in audit(os.path.join(d, r)):
            n += 1
            print(" | ".join([os.path.basename(f[0])] + list(f[1:])))
    print(f"{len(runs)} runs, {n} findings")

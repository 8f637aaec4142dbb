#!/usr/bin/env python3
"""Key times of swarmkit's task reaper (task history retention) in recorded traces (2026-12-07d).

usage: reaper_keytimes.py TRACES_DIR NAME.rN [NAME.rN ...]

Reads NAME.rN.{tasks,containers}.csv and, when present, NAME.rN.deleted.csv (s34+: the last API poll that
listed a task and the first that did not, written by record.py since 2026-12-07d). Prints markdown:

* one row per deleted task: slot, image, its creation (the synthetic `new` row, i.e. CreatedAt), its end (first
  state past RUNNING), the TRIGGER (for a task with desired state `remove`: its end, the instant it became
  deletable; otherwise the creation of the newest task of the same slot created before the deletion — the task
  that overflowed the slot), the slot's task count right after that creation (tasks seen in the trace, created
  and not yet deleted), the last poll that listed the task and the first that did not, its container's `destroy`;
* the distributions of (destroy − trigger) and (first missing − trigger), (last seen − trigger);
* batching: the deletions grouped by the poll interval in which they vanished and the destroys grouped within
  60 ms, with how many different slots each group holds.

A "deleted" task of a trace without deleted.csv (s19, s20, ... recorded before 2026-12-07d) is one whose
container got a `destroy` event. All times are seconds after the action (t = 0). stdlib only.
"""
import csv
import os
import statistics
import sys

TERMINAL = {"complete", "shutdown", "failed", "rejected", "orphaned", "remove"}


def rows(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return list(csv.DictReader(f))


def f3(x):
    return "" if x is None else f"{x:.3f}"


def ms(x):
    return "" if x is None else f"{1000 * x:.0f}"


def analyse(d, run):
    tasks = rows(os.path.join(d, f"{run}.tasks.csv"))
    cont = rows(os.path.join(d, f"{run}.containers.csv"))
    dele = rows(os.path.join(d, f"{run}.deleted.csv"))
    info = {}
    for r in tasks:
        t = info.setdefault(r["task_id"], dict(id=r["task_id"], slot=r["slot"], image=r["image"], created=None,
                                               end=None, desired=set(), first=float(r["t_s"])))
        ts = float(r["t_s"])
        if r["state"] == "new" and r["ts_source"] == "CreatedAt":
            t["created"] = ts
        if r["state"] in TERMINAL and t["end"] is None:
            t["end"] = ts
        t["desired"].add(r["desired_state"])
        t["first"] = min(t["first"], ts)
    destroy, stop = {}, {}
    for r in cont:
        if r["event"] == "destroy":
            destroy.setdefault(r["task_id"], float(r["t_s"]))
        if r["event"] == "stop":
            stop.setdefault(r["task_id"], float(r["t_s"]))
    for tid, t in info.items():   # a task deleted before any poll saw it past RUNNING: its container's `stop`
        if t["end"] is None and tid in stop:
            t["end"], t["end_from_stop"] = stop[tid], True
    gone = {}
    if dele is not None:
        for r in dele:
            gone[r["task_id"]] = (float(r["last_seen_s"]), float(r["first_missing_s"]))
        deleted = list(gone)
    else:
        deleted = list(destroy)
    # when each task left the store (for the slot counts): first missing, else destroy, else never
    left = {tid: (gone[tid][1] if tid in gone else destroy.get(tid)) for tid in info}
    out = []
    for tid in deleted:
        t = info.get(tid, dict(id=tid, slot="?", image="?", created=None, end=None, desired=set(), first=None))
        t_del = gone[tid][1] if tid in gone else destroy.get(tid)
        if "remove" in t["desired"]:
            kind, trig, trig_task, count = "remove", t["end"], None, None
        else:
            kind = "history"
            cands = [(u["created"], u["id"]) for u in info.values() if u["slot"] == t["slot"]
                     and u["created"] is not None and u["created"] <= t_del]
            trig, trig_task = max(cands) if cands else (None, None)
            count = None
            if trig is not None:
                count = sum(1 for u in info.values() if u["slot"] == t["slot"]
                            and (u["created"] if u["created"] is not None else u["first"]) <= trig
                            and (left.get(u["id"]) is None or left[u["id"]] > trig))
        ls, fm = gone.get(tid, (None, None))
        de = destroy.get(tid)
        out.append(dict(end_stop=t.get("end_from_stop", False), run=run, task=tid, slot=t["slot"], image=t["image"], created=t["created"], end=t["end"],
                        kind=kind, trigger=trig, trigger_task=trig_task, count=count, last_seen=ls,
                        first_missing=fm, destroy=de,
                        d_destroy=None if de is None or trig is None else de - trig,
                        d_missing=None if fm is None or trig is None else fm - trig,
                        d_seen=None if ls is None or trig is None else ls - trig))
    out.sort(key=lambda x: (x["first_missing"] if x["first_missing"] is not None else (x["destroy"] or 1e9)))
    return out


def dist(vals):
    vals = sorted(v for v in vals if v is not None)
    if not vals:
        return "n = 0"
    return (f"n = {len(vals)}: min {ms(vals[0])}, median {ms(statistics.median(vals))}, "
            f"max {ms(vals[-1])} ms")


def groups(items, key, width):
    """consecutive items (sorted by key) whose key is within `width` of the group's first"""
    out = []
    for x in sorted((i for i in items if key(i) is not None), key=key):
        if out and key(x) - key(out[-1][0]) <= width:
            out[-1].append(x)
        else:
            out.append([x])
    return out


def main(argv):
    d, runs = argv[0], argv[1:]
    allrows = []
    for run in runs:
        res = analyse(d, run)
        allrows += res
        print(f"#### {run}\n")
        print("| task | slot | image | created | end | trigger | slot count | last seen | first missing | destroy "
              "| destroy − trigger (ms) | missing − trigger (ms) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for x in res:
            trig = f3(x["trigger"]) + (" (end, remove)" if x["kind"] == "remove" else
                                       f" ({x['trigger_task'][:6]})" if x["trigger_task"] else "")
            print(f"| {x['task'][:6]} | {x['slot']} | {x['image'].replace('websim:', '')} | {f3(x['created'])} "
                  f"| {f3(x['end'])}{'¹' if x['end_stop'] else ''} | {trig} | {'' if x['count'] is None else x['count']} | {f3(x['last_seen'])} "
                  f"| {f3(x['first_missing'])} | {f3(x['destroy'])} | {ms(x['d_destroy'])} | {ms(x['d_missing'])} |")
        print()
        print(f"* destroy − trigger: {dist(x['d_destroy'] for x in res)}")
        if any(x["first_missing"] is not None for x in res):
            print(f"* first missing − trigger: {dist(x['d_missing'] for x in res)}; "
                  f"last seen − trigger: {dist(x['d_seen'] for x in res)}")
            pg = groups(res, lambda x: x["first_missing"], 1e-6)
            multi = [g for g in pg if len({x['slot'] for x in g}) > 1]
            print(f"* deletions by poll interval: {len(pg)} intervals with a deletion, {len(multi)} of them with "
                  f"tasks of several slots" + (": " + "; ".join(
                      f"{f3(g[0]['first_missing'])} ({', '.join(sorted(x['slot'] for x in g))})" for g in multi)
                      if multi else ""))
        dg = groups(res, lambda x: x["destroy"], 0.060)
        multi = [g for g in dg if len({x['slot'] for x in g}) > 1]
        print(f"* destroys within 60 ms of each other: {len(dg)} groups, {len(multi)} with several slots"
              + (": " + "; ".join(f"{f3(g[0]['destroy'])}–{f3(g[-1]['destroy'])} "
                                  f"({', '.join(sorted(x['slot'] for x in g))})" for g in multi) if multi else ""))
        if any(x["end_stop"] for x in res):
            print("* ¹ no poll saw the task past RUNNING: its end is its container's `stop` event")
        nodestroy = [x["task"][:6] for x in res if x["destroy"] is None]
        if nodestroy:
            print(f"* deleted without a `destroy` in the window: {', '.join(nodestroy)}")
        print()
    if len(runs) > 1:
        print(f"**All runs above**: destroy − trigger {dist(x['d_destroy'] for x in allrows)}; "
              f"first missing − trigger {dist(x['d_missing'] for x in allrows)}; "
              f"last seen − trigger {dist(x['d_seen'] for x in allrows)}\n")


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""Key times of swarmkit's task reaper (task history retention) in recorded traces (2026-12-07d).

usage: reaper_keytimes.py TRACES_DIR [--raw=RAW_DIR] [--event=T,...] NAME.rN [NAME.rN ...]

Reads NAME.rN.{tasks,containers}.csv and, when present, NAME.rN.deleted.csv (s34+: the last API poll that
listed a task and the first that did not, written by record.py since 2026-12-07d). Prints markdown:

* one row per deleted task: slot, image, its creation (the synthetic `new` row, i.e. CreatedAt), its end (first
  state past RUNNING), the TRIGGER (for a task with desired state `remove`: its end, the instant it became
  deletable; otherwise the creation of the newest other task of the same slot created before the deletion — the
  task that overflowed the slot; a task's creation is its first `new` row: the synthetic CreatedAt row, or a poll
  that saw it NEW), the slot's task count right after that creation (tasks seen in the trace, created
  and not yet deleted), the last poll that listed the task and the first that did not, its container's `destroy`;
* the distributions of (destroy − trigger) and (first missing − trigger), (last seen − trigger);
* batching: the deletions grouped by the poll interval in which they vanished and the destroys grouped within
  60 ms, with how many different slots each group holds.

A "deleted" task of a trace without deleted.csv (s19, s20, ... recorded before 2026-12-07d) is one whose
container got a `destroy` event. All times are seconds after the action (t = 0). stdlib only.
"""
import calendar
import csv
import json
import os
import statistics
import sys
import time

TERMINAL = {"complete", "shutdown", "failed", "rejected", "orphaned", "remove"}


def tsz(v):
    """RFC3339 (ns) -> epoch seconds"""
    if not v or v.startswith("0001-"):
        return None
    v = v.rstrip("Z")
    base, _, frac = v.partition(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + (float("0." + frac) if frac else 0.0)


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
        if r["state"] == "new" and t["created"] is None:   # synthetic (CreatedAt) or a poll that saw NEW
            t["created"] = ts
        if r["state"] in TERMINAL and t["end"] is None:
            t["end"] = ts
        t["desired"].add(r["desired_state"])
        if r["ts_source"] == "Status.Timestamp":   # swarmkit sorts a slot's tasks by Status.Timestamp
            t["status_ts"] = ts
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
            cands = [(u["created"], u["id"]) for u in info.values() if u["slot"] == t["slot"] and u["id"] != tid
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
    if dele is not None:   # tasks per slot at the end of the recording: listed by the polls and not deleted
        left_per_slot = {}
        for tid, t in info.items():
            if tid not in gone:
                left_per_slot[t["slot"]] = left_per_slot.get(t["slot"], 0) + 1
        analyse.end_counts = left_per_slot
    else:
        analyse.end_counts = None
    # the reaper's timer replayed on the trace: every task row (creation = CreatedAt, a state change = the agent's
    # Status.Timestamp, a desired-state change = UpdatedAt) is a watched store event; an event while the timer is
    # stopped starts it, it fires 250 ms later (tick) and stops. Cluster updates (s37's limit change) are events too.
    raw = os.path.join(analyse.raw_dir, f"{run}.tasks.jsonl") if analyse.raw_dir else None
    if raw and os.path.exists(raw):
        # the store's own times: every task version the polls saw (Meta.UpdatedAt) and every creation (CreatedAt);
        # t0 from the run's meta.json. Versions no poll saw (< 50 ms apart) are missing.
        t0 = json.load(open(os.path.join(analyse.raw_dir, f"{run}.meta.json")))["t0"]
        evs = set()
        for line in open(raw):
            tk = json.loads(line)["task"]
            for k in ("CreatedAt", "UpdatedAt"):
                v = tsz(tk.get(k))
                if v is not None:
                    evs.add(v - t0)
        evs = sorted(evs | set(analyse.extra_events))
        analyse.replay_source = "store times (raw task versions' CreatedAt/UpdatedAt)"
    else:
        evs = sorted([float(r["t_s"]) for r in tasks] + list(analyse.extra_events))
        analyse.replay_source = "trace times (agent Status.Timestamp for state changes)"
    ticks, armed = [], None
    for e in evs:
        if armed is not None and e >= armed:
            ticks.append(armed)
            armed = None
        if armed is None:
            armed = e + 0.250
    if armed is not None:
        ticks.append(armed)
    for x in out:
        x["tick"] = None
        if x["first_missing"] is not None:
            ref = x["trigger"] if x["trigger"] is not None else x["last_seen"]
            cand = [tk for tk in ticks if tk >= ref]
            x["tick"] = cand[0] if cand else None
    # oldest first: a task deleted while another finished task of its slot, with an OLDER Status.Timestamp, stayed
    # (was still listed / its container not yet destroyed at the deletion) would contradict swarmkit's
    # TasksByTimestamp order
    for x in out:
        t_del = x["first_missing"] if x["first_missing"] is not None else x["destroy"]
        me = info.get(x["task"], {}).get("status_ts")
        x["order_violation"] = [u["id"][:6] for u in info.values()
                                if x["kind"] == "history" and u["slot"] == x["slot"] and u["id"] != x["task"]
                                and u["end"] is not None and u["end"] < t_del and me is not None
                                and u.get("status_ts") is not None and u["status_ts"] < me
                                and (left.get(u["id"]) is None or left[u["id"]] > t_del + 0.2)]
    out.sort(key=lambda x: (x["first_missing"] if x["first_missing"] is not None else (x["destroy"] or 1e9)))
    return out


def tickcell(x):
    """the replayed tick, and whether it falls between the last poll that listed the task and the first that did
    not (`in`), or how far before / after that interval it is"""
    if x.get("tick") is None or x["first_missing"] is None:
        return ""
    tk, ls, fm = x["tick"], x["last_seen"], x["first_missing"]
    if ls - 0.005 <= tk <= fm:   # 5 ms: half a request (the poll times are mid-request)
        return f"{tk:.3f} in"
    return f"{tk:.3f} " + (f"{1000 * (ls - tk):.0f} ms early" if tk < ls else f"{1000 * (tk - fm):.0f} ms late")


def dist(vals):
    vals = sorted(v for v in vals if v is not None)
    if not vals:
        return "n = 0"
    return (f"n = {len(vals)}: min {ms(vals[0])}, median {ms(statistics.median(vals))}, "
            f"p90 {ms(vals[int(0.9 * (len(vals) - 1))])}, max {ms(vals[-1])} ms")


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
    analyse.extra_events, analyse.raw_dir = [], None
    while runs and runs[0].startswith("--"):
        opt, _, val = runs.pop(0).partition("=")
        if opt == "--event":     # e.g. --event=20.0 (s37: the cluster update at t = 20 s)
            analyse.extra_events = [float(v) for v in val.split(",")]
        elif opt == "--raw":     # the research folder's raw/ (NAME.rN.tasks.jsonl, meta.json): store times
            analyse.raw_dir = val
    allrows = []
    for run in runs:
        res = analyse(d, run)
        allrows += res
        print(f"#### {run}\n")
        print("| task | slot | image | created | end | trigger | slot count | last seen | first missing | destroy "
              "| destroy − trigger (ms) | missing − trigger (ms) | replayed tick |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for x in res:
            trig = f3(x["trigger"]) + (" (end, remove)" if x["kind"] == "remove" else
                                       f" ({x['trigger_task'][:6]})" if x["trigger_task"] else "")
            print(f"| {x['task'][:6]} | {x['slot']} | {x['image'].replace('websim:', '')} | {f3(x['created'])} "
                  f"| {f3(x['end'])}{'¹' if x['end_stop'] else ''} | {trig} | {'' if x['count'] is None else x['count']} | {f3(x['last_seen'])} "
                  f"| {f3(x['first_missing'])} | {f3(x['destroy'])} | {ms(x['d_destroy'])} | {ms(x['d_missing'])} "
                  f"| {tickcell(x)} |")
        print()
        print(f"* destroy − trigger: {dist(x['d_destroy'] for x in res)}")
        if any(x["first_missing"] is not None for x in res):
            print(f"* first missing − trigger: {dist(x['d_missing'] for x in res)}; "
                  f"last seen − trigger: {dist(x['d_seen'] for x in res)}")
            print(f"* destroy − first missing: {dist(x['destroy'] - x['first_missing'] for x in res if x['destroy'] is not None and x['first_missing'] is not None)}; "
                  f"destroy − replayed tick: {dist(x['destroy'] - x['tick'] for x in res if x['destroy'] is not None and x.get('tick') is not None)}")
            inwin = [x for x in res if x.get("tick") is not None and tickcell(x).endswith(" in")]
            print(f"* replayed ticks ({analyse.replay_source}) between the deleting polls: {len(inwin)} of "
                  f"{sum(1 for x in res if x.get('tick') is not None)}")
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
        if analyse.end_counts is not None:
            print("* tasks per slot at the end (listed, not deleted): " + ", ".join(
                f"{k}: {v}" for k, v in sorted(analyse.end_counts.items(), key=lambda kv: str(kv[0]))))
        viol = [f"{x['task'][:6]} (kept older {', '.join(x['order_violation'])})" for x in res if x["order_violation"]]
        print("* deleted oldest-by-Status.Timestamp first: " + ("yes, every deletion" if not viol else
                                                             "NO: " + "; ".join(viol)))
        nodestroy = [x["task"][:6] for x in res if x["destroy"] is None]
        if nodestroy:
            print(f"* deleted without a `destroy` in the window: {', '.join(nodestroy)}")
        print()
    if len(runs) > 1:
        print(f"**All runs above**: destroy − trigger {dist(x['d_destroy'] for x in allrows)}; "
              f"destroy − replayed tick {dist(x['destroy'] - x['tick'] for x in allrows if x['destroy'] is not None and x.get('tick') is not None)}; "
              f"first missing − trigger {dist(x['d_missing'] for x in allrows)}; "
              f"last seen − trigger {dist(x['d_seen'] for x in allrows)}\n")


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""Key times of the tasks deleted in s38 (service rm) and s39 (dead slot at reconcile), 2026-12-07e.

usage: rec16_keytimes.py TRACES_DIR TAG...      (TAG = NAME.rN; stdlib only)

For every task of the affected slots (s38: every slot; s39: the slot the scale-down removed, i.e. the slot whose task
got desired state REMOVE): its creation (CreatedAt; empty: before the recording), end (first state past RUNNING, or
its last state if it never got there), the time its desired state became REMOVE (UpdatedAt of that version), the last
poll that listed it and the first that did not (deleted.csv), its container's `destroy`, and the delays of the
deletion after the recorder's command (s38: `service rm` issued at t = 15.000; s39: `service update` at t = 20.000)
or, for a task that ended after its desired REMOVE, after its end.
"""
import csv
import os
import sys

PAST_RUNNING = {"complete", "failed", "shutdown", "rejected", "orphaned", "remove"}


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def f3(x):
    return "" if x is None else f"{x:.3f}"


def ms(a, b):
    return "" if a is None or b is None else f"{1000 * (a - b):.0f}"


def main():
    d = sys.argv[1]
    for tag in sys.argv[2:]:
        name = tag.rsplit(".", 1)[0]
        cmd_t = 15.0 if name.startswith("s38") else 20.0
        tasks = rows(os.path.join(d, f"{tag}.tasks.csv"))
        dele = {r["task_id"]: r for r in rows(os.path.join(d, f"{tag}.deleted.csv"))}
        dest = {r["task_id"]: float(r["t_s"]) for r in rows(os.path.join(d, f"{tag}.containers.csv"))
                if r["event"] == "destroy"}
        info = {}
        for r in tasks:
            t = float(r["t_s"])
            i = info.setdefault(r["task_id"], dict(slot=r["slot"], image=r["image"].split(":")[-1], created=None,
                                                    end=None, remove=None, last=None))
            if r["ts_source"] == "CreatedAt" or (r["state"] == "new" and i["created"] is None):
                i["created"] = t
            if i["end"] is None and r["state"] in PAST_RUNNING:
                i["end"] = t
            if i["remove"] is None and r["desired_state"] == "remove":
                i["remove"] = t
            i["last"] = (t, r["state"])
        if name.startswith("s38"):
            slots = sorted({i["slot"] for i in info.values()})
        else:
            slots = sorted({i["slot"] for i in info.values() if i["remove"] is not None})
        print(f"#### {tag}\n")
        print("| task | slot | image | created | end | desired REMOVE | last seen | first missing | destroy | "
              f"first missing − {cmd_t:.0f} s (ms) | destroy − {cmd_t:.0f} s (ms) | first missing − end (ms) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for tid, i in sorted(info.items(), key=lambda kv: (kv[1]["slot"], kv[1]["created"] or -1e9)):
            if i["slot"] not in slots:
                continue
            dl = dele.get(tid)
            ls = float(dl["last_seen_s"]) if dl else None
            fm = float(dl["first_missing_s"]) if dl else None
            de = dest.get(tid)
            end = i["end"]
            end_s = f3(end) if end is not None else f"({i['last'][1]})"
            print(f"| {tid[:6]} | {i['slot']} | {i['image']} | {f3(i['created'])} | {end_s} | {f3(i['remove'])} | "
                  f"{f3(ls) if dl else 'still listed'} | {f3(fm)} | {f3(de)} | {ms(fm, cmd_t)} | {ms(de, cmd_t)} | "
                  f"{ms(fm, end) if (end is not None and i['remove'] is not None and end >= i['remove']) else ''} |")
        print()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""rec21_s29_s22b.py: the real path of s29-alternate-crash and s22b-rollback-fails-pause runs (2026-12-07j), from the
traces (s29: also raw/NAME.rN.alt-log.txt, count → container, when --raw is given).

usage: rec21_s29_s22b.py TRACES_DIR [--raw=RAW_DIR] s29 RUN... | s22b RUN...
stdlib only.
"""
import csv
import os
import sys


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def load(traces, name, run):
    p = os.path.join(traces, f"{name}.r{run}")
    return rows(p + ".tasks.csv"), rows(p + ".containers.csv"), rows(p + ".service.csv")


def s29(traces, raw, run):
    name = "s29-alternate-crash"
    tasks, conts, svc = load(traces, name, run)
    f = float
    created, first_state = {}, {}
    for r in tasks:
        if r["image"] != "websim:v2-alt":
            continue
        if r["state"] == "new":
            created.setdefault(r["task_id"], (f(r["t_s"]), r["slot"]))
        if r["state"] in ("running", "failed") and (r["task_id"], r["state"]) not in first_state:
            first_state[(r["task_id"], r["state"])] = f(r["t_s"])
    starts = [(f(r["t_s"]), r["task_id"], r["container_id"]) for r in conts
              if r["image"] == "websim:v2-alt" and r["event"] == "start"]
    starts.sort()
    count = {cid: i + 1 for i, (_, _, cid) in enumerate(starts)}
    if raw:
        al = os.path.join(raw, f"{name}.r{run}.alt-log.txt")
        if os.path.exists(al):
            for line in open(al):
                n, host = line.split()
                for c in count:
                    if c.startswith(host[:12]) and count[c] != int(n):
                        count[c] = f"{count[c]}≠log {n}"
    cont_of = {tid: (t, cid) for t, tid, cid in starts}
    seen_slots, order, upd, rst = set(), [], [], []
    for tid, (tc, slot) in sorted(created.items(), key=lambda c: c[1][0]):
        kind = "upd" if slot not in seen_slots else "rst"
        seen_slots.add(slot)
        if kind == "upd":
            order.append(slot)
        run_ = first_state.get((tid, "running"))
        fail = first_state.get((tid, "failed"))
        st, cid = cont_of.get(tid, (None, None))
        s = f"S{slot} {tc:.3f}"
        if run_ is not None:
            s += f" → {run_:.3f}"
        if fail is not None:
            s += f" → **{fail:.3f}**"
        if cid:
            s += f" [{count[cid]}]"
        (upd if kind == "upd" else rst).append((tc, s, tid, st))
    states = [(f(r["t_s"]), r["update_state"], r["message"]) for r in svc if r["update_state"] not in ("(none)",)]
    end = "; ".join(f"{s} {t:.3f}" for t, s, _ in states)
    # the race: the 4th update task's container start against the first restart task's container start
    race = ""
    if len(upd) >= 4 and rst:
        u4, r1 = upd[3][3], rst[0][3]
        if u4 is not None and r1 is not None:
            race = (f"upd S{upd[3][1].split()[0][1:]} {u4:.3f} / rst {r1:.3f}: "
                    f"{'update first' if u4 < r1 else 'restart first'} ({1000 * abs(u4 - r1):.0f} ms)")
    failed_upd = sum(1 for u in upd if "**" in u[1])
    return dict(run=f"r{run}", order=", ".join(order), upd="; ".join(u[1] for u in upd),
                rst="; ".join(r[1] for r in rst), race=race, failed=str(failed_upd), end=end)


def s22b(traces, raw, run):
    name = "s22b-rollback-fails-pause"
    tasks, conts, svc = load(traces, name, run)
    f = float
    created = {}
    end = {}
    for r in tasks:
        if r["state"] == "new":
            created.setdefault(r["task_id"], (f(r["t_s"]), r["slot"], r["image"]))
        if r["state"] in ("complete", "failed", "shutdown", "rejected") and r["task_id"] not in end:
            end[r["task_id"]] = (f(r["t_s"]), r["state"])
    st = {r["update_state"]: (f(r["t_s"]), r["message"]) for r in reversed(svc)}
    rb = st.get("rollback_started", (None, ""))[0]
    bad = sorted(((t, c) for t, c in created.items() if c[2] == "websim:bad-health"), key=lambda c: c[1][0])
    first = bad[0]
    early = [c for t, c in bad[1:] if rb is not None and c[0] <= rb + 0.02]
    others = [f"S{c[1]} {c[0]:.3f}" for c in early if c[1] != first[1][1]]
    restart = [f"{c[0]:.3f}" for c in early if c[1] == first[1][1]]
    # rollback's v1-flag tasks: created at or after rollback_started
    rbt = [(c[0], c[1], t) for t, c in created.items() if c[2] == "websim:v1-flag" and rb is not None
           and rb - 0.01 <= c[0] <= rb + 2.0]
    rbt.sort()
    def who(t, tc):
        dr = next((f(r["t_s"]) for r in tasks if r["task_id"] == t and r["desired_state"] == "running"), None)
        return "?" if dr is None else ("rst, desired running +%.2f s" % (dr - tc) if dr - tc > 4.0 else "upd")
    rbs = "; ".join((f"S{s} {tc:.3f} → {end[t][0]:.3f} {end[t][1]}" if t in end else f"S{s} {tc:.3f}")
                    + f" ({who(t, tc)})" for tc, s, t in rbt)
    paused = st.get("rollback_paused")
    states = "; ".join(f"{r['update_state']} {f(r['t_s']):.3f}" for r in svc if r["update_state"] != "(none)")
    fe = end.get(first[0])
    return dict(run=f"r{run}", bad=f"S{first[1][1]}: {first[1][0]:.3f} → {fe[0]:.3f} {fe[1]}" if fe else "?",
                rb=f"{rb:.3f}" if rb is not None else "none",
                second="yes, " + ", ".join(others) if others else "no", rbt=rbs,
                restart="yes, " + ", ".join(restart) if restart else "no",
                paused=f"{paused[0]:.3f}, \"{paused[1][:60]}…\"" if paused else "none", states=states)


def table(heads, cols, ds):
    print("| " + " | ".join(heads) + " |")
    print("|" + "---|" * len(heads))
    for d in ds:
        print("| " + " | ".join(d[c] for c in cols) + " |")


def main():
    args = sys.argv[1:]
    traces = args.pop(0)
    raw = None
    if args[0].startswith("--raw="):
        raw = args.pop(0)[6:]
    which = args.pop(0)
    runs = [int(x) for x in args]
    if which == "s29":
        table(["run", "slot order", "update tasks: created → running → failed [count]",
               "restart tasks: created → running → failed [count]", "4th update step vs 1st restart (container start)",
               "failed update tasks", "UpdateStatus"],
              ["run", "order", "upd", "rst", "race", "failed", "end"], [s29(traces, raw, r) for r in runs])
    else:
        table(["run", "bad task (slot): created → end", "rollback_started",
               "2nd slot taken by the forward updater (by rollback_started)?",
               "bad-health restart task of that slot by rollback_started?",
               "v1-flag replacements by rollback_started + 2 s: created → end (by)", "rollback_paused", "UpdateStatus rows"],
              ["run", "bad", "rb", "second", "restart", "rbt", "paused", "states"], [s22b(traces, raw, r) for r in runs])


if __name__ == "__main__":
    main()

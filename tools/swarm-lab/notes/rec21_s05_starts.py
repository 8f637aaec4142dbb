#!/usr/bin/env python3
"""rec21_s05_starts.py: where the spread between s05's two first-batch bad-health containers comes from (2026-12-07j).
Per run: the two old v1-trap containers' `kill` (SIGTERM) events, the two bad-health tasks' desired → running rows
(the store's UpdatedAt of the assignment the agent acts on), their `starting` rows (agent), their containers' `create`
and `start` events, and the spread (second − first, ms) at each stage, in the order of the container starts.
usage: rec21_s05_starts.py TRACES_DIR RUN...     stdlib only."""
import csv, os, sys
T = sys.argv[1]
print("| run | old kill spread | desired running A / B (spread) | starting A / B (spread) | create spread | start A / B (spread) | start − desired running A / B |")
print("|---|---|---|---|---|---|---|")
for r in sys.argv[2:]:
    p = os.path.join(T, f"s05-bad-health-rollback.r{r}")
    tasks = list(csv.DictReader(open(p + ".tasks.csv")))
    conts = list(csv.DictReader(open(p + ".containers.csv")))
    bad = []
    for x in tasks:
        if x["image"] == "websim:bad-health" and x["state"] == "new" and float(x["t_s"]) < 1 and x["task_id"] not in bad:
            bad.append(x["task_id"])
    ev = lambda t, e: next((float(c["t_s"]) for c in conts if c["task_id"] == t and c["event"] == e), None)
    bad.sort(key=lambda t: ev(t, "start"))
    slots = {t: next(x["slot"] for x in tasks if x["task_id"] == t) for t in bad}
    dr = {t: next(float(x["t_s"]) for x in tasks if x["task_id"] == t and x["desired_state"] == "running") for t in bad}
    stg = {t: next(float(x["t_s"]) for x in tasks if x["task_id"] == t and x["state"] == "starting") for t in bad}
    old = [float(c["t_s"]) for c in conts if c["image"] == "websim:v1-trap" and c["event"] == "kill" and c["slot"] in slots.values() and float(c["t_s"]) < 3]
    a, b = bad
    sp = lambda d: f"{d[a]:.3f} / {d[b]:.3f} ({1000 * (d[b] - d[a]):+.0f})"
    cr = {t: ev(t, "create") for t in bad}
    st = {t: ev(t, "start") for t in bad}
    oks = f"{1000 * (max(old) - min(old)):.0f}" if len(old) == 2 else "?"
    print(f"| r{r} | {oks} | {sp(dr)} | {sp(stg)} | {1000 * (cr[b] - cr[a]):+.0f} | {sp(st)} | "
          f"{1000 * (st[a] - dr[a]):.0f} / {1000 * (st[b] - dr[b]):.0f} |")

#!/usr/bin/env python3
"""rec21_paths.py: the real path of each s05-bad-health-rollback run (2026-12-07j), from its traces (and, when given,
the raw task versions, which carry the store's own UpdatedAt / Version.Index of each status write).

usage: rec21_paths.py TRACES_DIR [--raw=RAW_DIR] RUN...      (RUN = 1, 2, … of s05-bad-health-rollback)

Columns: A, B = the two first-batch bad-health tasks, A the first to end (`complete`); their containers' `start`
events and the spread; their `health_status: unhealthy` events; their `complete` times (agent's Status.Timestamp);
rollback_started (service event); B's state at rollback_started; "one batch" = both `complete` before rollback_started
(the raw column, when given: the store's UpdatedAt of each `complete` version, ms apart, and whether the Version.Index
is the same); a bad-health task created after the first batch and before rollback_started (the restart supervisor
acted on A before the updater rolled back); each slot's v1-trap replacement: created → desired running (5 s later:
restart supervisor, restart delay; at once: the rollback updater); rollback_completed; the path.
stdlib only.
"""
import csv
import datetime
import json
import os
import sys

NAME = "s05-bad-health-rollback"


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def iso(s):
    s = s.rstrip("Z")
    if "." in s:
        a, b = s.split(".")
        s = a + "." + b[:6]
    return datetime.datetime.fromisoformat(s).replace(tzinfo=datetime.timezone.utc).timestamp()


def raw_complete(raw, run, ids):
    """{task id: (UpdatedAt - t0 s, Version.Index)} of the first polled version of each task in `complete`."""
    meta = json.load(open(os.path.join(raw, f"{NAME}.r{run}.meta.json")))
    t0 = meta["t0"]
    out = {}
    for line in open(os.path.join(raw, f"{NAME}.r{run}.tasks.jsonl")):
        t = json.loads(line)["task"]
        if t["ID"] in ids and t["ID"] not in out and t["Status"]["State"] in ("complete", "failed", "shutdown"):
            out[t["ID"]] = (iso(t["UpdatedAt"]) - t0, t["Version"]["Index"])
    return out


def one(traces, raw, run):
    p = os.path.join(traces, f"{NAME}.r{run}")
    tasks, conts, svc = rows(p + ".tasks.csv"), rows(p + ".containers.csv"), rows(p + ".service.csv")
    f = lambda x: float(x)
    rb_start = next(f(r["t_s"]) for r in svc if r["update_state"] == "rollback_started")
    rb_done = next((f(r["t_s"]) for r in svc if r["update_state"] == "rollback_completed"), None)
    created = {}
    for r in tasks:
        if r["state"] == "new":
            created.setdefault(r["task_id"], (f(r["t_s"]), r["slot"], r["image"]))
    bad = sorted((c for c in created.items() if c[1][2] == "websim:bad-health"), key=lambda c: c[1][0])
    first = [b[0] for b in bad if b[1][0] < 1.0]
    assert len(first) == 2, first
    end, endst = {}, {}
    for r in tasks:
        if r["task_id"] in first and r["state"] in ("complete", "failed", "shutdown") and r["task_id"] not in end:
            end[r["task_id"]] = f(r["t_s"])
            endst[r["task_id"]] = r["state"]
    a, b = sorted(first, key=lambda t: end[t])
    ev = lambda t, e: next((f(r["t_s"]) for r in conts if r["task_id"] == t and r["event"] == e), None)
    st = {t: ev(t, "start") for t in (a, b)}
    un = {t: ev(t, "health_status: unhealthy") for t in (a, b)}
    state_b = endst[b] if end[b] <= rb_start else "starting"
    restart_bad = [(created[t][0], created[t][1]) for t, _ in bad if t not in first and created[t][0] <= rb_start + 0.01]
    # v1-trap replacements of the two slots after rollback_started
    repl = []
    for t, (tc, slot, img) in sorted(created.items(), key=lambda c: c[1][0]):
        if img == "websim:v1-trap" and tc >= rb_start - 0.01 and slot in (created[a][1], created[b][1]):
            dr = next((f(r["t_s"]) for r in tasks if r["task_id"] == t and r["desired_state"] == "running"), None)
            run_ = next((f(r["t_s"]) for r in tasks if r["task_id"] == t and r["state"] == "running"), None)
            who = "rst" if dr is not None and dr - tc > 4.0 else "upd"
            repl.append(f"S{slot} {tc:.3f}→{dr:.3f}→{run_:.3f} ({who})" if dr and run_ else f"S{slot} {tc:.3f} (?)")
    whos = [x.split("(")[-1].rstrip(")") for x in repl]
    if whos and all(w == "rst" for w in whos):
        path = "restart-first" if not restart_bad else "?"
    elif whos and all(w == "upd" for w in whos):
        path = "rollback-replaced"
    else:
        path = "mixed"
    rawcol = ""
    if raw:
        rc = raw_complete(raw, run, {a, b})
        if a in rc and b in rc:
            rawcol = (f"store {rc[a][0]:.3f} / {rc[b][0]:.3f} ({1000 * (rc[b][0] - rc[a][0]):.0f} ms; index "
                      f"{'same' if rc[a][1] == rc[b][1] else f'{rc[a][1]} / {rc[b][1]}'})")
    one_batch = "yes" if end[b] <= rb_start else "no"
    return dict(run=f"r{run}", path=path,
                slots=f"A S{created[a][1]}, B S{created[b][1]}",
                start=f"{st[a]:.3f} / {st[b]:.3f} ({1000 * abs(st[b] - st[a]):.0f} ms)",
                unhealthy=f"{un[a]:.3f} / {un[b]:.3f} ({1000 * (un[b] - un[a]):+.0f} ms)" if un[a] and un[b] else "?",
                complete=(f"{end[a]:.3f} / {end[b]:.3f} ({1000 * (end[b] - end[a]):.0f} ms)"
                          + "".join(f"; {x} ended **{endst[t]}**" for x, t in (("A", a), ("B", b)) if endst[t] != "complete")),
                rb_start=f"{rb_start:.3f}", b_at_rb=state_b, one_batch=one_batch, raw=rawcol,
                restart_bad=", ".join(f"S{s} {t:.3f}" for t, s in restart_bad) or "no",
                repl="; ".join(repl), rb_done=f"{rb_done:.3f}" if rb_done is not None else "none")


def main():
    args = sys.argv[1:]
    traces = args.pop(0)
    raw = None
    runs = []
    for x in args:
        if x.startswith("--raw="):
            raw = x[6:]
        else:
            runs.append(int(x))
    cols = ["run", "path", "slots", "start", "unhealthy", "complete", "rb_start", "b_at_rb", "one_batch", "raw",
            "restart_bad", "repl", "rb_done"]
    heads = ["run", "path", "A, B", "container start A / B (spread)", "unhealthy A / B", "end (complete) A / B",
             "rollback_started", "B at rollback_started", "both ended before it (one batch)", "complete written (raw)",
             "bad-health restart task before rollback_started", "v1-trap replacements: created → desired running → running",
             "rollback_completed"]
    print("| " + " | ".join(heads) + " |")
    print("|" + "---|" * len(heads))
    for r in runs:
        d = one(traces, raw if raw and os.path.exists(os.path.join(raw, f"{NAME}.r{r}.tasks.jsonl")) else None, r)
        print("| " + " | ".join(d[c] for c in cols) + " |")


if __name__ == "__main__":
    main()

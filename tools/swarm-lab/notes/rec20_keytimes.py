#!/usr/bin/env python3
"""Key times of the m17/m17b/m17c/m17d runs (2026-12-07i): t in s after mn-w1's dockerd kill (t = 0), from traces/ and
the sliced mn-w1 log. Ranges over the run's tasks (min-max) where several tasks change together.

usage: rec20_keytimes.py MULTINODE_DIR NAME.rN...      (stdlib only)
"""
import calendar, csv, json, os, re, sys, time

D = sys.argv[1]
TS = re.compile(r'time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def rows(tag, kind):
    p = os.path.join(D, "traces", f"{tag}.{kind}.csv")
    return list(csv.DictReader(open(p))) if os.path.exists(p) else []


def logt(line):
    m = TS.search(line)
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0) if m else None


def rng(v):
    v = sorted(v)
    if not v:
        return "none"
    return f"{v[0]:.3f}" if v[-1] - v[0] < 0.0005 else f"{v[0]:.3f}–{v[-1]:.3f}"


print("| run | action at t=3 (rc, s) | desired `remove`/`shutdown` (UpdatedAt) | mn-w1 DOWN | dockerd start | "
      "`Loading containers: start` | SIGTERM (restore) | die (exit) | `Loading containers: done` | READY (event) | "
      "final states (Status.Timestamp) | tasks deleted (first missing) | container destroy |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for tag in sys.argv[2:]:
    meta = json.load(open(os.path.join(D, "raw", f"{tag}.meta.json")))
    t0 = meta["t0"]
    acts = rows(tag, "actions")
    act = {r["kind"]: r for r in acts if r["kind"] not in ("pst",)}
    a3 = [r for r in acts if r["kind"] in ("service_rm", "node_rm") or (r["kind"] == "scale" and r["cmd"].endswith("=0"))]
    ce = [r for r in rows(tag, "containers") if r["node"] == "mn-w1"]
    terms = [float(r["t_s"]) for r in ce if r["event"] == "kill" and r["signal"] == "15" and float(r["t_s"]) > 0]
    die = [(float(r["t_s"]), r["exit_code"]) for r in ce if r["event"] == "die" and float(r["t_s"]) > 0]
    destroy = [float(r["t_s"]) for r in ce if r["event"] == "destroy"]
    nodes = [r for r in rows(tag, "nodes") if r["node"] == "mn-w1" and r["source"] == "node-event"]
    down = [float(r["t_s"]) for r in nodes if r["state"] == "down"]
    ready = [float(r["t_s"]) for r in nodes if r["state"] == "ready"]
    tk = [r for r in rows(tag, "tasks") if float(r["t_s"]) > 0]
    desired = [float(r["t_s"]) for r in tk if r["desired_state"] in ("remove", "shutdown") and r["ts_source"] != "Status.Timestamp"
               and r["state"] in ("running", "assigned", "orphaned")]
    finals = {}
    for r in tk:
        if r["state"] in ("complete", "shutdown", "failed", "orphaned"):
            finals.setdefault(r["state"], []).append(float(r["t_s"]))
    dl = [float(r["first_missing_s"]) for r in rows(tag, "deleted")]
    ls = ld = None
    lp = os.path.join(D, "raw", "worker-logs", f"{tag}.mn-w1.dockerd.log")
    if os.path.exists(lp):
        for line in open(lp, errors="replace"):
            t = logt(line)
            if t is None or t - t0 < 0:
                continue
            if "Loading containers: start." in line and ls is None:
                ls = t - t0
            if "Loading containers: done." in line and ld is None:
                ld = t - t0
    f = lambda v: "" if v is None else f"{v:.3f}"
    a = a3[0] if a3 else None
    print(f"| {tag} | {(a['kind'] + ' ' + f(float(a['t_s'])) + ' (rc ' + a['rc'] + ', ' + a['returned_after_s'] + ')') if a else ''} | "
          f"{rng(desired)} | {rng(down)} | {f(float(act['start']['t_s']))} | {f(ls)} | {rng(terms)} | "
          f"{rng([d[0] for d in die])} ({','.join(sorted(set(d[1] for d in die)))}) | {f(ld)} | {rng(ready)} | "
          f"{'; '.join(k + ' ' + rng(v) for k, v in sorted(finals.items()))} | {rng(dl)} | {rng(destroy)} |")

#!/usr/bin/env python3
"""Key times of the m16/m16b runs (2026-12-07h): t in s after the scale (t = 0), from traces/ and the sliced mn-w1 log.

usage: rec19_keytimes.py MULTINODE_DIR NAME.rN...      (stdlib only)
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


print("| run | SIGTERM (agent) | dockerd kill | mn-w1 DOWN | dockerd start | `Loading containers: start` | SIGTERM (restarted dockerd) "
      "| SIGKILL | die (exit) | `Loading containers: done` | READY (event) | API answers (1 s poll) | task `shutdown` (exit) "
      "Status.Timestamp / first poll | task deleted (last seen / first missing) | container destroy |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for tag in sys.argv[2:]:
    meta = json.load(open(os.path.join(D, "raw", f"{tag}.meta.json")))
    t0 = meta["t0"]
    act = {r["kind"]: float(r["t_s"]) for r in rows(tag, "actions") if r["kind"] in ("kill", "start", "scale")}
    ce = [r for r in rows(tag, "containers") if r["node"] == "mn-w1"]
    terms = [float(r["t_s"]) for r in ce if r["event"] == "kill" and r["signal"] == "15"]
    kills = [float(r["t_s"]) for r in ce if r["event"] == "kill" and r["signal"] == "9"]
    die = [(float(r["t_s"]), r["exit_code"]) for r in ce if r["event"] == "die"]
    destroy = [float(r["t_s"]) for r in ce if r["event"] == "destroy"]
    nodes = [r for r in rows(tag, "nodes") if r["node"] == "mn-w1" and r["source"] == "node-event"]
    down = [float(r["t_s"]) for r in nodes if r["state"] == "down"]
    ready = [float(r["t_s"]) for r in nodes if r["state"] == "ready"]
    api = [float(r["t_s"]) for r in rows(tag, "daemons") if r["daemon"] == "mn-w1" and r["LocalNodeState"] == "active"
           and float(r["t_s"]) > 0]
    sh = [r for r in rows(tag, "tasks") if r["state"] == "shutdown"]
    dl = rows(tag, "deleted")
    ls = ld = None
    lp = os.path.join(D, "raw", "worker-logs", f"{tag}.mn-w1.dockerd.log")
    if os.path.exists(lp):
        for line in open(lp, errors="replace"):
            if "Loading containers: start." in line and ls is None:
                ls = logt(line) - t0
            if "Loading containers: done." in line and ld is None:
                ld = logt(line) - t0
    f = lambda v: "" if v is None else f"{v:.3f}"
    first = lambda l: l[0] if l else None
    print(f"| {tag} | {f(first(terms))} | {f(act.get('kill'))} | {f(first(down))} | {f(act.get('start'))} | {f(ls)} | "
          f"{f(terms[1] if len(terms) > 1 else None)} | {f(first(kills))} | "
          f"{(f(die[0][0]) + ' (' + die[0][1] + ')') if die else ''} | {f(ld)} | {f(first(ready))} | {f(first(api))} | "
          f"{(sh[0]['t_s'] + ' (' + sh[0]['exit_code'] + ') / ' + sh[0]['t_poll_s']) if sh else ''} | "
          f"{(dl[0]['last_seen_s'] + ' / ' + dl[0]['first_missing_s']) if dl else ''} | {f(first(destroy))} |")

#!/usr/bin/env python3
"""Key timings of the 2026-12-06b multinode runs (m11, m12, m12b) from multinode/traces + raw (stdlib only).
usage: keytimes-2026-12-06b.py   -> prints one block per run (used for recording-2026-12-06b.md)"""
import calendar, csv, glob, json, os, re, time
H = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "multinode")
TS = re.compile(r'time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def iso(s):
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z", s)
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0)


def rd(p):
    return list(csv.DictReader(open(p)))


def loglines(tag, node, pats):
    p = os.path.join(H, "raw", "worker-logs", f"{tag}.{node}.dockerd.log")
    out = {}
    if not os.path.exists(p):
        return out
    for line in open(p, errors="replace"):
        for k, pat in pats.items():
            if k not in out and re.search(pat, line):
                m = TS.search(line)
                out[k] = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0)
    return out


for mp in sorted(glob.glob(os.path.join(H, "raw", "m1[12]*.meta.json"))):
    meta = json.load(open(mp))
    tag = os.path.basename(mp)[:-len(".meta.json")]
    t0 = meta["t0"]
    f = lambda x: "-" if x is None else f"{x - t0:.3f}"
    tr = os.path.join(H, "traces", tag)
    tasks, nodes, cont = rd(tr + ".tasks.csv"), rd(tr + ".nodes.csv"), rd(tr + ".containers.csv")
    print(f"== {tag}  t0={meta.get('t0')}  placement before {meta['placement_before']}  after {meta['placement_after']}")
    for s in meta["steps"]:
        if s["kind"] in ("wsnap", "psm"):
            continue
        print(f"  step {s['t_s']:.3f} {s['kind']} {s['target']} (returned after {s['t_returned'] - s['t_issued']:.3f} s)")
    if meta["scenario"].startswith("m12"):
        L = loglines(tag, "vm", {"starting": r'msg="Starting up"', "loaded": r'msg="Loading containers: done',
                                 "leader": r"became leader at term", "api": r'msg="API listen'})
        print("  manager log: " + ", ".join(f"{k} {f(v)}" for k, v in L.items()))
        for line in meta.get("containers_after", {}).get("vm", []):
            name, st, fin, code, status = line.split()[:5]
            if status == "exited":
                print(f"  old manager container {name} FinishedAt {f(iso(fin))} exit {code}")
    for r in nodes:
        if float(r["t_s"]) > -6 and (r["source"] != "poll" or "unknown" in r["message"] or "heartbeat" in r["message"]):
            extra = r["message"] if r["source"] != "node-event" else r["detail"]
            ua = ""
            if r["source"] == "poll":
                ua = " UpdatedAt " + str(json.loads(r["detail"]).get("UpdatedAt_s"))
            print(f"  node {float(r['t_s']):.3f} {r['node']} {r['state'] or '-'} [{r['source']}] {extra}{ua}")
    for r in tasks:
        if float(r["t_s"]) > -6 and (r["state"] in ("complete", "failed", "orphaned", "shutdown", "new")
                                    or (r["state"] == "running" and r["desired_state"] == "running")
                                    or (r["state"] == "ready" and r["desired_state"] == "running")
                                    or (r["desired_state"] == "shutdown" and r["state"] == "running")):
            print(f"  task {float(r['t_s']):.3f} s{r['slot']} {r['node'] or '-'} {r['task_id'][:6]} desired={r['desired_state']} state={r['state']} {r['err']}")
    for r in cont:
        if float(r["t_s"]) > -6 and r["event"] in ("kill", "die", "start"):
            print(f"  cont {float(r['t_s']):.3f} {r['node']} s{r['slot']} {r['task_id'][:6]} {r['event']} {r['exit_code']}{r['signal']}")

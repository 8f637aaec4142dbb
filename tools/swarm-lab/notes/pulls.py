#!/usr/bin/env python3
"""s26/s27 (2026-12-06): failed-pull timing per task, from raw/NAME.rN.dockerd.log (agent log lines
"pulling image failed" / "fatal task error" with task.id), raw/NAME.rN.registry.jsonl (s26 only) and the task
versions. Prints one line per task and a summary per run.  usage: pulls.py NAME RUN"""
import calendar, json, os, re, sys, time
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
name, runno = sys.argv[1], sys.argv[2]
tag = f"{name}.r{runno}"
raw = os.path.join(HERE, "raw")
meta = json.load(open(os.path.join(raw, f"{tag}.meta.json")))
t0 = meta["t0"]
TS = re.compile(r'time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def lt(line):
    m = TS.search(line)
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0)


def ts(s):
    if not s or s.startswith("0001-"):
        return None
    s = s.rstrip("Z"); frac = 0.0
    if "." in s:
        s, f = s.split(".", 1); frac = float("0." + f)
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S")) + frac


first_try, failed, fatal, errs = [], {}, {}, {}
for line in open(os.path.join(raw, f"{tag}.dockerd.log")):
    if "Error getting v2 registry" in line and "https://" in line:
        first_try.append(lt(line))
    m = re.search(r"task\.id=(\w+)", line)
    if not m:
        continue
    if "pulling image failed" in line:
        failed[m.group(1)] = lt(line)
        errs[m.group(1)] = re.search(r'error="((?:[^"\\]|\\.)*)"', line).group(1)
    elif "fatal task error" in line:
        fatal[m.group(1)] = lt(line)
reg = []
rp = os.path.join(raw, f"{tag}.registry.jsonl")
if os.path.exists(rp):
    reg = [json.loads(l) for l in open(rp)]
tasks = {}
for l in open(os.path.join(raw, f"{tag}.tasks.jsonl")):
    t = json.loads(l)["task"]
    d = tasks.setdefault(t["ID"], {})
    d["created"] = ts(t["CreatedAt"])
    d.setdefault("states", {})
    d["states"].setdefault(t["Status"]["State"], ts(t["Status"]["Timestamp"]))
rows = []
for tid, d in sorted(tasks.items(), key=lambda x: x[1]["created"]):
    if d["created"] < t0 - 1 or tid not in failed:
        continue
    tf = failed[tid]
    # start of this pull: the last https attempt line (s27) / TLS hello at the registry (s26) before the failure
    starts = [x for x in first_try if x <= tf + 1e-6] + [r["t"] for r in reg if r["method"] == "(malformed)" and r["t"] <= tf]
    tstart = max(starts) if starts else None
    rows.append(dict(task=tid[:8], created=d["created"] - t0,
                     assigned=(d["states"].get("assigned") or 0) - t0 if d["states"].get("assigned") else None,
                     pull_start=None if tstart is None else tstart - t0, pull_failed=tf - t0,
                     pull_s=None if tstart is None else tf - tstart,
                     fatal=(fatal.get(tid, 0) - t0) if tid in fatal else None,
                     rejected=(d["states"].get("rejected") - t0) if d["states"].get("rejected") else None,
                     err=errs[tid]))
for r in rows:
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items() if k != "err"))
ps = [r["pull_s"] for r in rows if r["pull_s"] is not None]
cr = [r["pull_start"] - r["created"] for r in rows if r["pull_start"] is not None]
rj = [r["rejected"] - r["pull_failed"] for r in rows if r["rejected"] is not None]
gaps = [b["created"] - a["created"] for a, b in zip(rows, rows[1:])]
print(f"{tag}: {len(rows)} failed pulls in {meta['t_end_s']:.1f} s; error: {rows[0]['err'] if rows else '-'}")
f = lambda xs: f"mean {sum(xs)/len(xs)*1000:.1f} ms (min {min(xs)*1000:.1f}, max {max(xs)*1000:.1f}, n={len(xs)})" if xs else "-"
print("  pull duration (first HTTPS attempt -> 'pulling image failed'):", f(ps))
print("  task created -> pull start:", f(cr))
print("  pull failed -> task 'rejected' Status.Timestamp:", f(rj))
print("  task created -> next task created:", f(gaps))
if len(rows) > 2:
    print(f"  tasks per minute (first to last creation): {60*(len(rows)-1)/(rows[-1]['created']-rows[0]['created']):.2f}")

#!/usr/bin/env python3
"""Key timings of the 2026-12-06d runs (s31-s33) from traces/*.csv and raw/*.meta.json (stdlib only).

usage: keytimes-2026-12-06d.py [RUN ...]   (default: every s31/s32/s33 run found in traces/)
Per update step (an update task = a task created at t >= 0 with desired `ready`, i.e. not a restart): slot, task
created, the old container's SIGTERM (kill signal 15) and its delay after the creation, the new container's start,
its first `health_status: healthy` and the task's `running`; then UpdateStatus changes; for s31 the later kill.
"""
import csv, glob, json, os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
FID = os.path.dirname(HERE)


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def main(tags):
    for tag in tags:
        T = rows(os.path.join(FID, "traces", f"{tag}.tasks.csv"))
        C = rows(os.path.join(FID, "traces", f"{tag}.containers.csv"))
        S = rows(os.path.join(FID, "traces", f"{tag}.service.csv"))
        meta = json.load(open(os.path.join(FID, "raw", f"{tag}.meta.json")))
        print(f"## {tag}  (action returned {meta['action_returned_s']:.3f} s; {meta['end_reason']})")
        for l in meta.get("later") or []:
            print(f"   later t={l['at_s']}: issued {l['issued_s']:.3f} returned {l['returned_s']:.3f} rc={l['rc']} {l['cmd'][:90]}")
        first = {}
        for r in T:
            first.setdefault(r["task_id"], r)
        new = sorted((float(r["t_s"]), r["task_id"], r["slot"], r["image"]) for r in first.values()
                     if float(r["t_s"]) >= 0)
        for t_c, tid, slot, img in new:
            # the old task of the slot: the one whose desired state became shutdown at the same instant
            olds = [r["task_id"] for r in T if r["slot"] == slot and r["desired_state"] == "shutdown"
                    and abs(float(r["t_s"]) - t_c) < 0.01 and r["task_id"] != tid]
            kill = [float(c["t_s"]) for c in C if olds and c["task_id"] == olds[0] and c["event"] == "kill"]
            start = [float(c["t_s"]) for c in C if c["task_id"] == tid and c["event"] == "start"]
            healthy = [float(c["t_s"]) for c in C if c["task_id"] == tid and c["event"].endswith("healthy")
                       and "unhealthy" not in c["event"]]
            ready = [float(r["t_s"]) for r in T if r["task_id"] == tid and r["state"] == "ready"]
            running = [float(r["t_s"]) for r in T if r["task_id"] == tid and r["state"] == "running"]
            f = lambda v: f"{v[0]:.3f}" if v else "-"
            d = f"{kill[0] - t_c:.3f}" if kill else "-"
            h = f"{healthy[0] - start[0]:.3f}" if healthy and start else "-"
            print(f"   slot {slot} {img:15s} created {t_c:7.3f} ready {f(ready)} old SIGTERM {f(kill)} (+{d}) "
                  f"start {f(start)} healthy {f(healthy)} (+{h}) running {f(running)}")
        for r in S:
            if r["update_state"] != "(none)":
                print(f"   UpdateStatus {r['update_state']} {r['t_s']}")
        for c in C:
            if c["event"] in ("die",) and c["exit_code"] not in ("0", ""):
                print(f"   die exit {c['exit_code']} at {c['t_s']} (slot {c['slot']})")
        for r in T:
            if r["state"] == "failed":
                print(f"   task {r['task_id'][:8]} slot {r['slot']} failed at {r['t_s']}: {r['err']}")
        last = {}
        for r in T:
            last[r["task_id"]] = r
        live = [r for r in last.values() if r["desired_state"] == "running"]
        print(f"   at the end: {len(live)} tasks desired running ({', '.join(sorted(r['slot'] + ':' + r['state'] for r in live))})")
        print()


if __name__ == "__main__":
    tags = sys.argv[1:] or sorted({os.path.basename(p).rsplit(".", 2)[0]
                                   for p in glob.glob(os.path.join(FID, "traces", "s3[123]-*.tasks.csv"))})
    main(tags)

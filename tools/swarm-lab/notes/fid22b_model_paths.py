#!/usr/bin/env python3
"""fid22b_model_paths.py: the path each seed of the model takes in s22b-rollback-fails-pause, in the
terms of recording-2026-12-07j.md's s22b table (rec21_s29_s22b.py gives the real runs' paths).

usage: fid22b_model_paths.py DEPLOYSIM SCENARIO FIRST LAST
Runs `DEPLOYSIM run --seed N` for each seed and reads its events.csv and summary.json. stdlib only.

Paths (F = the forward update's failed slot; "2nd slot" = the forward updater's freed worker took
another slot before the failure was read):
  r1/r6   restart supervisor first (a bad-health restart task in F by rollback_started), 2nd slot,
          the rollback took F first and paused at that task's failure
  r2/r3   restart supervisor first, no 2nd slot, paused
  r4/r5   the rollback committed first (F's restart task is v1-flag), no 2nd slot: rollback_completed
  and three no real run took (yet): the rollback paused late (its freed worker took the 2nd slot before
  reading F's failure); the rollback took the 2nd slot first; the rollback first with a 2nd slot.
"""
import collections
import csv
import json
import subprocess
import sys
import tempfile


def path_of(events, update):
    st = {c["state"]: c["t_s"] for c in update["status_changes"]}
    rb = st.get("rollback_started")
    created = {}
    for r in events:
        if r["message"] == "created" and r["task_id"] not in created:
            created[r["task_id"]] = (float(r["t_s"]), r["slot"], r["image"])
    bad = sorted((c for c in created.values() if c[2] == "websim:bad-health" and c[0] >= 30), key=lambda c: c[0])
    f_slot = bad[0][1]
    second = any(rb is not None and c[0] <= rb + 0.02 and c[1] != f_slot for c in bad[1:])
    restarts = [c for c in created.values() if c[1] == f_slot and rb is not None and bad[0][0] < c[0] <= rb + 0.02]
    rollback_first = not any(c[2] == "websim:bad-health" for c in restarts)
    if rollback_first:
        if second:
            return "unrecorded: rollback first + 2nd slot"
        return "r4/r5: rollback first, rollback_completed" if "rollback_completed" in st else "other"
    if "rollback_paused" not in st:
        return "other"
    if st["rollback_paused"] - rb >= 7.0:
        return "unrecorded: restart first + 2nd slot, paused late"
    task = [c["message"] for c in update["status_changes"] if c["state"] == "rollback_paused"][0].split()[-1]
    if next(r["slot"] for r in events if r["task_id"] == task) != f_slot:
        return "unrecorded: restart first + 2nd slot, the rollback took the 2nd slot first"
    return "r1/r6: restart first + 2nd slot, paused" if second else "r2/r3: restart first, no 2nd slot, paused"


def main():
    binary, scenario, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    seeds = collections.defaultdict(list)
    with tempfile.TemporaryDirectory() as out:
        for seed in range(first, last + 1):
            subprocess.run([binary, "run", "--seed", str(seed), "-q", "--out", out, scenario], check=True)
            with open(f"{out}/summary.json") as f:
                update = json.load(f)["services"]["fid_web"]["update"]
            with open(f"{out}/events.csv") as f:
                events = list(csv.DictReader(f))
            seeds[path_of(events, update)].append(seed)
    n = last - first + 1
    for path, ss in sorted(seeds.items()):
        print(f"{path:75s} {len(ss):4d} {100 * len(ss) / n:5.1f} %  seeds {' '.join(map(str, ss[:10]))}")


if __name__ == "__main__":
    main()

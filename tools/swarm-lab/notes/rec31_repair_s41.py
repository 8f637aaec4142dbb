#!/usr/bin/env python3
"""2026-12-07n (rec31): repair s41 r1/r3/r4's containers.csv (07k), whose `docker events` stream lost the restored
daemon's kill/die of the old container, from the run's own dockerd log slice (07k: raw/NAME.rN.dockerd.log).

usage: rec31_repair_s41.py RAW07K TRACES RUN...      (e.g. /work/rec/fidelity22/raw tests/data/fidelity/traces 1 3 4)

For each run: the old container = the one whose `using the force` line (the restore's SIGKILL) the slice has;
if containers.csv has no `die` for it, one row is added:
  * t_s = the slice's `ignoring event … container=ID … topic=/tasks/delete` line (moby's libcontainerd receiving
    containerd's delete of that container's task: moby's exit handler deletes the task, then marks the container
    stopped, then emits `die`; in r2 — the one 07k run that has both — the `die` event came 11.7 ms after that line,
    and in 07n's runs the `die` 16–19 ms after it, FinishedAt — the exit — 12–23 ms before it), minus the run's t0
    (meta.json);
  * exit_code = the task's ContainerStatus.ExitCode in its last polled version (137, the agent's report);
  * task_id, slot, image from that task's polled versions; container_id = the 12 first characters;
  * source = `dockerd-log`; every other row gets source = `events` (the column record.py writes since 07n).
Nothing is added if any of this is missing (the script says why). Every other row is kept as it was.
"""
import calendar
import csv
import io
import json
import os
import re
import sys
import time

N = "s41-daemon-restart-sigterm-ignored"
TS = re.compile(r'^time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def log_time(line):
    m = TS.match(line)
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0)


def repair(raw, traces, run):
    tag = f"{N}.r{run}"
    meta = json.load(open(os.path.join(raw, f"{tag}.meta.json")))
    t0 = meta["t0"]
    lines = open(os.path.join(raw, f"{tag}.dockerd.log"), errors="replace").read().splitlines()
    forced = [re.search(r'using the force" container=([0-9a-f]{64})', l) for l in lines]
    forced = [m.group(1) for m in forced if m]
    if len(forced) != 1:
        return f"{tag}: {len(forced)} `using the force` lines, not one: nothing added"
    cid = forced[0]
    deletes = [l for l in lines if 'msg="ignoring event"' in l and f"container={cid}" in l and "topic=/tasks/delete" in l]
    if len(deletes) != 1:
        return f"{tag}: {len(deletes)} task-delete lines for {cid[:12]}: nothing added"
    t_del = log_time(deletes[0])
    versions = [json.loads(l)["task"] for l in open(os.path.join(raw, f"{tag}.tasks.jsonl"))]
    mine = [t for t in versions if ((t["Status"].get("ContainerStatus") or {}).get("ContainerID") or "") == cid]
    if not mine:
        return f"{tag}: no task version names {cid[:12]}: nothing added"
    last = max(mine, key=lambda t: t["Version"]["Index"])
    exit_code = (last["Status"].get("ContainerStatus") or {}).get("ExitCode")
    if exit_code in (None, ""):
        return f"{tag}: the task's ContainerStatus has no exit code: nothing added"
    path = os.path.join(traces, f"{tag}.containers.csv")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    if "source" in head:
        return f"{tag}: already has a source column: nothing added"
    ci, ei = head.index("container_id"), head.index("event")
    if any(r[ci] == cid[:12] and r[ei] == "die" for r in body):
        return f"{tag}: the trace has the die: nothing added"
    new = dict(t_s=f"{t_del - t0:.3f}", task_id=last["ID"], slot=str(last.get("Slot", "")),
               image=last["Spec"]["ContainerSpec"]["Image"].split("@")[0], event="die", exit_code=str(exit_code),
               signal="", container_id=cid[:12], source="dockerd-log")
    out = [r + ["events"] for r in body] + [[new[c] for c in head + ["source"]]]
    out.sort(key=lambda r: float(r[0]))   # stable: the new row after an equal time
    buf = io.StringIO(newline="")
    w = csv.writer(buf)   # record.py's writer: CRLF line ends
    w.writerow(head + ["source"])
    w.writerows(out)
    with open(path, "w", newline="") as f:
        f.write(buf.getvalue())
    return (f"{tag}: die {exit_code} of {cid[:12]} (task {last['ID']}) at t = {t_del - t0:.3f} s from "
            f"log line {deletes[0][:40]}…")


if __name__ == "__main__":
    raw, traces = sys.argv[1], sys.argv[2]
    for r in sys.argv[3:]:
        print(repair(raw, traces, int(r)))

#!/usr/bin/env python3
"""2026-12-07o (rec32): repair m18 r1-r3's containers.csv (07k), whose manager `docker events` stream, re-attached
with --since after the dockerd's SIGKILL, lost the restored daemon's kill/die of the manager's two surviving
containers, from the run's own `docker inspect` (07k's meta.json `containers_after`).

usage: rec32_repair_m18.py RAW07K TRACES RUN...      (e.g. /work/rec/fidelity22/multinode/raw tests/data/fidelity/traces 1 2 3 4)

`containers_after` (mrecord.py since 2026-12-06b) is, per daemon, one line per container of the service that
`docker ps -a` listed right after the window: `docker inspect --format '{{.Name}} {{.State.StartedAt}}
{{.State.FinishedAt}} {{.State.ExitCode}} {{.State.Status}} {{.Id}}'`. The rule is ../record.py merge_inspected's
(2026-12-07n), on these fields: for every container of each daemon, a `start` at State.StartedAt and a `die` at
State.FinishedAt (exit_code = State.ExitCode) are added when the trace has no row of that event for that container
and the instant lies within [t0, t0 + t_end_s] (07k's meta.json has no `events_from`; the streams were attached
during the 2 s baseline, so t0 is a bound inside it; nothing before the action is judged anyway). task_id and slot
from the container's name (/web.SLOT.TASKID), image from that task's polled versions (tasks.jsonl), node = the
daemon. The added rows get source = `inspect`, every other row source = `events` (mrecord.py's column since 07n).
A run whose trace lacks nothing is left as it is (no column added). Every other row is kept byte for byte.
"""
import csv
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.dont_write_bytecode = True
from record import ts  # noqa: E402  (../record.py: RFC 3339 -> epoch seconds, None for a zero time)

N = "m18-manager-restart-sigterm-ignored"
SVC = "web"


def parse_after(line):
    """One `containers_after` line -> dict (name, started, finished, exit_code, status, id)."""
    name, started, finished, exit_code, status, cid = line.split()
    return dict(name=name, started=started, finished=finished, exit_code=exit_code, status=status, id=cid)


def missing_rows(meta, versions, body, head):
    """The rows to add: [(row dict, note)]."""
    t0, t_end = meta["t0"], meta["t_end_s"]
    images = {}
    for t in versions:
        images[t["ID"]] = t["Spec"]["ContainerSpec"]["Image"].split("@")[0]
    ci, ei = head.index("container_id"), head.index("event")
    have = {(r[ci], r[ei]) for r in body}
    out = []
    for daemon, lines in sorted((meta.get("containers_after") or {}).items()):
        for line in lines:
            c = parse_after(line)
            parts = c["name"].lstrip("/").split(".")
            if len(parts) != 3 or parts[0] != SVC:
                continue
            for event, field in (("start", "started"), ("die", "finished")):
                t = ts(c[field])
                if t is None or (c["id"][:12], event) in have or not (t0 <= t <= t0 + t_end):
                    continue
                out.append((dict(t_s=f"{t - t0:.3f}", node=daemon, task_id=parts[2], slot=parts[1],
                                 image=images.get(parts[2], ""), event=event,
                                 exit_code=c["exit_code"] if event == "die" else "", signal="",
                                 container_id=c["id"][:12], source="inspect"),
                            f"{daemon} {c['id'][:12]} {event} State.{'StartedAt' if event == 'start' else 'FinishedAt'}"
                            f"={c[field]}"))
    return out


def repair(raw, traces, run):
    tag = f"{N}.r{run}"
    meta = json.load(open(os.path.join(raw, f"{tag}.meta.json")))
    if not meta.get("containers_after"):
        return f"{tag}: no containers_after in meta.json: nothing added"
    versions = [json.loads(line)["task"] for line in open(os.path.join(raw, f"{tag}.tasks.jsonl")) if line.strip()]
    path = os.path.join(traces, f"{tag}.containers.csv")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    if "source" in head:
        return f"{tag}: already has a source column: nothing added"
    add = missing_rows(meta, versions, body, head)
    if not add:
        return f"{tag}: the trace has every start/die the inspect times in the window: nothing added"
    if any(not r["image"] for r, _ in add):
        return f"{tag}: a task of an added row has no polled version (no image): nothing added"
    out = [r + ["events"] for r in body] + [[r[c] for c in head + ["source"]] for r, _ in add]
    out.sort(key=lambda r: float(r[0]))   # stable: an added row after a stream row of the same instant
    buf = io.StringIO(newline="")
    w = csv.writer(buf)   # mrecord.py's writer: CRLF line ends
    w.writerow(head + ["source"])
    w.writerows(out)
    with open(path, "w", newline="") as f:
        f.write(buf.getvalue())
    return "\n".join(f"{tag}: {r['event']} {r['exit_code']} of {r['container_id']} (task {r['task_id']}, slot "
                     f"{r['slot']}) at t = {r['t_s']} s from {note}" for r, note in add)


if __name__ == "__main__":
    raw, traces = sys.argv[1], sys.argv[2]
    for r in sys.argv[3:]:
        print(repair(raw, traces, int(r)))

#!/usr/bin/env python3
"""Tests of the research recorder tools/swarm-lab/record.py that need no Docker engine (standard library only).

    python3 tools/swarm-lab/test_record.py

The 2026-12-07n fallback: a container `start`/`die` that the `docker events` stream lost (s41 r1/r3/r4: the stream,
re-attached with --since after the daemon's restart, did not replay the old container's kill/die) is added to
containers.csv from the container's State (`docker inspect` at the end of the run), marked `inspect` in a last
column `source`; a run recorded before (no raw/NAME.rN.inspect.json) normalises byte for byte as before.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "..", "testdata")
sys.dont_write_bytecode = True        # no __pycache__ beside the recorder
warnings.simplefilter("ignore", ResourceWarning)   # record.py reads its raw files with bare open()
sys.path.insert(0, HERE)
import record as R  # noqa: E402

T0 = 1796672963.488651   # s41 r1's t = 0 (the dockerd's SIGKILL)


def iso(t):
    """epoch seconds -> the RFC 3339 form `docker inspect` gives (ns digits)."""
    import time
    whole = int(t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{round((t - whole) * 1e9):09d}Z"


def row(t_s, event, cid, task="iaw1i5vnjjac1l9txxns99pe8", exit_code="", signal=""):
    return dict(t_s=t_s, task_id=task, slot="1", image="websim:v1", event=event, exit_code=exit_code,
                signal=signal, container_id=cid)


def container(cid, task, started, finished, exit_code, service="web", status="exited"):
    return {"Id": cid, "Name": f"/web.1.{task}", "Image": "websim:v1@sha256:" + "b4" * 32,
            "Labels": {"com.docker.swarm.service.name": service, "com.docker.swarm.task.id": task,
                       "com.docker.swarm.task.name": f"web.1.{task}"},
            "State": {"Status": status, "ExitCode": exit_code, "StartedAt": started, "FinishedAt": finished,
                      "OOMKilled": False, "Error": ""}}


OLD = "4978de419b0c" + "a" * 52          # s41 r1's old container (started before t = 0, killed by the restore)
NEW = "5f0c1d2e3a4b" + "b" * 52          # its replacement, still running at the end
ZERO = "0001-01-01T00:00:00Z"


class MergeInspected(unittest.TestCase):
    def stream(self):
        # what s41 r1's stream kept of the old container: create and start in the baseline, health; no kill, no die
        return [row(-1.9, "health_status: healthy", OLD[:12]),
                row(18.30, "create", NEW[:12], task="d0awkt2dfwqaq9pdwm4xmpkkp"),
                row(23.32, "start", NEW[:12], task="d0awkt2dfwqaq9pdwm4xmpkkp")]

    def inspected(self, finished=T0 + 15.621):
        return {"t": T0 + 45.1, "missing": [],
                "containers": [container(OLD, "iaw1i5vnjjac1l9txxns99pe8", iso(T0 - 17.0), iso(finished), 137),
                               container(NEW, "d0awkt2dfwqaq9pdwm4xmpkkp", iso(T0 + 23.319), ZERO, 0,
                                         status="running")]}

    def test_lost_die_added_from_finished_at(self):
        out = R.merge_inspected(self.stream(), self.inspected(), T0, T0 - 2.0, 45.0, "web")
        added = [r for r in out if r["source"] == "inspect"]
        self.assertEqual(len(added), 1, out)
        d = added[0]
        self.assertEqual((d["event"], d["exit_code"], d["container_id"], d["task_id"], d["slot"], d["image"]),
                         ("die", "137", OLD[:12], "iaw1i5vnjjac1l9txxns99pe8", "1", "websim:v1"))
        self.assertAlmostEqual(d["t_s"], 15.621, places=3)
        self.assertEqual([r["source"] for r in out if r is not d], ["events"] * 3)
        self.assertEqual([r["t_s"] for r in out], sorted(r["t_s"] for r in out))

    def test_nothing_from_before_the_stream_or_after_the_end(self):
        # the old container's start (t = -17 s) is before the stream attached: not the stream's loss, not added;
        # a die after the recording's end is not added either (the judge refuses rows after t_end_s)
        out = R.merge_inspected(self.stream(), self.inspected(finished=T0 + 45.3), T0, T0 - 2.0, 45.0, "web")
        self.assertEqual([r for r in out if r["source"] == "inspect"], [])

    def test_running_container_and_recorded_events_not_duplicated(self):
        stream = self.stream() + [row(15.647, "die", OLD[:12], exit_code="137")]
        out = R.merge_inspected(stream, self.inspected(), T0, T0 - 2.0, 45.0, "web")
        self.assertEqual([r["source"] for r in out], ["events"] * 4)   # NEW's start is there; it never finished

    def test_lost_start_added_and_other_services_ignored(self):
        stream = [r for r in self.stream() if r["event"] != "start"]
        insp = self.inspected()
        insp["containers"].append(container("9" * 64, "zzz", iso(T0 + 1.0), iso(T0 + 2.0), 1, service="other"))
        out = R.merge_inspected(stream, insp, T0, T0 - 2.0, 45.0, "web")
        added = [(r["event"], r["container_id"], round(r["t_s"], 3)) for r in out if r["source"] == "inspect"]
        self.assertEqual(added, [("die", OLD[:12], 15.621), ("start", NEW[:12], 23.319)])


class InspectSeen(unittest.TestCase):
    def test_every_container_once_full_ids_preferred(self):
        class Rec:
            events = [{"ev": {"Type": "container", "id": OLD, "Actor": {"Attributes": {
                "com.docker.swarm.service.name": "web"}}}},
                {"ev": {"Type": "container", "id": "c" * 64, "Actor": {"Attributes": {
                    "com.docker.swarm.service.name": "other"}}}}]
            task_versions = [{"task": {"Status": {"ContainerStatus": {"ContainerID": OLD}}}},
                             {"task": {"Status": {"ContainerStatus": {"ContainerID": NEW}}}},
                             {"task": {"Status": {}}}]
        asked = []
        saved = (R.containers_of, R.inspect_containers)
        R.containers_of = lambda svc=None: [NEW[:12], OLD[:12], "d" * 12]
        R.inspect_containers = lambda ids, docker=None: asked.extend(ids) or {"containers": [], "missing": []}
        try:
            R.inspect_seen(Rec())
        finally:
            R.containers_of, R.inspect_containers = saved
        self.assertEqual(asked, [OLD, NEW, "d" * 12])


class Normalise(unittest.TestCase):
    """record.py's normalise on the s01-rolling-basic r1 fixture of tools/testdata (raw captures that record.py
    itself wrote, 2026-11-25, and its containers.csv lines)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.saved = (R.RAW, R.TRACES)
        R.RAW, R.TRACES = os.path.join(self.tmp, "raw"), os.path.join(self.tmp, "traces")
        os.makedirs(R.RAW)
        for kind in ("tasks", "service", "events"):
            shutil.copy(os.path.join(TESTDATA, f"s01-rolling-basic.r1.{kind}.jsonl"), R.RAW)
        shutil.copy(os.path.join(TESTDATA, "s01-rolling-basic.r1.meta.json"), R.RAW)

    def tearDown(self):
        R.RAW, R.TRACES = self.saved
        shutil.rmtree(self.tmp)

    def containers_csv(self):
        R.normalise("s01-rolling-basic", 1)
        with open(os.path.join(R.TRACES, "s01-rolling-basic.r1.containers.csv"), newline="") as f:
            return f.read()

    def expected(self):
        with open(os.path.join(TESTDATA, "expected.s01-rolling-basic.r1.containers.csv"), newline="") as f:
            return f.read()

    def test_without_inspect_file_unchanged(self):
        self.assertEqual(self.containers_csv(), self.expected())

    def test_with_inspect_file_source_column_and_lost_die(self):
        meta_path = os.path.join(R.RAW, "s01-rolling-basic.r1.meta.json")
        meta = json.load(open(meta_path))
        t0 = meta["t0"]
        meta.update(events_from=t0 - 2.0, t_end_s=40.0)
        json.dump(meta, open(meta_path, "w"))
        # drop one `die` from the stream, and give inspect that container's State
        evs = [json.loads(line) for line in open(os.path.join(R.RAW, "s01-rolling-basic.r1.events.jsonl"))]
        dies = [e for e in evs if e["ev"].get("Type") == "container" and e["ev"].get("Action") == "die"]
        lost = dies[0]["ev"]
        with open(os.path.join(R.RAW, "s01-rolling-basic.r1.events.jsonl"), "w") as f:
            for e in evs:
                if e["ev"] is not lost:
                    f.write(json.dumps(e) + "\n")
        a = lost["Actor"]["Attributes"]
        c = container(lost["id"], a["com.docker.swarm.task.id"], iso(t0 - 60.0), iso(lost["timeNano"] / 1e9),
                      int(a["exitCode"]))
        c["Labels"]["com.docker.swarm.task.name"] = a["com.docker.swarm.task.name"]
        c["Image"] = a["image"]
        with open(os.path.join(R.RAW, "s01-rolling-basic.r1.inspect.json"), "w") as f:
            json.dump({"t": t0 + 41.0, "containers": [c], "missing": []}, f)
        got = self.containers_csv().split("\r\n")
        want = self.expected().split("\r\n")
        self.assertEqual(got[0], want[0] + ",source")
        # the same rows, the lost die now marked `inspect`, every other `events`
        marked = [line + (",inspect" if f",die,{a['exitCode']},," in line and lost["id"][:12] in line else ",events")
                  for line in want[1:] if line]
        self.assertEqual([line for line in got[1:] if line], marked)
        self.assertEqual(sum(line.endswith(",inspect") for line in got), 1)


if __name__ == "__main__":
    unittest.main()

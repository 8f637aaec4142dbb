#!/usr/bin/env python3
"""Tests of tools/record-swarm-trace that need no Docker engine (standard library only).

    python3 tools/test_record_swarm_trace.py        (or: python3 -m unittest discover -s tools -p 'test_*.py')

* normalisation: canned raw captures (a few lines of shared/fidelity/raw/s01-rolling-basic.r1.*.jsonl,
  in tools/testdata/) must give exactly the corresponding lines of shared/fidelity/traces/s01-rolling-basic.r1.*.csv
  (copied to tools/testdata/expected.*). When the shared research folder is present, every recorded run in it
  is re-normalised and compared byte for byte (single node) or column by column (multi-node).
* the command line: durations, hosts, errors (no socket, service not found, worker node) and a short
  end-to-end recording against a fake Engine API served on a unix socket.
"""
import http.server
import importlib.machinery
import importlib.util
import io
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL_PATH = os.path.join(HERE, "record-swarm-trace")
TESTDATA = os.path.join(HERE, "testdata")


def load_tool():
    sys.dont_write_bytecode = True        # no __pycache__ beside the tool
    loader = importlib.machinery.SourceFileLoader("record_swarm_trace", TOOL_PATH)
    spec = importlib.util.spec_from_loader("record_swarm_trace", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


R = load_tool()


def shared_fidelity():
    """The project's shared research traces, if this machine has them."""
    cands = [os.environ.get("DEPLOYSIM_SHARED_FIDELITY", ""),
             os.path.join(HERE, "..", "..", "shared", "fidelity"),
             "/work/shared/fidelity"]
    for c in cands:
        if c and os.path.isdir(os.path.join(c, "raw")) and os.path.isdir(os.path.join(c, "traces")):
            return os.path.abspath(c)
    return None


def read_bytes_text(path):
    with open(path, newline="") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------- normalisation
class NormaliseCanned(unittest.TestCase):
    TAG = "s01-rolling-basic.r1"

    def test_canned_s01_lines_match_the_shared_trace(self):
        texts = R.normalise(*R.load_raw(TESTDATA, self.TAG))
        for kind in ("tasks", "containers", "service"):
            with self.subTest(kind=kind):
                want = read_bytes_text(os.path.join(TESTDATA, f"expected.{self.TAG}.{kind}.csv"))
                self.assertEqual(texts[kind].splitlines(), want.splitlines())
                self.assertEqual(texts[kind], want, "byte-for-byte, CRLF line ends included")

    def test_headers_are_the_research_format(self):
        texts = R.normalise(*R.load_raw(TESTDATA, self.TAG))
        self.assertTrue(texts["tasks"].startswith(
            "t_s,task_id,slot,image,desired_state,state,err,t_poll_s,ts_source,message,exit_code,container_id\r\n"))
        self.assertTrue(texts["containers"].startswith(
            "t_s,task_id,slot,image,event,exit_code,signal,container_id\r\n"))
        self.assertTrue(texts["service"].startswith(
            "t_s,update_state,message,t_poll_s,ts_source,started_at_s,completed_at_s\r\n"))

    def test_synthetic_created_row_and_sources(self):
        meta, tv, sl, ev = R.load_raw(TESTDATA, self.TAG)
        rows = R.task_rows(meta, tv)
        new = [r for r in rows if r["task_id"] == "taxrw9x7ymc1dvmsy620h4uhp"]
        self.assertEqual(new[0]["state"], "new")
        self.assertEqual(new[0]["ts_source"], "CreatedAt")
        self.assertEqual(new[0]["message"], "(synthetic: task created)")
        self.assertEqual(new[-1]["state"], "running")
        old = [r for r in rows if r["task_id"] == "jo6kjwu1vcf2vqpltmhdto4k2"]
        # the desired-state change alone is dated by UpdatedAt
        self.assertIn("UpdatedAt", [r["ts_source"] for r in old])
        self.assertEqual(old[-1]["state"], "shutdown")

    def test_exec_probes_and_other_services_are_ignored(self):
        meta, tv, sl, ev = R.load_raw(TESTDATA, self.TAG)
        self.assertTrue(any(e["ev"]["Action"].startswith("exec_") for e in ev))
        other = json.loads(json.dumps(ev[-1]))
        other["ev"]["Actor"]["Attributes"]["com.docker.swarm.service.name"] = "other"
        other["ev"]["Actor"]["Attributes"]["name"] = "other"
        base = R.normalise(meta, tv, sl, ev)
        more = R.normalise(meta, tv, sl, ev + [other])
        self.assertEqual(base, more)

    def test_node_column_only_when_multinode(self):
        meta, tv, sl, ev = R.load_raw(TESTDATA, self.TAG)
        meta = dict(meta, node_hosts={"vm": "unix:///var/run/docker.sock", "w1": "unix:///tmp/w1.sock"},
                    node_names={"4iteysnyu4mnw6oi3no89wrq7": "vm"})
        ev = [dict(e, daemon="vm") for e in ev]
        texts = R.normalise(meta, tv, sl, ev)
        self.assertTrue(texts["tasks"].split("\r\n")[0].endswith(",container_id,node"))
        self.assertTrue(texts["containers"].split("\r\n")[0].endswith(",container_id,node"))
        self.assertIn(",vm\r\n", texts["containers"])
        # every other column is unchanged
        single = R.normalise(*R.load_raw(TESTDATA, self.TAG))
        strip = lambda text: [line.rsplit(",", 1)[0] for line in text.split("\r\n") if line]  # noqa: E731
        self.assertEqual(strip(texts["containers"]), [line for line in single["containers"].split("\r\n") if line])


@unittest.skipUnless(shared_fidelity(), "shared/fidelity research traces not on this machine")
class NormaliseSharedCorpus(unittest.TestCase):
    def test_every_single_node_run_renormalises_byte_for_byte(self):
        root = shared_fidelity()
        tags = sorted(f[:-len(".meta.json")] for f in os.listdir(os.path.join(root, "raw")) if f.endswith(".meta.json"))
        self.assertGreater(len(tags), 0)
        for tag in tags:
            texts = R.normalise(*R.load_raw(os.path.join(root, "raw"), tag))
            for kind in ("tasks", "containers", "service"):
                with self.subTest(tag=tag, kind=kind):
                    want = read_bytes_text(os.path.join(root, "traces", f"{tag}.{kind}.csv"))
                    self.assertEqual(texts[kind], want)

    def test_multinode_runs_match_the_research_recorder_column_by_column(self):
        root = os.path.join(shared_fidelity(), "multinode")
        if not os.path.isdir(os.path.join(root, "raw")):
            self.skipTest("no multinode traces")
        import csv
        tags = sorted(f[:-len(".meta.json")] for f in os.listdir(os.path.join(root, "raw")) if f.endswith(".meta.json"))
        for tag in tags:
            meta, tv, sl, ev = R.load_raw(os.path.join(root, "raw"), tag)
            daemons = sorted({e["daemon"] for e in ev})
            meta = dict(meta, node_hosts={d: "unix:///x" for d in daemons},
                        node_names={v: k for k, v in meta["node_ids"].items()})
            mine = R.normalise(meta, tv, sl, ev)
            for kind in ("tasks", "containers", "service"):
                with self.subTest(tag=tag, kind=kind):
                    theirs = list(csv.DictReader(io.StringIO(read_bytes_text(
                        os.path.join(root, "traces", f"{tag}.{kind}.csv")))))
                    ours = list(csv.DictReader(io.StringIO(mine[kind])))
                    self.assertEqual(len(ours), len(theirs))
                    cols = list(ours[0].keys()) if ours else []
                    self.assertEqual([[r[c] for c in cols] for r in ours], [[r[c] for c in cols] for r in theirs])


# ---------------------------------------------------------------------------------------------- pieces
class Pieces(unittest.TestCase):
    def test_durations(self):
        for text, want in (("150ms", 0.15), ("2s", 2.0), ("1.5m", 90.0), ("1m30s", 90.0), ("120", 120.0),
                           ("0.15s", 0.15), ("1h", 3600.0)):
            self.assertAlmostEqual(R.parse_duration(text), want, msg=text)
        for bad in ("", "2x", "s", "-1", "1 s"):
            with self.assertRaises(Exception, msg=bad):
                R.parse_duration(bad)

    def test_hosts(self):
        h = R.Host("unix:///var/run/docker.sock")
        self.assertEqual((h.kind, h.path), ("unix", "/var/run/docker.sock"))
        h = R.Host("tcp://10.0.0.5:2375")
        self.assertEqual((h.kind, h.hostname, h.port), ("tcp", "10.0.0.5", 2375))
        self.assertEqual(R.Host("tcp://mgr").port, 2375)
        self.assertEqual(R.Host("tcp://mgr", tls=("a", "b", "c")).port, 2376)
        for bad in ("ssh://user@mgr", "npipe:////./pipe/docker_engine", "mgr:2375", "tcp://"):
            with self.assertRaises(R.UsageError, msg=bad):
                R.Host(bad)

    def test_service_rows_one_row_per_change_even_for_a_slow_poll(self):
        # A poll that began 0.7 s before the service event (answered after it) saw `updating`:
        # outside the event's match window, it must not make a second `updating` row.
        meta = {"t0": 100.0, "service": "web"}
        ev = [{"ev": {"Type": "service", "Actor": {"Attributes": {"name": "web", "updatestate.new": "updating"}},
                      "timeNano": int(101.0 * 1e9)}},
              {"ev": {"Type": "service", "Actor": {"Attributes": {"name": "web", "updatestate.new": "updating"}},
                      "timeNano": int(103.0 * 1e9)}}]
        sl = [{"t_poll": 100.1, "UpdateStatus": None},
              {"t_poll": 100.3, "UpdateStatus": {"State": "updating"}},
              {"t_poll": 104.0, "UpdateStatus": {"State": "completed"}}]
        rows = R.service_rows(meta, sl, ev)
        self.assertEqual([(r["update_state"], r["ts_source"]) for r in rows],
                         [("(none)", "poll"), ("updating", "service-event"), ("updating", "service-event"),
                          ("completed", "poll")])

    # -- the inspect fallback: a start/die the event stream lost, from the container's State
    @staticmethod
    def cont(cid, tid, slot, started, finished, exit_code=0, svc="web"):
        return {"Id": cid, "Name": f"/{svc}.{slot}.{tid}", "Image": "app:1@sha256:abc",
                "Labels": {"com.docker.swarm.service.name": svc, "com.docker.swarm.task.id": tid,
                           "com.docker.swarm.task.name": f"{svc}.{slot}.{tid}"},
                "State": {"Status": "exited" if finished else "running", "ExitCode": exit_code,
                          "StartedAt": started, "FinishedAt": finished or "0001-01-01T00:00:00Z"}}

    def test_merge_inspected_adds_only_what_the_stream_lost(self):
        t0 = R.ts("2026-12-07T10:00:00Z")
        row = lambda t, tid, ev, cid, **kw: dict(t_s=t, task_id=tid, slot="1", image="app:1", event=ev,  # noqa: E731
                                                 exit_code=kw.get("exit_code", ""), signal=kw.get("signal", ""),
                                                 container_id=cid[:12])
        rows = [row(5.1, "t1", "kill", "a" * 64, signal="15"),          # the stream broke before the die
                row(12.0, "t2", "start", "b" * 64)]
        inspected = {"t": t0 + 31, "missing": ["e" * 64], "containers": [
            self.cont("a" * 64, "t1", 1, "2026-12-07T09:59:00Z", "2026-12-07T10:00:15.250000000Z", 137),
            self.cont("b" * 64, "t2", 1, "2026-12-07T10:00:12.000500000Z", None),          # start in the stream
            self.cont("c" * 64, "t3", 2, "2026-12-07T10:00:20Z", "2026-12-07T10:00:40Z", 1),  # died after the end
            self.cont("d" * 64, "t4", 3, "2026-12-07T09:59:57.5Z", None),                 # before the stream
            self.cont("f" * 64, "t5", 1, "2026-12-07T10:00:03Z", "2026-12-07T10:00:04Z", 0, svc="other")]}
        out = R.merge_inspected(rows, inspected, t0, t0 - 2.0, 30.0, "web")
        got = [(round(r["t_s"], 3), r["task_id"], r["slot"], r["image"], r["event"], r["exit_code"],
                r["container_id"], r["source"]) for r in out]
        self.assertEqual(got, [
            (5.1, "t1", "1", "app:1", "kill", "", "a" * 12, "events"),
            (12.0, "t2", "1", "app:1", "start", "", "b" * 12, "events"),
            (15.25, "t1", "1", "app:1", "die", "137", "a" * 12, "inspect"),     # FinishedAt, State.ExitCode
            (20.0, "t3", "2", "app:1", "start", "", "c" * 12, "inspect"),       # its start was lost too
        ])
        self.assertNotIn("source", rows[0], "the stream's rows are not changed in place")
        # no answer (a daemon not reached): the stream's rows, marked
        self.assertEqual([r["source"] for r in R.merge_inspected(rows, None, t0, t0 - 2, 30.0, "web")],
                         ["events", "events"])

    def test_inspect_candidates_per_daemon(self):
        cev = lambda daemon, cid, svc="web": {"daemon": daemon, "ev": {  # noqa: E731
            "Type": "container", "id": cid, "Actor": {"Attributes": {"com.docker.swarm.service.name": svc}}}}
        ev = [cev("vm", "a" * 64), cev("w1", "b" * 64), cev("vm", "c" * 64, svc="other"), cev("vm", "a" * 64)]
        tv = [{"task": {"NodeID": "n-vm", "Status": {"ContainerStatus": {"ContainerID": "d" * 64}}}},
              {"task": {"NodeID": "n-w1", "Status": {"ContainerStatus": {"ContainerID": "e" * 64}}}},
              {"task": {"NodeID": "n-vm", "Status": {}}}]
        self.assertEqual(R.inspect_candidates("web", "vm", "n-vm", tv, ev, ["d" * 12, "g" * 12]),
                         ["a" * 64, "d" * 64, "g" * 12])
        self.assertEqual(R.inspect_candidates("web", "w1", "", tv, ev, []), ["b" * 64])   # node ID unknown

    def test_normalise_with_inspected_adds_the_source_column(self):
        meta, tv, sl, ev = R.load_raw(TESTDATA, "s01-rolling-basic.r1")
        meta = dict(meta, manager="vm", events_from=meta["t0"] - 2.0, t_end_s=60.0)
        plain = R.normalise(meta, tv, sl, ev)
        old = [r for r in R.container_rows(meta, ev) if r["event"] == "die"][0]
        # the same run, its first die lost by the stream and found by the inspect
        lost = [e for e in ev if not (e["ev"].get("Action") == "die" and e["ev"].get("id", "")[:12] == old["container_id"])]
        full = [e["ev"]["id"] for e in ev if e["ev"].get("id", "")[:12] == old["container_id"]][0]
        finished = R.iso(meta["t0"] + old["t_s"])
        c = self.cont(full, old["task_id"], old["slot"], "2026-11-25T16:00:00Z", finished, int(old["exit_code"]))
        c["Image"] = old["image"]
        ev2 = [dict(e, daemon="vm") for e in lost]
        texts = R.normalise(meta, tv, sl, ev2, {"vm": {"containers": [c], "missing": []}})
        self.assertEqual({k: v for k, v in texts.items() if k != "containers"},
                         {k: v for k, v in plain.items() if k != "containers"})
        lines = texts["containers"].split("\r\n")
        self.assertEqual(lines[0], ",".join(R.CONTAINER_COLUMNS) + ",source")
        # every row as before, plus the source; the lost die comes back (FinishedAt to the µs: iso())
        self.assertEqual([line.rsplit(",", 1)[0] for line in lines if line][1:], plain["containers"].split("\r\n")[1:-1])
        self.assertEqual([line.rsplit(",", 1)[1] for line in lines[1:] if line].count("inspect"), 1)
        # with --node-host: node, then source; the added row names the daemon it was inspected on
        meta = dict(meta, node_hosts={"vm": "unix:///x", "w1": "unix:///y"}, node_names={})
        multi = R.normalise(meta, tv, sl, ev2, {"vm": {"containers": [c], "missing": []}, "w1": {"containers": []}})
        self.assertTrue(multi["containers"].startswith(",".join(R.CONTAINER_COLUMNS) + ",node,source\r\n"))
        self.assertIn(",vm,inspect\r\n", multi["containers"])
        # the stream's rows keep their order and values: without the added row and the column, the text of 1.0
        kept = [line.rsplit(",", 1)[0] for line in multi["containers"].split("\r\n")[1:] if line and
                not line.endswith(",inspect")]
        self.assertEqual(kept, R.normalise(meta, tv, sl, ev2)["containers"].split("\r\n")[1:-1])

    def test_timestamps(self):
        self.assertIsNone(R.ts("0001-01-01T00:00:00Z"))
        self.assertIsNone(R.ts(""))
        self.assertAlmostEqual(R.ts("2026-11-25T16:17:46.642951344Z"), 1795623466.642951344, places=6)
        self.assertAlmostEqual(R.ts("2026-11-25T17:17:46.5+01:00"), 1795623466.5, places=6)

    def test_scrub_removes_env_values_and_registry_auth(self):
        task = {"Spec": {"ContainerSpec": {"Image": "x:1", "Env": ["DB_PASSWORD=hunter2", "MODE=prod", "BARE"],
                                           "PullOptions": {"RegistryAuth": "eyJzZWNyZXQiOiAieCJ9"}}}}
        out = json.dumps(R.scrub(task))
        self.assertNotIn("hunter2", out)
        self.assertNotIn("prod", out)
        self.assertNotIn("eyJzZWNyZXQ", out)
        self.assertIn("DB_PASSWORD=<redacted>", out)
        self.assertIn('"Image": "x:1"', out)

    def test_connect_errors_are_one_line_with_a_fix(self):
        h = R.Host("unix:///nonexistent/docker.sock")
        msg = R.connect_error_message(h, FileNotFoundError(2, "No such file"))
        self.assertIn("--host", msg)
        msg = R.connect_error_message(h, PermissionError(13, "Permission denied"))
        self.assertIn("docker group", msg)
        msg = R.connect_error_message(R.Host("tcp://127.0.0.1:1"), ConnectionRefusedError(111, "refused"))
        self.assertIn("connection refused", msg)
        for m in (msg,):
            self.assertNotIn("\n", m)


# ---------------------------------------------------------------------------------------------- fake Engine API
class FakeDocker:
    """A tiny Engine API on a unix socket: one service `web`, whose update starts when the file FLAG
    appears (the recorded command creates it) and completes 0.4 s later. Its event stream leaves
    out the container events whose Action is in `lose` (a re-attached stream that did not replay
    them); GET /containers/… answers as `docker ps -a` and `docker inspect` would all the same."""

    OLD, NEW = "a" * 64, "b" * 64       # the old task's container, the new one's

    def __init__(self, sock_path, flag, manager=True, service="web", lose=()):
        self.sock_path, self.flag, self.manager, self.service = sock_path, flag, manager, service
        self.lose = set(lose)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send_json(self, status, obj):
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == "/_ping":
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")
                elif path == "/info":
                    self.send_json(200, {"Name": "fakenode", "SystemTime": fake.iso(time.time()),
                                         "Swarm": {"LocalNodeState": "active", "NodeID": "n1",
                                                   "ControlAvailable": fake.manager}})
                elif path == "/version":
                    self.send_json(200, {"Version": "fake-1"})
                elif path == "/nodes":
                    self.send_json(200, [{"ID": "n1", "Description": {"Hostname": "fakenode"}}])
                elif path == "/services/" + fake.service:
                    self.send_json(200, fake.service_obj())
                elif path.startswith("/services/"):
                    self.send_json(404, {"message": "service %s not found" % path[len("/services/"):]})
                elif path == "/tasks":
                    self.send_json(200, fake.tasks())
                elif path == "/containers/json":
                    self.send_json(200, [{"Id": c["Id"]} for c in fake.containers()])
                elif path.startswith("/containers/") and path.endswith("/json"):
                    cid = path[len("/containers/"):-len("/json")]
                    found = [c for c in fake.containers() if c["Id"] == cid]
                    if found:
                        self.send_json(200, found[0])
                    else:
                        self.send_json(404, {"message": f"No such container: {cid}"})
                elif path == "/events":
                    self.stream_events()
                else:
                    self.send_json(404, {"message": "page not found"})

            def stream_events(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                sent = False
                try:
                    while not fake.stopping:
                        t = fake.started()
                        if t is not None and not sent:
                            sent = True
                            for ev in fake.events(t):
                                data = (json.dumps(ev) + "\n").encode()
                                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                            self.wfile.flush()
                        time.sleep(0.02)
                except OSError:
                    pass

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.stopping = False
        self.server = Server(sock_path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def iso(t):
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%09dZ" % int((t % 1) * 1e9)

    def started(self):
        try:
            return os.stat(self.flag).st_mtime
        except OSError:
            return None

    def service_obj(self):
        t = self.started()
        svc = {"ID": "svc1", "Version": {"Index": 10}, "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": 1}},
                                                             "TaskTemplate": {"ContainerSpec": {
                                                                 "Image": "app:1", "Env": ["TOKEN=s3cret"]}}}}
        if t is not None:
            svc["UpdateStatus"] = {"State": "updating", "StartedAt": self.iso(t), "Message": "update in progress"}
            if time.time() > t + 0.4:
                svc["UpdateStatus"] = {"State": "completed", "StartedAt": self.iso(t), "CompletedAt": self.iso(t + 0.4),
                                       "Message": "update completed"}
        return svc

    def task(self, tid, image, index, created, ts, desired, state, message):
        return {"ID": tid, "Version": {"Index": index}, "CreatedAt": self.iso(created), "UpdatedAt": self.iso(ts),
                "Spec": {"ContainerSpec": {"Image": image, "Env": ["TOKEN=s3cret"]}}, "ServiceID": "svc1", "Slot": 1,
                "NodeID": "n1", "DesiredState": desired,
                "Status": {"Timestamp": self.iso(ts), "State": state, "Message": message,
                           "ContainerStatus": {"ContainerID": self.OLD if tid == "old1" else self.NEW,
                                               "ExitCode": 0}}}

    def tasks(self):
        t = self.started()
        if t is None:
            return [self.task("old1", "app:1", 5, 1000.0, 1001.0, "running", "running", "started")]
        out = [self.task("old1", "app:1", 12, 1000.0, t + 0.1, "shutdown", "shutdown", "shutdown")]
        out.append(self.task("new1", "app:2", 14, t + 0.05, t + 0.3, "running", "running", "started"))
        return out

    def containers(self):
        """The service's containers as GET /containers/ID/json shows them (the old one exits at
        t + 0.08, as its `die` event says; the new one starts at t + 0.2)."""
        t = self.started()

        def c(cid, tid, image, started, finished):
            return {"Id": cid, "Name": f"/web.1.{tid}", "Created": self.iso(started - 0.5),
                    "Config": {"Image": image, "Env": ["TOKEN=s3cret"],
                               "Labels": {"com.docker.swarm.service.name": "web", "com.docker.swarm.task.id": tid,
                                          "com.docker.swarm.task.name": f"web.1.{tid}", "other.label": "x"}},
                    "State": {"Status": "running" if finished is None else "exited", "ExitCode": 0,
                              "StartedAt": self.iso(started),
                              "FinishedAt": "0001-01-01T00:00:00Z" if finished is None else self.iso(finished)}}
        if t is None:
            return [c(self.OLD, "old1", "app:1", 1000.5, None)]
        return [c(self.OLD, "old1", "app:1", 1000.5, t + 0.08), c(self.NEW, "new1", "app:2", t + 0.2, None)]

    def events(self, t):
        def cev(action, tid, image, when, **extra):
            attrs = {"com.docker.swarm.service.name": "web", "com.docker.swarm.task.id": tid,
                     "com.docker.swarm.task.name": "web.1." + tid, "image": image, **extra}
            cid = {"old1": self.OLD, "new1": self.NEW}.get(tid, "d" * 64)
            return {"Type": "container", "Action": action, "id": cid, "Actor": {"ID": cid, "Attributes": attrs},
                    "scope": "local", "time": int(when), "timeNano": int(when * 1e9)}
        return [e for e in self.all_events(t, cev) if e["Type"] != "container" or e["Action"] not in self.lose]

    def all_events(self, t, cev):
        return [
            {"Type": "service", "Action": "update", "Actor": {"ID": "svc1", "Attributes": {"name": "web", "updatestate.new": "updating"}},
             "scope": "swarm", "time": int(t), "timeNano": int(t * 1e9)},
            cev("kill", "old1", "app:1", t + 0.06, signal="15"),
            cev("die", "old1", "app:1", t + 0.08, exitCode="0"),
            cev("exec_create: sh -c true", "old1", "app:1", t + 0.09),
            cev("start", "new1", "app:2", t + 0.2),
            cev("start", "x", "other:1", t + 0.2, **{"com.docker.swarm.service.name": "other"}),
        ]


def run_tool(*args, env=None):
    return subprocess.run([sys.executable, TOOL_PATH] + list(args), capture_output=True, text=True, timeout=60,
                          env=env)


class CommandLine(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rst-test-")
        self.sock = os.path.join(self.tmp, "docker.sock")
        self.flag = os.path.join(self.tmp, "flag")
        self.fake = None

    def tearDown(self):
        if self.fake:
            self.fake.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assertOneLineError(self, p, *needles):
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = [line for line in p.stderr.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, p.stderr)
        for n in needles:
            self.assertIn(n, lines[0])

    def test_help_explains_everything(self):
        p = run_tool("--help")
        self.assertEqual(p.returncode, 0)
        for needle in ("--service", "--out", "--run", "--host", "--node-host", "--until-settled", "--duration",
                       "--poll", "--baseline", "--tail", "--timeout", "--tls-dir", "--normalise", "tasks.csv",
                       "containers.csv", "service.csv", "raw/", "deploysim compare", "deploysim calibrate",
                       "Exit status", "secret", "DOCKER_HOST"):
            self.assertIn(needle, p.stdout)

    def test_no_socket(self):
        p = run_tool("--service", "web", "--out", os.path.join(self.tmp, "x"), "--host", "unix://" + self.sock,
                     "--", "true")
        self.assertOneLineError(p, "no Docker socket", "--host")

    def test_connection_refused_tcp(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        p = run_tool("--service", "web", "--out", os.path.join(self.tmp, "x"), "--host", f"tcp://127.0.0.1:{port}",
                     "--", "true")
        self.assertOneLineError(p, "connection refused")

    def test_unsupported_scheme(self):
        p = run_tool("--service", "web", "--out", os.path.join(self.tmp, "x"), "--host", "ssh://me@mgr", "--", "true")
        self.assertOneLineError(p, "ssh -NL")

    def test_missing_command(self):
        p = run_tool("--service", "web", "--out", os.path.join(self.tmp, "x"), "--host", "unix://" + self.sock)
        self.assertOneLineError(p, "after --")

    def test_service_not_found(self):
        self.fake = FakeDocker(self.sock, self.flag)
        p = run_tool("--service", "nope", "--out", os.path.join(self.tmp, "x"), "--host", "unix://" + self.sock,
                     "--", "true")
        self.assertOneLineError(p, "service 'nope' not found", "docker service ls")

    def test_worker_is_refused(self):
        self.fake = FakeDocker(self.sock, self.flag, manager=False)
        p = run_tool("--service", "web", "--out", os.path.join(self.tmp, "x"), "--host", "unix://" + self.sock,
                     "--", "true")
        self.assertOneLineError(p, "swarm worker", "manager")

    def test_end_to_end_against_a_fake_api(self):
        self.fake = FakeDocker(self.sock, self.flag)
        out = os.path.join(self.tmp, "traces", "fake")
        env = dict(os.environ)
        env.pop("DOCKER_HOST", None)
        p = run_tool("--service", "web", "--out", out, "--host", "unix://" + self.sock, "--baseline", "0.3s",
                     "--tail", "0.3s", "--poll", "0.05s", "--", "sh", "-c", f'echo "$DOCKER_HOST"; touch {self.flag}',
                     env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("unix://" + self.sock, p.stdout)          # the command saw DOCKER_HOST
        self.assertIn("terminal completed", p.stderr)
        d = os.path.join(self.tmp, "traces")
        tasks = read_bytes_text(os.path.join(d, "fake.r1.tasks.csv")).split("\r\n")
        conts = read_bytes_text(os.path.join(d, "fake.r1.containers.csv")).split("\r\n")
        service = read_bytes_text(os.path.join(d, "fake.r1.service.csv")).split("\r\n")
        self.assertEqual(tasks[0], ",".join(R.TASK_COLUMNS))
        self.assertEqual([r.split(",")[5] for r in tasks[1:] if r],
                         ["running", "new", "shutdown", "running"])     # old running, new created, old down, new up
        self.assertEqual([r.split(",")[4] for r in conts[1:] if r], ["kill", "die", "start"])
        self.assertEqual(conts[0], ",".join(R.CONTAINER_COLUMNS) + ",source")
        self.assertEqual([r.split(",")[-1] for r in conts[1:] if r], ["events"] * 3)   # the stream had them all
        self.assertEqual([r.split(",")[1] for r in service[1:] if r], ["(none)", "updating", "completed"])
        self.assertEqual(service[2].split(",")[4], "service-event")
        raw = os.path.join(d, "raw")
        for suffix in ("meta.json", "tasks.jsonl", "service.jsonl", "events.jsonl", "inspect.json"):
            self.assertTrue(os.path.exists(os.path.join(raw, f"fake.r1.{suffix}")), suffix)
        for f in os.listdir(raw):
            with open(os.path.join(raw, f)) as fh:
                self.assertNotIn("s3cret", fh.read(), f)
        with open(os.path.join(raw, "fake.r1.meta.json")) as fh:
            meta = json.load(fh)
        self.assertEqual(meta["action_rc"], 0)
        self.assertEqual(meta["terminal_state"], "completed")
        # recording.csv says when the recording ended, on the same clock
        recording = read_bytes_text(os.path.join(d, "fake.r1.recording.csv")).split("\r\n")
        self.assertEqual(recording[0], ",".join(R.RECORDING_COLUMNS))
        self.assertAlmostEqual(float(recording[1].split(",")[0]), meta["t_end_s"], places=3)
        self.assertGreaterEqual(float(recording[1].split(",")[0]),
                                max(float(r.split(",")[0]) for r in service[1:] if r))
        # --normalise re-derives the same files from raw/
        before = {k: read_bytes_text(os.path.join(d, f"fake.r1.{k}.csv"))
                  for k in ("tasks", "containers", "service", "recording")}
        p = run_tool("--normalise", "--out", out, "--run", "1")
        self.assertEqual(p.returncode, 0, p.stderr)
        for k, text in before.items():
            self.assertEqual(read_bytes_text(os.path.join(d, f"fake.r1.{k}.csv")), text)
        # the next recording picks run 2; an explicit existing run is refused
        p = run_tool("--service", "web", "--out", out, "--host", "unix://" + self.sock, "--run", "1",
                     "--duration", "0.1s", "--baseline", "0s")
        self.assertOneLineError(p, "already exists", "--force")
        p = run_tool("--service", "web", "--out", out, "--host", "unix://" + self.sock, "--duration", "0.3s",
                     "--baseline", "0.1s", "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(os.path.join(d, "fake.r2.tasks.csv")))

    def test_end_to_end_a_die_the_stream_lost_comes_from_inspect(self):
        self.fake = FakeDocker(self.sock, self.flag, lose=("die",))
        out = os.path.join(self.tmp, "traces", "lost")
        p = run_tool("--service", "web", "--out", out, "--host", "unix://" + self.sock, "--baseline", "0.3s",
                     "--tail", "0.3s", "--poll", "0.05s", "-q", "--", "touch", self.flag)
        self.assertEqual(p.returncode, 0, p.stderr)
        d = os.path.join(self.tmp, "traces")
        conts = [r.split(",") for r in read_bytes_text(os.path.join(d, "lost.r1.containers.csv")).split("\r\n")[1:] if r]
        self.assertEqual([(r[4], r[-1]) for r in conts], [("kill", "events"), ("die", "inspect"), ("start", "events")])
        die = conts[1]
        self.assertEqual((die[1], die[2], die[3], die[5], die[7]), ("old1", "1", "app:1", "0", "a" * 12))
        with open(os.path.join(d, "raw", "lost.r1.meta.json")) as fh:
            meta = json.load(fh)
        t_flag = os.stat(self.flag).st_mtime
        self.assertAlmostEqual(float(die[0]), t_flag + 0.08 - meta["t0"], delta=0.0011)   # State.FinishedAt
        with open(os.path.join(d, "raw", "lost.r1.inspect.json")) as fh:
            inspected = json.load(fh)
        self.assertEqual(sorted(c["Id"] for c in inspected["fakenode"]["containers"]), [FakeDocker.OLD, FakeDocker.NEW])
        for c in inspected["fakenode"]["containers"]:          # identity, labels and State only
            self.assertEqual(sorted(c), ["Created", "Id", "Image", "Labels", "Name", "State"])
            self.assertNotIn("other.label", c["Labels"])
        # --normalise re-derives the same file from raw/ (inspect.json included)
        before = read_bytes_text(os.path.join(d, "lost.r1.containers.csv"))
        p = run_tool("--normalise", "--out", out, "--run", "1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(read_bytes_text(os.path.join(d, "lost.r1.containers.csv")), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""Tests of tools/import-fidelity-traces (standard library only; run by `cargo test`, tests/it/tools.rs).

    python3 tools/test_import_fidelity_traces.py
"""
import importlib.machinery
import importlib.util
import io
import json
import os
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
loader = importlib.machinery.SourceFileLoader("import_traces", os.path.join(HERE, "import-fidelity-traces"))
spec = importlib.util.spec_from_loader("import_traces", loader)
imp = importlib.util.module_from_spec(spec)
loader.exec_module(imp)

TASKS = "t_s,task,state\n0.000,web.1,running\n"


class Import(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.src = os.path.join(self.tmp.name, "rec")
        self.dest = os.path.join(self.tmp.name, "repo")
        os.makedirs(os.path.join(self.src, "traces"))
        os.makedirs(os.path.join(self.src, "raw"))
        self.write(os.path.join(self.src, "traces", "x.r1.tasks.csv"), TASKS)
        meta = {"t_end_s": 12.5, "end_reason": "converged", "poll_interval_s": 0.1, "t0_iso": "2026-12-08T00:00:00Z"}
        self.write(os.path.join(self.src, "raw", "x.r1.meta.json"), json.dumps(meta))

    def tearDown(self):
        self.tmp.cleanup()

    @staticmethod
    def write(path, text):
        with open(path, "w") as f:
            f.write(text)

    @staticmethod
    def read(path):
        with open(path) as f:
            return f.read()

    def run_import(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            rc = imp.main(list(args))
        return rc, out.getvalue(), err.getvalue()

    def test_first_import_copies_the_traces_and_writes_recording_csv(self):
        rc, out, _ = self.run_import(self.src, self.dest)
        self.assertEqual(rc, 0)
        self.assertEqual(self.read(os.path.join(self.dest, "x.r1.tasks.csv")), TASKS)
        rec = self.read(os.path.join(self.dest, "x.r1.recording.csv")).splitlines()
        self.assertEqual(rec[0], "t_end_s,end_reason,poll_interval_s,recorded_at,source")
        self.assertTrue(rec[1].startswith("12.500,converged,0.100,2026-12-08T00:00:00Z,"), rec[1])
        self.assertIn("x.r1: 1 files, recording ends at 12.500 s", out)

    def test_an_identical_reimport_is_fine(self):
        self.assertEqual(self.run_import(self.src, self.dest)[0], 0)
        self.assertEqual(self.run_import(self.src, self.dest)[0], 0)

    def test_a_repaired_trace_is_not_overwritten_without_force(self):
        self.assertEqual(self.run_import(self.src, self.dest)[0], 0)
        repaired = TASKS + "1.000,web.1,shutdown\n"
        dest_tasks = os.path.join(self.dest, "x.r1.tasks.csv")
        self.write(dest_tasks, repaired)
        rc, out, err = self.run_import(self.src, self.dest)
        self.assertEqual(rc, 2)
        self.assertIn(dest_tasks, err)
        self.assertIn("--force", err)
        self.assertEqual(out, "", "a refused import must not claim it imported anything")
        self.assertEqual(self.read(dest_tasks), repaired)
        rc, _, _ = self.run_import("--force", self.src, self.dest)
        self.assertEqual(rc, 0)
        self.assertEqual(self.read(dest_tasks), TASKS)

    def test_a_refused_import_writes_no_other_file_either(self):
        self.assertEqual(self.run_import(self.src, self.dest)[0], 0)
        self.write(os.path.join(self.dest, "x.r1.tasks.csv"), "changed\n")
        self.write(os.path.join(self.src, "traces", "x.r2.tasks.csv"), TASKS)
        self.assertEqual(self.run_import(self.src, self.dest)[0], 2)
        self.assertFalse(os.path.exists(os.path.join(self.dest, "x.r2.tasks.csv")))


if __name__ == "__main__":
    unittest.main()

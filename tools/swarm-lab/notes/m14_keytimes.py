#!/usr/bin/env python3
"""m14_keytimes.py: per-run key times of m14-worker-daemon-restart-manager-down (2026-12-07c; stdlib only).

usage: m14_keytimes.py [--raw RAWDIR] [--traces TRACEDIR] RUN [RUN ...]

Reads TRACEDIR/NAME.rN.{actions,sessions,nodes,containers}.csv and RAWDIR/NAME.rN.meta.json + the mn-w1 log slice
(RAWDIR/worker-logs/NAME.rN.mn-w1.dockerd.log: `Starting up`, `Loading containers: done.`, `API listen on`) and prints,
t = 0 being the manager's kill: the manager's restart (daemon start issued, loading done, :2377 listening, raft leader,
its own registration), then for each worker the session attempts since its agent (re)started (mn-w1: since its
dockerd's start; mn-w2: since t = 0) as `session_failed` time (backoff) and the `session_wait` drawn after it, and the
registering attempt: the last `session_wait` before the dispatcher's `registered` line, its Session RPC time
(= wait start + wait), channel READY, `registered`, each relative to the leader.
"""
import calendar
import csv
import json
import os
import re
import sys

NAME = "m14-worker-daemon-restart-manager-down"
HERE = os.path.dirname(os.path.abspath(__file__))
TS = re.compile(r'^time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def log_times(path, t0, pats):
    out = {}
    for line in open(path, errors="replace"):
        m = TS.match(line)
        if not m:
            continue
        t = calendar.timegm(tuple(int(x) for x in re.split(r"[-T:]", m.group(1))) + (0, 0, 0)) + float(m.group(2) or 0)
        for k, p in pats.items():
            if p in line:
                out.setdefault(k, []).append(t - t0)
    return out


def main(argv):
    raw = os.path.join(HERE, "..", "multinode", "raw")
    tr = os.path.join(HERE, "..", "multinode", "traces")
    while argv and argv[0].startswith("--"):
        if argv[0] == "--raw":
            raw = argv[1]
        else:
            tr = argv[1]
        argv = argv[2:]
    for run in argv:
        tag = f"{NAME}.r{run}"
        meta = json.load(open(os.path.join(raw, f"{tag}.meta.json")))
        acts = rows(os.path.join(tr, f"{tag}.actions.csv"))
        ses = rows(os.path.join(tr, f"{tag}.sessions.csv"))
        at = {(a["kind"], a["target"]): float(a["t_s"]) for a in acts}
        vm = {r["event"]: float(r["t_s"]) for r in ses if r["node"] == "vm" and r["event"] in
              ("loading_done", "listening", "leader", "api_listen")}
        reg = {r["detail"]: float(r["t_s"]) for r in ses if r["event"] == "registered"}
        L = vm.get("leader")
        print(f"== {tag}  ({meta['end_reason']}, t_end {meta['t_end_s']:.1f} s)")
        print(f"manager: kill {at[('kill_manager', 'vm')]:.3f}, start issued {at[('start_manager', 'vm')]:.3f}, "
              f"loading done {vm.get('loading_done', float('nan')):.3f}, :2377 listening "
              f"{vm.get('listening', float('nan')):.3f}, leader {L:.3f}, vm registered {reg.get('vm', float('nan')):.3f}, "
              f"API {vm.get('api_listen', float('nan')):.3f}")
        lt = log_times(os.path.join(raw, "worker-logs", f"{tag}.mn-w1.dockerd.log"), meta["t0"],
                       {"up": 'msg="Starting up"', "loaded": "Loading containers: done.", "api": "API listen on",
                        "timeout": "swarm component could not be started"})
        w1_start = at[("start", "mn-w1")]
        print(f"mn-w1 daemon: kill {at[('kill', 'mn-w1')]:.3f}, start issued {w1_start:.3f}, Starting up "
              f"{lt.get('up', [None])[-1]:.3f}, containers loaded {lt.get('loaded', [None])[-1]:.3f}, API listen "
              f"{lt.get('api', [None])[-1]:.3f}{', swarm start TIMEOUT' if lt.get('timeout') else ''}")
        for node, since in (("mn-w1", w1_start), ("mn-w2", 0.0)):
            evs = [r for r in ses if r["node"] == node and float(r["t_s"]) >= since]
            att, last_fail = [], None
            for r in evs:
                t = float(r["t_s"])
                if r["event"] == "session_failed":
                    last_fail = (t, r["detail"].split(";")[0].replace("backoff=", ""), r["detail"].split("error=")[-1])
                elif r["event"] == "session_wait":
                    att.append(dict(t=t, wait=float(r["detail"]) / 1000, after=last_fail))
                    last_fail = None
            g = reg.get(node)
            fails = [r for r in evs if r["event"] == "session_failed" and (g is None or float(r["t_s"]) < g)]
            seq = ", ".join(f"{float(r['t_s']):.3f} ({r['detail'].split(';')[0].replace('backoff=', '')})"
                            for r in fails)
            print(f"{node}: {len(fails)} session failures before registering: {seq}")
            print(f"{node}: attempts (wait start + wait -> RPC): " + ", ".join(
                f"{a['t']:.3f}+{a['wait']:.3f}->{a['t'] + a['wait']:.3f}" for a in att if g is None or a["t"] < g))
            if g is not None:
                a = [a for a in att if a["t"] < g][-1]
                rd = [float(r["t_s"]) for r in evs if r["event"] == "channel_ready" and a["t"] <= float(r["t_s"]) <= g]
                print(f"{node}: registering attempt drawn {a['t']:.3f} after backoff "
                      f"{a['after'][1] if a['after'] else '0 (first)'}, wait {a['wait']:.3f} s -> RPC "
                      f"{a['t'] + a['wait']:.3f} (leader {a['t'] + a['wait'] - L:+.3f}); READY "
                      f"{rd[-1] if rd else float('nan'):.3f}; registered {g:.3f} (leader {g - L:+.3f})")
            else:
                print(f"{node}: NOT registered in the window")
        cs = rows(os.path.join(tr, f"{tag}.containers.csv"))
        print("containers: " + "; ".join(f"{c['t_s']} {c['node']} s{c['slot']} {c['event']}"
                                         f"{'(' + c['exit_code'] + ')' if c['exit_code'] else ''}" for c in cs
                                         if float(c["t_s"]) >= 0 and c["event"] in ("kill", "die", "start")))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])

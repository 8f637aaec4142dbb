#!/usr/bin/env python3
"""sessions.py: the agent-session evidence of one three-node run, as a small CSV (2026-12-07 session; stdlib only).

usage: sessions.py [--raw RAWDIR] [--out OUTDIR] NAME.rN [NAME.rN ...]

Reads, for each run, RAWDIR/NAME.rN.meta.json (t0, t_end_s, node_ids) and the three daemons' log slices
RAWDIR/worker-logs/NAME.rN.{vm,mn-w1,mn-w2}.dockerd.log (cut by notes/mslice.sh: t0-10 s .. t0+t_end+2 s) and writes
OUTDIR/NAME.rN.sessions.csv. RAWDIR defaults to ../multinode/raw beside this script, OUTDIR to ../multinode/traces.

Columns `t_s,node,event,detail`: t_s = log timestamp - t0 in seconds, 3 decimals (dockerd's logrus timestamps are UTC
ns, the same host clock as t0); node = the daemon whose log the line is from (vm = the manager). Rows are sorted by
t_s, then node, then log order. Window: from the recording's baseline start (t0 + the most negative step offset -
the scenario's baseline_s from multinode/mscenarios.py, i.e. -7 s for m12 and -12 s for m12b) to t_end_s; the log
slices start at -10 s, so m12b rows start at -10 s (nothing but steady state happens before the cut at -5 s).

Events (the log line each comes from; swarmkit agent/agent.go + agent/session.go, grpc-go clientconn.go):
  session_failed   `agent: session failed` (the agent's run loop, after the session ended; it then waits
                   `backoff` and starts a new session attempt). detail `backoff=<Go duration>; error=<class>`,
                   class = refused (dial: connection refused), closing (transport is closing: an established
                   session's connection broke), handshake (TLS: authentication handshake failed ...),
                   unreachable (no route to host / network is unreachable), other:<grpc code> (e.g.
                   other:DeadlineExceeded: a heartbeat timed out).
  session_wait     `waiting X before registering session` (newSession: a random delay in [0, backoff) before the
                   Session RPC; the attempt's gRPC channel was created just before it). detail = X in ms, 3 decimals.
  dial_refused     grpc `addrConn.createTransport failed to connect to {ADDR ...}` with `connection refused`,
  dial_failed      ... with any other error. detail `<short error>; dial_ms=<ms since the dial started>`: short error
                   = refused | unreachable | handshake: <cause> | timeout | other:<text>; the dial start is grpc's
                   `Subchannel picks a new address "ADDR" to connect` line just before it.
  channel_ready    grpc `Subchannel Connectivity change to READY` (the dial succeeded: TCP + TLS handshake done).
                   detail `dial_ms=<ms since the dial started>`.
  channel_shutdown grpc `Subchannel Connectivity change to SHUTDOWN` (the agent closed the attempt's channel).
  Manager (vm) only:
  listening        `Listening for connections` with an addr ending in :2377 (the node's remote API listener
                   opened; manager/node start). detail = addr.
  leader           raft `<id> became leader at term N`. detail `term=N`.
  loading_done     `Loading containers: done.` (daemon start).
  api_listen       `API listen on X` (the Engine API answers from here). detail = X.
  registered       dispatcher `worker <node id> was successfully registered` (the node is READY again; the row that
                   multinode/mrecord.py also puts in nodes.csv as source=manager-log). detail = node hostname.

The grpc lines are only taken from the workers' logs and only for the channel to a manager's port 2377: a worker's
Subchannel state lines name no address, so each is attributed to the address of the latest `picks a new address`
line of that log (a worker only talks gRPC to the manager here; the manager's own log mixes its containerd and
control-socket channels, so its grpc lines are left out). A worker's state lines before its first `picks a new
address` in the slice belong to the session channel it opened before the slice (its only gRPC peer is the manager).
A dial failure that follows no open `picks a new address` (each pick is closed by its failure or READY) is the last
reconnect of a channel the agent has just shut down (seen right after the kill, when the old session's transport
broke): it is reported on stderr and left out.
"""
import calendar
import csv
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MANAGER = "vm"
NODES = ["vm", "mn-w1", "mn-w2"]
TS = re.compile(r'^time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')
GO_DUR = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)")
UNIT_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def go_duration_ms(text):
    """Go's time.Duration String() form (`7.304826ms`, `2.027951042s`, `1m30s`, `0s`) in milliseconds."""
    parts = GO_DUR.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise ValueError(f"not a Go duration: {text!r}")
    return sum(float(a) * UNIT_MS[b] for a, b in parts)


def log_time(line):
    m = TS.match(line)
    if not m:
        return None
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0)


def session_error_class(err):
    if "connection refused" in err:
        return "refused"
    if "transport is closing" in err:
        return "closing"
    if "authentication handshake failed" in err:
        return "handshake"
    if "no route to host" in err or "network is unreachable" in err:
        return "unreachable"
    m = re.search(r"code = (\w+)", err)
    return "other:" + (m.group(1) if m else err[:40])


def dial_error_short(err):
    if "connection refused" in err:
        return "refused"
    if "authentication handshake failed" in err:
        m = re.search(r"read: ([^\\\"]+)", err)
        return "handshake: " + (m.group(1).strip() if m else "?")
    if "no route to host" in err or "network is unreachable" in err:
        return "unreachable"
    if "i/o timeout" in err or "deadline" in err:
        return "timeout"
    return "other:" + err[:40]


def baseline_start_offset(meta):
    """Seconds (<= 0) from t0 back to the start of the recorders' baseline."""
    sys.path.insert(0, os.path.join(HERE, "..", "multinode"))
    sys.path.insert(0, os.path.join(HERE, ".."))
    try:
        import mscenarios
        baseline = mscenarios.M[meta["scenario"]].get("baseline_s", 2.0)
    except Exception as e:  # the research copy always has it; say so rather than guess silently
        raise SystemExit(f"sessions.py: cannot read baseline_s of {meta['scenario']} from mscenarios.py: {e}")
    first = min([0.0] + [off for off, _, _ in meta.get("steps_planned", [])])
    return first - baseline


def extract(rawdir, tag):
    import json
    with open(os.path.join(rawdir, f"{tag}.meta.json")) as f:
        meta = json.load(f)
    t0, t_end = meta["t0"], meta["t_end_s"]
    lo = baseline_start_offset(meta)
    hostname = {v: k for k, v in meta["node_ids"].items()}
    rows = []
    for node in NODES:
        path = os.path.join(rawdir, "worker-logs", f"{tag}.{node}.dockerd.log")
        if not os.path.exists(path):
            print(f"sessions.py: {tag}: no {path}", file=sys.stderr)
            continue
        # latest `picks a new address` of this log (grpc state lines name none); before the first one in the slice a
        # worker's Subchannel lines belong to the session channel it already had to the manager (its only gRPC peer)
        picked, picked_t = (None, None) if node == MANAGER else ("manager:2377", None)
        for seq, line in enumerate(open(path, errors="replace")):
            t = log_time(line)
            if t is None:
                continue
            ts = t - t0
            ev = None
            if 'msg="agent: session failed"' in line:
                b = re.search(r"backoff=(\S+)", line)
                e = re.search(r'error="((?:[^"\\]|\\.)*)"', line)
                ev = ("session_failed", f"backoff={b.group(1) if b else '?'}; "
                                        f"error={session_error_class(e.group(1) if e else '')}")
            elif "before registering session" in line:
                m = re.search(r'msg="waiting (\S+) before registering session"', line)
                ev = ("session_wait", f"{go_duration_ms(m.group(1)):.3f}")
            elif node == MANAGER:
                if 'msg="Listening for connections"' in line:
                    a = re.search(r'addr="?([^" ]+)', line)
                    if a and a.group(1).endswith(":2377"):
                        ev = ("listening", a.group(1))
                elif "became leader at term" in line:
                    m = re.search(r"became leader at term (\d+)", line)
                    ev = ("leader", f"term={m.group(1)}")
                elif 'msg="Loading containers: done."' in line:
                    ev = ("loading_done", "")
                elif 'msg="API listen on ' in line:
                    m = re.search(r'msg="API listen on ([^"]+)"', line)
                    ev = ("api_listen", m.group(1))
                else:
                    m = re.search(r'msg="worker (\w+) was successfully registered"', line)
                    if m:
                        ev = ("registered", hostname.get(m.group(1), m.group(1)))
            elif "module=grpc" in line:
                m = re.search(r'Subchannel picks a new address \\"([^\\"]+)\\" to connect', line)
                if m:
                    picked, picked_t = m.group(1), t
                m = re.search(r"createTransport failed to connect to \{(\S+) .*?Err: (.*)$", line)
                if m and m.group(1).endswith(":2377"):
                    if picked_t is None or picked != m.group(1):
                        # no dial start of its own: the reconnect of a channel the agent has just shut down (its
                        # transport broke at the kill); not a dial of the attempt's channel
                        print(f"sessions.py: {tag} {node} t={ts:.3f}: dial failure without its own `picks a new "
                              f"address` (a closed channel's reconnect): skipped", file=sys.stderr)
                    else:
                        short = dial_error_short(m.group(2))
                        ev = ("dial_refused" if short == "refused" else "dial_failed",
                              f"{short}; dial_ms={1000 * (t - picked_t):.3f}")
                    picked_t = None
                m = re.search(r"Subchannel Connectivity change to (READY|SHUTDOWN)", line)
                if m:
                    if picked is None:
                        print(f"sessions.py: {tag} {node} t={ts:.3f}: Subchannel {m.group(1)} before any "
                              f"`picks a new address`: skipped", file=sys.stderr)
                    elif picked.endswith(":2377"):
                        if m.group(1) == "READY":
                            ev = ("channel_ready", f"dial_ms={1000 * (t - picked_t):.3f}" if picked_t else "")
                            picked_t = None
                        else:
                            ev = ("channel_shutdown", "")
            if ev and lo - 1e-9 <= ts <= t_end + 1e-9:
                rows.append((round(ts, 3), node, seq, ev[0], ev[1]))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


def main(argv):
    rawdir = os.path.join(HERE, "..", "multinode", "raw")
    outdir = os.path.join(HERE, "..", "multinode", "traces")
    tags = []
    it = iter(argv)
    for a in it:
        if a == "--raw":
            rawdir = next(it)
        elif a == "--out":
            outdir = next(it)
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            tags.append(a)
    if not tags:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for tag in tags:
        rows = extract(rawdir, tag)
        out = os.path.join(outdir, f"{tag}.sessions.csv")
        with open(out, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["t_s", "node", "event", "detail"])
            for t, node, _, event, detail in rows:
                w.writerow([f"{t:.3f}", node, event, detail])
        print(f"{tag}: {len(rows)} rows -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

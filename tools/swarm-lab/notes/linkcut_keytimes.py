#!/usr/bin/env python3
"""linkcut_keytimes.py: key times of the link-cut runs (m01, m13, m13b; 2026-12-07b session; stdlib only).

usage: linkcut_keytimes.py MULTINODE_DIR NAME.rN [NAME.rN ...]

MULTINODE_DIR is a recording folder (traces/, raw/ with meta.json, net.jsonl and worker-logs/). Per run, relative to
t0 (the cut): the cut/restore steps (actions.csv), the victim's agent heartbeats as seen in the packet counters of its
root-side veth (raw/NAME.rN.net.jsonl; 0.05 s samples; inferred from traffic shape: a sample with 3-5 packets from
the worker and 2-3 packets / 260-360 B to it is a heartbeat request/response pair, the single 66 B packet after it
is the worker's ACK; not decoded, TLS), the victim's `heartbeat to manager ... failed` log lines (the heartbeat was sent
exactly dispatcherRPCTimeout = 5 s earlier: agent/session.go), its sessions.csv rows (session failures, waits, dials,
channel READY), the manager's node state changes (node events and polls, nodes.csv) and registrations, and every
task / container change after t0 (tasks.csv, containers.csv).
"""
import csv
import json
import os
import re
import sys
import calendar
import time

TS = re.compile(r'^time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def log_time(line):
    m = TS.match(line)
    return None if not m else calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0)


def heartbeats(net, dev, t0):
    out = []
    for r in net:
        if r["dev"] != dev:
            continue
        if 3 <= r["rx_packets"] <= 5 and 2 <= r["tx_packets"] <= 3 and 260 <= r["tx_bytes"] <= 360:
            out.append(r["t"] - t0)
    return out


def main(d, tags):
    for tag in tags:
        name = tag.rsplit(".r", 1)[0]
        meta = json.load(open(os.path.join(d, "raw", f"{tag}.meta.json")))
        t0 = meta["t0"]
        victim = {"m01-node-down": "mn-w2"}.get(name, "mn-w1")
        dev = "mnv-" + victim.replace("mn-", "")
        print(f"### {tag}  (t0 {time.strftime('%H:%M:%S', time.gmtime(t0))}{f'{t0 % 1:.3f}'[1:]} UTC, victim {victim}, "
              f"recorded until {meta['t_end_s']:.3f}, placement before {meta['placement_before']}, "
              f"after {meta['placement_after']})")
        for a in rows(os.path.join(d, "traces", f"{tag}.actions.csv")):
            print(f"  step {float(a['t_s']):8.3f} {a['kind']} {a['target']} rc={a['rc']} "
                  f"returned +{float(a['returned_after_s']):.3f}")
        net = [json.loads(l) for l in open(os.path.join(d, "raw", f"{tag}.net.jsonl"))]
        hb = heartbeats(net, dev, t0)
        print("  net heartbeats (inferred): " + ", ".join(f"{t:.3f}" for t in hb))
        gaps = [b - a for a, b in zip(hb, hb[1:])]
        if gaps:
            print("    gaps: " + ", ".join(f"{g:.2f}" for g in gaps))
        lp = os.path.join(d, "raw", "worker-logs", f"{tag}.{victim}.dockerd.log")
        for line in open(lp, errors="replace"):
            if "heartbeat to manager" in line and "failed" in line:
                t = log_time(line) - t0
                e = re.search(r'error="([^"]*)"', line)
                print(f"  log {t:8.3f} heartbeat failed ({e.group(1) if e else '?'}) -> sent at {t - 5.0:.3f}")
        for r in rows(os.path.join(d, "traces", f"{tag}.sessions.csv")):
            print(f"  ses {float(r['t_s']):8.3f} {r['node']:5s} {r['event']} {r['detail']}")
        for r in rows(os.path.join(d, "traces", f"{tag}.nodes.csv")):
            if float(r["t_s"]) < 0:
                continue
            det = r["detail"]
            print(f"  node {float(r['t_s']):8.3f} {r['node']:5s} {r['source']:11s} state={r['state'] or '-'} "
                  f"{r['message']} {det}")
        n = 0
        for r in rows(os.path.join(d, "traces", f"{tag}.tasks.csv")):
            if float(r["t_s"]) >= 0 or (r["t_poll_s"] and float(r["t_poll_s"]) >= 0):
                n += 1
                print(f"  task {float(r['t_s']):8.3f} slot {r['slot']} {r['node']:5s} {r['task_id'][:8]} "
                      f"desired={r['desired_state']} state={r['state']} {r['message']} (poll {r['t_poll_s']})")
        for r in rows(os.path.join(d, "traces", f"{tag}.containers.csv")):
            if float(r["t_s"]) >= 0:
                n += 1
                print(f"  ctr  {float(r['t_s']):8.3f} {r['node']:5s} slot {r['slot']} {r['event']} exit={r['exit_code']}")
        if n == 0:
            print("  no task or container change after t0")
        print()


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2:])

#!/usr/bin/env python3
"""Run one recording only when the CPU is quiet, and log the CPU load around it.

usage: quietrun.py NAME RUN           (single node: ../record.sh NAME RUN)
       quietrun.py --multi NAME RUN    (three nodes: ../multinode/record_all.sh NAME RUN)

Adapted from the 2026-12-02 rule (whose script is not in this folder; re-written from its description in
tests/data/fidelity/recording-2026-12-02.md):
 1. remove the services left by the previous run and wait until no swarm container is left (single node:
    every service; multi: service web, containers checked on all three daemons), so the previous run's
    health-probed containers do not count as load;
 2. sample /proc/stat (aggregate `cpu` line) over 3 s and require (idle + nice) >= 85 % of
    user+nice+system+idle+iowait+irq+softirq+steal. `nice` time counts as available: the other engineer's
    compiles run at nice 19 and yield the CPU to this recorder, which runs at normal priority (nice 0).
    iowait is not counted as available. Re-check every 10 s (after a failed check: 3 s sample + 10 s sleep),
    give up after 15 min;
 3. run the recorder and sample /proc/stat every 1 s for the whole call; every sample (epoch, idle %, nice %,
    idle+nice %) goes to recording-SESSION.cpu.jsonl, one summary line per run to
    recording-SESSION.runs.jsonl; SESSION is $SESSION (default 2026-12-06: the 2026-12-06b
    recordings ran with SESSION=2026-12-06b, the 2026-12-06d ones with SESSION=2026-12-06d).
stdlib only.
"""
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FID = os.path.dirname(HERE)
D = "/usr/bin/docker"
SESSION = os.environ.get("SESSION", "2026-12-06")
CPU_LOG = os.path.join(HERE, f"recording-{SESSION}.cpu.jsonl")
RUN_LOG = os.path.join(HERE, f"recording-{SESSION}.runs.jsonl")
THRESH = 85.0
SOCKS = ["/var/run/docker.sock", "/tmp/mn/w1/docker.sock", "/tmp/mn/w2/docker.sock"]


def stat():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    # user nice system idle iowait irq softirq steal
    return v


def pct(a, b):
    d = [y - x for x, y in zip(a, b)]
    tot = sum(d) or 1
    return dict(idle=100.0 * d[3] / tot, nice=100.0 * d[1] / tot, avail=100.0 * (d[3] + d[1]) / tot,
                user=100.0 * d[0] / tot, system=100.0 * d[2] / tot, iowait=100.0 * d[4] / tot)


def sample(dt):
    a = stat()
    time.sleep(dt)
    return pct(a, stat())


def sh(argv):
    return subprocess.run(argv, capture_output=True, text=True)


def pre_clean(multi):
    if multi:
        if os.path.exists(SOCKS[1]):
            sh([D, "service", "rm", "web"])
        socks = [s for s in SOCKS if os.path.exists(s)]
    else:
        svcs = sh([D, "service", "ls", "-q"]).stdout.split()
        if svcs:
            sh([D, "service", "rm"] + svcs)
        socks = SOCKS[:1]
    t_end = time.time() + 120
    while time.time() < t_end:
        left = []
        for s in socks:
            left += sh([D, "-H", "unix://" + s, "ps", "-aq", "--filter",
                        "label=com.docker.swarm.service.name"]).stdout.split()
        if not left:
            return True
        time.sleep(1)
    return False


def main():
    argv = sys.argv[1:]
    multi = argv and argv[0] == "--multi"
    if multi:
        argv = argv[1:]
    name, runno = argv[0], argv[1]
    clean = pre_clean(multi)
    t_wait0 = time.time()
    checks = []
    while True:
        p = sample(3.0)
        checks.append(round(p["avail"], 1))
        if p["avail"] >= THRESH:
            break
        if time.time() - t_wait0 > 900:
            print(f"quietrun: gave up after 15 min, checks {checks}", flush=True)
            return 3
        time.sleep(10)
    waited = time.time() - t_wait0
    before = p
    cmd = ([os.path.join(FID, "multinode", "record_all.sh"), name, runno] if multi
           else [os.path.join(FID, "record.sh"), name, runno])
    stop = threading.Event()
    samples = []

    def sampler():
        a = stat()
        while not stop.wait(1.0):
            b = stat()
            q = pct(a, b)
            a = b
            samples.append(dict(t=time.time(), run=f"{name}.r{runno}", **{k: round(v, 1) for k, v in q.items()}))

    th = threading.Thread(target=sampler, daemon=True)
    s0 = stat()
    t_a = time.time()
    th.start()
    rc = subprocess.call(cmd)
    stop.set()
    th.join(2)
    t_b = time.time()
    whole = pct(s0, stat())
    with open(CPU_LOG, "a") as f:
        for r in samples:
            f.write(json.dumps(r) + "\n")
    summ = dict(run=f"{name}.r{runno}", multi=bool(multi), rc=rc, pre_clean_ok=clean,
                start_utc=time.strftime("%H:%M:%S", time.gmtime(t_a)), end_utc=time.strftime("%H:%M:%S", time.gmtime(t_b)),
                t_start=t_a, t_end=t_b, waited_s=round(waited, 1), checks=checks,
                before_avail=round(before["avail"], 1), before_idle=round(before["idle"], 1),
                before_nice=round(before["nice"], 1),
                whole_avail=round(whole["avail"], 1), whole_idle=round(whole["idle"], 1),
                whole_nice=round(whole["nice"], 1))
    with open(RUN_LOG, "a") as f:
        f.write(json.dumps(summ) + "\n")
    print("quietrun:", json.dumps(summ), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""fid31_crash_cycle.py: what one crash-loop cycle is made of, real against model (2026-12-07, fid31).

A cycle of a slot whose tasks end on their own (a crash image's exit, or an unhealthy container's kill) is cut
into the phases the restart path goes through, from the previous task's end to the next task's end:
  exit_report   the previous container's `die` -> its task's FAILED (Status.Timestamp: the agent's report)
  restart       FAILED -> the replacement task created (CreatedAt: the restart supervisor's commit, after the
                dispatcher's status batch and the orchestrator's watch)
  delay         created -> desired RUNNING (UpdatedAt: `DelayStart` released, restart delay; with delay 0 the
                release itself)
  dispatch      desired RUNNING -> STARTING (the node's assignments batch, the agent's `Do`)
  start         STARTING -> the container's `start` event (moby's `ContainerStart`)
  life          `start` -> `die` (the image's own crash time, or health checks + kill)
  cycle         FAILED -> the replacement's FAILED (the sum of the six)
Only replacements created after their slot's previous task failed are counted (the restart path; an update's own
tasks are not). Also printed: created -> READY ("prepare", off the cycle's path unless the delay is shorter).

real:   fid31_crash_cycle.py real TRACES_DIR NAME.rN ...      (tasks.csv + containers.csv of each run)
model:  fid31_crash_cycle.py model BIN SCENARIO.yml SEEDS     (runs `BIN run --trace --seed S --out TMP`; the model
        logs no container `start`, so it is taken as the `exited` line less the image's `exit.after` for a crash,
        STARTING + the image's fixed `start` otherwise)
Prints, per run (real) or over the seeds (model), each phase's median, 10-90 % range and count. stdlib only."""
import collections, csv, os, re, statistics as st, subprocess, sys, tempfile

PHASES = ["exit_report", "restart", "delay", "dispatch", "start", "life", "cycle", "prepare"]
ENDS = ("failed", "complete", "rejected")


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))]


def summarize(label, ph):
    cells = []
    for p in PHASES:
        v = ph.get(p, [])
        if v:
            cells.append(f"{p} {st.median(v) * 1000:5.0f} [{pct(v, .1) * 1000:4.0f}-{pct(v, .9) * 1000:4.0f}] n{len(v)}")
    print(f"{label:34} " + " | ".join(cells))


def cycles(tasks, die, start, ph):
    """tasks: id -> {slot, created, dr, starting, ready, end, end_state}; die/start: id -> t."""
    by_slot = collections.defaultdict(list)
    for k, t in tasks.items():
        if "created" in t:
            by_slot[t["slot"]].append((t["created"], k))
    for slot, lst in by_slot.items():
        lst.sort()
        for (_, p), (_, k) in zip(lst, lst[1:]):
            P, K = tasks[p], tasks[k]
            if "end" not in P or P["created"] > K["created"] or K["created"] < P["end"]:
                continue  # not a restart of an ended task (an update's own task, a scale-up, ...)
            if p in die:
                ph["exit_report"].append(P["end"] - die[p])
            ph["restart"].append(K["created"] - P["end"])
            if "dr" in K:
                ph["delay"].append(K["dr"] - K["created"])
                if "starting" in K:
                    ph["dispatch"].append(K["starting"] - K["dr"])
            if "ready" in K:
                ph["prepare"].append(K["ready"] - K["created"])
            if "starting" in K and k in start:
                ph["start"].append(start[k] - K["starting"])
            if k in start and k in die:
                ph["life"].append(die[k] - start[k])
            if "end" in K:
                ph["cycle"].append(K["end"] - P["end"])


def read_tasks(path, id_len=None):
    tasks = {}
    for x in csv.DictReader(open(path)):
        k = x["task_id"][:id_len] if id_len else x["task_id"]
        t = tasks.setdefault(k, {"slot": x["slot"], "image": x["image"]})
        ts, s, d = float(x["t_s"]), x["state"], x["desired_state"]
        if s == "new":
            t.setdefault("created", ts)
        if d == "running" and s in ("new", "pending", "assigned", "accepted", "preparing", "ready"):
            t.setdefault("dr", ts)
        if s == "ready":
            t.setdefault("ready", ts)
        if s == "starting":
            t.setdefault("starting", ts)
        if s in ENDS:
            t.setdefault("end", ts)
            t.setdefault("end_state", s)
    return tasks


def real(tdir, names):
    for name in names:
        base = os.path.join(tdir, name)
        tasks = read_tasks(base + ".tasks.csv")
        die, start = {}, {}
        for c in csv.DictReader(open(base + ".containers.csv")):
            if c["event"] == "start":
                start.setdefault(c["task_id"], float(c["t_s"]))
            if c["event"] == "die":
                die.setdefault(c["task_id"], float(c["t_s"]))
        ph = collections.defaultdict(list)
        cycles(tasks, die, start, ph)
        summarize(name, ph)


TRACE = re.compile(r"^\s*([0-9.]+) (\S+)\.(\d+) t=(\w+) (.*)$")


def image_times(scenario):
    """image -> (exit.after in s or None, fixed start in s or None), from the scenario's one-line image maps."""
    out = {}
    for line in open(scenario):
        m = re.match(r"\s+([\w.:/-]+): \{(.*)\}\s*$", line)
        if not m or "cached" not in m.group(2):
            continue
        body = m.group(2)
        ex = re.search(r"exit: \{code: \d+, after: ([0-9.]+)(ms|s)\}", body)
        sm = re.search(r"start: ([0-9.]+)(ms|s)", body)
        conv = lambda g: float(g.group(1)) / (1000 if g.group(2) == "ms" else 1) if g else None
        out[m.group(1)] = (conv(ex), conv(sm))
    return out


def model(binary, scenario, seeds):
    a, b = (int(x) for x in seeds.split(".."))
    times = image_times(scenario)
    ph = collections.defaultdict(list)
    for seed in range(a, b + 1):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([binary, "run", "--trace", "--quiet", "--seed", str(seed), "--out", tmp, scenario],
                                 capture_output=True, text=True, check=True).stdout
            tasks = read_tasks(os.path.join(tmp, "events.csv"), 12)
        die, start = {}, {}
        for line in out.splitlines():
            m = TRACE.match(line)
            if not m:
                continue
            t, k, what = float(m.group(1)), m.group(4), m.group(5)
            if what.startswith("exited") and k not in die:
                die[k] = t
        for k, t in tasks.items():
            after, fixed = times.get(t["image"], (None, None))
            if after is not None and k in die:
                start[k] = die[k] - after
            elif fixed is not None and "starting" in t:
                start[k] = t["starting"] + fixed
        cycles(tasks, die, start, ph)
    summarize(f"model {os.path.basename(scenario)[:-4]} s{seeds}", ph)


if __name__ == "__main__":
    if sys.argv[1] == "real":
        real(sys.argv[2], sys.argv[3:])
    else:
        model(sys.argv[2], sys.argv[3], sys.argv[4])

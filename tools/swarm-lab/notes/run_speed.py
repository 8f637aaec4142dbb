#!/usr/bin/env python3
"""run_speed.py: how much a whole run's container starts differ from another run's of the same scenario (2026-12-07).
For every single-node run (traces s*.rN) and image: the median of STARTING -> the container's `start` event ("start"),
of `start` -> `die` for containers nobody signalled ("life"), or of `create` -> `start` ("cs"); printed as each run's
median over the median of the scenario's run medians, with the number of containers behind it, and the standard
deviation of the log of those ratios over every cell with at least two runs.
With --cycles RUN...: per slot, the intervals between a crash image's consecutive FAILED rows, and the medians of a
run's dr->starting / starting->start / start->die.   usage: run_speed.py TRACES_DIR [start|life|cs]
                                                            run_speed.py TRACES_DIR --cycles NAME.rN...   stdlib only."""
import collections, csv, glob, math, os, statistics as st, sys

T = sys.argv[1]


def first_events(base):
    conts = list(csv.DictReader(open(base + ".containers.csv")))
    ev, img = collections.defaultdict(dict), {}
    for c in conts:
        ev[c["task_id"]].setdefault(c["event"], float(c["t_s"]))
        img[c["task_id"]] = c["image"]
    return ev, img


def medians(metric):
    cells = collections.defaultdict(dict)
    for p in sorted(glob.glob(os.path.join(T, "s*.r*.tasks.csv"))):
        base = p[: -len(".tasks.csv")]
        scen, run = os.path.basename(base).rsplit(".", 1)
        starting = {}
        for x in csv.DictReader(open(p)):
            if x["state"] == "starting":
                starting.setdefault(x["task_id"], float(x["t_s"]))
        ev, img = first_events(base)
        by = collections.defaultdict(list)
        for t, e in ev.items():
            if metric == "start" and "start" in e and t in starting:
                by[img[t]].append(e["start"] - starting[t])
            if metric == "life" and "start" in e and "die" in e and "kill" not in e:
                by[img[t]].append(e["die"] - e["start"])
            if metric == "cs" and "create" in e and "start" in e:
                by[img[t]].append(e["start"] - e["create"])
        for im, v in by.items():
            if len(v) >= 2:
                cells[(scen, im)][run] = (st.median(v), len(v))
    logs = []
    for (scen, im), runs in sorted(cells.items()):
        if len(runs) < 2:
            continue
        med = st.median(v for v, _ in runs.values())
        if med <= 0:
            continue
        logs += [math.log(v / med) for v, _ in runs.values()]
        cols = " ".join(f"{r}:{v / med:.2f}({n})" for r, (v, n) in sorted(runs.items()))
        print(f"{scen:38} {im:22} median {med * 1000:6.0f} ms  {cols}")
    print(f"cells {len(logs)}, sd of log(run median / scenario median) {st.pstdev(logs):.3f}")


def cycles(names):
    for name in names:
        base = os.path.join(T, name)
        fails, rows = collections.defaultdict(set), collections.defaultdict(dict)
        for x in csv.DictReader(open(base + ".tasks.csv")):
            t, k = float(x["t_s"]), x["task_id"]
            if x["state"] == "failed" and x["image"].endswith("crash"):
                fails[x["slot"]].add(t)
            if x["state"] == "starting":
                rows[k].setdefault("starting", t)
            if x["desired_state"] == "running":
                rows[k].setdefault("dr", t)
        ev, _ = first_events(base)
        for s, f in sorted(fails.items()):
            f = sorted(f)
            print(name, "slot", s, "cycles", [round(b - a, 3) for a, b in zip(f, f[1:])])
        segs = collections.defaultdict(list)
        for k, r in rows.items():
            e = ev.get(k, {})
            if "dr" in r and "starting" in r:
                segs["dr->starting"].append(r["starting"] - r["dr"])
            if "starting" in r and "start" in e:
                segs["starting->start"].append(e["start"] - r["starting"])
            if "start" in e and "die" in e and "kill" not in e:
                segs["start->die"].append(e["die"] - e["start"])
        print("   medians:", {k: round(st.median(v), 3) for k, v in segs.items()})


if len(sys.argv) > 2 and sys.argv[2] == "--cycles":
    cycles(sys.argv[3:])
else:
    medians(sys.argv[2] if len(sys.argv) > 2 else "start")

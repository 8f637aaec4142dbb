#!/usr/bin/env python3
"""fid32_overlap.py: container starts (and graceful stops) that overlap on one dockerd, against how many (fid32,
2026-12-07).

A start is STARTING (the task's Status.Timestamp; the agent calls ContainerStart right after) -> the container's
`start` event. A graceful stop is the container's `kill` with signal 15 -> its `die` (exit code 0 or 143; a kill
ignored until SIGKILL is left out). On one daemon (a single-node run; each node of a multi-node run, whose three
dockerds shared the one 2-core host, so the host-wide count is printed as well) each start gets:
  k        how many starts (itself included) were in flight when it began (STARTING within its interval of the
           others); kmax the most in flight at any point of its interval
  kbar     the time-averaged number of jobs (starts + graceful stops) in flight over its interval
  ratio    its duration over the median of the same image's solo starts (kmax 1, no stop in flight) in the same
           run; runs with fewer than 2 solo starts of the image use the image's median over the scenario's runs
Batches: starts whose STARTING fall within 30 ms of the first on one daemon, with no other start in flight at the
first's STARTING; their durations in STARTING order tell processor sharing (all k end together, at W*k/C) from a
lock (a staircase, one step per start) from no sharing (all end at W).

usage: fid32_overlap.py TRACES_DIR [--per-start] [--csv OUT]     (stdlib only)
       fid32_overlap.py TRACES_DIR --work SCENARIO_DIR [C]
  the second form re-measures each scenario's fixed image `start`: the work that makes the median of its recorded
  starts over their replay (the run's own arrivals, every other image at its scenario's value, stops at their
  `stop.after`) 1 through a processor-sharing daemon of capacity C (default 1.5, the model's)."""
import collections, csv, glob, os, re, statistics as st, sys

BATCH = 0.030


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))]


def fmt(v):
    if not v:
        return "-"
    return f"{st.median(v):.2f} [{pct(v, .1):.2f}-{pct(v, .9):.2f}] n{len(v)}"


def load(base):
    """One run: starts [(node, task, image, t0, t1)] and stops [(node, task, image, t0, t1)]."""
    starting, node_of = {}, {}
    for x in csv.DictReader(open(base + ".tasks.csv")):
        if x["state"] == "starting":
            starting.setdefault(x["task_id"], float(x["t_s"]))
        if x.get("node"):
            node_of.setdefault(x["task_id"], x["node"])
    start_ev, kill, die, image, cnode = {}, {}, {}, {}, {}
    for c in csv.DictReader(open(base + ".containers.csv")):
        k, t = c["task_id"], float(c["t_s"])
        image[k] = c["image"]
        cnode[k] = c.get("node") or "vm"
        if c["event"] == "start":
            start_ev.setdefault(k, t)
        elif c["event"] == "kill" and c["signal"] == "15":
            kill.setdefault(k, t)
        elif c["event"] == "die":
            die.setdefault(k, (t, c["exit_code"]))
    starts = [(cnode.get(k, node_of.get(k, "vm")), k, image[k], starting[k], start_ev[k])
              for k in start_ev if k in starting and 0 <= start_ev[k] - starting[k] < 5]
    stops = [(cnode[k], k, image[k], kill[k], die[k][0]) for k in kill
             if k in die and die[k][0] >= kill[k] and die[k][1] in ("0", "143") and die[k][0] - kill[k] < 2]
    return starts, stops


def inflight(jobs, t, exclude=None):
    return sum(1 for j in jobs if j[1] != exclude and j[3] <= t < j[4])


def kbar(jobs, a, b):
    """Time-average of the jobs in flight over [a, b)."""
    if b <= a:
        return float(sum(1 for j in jobs if j[3] <= a <= j[4]))
    cuts = sorted({a, b} | {x for j in jobs for x in (j[3], j[4]) if a < x < b})
    tot = 0.0
    for x, y in zip(cuts, cuts[1:]):
        m = (x + y) / 2
        tot += (y - x) * sum(1 for j in jobs if j[3] <= m < j[4])
    return tot / (b - a)


def kmax(jobs, a, b):
    pts = [a] + [j[3] for j in jobs if a < j[3] < b]
    return max(sum(1 for j in jobs if j[3] <= p < j[4]) for p in pts)


def main():
    tdir = sys.argv[1]
    per_start = "--per-start" in sys.argv
    rows = []  # dicts
    batches = []
    runs = sorted(glob.glob(os.path.join(tdir, "*.tasks.csv")))
    stop_rows = []
    daemons = []  # (run, scen, node, starts, stops)
    for path in runs:
        base = path[: -len(".tasks.csv")]
        run = os.path.basename(base)
        scen = re.sub(r"\.r\d+$", "", run)
        if not os.path.exists(base + ".containers.csv"):
            continue
        starts, stops = load(base)
        nodes = sorted({s[0] for s in starts} | {s[0] for s in stops})
        for node in nodes:
            S = [s for s in starts if s[0] == node]
            P = [s for s in stops if s[0] == node]
            J = S + P
            daemons.append((run, scen, node, S, P))
            HS = starts  # every daemon of the host
            for s in S:
                _, k, img, a, b = s
                rows.append(dict(run=run, scen=scen, node=node, task=k, image=img, t0=a, dur=b - a,
                                 k=1 + inflight(S, a, k), kmax=kmax(S, a, b), kbar=kbar(J, a, b),
                                 stops=inflight(P, a) + sum(1 for p in P if a < p[3] < b),
                                 host_kmax=kmax(HS, a, b), host_kbar=kbar(starts + stops, a, b)))
            for p in P:
                _, k, img, a, b = p
                stop_rows.append(dict(run=run, scen=scen, node=node, image=img, dur=b - a, kmax=kmax(P, a, b),
                                      starts=kmax(S + [p], a, b) - 1 if S else 0, kbar=kbar(J, a, b)))
            # batches of starts
            Ss = sorted(S, key=lambda s: s[3])
            i = 0
            while i < len(Ss):
                a = Ss[i][3]
                grp = [s for s in Ss if a <= s[3] <= a + BATCH]
                busy = inflight(J, a - 1e-9)  # jobs already in flight just before
                if len(grp) >= 2 and busy == 0:
                    batches.append(dict(run=run, scen=scen, node=node, image=grp[0][2], k=len(grp),
                                        durs=[s[4] - s[3] for s in grp], ends=[s[4] - a for s in grp],
                                        images={s[2] for s in grp}))
                i += max(1, len(grp))
    # solo medians per run x image, and per scenario x image
    solo_run, solo_scen = collections.defaultdict(list), collections.defaultdict(list)
    for r in rows:
        if r["kmax"] == 1 and r["stops"] == 0:
            solo_run[(r["run"], r["image"])].append(r["dur"])
            solo_scen[(r["scen"], r["image"])].append(r["dur"])
    for r in rows:
        v = solo_run.get((r["run"], r["image"]), [])
        if len(v) < 2:
            v = solo_scen.get((r["scen"], r["image"]), [])
        if len(v) < 2:
            v = [x for (rn, i), vv in solo_run.items() if i == r["image"] for x in vv]
        r["solo"] = st.median(v) if v else None
        r["ratio"] = r["dur"] / r["solo"] if r["solo"] else None
    for b in batches:
        v = solo_run.get((b["run"], b["image"]), [])
        if len(v) < 2:
            v = solo_scen.get((b["scen"], b["image"]), [])
        if len(v) < 2:
            v = [x for (rn, i), vv in solo_run.items() if i == b["image"] for x in vv]
        b["solo"] = st.median(v) if v else None

    print(f"{len(runs)} runs, {len(rows)} starts, {len(stop_rows)} graceful stops\n")
    print("== Starts by kmax (most starts in flight on the daemon during the start), duration / solo median")
    by = collections.defaultdict(list)
    for r in rows:
        if r["ratio"] is not None:
            by[(r["scen"][0], min(r["kmax"], 7))].append(r["ratio"])
    for key in sorted(by):
        print(f"  {'single' if key[0] == 's' else 'multi '} kmax {key[1]}{'+' if key[1] == 7 else ' '}: ratio {fmt(by[key])}")
    print("\n== Starts by round(kbar) (time-averaged jobs in flight, starts + stops), duration / solo median")
    by = collections.defaultdict(list)
    for r in rows:
        if r["ratio"] is not None:
            by[min(7, int(round(r["kbar"])))].append(r["ratio"])
    for key in sorted(by):
        print(f"  kbar~{key}: ratio {fmt(by[key])}")
    print("\n== Multi-node starts alone on their daemon (kmax 1), by the host-wide kmax (3 dockerds, one 2-core host)")
    by = collections.defaultdict(list)
    for r in rows:
        if r["ratio"] is not None and r["scen"][0] == "m" and r["kmax"] == 1:
            by[min(r["host_kmax"], 5)].append(r["ratio"])
    for key in sorted(by):
        print(f"  host kmax {key}: ratio {fmt(by[key])}")
    print("\n== Solo starts, seconds, per image (median of run medians; all)")
    per_img = collections.defaultdict(list)
    for (run, img), v in solo_run.items():
        per_img[img].append(st.median(v))
    for img, v in sorted(per_img.items()):
        allv = [x for (rn, i), vv in solo_run.items() if i == img for x in vv]
        print(f"  {img:22} run medians {fmt(v)};  all {fmt(allv)}")
    print("\n== Batches: k starts within 30 ms on an idle daemon; ends (s after the first STARTING), in STARTING order")
    byk = collections.defaultdict(list)
    for b in batches:
        byk[b["k"]].append(b)
    for k in sorted(byk):
        bs = byk[k]
        last = [max(b["ends"]) / b["solo"] for b in bs if b["solo"]]
        first = [min(b["ends"]) / b["solo"] for b in bs if b["solo"]]
        spread = [(max(b["ends"]) - min(b["ends"])) / b["solo"] for b in bs if b["solo"]]
        mean = [st.mean(b["durs"]) / b["solo"] for b in bs if b["solo"]]
        print(f"  k={k}: {len(bs)} batches; in solo medians: first end {fmt(first)}, last end {fmt(last)}, "
              f"mean duration {fmt(mean)}, last-first {fmt(spread)}")
        for b in bs:
            ends = " ".join(f"{e:.3f}" for e in sorted(b["ends"]))
            solo = f"{b['solo']:.3f}" if b["solo"] else "-"
            print(f"      {b['run']:44} {b['node']:6} {'/'.join(sorted(b['images'])):32} solo {solo}  ends {ends}")
    print("\n== Graceful stops (SIGTERM -> die), seconds, by how many stops in flight (kmax) and starts overlapping")
    by = collections.defaultdict(list)
    for r in stop_rows:
        by[(min(r["kmax"], 7), min(r["starts"], 1))].append(r["dur"])
    for key in sorted(by):
        print(f"  stops kmax {key[0]}, {'with' if key[1] else 'no  '} start in flight: {fmt(by[key])}")
    by = collections.defaultdict(list)
    for r in stop_rows:
        by[(r["image"], min(r["kmax"], 7))].append(r["dur"])
    print("  per image:")
    for key in sorted(by):
        print(f"    {key[0]:22} kmax {key[1]}: {fmt(by[key])}")
    fit(daemons, rows, stop_rows, solo_run, solo_scen)
    if per_start:
        print("\n== Every overlapped start")
        for r in rows:
            if r["kmax"] >= 2:
                print(f"  {r['run']:44} {r['node']:6} {r['image']:20} t0 {r['t0']:8.3f} dur {r['dur']:.3f} "
                      f"k {r['k']} kmax {r['kmax']} kbar {r['kbar']:.2f} ratio {r['ratio'] or 0:.2f}")
    if "--csv" in sys.argv:
        out = sys.argv[sys.argv.index("--csv") + 1]
        with open(out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)



def lock_replay(jobs, frac):
    """jobs: [(arrival, work, key)]: each runs (1 - frac) * work on its own, then frac * work under one FIFO lock."""
    free, out = 0.0, {}
    for a, w, k in sorted((a + (1 - frac) * w, w, k) for a, w, k in jobs):
        begin = max(a, free)
        free = out[k] = begin + frac * w
    return out


def fit(daemons, rows, stop_rows, solo_run, solo_scen):
    """Replays every daemon's recorded arrivals (STARTING; SIGTERM of a graceful stop) with each start's work = the
    solo median of its image (in its run when the run has 2 solo starts of it, else in its scenario, else over every
    run), each stop's = the solo stop median, through several daemon models; scores the starts with kmax >= 2."""
    pooled = collections.defaultdict(list)
    for (run, img), v in solo_run.items():
        pooled[img].extend(v)
    solo_stop = collections.defaultdict(list)
    for r in stop_rows:
        if r["kmax"] == 1 and r["starts"] == 0:
            solo_stop[r["run"]].append(r["dur"])
    all_stop = st.median([x for v in solo_stop.values() for x in v])
    kmax_of = {(r["run"], r["task"]): r["kmax"] for r in rows}

    def work(run, scen, img):
        for v, lvl in ((solo_run.get((run, img), []), "run"), (solo_scen.get((scen, img), []), "scen"),
                       (pooled.get(img, []), "pooled")):
            if len(v) >= 2:
                return st.median(v), lvl
        return 0.3, "none"

    models = [("no sharing", "ps", float("inf"), 0.0)]
    models += [(f"PS C={c:g}", "ps", c, 0.0) for c in (1.0, 1.1, 1.2, 1.25, 1.3, 1.35, 1.4, 1.5, 1.6, 1.75, 2.0, 2.5)]
    models += [(f"PS C={c:g}, {int(f * 100)}% unshared", "ps", c, f) for c in (1.0, 1.5, 2.0) for f in (0.25, 0.5)]
    models += [(f"lock {int(f * 100)}%", "lock", None, f) for f in (0.25, 0.5, 0.75, 1.0)]
    print("\n== Replay: each overlapped start's recorded duration / the model's (its run's own arrivals and works)")
    print("   columns: median, 10-90 % of the ratio; mean |log ratio|; by kmax 2 / 3 / 4+ (median ratio)")
    for level in ("run", "any"):
        print(f"  -- starts whose work is the solo median {'of their own run' if level == 'run' else 'of run, scenario or all runs'}")
        for label, kind, cap, f in models:
            ratios, byk, stop_ratios = [], collections.defaultdict(list), []
            for run, scen, node, S, P in daemons:
                jobs, lv = [], {}
                for _, k, img, a, b in S:
                    w, lv[k] = work(run, scen, img)
                    jobs.append((a, w, k))
                w_stop = st.median(solo_stop[run]) if len(solo_stop[run]) >= 2 else all_stop
                jobs += [(a, w_stop, ("stop", k)) for _, k, img, a, b in P]
                if kind == "ps":
                    end = ps_replay([(a + f * w, (1 - f) * w, k) for a, w, k in jobs], cap)
                else:
                    end = lock_replay([j for j in jobs if not isinstance(j[2], tuple)], f)
                if kind == "ps" and level == "any":
                    for p in P:
                        if kmax(P, p[3], p[4]) >= 2 and end.get(("stop", p[1]), p[3]) > p[3]:
                            stop_ratios.append((p[4] - p[3]) / (end[("stop", p[1])] - p[3]))
                for _, k, img, a, b in S:
                    km = kmax_of[(run, k)]
                    if km < 2 or (level == "run" and lv[k] != "run"):
                        continue
                    x = (b - a) / (end[k] - a)
                    ratios.append(x)
                    byk[min(km, 4)].append(x)
            if not ratios:
                continue
            import math
            mal = st.mean(abs(math.log(x)) for x in ratios)
            ks = " / ".join(f"{st.median(byk[k]):.2f}" if byk[k] else "-" for k in (2, 3, 4))
            print(f"    {label:28} {st.median(ratios):.2f} [{pct(ratios, .1):.2f}-{pct(ratios, .9):.2f}] "
                  f"mal {mal:.3f} n{len(ratios)}  kmax 2/3/4+: {ks}")
            if stop_ratios:
                print(f"    {'':28} overlapped graceful stops: {st.median(stop_ratios):.2f} "
                      f"[{pct(stop_ratios, .1):.2f}-{pct(stop_ratios, .9):.2f}] n{len(stop_ratios)}")


# ---- replay: the recorded arrivals through a processor-sharing daemon of capacity C --------------------------------

def ps_replay(jobs, cap, fixed=0.0):
    """jobs: [(arrival, work, key)]; each job first spends `fixed` s unshared (its own, in parallel with anything),
    then `work` s of full-speed work shared: each of n shared jobs runs at min(1, cap / n). Returns key -> end."""
    ev = sorted((a + fixed, w, k) for a, w, k in jobs)
    t, active, out, i = 0.0, {}, {}, 0
    while i < len(ev) or active:
        n = len(active)
        rate = min(1.0, cap / n) if n else 0.0
        nxt_arr = ev[i][0] if i < len(ev) else float("inf")
        nxt_done = t + min(active.values()) / rate if n else float("inf")
        if nxt_arr <= nxt_done:
            for k in active:
                active[k] -= (nxt_arr - t) * rate
            t = nxt_arr
            active[ev[i][2]] = ev[i][1]
            i += 1
        else:
            for k in active:
                active[k] -= (nxt_done - t) * rate
            t = nxt_done
            for k in [k for k, v in active.items() if v <= 1e-12]:
                out[k] = t
                del active[k]
    return out


def scenario_images(path):
    """image -> (fixed start s or None, graceful stop.after s or None), from a scenario's one-line image maps."""
    out = {}
    conv = lambda g: float(g.group(1)) / (1000 if g.group(2) == "ms" else 1) if g else None
    for line in open(path):
        m = re.match(r"\s+([\w.:/-]+): \{(.*)\}\s*$", line)
        if not m or "cached" not in m.group(2):
            continue
        out[m.group(1)] = (conv(re.search(r"start: ([0-9.]+)(ms|s)", m.group(2))),
                           conv(re.search(r"stop: \{after: ([0-9.]+)(ms|s)", m.group(2))))
    return out


def work_main(tdir, sdir, cap):
    cases = collections.defaultdict(list)  # (scenario, image) -> [(starts, stops, images)] per daemon
    for path in sorted(glob.glob(os.path.join(tdir, "*.tasks.csv"))):
        base = path[: -len(".tasks.csv")]
        scen = re.sub(r"\.r\d+$", "", os.path.basename(base))
        ypath = os.path.join(sdir, scen + ".yml")
        if not os.path.exists(ypath) or not os.path.exists(base + ".containers.csv"):
            continue
        imgs = scenario_images(ypath)
        starts, stops = load(base)
        for node in {s[0] for s in starts}:
            S = [s for s in starts if s[0] == node]
            if any(imgs.get(s[2], (None, None))[0] is None for s in S):
                continue  # a drawn or unknown start: not re-measured, and no fixed work to replay it with
            P = [p for p in stops if p[0] == node]
            for img in {s[2] for s in S}:
                cases[(scen, img)].append((S, P, imgs))

    def median_ratio(key, w):
        r = []
        for S, P, imgs in cases[key]:
            jobs = [(a, w if i == key[1] else imgs[i][0], k) for _, k, i, a, b in S]
            jobs += [(a, imgs.get(i, (None, None))[1] or 0.05, ("stop", k)) for _, k, i, a, b in P]
            end = ps_replay(jobs, cap)
            r += [(b - a) / (end[k] - a) for _, k, i, a, b in S if i == key[1]]
        return st.median(r), len(r)

    print(f"scenario image: its fixed start, the work its recorded starts want at C = {cap:g}, how many starts")
    for key in sorted(cases):
        lo, hi = 0.02, 2.0
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if median_ratio(key, mid)[0] > 1 else (lo, mid)
        w, n = (lo + hi) / 2, median_ratio(key, lo)[1]
        const = scenario_images(os.path.join(sdir, key[0] + ".yml"))[key[1]][0]
        print(f"  {key[0]:42} {key[1]:22} {const * 1000:4.0f} ms -> {w * 1000:4.0f} ms  n{n}")


if __name__ == "__main__":
    if "--work" in sys.argv:
        i = sys.argv.index("--work")
        work_main(sys.argv[1], sys.argv[i + 1], float(sys.argv[i + 2]) if len(sys.argv) > i + 2 else 1.5)
    else:
        main()

#!/usr/bin/env python3
"""fid34_first_gen.py: why the first generation of m19's crash loop starts slowly (fid34, 2026-12-08).

m19-crash-loop-3nodes (recording-2026-12-07p.md): `docker service create` of 9 crash-looping replicas at t = 0 on
three nodes whose dockerds share one 2-core host. The first generation (3 tasks per node) took 0.6-1.6 s from
STARTING to the container's `start`, against 273 ms in the model. This script cuts that time apart and tests the
candidate causes against the traces:

  phases     the first generation's chain, task by task (CreatedAt -> ASSIGNED -> PREPARING -> `create` -> STARTING
             -> `start` -> `die` -> FAILED), and the same phases of later generations where they exist
  grid       every m19 start's STARTING -> `start` by how many starts were in flight on its own daemon (node kmax)
             and on the whole host (host kmax, the three dockerds); the first generation is the only moment with
             9 in flight host-wide
  replay     each run's recorded arrivals replayed through processor-sharing daemons (fid32_overlap.py's model:
             capacity C per daemon) with and without a host-wide cap H shared by the three daemons (a daemon with n
             starts asks for min(n, C) full-speed starts; when the host's total exceeds H every rate is scaled by
             H / total); the work w of a start is fitted per (C, H) so the median recorded / replayed is 1
  spread     when the first generation's 9 `start` events come, recorded and replayed
  triples    three starts begun within 30 ms on one idle daemon, single-node and m19: when each ends
  delay0     websim:crash starts right after their container's create (s20, restart delay 0) against starts a
             restart delay after it (s34-s39): does a start just after a create run slower?
  hosts      the most starts in flight host-wide in every other multi-node recording
  model      (with --model BIN SCENARIO SEEDS) the model's first generation: ASSIGNED -> STARTING, STARTING ->
             exit - 1.028 s, the spread of the 9 first failures

usage: fid34_first_gen.py TRACES_DIR [--model BIN SCENARIO 1..20]      (stdlib only; imports fid32_overlap.py)"""
import collections, csv, glob, math, os, re, statistics as st, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fid32_overlap import kmax, load, pct  # noqa: E402

NAME = "m19-crash-loop-3nodes"
LIFE = 1.028  # websim:crash `start` -> `die` (observations § 14)


def fmt(v, unit=""):
    if not v:
        return "-"
    return f"{st.median(v):.2f}{unit} [{pct(v, .1):.2f}-{pct(v, .9):.2f}] n{len(v)}"


def hps(jobs, cap, host):
    """jobs [(arrival, work, key, daemon)] -> key -> end. On a daemon with n jobs each runs at min(1, cap / n); the
    daemons' total demand sum(min(n_d, cap)) above `host` scales every rate by host / total."""
    ev, t, act, out, i = sorted(jobs), 0.0, {}, {}, 0
    while i < len(ev) or act:
        nd = collections.Counter(d for _, d in act.values())
        tot = sum(min(n, cap) for n in nd.values())
        sc = min(1.0, host / tot) if tot else 1.0
        rate = {k: min(1.0, cap / nd[d]) * sc for k, (_, d) in act.items()}
        t_arr = ev[i][0] if i < len(ev) else math.inf
        t_end = min((t + w / rate[k] for k, (w, _) in act.items()), default=math.inf)
        tn = min(t_arr, t_end)
        for k in list(act):
            w, d = act[k]
            act[k] = (w - (tn - t) * rate[k], d)
        t = tn
        if t_arr <= t_end:
            a, w, k, d = ev[i]
            act[k] = (w, d)
            i += 1
        for k in [k for k, (w, _) in act.items() if w <= 1e-9]:
            out[k] = t
            del act[k]
    return out


def rows(path):
    return list(csv.DictReader(open(path)))


def phases(tdir):
    print("== phases: the first generation (tasks created by the `service create`), seconds, pooled over the runs")
    ph = collections.defaultdict(list)
    for r in range(1, 5):
        base = os.path.join(tdir, f"{NAME}.r{r}")
        first_state = collections.defaultdict(dict)
        task_rows = rows(base + ".tasks.csv")
        for x in task_rows:
            first_state[x["task_id"]].setdefault(x["state"], float(x["t_s"]))
        ev = collections.defaultdict(dict)
        for c in rows(base + ".containers.csv"):
            ev[c["task_id"]].setdefault(c["event"], float(c["t_s"]))
        gen1 = [k for k, s in first_state.items() if s.get("new", 9) < 0.5]
        for k in gen1:
            s, e = first_state[k], ev[k]
            for a, b, la, lb in (("new", "assigned", "CreatedAt", "ASSIGNED"), ("assigned", "preparing", "ASSIGNED",
                                 "PREPARING"), ("starting", "failed", "STARTING", "FAILED")):
                if a in s and b in s:
                    ph[f"{la} -> {lb}"].append(s[b] - s[a])
            if "preparing" in s and "create" in e:
                ph["PREPARING -> `create`"].append(e["create"] - s["preparing"])
            if "create" in e and "starting" in s:
                ph["`create` -> STARTING"].append(s["starting"] - e["create"])
            if "assigned" in s and "starting" in s:
                ph["ASSIGNED -> STARTING"].append(s["starting"] - s["assigned"])
            if "starting" in s and "start" in e:
                ph["STARTING -> `start`"].append(e["start"] - s["starting"])
                node = next(x["node"] for x in task_rows if x["task_id"] == k and x["node"])
                ph[f"r{r} STARTING -> `start`"].append(e["start"] - s["starting"])
                ph[f"{'manager vm' if node == 'vm' else 'workers'} STARTING -> `start`"].append(e["start"] - s["starting"])
            if "start" in e and "die" in e:
                ph["`start` -> `die`"].append(e["die"] - e["start"])
        fails = sorted(first_state[k]["failed"] for k in gen1 if "failed" in first_state[k])
        starts = sorted(ev[k]["start"] for k in gen1 if "start" in ev[k])
        print(f"  r{r}: 9 STARTING {min(first_state[k]['starting'] for k in gen1):.2f}-"
              f"{max(first_state[k]['starting'] for k in gen1):.2f} s, `start` {starts[0]:.2f}-{starts[-1]:.2f} s, "
              f"FAILED {fails[0]:.2f}-{fails[-1]:.2f} s (spread {fails[-1] - fails[0]:.2f} s)")
    for k in ("CreatedAt -> ASSIGNED", "ASSIGNED -> PREPARING", "PREPARING -> `create`", "`create` -> STARTING",
              "ASSIGNED -> STARTING", "STARTING -> `start`", "`start` -> `die`", "STARTING -> FAILED",
              "r1 STARTING -> `start`", "r2 STARTING -> `start`", "r3 STARTING -> `start`", "r4 STARTING -> `start`",
              "manager vm STARTING -> `start`", "workers STARTING -> `start`"):
        print(f"  {k:30} {fmt(ph[k])}")


def m19_starts(tdir):
    return [load(os.path.join(tdir, f"{NAME}.r{r}"))[0] for r in range(1, 5)]


def grid(runs):
    print("\n== grid: STARTING -> `start` (s), median/n, by node kmax (rows) and host kmax (columns); * = first generation")
    cell = collections.defaultdict(list)
    for S in runs:
        for n, k, i, a, b in S:
            nk = min(kmax([s for s in S if s[0] == n], a, b), 4)
            cell[(nk, min(kmax(S, a, b), 9), a < 1)].append(b - a)
    for nk in (1, 2, 3, 4):
        line = "  ".join(f"h{hk}{'*' if f else ''} {st.median(v):.2f}/{len(v)}" for (n, hk, f), v in sorted(cell.items())
                         if n == nk)
        print(f"  node {nk}{'+' if nk == 4 else ' '}: {line}")


def fit(runs, cap, host):
    def ratios(w):
        out = []
        for S in runs:
            end = hps([(a, w, k, n) for n, k, i, a, b in S], cap, host)
            out += [((b - a) / (end[k] - a), n, k, a, b, S) for n, k, i, a, b in S]
        return out
    lo, hi = 0.05, 2.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if st.median(x[0] for x in ratios(mid)) > 1 else (lo, mid)
    w = (lo + hi) / 2
    return w, ratios(w)


def replay(runs):
    print("\n== replay: recorded / replayed STARTING -> `start`, every m19 start; w fitted per model (median 1)")
    print("   mean |log|; first generation median [min-max]; host kmax >= 6; node kmax 1 / 4+; first gen's `start` spread")
    res = []
    for cap in (1.5, 2.0, 2.5):
        for host in (1.5, 2.0, 2.5, 3.0, 4.0, math.inf):
            w, R = fit(runs, cap, host)
            mal = st.mean(abs(math.log(x[0])) for x in R)
            fg = [x[0] for x in R if x[3] < 1]
            hk6 = [x[0] for x in R if kmax(x[5], x[3], x[4]) >= 6]
            nk = lambda x: kmax([s for s in x[5] if s[0] == x[1]], x[3], x[4])
            n1 = [x[0] for x in R if nk(x) == 1]
            n4 = [x[0] for x in R if nk(x) >= 4]
            spreads = []
            for S in runs:
                end = hps([(a, w, k, n) for n, k, i, a, b in S], cap, host)
                e = [end[k] for n, k, i, a, b in S if a < 1]
                spreads.append(max(e) - min(e))
            res.append((mal, cap, host, w, fg, hk6, n1, n4, spreads))
    for mal, cap, host, w, fg, hk6, n1, n4, sp in sorted(res, key=lambda r: r[0]):
        print(f"  C {cap:g} H {host:<4g} w {w * 1000:3.0f} ms: |log| {mal:.3f}; first gen {st.median(fg):.2f} "
              f"[{min(fg):.2f}-{max(fg):.2f}]; host>=6 {st.median(hk6):.2f}; node 1 {st.median(n1):.2f} / 4+ "
              f"{st.median(n4):.2f}; spread {' '.join(f'{x:.2f}' for x in sp)}")
    print("  by node kmax x host kmax, C 1.5 without and with H 3 (median recorded/replayed / n):")
    for host in (math.inf, 3.0):
        w, R = fit(runs, 1.5, host)
        cell = collections.defaultdict(list)
        for x, n, k, a, b, S in R:
            cell[(min(kmax([s for s in S if s[0] == n], a, b), 4), min(kmax(S, a, b), 9))].append(x)
        print(f"   H {host:g} (w {w * 1000:.0f} ms)")
        for nk in (1, 2, 3, 4):
            print(f"     node {nk}{'+' if nk == 4 else ' '}: " + "  ".join(
                f"h{hk} {st.median(v):.2f}/{len(v)}" for (n, hk), v in sorted(cell.items()) if n == nk))
    rec = [max(s[4] for s in S if s[3] < 1) - min(s[4] for s in S if s[3] < 1) for S in runs]
    print("  recorded first-generation `start` spread per run: " + " ".join(f"{x:.2f}" for x in rec))


def triples(tdir):
    print("\n== triples: three starts with STARTING within 30 ms on an idle daemon; ends (s after the first STARTING)")
    for path in sorted(glob.glob(os.path.join(tdir, "*.tasks.csv"))):
        base = path[: -len(".tasks.csv")]
        if not os.path.exists(base + ".containers.csv"):
            continue
        starts, stops = load(base)
        for node in sorted({s[0] for s in starts}):
            S = sorted([s for s in starts if s[0] == node], key=lambda s: s[3])
            J = S + [p for p in stops if p[0] == node]
            i = 0
            while i < len(S):
                a = S[i][3]
                grp = [s for s in S if a <= s[3] <= a + 0.030]
                busy = sum(1 for j in J if j[3] < a - 1e-9 < j[4])
                if len(grp) == 3 and busy == 0:
                    order = [s[4] - a for s in grp]
                    ends = sorted(order)
                    print(f"  {os.path.basename(base):32} {node:6} t {a:6.2f}  ends {' '.join(f'{e:.3f}' for e in ends)}"
                          f"  (1st-2nd {ends[1] - ends[0]:.2f}, 2nd-3rd {ends[2] - ends[1]:.2f}; first STARTING ends "
                          f"{'first' if order[0] == ends[0] else 'later'})")
                i += max(1, len(grp))


def delay0(tdir):
    print("\n== delay0: websim:crash STARTING -> `start` (s) alone on its daemon, by create -> STARTING gap")
    by = collections.defaultdict(list)
    for path in sorted(glob.glob(os.path.join(tdir, "*.containers.csv"))):
        base = path[: -len(".containers.csv")]
        scen = re.sub(r"\.r\d+$", "", os.path.basename(base))
        create = {}
        for c in rows(path):
            if c["event"] == "create":
                create.setdefault(c["task_id"], float(c["t_s"]))
        starts, _ = load(base)
        for n, k, img, a, b in starts:
            if img != "websim:crash" or k not in create or kmax([s for s in starts if s[0] == n], a, b) > 1:
                continue
            gap = "< 0.3 s" if a - create[k] < 0.3 else ">= 0.5 s" if a - create[k] >= 0.5 else "between"
            by[(scen.split("-")[0], gap)].append(b - a)
    for key in sorted(by):
        print(f"  {key[0]:4} gap {key[1]:8}: {fmt(by[key])}")


def hosts(tdir):
    print("\n== hosts: most starts in flight host-wide, per multi-node scenario (all its runs)")
    most = collections.defaultdict(int)
    for path in sorted(glob.glob(os.path.join(tdir, "m*.tasks.csv"))):
        base = path[: -len(".tasks.csv")]
        if not os.path.exists(base + ".containers.csv"):
            continue
        starts, _ = load(base)
        scen = re.sub(r"\.r\d+$", "", os.path.basename(base))
        for s in starts:
            most[scen] = max(most[scen], kmax(starts, s[3], s[4]))
    print("  " + ", ".join(f"{k.split('-')[0]} {v}" for k, v in sorted(most.items())))


def model(binary, scenario, seeds):
    lo, hi = (int(x) for x in seeds.split(".."))
    print(f"\n== model: {binary} {scenario} seeds {lo}..{hi}: the first generation")
    ph, spread = collections.defaultdict(list), []
    for seed in range(lo, hi + 1):
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([binary, "run", "--seed", str(seed), "--out", out, scenario], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            first = collections.defaultdict(dict)
            for x in rows(os.path.join(out, "events.csv")):
                first[x["task_id"]].setdefault(x["state"], float(x["t_s"]))
            gen1 = [k for k, s in first.items() if s.get("new", 9) < 0.5]
            for k in gen1:
                s = first[k]
                ph["ASSIGNED -> STARTING"].append(s["starting"] - s["assigned"])
                ph["STARTING -> FAILED"].append(s["failed"] - s["starting"])
                ph["STARTING -> FAILED - life"].append(s["failed"] - s["starting"] - LIFE)
            f = sorted(first[k]["failed"] for k in gen1)
            spread.append(f[-1] - f[0])
    for k, v in ph.items():
        print(f"  {k:26} {fmt(v)}" + (" (the start plus the exit report, ~70 ms)" if "life" in k else ""))
    print(f"  9 first failures' spread: {fmt(spread)}")


def main():
    tdir = sys.argv[1]
    phases(tdir)
    runs = m19_starts(tdir)
    grid(runs)
    replay(runs)
    triples(tdir)
    delay0(tdir)
    hosts(tdir)
    if "--model" in sys.argv:
        i = sys.argv.index("--model")
        model(*sys.argv[i + 1: i + 4])


if __name__ == "__main__":
    main()

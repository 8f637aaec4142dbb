#!/usr/bin/env python3
"""rec33_pile.py: where a crash loop's replacements go on three nodes, real against model (2026-12-07p, m19).

swarmkit's scheduler (manager/scheduler/scheduler.go nodeLess) prefers, when either node has >= maxFailures (5)
failures of the service's version within monitorFailures (5 min), the node with FEWER failures, before load; so
once nodes pass 5 failures every replacement of one scheduling pass should go to the least-failed node.

For each run: every task's ASSIGNED moment (the first row with a node: Status.Timestamp of `assigned`, or the first
later state if a poll missed it) and node; every FAILED row's node and time. Tasks are grouped by 1 s window of their
assigned time; per window: how many went to each node, and each node's failure count before the window starts (all
failures count: the recording is shorter than 5 min). Summary per run: assignments per node, windows with >= 2
assignments, how many of those put all on one node, how many put the majority on the node with the fewest failures
(among windows where some node had >= 5), and the largest single-window pile.

real:   rec33_pile.py real TRACES_DIR NAME.rN ...          (NAME.rN.tasks.csv)
model:  rec33_pile.py model BIN SCENARIO.yml SEEDS         (`BIN run --seed S --out TMP`, events.csv)
add --table to print the per-window table (real: each run; model: the first seed). stdlib only."""
import collections, csv, os, subprocess, sys, tempfile

NODES = ["vm", "mn-w1", "mn-w2"]
LATER = ("assigned", "accepted", "preparing", "ready", "starting", "running", "failed", "complete", "rejected",
         "shutdown")


def load(path):
    assigned, failed = {}, []
    for x in csv.DictReader(open(path)):
        node, s, t = x["node"], x["state"], float(x["t_s"])
        if node and s in LATER and x["task_id"] not in assigned:
            assigned[x["task_id"]] = (t, node, s)
        if s == "failed":
            failed.append((t, node, x["task_id"]))
    # one failure per task
    seen, fl = set(), []
    for t, n, k in sorted(failed):
        if k not in seen:
            seen.add(k)
            fl.append((t, n))
    return assigned, fl


def windows(assigned, failed, t_max):
    rows = []
    by = collections.defaultdict(collections.Counter)
    for t, n, _ in assigned.values():
        if t <= t_max:
            by[int(t // 1)][n] += 1
    for w in sorted(by):
        fc = collections.Counter(n for t, n in failed if t < w)
        rows.append((w, by[w], fc))
    return rows


def passes(assigned, t_max, gap=0.05):
    """scheduling passes: tasks whose ASSIGNED instants are within `gap` s of the previous one (the scheduler stamps
    every task of one pass's batch within milliseconds; passes are >= ~0.1 s apart)."""
    out = []
    for t, n, _ in sorted(assigned.values()):
        if t > t_max:
            continue
        if out and t - out[-1][-1][0] <= gap:
            out[-1].append((t, n))
        else:
            out.append([(t, n)])
    return out


def summary(label, assigned, failed, t_max, table):
    rows = windows(assigned, failed, t_max)
    ps = [p for p in passes(assigned, t_max) if p[0][0] > 0.5]   # after the create's first pass
    big = [p for p in ps if len(p) >= 2]
    one = [p for p in big if len({n for _, n in p}) == 1]
    sizes = collections.Counter(len(p) for p in ps)
    toppass = max(ps, key=len) if ps else []
    # each task after some node reached 5 failures: was its node one with the fewest failures at its ASSIGNED instant?
    on_least = eligible = 0
    for t, n, _ in assigned.values():
        if t > t_max:
            continue
        fc = collections.Counter(m for tf, m in failed if tf < t)
        if max(fc.values() or [0]) >= 5:
            eligible += 1
            on_least += fc.get(n, 0) == min(fc.get(m, 0) for m in NODES)
    late = [(w, c) for w, c, _ in rows if w >= 2]
    pile = max(((max(c.values()), w, c.most_common(1)[0][0]) for w, c in late), default=(0, None, None))
    tot = collections.Counter()
    multi = allone = least = elig = 0
    biggest = (0, None, None)
    for w, c, fc in rows:
        tot.update(c)
        k = sum(c.values())
        if k > biggest[0]:
            biggest = (k, w, dict(c))
        if k >= 2:
            multi += 1
            if len(c) == 1:
                allone += 1
            if max(fc.values() or [0]) >= 5:
                elig += 1
                fmin = min(fc.get(n, 0) for n in NODES)
                top = c.most_common(1)[0][0]
                if fc.get(top, 0) == fmin:
                    least += 1
    fails = collections.Counter(n for t, n in failed if t <= t_max)
    print(f"{label}: assigned {sum(tot.values())} ({', '.join(f'{n} {tot[n]}' for n in NODES)}); failed "
          f"{sum(fails.values())} ({', '.join(f'{n} {fails[n]}' for n in NODES)}); windows with >=2 assigned {multi}, "
          f"all on one node {allone}; with some node >=5 failures {elig}, majority on the least-failed node {least}; "
          f"largest window {biggest[0]} at t={biggest[1]} {biggest[2]}")
    print(f"  tasks assigned once some node had >= 5 failures: {eligible}, on a least-failed node {on_least}; "
          f"most on one node in one 1 s window (t >= 2): {pile[0]} ({pile[2]}, t={pile[1]})")
    print(f"  passes after the first: {len(ps)} (sizes {dict(sorted(sizes.items()))}); with >= 2 tasks {len(big)}, "
          f"all on one node {len(one)}; largest {len(toppass)} at t={toppass[0][0]:.2f} "
          f"{dict(collections.Counter(n for _, n in toppass))}" if ps else "  no passes")
    if table:
        print("| window (s) | assigned vm / mn-w1 / mn-w2 | failures before the window vm / mn-w1 / mn-w2 |")
        print("|---|---|---|")
        for w, c, fc in rows:
            print(f"| {w}–{w + 1} | {' / '.join(str(c.get(n, 0)) for n in NODES)} | "
                  f"{' / '.join(str(fc.get(n, 0)) for n in NODES)} |")
    return rows


def main(a):
    table = "--table" in a
    a = [x for x in a if x != "--table"]
    if a[0] == "real":
        for name in a[2:]:
            asg, fl = load(os.path.join(a[1], name + ".tasks.csv"))
            summary(name, asg, fl, 60.0, table)
    else:
        binary, scen, seeds = a[1], a[2], a[3]
        lo, hi = (int(x) for x in seeds.split(".."))
        for seed in range(lo, hi + 1):
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run([binary, "run", "--quiet", "--seed", str(seed), "--out", tmp, scen], check=True,
                               capture_output=True)
                asg, fl = load(os.path.join(tmp, "events.csv"))
            summary(f"model seed {seed}", asg, fl, 60.0, table and seed == lo)


if __name__ == "__main__":
    main(sys.argv[1:])

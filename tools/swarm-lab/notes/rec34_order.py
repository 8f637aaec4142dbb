#!/usr/bin/env python3
"""s45/s46 (2026-12-08, rec34): the order in which a parallelism-1 update took its slots, read as observations.md § 9
reads s21's: the slots ordered by their task's id (as text; one v1 task per slot before the update) are the Go map's
keys in insertion order; the recorded order is the slots by the creation of their first v2 task.

Then: is that order one that Go 1.19's map range can give? With n keys inserted in order and no delete, the map has
2^B buckets (B = 2 for 9 < n <= 26 after growths at the 9th and 14th key... B = 3 up to 52), each bucket holding its
keys in insertion order (evacuation copies cells in order, later keys fill the next empty cell; a bucket of more than
8 keys continues in an overflow bucket); mapiterinit draws one r: start bucket r & (2^B - 1), cell offset (r >> B) & 7;
the range visits buckets from the start bucket, wrapping, each bucket (and each bucket of its overflow chain) from
cell `offset`, wrapping within the 8 cells, skipping empty ones. So the recorded order must split into at most 2^B
consecutive runs, each an increasing-in-key-rank subsequence rotated by the same offset k (a run of c keys in one
bucket of 8 cells: cells k..c-1 then 0..k-1 when k < c, else 0..c-1). This script finds, per run, every offset k
for which the order splits that way into at most 2^B runs (the bucket contents are free: the hash is unknown).
usage: rec34_order.py [--until T] TRACES_DIR NAME RUN...
--until T: only the slots whose first new task was created before t = T (a run disturbed later, e.g. s46 r2/r3 by
a stall that failed every health check at once); the last bucket may then be cut short (a prefix of its range).
"""
import csv
import sys


def order_of(path):
    rows = list(csv.DictReader(open(path)))
    old = {}
    new_first = {}
    for r in rows:
        img = r["image"]
        if img.endswith("v1-trap"):
            if r["task_id"] not in old:
                old[r["task_id"]] = int(r["slot"])
        else:
            s = int(r["slot"])
            t = float(r["t_s"])
            if r["state"] == "new" or s not in new_first:
                new_first[s] = min(t, new_first.get(s, 1e9))
    keys = [old[tid] for tid in sorted(old)]          # insertion order = task-id order
    recorded = sorted(new_first, key=lambda s: new_first[s])
    return keys, recorded, new_first


PREFIX = False


def splits(ranks, k, max_runs):
    """Can `ranks` be cut into <= max_runs consecutive pieces, each one bucket's chain as mapiternext yields it? A
    chain is segments of 8 cells (a full bucket, then its overflow buckets; only the last may hold fewer than 8 keys),
    each segment its keys in insertion order rotated by the offset k, every key of a segment inserted after every key
    of the segment before (evacuation and mapassign fill a chain in order). Returns (ok, fewest pieces)."""
    n = len(ranks)
    best = [None] * (n + 1)
    best[0] = 0
    for i in range(n):
        if best[i] is None:
            continue
        for j in chain_ends(ranks, i, k, last=(PREFIX and True)):
            if j == n or not PREFIX or j in chain_ends(ranks, i, k):
                if best[j] is None or best[i] + 1 < best[j]:
                    best[j] = best[i] + 1
    return best[n] is not None and best[n] <= max_runs, best[n]


def one_split(ranks, k):
    """One cut of `ranks` into the fewest bucket chains (as lists), or None."""
    n = len(ranks)
    best = [None] * (n + 1)
    back = [None] * (n + 1)
    best[0] = 0
    for i in range(n):
        if best[i] is None:
            continue
        for j in chain_ends(ranks, i, k):
            if best[j] is None or best[i] + 1 < best[j]:
                best[j], back[j] = best[i] + 1, i
    if best[n] is None:
        return None
    out, j = [], n
    while j:
        out.append(ranks[back[j]:j])
        j = back[j]
    return out[::-1]


def chain_ends(ranks, i, k, last=False):
    """Every j such that ranks[i:j] is one bucket's chain (last: or the start of one, for a cut-short order)."""
    out = []
    start, prev_max = i, -1
    while start < len(ranks):
        for m in range(1, 9):           # this segment holds m keys
            seg = ranks[start:start + m]
            if len(seg) < m:
                break
            if (valid(seg, k) or (last and start + m == len(ranks) and valid_prefix(seg))) and min(seg) > prev_max:
                out.append(start + m)
        seg = ranks[start:start + 8]    # a full segment, continued by an overflow bucket
        if len(seg) == 8 and valid(seg, k) and min(seg) > prev_max:
            prev_max = max(seg)
            start += 8
        else:
            break
    return out


def valid_prefix(piece):
    """The first keys a bucket's range yields from some offset: increasing, then at most one drop to keys below the
    first, increasing again."""
    drops = [a for a in range(len(piece) - 1) if piece[a + 1] < piece[a]]
    if not drops:
        return True
    if len(drops) > 1:
        return False
    tail = piece[drops[0] + 1:]
    return max(tail) < piece[0]


def valid(piece, k):
    c = len(piece)
    if k >= c:
        return all(piece[a] < piece[a + 1] for a in range(c - 1))
    head, tail = piece[:c - k], piece[c - k:]
    inc = lambda xs: all(xs[a] < xs[a + 1] for a in range(len(xs) - 1))  # noqa: E731
    return inc(head) and inc(tail) and (not tail or tail[-1] < head[0])


def main():
    global PREFIX
    args = sys.argv[1:]
    until = None
    if args[0] == "--until":
        until, args = float(args[1]), args[2:]
        PREFIX = True
    d, name = args[0], args[1]
    for run in args[2:]:
        keys, rec, t = order_of(f"{d}/{name}.r{run}.tasks.csv")
        if until is not None:
            rec = [s for s in rec if t[s] < until]
        n = len(keys)
        b = 0
        while n > 8 * (1 << b) * 13 // 16 and n > 8:   # grown while count > 6.5 * 2^B
            b += 1
        rank = {s: i for i, s in enumerate(keys)}
        ranks = [rank[s] for s in rec]
        fits = []
        for k in range(8):
            ok, runs = splits(ranks, k, 1 << b)
            if ok:
                fits.append(f"k={k}:{runs} runs")
        print(f"r{run}: {n} slots, B={b}, {len(rec)} updated in the order read; keys (slots in task-id order) {keys}")
        print(f"   recorded order (slots) {rec}")
        print(f"   as key ranks          {ranks}")
        print(f"   fits a Go 1.19 map range: {', '.join(fits) or 'NO'}")
        if fits:
            k = int(fits[0].split(":")[0][2:])
            print(f"   e.g. offset {k}, buckets (key ranks): {' | '.join(' '.join(map(str, p)) for p in one_split(ranks, k))}")


if __name__ == "__main__":
    main()

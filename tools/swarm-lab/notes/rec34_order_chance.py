#!/usr/bin/env python3
"""How often a uniformly random order of n slots passes rec34_order.py's test (fits a Go 1.19 map range for some cell
offset), against how often an order drawn as Go 1.19's map range draws it does (keys in insertion order, each key's
bucket uniform from its hash, growth as runtime/map.go: every key of a grown map re-spread; the range from a random
bucket and offset). usage: rec34_order_chance.py N TRIALS"""
import random
import sys

from rec34_order import splits


def fits(ranks, b):
    return any(splits(ranks, k, 1 << b)[0] for k in range(8))


def gomap_order(n, b, rnd):
    buckets = [[] for _ in range(1 << b)]
    for key in range(n):             # final bucket of each key; order within a bucket = insertion order
        buckets[rnd.randrange(1 << b)].append(key)
    start, off = rnd.randrange(1 << b), rnd.randrange(8)
    out = []
    for i in range(1 << b):
        chain = buckets[(start + i) % (1 << b)]
        for j in range(0, len(chain), 8):   # a bucket and its overflow buckets, 8 cells each
            cells = chain[j:j + 8]
            for c in range(8):
                idx = (off + c) & 7
                if idx < len(cells):
                    out.append(cells[idx])
    return out


def main():
    n, trials = int(sys.argv[1]), int(sys.argv[2])
    b = 0
    while n > 8 * (1 << b) * 13 // 16 and n > 8:
        b += 1
    rnd = random.Random(34)
    uni = sum(fits(rnd.sample(range(n), n), b) for _ in range(trials))
    gm = sum(fits(gomap_order(n, b, rnd), b) for _ in range(trials))
    print(f"n={n} B={b}: uniform order fits {uni}/{trials}; Go-map-drawn order fits {gm}/{trials}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Which slots swarmkit's replicated scale-down keeps (manager/orchestrator/replicated/services.go `reconcile`,
scale-down branch), with Go 1.19's sort.Sort (src/sort/zsortinterface.go: pdqsort, insertion sort up to 12
elements) and, for contrast, a stable sort (what deploysim's reconcile_replicated does at main 86e0aa0).
Written from the Go source (read, not copied); stdlib only.

usage: rec34_pdqsort.py LAYOUT KEEP     LAYOUT = node:slots;node:slots, e.g. vm:1-5;w1:6-10;w2:11-15
Every slot is taken as one running task (the slotsByRunningState sort then gives ascending slot numbers).
"""
import sys

M64 = (1 << 64) - 1


class Data:
    def __init__(self, items, less):
        self.v = list(items)
        self.less_fn = less

    def Less(self, i, j):
        return self.less_fn(self.v[i], self.v[j])

    def Swap(self, i, j):
        self.v[i], self.v[j] = self.v[j], self.v[i]


def insertion_sort(d, a, b):
    for i in range(a + 1, b):
        j = i
        while j > a and d.Less(j, j - 1):
            d.Swap(j, j - 1)
            j -= 1


def sift_down(d, lo, hi, first):
    root = lo
    while True:
        child = 2 * root + 1
        if child >= hi:
            return
        if child + 1 < hi and d.Less(first + child, first + child + 1):
            child += 1
        if not d.Less(first + root, first + child):
            return
        d.Swap(first + root, first + child)
        root = child


def heap_sort(d, a, b):
    first, lo, hi = a, 0, b - a
    for i in range((hi - 1) // 2, -1, -1):
        sift_down(d, i, hi, first)
    for i in range(hi - 1, -1, -1):
        d.Swap(first, first + i)
        sift_down(d, lo, i, first)


UNKNOWN, INCREASING, DECREASING = 0, 1, 2


def bits_len(x):
    return x.bit_length()


class Xorshift:   # Go 1.19 sort.go: << 13, >> 17, << 5 on a uint64
    def __init__(self, seed):
        self.r = seed & M64

    def next(self):
        self.r ^= (self.r << 13) & M64
        self.r ^= self.r >> 17
        self.r ^= (self.r << 5) & M64
        return self.r


def break_patterns(d, a, b):
    length = b - a
    if length >= 8:
        rnd = Xorshift(length)
        modulus = 1 << bits_len(length)
        idx = a + (length // 4) * 2 - 1
        while idx <= a + (length // 4) * 2 + 1:
            other = rnd.next() & (modulus - 1)
            if other >= length:
                other -= length
            d.Swap(idx, a + other)
            idx += 1


def order2(d, a, b, sw):
    if d.Less(b, a):
        sw[0] += 1
        return b, a
    return a, b


def median(d, a, b, c, sw):
    a, b = order2(d, a, b, sw)
    b, c = order2(d, b, c, sw)
    a, b = order2(d, a, b, sw)
    return b


def choose_pivot(d, a, b):
    l = b - a
    sw = [0]
    i, j, k = a + l // 4 * 1, a + l // 4 * 2, a + l // 4 * 3
    if l >= 8:
        if l >= 50:
            i = median(d, i - 1, i, i + 1, sw)
            j = median(d, j - 1, j, j + 1, sw)
            k = median(d, k - 1, k, k + 1, sw)
        j = median(d, i, j, k, sw)
    if sw[0] == 0:
        return j, INCREASING
    if sw[0] == 12:
        return j, DECREASING
    return j, UNKNOWN


def reverse_range(d, a, b):
    i, j = a, b - 1
    while i < j:
        d.Swap(i, j)
        i += 1
        j -= 1


def partial_insertion_sort(d, a, b):
    i = a + 1
    for _ in range(5):
        while i < b and not d.Less(i, i - 1):
            i += 1
        if i == b:
            return True
        if b - a < 50:
            return False
        d.Swap(i, i - 1)
        if i - a >= 2:
            j = i - 1
            while j >= 1:
                if not d.Less(j, j - 1):
                    break
                d.Swap(j, j - 1)
                j -= 1
        if b - i >= 2:
            j = i + 1
            while j < b:
                if not d.Less(j, j - 1):
                    break
                d.Swap(j, j - 1)
                j += 1
    return False


def partition_equal(d, a, b, pivot):
    d.Swap(a, pivot)
    i, j = a + 1, b - 1
    while True:
        while i <= j and not d.Less(a, i):
            i += 1
        while i <= j and d.Less(a, j):
            j -= 1
        if i > j:
            break
        d.Swap(i, j)
        i += 1
        j -= 1
    return i


def partition(d, a, b, pivot):
    d.Swap(a, pivot)
    i, j = a + 1, b - 1
    while i <= j and d.Less(i, a):
        i += 1
    while i <= j and not d.Less(j, a):
        j -= 1
    if i > j:
        d.Swap(j, a)
        return j, True
    d.Swap(i, j)
    i += 1
    j -= 1
    while True:
        while i <= j and d.Less(i, a):
            i += 1
        while i <= j and not d.Less(j, a):
            j -= 1
        if i > j:
            break
        d.Swap(i, j)
        i += 1
        j -= 1
    d.Swap(j, a)
    return j, False


def pdqsort(d, a, b, limit):
    was_balanced, was_partitioned = True, True
    while True:
        length = b - a
        if length <= 12:
            insertion_sort(d, a, b)
            return
        if limit == 0:
            heap_sort(d, a, b)
            return
        if not was_balanced:
            break_patterns(d, a, b)
            limit -= 1
        pivot, hint = choose_pivot(d, a, b)
        if hint == DECREASING:
            reverse_range(d, a, b)
            pivot = (b - 1) - (pivot - a)
            hint = INCREASING
        if was_balanced and was_partitioned and hint == INCREASING:
            if partial_insertion_sort(d, a, b):
                return
        if a > 0 and not d.Less(a - 1, pivot):
            a = partition_equal(d, a, b, pivot)
            continue
        mid, already = partition(d, a, b, pivot)
        was_partitioned = already
        left, right = mid - a, b - mid
        thr = length // 8
        if left < right:
            was_balanced = left >= thr
            pdqsort(d, a, mid, limit)
            a = mid + 1
        else:
            was_balanced = right >= thr
            pdqsort(d, mid + 1, b, limit)
            b = mid


def go_sort(items, less):
    d = Data(items, less)
    n = len(d.v)
    if n > 1:
        pdqsort(d, 0, n, bits_len(n))
    return d.v


def by_index(x, y):   # slotsByIndex.Less
    if x["index"] < 0 <= y["index"]:
        return False
    if y["index"] < 0 <= x["index"]:
        return True
    return x["index"] < y["index"]


def scale_down(layout, keep, stable=False):
    node_of = {}
    for part in layout.split(";"):
        node, slots = part.split(":")
        for rng in slots.split(","):
            lo, _, hi = rng.partition("-")
            for s in range(int(lo), int(hi or lo) + 1):
                node_of[s] = node
    per_node = {}
    items = []
    for s in sorted(node_of):   # slotsByRunningState: all running, ties by slot number
        per_node[node_of[s]] = per_node.get(node_of[s], 0) + 1
        items.append(dict(slot=s, node=node_of[s], index=per_node[node_of[s]]))
    if stable:
        out = sorted(items, key=lambda x: x["index"])
    else:
        out = go_sort(items, by_index)
    kept = out[:keep]
    return out, kept


def main():
    layout, keep = sys.argv[1], int(sys.argv[2])
    for stable in (False, True):
        out, kept = scale_down(layout, keep, stable)
        counts = {}
        for x in kept:
            counts[x["node"]] = counts.get(x["node"], 0) + 1
        name = "stable" if stable else "go1.19 sort.Sort"
        print(f"{name:18s} order {[x['slot'] for x in out]}")
        print(f"{'':18s} kept {sorted(x['slot'] for x in kept)} per node {counts}")


if __name__ == "__main__":
    main()

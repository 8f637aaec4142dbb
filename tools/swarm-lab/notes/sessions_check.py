#!/usr/bin/env python3
"""sessions_check.py: per session attempt of each worker after a manager restart, from NAME.rN.sessions.csv
(written by sessions.py), and a check of the re-registration rule (2026-12-07 session; stdlib only).

usage: sessions_check.py TRACEDIR NAME.rN [NAME.rN ...]      (markdown on stdout)

For each run: K = the manager kill (t = 0), L = the manager's `listening` row after K (its :2377 listener opened),
Ld = its `leader` row after K. For each worker and each session attempt whose channel was created at or after K
(m12b: the cut worker mn-w1 only the attempts whose RPC comes after the link-up step at t = 70, from actions.csv;
shown, not checked: the rule assumes a reachable manager):
  c    = channel creation = the time of the `session_failed` row before the attempt's `session_wait`;
  rpc  = c + the wait (the Session RPC);
  dials = the attempt's channel's dials (dial_refused / dial_failed / channel_ready rows after the session_failed at c
         and before the next one; up to the first READY), each with its start (row time - dial_ms) and result;
  outcome = `failed <error> at t` (the next session_failed) or `registered at t` (the manager's `registered` row for
         the node, when no session_failed comes first).
Rule checked: the RPC registers iff some dial of its channel started in [c, rpc] at or after L, the leader exists at
rpc (Ld <= rpc) and (for a dial still in progress at rpc) that dial succeeds; the dial gaps (start of dial k - result of
dial k-1) are 1.0 s for k = 1, then 1.6^(k-1) x [0.8, 1.2] s (grpc-go backoff: base 1 s, multiplier 1.6, jitter 0.2;
timer started after the failed dial). Tolerance 15 ms on every bound (log and scheduling delay).
"""
import csv
import os
import sys

TOL = 0.015


def load(tracedir, tag):
    with open(os.path.join(tracedir, f"{tag}.sessions.csv")) as f:
        rows = [dict(r, t=float(r["t_s"])) for r in csv.DictReader(f)]
    with open(os.path.join(tracedir, f"{tag}.actions.csv")) as f:
        actions = [dict(r, t=float(r["t_s"])) for r in csv.DictReader(f)]
    return rows, actions


def dial_ms(detail):
    for part in detail.split(";"):
        part = part.strip()
        if part.startswith("dial_ms="):
            return float(part[len("dial_ms="):]) / 1000.0
    return 0.0


def attempts(rows, node, t_from, rpc_from=None):
    """Session attempts of node whose channel was created at or after t_from (and whose RPC is at or after
    rpc_from when given)."""
    mine = [r for r in rows if r["node"] == node]
    out = []
    for i, r in enumerate(mine):
        if r["event"] != "session_wait":
            continue
        j = max((k for k in range(i) if mine[k]["event"] == "session_failed"), default=None)
        if j is None or mine[j]["t"] < t_from - 1e-9:
            continue
        c = mine[j]["t"]
        rpc = c + float(r["detail"]) / 1000.0
        if rpc_from is not None and rpc < rpc_from - 1e-9:
            continue
        # the channel's dials: every dial row between the session_failed that created it and the next one (grpc logs
        # the first dial from its own goroutine, sometimes before the `waiting` line); after a READY no more dials
        k_end = next((k for k in range(i + 1, len(mine)) if mine[k]["event"] == "session_failed"), len(mine))
        dials = []
        for q in mine[j + 1:k_end]:
            if q["event"] in ("dial_refused", "dial_failed", "channel_ready"):
                dials.append(dict(start=q["t"] - dial_ms(q["detail"]), end=q["t"], ok=q["event"] == "channel_ready",
                                  what=q["detail"].split(";")[0] if q["event"] != "channel_ready" else "READY"))
                if q["event"] == "channel_ready":
                    break
        nxt = next((q for q in mine[i + 1:] if q["event"] == "session_failed"), None)
        reg = next((q for q in rows if q["node"] == "vm" and q["event"] == "registered" and q["detail"] == node
                    and q["t"] >= c - 1e-9), None)
        if nxt is not None and (reg is None or nxt["t"] < reg["t"]):
            outcome = ("failed", nxt["t"], nxt["detail"].split("error=")[-1])
        elif reg is not None:
            outcome = ("registered", reg["t"], "")
        else:
            outcome = ("open", None, "")
        out.append(dict(c=c, wait=float(r["detail"]) / 1000.0, rpc=rpc, dials=dials, outcome=outcome))
        if outcome[0] == "registered":
            break
    return out


def check(a, L, Ld):
    """List of rule violations of one attempt."""
    bad = []
    in_window = [d for d in a["dials"] if a["c"] - TOL <= d["start"] <= a["rpc"] + TOL]
    after_L = [d for d in in_window if d["start"] >= L - TOL]
    predicted = bool(after_L) and Ld is not None and Ld <= a["rpc"] + TOL
    actual = a["outcome"][0] == "registered"
    if predicted != actual:
        bad.append(f"rule predicts {'register' if predicted else 'fail'}, was {a['outcome'][0]}")
    if a["dials"] and a["dials"][0]["start"] - a["c"] > TOL:
        bad.append(f"first dial {1000 * (a['dials'][0]['start'] - a['c']):.0f} ms after creation")
    for k in range(1, len(a["dials"])):
        gap = a["dials"][k]["start"] - a["dials"][k - 1]["end"]
        lo, hi = (1.0, 1.0) if k == 1 else (0.8 * 1.6 ** (k - 1), 1.2 * 1.6 ** (k - 1))
        if not (lo - TOL <= gap <= hi + TOL):
            bad.append(f"gap {k} = {gap:.3f} s outside [{lo:.3f}, {hi:.3f}]")
    return bad


def fmt_dials(a, L):
    parts = []
    prev = None
    for d in a["dials"]:
        gap = "" if prev is None else f" (+{d['start'] - prev:.3f})"
        mark = "" if d["start"] < L else "≥L "
        parts.append(f"{d['start']:.3f}{gap} {mark}{'READY' if d['ok'] else d['what']}")
        prev = d["end"]
    return "; ".join(parts) or "none"


def report(tracedir, tag):
    rows, actions = load(tracedir, tag)
    L = next((r["t"] for r in rows if r["node"] == "vm" and r["event"] == "listening" and r["t"] > 0), None)
    Ld = next((r["t"] for r in rows if r["node"] == "vm" and r["event"] == "leader" and r["t"] > 0), None)
    restore = next((a["t"] for a in actions if a["kind"] == "restore"), None)
    cut = {a["target"] for a in actions if a["kind"] == "cut"}
    print(f"\n**{tag}**: L (listening) = {L:.3f}, leader = {Ld:.3f} (leader − L = {1000 * (Ld - L):.0f} ms)\n")
    print("| worker | channel created c | wait | RPC = c + wait | dials of the channel: start (+gap after the previous "
          "result) result | outcome | rule |")
    print("|---|---|---|---|---|---|---|")
    summary = []
    for node in ("mn-w1", "mn-w2"):
        # a worker cut across the restart (m12b mn-w1) cannot reach L; only its attempts whose RPC comes after the
        # link-up are shown, and the rule (which assumes a reachable manager) is not applied to them
        att = attempts(rows, node, 0.0, restore if node in cut else None)
        for a in att:
            bad = [] if node in cut else check(a, L, Ld)
            o = a["outcome"]
            out = (f"**registered {o[1]:.3f}** (RPC +{1000 * (o[1] - a['rpc']):.0f} ms)" if o[0] == "registered"
                   else f"failed {o[2]} {o[1]:.3f}" + ("" if abs(o[1] - a["rpc"]) < TOL else
                                                     f" (RPC +{o[1] - a['rpc']:.3f} s)") if o[0] == "failed"
                   else "no outcome in the window")
            label = node + (" (after link up)" if node in cut else "")
            verdict = "n/a (link cut)" if node in cut else ("ok" if not bad else "**" + "; ".join(bad) + "**")
            print(f"| {label} | {a['c']:.3f} | {a['wait']:.3f} | {a['rpc']:.3f} | {fmt_dials(a, L)} | {out} | "
                  f"{verdict} |")
            if node not in cut:
                summary.append((node, a, bad))
        reg = next((a for a in att if a["outcome"][0] == "registered"), None)
        if reg:
            ready = next((d["end"] for d in reg["dials"] if d["ok"]), None)
            print(f"|  | {node}: registered {reg['outcome'][1]:.3f} = leader + {reg['outcome'][1] - Ld:.3f} s; "
                  f"channel READY {ready:.3f}; RPC {reg['rpc']:.3f} |  |  |  |  |  |" if ready is not None else
                  f"|  | {node}: registered {reg['outcome'][1]:.3f} = leader + {reg['outcome'][1] - Ld:.3f} s |  |  |  |  |  |")
    n_bad = sum(1 for _, _, b in summary if b)
    print(f"\n{tag}: {len(summary)} attempts checked, {n_bad} break the rule")
    return len(summary), n_bad


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    tot = bad = 0
    for tag in argv[1:]:
        n, b = report(argv[0], tag)
        tot, bad = tot + n, bad + b
    print(f"\nall runs: {tot} attempts, {bad} break the rule")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

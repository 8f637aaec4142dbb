#!/usr/bin/env python3
"""Per-run CPU table for a recording session (argument: 2026-12-06, the default, 2026-12-06b or 2026-12-06d) from
recording-SESSION.{runs,cpu}.jsonl and the runs' meta.json.
'avail' = idle + nice (the other engineer's nice-19 compiles count as available). Action window = 1 s samples that
overlap t0 -> terminal UpdateStatus (poll), or t0 -> end of recording for fixed-window runs and runs without one."""
import json, os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
FID = os.path.dirname(HERE)
SESSION = sys.argv[1] if len(sys.argv) > 1 else "2026-12-06"
runs = [json.loads(l) for l in open(os.path.join(HERE, f"recording-{SESSION}.runs.jsonl"))]
cpu = [json.loads(l) for l in open(os.path.join(HERE, f"recording-{SESSION}.cpu.jsonl"))]
print("| run | record call (UTC) | waited for quiet | checks (idle+nice %) | before: idle+nice (idle / nice) | whole call: idle+nice (idle / nice) | action window: idle+nice mean (min), idle mean, nice mean |")
print("|---|---|---|---|---|---|---|")
for r in runs:
    name, rn = r["run"].rsplit(".r", 1)
    base = os.path.join(FID, "multinode") if r["multi"] else FID
    meta = json.load(open(os.path.join(base, "raw", f"{r['run']}.meta.json")))
    t0 = meta["t0"]
    fixed = meta.get("end_reason", "").startswith("fixed window")
    end = t0 + (meta["t_end_s"] if fixed else (meta.get("terminal_poll_s") or meta["t_end_s"]))
    S = [c for c in cpu if c["run"] == r["run"] and c["t"] > t0 and c["t"] - 1.0 < end]
    av = lambda k: sum(c[k] for c in S) / len(S) if S else float("nan")
    win = f"{av('avail'):.1f} ({min(c['avail'] for c in S):.1f}), {av('idle'):.1f}, {av('nice'):.1f}" if S else "–"
    print(f"| {r['run']} | {r['start_utc']}–{r['end_utc']} | {r['waited_s']:.0f} s | {', '.join(str(x) for x in r['checks'])} | "
          f"{r['before_avail']} ({r['before_idle']} / {r['before_nice']}) | {r['whole_avail']} ({r['whole_idle']} / {r['whole_nice']}) | {win} |")

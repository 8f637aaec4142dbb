#!/usr/bin/env python3
"""Copy the lines of a dockerd log that fall inside one recorded run into raw/NAME.rN.dockerd.log
(first step - 10 s .. t0 + t_end + 2 s; timestamps of dockerd's logrus lines are UTC, the same host clock).

usage: dockerd_slice.py LOG RAWDIR NAME.rN [SUFFIX]     (2026-12-06 session; stdlib only)
"""
import calendar, json, os, re, sys, time
log, rawdir, tag = sys.argv[1:4]
suffix = sys.argv[4] if len(sys.argv) > 4 else "dockerd"
meta = json.load(open(os.path.join(rawdir, f"{tag}.meta.json")))
# 2026-12-07f: from 10 s before the FIRST step (m15b cuts the link at t = -25 s), not before t = 0
first = min([0.0] + [st.get("t_s", 0.0) for st in meta.get("steps", [])])
lo, hi = meta["t0"] + first - 10, meta["t0"] + meta["t_end_s"] + 2
TS = re.compile(r'time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')
out = []
for line in open(log, errors="replace"):
    m = TS.search(line)
    if not m:
        continue
    t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0)
    if lo <= t <= hi:
        out.append(line)
with open(os.path.join(rawdir, f"{tag}.{suffix}.log"), "w") as f:
    f.writelines(out)
print(tag, len(out), "lines")

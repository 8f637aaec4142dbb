#!/bin/bash
# 2026-12-07d: s34–s37 (task reaper), runs interleaved, each under the CPU rule (quietrun.py) and the lock.
# usage (from the research copy): notes/rec15-driver.sh RUN...
cd "$(dirname "$0")/.."
for r in "$@"; do
  for n in s34-reaper-crash-limit2 s35-reaper-max-attempts s36-reaper-scale-down s37-reaper-limit-change; do
    SESSION=2026-12-07d flock -o /tmp/docker-recording.lock python3 notes/quietrun.py "$n" "$r"
    /usr/bin/docker info 2>/dev/null | grep 'Task History Retention Limit'
  done
done

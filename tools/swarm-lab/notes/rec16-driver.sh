#!/bin/bash
# 2026-12-07e: s38–s39 (task deletion by service rm / by reconcile of a dead slot), runs interleaved, each under the
# CPU rule (quietrun.py) and the lock.   usage (from the research copy): notes/rec16-driver.sh RUN...
cd "$(dirname "$0")/.."
for r in "$@"; do
  for n in s38-service-rm-history s39-dead-slot-reconcile; do
    SESSION=2026-12-07e flock -o /tmp/docker-recording.lock python3 notes/quietrun.py "$n" "$r"
    /usr/bin/docker info 2>/dev/null | grep 'Task History Retention Limit'
  done
done

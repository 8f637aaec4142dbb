#!/bin/bash
# 2026-12-07g: s40 (UpdateStatus on updates that ask for no new task), each run under the CPU rule (quietrun.py) and
# the lock.   usage (from the research copy): notes/rec18-driver.sh RUN...
cd "$(dirname "$0")/.."
for r in "$@"; do
  SESSION=2026-12-07g flock -o /tmp/docker-recording.lock python3 notes/quietrun.py s40-update-status-resets "$r"
done

#!/bin/bash
# 2026-12-07m session driver (s44, s44b: a READY task shut down by a newer update; a copy of rec23-driver.sh). Each run under the recording lock with flock -o (the
# registry the recorder starts must not inherit the lock fd): the dockerd's debug log on (rec23-debug.sh), the CPU
# rule and the recorder (quietrun.py -> record.sh), debug off again, then the run's dockerd log slice
# (raw/NAME.rN.dockerd.log).   usage: rec23-driver.sh NAME RUN [NAME RUN ...]
cd "$(dirname "$0")/.."
L=/tmp/docker-recording.lock
while [ $# -ge 2 ]; do
  echo "== $(date -u +%FT%TZ) record $1 r$2"
  flock -o $L sh -c "notes/rec23-debug.sh on; SESSION=2026-12-07m python3 notes/quietrun.py $1 $2; rc=\$?; notes/rec23-debug.sh off; exit \$rc"
  echo "== $(date -u +%FT%TZ) rc $? $1 r$2; slice"
  python3 notes/dockerd_slice.py /tmp/dockerd/log raw "$1.r$2"
  shift 2
done
echo "== $(date -u +%FT%TZ) done"

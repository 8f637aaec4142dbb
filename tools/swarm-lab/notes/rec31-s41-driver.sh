#!/bin/bash
# 2026-12-07n (rec31): s41 again, with the recorder that adds a lost start/die from `docker inspect`; as 2026-12-07k after m18: s41 (the single-node variant: the node's own dockerd SIGKILLed at t = 0 and started again at
# t = 5 s while its one task ignores SIGTERM), recorded with the single-node recorder (record.py via quietrun.py) on
# the manager dockerd and single-node swarm that multinode/teardown.sh leaves; each run under the recording lock with
# flock -o (the daemon started in the run must not inherit the lock fd) and the CPU rule, then the manager's log slice
# (raw/NAME.rN.dockerd.log).   usage: rec31-s41-driver.sh RUN...
cd "$(dirname "$0")/.."
L=/tmp/docker-recording.lock
N=s41-daemon-restart-sigterm-ignored
for r in "$@"; do
  echo "== $(date -u +%FT%TZ) record $N r$r"
  SESSION=2026-12-07n flock -o $L python3 notes/quietrun.py "$N" "$r"
  echo "== $(date -u +%FT%TZ) rc $? $N r$r; slice"
  python3 notes/dockerd_slice.py /tmp/dockerd/log raw "$N.r$r"
done
echo "== $(date -u +%FT%TZ) done"

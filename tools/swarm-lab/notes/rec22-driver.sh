#!/bin/bash
# 2026-12-07k session driver (m18). As rec19-driver.sh: starts the manager's dockerd if none runs (start_manager.sh:
# its original command line and data-root), sets up the 3-node lab if it is not up, then records the given runs, each
# under the recording lock with flock -o (no daemon started inside inherits the lock fd) and the CPU rule
# (quietrun.py), slicing the three daemons' logs and re-normalising after each run. Teardown separately.
# usage (from anywhere): rec22-driver.sh NAME RUN [NAME RUN ...]
set -u
L=/tmp/docker-recording.lock
H=/work/rec/fidelity22
cd $H/multinode
mkdir -p raw/worker-logs
if ! /usr/bin/docker version >/dev/null 2>&1; then
  echo "== $(date -u +%FT%TZ) start_manager"
  flock -o $L ./start_manager.sh || { echo START FAILED; exit 1; }
fi
if ! ip link show mnbr0 >/dev/null 2>&1; then
  echo "== $(date -u +%FT%TZ) setup"
  flock -o $L ./setup.sh || { echo SETUP FAILED; exit 1; }
fi
while [ $# -ge 2 ]; do
  echo "== $(date -u +%FT%TZ) record $1 r$2"
  flock -o $L env SESSION=2026-12-07k python3 $H/notes/quietrun.py --multi $1 $2
  echo "== $(date -u +%FT%TZ) rc $? ; slice + normalise $1 r$2"
  bash $H/notes/mslice.sh $1.r$2 && python3 mrecord.py --normalise $1 $2
  shift 2
done
echo "== $(date -u +%FT%TZ) done"

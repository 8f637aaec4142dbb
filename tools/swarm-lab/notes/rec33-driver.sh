#!/bin/bash
# 2026-12-07p session driver (m19, crash loop on three nodes). As rec22-driver.sh: sets up the 3-node lab if it is
# not up (reusing the running manager dockerd), then records the given runs, each under the recording lock with
# flock -o and the CPU rule (quietrun.py), slicing the three daemons' logs and re-normalising after each run.
# Teardown separately (flock -o LOCK multinode/teardown.sh).
# usage (from anywhere): rec33-driver.sh NAME RUN [NAME RUN ...]
set -u
L=/tmp/docker-recording.lock
H=/work/rec/fidelity33
cd $H/multinode
mkdir -p raw/worker-logs
if ! /usr/bin/docker version >/dev/null 2>&1; then
  echo "no manager dockerd running"; exit 1
fi
if ! ip link show mnbr0 >/dev/null 2>&1; then
  echo "== $(date -u +%FT%TZ) setup"
  flock -o $L ./setup.sh || { echo SETUP FAILED; exit 1; }
fi
while [ $# -ge 2 ]; do
  echo "== $(date -u +%FT%TZ) record $1 r$2"
  flock -o $L env SESSION=2026-12-07p python3 $H/notes/quietrun.py --multi $1 $2
  echo "== $(date -u +%FT%TZ) rc $? ; slice + normalise $1 r$2"
  bash $H/notes/mslice.sh $1.r$2 && python3 mrecord.py --normalise $1 $2
  shift 2
done
echo "== $(date -u +%FT%TZ) done"

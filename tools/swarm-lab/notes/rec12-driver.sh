#!/bin/bash
# 2026-12-07 session driver: manager start + setup, then m12/m12b r4, r5 (each under the recording lock, with
# flock -o so that no daemon started inside inherits the lock fd), slicing the daemon logs and re-normalising
# after each run (adds the manager-log node rows). Teardown is run separately.
set -u
L=/tmp/docker-recording.lock
H=/work/rec/fidelity
cd $H/multinode
echo "== $(date -u +%FT%TZ) start_manager + setup"
flock -o $L sh -c './start_manager.sh && ./setup.sh' || { echo SETUP FAILED; exit 1; }
for nr in "m12-manager-restart 4" "m12b-manager-restart-worker-cut 4" "m12-manager-restart 5" "m12b-manager-restart-worker-cut 5"; do
  set -- $nr
  echo "== $(date -u +%FT%TZ) record $1 r$2"
  flock -o $L env SESSION=2026-12-07 python3 $H/notes/quietrun.py --multi $1 $2
  echo "== $(date -u +%FT%TZ) slice + normalise $1 r$2"
  bash $H/notes/mslice.sh $1.r$2 && python3 mrecord.py --normalise $1 $2
done
echo "== $(date -u +%FT%TZ) done"

#!/bin/bash
# 2026-12-07c session driver (the lab as 2026-12-07b left it: docker.io installed, manager dockerd running as a
# single-node swarm after teardown.sh, images present). Sets up the 3-node lab, then records
# m14-worker-daemon-restart-manager-down runs (each under the recording lock with flock -o, so that no daemon started
# inside inherits the lock fd), slicing the daemon logs, writing sessions.csv and re-normalising after each run.
# Teardown is run separately (flock -o LOCK ./teardown.sh).
# usage: rec14-driver.sh                  (setup, then r1 r2 r3)
#        rec14-driver.sh NAME RUN [...]   (the lab is already set up: only these runs)
set -u
L=/tmp/docker-recording.lock
H=/work/rec/fidelity
cd $H/multinode
mkdir -p raw/worker-logs
if ! /usr/bin/docker version >/dev/null 2>&1; then
  echo "== $(date -u +%FT%TZ) start_manager"
  flock -o $L ./start_manager.sh || { echo START FAILED; exit 1; }
fi
if [ $# -eq 0 ]; then
  echo "== $(date -u +%FT%TZ) setup"
  flock -o $L ./setup.sh || { echo SETUP FAILED; exit 1; }
  set -- m14-worker-daemon-restart-manager-down 1 m14-worker-daemon-restart-manager-down 2 \
         m14-worker-daemon-restart-manager-down 3
fi
while [ $# -ge 2 ]; do
  echo "== $(date -u +%FT%TZ) record $1 r$2"
  flock -o $L env SESSION=2026-12-07c python3 $H/notes/quietrun.py --multi $1 $2
  echo "== $(date -u +%FT%TZ) slice + sessions + normalise $1 r$2"
  bash $H/notes/mslice.sh $1.r$2 && python3 $H/notes/sessions.py $1.r$2 && python3 mrecord.py --normalise $1 $2
  shift 2
done
echo "== $(date -u +%FT%TZ) done"

#!/bin/bash
# 2026-12-08 session driver (helper rec34). Single node (default): records the given runs of scenarios.py specs on
# the running single-node swarm, each under the recording lock with flock -o and the CPU rule (quietrun.py).
# With --multi: the three-node lab (setup.sh if mnbr0 is not up, around the running manager dockerd), then
# multinode/record_all.sh per run, mslice.sh + normalise after each. Teardown separately
# (flock -o LOCK multinode/teardown.sh).
# usage: rec34-driver.sh [--multi] NAME RUN [NAME RUN ...]
# Env: REC_HOME (the research copy, default /work/rec/fidelity34), SESSION (default 2026-12-08).
set -u
L=/tmp/docker-recording.lock
H=${REC_HOME:-/work/rec/fidelity34}
SESSION=${SESSION:-2026-12-08}
multi=""
[ "${1:-}" = --multi ] && { multi=--multi; shift; }
if ! /usr/bin/docker version >/dev/null 2>&1; then
  echo "no manager dockerd running"; exit 1
fi
if [ -n "$multi" ]; then
  cd $H/multinode
  mkdir -p raw/worker-logs
  if ! ip link show mnbr0 >/dev/null 2>&1; then
    echo "== $(date -u +%FT%TZ) setup"
    flock -o $L ./setup.sh || { echo SETUP FAILED; exit 1; }
  fi
else
  cd $H
fi
while [ $# -ge 2 ]; do
  echo "== $(date -u +%FT%TZ) record $1 r$2 (uptime: $(uptime))"
  flock -o $L env SESSION=$SESSION python3 $H/notes/quietrun.py $multi $1 $2
  echo "== $(date -u +%FT%TZ) rc $?"
  if [ -n "$multi" ]; then
    bash $H/notes/mslice.sh $1.r$2 && python3 mrecord.py --normalise $1 $2
  fi
  shift 2
done
echo "== $(date -u +%FT%TZ) done"

#!/bin/bash
# usage: mslice.sh NAME.rN  — the three daemons' log lines of one multinode run -> multinode/raw/worker-logs/NAME.rN.{vm,mn-w1,mn-w2}.dockerd.log
# (2026-12-06b; uses dockerd_slice.py: t0-10 s .. t0+t_end+2 s)
set -eu
TAG=$1
H=$(cd "$(dirname "$0")" && pwd); R=$H/../multinode/raw
for p in "vm /tmp/dockerd/log" "mn-w1 /tmp/mn/w1/log" "mn-w2 /tmp/mn/w2/log"; do
  set -- $p
  python3 $H/dockerd_slice.py $2 $R "$TAG" $1.dockerd
  mv $R/$TAG.$1.dockerd.log $R/worker-logs/
done

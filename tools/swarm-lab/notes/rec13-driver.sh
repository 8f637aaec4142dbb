#!/bin/bash
# 2026-12-07b session driver (after a machine restart: /tmp was empty, docker.io not installed; installed beforehand
# with `apt-get install -y docker.io busybox-static`). Prepares the manager (fresh data-root /tmp/dockerd/data, the
# websim images from a fresh /tmp/rootfs), sets up the 3-node lab, then records m01 r4/r5, m13 r1-r3, m13b r1-r3
# (each under the recording lock with flock -o, so that no daemon started inside inherits the lock fd), slicing the
# daemon logs and re-normalising after each run. Teardown is run separately.
# usage: rec13-driver.sh                  (preparation, setup, then the eight runs below)
#        rec13-driver.sh NAME RUN [...]   (the lab is already set up: only these runs; used for m13/m13b r4, r5)
set -u
L=/tmp/docker-recording.lock
H=/work/rec/fidelity
cd $H/multinode
mkdir -p raw/worker-logs
if ! /usr/bin/docker version >/dev/null 2>&1; then
  echo "== $(date -u +%FT%TZ) start_manager (fresh data-root)"
  flock -o $L ./start_manager.sh || { echo START FAILED; exit 1; }
fi
if ! /usr/bin/docker image inspect websim:v1-trap >/dev/null 2>&1; then
  echo "== $(date -u +%FT%TZ) rootfs + images.sh"
  mkdir -p /tmp/rootfs/bin /tmp/rootfs/www && cp /bin/busybox /tmp/rootfs/bin/
  (cd /tmp/rootfs/bin && for c in sh httpd wget sleep cat echo ls test true false kill; do ln -sf busybox $c; done)
  echo v1 > /tmp/rootfs/www/index.html
  flock -o $L sh -c 'cd /tmp/rootfs && tar -cf /tmp/rootfs.tar . && /usr/bin/docker import /tmp/rootfs.tar websim:v1 \
    && /usr/bin/docker import /tmp/rootfs.tar websim:v2 && cd '$H' && ./images.sh' || { echo IMAGES FAILED; exit 1; }
fi
if [ $# -eq 0 ]; then
  echo "== $(date -u +%FT%TZ) setup"
  flock -o $L ./setup.sh || { echo SETUP FAILED; exit 1; }
  set -- m01-node-down 4 m13-brief-link-cut 1 m13b-link-cut-8s 1 m13-brief-link-cut 2 m13b-link-cut-8s 2 \
         m01-node-down 5 m13-brief-link-cut 3 m13b-link-cut-8s 3
fi
while [ $# -ge 2 ]; do
  echo "== $(date -u +%FT%TZ) record $1 r$2"
  flock -o $L env SESSION=2026-12-07b python3 $H/notes/quietrun.py --multi $1 $2
  echo "== $(date -u +%FT%TZ) slice + normalise $1 r$2"
  bash $H/notes/mslice.sh $1.r$2 && python3 mrecord.py --normalise $1 $2
  shift 2
done
echo "== $(date -u +%FT%TZ) done"

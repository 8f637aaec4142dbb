#!/bin/bash
# usage: start_manager.sh   — (re)start the MANAGER's dockerd (node `vm`, root network namespace) exactly as it was
# started for the 2026-12-06 sessions (tools/swarm-lab/README.md): same binary, same flags, same data-root, same log
# file (appended). Used by mrecord.py's `start_manager` step (m12, m12b) after `kill_manager` (kill -KILL of the pid
# in /var/run/docker.pid). The original daemon ran with cwd /work/main; dockerd does not use its cwd (this script
# uses /tmp/dockerd). Its containerd (/var/run/docker/containerd) is started again by dockerd itself.
set -eu
mkdir -p /tmp/dockerd
cd /tmp/dockerd
setsid dockerd --iptables=false --ip6tables=false --storage-driver=vfs \
    --data-root=/tmp/dockerd/data >>/tmp/dockerd/log 2>&1 < /dev/null &
for k in $(seq 240); do /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.1; done
echo "manager dockerd pid $(cat /var/run/docker.pid)"

#!/bin/bash
# start dockerd as /work/shared/fidelity/README.md says (data root already holds the swarm)
if pgrep -x dockerd >/dev/null; then echo "dockerd already running"; exit 0; fi
mkdir -p /tmp/dockerd
setsid dockerd --iptables=false --ip6tables=false --storage-driver=vfs \
    --data-root=/tmp/dockerd/data >>/tmp/dockerd/log 2>&1 < /dev/null 3>&- &
for i in $(seq 1 60); do /usr/bin/docker info >/dev/null 2>&1 && break; sleep 1; done
/usr/bin/docker info --format '{{.ServerVersion}} swarm={{.Swarm.LocalNodeState}} live-restore={{.LiveRestoreEnabled}}'

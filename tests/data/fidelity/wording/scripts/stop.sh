#!/bin/bash
P=$(pgrep -x dockerd) || exit 0
kill -TERM $P; for i in $(seq 1 60); do kill -0 $P 2>/dev/null || break; sleep 1; done
pgrep -a dockerd || echo "dockerd stopped"

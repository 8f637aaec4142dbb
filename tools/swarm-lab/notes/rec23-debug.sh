#!/bin/bash
# 2026-12-07l: turn the single-node dockerd's debug log on or off at run time (SIGHUP reloads /etc/docker/daemon.json;
# `debug` is reloadable), so that each run's log slice has swarmkit's agent lines ("(*worker).Update", "assigned",
# "state changed"). Called inside the recording lock, around each run: `off` writes {"debug": false}, reloads, and
# removes the file again, so no later daemon start (another session's start_manager.sh) picks up a daemon.json.
# usage: rec23-debug.sh on|off
set -eu
F=/etc/docker/daemon.json
PID=$(cat /var/run/docker.pid)
case "$1" in
  on)  [ -e $F ] && { echo "refusing: $F exists"; exit 1; }
       echo '{"debug": true}' > $F ;;
  off) echo '{"debug": false}' > $F ;;
  *) exit 2 ;;
esac
kill -HUP "$PID"
sleep 0.5
[ "$1" = off ] && rm -f $F
/usr/bin/docker info --format 'debug={{.Debug}}'

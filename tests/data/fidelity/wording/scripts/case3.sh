#!/bin/bash
# case 3: docker kill of a task's container while the (only) node's dockerd is down (SIGKILL,
# no live-restore), then what the restarted dockerd does with the container
. /tmp/wording-rec/lib.sh
R=$1; NS=wkill$R; W=/tmp/wording-rec/case3-r$R; rm -rf $W; mkdir -p $W; cd $W
LOG=$W/capture.txt; : >$LOG
cat > stack.yml <<'Y'
version: "3.8"
services:
  web:
    image: websim:v1-trap
    deploy:
      replicas: 1
      restart_policy: {condition: any, delay: 5s}
Y
note $LOG "date $(date -u +%FT%TZ); $($D version --format 'client {{.Client.Version}} server {{.Server.Version}}'); live-restore=$($D info --format '{{.LiveRestoreEnabled}}')"
note $LOG "stack.yml:"; sed 's/^/    /' stack.yml >>$LOG; echo >>$LOG
rec $LOG $D stack deploy -c stack.yml $NS
wait_running ${NS}_web 1; sleep 3
CID=$($D ps -q --no-trunc --filter label=com.docker.swarm.service.name=${NS}_web)
CNAME=$($D inspect --format '{{.Name}}' $CID | sed 's#^/##')
PID=$($D inspect --format '{{.State.Pid}}' $CID)
note $LOG "container $CNAME id $CID, main process pid $PID"
rec $LOG $D service ps ${NS}_web --no-trunc --format '{{.Name}} {{.ID}} {{.DesiredState}} {{.CurrentState}} {{.Error}}'
DPID=$(pgrep -x dockerd)
note $LOG "kill -KILL <dockerd pid> at $(date -u +%T.%N)"
kill -KILL $DPID
for i in $(seq 1 20); do kill -0 $DPID 2>/dev/null || break; sleep 0.2; done
sleep 1
note $LOG "dockerd alive: $(pgrep -x dockerd >/dev/null && echo yes || echo no); container process $PID alive: $(kill -0 $PID 2>/dev/null && echo yes || echo no)"
rec $LOG $D kill $CNAME
rec $LOG $D kill $CID
rec $LOG $D kill --signal TERM $CNAME
rec $LOG $D container kill $CNAME
rec $LOG $D ps
note $LOG "container process $PID alive after the kills: $(kill -0 $PID 2>/dev/null && echo yes || echo no)"
sleep 2
T0=$(date +%s)
note $LOG "dockerd started again at $(date -u +%T.%N) (as fidelity/README.md: setsid dockerd ...)"
setsid dockerd --iptables=false --ip6tables=false --storage-driver=vfs \
    --data-root=/tmp/dockerd/data >>/tmp/dockerd/log 2>&1 < /dev/null 3>&- &
for i in $(seq 1 100); do $D info >/dev/null 2>&1 && break; sleep 0.2; done
note $LOG "API answers at $(date -u +%T.%N); container process $PID alive: $(kill -0 $PID 2>/dev/null && echo yes || echo no)"
sleep 20
rec $LOG $D inspect --format 'status={{.State.Status}} exitcode={{.State.ExitCode}} started={{.State.StartedAt}} finished={{.State.FinishedAt}} error={{.State.Error}}' $CID
rec $LOG $D service ps ${NS}_web --no-trunc --format '{{.Name}} {{.ID}} {{.DesiredState}} {{.CurrentState}} err={{.Error}}'
rec $LOG $D events --since $T0 --until $(date +%s) --filter type=container --format '{{.Time}} {{.Action}} {{.Actor.Attributes.name}} exitCode={{index .Actor.Attributes "exitCode"}} signal={{index .Actor.Attributes "signal"}}'
grep -n "$CID" /tmp/dockerd/log | tail -20 | sed 's/^/    /' > dlog.txt
note $LOG "dockerd log lines naming the container (after the restart):"; cat dlog.txt >>$LOG; echo >>$LOG
note $LOG "cleanup"
rec $LOG $D stack rm $NS
wait_gone $NS

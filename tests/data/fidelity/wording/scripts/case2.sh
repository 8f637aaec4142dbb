#!/bin/bash
# case 2: a stack file whose service names a network not declared under networks:
. /tmp/wording-rec/lib.sh
R=$1; NS=wnet$R; W=/tmp/wording-rec/case2-r$R; rm -rf $W; mkdir -p $W; cd $W
LOG=$W/capture.txt; : >$LOG
cat > undeclared.yml <<'Y'
version: "3.8"
services:
  web:
    image: websim:v1-trap
    networks: [x]
    deploy:
      replicas: 1
Y
cat > undeclared-mixed.yml <<'Y'
version: "3.8"
services:
  web:
    image: websim:v1-trap
    networks: [front, x]
    secrets: [s]
    deploy:
      replicas: 1
  api:
    image: websim:v1-trap
    networks: [front]
    deploy:
      replicas: 1
networks:
  front: {}
secrets:
  s:
    file: ./s.txt
Y
printf 'value\n' > s.txt
note $LOG "date $(date -u +%FT%TZ); $($D version --format 'client {{.Client.Version}} server {{.Server.Version}}')"
for f in undeclared.yml undeclared-mixed.yml; do
  note $LOG "$f:"; sed 's/^/    /' $f >>$LOG; echo >>$LOG
  rec $LOG $D stack deploy -c $f $NS
  sleep 2
  note $LOG "what the failed deploy left behind"
  rec $LOG $D network ls --filter label=com.docker.stack.namespace=$NS --format '{{.Name}} {{.Driver}} {{.Scope}}'
  rec $LOG $D secret ls --filter label=com.docker.stack.namespace=$NS --format '{{.Name}}'
  rec $LOG $D service ls --filter label=com.docker.stack.namespace=$NS --format '{{.Name}}'
  rec $LOG $D stack ls
  note $LOG "cleanup"
  rec $LOG $D stack rm $NS
  wait_gone $NS
  for n in $($D secret ls -q --filter label=com.docker.stack.namespace=$NS); do $D secret rm $n >/dev/null; done
done

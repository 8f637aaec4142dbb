#!/bin/bash
# case 1: docker stack deploy of a stack whose file secret already exists (created by an earlier
# deploy of the same stack), with the same bytes and with other bytes
. /tmp/wording-rec/lib.sh
R=$1; NS=wsec$R; W=/tmp/wording-rec/case1-r$R; rm -rf $W; mkdir -p $W; cd $W
LOG=$W/capture.txt; : >$LOG
cat > stack-v1.yml <<'Y'
version: "3.8"
services:
  web:
    image: websim:v1-trap
    secrets: [s]
    deploy:
      replicas: 1
secrets:
  s:
    file: ./s.txt
Y
cat > stack-v2.yml <<'Y'
version: "3.8"
services:
  web:
    image: websim:v2-trap
    secrets: [s]
    deploy:
      replicas: 1
  extra:
    image: websim:v1-trap
    deploy:
      replicas: 1
secrets:
  s:
    file: ./s.txt
Y
note $LOG "date $(date -u +%FT%TZ); $($D version --format 'client {{.Client.Version}} server {{.Server.Version}}')"
note $LOG "stack-v1.yml:"; sed 's/^/    /' stack-v1.yml >>$LOG; echo >>$LOG
note $LOG "stack-v2.yml (image v2 for web, a new service extra):"; sed 's/^/    /' stack-v2.yml >>$LOG; echo >>$LOG
svc() { rec $LOG $D service ls --filter label=com.docker.stack.namespace=$NS --format '{{.Name}} {{.Image}}'
        rec $LOG $D service inspect ${NS}_web --format 'version={{.Meta.Version.Index}} updated={{.Meta.UpdatedAt}} image={{.Spec.TaskTemplate.ContainerSpec.Image}} updatestatus={{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}'
        rec $LOG $D secret inspect ${NS}_s --format 'version={{.Meta.Version.Index}} created={{.Meta.CreatedAt}} updated={{.Meta.UpdatedAt}}'; }

note $LOG "step 1: first deploy, s.txt = 'first-value\\n'"
printf 'first-value\n' > s.txt
rec $LOG $D stack deploy -c stack-v1.yml $NS
wait_running ${NS}_web 1; sleep 2; svc

note $LOG "step 2: redeploy of the same file, s.txt unchanged (same bytes)"
rec $LOG $D stack deploy -c stack-v1.yml $NS
sleep 3; svc

note $LOG "step 3: s.txt now holds other bytes ('second-value\\n'); deploy stack-v2.yml (web: image v2, new service extra)"
printf 'second-value\n' > s.txt
rec $LOG $D stack deploy -c stack-v2.yml $NS
sleep 3; svc

note $LOG "step 4: s.txt back to the first bytes, written anew (same bytes, new file mtime); deploy stack-v2.yml"
rm s.txt; printf 'first-value\n' > s.txt
rec $LOG $D stack deploy -c stack-v2.yml $NS
sleep 3; svc

note $LOG "cleanup"
rec $LOG $D stack rm $NS
wait_gone $NS; rec $LOG $D secret ls --filter label=com.docker.stack.namespace=$NS --format '{{.Name}}'

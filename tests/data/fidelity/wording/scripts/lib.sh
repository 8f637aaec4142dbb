# rec LOG CMD...: runs CMD (a docker command line), appends "$ CMD", rc, stdout, stderr to LOG
D=/usr/bin/docker
rec() {
  local log=$1; shift
  local out err rc
  out=$(mktemp); err=$(mktemp)
  "$@" >"$out" 2>"$err"; rc=$?
  { printf '$ %s\n' "$(echo "$*" | sed "s#^$D#docker#")"
    printf 'rc=%s\n' "$rc"
    printf -- '--- stdout\n'; cat "$out"
    printf -- '--- stderr\n'; cat "$err"
    printf '\n'; } >>"$log"
  rm -f "$out" "$err"
  return 0
}
note() { local log=$1; shift; printf '# %s\n\n' "$*" >>"$log"; }
wait_running() {  # wait_running SERVICE N: until N tasks are running
  for i in $(seq 1 60); do
    n=$($D service ps "$1" --filter desired-state=running --format '{{.CurrentState}}' 2>/dev/null | grep -c '^Running')
    [ "$n" -ge "$2" ] && return 0; sleep 1; done; return 1
}
wait_gone() {  # wait_gone NS: until no container/network of stack NS is left
  for i in $(seq 1 60); do
    c=$($D ps -aq --filter label=com.docker.stack.namespace="$1" | wc -l)
    n=$($D network ls -q --filter label=com.docker.stack.namespace="$1" | wc -l)
    [ "$c" -eq 0 ] && [ "$n" -eq 0 ] && return 0; sleep 1; done; return 1
}

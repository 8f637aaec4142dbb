#!/bin/bash
# Builds the local test images from /tmp/rootfs (static busybox + www/index.html).
# /tmp/rootfs itself is not modified; each image gets a private copy.
set -euo pipefail
D=/usr/bin/docker
B=/tmp/websim-build
rm -rf "$B"; mkdir -p "$B"
ONLY=${1:-}   # optional: build only this tag

mk() {  # mk TAG INDEX_TEXT ENTRY_SCRIPT_BODY [extra]   (extra: also /tmp, /flags and touch/mkdir/rm applets; 2026-12-06)
  local tag=$1 text=$2 body=$3 extra=${4:-} dir="$B/$1"
  [ -n "$ONLY" ] && [ "$ONLY" != "$tag" ] && return 0
  cp -a /tmp/rootfs "$dir"
  if [ -n "$extra" ]; then
    mkdir -p "$dir/tmp" "$dir/flags"; chmod 1777 "$dir/tmp"
    for c in touch mkdir rm; do ln -sf busybox "$dir/bin/$c"; done
  fi
  echo "$text" > "$dir/www/index.html"
  printf '#!/bin/sh\n%s\n' "$body" > "$dir/entry.sh"; chmod 755 "$dir/entry.sh"
  tar -C "$dir" -cf "$B/$tag.tar" .
  $D import --change 'CMD ["/bin/sh","/entry.sh"]' "$B/$tag.tar" "websim:$tag" >/dev/null
  echo "websim:$tag  entry.sh:"; sed 's/^/    /' "$dir/entry.sh"
}

# healthy, exits promptly on SIGTERM (sh is PID 1 with a TERM trap; httpd daemonises)
GOOD=$'trap \'exit 0\' TERM INT\nhttpd -p 8080 -h /www\nwhile :; do sleep 1 & wait $!; done'
# never healthy: no httpd, so the wget health probe gets "connection refused"; exits promptly on SIGTERM
BAD=$'trap \'exit 0\' TERM INT\nwhile :; do sleep 1 & wait $!; done'
# never healthy, and exits with status 143 on SIGTERM (like a JVM/Node app without a 0-exit handler)
BAD143=$'trap \'exit 143\' TERM INT\nwhile :; do sleep 1 & wait $!; done'
# healthy at first (httpd), then exits with status 1 about 8 s after start
LATE=$'trap \'exit 0\' TERM INT\nhttpd -p 8080 -h /www\nsleep 8 & wait $!\nexit 1'
# crashes: exits with status 1 about 1 s after start
CRASH=$'trap \'exit 0\' TERM INT\nsleep 1\nexit 1'

mk v1-trap  v1-trap "$GOOD"
mk v2-trap  v2-trap "$GOOD"
mk v3-trap  v3-trap "$GOOD"
mk bad-health bad-health "$BAD"
mk crash crash "$CRASH"
mk bad-health-143 bad-health-143 "$BAD143"
mk late-crash late-crash "$LATE"
# ---- 2026-12-06 (s22+)
# healthy only if /flags/broken did NOT exist when the container started (bind-mounted host dir /tmp/flags)
FLAG=$'trap \'exit 0\' TERM INT\n[ -f /flags/broken ] || httpd -p 8080 -h /www\nwhile :; do sleep 1 & wait $!; done'
mk v1-flag v1-flag "$FLAG" extra
# as v1-trap, plus /tmp and the touch/mkdir/rm applets (s25: `docker exec C touch /tmp/unhealthy`)
mk v1-hflip v1-hflip "$GOOD" extra
# ---- 2026-12-06b (s29)
# alternates crash / healthy: each container start atomically increments the counter in the bind-mounted host file
# /flags/alt-count (lock = mkdir /flags/alt.lock) and appends "COUNT HOSTNAME" to /flags/alt-log; odd count: serves
# like v2-trap for 3 s, then exits 1; even count: exactly v2-trap (serves forever, exit 0 on SIGTERM)
ALT=$'trap \'exit 0\' TERM INT\nuntil mkdir /flags/alt.lock 2>/dev/null; do sleep 0.05; done\nn=$(cat /flags/alt-count 2>/dev/null)\nn=$(( ${n:-0} + 1 ))\necho $n > /flags/alt-count\necho "$n $HOSTNAME" >> /flags/alt-log\nrm -rf /flags/alt.lock\nhttpd -p 8080 -h /www\nif [ $(( n % 2 )) -eq 1 ]; then sleep 3 & wait $!; exit 1; fi\nwhile :; do sleep 1 & wait $!; done'
mk v2-alt v2-alt "$ALT" extra
# ---- 2026-12-06d (s33)
# v1-trap plus a Dockerfile HEALTHCHECK (interval 30 s, the same wget probe as the services' --health-cmd); built
# offline with the classic builder from the local websim:v1-trap (no registry needed)
HCDIR=$(mktemp -d)
printf '%s\n' 'FROM websim:v1-trap' 'HEALTHCHECK --interval=30s CMD wget -qO- http://127.0.0.1:8080/ || exit 1' >"$HCDIR/Dockerfile"
DOCKER_BUILDKIT=0 $D build -t websim:hc "$HCDIR"
rm -rf "$HCDIR"
$D images websim

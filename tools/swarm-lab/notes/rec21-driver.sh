#!/bin/bash
# 2026-12-07j: held-out runs of three single-node race scenarios (s05 r9–r14, s29 r4–r7, s22b r4–r6), interleaved run
# by run (round k: s05 r(8+k), s29 r(3+k) while k <= 4, s22b r(3+k) while k <= 3), each under the recording lock with
# flock -o and the CPU rule (quietrun.py), as rec15-driver.sh. The recorder resets /tmp/flags itself (scenarios.py
# host_setup / pre_action of s29 and s22b, as scenarios.md says).
# usage (from the research copy): notes/rec21-driver.sh ROUND...     (e.g. 1 2 3 4 5 6)
cd "$(dirname "$0")/.."
L=/tmp/docker-recording.lock
for k in "$@"; do
  runs="s05-bad-health-rollback:$((8 + k))"
  [ "$k" -le 4 ] && runs="$runs s29-alternate-crash:$((3 + k))"
  [ "$k" -le 3 ] && runs="$runs s22b-rollback-fails-pause:$((3 + k))"
  for nr in $runs; do
    n=${nr%%:*}; r=${nr##*:}
    echo "== $(date -u +%FT%TZ) record $n r$r"
    SESSION=2026-12-07j flock -o $L python3 notes/quietrun.py "$n" "$r"
    rc=$?
    echo "== $(date -u +%FT%TZ) rc $rc $n r$r"
  done
done
echo "== $(date -u +%FT%TZ) done"

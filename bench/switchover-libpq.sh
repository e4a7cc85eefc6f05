#!/usr/bin/env bash
# Switchover write gap through HAProxy with a client Vigil did not write: psycopg2 (libpq) inserting a
# row every 20 ms through 127.0.0.1:5000 (bench/acked_writer.py, target_session_attrs=read-write,
# reconnecting after any error). ROUNDS switchovers, each from the leader to a replica, each once the
# cluster is healthy again and 3 s later; per switchover the longest gap between two acknowledged
# writes from 1 s before the POST to 10 s after it; then min / median / max, and every acknowledged id
# looked up on the primary.
#   deploy/local/demo.sh up --haproxy; bench/switchover-libpq.sh [ROUNDS]   (default 10)
set -euo pipefail
ROUNDS=${1:-10}
[[ "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 && "$ROUNDS" -le 100 ]] || { echo "ROUNDS must be 1..100" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cluster.sh"
export PGPASSWORD; PGPASSWORD=$(cat "$DIR/pg-password")
pg_isready -h 127.0.0.1 -p 5000 -q || { echo "nothing answers on HAProxy's 127.0.0.1:5000: deploy/local/demo.sh up --haproxy" >&2; exit 2; }
acks=$(mktemp /tmp/vigil-switchover-acks.XXXXXX)
posts=$(mktemp /tmp/vigil-switchover-posts.XXXXXX)
trap 'kill "$writer" 2>/dev/null || true; rm -f "$acks" "$posts"' EXIT
PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -p 5000 -U postgres -d postgres -qc "DROP TABLE IF EXISTS bench_acked" >/dev/null
/usr/bin/python3 "$HERE/acked_writer.py" 127.0.0.1 5000 "$acks" 20 $(( ROUNDS * 60 + 120 )) &
writer=$!
deadline=$(( $(date +%s) + 30 ))
until [ "$(wc -l < "$acks")" -ge 100 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "the writer did not get 100 writes through within 30 s" >&2; exit 1; }
  sleep 0.2
done
for r in $(seq 1 "$ROUNDS"); do
  wait_healthy
  sleep 3
  L=$(leader); C=""
  for n in "${NODES[@]}"; do [ "$n" != "$L" ] && { C=$n; break; }; done
  t=$(date +%s.%N)
  switchover "$L" "$C"
  echo "$t $L $C" >> "$posts"
  deadline=$(( $(date +%s) + 60 ))
  until [ "$(leader 2>/dev/null || true)" = "$C" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "round $r: $C did not become leader within 60 s" >&2; exit 1; }
    sleep 0.1
  done
  sleep 10
  gap=$(awk -v t="$t" '$2 >= t - 1 && $2 <= t + 10 {if (prev) {g = $2 - prev; if (g > m) m = g}; prev = $2} END {printf "%.3f", m}' "$acks")
  echo "round $r: switchover $L -> $C: longest gap between acknowledged writes $gap s" >&2
  echo "$gap" >> "$posts.gaps"
done
kill "$writer"; wait "$writer" 2>/dev/null || true
sort -g "$posts.gaps" | awk '{a[NR]=$1} END {printf "switchover through HAProxy, psycopg2 every 20 ms, %d rounds: longest write gap min %.3f median %.3f max %.3f s\n", NR, a[1], (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[NR]}'
rm -f "$posts.gaps"
/usr/bin/python3 "$HERE/acked_writer.py" --check 127.0.0.1 5000 "$acks"

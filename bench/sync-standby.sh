#!/usr/bin/env bash
# Synchronous mode, back-to-back node deaths, on the running demo (deploy/local/demo.sh up). It turns
# synchronous_mode on, starts a psycopg2 client inserting a row every 10 ms through a multi-host
# connection (target_session_attrs=read-write), then for each of ROUNDS rounds:
#   kills the leader node (kill -9 of its agent and postmaster);
#   waits for a new primary (none within 120 s: the round failed, the script stops);
#   restarts the killed node and waits until the cluster is healthy as seen from outside (one member
#     answers /primary 200, two standbys stream from it), without looking at the sync key;
#   waits 3 s, and goes on with the next round.
# Beside that, without delaying it, it measures "naming": from the first standby streaming to the new
# leader (its pg_stat_replication) to the sync key naming a standby for it.
# At the end every acknowledged insert is looked up on the primary. Prints per round and min / median /
# p95 / max of naming, in seconds. Installs python3-psycopg2 when missing (root).
#   bench/sync-standby.sh [ROUNDS]        ROUNDS default 10
set -euo pipefail
ROUNDS=${1:-10}
[[ "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 && "$ROUNDS" -le 100 ]] || { echo "ROUNDS must be 1..100" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cluster.sh"
DEMO=$HERE/../deploy/local/demo.sh
if ! /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "python3-psycopg2 is missing: apt-get install python3-psycopg2" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-psycopg2 >/dev/null
fi
export PGPASSWORD; PGPASSWORD=$(cat "$DIR/pg-password")
AUTH=(-u "vigil:$(cat "$DIR/rest-password")")
L=$(leader) || { echo "no leader: is the demo running? (deploy/local/demo.sh up)" >&2; exit 1; }
curl -sf "${AUTH[@]}" -XPATCH "http://127.0.0.1:$(api_of "$L")/config" -d '{"synchronous_mode": true}' >/dev/null
echo "settings: $(curl -s "http://127.0.0.1:$(api_of "$L")/config" | grep -Eo '"(ttl|loop_wait|retry_timeout)": ?[0-9]+' | tr '\n' ' ')"

now() { date +%s.%N; }
sync_names() { # leader: prints the members the sync key names for it, or nothing
  etcdctl --endpoints=127.0.0.1:2379 get --print-value-only /vigil/demo/sync 2>/dev/null \
    | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(d.get('sync_standby') or '' if d.get('leader')=='$1' else '')" 2>/dev/null || true
}
wait_named_leader() { # old: prints the new leader, bounded 120 s
  local deadline=$(( $(date +%s) + 120 )) n
  while [ "$(date +%s)" -lt "$deadline" ]; do
    n=$(leader) && [ "$n" != "$1" ] && { echo "$n"; return 0; }
    sleep 0.05
  done
  return 1
}

watch_naming() { # leader: prints "t_stream t_named" once its first standby streams and the sync key names one
  local t_stream="" deadline=$(( $(date +%s) + 120 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if [ -z "$t_stream" ] && [ "$(streaming_on "$1")" -ge 1 ]; then t_stream=$(now); fi
    if [ -n "$t_stream" ] && [ -n "$(sync_names "$1")" ]; then echo "$t_stream $(now)"; return 0; fi
    sleep 0.02
  done
}

ACKED=$(mktemp /tmp/vigil-acked.XXXXXX)
NAMING=$(mktemp /tmp/vigil-naming.XXXXXX)
HOSTS=127.0.0.1,127.0.0.1,127.0.0.1; PG_PORTS=$(IFS=,; echo "${PORTS[*]}")
/usr/bin/python3 "$HERE/acked_writer.py" "$HOSTS" "$PG_PORTS" "$ACKED" 10 3600 &
WRITER=$!
trap 'kill $WRITER 2>/dev/null || true' EXIT
wait_healthy
deadline=$(( $(date +%s) + 120 ))
until [ -n "$(sync_names "$(leader)")" ]; do   # synchronous mode in force before the first fault
  [ "$(date +%s)" -lt "$deadline" ] || { echo "no synchronous standby named within 120 s" >&2; exit 1; }
  sleep 0.1
done
naming=(); failed=0
for r in $(seq 1 "$ROUNDS"); do
  L=$(leader)
  kill -9 "$(cat "$DIR/$L/agent.pid")" "$(head -1 "$DIR/$L/data/postmaster.pid")"
  t0=$(now)
  if ! N=$(wait_named_leader "$L"); then
    echo "round $r: killed $L, no new primary within 120 s" >&2
    failed=1
    break
  fi
  t_primary=$(now)
  watch_naming "$N" > "$NAMING" &   # beside the scenario, which does not wait for it
  WATCHER=$!
  "$DEMO" start "$L" >/dev/null
  wait_healthy
  sleep 3   # the scenario: the next fault 3 s after the cluster looks healthy
  kill $WATCHER 2>/dev/null || true
  wait $WATCHER 2>/dev/null || true
  read -r t_stream t_named < "$NAMING" || true
  if [ -n "${t_named:-}" ]; then
    d=$(echo "$t_named - $t_stream" | bc -l)
    naming+=("$d")
    printf "round %d: %s -> %s, new primary %.1f s after the kill, a standby named %.2f s after the first streamed\n" \
      "$r" "$L" "$N" "$(echo "$t_primary - $t0" | bc -l)" "$d"
  else
    echo "round $r: $L -> $N, no standby named before the next fault"
  fi
done
kill -TERM $WRITER 2>/dev/null || true
wait $WRITER 2>/dev/null || true
result=$(/usr/bin/python3 "$HERE/acked_writer.py" --check "$HOSTS" "$PG_PORTS" "$ACKED") || failed=1
echo "$result"
if [ "${#naming[@]}" -gt 0 ]; then
  printf '%s\n' "${naming[@]}" | sort -g | awk '{a[NR]=$1} END {p=int(NR*0.95+0.999); if (p<1) p=1;
    printf "naming a synchronous standby, s (n=%d): min %.2f median %.2f p95 %.2f max %.2f\n", NR, a[1],
    (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[p], a[NR]}'
fi
rm -f "$ACKED" "$NAMING"
exit $failed

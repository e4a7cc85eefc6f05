#!/usr/bin/env bash
# Callback figures on a fresh demo (deploy/local/demo.sh) whose every callback (on_start, on_stop,
# on_restart, on_reload, on_role_change) is a script that records when it starts:
#   1. role change -> on_role_change: ROUNDS switchovers; a psycopg2 client polls the candidate every
#      5 ms and marks when pg_is_in_recovery() turns false; the callback marks when it starts. Prints the
#      gap per round, and min / median / max.
#   2. hanging callbacks: bench/failover.sh ROUNDS, once with callbacks that return at once and once with
#      every callback sleeping 60 s (killed at callback_timeout, 60 s); prints both node-death medians
#      and their ratio.
#   bench/callbacks.sh [ROUNDS]    default 5; timing VIGIL_TTL / VIGIL_LOOP_WAIT / VIGIL_RETRY_TIMEOUT
#                                  (default 10/2/3); FAILOVER_RUNS (default ROUNDS; 0 skips part 2).
#                                  Needs root and the demo's ports.
set -euo pipefail
ROUNDS=${1:-5}
[[ "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 && "$ROUNDS" -le 50 ]] || { echo "ROUNDS must be 1..50" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cluster.sh"
DEMO=$HERE/../deploy/local/demo.sh
export VIGIL_TTL=${VIGIL_TTL:-10} VIGIL_LOOP_WAIT=${VIGIL_LOOP_WAIT:-2} VIGIL_RETRY_TIMEOUT=${VIGIL_RETRY_TIMEOUT:-3}
CB=/tmp/vigil-bench-callbacks
rm -rf "$CB"; mkdir -p "$CB"
cat > "$CB/record.sh" <<'SH'
#!/bin/sh
# ACTION ROLE SCOPE: one line "epoch-seconds ACTION ROLE working-directory", then a 60 s nap when asked
echo "$(date +%s.%N) $1 $2 $(pwd)" >> /tmp/vigil-bench-callbacks/calls.log
[ -f /tmp/vigil-bench-callbacks/hang ] && exec sleep 60
exit 0
SH
chmod 755 "$CB/record.sh"; touch "$CB/calls.log"; chmod 777 "$CB" "$CB/calls.log"
export VIGIL_CALLBACK=$CB/record.sh

"$DEMO" down --clean >/dev/null 2>&1 || true
"$DEMO" up >/dev/null
export PGPASSWORD; PGPASSWORD=$(cat "$DIR/pg-password")
median() { sort -g | awk '{a[NR]=$1} END {printf "%.3f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

gaps=()
for r in $(seq 1 "$ROUNDS"); do
  wait_healthy
  L=$(leader); C=""
  for n in "${NODES[@]}"; do [ "$n" != "$L" ] && { C=$n; break; }; done
  /usr/bin/python3 - "$(port_of "$C")" > "$CB/promoted" <<'PY' &
import sys, time, psycopg2, os
conn = psycopg2.connect(host="127.0.0.1", port=sys.argv[1], dbname="postgres", user="postgres",
                        password=os.environ["PGPASSWORD"], connect_timeout=2)
conn.autocommit = True
cur = conn.cursor()
deadline = time.time() + 120
while time.time() < deadline:
    cur.execute("SELECT pg_is_in_recovery()")
    if not cur.fetchone()[0]:
        print("%.6f" % time.time())
        break
    time.sleep(0.005)
PY
  poller=$!
  sleep 0.5   # the poller is connected
  switchover "$L" "$C"
  wait "$poller"
  promoted=$(cat "$CB/promoted")
  [ -n "$promoted" ] || { echo "round $r: $C was not promoted within 120 s" >&2; exit 1; }
  deadline=$(( $(date +%s) + 30 ))
  until called=$(awk -v t="$promoted" -v d="/$C" '$2 == "on_role_change" && $3 == "primary" && $1 > t - 0.5 && index($4, d) {print $1; exit}' "$CB/calls.log") && [ -n "$called" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "round $r: no on_role_change primary from $C within 30 s" >&2; exit 1; }
    sleep 0.05
  done
  gaps+=("$(echo "$called - $promoted" | bc)")
  echo "round $r: switchover $L -> $C: on_role_change primary started ${gaps[-1]} s after $C was seen writable" >&2
done
printf 'role change -> on_role_change starts, s (%s rounds, poll every 5 ms): min %s median %s max %s\n' "$ROUNDS" \
  "$(printf '%s\n' "${gaps[@]}" | sort -g | head -1)" "$(printf '%s\n' "${gaps[@]}" | median)" \
  "$(printf '%s\n' "${gaps[@]}" | sort -g | tail -1)"

FAILOVER_RUNS=${FAILOVER_RUNS:-$ROUNDS}
[ "$FAILOVER_RUNS" -gt 0 ] || exit 0
wait_healthy
rm -f "$CB/hang"
quick=$("$HERE/failover.sh" "$FAILOVER_RUNS" 2>/dev/null | grep -E '^(seconds|node death|postmaster|node freeze|killed|restarted|switchover)')
touch "$CB/hang"
hanging=$("$HERE/failover.sh" "$FAILOVER_RUNS" 2>/dev/null | grep -E '^(seconds|node death|postmaster|node freeze|killed|restarted|switchover)')
rm -f "$CB/hang"
printf 'callbacks return at once:\n%s\nevery callback hangs for 60 s:\n%s\n' "$quick" "$hanging"
q=$(echo "$quick" | awk '/^node death -> first write/ {print $(NF-1)}')
h=$(echo "$hanging" | awk '/^node death -> first write/ {print $(NF-1)}')
echo "node death -> first write, median: $q s with quick callbacks, $h s with hanging ones; ratio $(echo "scale=3; $h / $q" | bc)"
echo "callback calls recorded: $(wc -l < "$CB/calls.log"), of which killed at callback_timeout: $(grep -c 'killed' "$DIR"/node*/agent.log 2>/dev/null | awk -F: '{s += $2} END {print s + 0}')"

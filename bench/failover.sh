#!/usr/bin/env bash
# Failover figures on the demo cluster (deploy/local/demo.sh up must be running).
# For each of RUNS rounds it measures, with a client writing every 50 ms through psql:
#   node death    kill -9 of the leader's agent and postmaster -> first acknowledged write on a new primary
#   pg crash      kill -9 of the leader's postmaster only (agent alive) -> first acknowledged write again
#   rejoin        the killed node's agent restarted -> it streams from the leader again (needs pg_rewind)
#   replica restart  a replica stopped gracefully (demo.sh stop) and started -> streaming again
# and prints min / median / max in seconds. Usage: bench/failover.sh [RUNS]   (default 3)
set -euo pipefail
RUNS=${1:-3}
DIR=${VIGIL_DEMO_DIR:-/tmp/vigil-demo}
DEMO=$(cd "$(dirname "$0")/../deploy/local" && pwd)/demo.sh
export PGPASSWORD; PGPASSWORD=$(cat "$DIR/pg-password")
PORTS=(5433 5434 5435)
NODES=(node1 node2 node3)

now() { date +%s.%N; }
leader() { # prints nodeN of the node whose /primary is 200
  for i in 0 1 2; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$((8008 + i))/primary")" = 200 ] && { echo "${NODES[$i]}"; return 0; }
  done
  return 1
}
port_of() { case "$1" in node1) echo 5433;; node2) echo 5434;; node3) echo 5435;; esac; }
api_of() { case "$1" in node1) echo 8008;; node2) echo 8009;; node3) echo 8010;; esac; }
write_anywhere() { # one insert on whichever node accepts it
  for p in "${PORTS[@]}"; do
    psql -h 127.0.0.1 -p "$p" -U postgres -d postgres -qAtc "INSERT INTO bench_probe VALUES (now())" >/dev/null 2>&1 && return 0
  done
  return 1
}
wait_write() { # bounded: 300 s
  local deadline=$(( $(date +%s) + 300 ))
  until write_anywhere; do [ "$(date +%s)" -lt "$deadline" ] || { echo "no write within 300 s" >&2; return 1; }; sleep 0.05; done
}
wait_healthy() {
  local deadline=$(( $(date +%s) + 300 ))
  until [ "$(curl -s --max-time 1 "http://127.0.0.1:8008/cluster" "http://127.0.0.1:8009/cluster" "http://127.0.0.1:8010/cluster" 2>/dev/null \
      | head -c 4000 | grep -o '"state":"streaming"' | wc -l)" -ge 2 ] && leader >/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "cluster not healthy within 300 s" >&2; return 1; }
    sleep 0.2
  done
}
replica_name() {
  for n in "${NODES[@]}"; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$(api_of "$n")/replica")" = 200 ] && { echo "$n"; return 0; }
  done
  return 1
}
wait_streaming() { # node: until the leader's pg_stat_replication shows it streaming (bounded: 300 s)
  local deadline=$(( $(date +%s) + 300 ))
  until curl -s --max-time 1 "http://127.0.0.1:$(api_of "$1")/patroni" | grep -q '"replica"' \
      && psql -h 127.0.0.1 -p "$(port_of "$(leader)")" -U postgres -qAtc \
         "SELECT 1 FROM pg_stat_replication WHERE application_name = '$1' AND state = 'streaming'" 2>/dev/null | grep -q 1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$1 not streaming within 300 s" >&2; return 1; }
    sleep 0.05
  done
}
stats() { sort -g | awk '{a[NR]=$1} END {printf "%6.2f %8.2f %6.2f", a[1], (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[NR]}'; }

L=$(leader) || { echo "no leader: is the demo running? (deploy/local/demo.sh up)" >&2; exit 1; }
psql -h 127.0.0.1 -p "$(port_of "$L")" -U postgres -qAtc "CREATE TABLE IF NOT EXISTS bench_probe (at timestamptz)"
LOOP_WAIT=$(curl -s http://127.0.0.1:8008/config | grep -o '"loop_wait":[0-9]*' | cut -d: -f2)
death=(); crash=(); rejoin=(); restart=()
for r in $(seq 1 "$RUNS"); do
  wait_healthy
  # A node dies at a random moment relative to the leader's renewals: wait a random 0..loop_wait
  # first, so that the figure is not biased by the loop's phase.
  sleep "$(awk -v lw="$LOOP_WAIT" -v seed="$RANDOM" 'BEGIN {srand(seed); printf "%.2f", rand() * lw}')"
  L=$(leader)
  t0=$(now)
  kill -9 "$(cat "$DIR/$L/agent.pid")" "$(head -1 "$DIR/$L/data/postmaster.pid")"
  wait_write; death+=("$(echo "$(now) - $t0" | bc)")
  t0=$(now); "$DEMO" start "$L" >/dev/null
  wait_streaming "$L"
  rejoin+=("$(echo "$(now) - $t0" | bc)")
  wait_healthy
  R=$(replica_name); "$DEMO" stop "$R" >/dev/null; t0=$(now); "$DEMO" start "$R" >/dev/null
  wait_streaming "$R"; restart+=("$(echo "$(now) - $t0" | bc)")
  wait_healthy
  L=$(leader); t0=$(now)
  kill -9 "$(head -1 "$DIR/$L/data/postmaster.pid")"
  wait_write; crash+=("$(echo "$(now) - $t0" | bc)")
  echo "run $r: node death ${death[-1]} s, pg crash ${crash[-1]} s, rejoin ${rejoin[-1]} s, replica restart ${restart[-1]} s" >&2
done
ttl=$(curl -s http://127.0.0.1:8008/config | grep -o '"ttl":[0-9]*' | cut -d: -f2)
lw=$(curl -s http://127.0.0.1:8008/config | grep -o '"loop_wait":[0-9]*' | cut -d: -f2)
echo "runs: $RUNS   ttl: $ttl  loop_wait: $lw"
printf "%-34s %6s %8s %6s\n" "seconds" "min" "median" "max"
printf "%-34s %s\n" "node death -> first write" "$(printf '%s\n' "${death[@]}" | stats)"
printf "%-34s %s\n" "postmaster crash -> first write" "$(printf '%s\n' "${crash[@]}" | stats)"
printf "%-34s %s\n" "killed primary back -> streaming" "$(printf '%s\n' "${rejoin[@]}" | stats)"
printf "%-34s %s\n" "restarted replica -> streaming" "$(printf '%s\n' "${restart[@]}" | stats)"

#!/usr/bin/env bash
# Failover figures. For each of RUNS rounds it measures, with a client writing every 50 ms through psql:
#   node death    kill -9 of the leader's agent and postmaster -> first acknowledged write on a new primary
#   pg crash      kill -9 of the leader's postmaster only (agent alive) -> first acknowledged write again
#   node freeze   SIGSTOP of the leader's agent and postmaster with every child -> first acknowledged write
#                 on another node; then SIGCONT, and the node must rejoin
#   rejoin        the killed node's agent restarted -> it streams from the leader again (needs pg_rewind)
#   replica restart  a replica stopped gracefully (demo.sh stop) and started -> streaming again
#   switchover    POST /switchover to the leader's REST API, a replica as candidate, while a second
#                 client writes as fast as psql allows to whichever node last took a write: the longest
#                 gap between its acknowledged writes, and the time from the POST to its first write on
#                 the candidate
#   and the CPU time the surviving agents used from a node death to the first write, and the largest
#   resident memory either reached meanwhile (VmHWM after resetting it at the kill; needs root)
# and prints min / median / max in seconds.
#   bench/failover.sh [RUNS]                 on the running demo (deploy/local/demo.sh up); RUNS default 3
#   bench/failover.sh --vs-patroni [RUNS]    a fresh Vigil demo, then a fresh Patroni 3.0.2 cluster with the
#                                            same layout and timing (VIGIL_TTL, VIGIL_LOOP_WAIT,
#                                            VIGIL_RETRY_TIMEOUT; default 30/10/10; VIGIL_SYNC=true for
#                                            synchronous mode), the same faults, both
#                                            tables and the ratio Vigil / Patroni of the medians. Needs root
#                                            and free ports 2379, 5433-5435, 8008-8010. Also prints
#                                            both idle agents' memory and CPU over FOOTPRINT_SECONDS (60);
#                                            FOOTPRINT_THREADS=1 adds CPU per thread, idle and
#                                            for each survivor during each node death.
set -euo pipefail
VS_PATRONI=""
if [ "${1:-}" = "--vs-patroni" ]; then VS_PATRONI=1; shift; fi
RUNS=${1:-3}
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 && "$RUNS" -le 100 ]] || { echo "RUNS must be 1..100" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/proc.sh"
. "$HERE/cluster.sh"
DEMO=$HERE/../deploy/local/demo.sh

now() { date +%s.%N; }
write_anywhere() { # [first port]: one insert on whichever node accepts it, that port first; prints the port it took
  local p
  for p in ${1:-} "${PORTS[@]}"; do
    PGCONNECT_TIMEOUT=1 timeout 5 psql -h 127.0.0.1 -p "$p" -U postgres -d postgres -qAtc "INSERT INTO bench_probe VALUES (now())" >/dev/null 2>&1 \
      && { echo "$p"; return 0; }
  done
  return 1
}
wait_write_elsewhere() { # port: until a write is acknowledged on another node (bounded: 300 s)
  local deadline=$(( $(date +%s) + 300 )) p
  while true; do
    for p in "${PORTS[@]}"; do
      [ "$p" = "$1" ] && continue
      PGCONNECT_TIMEOUT=1 timeout 5 psql -h 127.0.0.1 -p "$p" -U postgres -d postgres -qAtc "INSERT INTO bench_probe VALUES (now())" >/dev/null 2>&1 && return 0
    done
    [ "$(date +%s)" -lt "$deadline" ] || { echo "no write elsewhere within 300 s" >&2; return 1; }
    sleep 0.05
  done
}
wait_write() { # bounded: 300 s
  local deadline=$(( $(date +%s) + 300 ))
  until write_anywhere >/dev/null; do [ "$(date +%s)" -lt "$deadline" ] || { echo "no write within 300 s" >&2; return 1; }; sleep 0.05; done
}
replica_name() {
  for n in "${NODES[@]}"; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$(api_of "$n")/replica")" = 200 ] && { echo "$n"; return 0; }
  done
  return 1
}
wait_ready() { # healthy, and in synchronous mode a synchronous standby named (as a health check would see it)
  wait_healthy
  candidate_name >/dev/null
}
candidate_name() { # a switchover candidate: in synchronous mode the synchronous standby in the leader's own view (waited for, 300 s), else a replica
  curl -s http://127.0.0.1:8008/config | grep -Eq '"synchronous_mode": ?true' || { replica_name; return; }
  local deadline=$(( $(date +%s) + 300 )) l n
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if l=$(leader); then
      n=$(curl -s --max-time 1 "http://127.0.0.1:$(api_of "$l")/cluster" | /usr/bin/python3 -c \
        'import json,sys; print(next((m["name"] for m in json.load(sys.stdin).get("members", []) if m.get("role") == "sync_standby"), ""))' 2>/dev/null || true)
      [ -n "$n" ] && { echo "$n"; return 0; }
    fi
    sleep 0.1
  done
  echo "no synchronous standby within 300 s" >&2; return 1
}
wait_streaming() { # node: until the leader's pg_stat_replication shows it streaming (bounded: 300 s)
  local deadline=$(( $(date +%s) + 300 ))
  until curl -s --max-time 1 "http://127.0.0.1:$(api_of "$1")/patroni" | grep -Eq '"role": ?"replica"' \
      && psql -h 127.0.0.1 -p "$(port_of "$(leader)")" -U postgres -qAtc \
         "SELECT 1 FROM pg_stat_replication WHERE application_name = '$1' AND state = 'streaming'" 2>/dev/null | grep -q 1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$1 not streaming within 300 s" >&2; return 1; }
    sleep 0.05
  done
}
survivor_ticks() { # CPU clock ticks used so far by the agents of every node but $1
  local n t=0
  for n in "${NODES[@]}"; do
    [ "$n" = "$1" ] || t=$((t + $(ticks "/proc/$(cat "$DIR/$n/agent.pid")/stat")))
  done
  echo "$t"
}
reset_peaks() { # the agents of every node but $1: resident high-water mark back to now (clear_refs 5)
  local n
  for n in "${NODES[@]}"; do
    [ "$n" = "$1" ] || echo 5 2>/dev/null > "/proc/$(cat "$DIR/$n/agent.pid")/clear_refs" || return 1
  done
}
survivor_peak_mb() { # the largest resident high-water mark among the agents of every node but $1, MB
  local n kb m=0
  for n in "${NODES[@]}"; do
    [ "$n" = "$1" ] && continue
    kb=$(awk '/VmHWM/{print $2}' "/proc/$(cat "$DIR/$n/agent.pid")/status")
    [ "$kb" -gt "$m" ] && m=$kb
  done
  echo "scale=1; $m / 1024" | bc
}
switchover_client() { # file: the time and port of every acknowledged insert, until file.stop exists (bounded: 120 s)
  local end=$(( $(date +%s) + 120 )) last=""
  while [ ! -e "$1.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
    if last=$(write_anywhere "$last"); then echo "$(now) $last" >> "$1"; fi
  done
}
wait_acked_on() { # file port after: until the client's log holds a write on that port after that time (bounded: 120 s)
  local deadline=$(( $(date +%s) + 120 ))
  until awk -v p="$2" -v t="$3" '$2 == p && $1 > t {found = 1} END {exit !found}' "$1" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "switchover client: no write on port $2 within 120 s (see $1)" >&2; return 1; }
    sleep 0.05
  done
}
stats() { sort -g | awk '{a[NR]=$1} END {printf "%6.2f %8.2f %6.2f", a[1], (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[NR]}'; }

setting() { curl -s http://127.0.0.1:8008/config | grep -Eo "\"$1\": ?[0-9]+" | grep -Eo '[0-9]+$'; }

# measure: RUNS rounds against the cluster run by $DEMO in $DIR; fills death, crash, rejoin, restart
measure() {
  export PGPASSWORD; PGPASSWORD=$(cat "$DIR/pg-password")
  L=$(leader) || { echo "no leader: is the cluster running? (deploy/local/demo.sh up)" >&2; exit 1; }
  psql -h 127.0.0.1 -p "$(port_of "$L")" -U postgres -d postgres -qAtc "CREATE TABLE IF NOT EXISTS bench_probe (at timestamptz)"
  LOOP_WAIT=$(setting loop_wait)
  death=(); crash=(); freeze=(); rejoin=(); restart=(); deathcpu=(); deathrss=(); swgap=(); swwrite=()
  for r in $(seq 1 "$RUNS"); do
    wait_ready
    # A node dies at a random moment relative to the leader's renewals: wait a random 0..loop_wait
    # first, so that the figure is not biased by the loop's phase.
    sleep "$(awk -v lw="$LOOP_WAIT" -v seed="$RANDOM" 'BEGIN {srand(seed); printf "%.2f", rand() * lw}')"
    L=$(leader)
    c0=$(survivor_ticks "$L")
    peaks=1; reset_peaks "$L" || peaks=""
    declare -A th0=()
    if [ -n "${FOOTPRINT_THREADS:-}" ]; then
      for n in "${NODES[@]}"; do [ "$n" = "$L" ] || th0[$n]=$(thread_ticks "$(cat "$DIR/$n/agent.pid")"); done
    fi
    t0=$(now)
    kill -9 "$(cat "$DIR/$L/agent.pid")" "$(head -1 "$DIR/$L/data/postmaster.pid")"
    echo "run $r: killed $L (agent and postmaster) at $(date -d "@$t0" +%T.%3N)" >&2
    wait_write; death+=("$(echo "$(now) - $t0" | bc)")
    deathcpu+=("$(echo "scale=2; ($(survivor_ticks "$L") - $c0) / $(getconf CLK_TCK)" | bc)")
    [ -z "$peaks" ] || deathrss+=("$(survivor_peak_mb "$L")")
    for n in "${!th0[@]}"; do
      ap=$(cat "$DIR/$n/agent.pid")
      echo "run $r: $n's agent (up $(ps -o etimes= -p "$ap" | tr -d ' ') s) during the node death, clock ticks per thread:" >&2
      thread_diff "${th0[$n]}" "$(thread_ticks "$ap")" >&2
    done
    t0=$(now); "$DEMO" start "$L" >/dev/null
    wait_streaming "$L"
    rejoin+=("$(echo "$(now) - $t0" | bc)")
    wait_ready
    R=$(replica_name); "$DEMO" stop "$R" >/dev/null; t0=$(now); "$DEMO" start "$R" >/dev/null
    wait_streaming "$R"; restart+=("$(echo "$(now) - $t0" | bc)")
    wait_ready
    L=$(leader); t0=$(now)
    kill -9 "$(head -1 "$DIR/$L/data/postmaster.pid")"
    wait_write; crash+=("$(echo "$(now) - $t0" | bc)")
    wait_ready
    L=$(leader); ap=$(cat "$DIR/$L/agent.pid"); pp=$(head -1 "$DIR/$L/data/postmaster.pid")
    frozen="$ap $pp $(pgrep -P "$ap" | tr '\n' ' ') $(pgrep -P "$pp" | tr '\n' ' ')"
    t0=$(now)
    # shellcheck disable=SC2086
    kill -STOP $frozen
    wait_write_elsewhere "$(port_of "$L")"; freeze+=("$(echo "$(now) - $t0" | bc)")
    # shellcheck disable=SC2086
    kill -CONT $frozen 2>/dev/null || true
    wait_ready
    L=$(leader); C=$(candidate_name); log=$DIR/switchover-$r.acks
    rm -f "$log" "$log.stop"
    switchover_client "$log" & client=$!
    wait_acked_on "$log" "$(port_of "$L")" 0
    wait_acked_on "$log" "$(port_of "$L")" "$(now)"   # two writes before: the client's usual gap
    t0=$(now)
    switchover "$L" "$C" || { touch "$log.stop"; exit 1; }
    wait_acked_on "$log" "$(port_of "$C")" "$t0"
    t1=$(now)
    wait_acked_on "$log" "$(port_of "$C")" "$t1"   # one more after it: the gap before the first one is closed
    touch "$log.stop"; wait "$client"
    swwrite+=("$(awk -v p="$(port_of "$C")" -v t="$t0" '$2 == p && $1 > t {printf "%.3f", $1 - t; exit}' "$log")")
    swgap+=("$(awk -v t="$t0" '$1 > t && prev {g = $1 - prev; if (g > m) m = g} {prev = $1} END {printf "%.3f", m}' "$log")")
    usual=$(awk -v t="$t0" '$1 <= t && prev {print $1 - prev} {prev = $1}' "$log" | median)
    rm -f "$log" "$log.stop"
    echo "run $r: node death ${death[-1]} s, pg crash ${crash[-1]} s, node freeze ${freeze[-1]} s, rejoin ${rejoin[-1]} s, replica restart ${restart[-1]} s, switchover $L -> $C write gap ${swgap[-1]} s (the client's usual gap $usual s; first write on $C ${swwrite[-1]} s after the POST), survivors' CPU during node death ${deathcpu[-1]} s${peaks:+, survivors peak resident ${deathrss[-1]} MB}" >&2
  done
}

median() { sort -g | awk '{a[NR]=$1} END {printf "%.2f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
medians() { # one line each, in the order of the table
  local name
  for name in death crash freeze rejoin restart swgap swwrite deathcpu deathrss; do
    local -n runs=$name
    if [ ${#runs[@]} -eq 0 ]; then echo n/a; continue; fi
    printf '%s\n' "${runs[@]}" | median; echo
  done
}

table() { # title
  echo "$1   runs: $RUNS   ttl: $(setting ttl)  loop_wait: $(setting loop_wait)  retry_timeout: $(setting retry_timeout)  synchronous_mode: $(curl -s http://127.0.0.1:8008/config | grep -Eo '"synchronous_mode": ?(true|false)' | grep -Eo '(true|false)$' || echo false)"
  printf "%-34s %6s %8s %6s\n" "seconds" "min" "median" "max"
  printf "%-34s %s\n" "node death -> first write" "$(printf '%s\n' "${death[@]}" | stats)"
  printf "%-34s %s\n" "postmaster crash -> first write" "$(printf '%s\n' "${crash[@]}" | stats)"
  printf "%-34s %s\n" "node freeze -> first write" "$(printf '%s\n' "${freeze[@]}" | stats)"
  printf "%-34s %s\n" "killed primary back -> streaming" "$(printf '%s\n' "${rejoin[@]}" | stats)"
  printf "%-34s %s\n" "restarted replica -> streaming" "$(printf '%s\n' "${restart[@]}" | stats)"
  printf "%-34s %s\n" "switchover: longest write gap" "$(printf '%s\n' "${swgap[@]}" | stats)"
  printf "%-34s %s\n" "switchover: POST -> write on new" "$(printf '%s\n' "${swwrite[@]}" | stats)"
  printf "%-34s %s\n" "node death: survivors' agent CPU s" "$(printf '%s\n' "${deathcpu[@]}" | stats)"
  if [ ${#deathrss[@]} -gt 0 ]; then
    printf "%-34s %s\n" "node death: survivors' peak RSS MB" "$(printf '%s\n' "${deathrss[@]}" | stats)"
  else
    echo "node death: survivors' peak RSS MB  n/a (resetting the high-water mark needs root)"
  fi
}

if [ -z "$VS_PATRONI" ]; then
  measure
  table "Vigil"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "--vs-patroni needs root (it starts both clusters as the postgres user)" >&2; exit 2; }
if curl -s --max-time 1 -o /dev/null http://127.0.0.1:8008/ || curl -s --max-time 1 -o /dev/null http://127.0.0.1:2379/health; then
  echo "ports 8008 or 2379 are in use (a demo running?): stop it first (deploy/local/demo.sh down)" >&2; exit 2
fi
FOOT_SECS=${FOOTPRINT_SECONDS:-60}
WORK=$(mktemp -d /tmp/vs-patroni.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  local rc=$?
  VIGIL_DEMO_DIR=$WORK/vigil "$HERE/../deploy/local/demo.sh" down >/dev/null 2>&1 || true
  PATRONI_BENCH_DIR=$WORK/patroni "$HERE/patroni-cluster.sh" down >/dev/null 2>&1 || true
  if [ "$rc" -eq 0 ]; then rm -rf "$WORK"; else echo "failed: logs kept in $WORK/{vigil,patroni}/nodeN/agent.log" >&2; fi
}
trap cleanup EXIT

export VIGIL_DEMO_DIR=$WORK/vigil
DIR=$VIGIL_DEMO_DIR
"$DEMO" up >/dev/null
measure
VIGIL_TABLE=$(table "Vigil")
wait_healthy
VIGIL_FOOT=$(VIGIL_DEMO_DIR=$DIR "$HERE/footprint.sh" "$FOOT_SECS" ${FOOTPRINT_THREADS:+--threads})
mapfile -t v < <(medians)
"$DEMO" down >/dev/null
echo "$VIGIL_TABLE"   # now, not only at the end: a failure on Patroni's side keeps Vigil's figures
echo

export PATRONI_BENCH_DIR=$WORK/patroni
DIR=$PATRONI_BENCH_DIR
DEMO=$HERE/patroni-cluster.sh
"$DEMO" up >/dev/null
measure
PATRONI_TABLE=$(table "Patroni $(patroni --version 2>/dev/null | awk '{print $2}')")
wait_healthy
PATRONI_FOOT=$(VIGIL_DEMO_DIR=$DIR "$HERE/footprint.sh" "$FOOT_SECS" ${FOOTPRINT_THREADS:+--threads})
mapfile -t p < <(medians)
"$DEMO" down >/dev/null

echo "$PATRONI_TABLE"
echo
echo "idle agents after the runs, over $FOOT_SECS s (agent process only; Postgres not included)"
echo "Vigil:"; echo "$VIGIL_FOOT"
echo "Patroni:"; echo "$PATRONI_FOOT"
echo
printf "%-34s %8s %8s %8s\n" "medians, seconds" "Vigil" "Patroni" "ratio"
names=("node death -> first write" "postmaster crash -> first write" "node freeze -> first write" "killed primary back -> streaming" "restarted replica -> streaming" "switchover: longest write gap" "switchover: POST -> write on new" "node death: survivors' agent CPU s" "node death: survivors' peak RSS MB")
for i in "${!names[@]}"; do
  ratio=n/a
  [ "${v[$i]}" = n/a ] || [ "${p[$i]}" = n/a ] || ratio=$(echo "scale=2; ${v[$i]} / ${p[$i]}" | bc)
  printf "%-34s %8s %8s %8s\n" "${names[$i]}" "${v[$i]}" "${p[$i]}" "$ratio"
done

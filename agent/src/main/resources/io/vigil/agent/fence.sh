#!/bin/bash
# Vigil's fence: stops this node's Postgres when the leader's lease deadline passes without a fresh
# heartbeat from the agent. It runs beside the agent, not inside it, so a frozen or killed agent
# cannot keep a primary writable past its lease.
#   $1  heartbeat file: one line, the deadline in ms on the /proc/uptime clock and a check value
#       (FenceProcess.check), overwritten in place; removed when the agent no longer leads (the fence
#       then exits). Only a line whose check matches moves the deadline: a torn read does not.
#   $2  data directory (for postmaster.pid)
#   $3  the deadline the fence starts with (ms on the /proc/uptime clock)
# It sleeps until the deadline and looks again; renewals have moved the deadline by then, so it
# wakes about once per leader lease, and it forks nothing while it waits.
# `fence.sh --now DATA_DIR`: the agent's own fence (a live agent past its deadline) stops Postgres the
# same way, at once.
usage="vigil-fence: usage: fence.sh HEARTBEAT_FILE DATA_DIR DEADLINE_MS, or fence.sh --now DATA_DIR"
exec {idle}<> <(:)     # a pipe that never has data: `read -t` on it sleeps without a fork
now_ms() {
  local up
  read -r up _ < /proc/uptime
  now=$(( ${up%.*} * 1000 + 10#${up#*.} * 10 ))
}
nap() { # milliseconds
  local frac
  printf -v frac '%03d' $(( $1 % 1000 ))
  read -r -t "$(( $1 / 1000 )).$frac" -u "$idle"
}
# Writers first: stop the postmaster (no new backends) and every backend but the walsenders, with
# builtins only, so nothing more is acknowledged; then let the walsenders send what was, until their
# titles ("streaming LSN") stand still, for 200 ms at most (well inside the margin before the lease
# ends), so an asynchronous replica gets every acknowledged commit the network lets through.
title_of() { title=; read -r -d '' title < "/proc/$1/cmdline" 2>/dev/null; }   # sets $title, no fork
stop_writers_and_drain() { # postmaster pid
  local c title kids=() senders=() before= after i
  kill -STOP "$1" 2>/dev/null
  if [ -r "/proc/$1/task/$1/children" ]; then read -r -a kids < "/proc/$1/task/$1/children"; else kids=($(pgrep -P "$1")); fi
  for c in "${kids[@]}"; do
    title_of "$c"
    if [[ "$title" == *walsender* ]]; then senders+=("$c"); kill -CONT "$c" 2>/dev/null; else kill -STOP "$c" 2>/dev/null; fi
  done
  for i in {1..20}; do
    (( ${#senders[@]} )) || return 0
    after=
    for c in "${senders[@]}"; do title_of "$c"; after+="$title|"; done
    [ "$after" = "$before" ] && return 0
    before=$after
    nap 10
  done
}
stop_postgres() { # why
  local pid
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    stop_writers_and_drain "$pid"
    kill -QUIT "$pid" 2>/dev/null          # immediate shutdown: every backend quits at once
    pkill -KILL -P "$pid" 2>/dev/null      # and none finishes a commit meanwhile
    kill -KILL "$pid" 2>/dev/null
    echo "$(date -Is) vigil-fence: $1; Postgres (pid $pid) stopped" >&2
  fi
}
if [ "${1:-}" = --now ]; then
  [ -n "${2:-}" ] || { echo "$usage" >&2; exit 2; }
  data=$2
  stop_postgres "fenced by the agent at its lease deadline"
  exit 0
fi
hb=$1
data=$2
[[ "${3:-}" =~ ^[0-9]{1,19}$ ]] || { echo "$usage" >&2; exit 2; }
deadline=$(( 10#$3 ))
while [ -f "$hb" ]; do
  d= c= fresh=
  read -r d c < "$hb" 2>/dev/null
  if [[ "$d" =~ ^[0-9]{1,19}$ && "$c" =~ ^[0-9]{1,10}$ ]] \
     && (( 10#$c == (10#$d % 1000000007) * 48271 % 2147483647 )); then
    deadline=$(( 10#$d )) fresh=1
  fi
  now_ms
  if (( now < deadline )); then
    ms=$(( deadline - now ))
    if [ -z "$fresh" ] && (( ms > 50 )); then ms=50; fi   # a torn read: look again soon
    nap $ms; continue
  fi
  stop_postgres "the lease deadline passed without a heartbeat"
  rm -f "$hb"
  exit 0
done

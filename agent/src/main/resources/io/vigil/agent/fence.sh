#!/bin/bash
# Vigil's fence: stops this node's Postgres when the leader's lease deadline passes without a fresh
# heartbeat from the agent. It runs beside the agent, not inside it, so a frozen or killed agent
# cannot keep a primary writable past its lease.
#   $1  heartbeat file: one line, the deadline in ms on the /proc/uptime clock; removed when the
#       agent no longer leads (the fence then exits)
#   $2  data directory (for postmaster.pid)
# It sleeps until the deadline and looks again; renewals have moved the deadline by then, so it
# wakes about once per ttl, and it forks nothing while it waits.
hb=$1
data=$2
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
while [ -f "$hb" ]; do
  deadline=
  read -r deadline < "$hb" 2>/dev/null
  if [[ ! "$deadline" =~ ^[0-9]+$ ]]; then nap 50; continue; fi
  now_ms
  if (( now < deadline )); then nap $(( deadline - now )); continue; fi
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    kill -QUIT "$pid" 2>/dev/null          # immediate shutdown: every backend quits at once
    pkill -KILL -P "$pid" 2>/dev/null      # and none finishes a commit meanwhile
    kill -KILL "$pid" 2>/dev/null
    echo "$(date -Is) vigil-fence: the lease deadline passed without a heartbeat; Postgres (pid $pid) stopped" >&2
  fi
  rm -f "$hb"
  exit 0
done

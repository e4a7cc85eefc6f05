#!/bin/bash
# Vigil's fence: stops this node's Postgres when the leader's lease deadline passes without a fresh
# heartbeat from the agent. It runs beside the agent, not inside it, so a frozen or killed agent
# cannot keep a primary writable past its lease.
#   $1  heartbeat file: one line, the deadline in ms on the /proc/uptime clock; removed when the
#       agent no longer leads (the fence then exits)
#   $2  data directory (for postmaster.pid)
hb=$1
data=$2
uptime_ms() {
  local up
  read -r up _ < /proc/uptime
  echo $(( ${up%.*} * 1000 + 10#${up#*.} * 10 ))
}
while [ -f "$hb" ]; do
  deadline=
  read -r deadline < "$hb" 2>/dev/null
  if [[ "$deadline" =~ ^[0-9]+$ ]] && (( $(uptime_ms) >= deadline )); then
    pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      kill -QUIT "$pid" 2>/dev/null          # immediate shutdown: every backend quits at once
      pkill -KILL -P "$pid" 2>/dev/null      # and none finishes a commit meanwhile
      kill -KILL "$pid" 2>/dev/null
      echo "$(date -Is) vigil-fence: the lease deadline passed without a heartbeat; Postgres (pid $pid) stopped" >&2
    fi
    rm -f "$hb"
    exit 0
  fi
  sleep 0.05
done

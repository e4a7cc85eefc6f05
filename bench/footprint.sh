#!/usr/bin/env bash
# Resident memory and CPU of the demo's idle agents over a window (default 300 s):
#   bench/footprint.sh [SECONDS] [--threads]   (demo running: deploy/local/demo.sh up)
#   --threads: also each agent's CPU per thread name (clock ticks over the window)
set -euo pipefail
DIR=${VIGIL_DEMO_DIR:-/tmp/vigil-demo}
secs=${1:-300}
threads=${2:-}
[ -z "$threads" ] || [ "$threads" = "--threads" ] || { echo "usage: bench/footprint.sh [SECONDS] [--threads]" >&2; exit 2; }
[[ "$secs" =~ ^[0-9]+$ && "$secs" -ge 10 && "$secs" -le 3600 ]] || { echo "SECONDS must be 10..3600" >&2; exit 2; }
hz=$(getconf CLK_TCK)
. "$(dirname "$0")/proc.sh"
declare -A t0 pid
for n in node1 node2 node3; do
  p=$(cat "$DIR/$n/agent.pid" 2>/dev/null) || { echo "$n is not running (demo.sh up)" >&2; exit 1; }
  [ -d /proc/$p ] || { echo "$n is not running (demo.sh up)" >&2; exit 1; }
  pid[$n]=$p
  t0[$n]=$(ticks /proc/$p/stat)
done
declare -A th0
if [ -n "$threads" ]; then
  for n in node1 node2 node3; do th0[$n]=$(thread_ticks "${pid[$n]}"); done
fi
declare -A maxrss
for n in node1 node2 node3; do maxrss[$n]=0; done
end=$((SECONDS + secs))
while [ $SECONDS -lt $end ]; do
  for n in node1 node2 node3; do
    r=$(awk '/VmRSS/{print $2}' /proc/${pid[$n]}/status)
    [ "$r" -gt "${maxrss[$n]}" ] && maxrss[$n]=$r
  done
  sleep 5
done
# anon: the private part of rss (heap, metaspace, code, stacks, malloc); file: mapped files (libjvm, the
# class-data archive), shared with every process that maps them and dropped first under memory pressure
printf "%-6s %12s %12s %9s %9s %10s\n" member rss_now_MB rss_max_MB anon_MB file_MB cpu_%
for n in node1 node2 node3; do
  p=${pid[$n]}
  t1=$(ticks /proc/$p/stat)
  rss=$(awk '/VmRSS/{print $2}' /proc/$p/status)
  anon=$(awk '/RssAnon/{print $2}' /proc/$p/status)
  file=$(awk '/RssFile/{print $2}' /proc/$p/status)
  cpu=$(echo "scale=2; 100 * ($t1 - ${t0[$n]}) / $hz / $secs" | bc)
  printf "%-6s %12.1f %12.1f %9.1f %9.1f %10s\n" "$n" "$(echo "$rss/1024" | bc -l)" "$(echo "${maxrss[$n]}/1024" | bc -l)" \
    "$(echo "$anon/1024" | bc -l)" "$(echo "$file/1024" | bc -l)" "$cpu"
done
[ -n "$threads" ] || exit 0
for n in node1 node2 node3; do
  echo "$n: clock ticks per thread over $secs s ($hz per second; threads that did not run left out)"
  thread_diff "${th0[$n]}" "$(thread_ticks "${pid[$n]}")"
done

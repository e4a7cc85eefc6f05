#!/usr/bin/env bash
# Does an agent's memory grow with role changes? N planned switchovers around the running demo
# (deploy/local/demo.sh up), each to a random replica and until both replicas stream again; after
# every BLOCK of them, each agent's resident memory, live heap (after a full GC, jcmd GC.run),
# metaspace and JIT code cache.
#   bench/switchover-memory.sh [N] [BLOCK]    N 1..1000 (default 100), BLOCK 1..N (default 20, or N when smaller); as root
#                                             or as the agents' user (jcmd attaches as that user)
set -euo pipefail
N=${1:-100}
[[ "$N" =~ ^[0-9]+$ && "$N" -ge 1 && "$N" -le 1000 ]] || { echo "N must be 1..1000" >&2; exit 2; }
BLOCK=${2:-$(( N < 20 ? N : 20 ))}
[[ "$BLOCK" =~ ^[0-9]+$ && "$BLOCK" -ge 1 && "$BLOCK" -le "$N" ]] || { echo "BLOCK must be 1..N" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cluster.sh"
export PGPASSWORD
PGPASSWORD=$(cat "$DIR/pg-password" 2>/dev/null) || { echo "no demo in $DIR (deploy/local/demo.sh up)" >&2; exit 1; }

jcmd_as_owner() { # pid command...: jcmd as the user the JVM runs as
  local pid=$1 user; shift
  user=$(stat -c %U "/proc/$pid")
  if [ "$(id -un)" = "$user" ]; then jcmd "$pid" "$@"; else setpriv --reuid="$user" --regid="$user" --init-groups jcmd "$pid" "$@"; fi
}
kb_to_mb() { echo "scale=1; $1 / 1024" | bc; }
memory() { # after: one line per agent
  local n p heap meta code
  for n in "${NODES[@]}"; do
    p=$(cat "$DIR/$n/agent.pid")
    jcmd_as_owner "$p" GC.run >/dev/null
    read -r heap meta < <(jcmd_as_owner "$p" GC.heap_info | awk '
      /generation|garbage-first heap/ {for (i = 1; i < NF; i++) if ($i == "used") {v = $(i + 1); gsub(/[K,]/, "", v); h += v}}
      /Metaspace/ {v = $3; gsub(/[K,]/, "", v); m = v}
      END {print h, m}')
    code=$(jcmd_as_owner "$p" Compiler.codecache | awk -F'used=' '/CodeCache/ {split($2, a, "Kb"); s += a[1]} END {print s}')
    printf "%6s  %-6s %8s %13s %13s %8s\n" "$1" "$n" "$(kb_to_mb "$(awk '/VmRSS/ {print $2}' "/proc/$p/status")")" \
      "$(kb_to_mb "$heap")" "$(kb_to_mb "$meta")" "$(kb_to_mb "$code")"
  done
}

wait_healthy
printf "%6s  %-6s %8s %13s %13s %8s\n" after member rss_MB heap_live_MB metaspace_MB code_MB
memory 0
for i in $(seq 1 "$N"); do
  l=$(leader) || { echo "no leader answers /primary before switchover $i: see $DIR/nodeN/agent.log" >&2; exit 1; }
  c=$(printf '%s\n' "${NODES[@]}" | grep -vx "$l" | shuf -n 1)
  switchover "$l" "$c"
  wait_healthy
  if [ $((i % BLOCK)) -eq 0 ] || [ "$i" -eq "$N" ]; then memory "$i"; fi
done

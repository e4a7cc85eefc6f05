#!/usr/bin/env bash
# Where the agent's resident memory goes: a JVM with the agent's flags that uses only some of its
# libraries (bench/FootprintParts.java), one line per combination, beside the idle agents.
#   bench/footprint-parts.sh [SECONDS]   (default 60 per combination; demo running: deploy/local/demo.sh up)
# The JVM flags are read from the agent of FLAGS_FROM (default node2).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
DIR=${VIGIL_DEMO_DIR:-/tmp/vigil-demo}
secs=${1:-60}
[[ "$secs" =~ ^[0-9]+$ && "$secs" -ge 5 && "$secs" -le 600 ]] || { echo "SECONDS must be 5..600" >&2; exit 2; }
from=${FLAGS_FROM:-node2}
agent=$(cat "$DIR/$from/agent.pid" 2>/dev/null) && [ -d "/proc/$agent" ] || { echo "the demo is not running (deploy/local/demo.sh up)" >&2; exit 1; }
jar=agent/target/vigil.jar
[ -f "$jar" ] || { echo "$jar is missing (mvn -B -DskipTests package)" >&2; exit 1; }
# The agent's own JVM flags, read from the running agent; its class-data archive is for its own class path.
mapfile -d '' argv < "/proc/$agent/cmdline"
flags=()
for f in "${argv[@]:1}"; do
  [ "$f" = "-jar" ] && break
  case "$f" in -XX:SharedArchiveFile=*|-Xshare:*|-Xlog:cds*) ;; *) flags+=("$f") ;; esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
javac -d "$work" -cp "$jar" bench/FootprintParts.java
chmod -R a+rX "$work"
echo "JVM flags: ${flags[*]}; each combination ${secs} s, then its resident memory"
for parts in none log log,yaml log,yaml,jdbc log,yaml,jdbc,metrics log,yaml,jdbc,metrics,rest \
             log,yaml,jdbc,metrics,rest,etcd log,etcd; do
  MALLOC_ARENA_MAX=2 java "${flags[@]}" -cp "$work:$jar" FootprintParts "$parts" "$secs" \
    http://127.0.0.1:2379 5434 "$DIR/pg-password" 8099
done
for n in node1 node2 node3; do
  printf "%-32s rss %6.1f MB  (the agent, idle)\n" "$n" "$(awk '/VmRSS/{print $2/1024}' "/proc/$(cat "$DIR/$n/agent.pid")/status")"
done

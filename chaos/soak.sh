#!/usr/bin/env bash
# The stability soak: a 3-node cluster (nodes and etcd members in their own network namespaces), in
# synchronous mode at ttl 10 / loop_wait 2 / retry_timeout 3, with the CPU saturated (pgbench against
# the primary and one busy loop per core) and latency and jitter added to every agent's etcd traffic.
# Passes with 0 leader changes and 0 demotions. Needs root and what deploy/local/install-deps.sh installs.
#   chaos/soak.sh [--minutes N] [--delay-ms D] [--jitter-ms J]   (defaults: 30 minutes, 50 ms ± 25 ms)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
minutes=30
delay=50
jitter=25
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --delay-ms) delay=$2; shift 2 ;;
    --jitter-ms) jitter=$2; shift 2 ;;
    *) echo "usage: chaos/soak.sh [--minutes N] [--delay-ms D] [--jitter-ms J]" >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[0-9]+$ && "$minutes" -ge 1 && "$minutes" -le 240 ]] || { echo "--minutes must be 1..240" >&2; exit 2; }
[[ "$delay" =~ ^[0-9]+$ && "$delay" -le 2000 ]] || { echo "--delay-ms must be 0..2000" >&2; exit 2; }
[[ "$jitter" =~ ^[0-9]+$ && "$jitter" -le "$delay" ]] || { echo "--jitter-ms must be 0..delay" >&2; exit 2; }
echo "soak: $minutes min, etcd traffic +$delay ± $jitter ms each way"
mvn -B -q -DskipTests package
mvn -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SoakIT -Dfailsafe.timeout=0 \
  -Dsoak.seconds=$((minutes * 60)) -Dsoak.etcd.delay.ms="$delay" -Dsoak.etcd.jitter.ms="$jitter" 2>&1 \
  | grep --line-buffered -E "soak|Tests run|FAIL|ERROR|Expect|expected"

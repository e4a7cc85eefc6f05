#!/usr/bin/env bash
# The fault-injection campaign: N rounds of a random fault (seeded) against a 3-node cluster whose
# nodes and etcd members are separate network namespaces, in synchronous mode (or asynchronous), under
# a writer and a split-brain probe. Needs root (namespaces) and what deploy/local/install-deps.sh installs.
#   chaos/run.sh [--rounds N] [--seed S] [--faults F1,F2] [--async]
#     default: 50 rounds, a random seed (printed); --faults: only these, e.g. REBOOT_ALL;
#     --async: asynchronous replication, where a failover may lose at most maximum_lag_on_failover of WAL
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
rounds=50
seed=$RANDOM$RANDOM
faults=""
mode=synchronous
test='ChaosIT#everyFault*'
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --async) mode=asynchronous; test='ChaosIT#asynchronously*'; shift ;;
    *) echo "usage: chaos/run.sh [--rounds N] [--seed S] [--faults F1,F2] [--async]" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[0-9]+$ && "$rounds" -ge 1 && "$rounds" -le 10000 ]] || { echo "--rounds must be 1..10000" >&2; exit 2; }
[[ "$faults" =~ ^[A-Za-z_,]*$ ]] || { echo "--faults: comma-separated fault names, e.g. REBOOT_ALL,KILL_PRIMARY_NODE" >&2; exit 2; }
async=""; [ "$mode" = synchronous ] || async=" --async"
echo "chaos: $rounds rounds, $mode, seed $seed${faults:+, faults $faults} (replay with: chaos/run.sh --rounds $rounds --seed $seed${faults:+ --faults $faults}$async)"
mvn -B -q -DskipTests package
mvn -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test="$test" \
  -Dchaos.rounds="$rounds" -Dchaos.seed="$seed" -Dchaos.faults="$faults" -Dfailsafe.timeout=0 2>&1 | grep --line-buffered -v "skip non existing resourceDirectory" | grep --line-buffered -E "chaos|Tests run|FAIL|ERROR|lost|overlap"

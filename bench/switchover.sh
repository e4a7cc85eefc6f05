#!/usr/bin/env bash
# Switchover write gap on the demo behind HAProxy: deploy/local/demo.sh up --haproxy, then
#   bench/switchover.sh [ROUNDS]    (default 5)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$REPO/agent/target/vigil.jar" ] || (cd "$REPO" && mvn -q -B -DskipTests package)
exec java -cp "$REPO/agent/target/vigil.jar" "$REPO/bench/SwitchoverBench.java" "${1:-5}"

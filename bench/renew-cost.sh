#!/usr/bin/env bash
# What the leader's lease renewals cost in CPU: a throwaway etcd on loopback, a JVM with the unit's
# flags, a quiet phase and then renewals at each interval, each phase SECONDS long: through jetcd (as
# the agent renews) and, for comparison, as plain HTTP/1.1 to etcd's JSON gateway.
#   bench/renew-cost.sh [SECONDS] [INTERVAL_MS...]   (default 120; 1000 and 3000 ms)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
secs=${1:-120}
[[ "$secs" =~ ^[0-9]+$ && "$secs" -ge 10 && "$secs" -le 1800 ]] || { echo "SECONDS must be 10..1800" >&2; exit 2; }
shift || true
intervals=("$@")
[ ${#intervals[@]} -gt 0 ] || intervals=(1000 3000)
for i in "${intervals[@]}"; do
  [[ "$i" =~ ^[0-9]+$ && "$i" -ge 100 && "$i" -le 60000 ]] || { echo "INTERVAL_MS must be 100..60000, got $i" >&2; exit 2; }
done
jar=agent/target/vigil.jar
[ -f "$jar" ] || { echo "$jar is missing (mvn -B -DskipTests package)" >&2; exit 1; }
command -v etcd >/dev/null || { echo "etcd is missing (deploy/local/install-deps.sh)" >&2; exit 1; }
# The unit's JVM flags, without its class-data archive (built for the installed jar).
read -r -a unit < <(sed -n 's/^ExecStart=//p' systemd/vigil.service)
flags=()
for f in "${unit[@]:1}"; do
  [ "$f" = "-jar" ] && break
  case "$f" in -XX:SharedArchiveFile=*|-Xshare:*) ;; *) flags+=("$f") ;; esac
done
work=$(mktemp -d)
etcd_pid=
cleanup() { [ -n "$etcd_pid" ] && kill "$etcd_pid" 2>/dev/null && wait "$etcd_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(( 20000 + RANDOM % 10000 ))
etcd --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
  --listen-peer-urls "http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
  --initial-cluster "default=http://127.0.0.1:$((port + 1))" >"$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 100); do
  etcdctl --endpoints "127.0.0.1:$port" endpoint health >/dev/null 2>&1 && break
  kill -0 "$etcd_pid" 2>/dev/null || { echo "etcd did not start:" >&2; tail -5 "$work/etcd.log" >&2; exit 1; }
  sleep 0.1
done
javac -d "$work/classes" -cp "$jar" bench/RenewCost.java
echo "JVM flags: ${flags[*]}"
MALLOC_ARENA_MAX=2 java "${flags[@]}" -cp "$work/classes:$jar" RenewCost "http://127.0.0.1:$port" 3000 "$secs" "${intervals[@]}"

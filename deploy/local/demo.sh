#!/usr/bin/env bash
# Local demo cluster: one etcd and three Vigil nodes (Postgres + agent) on loopback.
#   demo.sh up [--haproxy]  start (or restart) the demo; returns once 1 leader + 2 streaming replicas
#                         (--haproxy: and HAProxy on 127.0.0.1:5000 (primary) / 5001 (replicas) / 5002 (synchronous standby), stats on :7000)
#   demo.sh status        print the cluster
#   demo.sh stop nodeN|etcd    graceful stop of one node (a leader hands over) or of etcd
#   demo.sh start nodeN|etcd   bring it back
#   demo.sh down [--clean]     stop everything; --clean also removes the demo directory
# Environment: VIGIL_DEMO_DIR (default /tmp/vigil-demo); VIGIL_TTL, VIGIL_LOOP_WAIT, VIGIL_RETRY_TIMEOUT
# and VIGIL_SYNC (true: synchronous_mode) seed a new cluster's settings (etcd's settings win once the
# cluster exists); VIGIL_JAVA, the java the agents run on (default: java on the PATH); VIGIL_CALLBACK,
# an executable every new node calls for each of its callbacks (on_start … on_role_change).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${VIGIL_DEMO_DIR:-/tmp/vigil-demo}
PG_USER=postgres
ETCD_PORT=2379
ETCD_PEER_PORT=2380
NODES=(node1 node2 node3)
JAVA=${VIGIL_JAVA:-java}
UNIT=$REPO/systemd/vigil.service

die() { echo "demo.sh: $*" >&2; exit 1; }

node_index() { case "$1" in node1) echo 1;; node2) echo 2;; node3) echo 3;; *) die "unknown node '$1' (node1, node2 or node3)";; esac; }
pg_port() { echo $((5432 + $(node_index "$1"))); }
api_port() { echo $((8007 + $(node_index "$1"))); }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=$PG_USER --regid=$PG_USER --init-groups --reset-env "$@"; else "$@"; fi
}

gen_password() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9_-' | head -c 24; }

write_secret() { # file
  [ -s "$1" ] && return 0
  (umask 077; gen_password > "$1")
  chmod 600 "$1"
}

ensure_deps() {
  if [ "$(id -u)" -eq 0 ]; then
    bash "$REPO/deploy/local/install-deps.sh"
  else
    command -v etcd >/dev/null && [ -x /usr/lib/postgresql/15/bin/pg_ctl ] && [ "$(id -un)" = "$PG_USER" ] \
      || die "run as root (to install etcd-server, PostgreSQL 15 and the '$PG_USER' user), or as '$PG_USER' with them installed"
  fi
}

ensure_jar() {
  if [ ! -f "$REPO/agent/target/vigil.jar" ]; then
    echo "building agent/target/vigil.jar ..."
    (cd "$REPO" && mvn -q -B -DskipTests package) || die "build failed; run 'mvn -DskipTests package' to see why"
  fi
  # copy then rename: a running JVM keeps the old file; overwriting it in place would break it
  if ! cmp -s "$REPO/agent/target/vigil.jar" "$DIR/vigil.jar"; then
    cp -p "$REPO/agent/target/vigil.jar" "$DIR/vigil.jar.new" && mv -f "$DIR/vigil.jar.new" "$DIR/vigil.jar"
  fi
}

# A class-data-sharing archive of the agent's classes: agents start about 1.5 s sooner.
ensure_cds() {
  local jsa; jsa=$(cds_archive)
  [ -f "$jsa" ] && [ "$jsa" -nt "$DIR/vigil.jar" ] && return 0
  rm -f "$jsa"
  as_pg "$JAVA" -XX:ArchiveClassesAtExit="$jsa" -jar "$DIR/vigil.jar" warmup >/dev/null 2>&1 \
    || { rm -f "$jsa"; echo "note: no CDS archive (agents start without it)"; }
}

# An archive fits only the JVM that wrote it: one per java.
cds_archive() {
  local bin; bin=$(command -v "$JAVA") || die "no java at '$JAVA' (VIGIL_JAVA)"
  echo "$DIR/vigil-$(basename "$(dirname "$(dirname "$(readlink -f "$bin")")")").jsa"
}

write_config() { # node
  local n=$1 f="$DIR/$1/vigil.yml"
  [ -f "$f" ] && return 0
  mkdir -p "$DIR/$n"
  cat > "$f" <<YAML
scope: demo
name: $n
etcd:
  hosts: [127.0.0.1:$ETCD_PORT]
restapi:
  listen: 127.0.0.1:$(api_port "$n")
  authentication: {username: vigil, password_file: $DIR/rest-password}
postgresql:
  data_dir: $DIR/$n/data
  listen: 127.0.0.1:$(pg_port "$n")
  authentication:
    superuser: {username: postgres, password_file: $DIR/pg-password}
    replication: {username: replicator, password_file: $DIR/repl-password}
  parameters: {shared_buffers: 64MB, max_connections: 50}
${VIGIL_CALLBACK:+  callbacks: {on_start: $VIGIL_CALLBACK, on_stop: $VIGIL_CALLBACK, on_restart: $VIGIL_CALLBACK, on_reload: $VIGIL_CALLBACK, on_role_change: $VIGIL_CALLBACK\}}
bootstrap:
  dcs:
    ttl: ${VIGIL_TTL:-30}
    loop_wait: ${VIGIL_LOOP_WAIT:-10}
    retry_timeout: ${VIGIL_RETRY_TIMEOUT:-10}
    maximum_lag_on_failover: 1048576
    synchronous_mode: ${VIGIL_SYNC:-false}
YAML
}

start_etcd() {
  if alive "$DIR/etcd.pid"; then return 0; fi
  mkdir -p "$DIR/etcd"
  nohup etcd --name demo --data-dir "$DIR/etcd/data" \
    --listen-client-urls http://127.0.0.1:$ETCD_PORT --advertise-client-urls http://127.0.0.1:$ETCD_PORT \
    --listen-peer-urls http://127.0.0.1:$ETCD_PEER_PORT --initial-advertise-peer-urls http://127.0.0.1:$ETCD_PEER_PORT \
    --initial-cluster demo=http://127.0.0.1:$ETCD_PEER_PORT --log-level warn >> "$DIR/etcd/etcd.log" 2>&1 &
  echo $! > "$DIR/etcd.pid"
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1 && return 0
    alive "$DIR/etcd.pid" || break
    sleep 0.2
  done
  die "etcd did not start; see $DIR/etcd/etcd.log (is port $ETCD_PORT in use?)"
}

# The unit's JVM flags (systemd/vigil.service), so that demo agents run as installed ones; less its
# archive (the demo writes one per java) and any flag this java lacks, as install.sh does.
unit_flags() {
  local f
  for f in $(sed -n 's/^ExecStart=[^ ]* \(.*\) -jar .*/\1/p' "$UNIT"); do
    case "$f" in
      -XX:SharedArchiveFile=*|-Xshare:*|-XX:ArchiveRelocationMode=*) ;;
      -XX:TrimNativeHeapInterval=*) "$JAVA" "$f" -version >/dev/null 2>&1 && echo "$f" ;;
      *) echo "$f" ;;
    esac
  done
}

# The unit's environment, less its config path (the demo passes -c).
unit_env() { sed -n 's/^Environment=//p' "$UNIT" | tr ' ' '\n' | grep -v -e '^VIGIL_CONFIG=' -e '^$'; }

java_opts() {
  local flags; flags=$(unit_flags | tr '\n' ' ')
  [ -n "$flags" ] || die "no 'ExecStart=java ... -jar' line in $UNIT"
  echo "$flags ${VIGIL_EXTRA_JAVA_OPTS:-}"
  local jsa; jsa=$(cds_archive)
  [ -f "$jsa" ] && echo "-XX:ArchiveRelocationMode=0 -XX:SharedArchiveFile=$jsa -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"
  return 0
}

start_node() { # node
  local n=$1 opts envs
  alive "$DIR/$n/agent.pid" && return 0
  opts=$(java_opts)
  envs=$(unit_env)
  # exec all the way down, so that $! is the agent's own pid
  (
    cd "$DIR/$n"
    if [ "$(id -u)" -eq 0 ]; then
      exec setpriv --reuid=$PG_USER --regid=$PG_USER --init-groups --reset-env \
        env $envs nohup "$JAVA" $opts -jar "$DIR/vigil.jar" agent -c "$DIR/$n/vigil.yml"
    else
      exec env $envs nohup "$JAVA" $opts -jar "$DIR/vigil.jar" agent -c "$DIR/$n/vigil.yml"
    fi
  ) >> "$DIR/$n/agent.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$n/agent.pid"
}

stop_node() { # node
  local n=$1 pidf="$DIR/$1/agent.pid"
  if alive "$pidf"; then
    kill -TERM "$(cat "$pidf")"
    for _ in $(seq 1 900); do alive "$pidf" || break; sleep 0.1; done
    alive "$pidf" && { echo "agent of $n did not stop within 90 s; killing it" >&2; kill -KILL "$(cat "$pidf")"; }
  fi
  rm -f "$pidf"
  # Postgres left behind by a killed agent, and backends orphaned by a killed postmaster.
  if [ -f "$DIR/$n/data/postmaster.pid" ]; then
    as_pg /usr/lib/postgresql/15/bin/pg_ctl stop -D "$DIR/$n/data" -m fast -w -t 30 >/dev/null 2>&1 || true
  fi
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/cwd" 2>/dev/null)" in "$DIR/$n/data"|"$DIR/$n/data/"*) kill -KILL "${p#/proc/}" 2>/dev/null || true;; esac
  done
}

stop_etcd() {
  if alive "$DIR/etcd.pid"; then
    kill -TERM "$(cat "$DIR/etcd.pid")"
    for _ in $(seq 1 100); do alive "$DIR/etcd.pid" || break; sleep 0.1; done
  fi
  rm -f "$DIR/etcd.pid"
}

cluster_json() { curl -sf --max-time 2 "http://127.0.0.1:$(api_port "$1")/cluster" 2>/dev/null; }

print_cluster() {
  local json=""
  for n in "${NODES[@]}"; do json=$(cluster_json "$n") && [ -n "$json" ] && break; done
  [ -n "$json" ] || { echo "no agent answers on 127.0.0.1:8008-8010"; return 1; }
  if command -v python3 >/dev/null; then
    python3 - "$json" <<'PY'
import json, sys
c = json.loads(sys.argv[1])
print(f"cluster {c['scope']}")
print(f"{'member':8} {'host:port':17} {'role':8} {'state':10} {'TL':>3} {'lag':>10}")
for m in c["members"]:
    hp = f"{m.get('host','?')}:{m.get('port','?')}"
    lag = "" if m["role"] == "leader" else str(m.get("lag", "?"))
    print(f"{m['name']:8} {hp:17} {m['role']:8} {m['state']:10} {m.get('timeline',''):>3} {lag:>10}")
PY
  else
    echo "$json"
  fi
}

healthy() {
  local json
  json=$(cluster_json node1 || cluster_json node2 || cluster_json node3) || return 1
  [ "$(grep -o '"role":"leader"' <<<"$json" | wc -l)" -eq 1 ] && [ "$(grep -o '"state":"streaming"' <<<"$json" | wc -l)" -eq 2 ]
}

any_running() {
  alive "$DIR/etcd.pid" && return 0
  alive "$DIR/haproxy.pid" && return 0
  for n in "${NODES[@]}"; do alive "$DIR/$n/agent.pid" && return 0; done
  return 1
}

# HAProxy from deploy/haproxy/haproxy.cfg; returns once port 5000 routes to the leader alone.
start_haproxy() {
  alive "$DIR/haproxy.pid" && return 0
  sed "s|/tmp/vigil-haproxy.sock|$DIR/haproxy.sock|" "$REPO/deploy/haproxy/haproxy.cfg" > "$DIR/haproxy.cfg"
  haproxy -D -p "$DIR/haproxy.pid" -f "$DIR/haproxy.cfg" || die "haproxy did not start (ports 5000, 5001, 5002, 7000 free?)"
  local leader up
  for _ in $(seq 1 150); do
    leader=""
    for n in "${NODES[@]}"; do
      [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$(api_port "$n")/primary")" = 200 ] && leader=$n
    done
    up=$(curl -s --max-time 1 "http://127.0.0.1:7000/;csv" | awk -F, '$1 == "primary" && $2 != "BACKEND" && $2 != "FRONTEND" && $18 == "UP" {print $2}')
    [ -n "$leader" ] && [ "$up" = "$leader" ] && { echo "haproxy: 127.0.0.1:5000 -> $leader (primary), 127.0.0.1:5001 -> replicas"; return 0; }
    sleep 0.2
  done
  die "haproxy does not route port 5000 to the leader alone after 30 s; see http://127.0.0.1:7000/"
}

stop_haproxy() {
  if alive "$DIR/haproxy.pid"; then kill -TERM "$(cat "$DIR/haproxy.pid")"; fi
  rm -f "$DIR/haproxy.pid"
}

cmd_up() {
  if [ "${1:-}" = "--haproxy" ]; then WITH_HAPROXY=1; fi
  if any_running; then
    [ -n "${WITH_HAPROXY:-}" ] && start_haproxy
    echo "the demo in $DIR is already running; nothing changed (demo.sh down first to restart it)"
    print_cluster || true
    return 0
  fi
  ensure_deps
  mkdir -p "$DIR"
  write_secret "$DIR/pg-password"
  write_secret "$DIR/repl-password"
  write_secret "$DIR/rest-password"
  for n in "${NODES[@]}"; do write_config "$n"; done
  ensure_jar
  [ "$(id -u)" -eq 0 ] && chown -R $PG_USER: "$DIR"
  ensure_cds
  start_etcd
  for n in "${NODES[@]}"; do start_node "$n"; done
  echo "waiting for one leader and two streaming replicas ..."
  for _ in $(seq 1 600); do healthy && break; sleep 0.2; done
  healthy || { print_cluster || true; die "cluster not healthy after 120 s; see $DIR/nodeN/agent.log"; }
  print_cluster
  [ -n "${WITH_HAPROXY:-}" ] && start_haproxy
  echo "passwords (mode 600, never printed): $DIR/pg-password (postgres), $DIR/rest-password (REST user vigil)"
  echo "psql: PGPASSWORD=\$(cat $DIR/pg-password) psql -h 127.0.0.1 -p 5433 -U postgres"
  echo "switchover: curl -s -u vigil:\$(cat $DIR/rest-password) -XPOST http://127.0.0.1:8009/switchover -d '{\"leader\":\"node1\",\"candidate\":\"node2\"}'"
}

cmd_down() {
  # replicas first, the leader last: stopping a leader first would hand over to a replica about to stop
  local leader="" n
  for n in "${NODES[@]}"; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$(api_port "$n")/primary")" = 200 ] && leader=$n
  done
  for n in "${NODES[@]}"; do [ "$n" = "$leader" ] || stop_node "$n"; done
  [ -z "$leader" ] || stop_node "$leader"
  stop_etcd
  stop_haproxy
  if [ "${1:-}" = "--clean" ]; then rm -rf "$DIR"; echo "removed $DIR"; fi
  echo "demo stopped"
}

case "${1:-}" in
  up) shift; cmd_up "${1:-}" ;;
  down) shift; cmd_down "${1:-}" ;;
  status) print_cluster ;;
  stop)
    [ -n "${2:-}" ] || die "usage: demo.sh stop nodeN|etcd"
    if [ "$2" = etcd ]; then stop_etcd; else node_index "$2" >/dev/null; stop_node "$2"; fi ;;
  start)
    [ -n "${2:-}" ] || die "usage: demo.sh start nodeN|etcd"
    [ -d "$DIR" ] || die "no demo in $DIR; run demo.sh up first"
    if [ "$2" = etcd ]; then start_etcd; else node_index "$2" >/dev/null; start_node "$2"; fi ;;
  *) echo "usage: demo.sh up|down [--clean]|status|stop nodeN|etcd|start nodeN|etcd" >&2; exit 2 ;;
esac

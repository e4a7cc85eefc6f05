#!/usr/bin/env bash
# A Patroni 3.0.2 cluster laid out like Vigil's demo, for side-by-side benchmarks (bench/failover.sh
# --vs-patroni): one etcd on 127.0.0.1:2379, node1..node3 with Postgres on 5433-5435 and the REST API
# on 8008-8010, data and logs under ${PATRONI_BENCH_DIR:-/tmp/patroni-bench}/nodeN/ (data, agent.pid,
# agent.log), the superuser password in pg-password. Same commands as demo.sh:
#   patroni-cluster.sh up | down [--clean] | status | stop nodeN | start nodeN
# VIGIL_TTL, VIGIL_LOOP_WAIT, VIGIL_RETRY_TIMEOUT seed the timing, as for the demo. Needs root (it
# installs Debian's patroni package when missing and runs Patroni as the postgres user).
set -euo pipefail

DIR=${PATRONI_BENCH_DIR:-/tmp/patroni-bench}
PG_USER=postgres
NODES=(node1 node2 node3)

die() { echo "patroni-cluster.sh: $*" >&2; exit 1; }
node_index() { case "$1" in node1) echo 1;; node2) echo 2;; node3) echo 3;; *) die "unknown node '$1' (node1, node2 or node3)";; esac; }
pg_port() { echo $((5432 + $(node_index "$1"))); }
api_port() { echo $((8007 + $(node_index "$1"))); }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
gen_password() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9_-' | head -c 24; }

ensure_deps() {
  [ "$(id -u)" -eq 0 ] || die "run as root (Patroni runs as '$PG_USER'; its package is installed when missing)"
  command -v patroni >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q patroni >/dev/null \
    || die "could not install Debian's patroni package"
  command -v etcd >/dev/null && [ -x /usr/lib/postgresql/15/bin/pg_ctl ] && id "$PG_USER" >/dev/null 2>&1 \
    || die "etcd, PostgreSQL 15 and the '$PG_USER' user are needed: run deploy/local/install-deps.sh"
}

write_config() { # node
  local n=$1
  mkdir -p "$DIR/$n"
  cat > "$DIR/$n/patroni.yml" <<YAML
scope: bench
namespace: /service/
name: $n
restapi:
  listen: 127.0.0.1:$(api_port "$n")
  connect_address: 127.0.0.1:$(api_port "$n")
etcd3:
  hosts: 127.0.0.1:2379
bootstrap:
  dcs:
    ttl: ${VIGIL_TTL:-30}
    loop_wait: ${VIGIL_LOOP_WAIT:-10}
    retry_timeout: ${VIGIL_RETRY_TIMEOUT:-10}
    maximum_lag_on_failover: 1048576
    synchronous_mode: ${VIGIL_SYNC:-false}
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters: {wal_log_hints: 'on', max_wal_senders: 10, max_replication_slots: 10, wal_keep_size: 128MB}
  initdb: [{encoding: UTF8}, {locale: C.UTF-8}, data-checksums]
  pg_hba:
  - local all all trust
  - host replication replicator 127.0.0.1/32 md5
  - host all all 127.0.0.1/32 md5
postgresql:
  listen: 127.0.0.1:$(pg_port "$n")
  connect_address: 127.0.0.1:$(pg_port "$n")
  data_dir: $DIR/$n/data
  bin_dir: /usr/lib/postgresql/15/bin
  pgpass: $DIR/$n/pgpass
  authentication:
    superuser: {username: postgres, password: '$(cat "$DIR/pg-password")'}
    replication: {username: replicator, password: '$(cat "$DIR/repl-password")'}
    rewind: {username: postgres, password: '$(cat "$DIR/pg-password")'}
  parameters: {unix_socket_directories: '$DIR/$n', shared_buffers: 64MB, max_connections: 50}
YAML
  chmod 600 "$DIR/$n/patroni.yml"
}

start_etcd() {
  alive "$DIR/etcd.pid" && return 0
  mkdir -p "$DIR/etcd"
  nohup etcd --name bench --data-dir "$DIR/etcd/data" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster bench=http://127.0.0.1:2380 --log-level warn >> "$DIR/etcd/etcd.log" 2>&1 &
  echo $! > "$DIR/etcd.pid"
  for _ in $(seq 1 100); do
    curl -sf http://127.0.0.1:2379/health >/dev/null 2>&1 && return 0
    alive "$DIR/etcd.pid" || break
    sleep 0.2
  done
  die "etcd did not start; see $DIR/etcd/etcd.log (is port 2379 in use?)"
}

start_node() { # node
  local n=$1
  alive "$DIR/$n/agent.pid" && return 0
  ( cd "$DIR/$n" && exec setpriv --reuid=$PG_USER --regid=$PG_USER --init-groups --reset-env \
      nohup patroni "$DIR/$n/patroni.yml" ) >> "$DIR/$n/agent.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$n/agent.pid"
}

stop_node() { # node: Patroni stops its Postgres on SIGTERM; leftovers of a killed node are stopped too
  local n=$1 pidf="$DIR/$1/agent.pid"
  if alive "$pidf"; then
    kill -TERM "$(cat "$pidf")"
    for _ in $(seq 1 900); do alive "$pidf" || break; sleep 0.1; done
    alive "$pidf" && kill -KILL "$(cat "$pidf")"
  fi
  rm -f "$pidf"
  if [ -f "$DIR/$n/data/postmaster.pid" ]; then
    setpriv --reuid=$PG_USER --regid=$PG_USER --init-groups --reset-env \
      /usr/lib/postgresql/15/bin/pg_ctl stop -D "$DIR/$n/data" -m fast -w -t 30 >/dev/null 2>&1 || true
  fi
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/cwd" 2>/dev/null)" in "$DIR/$n/data"|"$DIR/$n/data/"*) kill -KILL "${p#/proc/}" 2>/dev/null || true;; esac
  done
}

cluster_json() { curl -sf --max-time 2 "http://127.0.0.1:$(api_port "$1")/cluster" 2>/dev/null; }

healthy() { # a leader with both others streaming from it (Patroni 3.0.2 shows replicas as "running")
  local n
  for n in "${NODES[@]}"; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$(api_port "$n")/primary")" = 200 ] || continue
    [ "$(PGPASSWORD=$(cat "$DIR/pg-password") psql -h 127.0.0.1 -p "$(pg_port "$n")" -U postgres -d postgres -qAtc \
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null)" = 2 ] && return 0
  done
  return 1
}

cmd_up() {
  for n in "${NODES[@]}"; do alive "$DIR/$n/agent.pid" && { echo "the Patroni cluster in $DIR is already running"; return 0; }; done
  ensure_deps
  mkdir -p "$DIR"
  for f in pg-password repl-password; do [ -s "$DIR/$f" ] || (umask 077; gen_password > "$DIR/$f"); done
  for n in "${NODES[@]}"; do write_config "$n"; done
  chown -R $PG_USER: "$DIR"
  start_etcd
  for n in "${NODES[@]}"; do start_node "$n"; done
  for _ in $(seq 1 600); do healthy && break; sleep 0.2; done
  healthy || die "Patroni cluster not healthy after 120 s; see $DIR/nodeN/agent.log"
  echo "Patroni cluster up in $DIR"
}

cmd_down() {
  local n
  for n in "${NODES[@]}"; do stop_node "$n"; done
  if alive "$DIR/etcd.pid"; then
    kill -TERM "$(cat "$DIR/etcd.pid")"
    for _ in $(seq 1 100); do alive "$DIR/etcd.pid" || break; sleep 0.1; done
  fi
  rm -f "$DIR/etcd.pid"
  if [ "${1:-}" = "--clean" ]; then rm -rf "$DIR"; fi
  echo "Patroni cluster stopped"
}

case "${1:-}" in
  up) cmd_up ;;
  down) shift; cmd_down "${1:-}" ;;
  status) cluster_json node1 || cluster_json node2 || cluster_json node3 ;;
  stop) node_index "${2:-}" >/dev/null; stop_node "$2" ;;
  start) node_index "${2:-}" >/dev/null; [ -d "$DIR" ] || die "no cluster in $DIR; run up first"; start_node "$2" ;;
  *) echo "usage: patroni-cluster.sh up|down [--clean]|status|stop nodeN|start nodeN" >&2; exit 2 ;;
esac

# Helpers for the bench scripts (sourced): the demo's three nodes (deploy/local/demo.sh) seen from outside.
DIR=${VIGIL_DEMO_DIR:-/tmp/vigil-demo}
NODES=(node1 node2 node3)
PORTS=(5433 5434 5435)

port_of() { echo $((5432 + ${1#node})); }   # nodeN: its Postgres port
api_of() { echo $((8007 + ${1#node})); }    # nodeN: its REST port
leader() { # prints nodeN of the node whose /primary is 200
  local n
  for n in "${NODES[@]}"; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$(api_of "$n")/primary")" = 200 ] && { echo "$n"; return 0; }
  done
  return 1
}
streaming_on() { # leader node: how many standbys stream from it (pg_stat_replication)
  psql -h 127.0.0.1 -p "$(port_of "$1")" -U postgres -d postgres -qAtc \
    "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || echo 0
}
wait_healthy() { # one primary with both others streaming from it (bounded: 300 s)
  local deadline=$(( $(date +%s) + 300 )) l
  until l=$(leader) && [ "$(streaming_on "$l")" -ge 2 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "cluster not healthy within 300 s" >&2; return 1; }
    sleep 0.2
  done
}
switchover() { # leader candidate: POST /switchover (with the demo's REST password when there is one), answer 200
  local auth=() code
  [ -f "$DIR/rest-password" ] && auth=(-u "vigil:$(cat "$DIR/rest-password")")
  code=$(curl -s -o "$DIR/switchover.out" -w '%{http_code}' --max-time 120 "${auth[@]}" -XPOST \
    "http://127.0.0.1:$(api_of "$1")/switchover" -d "{\"leader\":\"$1\",\"candidate\":\"$2\"}")
  [ "$code" = 200 ] || { echo "switchover $1 -> $2 answered $code: $(cat "$DIR/switchover.out")" >&2; return 1; }
}

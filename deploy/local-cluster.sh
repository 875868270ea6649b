#!/usr/bin/env bash
# A Tasker cluster of N nodes on this machine (loopback), sharing one PostgreSQL.
#
#   deploy/local-cluster.sh start [N]   build if needed, start PostgreSQL (embedded, or use
#                                       TASKER_DB_URL/USER/PASSWORD of a server you run) and N
#                                       nodes: cluster ports 25520.., HTTP ports 8080..
#   deploy/local-cluster.sh status      members and their state, as node 0 sees them
#   deploy/local-cluster.sh logs [i]    follow node i's log (default 0)
#   deploy/local-cluster.sh kill i      kill -9 node i (to watch its tasks move)
#   deploy/local-cluster.sh stop        stop every node (SIGTERM: graceful leave), then PostgreSQL
#
# Environment (all optional): TASKER_JAVA_OPTS (JVM options of every node, e.g. -Xmx512m
# -Dtasker.task.lease=10s), TASKER_LOCAL_HTTP_PORT / TASKER_LOCAL_CLUSTER_PORT (first ports,
# default 8080 / 25520), TASKER_LOCAL_PG_PORT (55432), TASKER_LOCAL_STATE (pid files and logs,
# default deploy/.local).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TASKER_LOCAL_STATE:-$root/deploy/.local}"
mkdir -p "$state"
pg_port="${TASKER_LOCAL_PG_PORT:-55432}"
http_port="${TASKER_LOCAL_HTTP_PORT:-8080}"
cluster_port="${TASKER_LOCAL_CLUSTER_PORT:-25520}"

build() {
  if [ ! -f "$root/server/target/tasker-server-0.1.0-SNAPSHOT.jar" ] \
      || [ ! -f "$root/benchmarks/target/tasker-benchmarks-0.1.0-SNAPSHOT.jar" ]; then
    echo "building..." >&2
    # package, not install: the reactor takes the modules from their target/ directories
    (cd "$root" && mvn -q -B -DskipTests package >&2)
  fi
  # the launcher rebuilds when sources changed: let it do so once, not once per node at once
  "$root/tasker" --help > /dev/null
}

api_key() {
  [ -f "$state/api-key" ] || echo "tsk_local_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" > "$state/api-key"
  cat "$state/api-key"
}

start_postgres() {
  if [ -n "${TASKER_DB_URL:-}" ]; then
    echo "using PostgreSQL at $TASKER_DB_URL"
    return
  fi
  if [ -f "$state/postgres.pid" ] && kill -0 "$(cat "$state/postgres.pid")" 2>/dev/null; then
    echo "PostgreSQL already running on port $pg_port"
  else
    java -cp "$root/benchmarks/target/tasker-benchmarks-0.1.0-SNAPSHOT.jar:$root/benchmarks/target/lib/*" \
      io.tasker.bench.PostgresServer "$pg_port" "$state/postgres-data" > "$state/postgres.log" 2>&1 &
    echo $! > "$state/postgres.pid"
    for _ in $(seq 1 60); do
      grep -q "jdbc:postgresql" "$state/postgres.log" && break
      sleep 1
    done
    grep -q "jdbc:postgresql" "$state/postgres.log" \
      || { echo "PostgreSQL did not start; see $state/postgres.log" >&2; exit 1; }
    echo "PostgreSQL on port $pg_port (data in $state/postgres-data)"
  fi
  export TASKER_DB_URL="jdbc:postgresql://localhost:$pg_port/tasker?reWriteBatchedInserts=true"
  export TASKER_DB_USER=postgres TASKER_DB_PASSWORD=""
}

start() {
  local n="${1:-3}"
  build
  start_postgres
  local key; key="$(api_key)"
  for i in $(seq 0 $((n - 1))); do
    if [ -f "$state/node-$i.pid" ] && kill -0 "$(cat "$state/node-$i.pid")" 2>/dev/null; then
      echo "node-$i already running"; continue
    fi
    TASKER_NODE_NAME="node-$i" TASKER_PORT=$((cluster_port + i)) TASKER_HTTP_PORT=$((http_port + i)) \
    TASKER_SEED_NODES="pekko://tasker@127.0.0.1:$cluster_port" TASKER_DATA_DIR="$state/node-$i" \
    TASKER_API_KEYS="$key=tasks:read,tasks:write,queues:admin" \
      nohup "$root/tasker" > "$state/node-$i.log" 2>&1 &
    echo $! > "$state/node-$i.pid"
    echo "node-$i: cluster port $((cluster_port + i)), HTTP http://localhost:$((http_port + i)), log $state/node-$i.log"
  done
  echo "API key (all scopes): $key"
  echo "try: curl -H 'Authorization: Bearer $key' http://localhost:$http_port/v1/cluster"
}

stop() {
  for pidfile in "$state"/node-*.pid; do
    [ -f "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  for pidfile in "$state"/node-*.pid; do
    [ -f "$pidfile" ] || continue
    local pid; pid="$(cat "$pidfile")"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    rm -f "$pidfile"
  done
  if [ -f "$state/postgres.pid" ]; then
    kill "$(cat "$state/postgres.pid")" 2>/dev/null || true
    rm -f "$state/postgres.pid"
  fi
  echo "stopped"
}

case "${1:-}" in
  start) start "${2:-3}" ;;
  stop) stop ;;
  status) curl -s -H "Authorization: Bearer $(api_key)" "http://localhost:$http_port/v1/cluster"; echo ;;
  logs) tail -f "$state/node-${2:-0}.log" ;;
  kill) kill -9 "$(cat "$state/node-$2.pid")" && rm -f "$state/node-$2.pid" && echo "killed node-$2" ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac

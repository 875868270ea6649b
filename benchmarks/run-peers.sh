#!/usr/bin/env bash
# Runs io.tasker.bench.PeersBenchmark: Tasker, db-scheduler and JobRunr side by side on one
# embedded PostgreSQL (each system in its own JVM, fresh databases), plus PostgreSQL's own
# insert rates; prints a table with the ratios Tasker/peer and writes
# benchmarks/results/peers-<timestamp>.{csv,json,svg,md} and peers-latest.*. Builds if needed.
#   benchmarks/run-peers.sh [--tasks 100000] [--systems tasker,db-scheduler,jobrunr,postgres]
#       [--workloads drain,lateness,steady] [--lateness-tasks 20000] [--lateness-window 20]
#       [--steady-tasks N (default --tasks)] [--fail-every 10] [--pool 10] [--batch 1000]
#       [--enqueue-threads 2] [--pg-durable off|on]
# JVM flags of every system's JVM: BENCH_JAVA_OPTS (default -Xmx1g -XX:+UseG1GC).
# Tuning, same for all where it applies: BENCH_THREADS (handler threads, 20),
# BENCH_DBS_POLLING_MS (db-scheduler polling interval, 100), BENCH_JOBRUNR_POLL_MS (5000).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="$here/target/tasker-benchmarks-0.1.0-SNAPSHOT.jar"

needs_build() {
  [ ! -f "$jar" ] || [ ! -d "$here/target/lib" ] && return 0
  [ -n "$(find "$root/pom.xml" "$root/protocol" "$root/cluster-node" "$here" \
      \( -path '*/target' -o -path '*/results' \) -prune -o \( -type f -newer "$jar" -print \) \
      2>/dev/null | head -1)" ]
}

if needs_build; then
  echo "run-peers: building..." >&2
  # package, not install: the reactor resolves the modules from their target/ directories
  rm -rf "$here/target/lib"   # copy-dependencies never removes a jar a version change left
  (cd "$root" && mvn -q -B -DskipTests package -pl benchmarks -am) >&2
fi

cd "$root"
exec java -Xmx256m -Dlogback.configurationFile=logback-bench.xml \
  "-Dbench.child-opts=${BENCH_JAVA_OPTS:--Xmx1g -XX:+UseG1GC}" \
  -Dbench.threads="${BENCH_THREADS:-20}" \
  -Dbench.dbs.polling-ms="${BENCH_DBS_POLLING_MS:-100}" \
  -Dbench.jobrunr.poll-ms="${BENCH_JOBRUNR_POLL_MS:-5000}" \
  -cp "$jar:$here/target/lib/*" io.tasker.bench.PeersBenchmark --results "$here/results" "$@"

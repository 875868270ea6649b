#!/usr/bin/env bash
# Runs io.tasker.bench.PendingTasksBenchmark: many future tasks pending (enqueue rate, heap
# after GC, lateness of a slice that comes due). Builds first if needed.
#   benchmarks/run-pending.sh [--tasks 1000000] [--journal postgres|h2] [--due 10000]
#                             [--due-window 20] [--due-start 5] [--concurrency 2000]
#                             [--pg-durable off]   (on: PostgreSQL with fsync + synchronous_commit)
# JVM options: BENCH_JAVA_OPTS (default -Xmx1g). Logging: logback-bench.xml (no line per task
# transition); add -Dlogback.configurationFile=logback.xml to BENCH_JAVA_OPTS for the node's own.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="$here/target/tasker-benchmarks-0.1.0-SNAPSHOT.jar"

needs_build() {
  [ ! -f "$jar" ] || [ ! -d "$here/target/lib" ] && return 0
  [ -n "$(find "$root/pom.xml" "$root/protocol" "$root/cluster-node" "$here" \
      \( -path '*/target' -prune \) -o \( -type f -newer "$jar" -print \) 2>/dev/null | head -1)" ]
}

if needs_build; then
  echo "run-pending: building..." >&2
  (cd "$root" && mvn -q -B -DskipTests install -pl benchmarks -am) >&2
fi

exec java -Dlogback.configurationFile=logback-bench.xml ${BENCH_JAVA_OPTS:--Xmx1g} \
  -cp "$jar:$here/target/lib/*" io.tasker.bench.PendingTasksBenchmark "$@"

#!/usr/bin/env bash
# Runs io.tasker.bench.PendingTasksBenchmark: many future tasks pending (enqueue rate, heap
# after GC, lateness of a slice that comes due). Builds first if needed.
#   benchmarks/run-pending.sh [--tasks 1000000] [--journal postgres|h2] [--due 10000]
#                             [--due-window 20] [--due-start 5] [--concurrency 2000]
#                             [--pg-durable off]   (on: PostgreSQL with fsync + synchronous_commit)
#                             [--batch 1]   (N > 1: far-off tasks through enqueueAll, N per call)
# JVM options: BENCH_JAVA_OPTS (default -Xmx1g). Logging: logback-bench.xml (no line per task
# transition); add -Dlogback.configurationFile=$PWD/server/src/main/resources/logback.xml
# to BENCH_JAVA_OPTS for the server's own.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build-if-needed.sh"
build_if_needed run-pending

exec java -Dlogback.configurationFile=logback-bench.xml ${BENCH_JAVA_OPTS:--Xmx1g} \
  -cp "$jar:$here/target/lib/*" io.tasker.bench.PendingTasksBenchmark "$@"

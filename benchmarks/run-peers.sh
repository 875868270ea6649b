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
source "$(dirname "${BASH_SOURCE[0]}")/build-if-needed.sh"
build_if_needed run-peers

cd "$root"
exec java -Xmx256m -Dlogback.configurationFile=logback-bench.xml \
  "-Dbench.child-opts=${BENCH_JAVA_OPTS:--Xmx1g -XX:+UseG1GC}" \
  -Dbench.threads="${BENCH_THREADS:-20}" \
  -Dbench.dbs.polling-ms="${BENCH_DBS_POLLING_MS:-100}" \
  -Dbench.jobrunr.poll-ms="${BENCH_JOBRUNR_POLL_MS:-5000}" \
  -cp "$jar:$here/target/lib/*" io.tasker.bench.PeersBenchmark --results "$here/results" "$@"

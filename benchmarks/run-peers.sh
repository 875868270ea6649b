#!/usr/bin/env bash
# Runs io.tasker.bench.PeersBenchmark: Tasker, db-scheduler and JobRunr side by side on one
# embedded PostgreSQL (pg_stat_statements loaded), each system in its own JVM, warmed up by
# untimed drains of --warmup tasks until its JIT compiler threads take under a tenth of its CPU
# (at most --warmup-rounds), then each workload on a fresh database; all systems --runs
# times, the order reversed every other run; plus PostgreSQL's own insert rates. Prints the cost
# per task (CPU µs of the system's JVM and of PostgreSQL, SQL statements, rows, commits, actor
# messages for Tasker) and the rates and lateness, every run's value, with the ratios
# Tasker/peer per run; writes benchmarks/results/peers-<timestamp>.{csv,json,svg,md} and
# peers-latest.*; the systems' logs go to a temporary folder (printed). Builds if needed.
#   benchmarks/run-peers.sh [--tasks 100000] [--runs 2] [--warmup 10000] [--warmup-rounds 16]
#       [--systems tasker,db-scheduler,jobrunr,postgres (also: tasker-tuned)]
#       [--workloads drain,lateness,burst,steady] [--lateness-tasks 20000]
#       [--lateness-lead 20] [--lateness-window 20] [--burst-tasks 20000] [--burst-lead 5]
#       [--burst-window 20] [--steady-tasks N (default --tasks)] [--fail-every 10] [--pool 10]
#       [--batch 1000] [--enqueue-threads 2] [--pg-durable off|on]
# tasker runs as a user gets it: reference.conf defaults and the server's logback.xml (task
# transitions: failures at INFO, routine ones at DEBUG, so not shown). tasker-tuned: the
# former harness settings (BENCH_THREADS worker
# threads, journal pool = --pool minus 3 index connections, logback-bench.xml).
# JVM flags of every system's JVM: BENCH_JAVA_OPTS (default -Xmx1g -XX:+UseG1GC).
# Peers' tuning (and tasker-tuned's): BENCH_THREADS (handler threads, 20),
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

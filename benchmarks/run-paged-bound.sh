#!/usr/bin/env bash
# Runs io.tasker.bench.PagedLifecycleBound: the bound of a page-batched task life cycle (issue 18)
# on the real schema, without an actor per task. Per page size P: N due tasks enqueued by a real
# node (queue paused, node closed), then drained by --in-flight loops that each claim a page from
# the task index (FOR UPDATE SKIP LOCKED), read its events in one query, record AttemptStarted for
# the page in one transaction, run the no-op handlers on a pool and record AttemptSucceeded in one
# transaction; a node then reads every task back through Tasker.get. Prints tasks/s and the cost
# per task (CPU µs of this JVM and of PostgreSQL, SQL statements, rows written, commits).
# Embedded PostgreSQL 17 with pg_stat_statements; fsync off unless --pg-durable on.
#   benchmarks/run-paged-bound.sh [--tasks 30000] [--pages 100,500,1000] [--in-flight 2]
#       [--threads 20] [--warmup 5000] [--verify all|N|none] [--pg-durable off|on]
#       [--claim index|run_at] [--drop-index NAME,...]  (an ablation: indexes dropped after setup)
# JVM options: BENCH_JAVA_OPTS (default -Xmx1g -XX:+UseG1GC).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build-if-needed.sh"
build_if_needed run-paged-bound

exec java -Dlogback.configurationFile=logback-bench.xml ${BENCH_JAVA_OPTS:--Xmx1g -XX:+UseG1GC} \
  -cp "$jar:$here/target/lib/*" io.tasker.bench.PagedLifecycleBound "$@"

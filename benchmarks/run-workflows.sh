#!/usr/bin/env bash
# Runs io.tasker.bench.WorkflowBenchmark: executions of a 5-step diamond workflow
# (a -> (b, c, d) -> e, no-op handlers) against 5x as many no-op plain tasks on the same node:
# executions/s, tasks/s, and the wall and CPU time a step costs beyond a plain task.
# Builds first if needed. Writes benchmarks/results/workflows-<time>.md.
#   benchmarks/run-workflows.sh [--executions 1000] [--journal h2|postgres] [--concurrency 100]
#                               [--warmup 50] [--pg-durable off]  (on: PostgreSQL with fsync)
# JVM options: BENCH_JAVA_OPTS (default -Xmx1g).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build-if-needed.sh"
build_if_needed run-workflows

exec java -Dlogback.configurationFile=logback-bench.xml ${BENCH_JAVA_OPTS:--Xmx1g} \
  -cp "$jar:$here/target/lib/*" io.tasker.bench.WorkflowBenchmark --results "$here/results" "$@"

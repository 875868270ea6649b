#!/usr/bin/env bash
# Runs io.tasker.bench.ObservabilityBenchmark: Tasker's drain of no-op tasks with metrics and
# tracing off, with a Prometheus registry, and with the registry plus OpenTelemetry SDK tracing
# (each in its own JVM, the order alternating between rounds); prints tasks/s, CPU µs per task
# and the ratios to "off"; writes benchmarks/results/observability-<timestamp>.{json,md}.
#   benchmarks/run-observability.sh [--tasks 20000] [--rounds 2] [--pool 10] [--batch 1000]
#       [--enqueue-threads 2]
# JVM flags of every run's JVM: BENCH_JAVA_OPTS (default -Xmx1g -XX:+UseG1GC);
# handler threads: BENCH_THREADS (20).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build-if-needed.sh"
build_if_needed run-observability

cd "$root"
exec java -Xmx256m -Dlogback.configurationFile=logback-bench.xml \
  "-Dbench.child-opts=${BENCH_JAVA_OPTS:--Xmx1g -XX:+UseG1GC}" \
  -Dbench.threads="${BENCH_THREADS:-20}" \
  -cp "$jar:$here/target/lib/*" io.tasker.bench.ObservabilityBenchmark --results "$here/results" "$@"

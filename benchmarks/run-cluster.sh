#!/usr/bin/env bash
# Runs io.tasker.bench.ClusterBenchmark: throughput with 1, 2 and 3 local node processes, and
# the time from a kill -9 of a node until its tasks run elsewhere. Nodes are started, killed and
# stopped with deploy/local-cluster.sh; PostgreSQL is embedded in the benchmark's JVM.
#   benchmarks/run-cluster.sh [--tasks 20000] [--nodes 1,2,3] [--kill on|off] [--rate 150]
#                             [--sleep-ms 200] [--warmup 20] [--after-kill 30] [--pg-durable off]
#                             [--pg-limit 20000]
#                             [--http-port 18080] [--cluster-port 25620]
# Node JVM options: TASKER_JAVA_OPTS (default below: 512 MB heap, no log line per task
# transition, no per-API-key rate limit). Results: benchmarks/results/cluster-<time>.{json,csv}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build-if-needed.sh"
build_if_needed run-cluster

export TASKER_JAVA_OPTS="${TASKER_JAVA_OPTS:--Xmx512m \
-Dlogback.configurationFile=$here/src/main/resources/logback-bench.xml \
-Dtasker.http.rate-limit.per-key=0}"
exec java -Dlogback.configurationFile=logback-bench.xml -Xmx1g \
  -cp "$jar:$here/target/lib/*" io.tasker.bench.ClusterBenchmark --root "$root" "$@"

#!/usr/bin/env bash
# Runs io.tasker.bench.faults.FaultSuite: faults injected into real node processes
# (io.tasker.server.Main) on the H2 journal and on an embedded PostgreSQL 17 with fsync and
# synchronous_commit on. One row per scenario: accepted / succeeded / lost / ran twice / 5xx.
#   benchmarks/run-faults.sh [--scale small|full] [--only single-kill,node-kill,db-outage,cluster-kill,hostile]
# small: a few minutes; full: about half an hour. Exit status 1 if a row lost a task, left one
# unrun, ran one twice without a LOST attempt on record, or failed its own check.
# Node JVM options: FAULTS_JAVA_OPTS (default below). Node logs and data:
# benchmarks/target/faults-<time>/; results: benchmarks/results/faults-<time>.{json,csv}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build-if-needed.sh"
build_if_needed run-faults

# The nodes run with this JVM's classpath, as ./tasker starts them.
export FAULTS_JAVA_OPTS="${FAULTS_JAVA_OPTS:--Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
-Dlogback.configurationFile=logback-bench.xml -Dtasker.http.rate-limit.per-key=0}"
exec java -Dlogback.configurationFile=logback-bench.xml -Xmx512m \
  -cp "$jar:$here/target/lib/*" io.tasker.bench.faults.FaultSuite --root "$root" "$@"

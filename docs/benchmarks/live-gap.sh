#!/bin/bash
# Gap between live pushes with N WebSockets on one server (docs/benchmarks.md, "Live pushes").
# usage: docs/benchmarks/live-gap.sh <label> [live-bench options, e.g. --sockets 10000 --admit-rate 0]
# Starts the server (embedded stores, port 18471), runs live-bench in a second JVM, records the
# server with JFR while measuring, stops the server. The generator runs with the full JIT: limited
# to C1, or to a 512 MB heap, it could not read 19,500 sockets in time and added its own 1.4-2 s
# gaps (2026-12-07).
# BENCH_JAVA_OPTS adds JVM options to the generator (e.g. -Xlog:gc:file=gc.log).
set -u
LABEL=$1; shift
JAR=${JAR:-server/target/flash-sale.jar}
LOADTEST_JAR=${LOADTEST_JAR:-loadtest/target/flash-sale-loadtest.jar}
OUT=${OUT:-target/live-gap}
mkdir -p "$OUT"
ulimit -n 20000
FLASHSALE_HTTP_PORT=18471 java ${SERVER_JAVA_OPTS:--Xmx512m} -jar "$JAR" > "$OUT/server-$LABEL.log" 2>&1 &
SERVER=$!
for i in $(seq 1 180); do curl -sf http://127.0.0.1:18471/health/ready > /dev/null && break; sleep 1; done
java -Xmx1g ${BENCH_JAVA_OPTS:-} -jar "$LOADTEST_JAR" live-bench --url http://127.0.0.1:18471 --server-pid $SERVER \
  --jfr "$OUT/$LABEL.jfr" --json "$OUT/$LABEL.json" "$@" > "$OUT/bench-$LABEL.log" 2>&1
kill $SERVER; wait $SERVER
# where the server's CPU went while measuring:
#   jfr print --events jdk.ExecutionSample "$OUT/$LABEL.jfr" | grep -c LiveFeed
cat "$OUT/$LABEL.json"

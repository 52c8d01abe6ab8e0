#!/bin/bash
# Group commit of direct purchases (docs/benchmarks.md, docs/benchmarks/reservations.md): for each
# batch window given (default 0 1 2 5 10 ms), starts a server with embedded stores on port 18490,
# measures hello-world and direct purchase with wrk (purchase-wrk.py), prints one table row, stops it.
# usage: docs/benchmarks/reservations.sh [window-ms ...]    env: JAR, OUT, EXTRA_ENV ("K=V K=V")
set -u
cd "$(dirname "$0")/../.."
JAR=${JAR:-server/target/flash-sale.jar}
OUT=${OUT:-target/reservations-bench}
SECRET=reservations-bench-0123456789abcdef0123456789abcdef
mkdir -p "$OUT"
echo "| window | hello/s | purchases/s | ratio | p50 | p99 | reservations/s | PG commits/s | mean batch | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for WINDOW in "${@:-0 1 2 5 10}"; do
  for W in $WINDOW; do
    env ${EXTRA_ENV:-} FLASHSALE_HTTP_PORT=18490 FLASHSALE_JWT_SECRET=$SECRET FLASHSALE_RESERVATIONS_BATCH_WINDOW_MS=$W \
      java -jar "$JAR" server > "$OUT/server-$W.log" 2>&1 &
    SERVER=$!
    for i in $(seq 1 180); do curl -sf http://127.0.0.1:18490/health/ready > /dev/null && break; sleep 1; done
    PG=$(grep -o 'started embedded PostgreSQL at [^ ]*' "$OUT/server-$W.log" | awk '{print $NF}')
    python3 docs/benchmarks/purchase-wrk.py --url http://127.0.0.1:18490 --jwt-secret $SECRET --pg "$PG" \
      --label "${W} ms"
    kill $SERVER; wait $SERVER
  done
done

#!/usr/bin/env bash
# presence on vs off, one run each
# Run from a directory holding server/target/flash-sale.jar and loadtest/target/flash-sale-loadtest.jar.
for presence in true false; do
  FLASHSALE_HTTP_PORT=18080 FLASHSALE_WAITINGROOM_PRESENCE=$presence FLASHSALE_WAITINGROOM_PRESENCE_WINDOW_SECONDS=10 \
    java -Xmx2g -jar flash-sale.jar > server-$presence.log 2>&1 &
  pid=$!
  for i in $(seq 1 60); do curl -sf http://127.0.0.1:18080/health/ready >/dev/null && break; sleep 1; done
  java -jar flash-sale-loadtest.jar loadtest --url http://127.0.0.1:18080 --buyers 20000 --units 1000 --rate 500 \
    --checkout --abandon-rate 0.3 --checkout-ttl 30 --presence-poll-seconds 3 --settle-timeout 400 \
    --json presence-$presence.json > loadtest-$presence.txt 2>&1
  kill $pid; wait $pid
done

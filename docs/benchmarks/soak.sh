#!/usr/bin/env bash
# 10-minute soak: repeated 20k-buyer queued sales against one server; heap after full GC and
# open connections sampled every 30 s.
cd /work/main
FLASHSALE_PAYMENT_SIMULATED_RETENTION_SECONDS=60 java -Xmx1g -jar server/target/flash-sale.jar > target/soak-server.log 2>&1 &
SERVER=$!
sleep 12
PID=$(pgrep -f 'flash-sale.jar$' | head -1)
END=$(( $(date +%s) + 600 ))
( while [ $(date +%s) -lt $END ]; do
    jcmd $PID GC.run > /dev/null 2>&1
    HEAP=$(jcmd $PID GC.heap_info 2>/dev/null | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+')
    CONN=$(ss -tn state established '( sport = :8080 )' 2>/dev/null | tail -n +2 | wc -l)
    PGCONN=$(ss -tnp 2>/dev/null | grep "pid=$PID," | wc -l)
    echo "$(date +%s) heapAfterGcKB=$HEAP httpConnections=$CONN serverSockets=$PGCONN" >> target/soak-samples.txt
    sleep 30
  done ) &
SAMPLER=$!
RUN=0
while [ $(date +%s) -lt $END ]; do
  RUN=$((RUN+1))
  java -jar loadtest/target/flash-sale-loadtest.jar loadtest --buyers 20000 --units 500 --warmup 500 --baseline-requests 1000 --settle-timeout 120 --sale-seconds 90 --checkout --abandon-rate 0.2 --checkout-ttl 5 2>&1 | grep -E 'join |invariants|fully paid' | sed "s/^/run $RUN: /" >> target/soak-runs.txt
done
wait $SAMPLER
jcmd $PID GC.run > /dev/null 2>&1; sleep 2
echo "final $(date +%s) heapAfterGcKB=$(jcmd $PID GC.heap_info | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+') serverSockets=$(ss -tnp 2>/dev/null | grep "pid=$PID," | wc -l)" >> target/soak-samples.txt
kill $SERVER
echo done >> target/soak-samples.txt

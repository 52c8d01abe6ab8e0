#!/usr/bin/env bash
# Server-side CPU per join of the join path's Redis work, on one Redis core: the inputs of
# docs/scaling.md. Starts its own redis-server on a spare port (keeps nothing), drives it with
# 64 clients and random buyers, and divides the server's own CPU time (INFO cpu: used_cpu_user +
# used_cpu_sys) by the joins. The client shares the machine, so the throughput printed is a
# floor; the CPU per join is the figure that transfers.
#
# join_queue.lua takes a batch of joins (the joins of one sale that reached one event loop
# within waitingroom.join-window-ms). With every bot defence on, each buyer has three rate limits
# (user, IP, device), each a subject of its own, counted in the sale's sketch (antibot/
# RateLimitSketch): on a one-slot line by the script itself, in the same call (one BITFIELD and
# one PEXPIRE per window string); on a sharded line by the instance first (the same commands,
# pipelined, a round trip of their own), the script then told who was refused. A good proof of
# work is spent by the ticket, so it costs Redis nothing.
# redis-benchmark cannot name a random counter per call (its random numbers are zero-padded, and
# BITFIELD takes no leading zeros), so redis-script-load.py drives those batches; it drives the
# joins without defences too, beside redis-benchmark, to show the two drivers agree.
set -euo pipefail
PORT=${PORT:-7391}
source "$(dirname "$0")/redis-lib.sh"
JOIN=$(redis-cli -p "$PORT" SCRIPT LOAD "$(expand join_queue)")
K='sale:{bench}:'
redis-cli -p "$PORT" SET "${K}stock" 1000 >/dev/null

cpu() { redis-cli -p "$PORT" INFO cpu | awk -F: '/used_cpu_sys:|used_cpu_user:/{s+=$2} END{printf "%.3f", s}'; }
# measure LABEL CALLS JOINS_PER_CALL redis-benchmark-args...
measure() {
  local label=$1 n=$2 per=$3; shift 3
  local c0 c1 rps
  c0=$(cpu)
  rps=$(redis-benchmark -p "$PORT" -n "$n" -c 64 -r 100000000 "$@" 2>&1 | tr '\r' '\n' \
        | grep -a -oE "[0-9.]+ requests per second" | tail -1)
  c1=$(cpu)
  printf '%-44s %6.1f us server CPU per join   (%s calls, %s per call)\n' "$label" \
    "$(echo "($c1-$c0)*1000000/($n*$per)" | bc -l)" "$rps" "$per"
}
JOIN_KEYS=(${K}tickets ${K}blacklist ${K}seq ${K}line-bits ${K}roster ${K}waiting ${K}prequeue ${K}sealed ${K}stock
           ${K}authq ${K}blacklist-devices ${K}rejections ${K}presence)
# join_args BATCH: sets CMD to the EVALSHA of a batch of BATCH distinct random buyers, no defences.
join_args() {
  local batch=$1 args=(0 "$1" 0) i
  for ((i = 0; i < batch; i++)); do
    args+=("u$i:__rand_int__")
  done
  for ((i = 0; i < batch; i++)); do
    args+=(1 "t$i-__rand_int__" pm_card_visa "dev$i:__rand_int__" "")
  done
  CMD=(EVALSHA "$JOIN" "${#JOIN_KEYS[@]}" "${JOIN_KEYS[@]}" "${args[@]}")
}
# load LABEL ARGS...: a measurement by redis-script-load.py (see its header for ARGS).
load() {
  local label=$1; shift
  printf '%-44s %s\n' "$label" "$(python3 "$(dirname "$0")/redis-script-load.py" "$PORT" "$@")"
}
# Each measurement starts from an empty line (a line of 200,000 buyers at its end), so they compare.
fresh() {
  redis-cli -p "$PORT" FLUSHALL >/dev/null
  redis-cli -p "$PORT" SET "${K}stock" 1000 >/dev/null
}
for batch in 1 16 64; do
  fresh
  join_args "$batch"
  measure "join_queue.lua, defences off, batch $batch" $((200000 / batch)) "$batch" -P 1 "${CMD[@]}"
done
fresh
load "the same, batch 64, redis-script-load.py" "$JOIN" bare 64 3125 "${JOIN_KEYS[@]}"
for batch in 1 16 64; do
  fresh
  load "join_queue.lua counting the limits, batch $batch" "$JOIN" join "$batch" $((200000 / batch)) "${JOIN_KEYS[@]}"
done
for batch in 1 16 64; do
  fresh
  load "limits counted first (sharded), batch $batch" "$JOIN" counted "$batch" $((200000 / batch)) "${JOIN_KEYS[@]}"
done
# Memory of the waiting line (the last batch's buyers) and of the rate-limit counters (one window).
echo "waiting buyers: $(redis-cli -p "$PORT" HLEN "${K}tickets"), rate-limit strings: $(redis-cli -p "$PORT" --scan --pattern "${K}rate-limits:*" | while read -r key; do redis-cli -p "$PORT" STRLEN "$key"; done | awk '{s+=$1} END{print s}') bytes, Redis memory: $(redis-cli -p "$PORT" INFO memory | awk -F: '/used_memory_human/{print $2}' | tr -d '\r')"
# What a join cost before the batch script: these two calls ahead of a join of one, three round trips.
fresh
measure "SET (PoW nonce) alone, no pipeline" 200000 1 -P 1 SET "${K}pow:__rand_int__" 1 NX EX 120
fresh
load "rate limits (3) of one request alone" - limits 200000

#!/usr/bin/env bash
# Server-side CPU per join of the join path's Redis work, on one Redis core: the inputs of
# docs/scaling.md. Starts its own redis-server on a spare port (keeps nothing), drives it with
# redis-benchmark (64 clients, random buyers), and divides the server's own CPU time
# (INFO cpu: used_cpu_user + used_cpu_sys) by the joins. The client shares the machine, so the
# throughput printed is a floor; the CPU per join is the figure that transfers.
#
# join_queue.lua takes a batch of joins (the joins of one sale that reached one event loop
# within waitingroom.join-window-ms); each buyer here carries every bot defence the script
# applies: three rate limits (user, IP, device); a good proof of work is spent by the ticket.
set -euo pipefail
PORT=${PORT:-7391}
source "$(dirname "$0")/redis-lib.sh"
JOIN=$(redis-cli -p "$PORT" SCRIPT LOAD "$(expand join_queue)")
LIMIT=$(redis-cli -p "$PORT" SCRIPT LOAD "$(expand rate_limit)")
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
# join_args BATCH DEFENCES(0|1): sets CMD to the EVALSHA of a batch of BATCH distinct random buyers.
# With defences, each buyer carries the three rate limits (user, IP, device); the proof of work is
# verified by the instance and spent by the ticket it buys, so it costs Redis nothing.
join_args() {
  local batch=$1 defences=$2 keys=("${JOIN_KEYS[@]}") args=(0 "$batch") i n
  for ((i = 0; i < batch; i++)); do
    args+=("u$i:__rand_int__" 1 "t$i-__rand_int__" pm_card_visa "dev$i:__rand_int__" "")
    if [[ $defences == 1 ]]; then
      keys+=("${K}rl:user:$i:__rand_int__" "${K}rl:ip:$i:__rand_int__" "${K}rl:device:$i:__rand_int__")
      n=${#keys[@]}
      args+=(1 3 $((n - 2)) 200 10 $((n - 1)) 50 40 "$n" 200 10)
    else
      args+=(0 0)
    fi
  done
  CMD=(EVALSHA "$JOIN" "${#keys[@]}" "${keys[@]}" "${args[@]}")
}
# Each measurement starts from an empty line (a line of 200,000 buyers at its end), so they compare.
fresh() {
  redis-cli -p "$PORT" FLUSHALL >/dev/null
  redis-cli -p "$PORT" SET "${K}stock" 1000 >/dev/null
}
for defences in 0 1; do
  for batch in 1 16 64; do
    fresh
    calls=$((200000 / batch))
    join_args "$batch" "$defences"
    measure "join_queue.lua, defences $([[ $defences == 1 ]] && echo on || echo off), batch $batch" "$calls" "$batch" \
      -P 1 "${CMD[@]}"
  done
done
# Memory of the waiting line alone (the last batch's buyers, with their rate-limit keys and marks).
echo "waiting buyers: $(redis-cli -p "$PORT" HLEN "${K}tickets"), Redis memory: $(redis-cli -p "$PORT" INFO memory | awk -F: '/used_memory_human/{print $2}' | tr -d '\r')"
# What a join cost before the batch script: these two calls ahead of a join of one, three round trips.
fresh
measure "SET (PoW nonce) alone, no pipeline" 200000 1 -P 1 SET "${K}pow:__rand_int__" 1 NX EX 120
fresh
measure "rate_limit.lua (3 limits) alone" 200000 1 -P 1 EVALSHA "$LIMIT" 3 "${K}rl:user:__rand_int__" "${K}rl:ip:__rand_int__" "${K}rl:device:__rand_int__" 200 10 50 40 200 10

#!/usr/bin/env bash
# Server-side CPU per call of the join path's Redis work, on one Redis core: the inputs of
# docs/scaling.md. Starts its own redis-server on a spare port (keeps nothing), drives it with
# redis-benchmark (64 clients, random buyers), and divides the server's own CPU time
# (INFO cpu: used_cpu_user + used_cpu_sys) by the calls. The client shares the machine, so the
# throughput printed is a floor; the CPU per call is the figure that transfers.
set -euo pipefail
PORT=${PORT:-7391}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
redis-server --port "$PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no --logfile /dev/null
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true' EXIT
sleep 0.5
JOIN=$(redis-cli -p "$PORT" SCRIPT LOAD "$(cat "$HERE/src/main/resources/lua/join_queue.lua")")
LIMIT=$(redis-cli -p "$PORT" SCRIPT LOAD "$(cat "$HERE/src/main/resources/lua/rate_limit.lua")")
K='sale:{bench}:'
redis-cli -p "$PORT" SET "${K}stock" 1000 >/dev/null

cpu() { redis-cli -p "$PORT" INFO cpu | awk -F: '/used_cpu_sys:|used_cpu_user:/{s+=$2} END{printf "%.3f", s}'; }
measure() {
  local label=$1 n=$2; shift 2
  local c0 c1 rps
  c0=$(cpu)
  rps=$(redis-benchmark -p "$PORT" -n "$n" -c 64 -r 100000000 "$@" 2>&1 | tr '\r' '\n' \
        | grep -a -oE "[0-9.]+ requests per second" | tail -1)
  c1=$(cpu)
  printf '%-28s %7.1f us server CPU per call   (%s)\n' "$label" "$(echo "($c1-$c0)*1000000/$n" | bc -l)" "$rps"
}
JOIN_KEYS="${K}tickets ${K}blacklist ${K}seq ${K}line ${K}prequeue ${K}sealed ${K}stock ${K}authq ${K}payment ${K}pm ${K}blacklist-devices ${K}rejections"
measure "join_queue.lua, no pipeline" 500000 -P 1 EVALSHA "$JOIN" 12 $JOIN_KEYS "u:__rand_int__" 1 "t-__rand_int__" 0 pm_card_visa dev
measure "join_queue.lua, pipeline 16" 500000 -P 16 EVALSHA "$JOIN" 12 $JOIN_KEYS "v:__rand_int__" 1 "t-__rand_int__" 0 pm_card_visa dev
# Memory of the waiting line alone, before the other benchmarks add keys of their own.
echo "waiting buyers: $(redis-cli -p "$PORT" HLEN "${K}tickets"), Redis memory: $(redis-cli -p "$PORT" INFO memory | awk -F: '/used_memory_human/{print $2}' | tr -d '\r')"
measure "SET (PoW nonce), no pipeline" 500000 -P 1 SET "${K}pow:__rand_int__" 1 NX EX 120
measure "rate_limit.lua (3 limits)" 500000 -P 1 EVALSHA "$LIMIT" 3 "${K}rl:user:__rand_int__" "${K}rl:ip:__rand_int__" "${K}rl:device:__rand_int__" 200 10 50 40 200 10

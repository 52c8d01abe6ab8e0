#!/usr/bin/env bash
# Redis memory per waiting buyer (issue 18, "a compact line"): a million buyers join one sale
# through join_queue.lua as the engine sends it (16 per call, no bot defence keys, so only the
# line's own structures count), on a private redis-server; INFO memory before and after, divided
# by the tickets, then MEMORY USAGE of each structure of the line (a ticket per buyer, the roster,
# the line bitmap, the presence counts).
#   bash docs/benchmarks/line-memory.sh            # CALLS=62500 x 16 buyers
set -euo pipefail
PORT=${PORT:-7395}
CALLS=${CALLS:-62500}
source "$(dirname "$0")/redis-lib.sh"
JOIN=$(redis-cli -p "$PORT" SCRIPT LOAD "$(expand join_queue)")
K='sale:{bench}:'
redis-cli -p "$PORT" SET "${K}stock" 1000 >/dev/null
used() { redis-cli -p "$PORT" INFO memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r'; }
KEYS=(${K}tickets ${K}blacklist ${K}seq ${K}line-bits ${K}roster ${K}waiting ${K}prequeue ${K}sealed ${K}stock ${K}authq
      ${K}blacklist-devices ${K}rejections ${K}presence)
args=(0 16 0)
# user ids ~17 characters, then per buyer a UUID ticket id, a card, no device, no refusal; no rate
# limits (their counters are a fixed 2 MiB per sale and window, not per buyer: scaling.md)
for ((i = 0; i < 16; i++)); do
  args+=("user-$i-__rand_int__")
done
for ((i = 0; i < 16; i++)); do
  args+=(1 "0e0c1f4b-8a5e-4c3b-9a7e-$i-__rand_int__" pm_card_visa "" "")
done
before=$(used)
redis-benchmark -p "$PORT" -n "$CALLS" -c 32 -r 1000000000 EVALSHA "$JOIN" "${#KEYS[@]}" "${KEYS[@]}" "${args[@]}" \
  >/dev/null 2>&1
after=$(used)
buyers=$(redis-cli -p "$PORT" HLEN "${K}tickets")
echo "buyers=$buyers used_memory_before=$before after=$after bytes_per_waiting_buyer=$(( (after - before) / buyers ))"
for k in tickets roster line-bits presence; do
  echo "  $k $(( $(redis-cli -p "$PORT" MEMORY USAGE "${K}$k" SAMPLES 0) / buyers )) bytes per buyer"
done

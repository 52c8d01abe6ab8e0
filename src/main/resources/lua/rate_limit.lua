-- The rate limits of one request (see lib/gcra.lua), for a check that runs on its own.
-- KEYS[i]   one key per limit (all of one sale: one Redis Cluster slot)
-- ARGV[2i-1] milliseconds between requests at the steady rate   ARGV[2i] burst size
-- Returns {0} when allowed, or {1, retry after in milliseconds, index of the refusing limit}.
--#include gcra
local limits = {}
for i = 1, #KEYS do
  limits[i] = {KEYS[i], tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])}
end
local retryAfter, refusing = gcra(now_millis(), limits)
if retryAfter then
  return {1, retryAfter, refusing}
end
return {0}

-- The rate limits of one request (see lib/gcra.lua), for a check that runs on its own.
-- Java: antibot/RateLimitScript.
-- KEYS: one key per limit (all of one sale: one Redis Cluster slot).
-- ARGV: per limit, milliseconds between requests at the steady rate, then the burst size.
-- Reply: ALLOWED; or RATE_LIMITED, retry after in milliseconds, index of the refusing limit.
--#include gcra
local limits = {}
for i = 1, #KEYS do
  limits[i] = {KEYS[i], tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])}
end
local retry_after, refusing = gcra(now_millis(), limits)
if retry_after then
  answer('RATE_LIMITED', retry_after, refusing)
else
  answer('ALLOWED')
end
return reply

-- GCRA (the generic cell rate algorithm) over several limits at once, e.g. per user, per IP
-- and per device for one sale. A request passes only if every limit lets it, and only then
-- is it counted against them all: a refused request costs its sender nothing extra, and a
-- bot cannot drain an honest buyer's allowance by sharing one of their limits.
-- Time is Redis' own clock, so every instance agrees.
-- KEYS[i]   one key per limit (all of one sale: one Redis Cluster slot)
-- ARGV[2i-1] milliseconds between requests at the steady rate   ARGV[2i] burst size
-- Returns {0} when allowed, or {1, retry after in milliseconds, index of the refusing limit}.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local next_tats = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = interval * (tonumber(ARGV[2 * i]) - 1)
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or now), now)
  if tat - now > tolerance then
    return {1, tat - now - tolerance, i}
  end
  next_tats[i] = tat + interval
end

for i = 1, #KEYS do
  redis.call('SET', KEYS[i], next_tats[i], 'PX', next_tats[i] - now + 1000)
end
return {0}

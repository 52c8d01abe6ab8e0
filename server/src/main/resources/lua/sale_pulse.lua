-- The figures every live connection of a sale derives its own view from, read once per
-- push interval per server instance (never per buyer).
-- Java: waitingroom/SalePulseScript.
-- KEYS: cursor, stock, sealed, departures.
-- ARGV: how many departures the caller has already read, most new ones to return.
-- Reply: OK, last admitted queue number, stock (-1 if not loaded), 1 if sealed, departures read
--   so far after this call, then the new departures ("n" left, "-n" came back).
local cursor, stock, sealed, departures = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local offset, most = tonumber(ARGV[1]), tonumber(ARGV[2])

local fresh = redis.call('LRANGE', departures, offset, offset + most - 1)
answer('OK',
  tonumber(redis.call('GET', cursor) or '0'),
  tonumber(redis.call('GET', stock) or '-1'),
  redis.call('EXISTS', sealed),
  offset + #fresh)
for i = 1, #fresh do
  reply[#reply + 1] = fresh[i]
end
return reply

-- The figures every live connection of a sale derives its own view from, read once per
-- push interval per server instance (never per buyer); on a sharded line, once per shard.
-- Java: waitingroom/SalePulseScript.
-- KEYS: cursor, stock, sealed, departures, seq.
-- ARGV: how many departures the caller has already read, most new ones to return.
-- Reply: OK, last admitted queue number, stock (-1 if not loaded), the sealed pre-queue's size or -1
--   if not sealed, the last queue
--   number handed out, departures read so far after this call, then the new departures ("n" left, "-n" came back).
local cursor, stock, sealed, departures, sequence = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local offset, most = tonumber(ARGV[1]), tonumber(ARGV[2])

local fresh = redis.call('LRANGE', departures, offset, offset + most - 1)
answer('OK',
  tonumber(redis.call('GET', cursor) or '0'),
  tonumber(redis.call('GET', stock) or '-1'),
  tonumber(redis.call('GET', sealed) or '-1'),
  tonumber(redis.call('GET', sequence) or '0'),
  offset + #fresh)
for i = 1, #fresh do
  reply[#reply + 1] = fresh[i]
end
return reply

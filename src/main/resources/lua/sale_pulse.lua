-- The figures every live connection of a sale derives its own view from, read once per
-- push interval per server instance (never per buyer).
-- KEYS[1] cursor  KEYS[2] stock  KEYS[3] line  KEYS[4] sealed  KEYS[5] departures
-- ARGV[1] how many departures the caller has already read  ARGV[2] most new ones to return
-- Returns {last admitted queue number, stock (-1 if not loaded), buyers waiting, 1 if sealed,
--          departures read so far after this call, new departures ("n" left, "-n" came back)...}.
local offset = tonumber(ARGV[1])
local fresh = redis.call('LRANGE', KEYS[5], offset, offset + tonumber(ARGV[2]) - 1)
local result = {
  tonumber(redis.call('GET', KEYS[1]) or '0'),
  tonumber(redis.call('GET', KEYS[2]) or '-1'),
  redis.call('ZCARD', KEYS[3]),
  redis.call('EXISTS', KEYS[4]),
  offset + #fresh
}
for i = 1, #fresh do
  result[#result + 1] = fresh[i]
end
return result

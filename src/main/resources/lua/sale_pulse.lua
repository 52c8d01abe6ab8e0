-- The figures every live connection of a sale derives its own view from, read once per
-- push interval per server instance (never per buyer).
-- KEYS[1] sale:{id}:cursor  KEYS[2] sale:{id}:stock  KEYS[3] sale:{id}:line  KEYS[4] sale:{id}:sealed
-- Returns {last admitted queue number, stock (-1 if not loaded), buyers waiting, 1 if sealed}.
return {
  tonumber(redis.call('GET', KEYS[1]) or '0'),
  tonumber(redis.call('GET', KEYS[2]) or '-1'),
  redis.call('ZCARD', KEYS[3]),
  redis.call('EXISTS', KEYS[4])
}

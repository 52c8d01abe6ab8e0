-- Everything a buyer's "where am I?" needs, in one round trip.
-- KEYS[1] sale:{id}:tickets  KEYS[2] sale:{id}:line  KEYS[3] sale:{id}:stock
-- KEYS[4] sale:{id}:prequeue KEYS[5] sale:{id}:sealed  KEYS[6] sale:{id}:payment
-- KEYS[7] sale:{id}:line-lost
-- ARGV[1] user id
-- Returns {ticket or '', buyers ahead or -1 if not in line, stock (-1 if not loaded),
--          pre-queue size, 1 if sealed, pre-authorisation state or '',
--          when the line was lost in a Redis outage or ''}.
local ticket = redis.call('HGET', KEYS[1], ARGV[1]) or ''
local ahead = redis.call('ZRANK', KEYS[2], ARGV[1])
return {
  ticket,
  ahead or -1,
  tonumber(redis.call('GET', KEYS[3]) or '-1'),
  redis.call('SCARD', KEYS[4]),
  redis.call('EXISTS', KEYS[5]),
  redis.call('HGET', KEYS[6], ARGV[1]) or '',
  redis.call('GET', KEYS[7]) or ''
}

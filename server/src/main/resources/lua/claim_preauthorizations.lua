-- Hands out buyers whose card pre-authorisation should start now, head of the line first,
-- each under a lease: if the instance working on it dies, the lease runs out and the buyer
-- goes back to the front of the queue (the gateway call is idempotent by key, so a second
-- attempt cannot hold money twice).
-- Only buyers who can still win, and soon, are authorised: those within twice the units left,
-- and within the places the line moves in the horizon at the admission rate (the operator's
-- rate when set), plus a buffer, of the admission cursor. A buyer further back is authorised
-- when the line has moved up to them, long before their turn; nobody far back has money held
-- for nothing, and a sale with more units than buyers does not authorise its whole line at once.
-- Java: checkout/ClaimPreauthorizationsScript.
-- KEYS: authq, authing, pm, tickets, cursor, stock, control.
-- ARGV: how many, lease in milliseconds, buffer of places beyond the units left, the sale's
--   admissions per second, horizon in seconds.
-- Reply: OK, then one claimed entry per buyer (the prelude's codec).
local authq, authing, methods, tickets, cursor_key, stock_key, control =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local most, lease, buffer, sale_rate, horizon =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])

local now = now_millis()

local stale = redis.call('ZRANGEBYSCORE', authing, '-inf', now)
for _, user in ipairs(stale) do
  redis.call('ZREM', authing, user)
  redis.call('ZADD', authq, 0, user)
end

local cursor = tonumber(redis.call('GET', cursor_key) or '0')
local stock = math.max(0, tonumber(redis.call('GET', stock_key) or '0'))
local rate = tonumber(redis.call('HGET', control, 'rate') or sale_rate)
local reach = cursor + math.min(2 * stock, rate * horizon) + buffer

answer('OK')
local due = redis.call('ZRANGEBYSCORE', authq, '-inf', reach, 'LIMIT', 0, most)
for _, user in ipairs(due) do
  redis.call('ZREM', authq, user)
  redis.call('ZADD', authing, now + lease, user)
  local ticket = decode_ticket(redis.call('HGET', tickets, user))
  reply[#reply + 1] = encode_claimed(user, ticket, redis.call('HGET', methods, user))
end
return reply

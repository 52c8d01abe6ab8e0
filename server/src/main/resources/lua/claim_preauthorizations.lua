-- Hands out buyers whose card pre-authorisation should start now, head of the line first,
-- each under a lease: if the instance working on it dies, the lease runs out and the buyer
-- goes back to the front of the queue (the gateway call is idempotent by key, so a second
-- attempt cannot hold money twice).
-- Only buyers who can still win, and soon, are authorised: those within twice the units left,
-- and within the places the line moves in the horizon at the admission rate (the operator's
-- rate when set), plus a buffer, of the admission cursor. A buyer further back is authorised
-- when the line has moved up to them, long before their turn; nobody far back has money held
-- for nothing, and a sale with more units than buyers does not authorise its whole line at once.
-- On one shard of a sharded line (the stock and controls are the shard's copies), the places are
-- the shard's share: the admission step takes the shards' heads in turn.
-- The line is walked once: a claim cursor remembers how far it got. Buyers it cannot walk to
-- wait in authq: pre-queue buyers (before they have a number), a buyer whose lease ran out (at
-- the front), and one who was away when the walk passed them and has come back.
-- Java: checkout/ClaimPreauthorizationsScript.
-- KEYS: authq (zset user -> queue number, 0 for the front), authing, tickets, cursor, stock,
--   control, line, roster (the prelude's line), seq, authed-to (the claim cursor).
-- ARGV: how many, lease in milliseconds, buffer of places beyond the units left, the sale's
--   admissions per second, horizon in seconds, how many shards the line has.
-- Reply: OK, then one claimed entry per buyer (the prelude's codec).
local authq, authing, tickets, cursor_key, stock_key, control =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local line, roster, sequence, claimed_to_key = KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local most, lease, buffer, sale_rate, horizon, shards =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])

local now = now_millis()

for _, user in ipairs(redis.call('ZRANGEBYSCORE', authing, '-inf', now)) do
  redis.call('ZREM', authing, user)
  local ticket = decode_ticket(redis.call('HGET', tickets, user))
  if ticket and ticket.pay == 'A' then
    ticket.pay = 'Q'
    redis.call('HSET', tickets, user, encode_ticket(ticket))
    redis.call('ZADD', authq, 0, user)
  end
end

local cursor = tonumber(redis.call('GET', cursor_key) or '0')
local stock = math.max(0, tonumber(redis.call('GET', stock_key) or '0'))
local rate = tonumber(redis.call('HGET', control, 'rate') or sale_rate)
local reach = math.floor(cursor + (math.min(2 * stock, rate * horizon) + buffer) / shards)

answer('OK')
local claimed = 0
local function claim(user, ticket)
  ticket.pay = 'A'
  redis.call('HSET', tickets, user, encode_ticket(ticket))
  redis.call('ZADD', authing, now + lease, user)
  reply[#reply + 1] = encode_claimed(user, ticket, ticket.method)
  claimed = claimed + 1
end

for _, user in ipairs(redis.call('ZRANGEBYSCORE', authq, '-inf', reach, 'LIMIT', 0, most)) do
  redis.call('ZREM', authq, user)
  local ticket = decode_ticket(redis.call('HGET', tickets, user))
  if ticket and ticket.pay == 'Q' and ticket.state == 'QUEUED' then
    claim(user, ticket)
  end
end

local claimed_to = tonumber(redis.call('GET', claimed_to_key) or '0')
local last = math.min(reach, tonumber(redis.call('GET', sequence) or '0'))
local walked, looked = claimed_to, 0
while claimed < most and walked < last and looked < 4 * most do
  looked = looked + 1
  local number = line_next(line, walked)
  if not number or number > last then
    walked = last
    break
  end
  walked = number
  local user = redis.call('LINDEX', roster, number - 1)
  local ticket = decode_ticket(redis.call('HGET', tickets, user))
  if ticket.pay == 'Q' then
    claim(user, ticket)
  end
end
if walked > claimed_to then
  redis.call('SET', claimed_to_key, walked)
end
return reply

-- Hands out buyers whose card pre-authorisation should start now, head of the line first,
-- each under a lease: if the instance working on it dies, the lease runs out and the buyer
-- goes back to the front of the queue (the gateway call is idempotent by key, so a second
-- attempt cannot hold money twice).
-- Only buyers who can still win, and soon, are authorised: those within twice the units left,
-- and within the places the line moves in the horizon at the admission rate (the operator's
-- rate when set), plus a buffer, of the admission cursor. A buyer further back is authorised
-- when the line has moved up to them, long before their turn; nobody far back has money held
-- for nothing, and a sale with more units than buyers does not authorise its whole line at once.
-- KEYS[1] sale:{id}:authq  KEYS[2] sale:{id}:authing  KEYS[3] sale:{id}:pm  KEYS[4] sale:{id}:tickets
-- KEYS[5] sale:{id}:cursor KEYS[6] sale:{id}:stock  KEYS[7] sale:{id}:control
-- ARGV[1] how many  ARGV[2] lease in milliseconds  ARGV[3] buffer of places beyond the units left
-- ARGV[4] the sale's admissions per second  ARGV[5] horizon in seconds
-- Returns entries "user|ticketId|quantity|paymentMethod".
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, user in ipairs(stale) do
  redis.call('ZREM', KEYS[2], user)
  redis.call('ZADD', KEYS[1], 0, user)
end

local cursor = tonumber(redis.call('GET', KEYS[5]) or '0')
local stock = math.max(0, tonumber(redis.call('GET', KEYS[6]) or '0'))
local rate = tonumber(redis.call('HGET', KEYS[7], 'rate') or ARGV[4])
local reach = cursor + math.min(2 * stock, rate * tonumber(ARGV[5])) + tonumber(ARGV[3])

local claimed = {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', reach, 'LIMIT', 0, tonumber(ARGV[1]))
for _, user in ipairs(due) do
  redis.call('ZREM', KEYS[1], user)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), user)
  local id, quantity = string.match(redis.call('HGET', KEYS[4], user), '^([^|]*)|[^|]*|([^|]*)|')
  claimed[#claimed + 1] = user .. '|' .. id .. '|' .. quantity .. '|' .. redis.call('HGET', KEYS[3], user)
end
return claimed

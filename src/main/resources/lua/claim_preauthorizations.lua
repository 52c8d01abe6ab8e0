-- Hands out buyers whose card pre-authorisation should start now, head of the line first,
-- each under a lease: if the instance working on it dies, the lease runs out and the buyer
-- goes back to the front of the queue (the gateway call is idempotent by key, so a second
-- attempt cannot hold money twice).
-- KEYS[1] sale:{id}:authq  KEYS[2] sale:{id}:authing  KEYS[3] sale:{id}:pm  KEYS[4] sale:{id}:tickets
-- ARGV[1] how many  ARGV[2] lease in milliseconds
-- Returns entries "user|ticketId|quantity|paymentMethod".
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, user in ipairs(stale) do
  redis.call('ZREM', KEYS[2], user)
  redis.call('ZADD', KEYS[1], 0, user)
end

local claimed = {}
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[1]))
for i = 1, #popped, 2 do
  local user = popped[i]
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), user)
  local id, quantity = string.match(redis.call('HGET', KEYS[4], user), '^([^|]*)|[^|]*|([^|]*)|')
  claimed[#claimed + 1] = user .. '|' .. id .. '|' .. quantity .. '|' .. redis.call('HGET', KEYS[3], user)
end
return claimed

-- One admission step for one sale, cluster-wide. The token bucket lives here, refilled from
-- Redis' own clock, so any number of instances calling this every tick admit at the sale's
-- rate in total: a duplicate call finds no tokens. Each admitted buyer takes their units from
-- the stock in the same step, in line order, so the winners are the head of the line.
-- KEYS[1] sale:{id}:line    KEYS[2] sale:{id}:tickets  KEYS[3] sale:{id}:stock
-- KEYS[4] sale:{id}:buyers  KEYS[5] sale:{id}:bucket   KEYS[6] sale:{id}:cursor
-- ARGV[1] admissions per second  ARGV[2] bucket capacity  ARGV[3] most buyers in one step
-- Returns {stock left, buyers still waiting, admitted...}; each admitted entry is
-- "user|ticketId|number|quantity|admittedAtMillis". Stock -1 means the counter is not loaded.
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local most = tonumber(ARGV[3])

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[5], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or 0
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)

local stock = tonumber(redis.call('GET', KEYS[3]) or '-1')
local admitted = {}
if stock > 0 then
  local batch = math.min(most, math.floor(tokens))
  if batch > 0 then
    local heads = redis.call('ZRANGE', KEYS[1], 0, batch - 1, 'WITHSCORES')
    for i = 1, #heads, 2 do
      if stock <= 0 then
        break
      end
      local user = heads[i]
      local number = heads[i + 1]
      local id, wanted = string.match(redis.call('HGET', KEYS[2], user), '^([^|]*)|[^|]*|([^|]*)|')
      -- The last units go to the head of the line even if fewer than asked: nothing is left unsold.
      local quantity = math.min(tonumber(wanted), stock)
      stock = stock - quantity
      redis.call('DECRBY', KEYS[3], quantity)
      redis.call('HINCRBY', KEYS[4], user, quantity)
      redis.call('HSET', KEYS[2], user, id .. '|' .. number .. '|' .. quantity .. '|ADMITTED||' .. now)
      redis.call('ZREM', KEYS[1], user)
      redis.call('SET', KEYS[6], number)
      tokens = tokens - 1
      admitted[#admitted + 1] = user .. '|' .. id .. '|' .. number .. '|' .. quantity .. '|' .. now
    end
  end
end
redis.call('HSET', KEYS[5], 'tokens', tostring(tokens), 'at', now)

local result = {stock, redis.call('ZCARD', KEYS[1])}
for i = 1, #admitted do
  result[#result + 1] = admitted[i]
end
return result

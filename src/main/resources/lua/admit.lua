-- One admission step for one sale, cluster-wide. The token bucket lives here, refilled from
-- Redis' own clock, so any number of instances calling this every tick admit at the sale's
-- rate in total: a duplicate call finds no tokens. Each admitted buyer takes their units from
-- the stock in the same step, in line order, so the winners are the head of the line.
-- Only buyers whose card is pre-authorised are let out; one whose authorisation is still
-- running keeps their place, and the units they asked for, and is let out by a later step:
-- a slow card never stalls the line behind it, nor loses its turn to it. Declined buyers
-- leave the line (they were told by the authoriser).
-- KEYS[1] sale:{id}:line    KEYS[2] sale:{id}:tickets  KEYS[3] sale:{id}:stock
-- KEYS[4] sale:{id}:buyers  KEYS[5] sale:{id}:bucket   KEYS[6] sale:{id}:cursor
-- KEYS[7] sale:{id}:payment  KEYS[8] sale:{id}:inflight (the ticket id is the order id to be)
-- ARGV[1] admissions per second  ARGV[2] bucket capacity  ARGV[3] most buyers in one step
-- ARGV[4] how many buyers still being authorised a step may pass before it stops looking
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
local batch = math.min(most, math.floor(tokens))
if stock > 0 and batch > 0 then
  local cursor = tonumber(redis.call('GET', KEYS[6]) or '0')
  local passable = tonumber(ARGV[4])
  local passed = 0
  -- Units not promised to a buyer passed over on the way.
  local free = stock
  local heads = redis.call('ZRANGE', KEYS[1], 0, batch + passable - 1, 'WITHSCORES')
  for i = 1, #heads, 2 do
    if free <= 0 or #admitted >= batch or passed > passable then
      break
    end
    local user = heads[i]
    local number = tonumber(heads[i + 1])
    local payment = redis.call('HGET', KEYS[7], user)
    local id, wanted = string.match(redis.call('HGET', KEYS[2], user), '^([^|]*)|[^|]*|([^|]*)|')
    if payment == 'AUTHORIZED' then
      -- The last units go to the head of the line even if fewer than asked: nothing is left unsold.
      local quantity = math.min(tonumber(wanted), free)
      stock = stock - quantity
      free = free - quantity
      redis.call('DECRBY', KEYS[3], quantity)
      redis.call('HINCRBY', KEYS[4], user, quantity)
      redis.call('HSET', KEYS[2], user, id .. '|' .. number .. '|' .. quantity .. '|ADMITTED||' .. now)
      redis.call('ZREM', KEYS[1], user)
      redis.call('HSET', KEYS[8], id, user .. '|' .. quantity .. '|' .. now)
      if number > cursor then
        cursor = number
        redis.call('SET', KEYS[6], number)
      end
      tokens = tokens - 1
      admitted[#admitted + 1] = user .. '|' .. id .. '|' .. number .. '|' .. quantity .. '|' .. now
    elseif payment == 'DECLINED' then
      redis.call('ZREM', KEYS[1], user)
    else
      passed = passed + 1
      free = free - tonumber(wanted)
    end
  end
end
redis.call('HSET', KEYS[5], 'tokens', tostring(tokens), 'at', now)

local result = {stock, redis.call('ZCARD', KEYS[1])}
for i = 1, #admitted do
  result[#result + 1] = admitted[i]
end
return result

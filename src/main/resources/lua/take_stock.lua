-- Layer 1 of the oversell defence: take q units if, and only if, q are left.
-- The buyer's own count is checked first, so an ineligible buyer never touches the stock,
-- and the counter never goes below zero, not even for an instant.
-- KEYS[1] sale:{id}:stock   KEYS[2] sale:{id}:buyers (hash user -> units held)
-- KEYS[3] sale:{id}:blacklist  KEYS[4] sale:{id}:blacklist-devices  KEYS[5] sale:{id}:rejections
-- ARGV[1] user id           ARGV[2] quantity         ARGV[3] per-user limit
-- KEYS[6] sale:{id}:inflight (hash order id -> "user|quantity|takenAtMillis")
-- ARGV[4] device fingerprint or ''  ARGV[5] the order id the units are taken for
-- The in-flight entry records units taken here whose database write has not been confirmed:
-- if the process dies in between, reconciliation finds the entry and settles it.
-- Returns {outcome, number}: TAKEN/remaining, LIMIT/units already held,
-- SOLD_OUT/units left, NOT_LOADED/0, BLACKLISTED/0 or BLACKLISTED_DEVICE/0.
local quantity = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])

if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[5], 'BLACKLISTED', 1)
  return {'BLACKLISTED', 0}
end
if ARGV[4] ~= '' and redis.call('SISMEMBER', KEYS[4], ARGV[4]) == 1 then
  redis.call('HINCRBY', KEYS[5], 'BLACKLISTED_DEVICE', 1)
  return {'BLACKLISTED_DEVICE', 0}
end

local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held + quantity > limit then
  return {'LIMIT', held}
end

local stock = redis.call('GET', KEYS[1])
if not stock then
  return {'NOT_LOADED', 0}
end
stock = tonumber(stock)
if stock < quantity then
  return {'SOLD_OUT', stock}
end

redis.call('DECRBY', KEYS[1], quantity)
redis.call('HINCRBY', KEYS[2], ARGV[1], quantity)
local clock = redis.call('TIME')
redis.call('HSET', KEYS[6], ARGV[5],
  ARGV[1] .. '|' .. quantity .. '|' .. (tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)))
return {'TAKEN', stock - quantity}

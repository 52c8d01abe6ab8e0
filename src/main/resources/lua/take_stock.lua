-- Layer 1 of the oversell defence, for a batch of buyers in arrival order: each takes q units
-- if, and only if, q are left. One call for the whole batch, so the herd costs the sale's
-- Redis slot one round trip per batch, and the batch is atomic: its in-flight entries are
-- written in the same step as its takes, so a crash after this call leaves every taken unit
-- on record for reconciliation.
-- For each buyer, cheapest refusal first: the rate limits (lib/gcra.lua: a request passes only
-- if every limit lets it, and only then counts against them all), the account and
-- device blacklists, the buyer's own count (an ineligible buyer never touches the stock), then
-- the stock, which never goes below zero, not even for an instant.
-- KEYS[1] sale:{id}:stock   KEYS[2] sale:{id}:buyers (hash user -> units held)
-- KEYS[3] sale:{id}:blacklist  KEYS[4] sale:{id}:blacklist-devices  KEYS[5] sale:{id}:rejections
-- KEYS[6] sale:{id}:inflight (hash order id -> "user|quantity|takenAtMillis")
-- KEYS[7..] the batch's rate-limit keys, each named once, referred to by index below
-- ARGV[1] the number of buyers, then per buyer: user id, device fingerprint or '', quantity,
-- per-user limit, the order id the units are taken for, L (rate limits), then L triples of
-- (index into KEYS, milliseconds between requests at the steady rate, burst).
-- Returns three fields per buyer, in order: outcome, number, detail:
-- TAKEN/stock left/0, LIMIT/units already held/0, SOLD_OUT/units left/0, NOT_LOADED/0/0,
-- BLACKLISTED/0/0, BLACKLISTED_DEVICE/0/0, RATE_LIMITED/retry after ms/index of the refusing
-- limit among the buyer's own (1-based).
--#include gcra
local now = now_millis()
local stock = redis.call('GET', KEYS[1])
stock = stock and tonumber(stock)

local result = {}
local function answer(outcome, number, detail)
  result[#result + 1] = outcome
  result[#result + 1] = number
  result[#result + 1] = detail
end

local at = 2
for _ = 1, tonumber(ARGV[1]) do
  local user, device = ARGV[at], ARGV[at + 1]
  local quantity, limit = tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  local orderId = ARGV[at + 4]
  local limits
  limits, at = batch_limits(at + 5)
  local retryAfter, refusing = gcra(now, limits)
  if retryAfter then
    redis.call('HINCRBY', KEYS[5], 'RATE_LIMITED', 1)
    answer('RATE_LIMITED', retryAfter, refusing)
  elseif redis.call('SISMEMBER', KEYS[3], user) == 1 then
    redis.call('HINCRBY', KEYS[5], 'BLACKLISTED', 1)
    answer('BLACKLISTED', 0, 0)
  elseif device ~= '' and redis.call('SISMEMBER', KEYS[4], device) == 1 then
    redis.call('HINCRBY', KEYS[5], 'BLACKLISTED_DEVICE', 1)
    answer('BLACKLISTED_DEVICE', 0, 0)
  else
    local held = tonumber(redis.call('HGET', KEYS[2], user) or '0')
    if held + quantity > limit then
      answer('LIMIT', held, 0)
    elseif not stock then
      answer('NOT_LOADED', 0, 0)
    elseif stock < quantity then
      answer('SOLD_OUT', stock, 0)
    else
      stock = stock - quantity
      redis.call('DECRBY', KEYS[1], quantity)
      redis.call('HINCRBY', KEYS[2], user, quantity)
      redis.call('HSET', KEYS[6], orderId, user .. '|' .. quantity .. '|' .. now)
      answer('TAKEN', stock, 0)
    end
  end
end
return result

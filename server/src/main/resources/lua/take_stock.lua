-- Layer 1 of the oversell defence, for a batch of buyers in arrival order: each takes q units
-- if, and only if, q are left. One call for the whole batch, so the herd costs the sale's
-- Redis slot one round trip per batch, and the batch is atomic: its in-flight entries are
-- written in the same step as its takes, so a crash after this call leaves every taken unit
-- on record for reconciliation.
-- For each buyer, cheapest refusal first: the instance's (its rate limits, counted in the sale's
-- rate-limit sketch before this call: antibot/RateLimits), the account and device blacklists, the
-- buyer's own count (an ineligible buyer never touches the stock), then the stock, which never
-- goes below zero, not even for an instant.
-- Java: inventory/TakeStockScript.
-- KEYS: stock, buyers (hash user -> units held), blacklist, blacklist-devices, rejections,
--   inflight (hash order id -> in-flight entry).
-- ARGV: the number of buyers, then per buyer: user id, device fingerprint or '', quantity,
--   per-user limit, the order id the units are taken for, the instance's refusal or ''
--   (RATE_LIMITED).
-- Reply, per buyer: outcome, number, detail: TAKEN/stock left/0, LIMIT/units already held/0,
--   SOLD_OUT/units left/0, NOT_LOADED/0/0, BLACKLISTED/0/0, BLACKLISTED_DEVICE/0/0,
--   RATE_LIMITED (or another refusal of the instance's)/0/0.
local stock_key, buyers, blacklist, blacklisted_devices, rejections, inflight =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local asks = tonumber(ARGV[1])

local now = now_millis()
local stock = redis.call('GET', stock_key)
stock = stock and tonumber(stock)

local at = 2
for _ = 1, asks do
  local user, device = ARGV[at], ARGV[at + 1]
  local quantity, limit = tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  local order_id, refusal = ARGV[at + 4], ARGV[at + 5]
  at = at + 6
  local flagged = refusal == '' and blacklisted(blacklist, blacklisted_devices, user, device)
  if refusal ~= '' then
    redis.call('HINCRBY', rejections, refusal, 1)
    answer(refusal, 0, 0)
  elseif flagged then
    redis.call('HINCRBY', rejections, flagged, 1)
    answer(flagged, 0, 0)
  else
    local held = tonumber(redis.call('HGET', buyers, user) or '0')
    if held + quantity > limit then
      answer('LIMIT', held, 0)
    elseif not stock then
      answer('NOT_LOADED', 0, 0)
    elseif stock < quantity then
      answer('SOLD_OUT', stock, 0)
    else
      stock = stock - quantity
      redis.call('DECRBY', stock_key, quantity)
      redis.call('HINCRBY', buyers, user, quantity)
      redis.call('HSET', inflight, order_id, encode_inflight(user, quantity, now))
      answer('TAKEN', stock, 0)
    end
  end
end
return reply

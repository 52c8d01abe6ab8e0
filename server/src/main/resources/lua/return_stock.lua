-- Gives units taken by take_stock.lua back, for one or more buyers of one sale in one call:
-- the database refused them, or their hold ended.
-- A missing stock key means Redis lost its data; it is rebuilt from the database, which
-- already counts these units as free, so adding them to nothing would invent stock.
-- Java: inventory/ReturnStockScript.
-- KEYS: stock, buyers (hash user -> units held), inflight.
-- ARGV: one triple per return: user id, quantity, and the in-flight order id, or '' for a
--   released order (no in-flight entry).
-- Reply, per return: RETURNED, the stock after it; NOT_LOADED, 0 when the stock key is
--   missing; ALREADY_SETTLED, 0 when the in-flight entry was already settled (reconciliation
--   returned these units first).
local stock, buyers, inflight = KEYS[1], KEYS[2], KEYS[3]

for i = 1, #ARGV, 3 do
  local user, quantity, order_id = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  if order_id ~= '' and redis.call('HDEL', inflight, order_id) == 0 then
    answer('ALREADY_SETTLED', 0)
  else
    local held = tonumber(redis.call('HGET', buyers, user) or '0')
    if held <= quantity then
      redis.call('HDEL', buyers, user)
    else
      redis.call('HINCRBY', buyers, user, -quantity)
    end
    if redis.call('EXISTS', stock) == 0 then
      answer('NOT_LOADED', 0)
    else
      answer('RETURNED', redis.call('INCRBY', stock, quantity))
    end
  end
end
return reply

-- Gives units taken by take_stock.lua back, for one or more buyers of one sale in one call:
-- the database refused them, or their hold ended.
-- A missing stock key means Redis lost its data; it is rebuilt from the database, which
-- already counts these units as free, so adding them to nothing would invent stock.
-- KEYS[1] sale:{id}:stock   KEYS[2] sale:{id}:buyers  KEYS[3] sale:{id}:inflight
-- ARGV, one triple per return: user id, quantity, and the in-flight order id, or '' for a
-- released order (no in-flight entry).
-- Returns one number per return: the stock after it, -1 when the stock key is missing, or -2
-- when the in-flight entry was already settled (reconciliation returned these units first).
local result = {}
for i = 1, #ARGV, 3 do
  local user, quantity, inflight = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  if inflight ~= '' and redis.call('HDEL', KEYS[3], inflight) == 0 then
    result[#result + 1] = -2
  else
    local held = tonumber(redis.call('HGET', KEYS[2], user) or '0')
    if held <= quantity then
      redis.call('HDEL', KEYS[2], user)
    else
      redis.call('HINCRBY', KEYS[2], user, -quantity)
    end
    if redis.call('EXISTS', KEYS[1]) == 0 then
      result[#result + 1] = -1
    else
      result[#result + 1] = redis.call('INCRBY', KEYS[1], quantity)
    end
  end
end
return result

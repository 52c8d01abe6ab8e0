-- Gives units taken by take_stock.lua back: the database refused them or the hold ended.
-- A missing stock key means Redis lost its data; it is rebuilt from the database, which
-- already counts these units as free, so adding them to nothing would invent stock.
-- KEYS[1] sale:{id}:stock   KEYS[2] sale:{id}:buyers  KEYS[3] sale:{id}:inflight
-- ARGV[1] user id           ARGV[2] quantity         ARGV[3] in-flight order id, or '' for a
--                                                   released order (no in-flight entry)
-- Returns the stock after the return, -1 when the stock key is missing, or -2 when the
-- in-flight entry was already settled (reconciliation returned these units first).
local quantity = tonumber(ARGV[2])
if ARGV[3] ~= '' and redis.call('HDEL', KEYS[3], ARGV[3]) == 0 then
  return -2
end

local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held <= quantity then
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('HINCRBY', KEYS[2], ARGV[1], -quantity)
end

if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
return redis.call('INCRBY', KEYS[1], quantity)

-- Repairs a sale's stock counter from the database: the database wins. The free units are
-- what the database has not sold, less what is in flight right now (counted here, atomically,
-- so a take racing the repair is neither lost nor counted twice). An entry whose order the
-- database already counts as sold is not subtracted again.
-- Java: audit/RepairStockScript.
-- KEYS: stock, inflight.
-- ARGV: quantity_available - quantity_sold as the database has it, then the in-flight order ids
--   whose orders that database read already had.
-- Reply: REPAIRED.
local stock, inflight = KEYS[1], KEYS[2]
local unsold = tonumber(ARGV[1])

local written = {}
for i = 2, #ARGV do
  written[ARGV[i]] = true
end
local in_flight = 0
local entries = redis.call('HGETALL', inflight)
for i = 1, #entries, 2 do
  if not written[entries[i]] then
    in_flight = in_flight + decode_inflight(entries[i + 1]).quantity
  end
end
redis.call('SET', stock, math.max(0, unsold - in_flight))
answer('REPAIRED')
return reply

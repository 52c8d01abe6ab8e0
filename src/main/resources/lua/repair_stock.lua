-- Repairs a sale's stock counter from the database: the database wins. The free units are
-- what the database has not sold, less what is in flight right now (counted here, atomically,
-- so a take racing the repair is neither lost nor counted twice).
-- KEYS[1] sale:{id}:stock  KEYS[2] sale:{id}:inflight
-- ARGV[1] quantity_available - quantity_sold, as the database has it
-- Returns {stock before, stock after}.
local inflight = 0
local entries = redis.call('HVALS', KEYS[2])
for _, entry in ipairs(entries) do
  inflight = inflight + tonumber(string.match(entry, '^.*|([^|]*)|[^|]*$'))
end
local before = tonumber(redis.call('GET', KEYS[1]) or '-1')
local after = math.max(0, tonumber(ARGV[1]) - inflight)
redis.call('SET', KEYS[1], after)
return {before, after}

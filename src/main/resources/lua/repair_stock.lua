-- Repairs a sale's stock counter from the database: the database wins. The free units are
-- what the database has not sold, less what is in flight right now (counted here, atomically,
-- so a take racing the repair is neither lost nor counted twice). An entry whose order the
-- database already counts as sold is not subtracted again.
-- KEYS[1] sale:{id}:stock  KEYS[2] sale:{id}:inflight
-- ARGV[1] quantity_available - quantity_sold, as the database has it
-- ARGV[2..] in-flight order ids whose orders that database read already had
-- Returns {stock before, stock after}.
local written = {}
for i = 2, #ARGV do
  written[ARGV[i]] = true
end
local inflight = 0
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  if not written[entries[i]] then
    inflight = inflight + tonumber(string.match(entries[i + 1], '^.*|([^|]*)|[^|]*$'))
  end
end
local before = tonumber(redis.call('GET', KEYS[1]) or '-1')
local after = math.max(0, tonumber(ARGV[1]) - inflight)
redis.call('SET', KEYS[1], after)
return {before, after}

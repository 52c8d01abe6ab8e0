-- Buyers seen just now (a poll, an open WebSocket). Their last-seen time is written at most
-- once per refresh interval, so a buyer polling every second costs one write every few
-- seconds. A buyer admission had set aside for absence goes back into the line under their
-- own queue number: ahead of everyone who joined after them.
-- KEYS[1] seen  KEYS[2] away  KEYS[3] line  KEYS[4] tickets  KEYS[5] departures
-- ARGV[1] refresh interval in ms, then user ids
-- Returns how many came back.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local refresh = tonumber(ARGV[1])
local back = 0
for i = 2, #ARGV do
  local user = ARGV[i]
  local last = tonumber(redis.call('ZSCORE', KEYS[1], user) or '0')
  if now - last >= refresh then
    redis.call('ZADD', KEYS[1], now, user)
  end
  if redis.call('ZREM', KEYS[2], user) == 1 then
    local number, state = string.match(redis.call('HGET', KEYS[4], user) or '', '^[^|]*|([^|]*)|[^|]*|([^|]*)|')
    if state == 'QUEUED' then
      redis.call('ZADD', KEYS[3], tonumber(number), user)
      redis.call('RPUSH', KEYS[5], '-' .. number)
      back = back + 1
    end
  end
end
return back

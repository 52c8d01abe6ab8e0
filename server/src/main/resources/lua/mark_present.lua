-- Buyers seen just now (a poll, an open WebSocket). Their last-seen time is written at most
-- once per refresh interval, so a buyer polling every second costs one write every few
-- seconds. A buyer admission had set aside for absence goes back into the line under their
-- own queue number: ahead of everyone who joined after them.
-- Java: waitingroom/MarkPresentScript.
-- KEYS: seen, away, line, tickets, departures.
-- ARGV: refresh interval in ms, then user ids.
-- Reply: OK.
local seen, away, line, tickets, departures = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local refresh = tonumber(ARGV[1])

local now = now_millis()
for i = 2, #ARGV do
  local user = ARGV[i]
  local last = tonumber(redis.call('ZSCORE', seen, user) or '0')
  if now - last >= refresh then
    redis.call('ZADD', seen, now, user)
  end
  if redis.call('ZREM', away, user) == 1 then
    local ticket = decode_ticket(redis.call('HGET', tickets, user))
    if ticket and ticket.state == 'QUEUED' then
      redis.call('ZADD', line, ticket.number, user)
      redis.call('RPUSH', departures, '-' .. ticket.number)
    end
  end
end
answer('OK')
return reply

-- Buyers seen just now (a poll, an open WebSocket). The time on a waiting buyer's ticket is
-- written at most once per refresh interval, so a buyer polling every second costs one write every
-- few seconds.
-- A buyer admission had set aside for absence goes back into the line under their own queue
-- number: ahead of everyone who joined after them. One whose card the pre-authorisation walk
-- passed while they were away waits for it in authq.
-- Java: waitingroom/MarkPresentScript.
-- KEYS: tickets, away, line, waiting (the prelude's line), departures, presence, authq, authed-to.
-- ARGV: refresh interval in ms, then user ids.
-- Reply: OK.
local tickets, away, line, waiting, departures = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local presence, authq, claimed_to = KEYS[6], KEYS[7], KEYS[8]
local refresh = tonumber(ARGV[1])

local now = now_millis()
for i = 2, #ARGV do
  local user = ARGV[i]
  local ticket = decode_ticket(redis.call('HGET', tickets, user))
  if ticket then
    local changed = false
    if ticket.state == 'QUEUED' and now - ticket.seen >= refresh then
      presence_moved(presence, ticket.seen, now)
      ticket.seen = now
      changed = true
    end
    if redis.call('ZREM', away, user) == 1 and ticket.state == 'QUEUED' then
      line_put(line, waiting, ticket.number)
      redis.call('RPUSH', departures, '-' .. ticket.number)
      if ticket.pay == 'Q' and ticket.number <= tonumber(redis.call('GET', claimed_to) or '0') then
        redis.call('ZADD', authq, ticket.number, user)
      end
    end
    if changed then
      redis.call('HSET', tickets, user, encode_ticket(ticket))
    end
  end
end
answer('OK')
return reply

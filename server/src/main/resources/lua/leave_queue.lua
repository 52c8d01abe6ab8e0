-- A buyer leaves a sale's line of their own accord. Atomic with admission: either they were
-- let out first (the answer says so) or they are out of every queue before the next step.
-- Java: waitingroom/LeaveQueueScript.
-- KEYS: tickets, line, waiting (the prelude's line), away, prequeue, authq, authing, departures, cursor.
-- ARGV: user id, the ticket id the caller named or '' (then theirs).
-- Reply: LEFT, the closed ticket; NOT_WAITING, the ticket as it is (RESERVED, ADMITTED, LEFT,
--   DROPPED, ...) if it was no longer waiting; NOT_IN_LINE when the buyer never joined; NOT_YOURS
--   when the named ticket is another.
local tickets, line, waiting, away, prequeue, authq, authing, departures, cursor =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local user, named = ARGV[1], ARGV[2]

local encoded = redis.call('HGET', tickets, user)
if not encoded then
  answer('NOT_IN_LINE')
  return reply
end
local ticket = decode_ticket(encoded)
if named ~= '' and named ~= ticket.id then
  answer('NOT_YOURS')
  return reply
end
if ticket.state ~= 'QUEUED' then
  answer('NOT_WAITING', encoded)
  return reply
end
line_take(line, waiting, ticket.number)
redis.call('ZREM', away, user)
redis.call('SREM', prequeue, user)
redis.call('ZREM', authq, user)
redis.call('ZREM', authing, user)
local closed = encode_ticket(ticket_in(ticket, 'LEFT'))
redis.call('HSET', tickets, user, closed)
if ticket.number > tonumber(redis.call('GET', cursor) or '0') then
  redis.call('RPUSH', departures, ticket.number)
end
answer('LEFT', closed)
return reply

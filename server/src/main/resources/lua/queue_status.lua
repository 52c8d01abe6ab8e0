-- Everything a buyer's "where am I?" needs, in one round trip.
-- Java: waitingroom/QueueStatusScript.
-- KEYS: tickets, line, stock, prequeue, payment, line-lost.
-- ARGV: user id.
-- Reply: TICKET, the ticket, buyers ahead or -1 if not in line, stock (-1 if not loaded),
--   pre-queue size, pre-authorisation state or ''; NOT_JOINED when the buyer has no ticket;
--   LINE_LOST, when the line was lost in a Redis outage, when the buyer has no ticket since.
local tickets, line, stock, prequeue, payments, line_lost = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local user = ARGV[1]

local ticket = redis.call('HGET', tickets, user)
if not ticket then
  local lost_at = redis.call('GET', line_lost)
  if lost_at then
    answer('LINE_LOST', lost_at)
  else
    answer('NOT_JOINED')
  end
  return reply
end
answer('TICKET', ticket,
  redis.call('ZRANK', line, user) or -1,
  tonumber(redis.call('GET', stock) or '-1'),
  redis.call('SCARD', prequeue),
  redis.call('HGET', payments, user) or '')
return reply

-- Everything a buyer's "where am I?" needs, in one round trip. A buyer's place is the waiting
-- numbers before theirs in the line bitmap: a count over number / 8 bytes.
-- Java: waitingroom/QueueStatusScript.
-- KEYS: tickets, line (the prelude's line), stock, prequeue, line-lost.
-- ARGV: user id.
-- Reply: TICKET, the ticket, buyers ahead or -1 if not in line, stock (-1 if not loaded),
--   pre-queue size, pre-authorisation state or ''; NOT_JOINED when the buyer has no ticket;
--   LINE_LOST, when the line was lost in a Redis outage, when the buyer has no ticket since.
local tickets, line, stock, prequeue, line_lost = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local user = ARGV[1]

local encoded = redis.call('HGET', tickets, user)
if not encoded then
  local lost_at = redis.call('GET', line_lost)
  if lost_at then
    answer('LINE_LOST', lost_at)
  else
    answer('NOT_JOINED')
  end
  return reply
end
local ticket = decode_ticket(encoded)
local ahead = -1
if ticket.number > 0 and redis.call('GETBIT', line, ticket.number) == 1 then
  ahead = line_ahead(line, ticket.number)
end
answer('TICKET', encoded, ahead,
  tonumber(redis.call('GET', stock) or '-1'),
  redis.call('SCARD', prequeue),
  payment_word(ticket.pay))
return reply

-- The ticket half of settling an in-flight admission on a sharded line (settle_inflight.lua
-- settled the units in the sale's slot): an admitted buyer whose order the database has becomes
-- RESERVED; one whose units went back goes back to their place in line. Any other ticket (the
-- buyer left, or a later step let them out again) is left as it is.
-- Java: audit/SettleTicketScript.
-- KEYS: tickets, line, waiting (the prelude's line).
-- Only the admission that take was: a ticket admitted again since (back in line, then let out
-- anew under the same id) has another admission time and is left alone, so a record the settling
-- hash kept across a reconciler's death cannot undo a later admission.
-- ARGV: user id, order id (the ticket id), '1' if the database has the order, the take's time
--   (ms, the in-flight record's; the admission wrote the same on the ticket).
-- Reply: the ticket's state now if this call changed it (RESERVED, QUEUED), else ''.
local tickets, line, waiting = KEYS[1], KEYS[2], KEYS[3]
local user, order_id, written, taken_at = ARGV[1], ARGV[2], ARGV[3] == '1', tonumber(ARGV[4])
local ticket = decode_ticket(redis.call('HGET', tickets, user))
if not (ticket and ticket.id == order_id and ticket.state == 'ADMITTED'
        and tonumber(ticket.admitted_at) == taken_at) then
  answer('')
  return reply
end
if written then
  redis.call('HSET', tickets, user, encode_ticket(ticket_in(ticket, 'RESERVED', order_id)))
  answer('RESERVED')
else
  redis.call('HSET', tickets, user, encode_ticket(ticket_in(ticket, 'QUEUED', '', '')))
  line_put(line, waiting, ticket.number)
  answer('QUEUED')
end
return reply

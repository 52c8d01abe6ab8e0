-- Settles one in-flight take that has been pending too long (the process that took the units
-- probably died before or after its database write). The caller says whether the database has
-- the order: if it has, only the bookkeeping is finished; if not, the units go back to the
-- pool and an admitted buyer goes back to their place in line. The buyer's live connections
-- are told the ticket's new state, since the process that would have told them is gone.
-- Java: audit/SettleInFlightScript.
-- KEYS: inflight, stock, buyers, admitted (a sharded line's set of ticket ids given units: a ticket
--   whose units go back leaves it), then, when the buyer's line shard shares the sale's slot, tickets,
--   line, waiting (the prelude's line); otherwise settling (SaleKeys.settling), where the take is
--   recorded with the units, and the ticket is settled by settle_ticket.lua on its own shard, after
--   which the caller clears the record: a reconciler that dies in between leaves it for the next
--   pass, not a ticket stuck ADMITTED.
-- ARGV: order id (for an admission, the ticket id), '1' if the database has the order.
-- Reply: outcome, units returned to the pool, the admitted buyer's ticket state now ('' when no
--   admission was settled): ALREADY_SETTLED, 0, ''; WRITTEN, 0, 'RESERVED' or ''; RETURNED,
--   units, 'QUEUED' (back in line) or ''.
local inflight, stock, buyers, admitted_set = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local tickets_here = #KEYS == 7
local tickets, line, waiting = KEYS[5], KEYS[6], KEYS[7]
local settling = (not tickets_here) and KEYS[5]
local order_id, written = ARGV[1], ARGV[2] == '1'

local entry = redis.call('HGET', inflight, order_id)
if not entry then
  answer('ALREADY_SETTLED', 0, '')
  return reply
end
redis.call('HDEL', inflight, order_id)
local taken = decode_inflight(entry)
if settling then
  redis.call('HSET', settling, order_id, encode_inflight(taken.user, written and 1 or 0, taken.taken_at))
end

local ticket = tickets_here and decode_ticket(redis.call('HGET', tickets, taken.user))
local admission = ticket and ticket.id == order_id and ticket.state == 'ADMITTED'

if written then
  if admission then
    redis.call('HSET', tickets, taken.user, encode_ticket(ticket_in(ticket, 'RESERVED', order_id)))
    answer('WRITTEN', 0, 'RESERVED')
  else
    answer('WRITTEN', 0, '')
  end
  return reply
end

if redis.call('EXISTS', stock) == 1 then
  redis.call('INCRBY', stock, taken.quantity)
end
redis.call('SREM', admitted_set, order_id)
local held = tonumber(redis.call('HGET', buyers, taken.user) or '0')
if held <= taken.quantity then
  redis.call('HDEL', buyers, taken.user)
else
  redis.call('HINCRBY', buyers, taken.user, -taken.quantity)
end
if admission then
  redis.call('HSET', tickets, taken.user, encode_ticket(ticket_in(ticket, 'QUEUED', '', '')))
  line_put(line, waiting, ticket.number)
  answer('RETURNED', taken.quantity, 'QUEUED')
else
  answer('RETURNED', taken.quantity, '')
end
return reply

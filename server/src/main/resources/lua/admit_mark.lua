-- The last part of an admission step on one shard of a sharded line: sets aside the absent buyers
-- the merged step walked past (out of the line, number kept, as admit.lua does), lets out the
-- buyers the take gave units to if they still wait under the same ticket, and refreshes the
-- shard's copy of the stock. Every shard is marked every step, winners or not, so the copies stay
-- a step old at most.
-- Java: waitingroom/AdmitMarkScript.
-- KEYS: tickets, line, waiting (the prelude's line), cursor, away, stock (the shard's copy),
--   departures.
-- ARGV: stock left, A, then A absent buyers (user, ticket id), then per winner: user, ticket id,
--   units, admitted at (ms).
-- Reply: OK, how many were set aside, then per winner 1 (let out here: reserve them), 2 (let out
--   by another step, which reserves them) or 0 (not waiting any more: their units go back).
local tickets, line, waiting, cursor_key, away, stock_copy, departures =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
redis.call('SET', stock_copy, ARGV[1])
local now = now_millis()
local cursor = tonumber(redis.call('GET', cursor_key) or '0')

local set_aside = 0
local absent = tonumber(ARGV[2])
for from = 3, 2 + 2 * absent, 2 do
  local user, ticket_id = ARGV[from], ARGV[from + 1]
  local ticket = decode_ticket(redis.call('HGET', tickets, user))
  if ticket and ticket.id == ticket_id and ticket.state == 'QUEUED'
      and redis.call('GETBIT', line, ticket.number) == 1 then
    line_take(line, waiting, ticket.number)
    redis.call('ZADD', away, now, user)
    if ticket.number > cursor then
      redis.call('RPUSH', departures, ticket.number)
    end
    set_aside = set_aside + 1
  end
end

local let_out_elsewhere = {ADMITTED = true, RESERVED = true, REFUSED = true, ENDED = true}
answer('OK', set_aside)
local moved = cursor
for from = 3 + 2 * absent, #ARGV, 4 do
  local user, ticket_id, units, admitted_at = ARGV[from], ARGV[from + 1], tonumber(ARGV[from + 2]), ARGV[from + 3]
  local ticket = decode_ticket(redis.call('HGET', tickets, user))
  if ticket and ticket.id == ticket_id and ticket.state == 'QUEUED' then
    local let_out = ticket_in(ticket, 'ADMITTED', '', admitted_at)
    let_out.quantity = units
    redis.call('HSET', tickets, user, encode_ticket(let_out))
    line_take(line, waiting, ticket.number)
    redis.call('ZREM', away, user)
    moved = math.max(moved, ticket.number)
    reply[#reply + 1] = 1
  elseif ticket and ticket.id == ticket_id and let_out_elsewhere[ticket.state] then
    reply[#reply + 1] = 2
  else
    reply[#reply + 1] = 0
  end
end
if moved > cursor then
  redis.call('SET', cursor_key, moved)
end
return reply

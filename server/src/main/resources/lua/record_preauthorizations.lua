-- Records the gateway's answers. A declined buyer leaves the line at once (and the pre-queue,
-- if still there) with the answer DECLINED on their ticket; an authorised one becomes
-- admissible. Safe to repeat: the answers of an idempotent gateway call do not change.
-- Java: checkout/RecordPreauthorizationsScript.
-- KEYS: authing, payment, line, tickets, prequeue.
-- ARGV: pairs of user id, AUTHORIZED or DECLINED.
-- Reply: OK, then the buyers authorised after they had left the line or been dropped: their new
--   hold is to be voided at once.
local authing, payments, line, tickets, prequeue = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]

answer('OK')
for i = 1, #ARGV, 2 do
  local user, state = ARGV[i], ARGV[i + 1]
  redis.call('ZREM', authing, user)
  redis.call('HSET', payments, user, state)
  if state == 'DECLINED' then
    redis.call('ZREM', line, user)
    redis.call('SREM', prequeue, user)
    local ticket = decode_ticket(redis.call('HGET', tickets, user))
    if ticket and ticket.state == 'QUEUED' then
      redis.call('HSET', tickets, user, encode_ticket(ticket_in(ticket, 'DECLINED')))
    end
  else
    local ticket = decode_ticket(redis.call('HGET', tickets, user))
    if ticket and (ticket.state == 'LEFT' or ticket.state == 'DROPPED') then
      reply[#reply + 1] = user
    end
  end
end
return reply

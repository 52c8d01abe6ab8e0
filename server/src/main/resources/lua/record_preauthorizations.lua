-- Records the gateway's answers on the buyers' tickets. A declined buyer leaves the line at once
-- (and the pre-queue, if still there) with the answer DECLINED on their ticket; an authorised one
-- becomes admissible. Safe to repeat: the answers of an idempotent gateway call do not change.
-- An answer for a buyer with no ticket (Redis lost the sale's state meanwhile) is dropped.
-- Java: checkout/RecordPreauthorizationsScript.
-- KEYS: authing, tickets, line, waiting (the prelude's line), prequeue, authq.
-- ARGV: pairs of user id, AUTHORIZED or DECLINED.
-- Reply: OK, then the buyers authorised after they had left the line or been dropped: their new
--   hold is to be voided at once.
local authing, tickets, line, waiting, prequeue, authq = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]

answer('OK')
for i = 1, #ARGV, 2 do
  local user, state = ARGV[i], ARGV[i + 1]
  redis.call('ZREM', authing, user)
  local ticket = decode_ticket(redis.call('HGET', tickets, user))
  if ticket then
    if state == 'DECLINED' then
      ticket.pay = 'N'
      line_take(line, waiting, ticket.number)
      redis.call('SREM', prequeue, user)
      redis.call('ZREM', authq, user)
      if ticket.state == 'QUEUED' then
        ticket.state = 'DECLINED'
      end
    else
      ticket.pay = 'Y'
      if ticket.state == 'LEFT' or ticket.state == 'DROPPED' then
        reply[#reply + 1] = user
      end
    end
    redis.call('HSET', tickets, user, encode_ticket(ticket))
  end
end
return reply

-- Records the gateway's answers. A declined buyer leaves the line at once (and the pre-queue,
-- if still there) with the answer DECLINED on their ticket; an authorised one becomes
-- admissible. Safe to repeat: the answers of an idempotent gateway call do not change.
-- KEYS[1] sale:{id}:authing  KEYS[2] sale:{id}:payment  KEYS[3] sale:{id}:line
-- KEYS[4] sale:{id}:tickets  KEYS[5] sale:{id}:prequeue
-- ARGV pairs: user id, AUTHORIZED or DECLINED
-- Returns the buyers authorised after they had left the line or been dropped: their new hold
-- is to be voided at once.
local gone = {}
for i = 1, #ARGV, 2 do
  local user = ARGV[i]
  local state = ARGV[i + 1]
  redis.call('ZREM', KEYS[1], user)
  redis.call('HSET', KEYS[2], user, state)
  if state == 'DECLINED' then
    redis.call('ZREM', KEYS[3], user)
    redis.call('SREM', KEYS[5], user)
    local ticket = redis.call('HGET', KEYS[4], user)
    local head, rest = string.match(ticket, '^([^|]*|[^|]*|[^|]*)|QUEUED|(.*)$')
    if head then
      redis.call('HSET', KEYS[4], user, head .. '|DECLINED|' .. rest)
    end
  else
    local ticket = redis.call('HGET', KEYS[4], user) or ''
    if string.find(ticket, '|LEFT|', 1, true) or string.find(ticket, '|DROPPED|', 1, true) then
      gone[#gone + 1] = user
    end
  end
end
return gone

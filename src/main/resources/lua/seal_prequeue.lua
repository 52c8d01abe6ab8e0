-- Numbers pre-queue buyers in the order given (the caller shuffled them), ahead of everyone
-- who joins after T-0. Idempotent per buyer: only members still in the pre-queue set are
-- numbered, so a second sealer or a retry after a crash never numbers anyone twice.
-- KEYS[1] sale:{id}:tickets  KEYS[2] sale:{id}:seq  KEYS[3] sale:{id}:line
-- KEYS[4] sale:{id}:prequeue KEYS[5] sale:{id}:sealed  KEYS[6] sale:{id}:authq
-- ARGV[1] '1' to seal when the pre-queue is empty afterwards; ARGV[2..] user ids in line order
-- Returns the number of buyers still in the pre-queue (0 when sealed).
for i = 2, #ARGV do
  local user = ARGV[i]
  if redis.call('SREM', KEYS[4], user) == 1 then
    local number = redis.call('INCR', KEYS[2])
    redis.call('ZADD', KEYS[3], number, user)
    -- A pre-authorisation still waiting to start keeps the buyer's new place in its own queue.
    redis.call('ZADD', KEYS[6], 'XX', number, user)
    local ticket = redis.call('HGET', KEYS[1], user)
    local id, quantity, rest = string.match(ticket, '^([^|]*)|[^|]*|([^|]*)|(.*)$')
    redis.call('HSET', KEYS[1], user, id .. '|' .. number .. '|' .. quantity .. '|' .. rest)
  end
end
local left = redis.call('SCARD', KEYS[4])
if left == 0 and ARGV[1] == '1' then
  redis.call('SET', KEYS[5], '1')
end
return left

-- Numbers pre-queue buyers in the order given (the caller shuffled them), ahead of everyone
-- who joins after T-0. Idempotent per buyer: only members still in the pre-queue set are
-- numbered, so a second sealer or a retry after a crash never numbers anyone twice.
-- Java: waitingroom/SealPrequeueScript.
-- KEYS: tickets, seq, line, roster, waiting (the prelude's line), prequeue, sealed, authq.
-- ARGV: '1' to seal when the pre-queue is empty afterwards, then user ids in line order.
-- Reply: SEALED or OPEN, then the number of buyers still in the pre-queue. Once sealed, the sealed
-- key holds the pre-queue's size (the numbers it took, 1..size): a sharded line interleaves its
-- shards' pre-queues in proportion to their sizes (waitingroom/LineOrder).
local tickets, sequence, line, roster, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local prequeue, sealed, authq = KEYS[6], KEYS[7], KEYS[8]
local seal_when_empty = ARGV[1] == '1'

for i = 2, #ARGV do
  local user = ARGV[i]
  if redis.call('SREM', prequeue, user) == 1 then
    local number = redis.call('INCR', sequence)
    redis.call('RPUSH', roster, user)
    line_put(line, waiting, number)
    -- A pre-authorisation still waiting to start is found by the claim step's walk of the line.
    redis.call('ZREM', authq, user)
    local ticket = decode_ticket(redis.call('HGET', tickets, user))
    ticket.number = number
    redis.call('HSET', tickets, user, encode_ticket(ticket))
  end
end
local left = redis.call('SCARD', prequeue)
if left == 0 and seal_when_empty then
  redis.call('SET', sealed, redis.call('GET', sequence) or '0')
  answer('SEALED', left)
else
  answer('OPEN', left)
end
return reply

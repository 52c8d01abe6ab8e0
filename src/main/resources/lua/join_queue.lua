-- A buyer joins a sale's waiting room. Atomic: dedupe, blacklist, number, enqueue.
-- KEYS[1] sale:{id}:tickets   hash user -> ticket "ticketId|number|quantity|state|orderId|admittedAtMillis"
-- KEYS[2] sale:{id}:blacklist set of flagged user ids
-- KEYS[3] sale:{id}:seq       last queue number handed out
-- KEYS[4] sale:{id}:line      zset user -> queue number, buyers still waiting
-- KEYS[5] sale:{id}:prequeue  set of buyers who joined before the pre-queue was sealed
-- KEYS[6] sale:{id}:sealed    exists once the pre-queue has been shuffled into the line
-- ARGV[1] user id  ARGV[2] quantity  ARGV[3] new ticket id  ARGV[4] '1' if the sale shuffles its pre-queue
-- KEYS[7] sale:{id}:stock     KEYS[8] sale:{id}:authq  KEYS[9] sale:{id}:payment  KEYS[10] sale:{id}:pm
-- KEYS[11] sale:{id}:blacklist-devices  KEYS[12] sale:{id}:rejections (hash reason -> count)
-- KEYS[13] sale:{id}:seen (a buyer who just joined is present)
-- ARGV[5] payment method to pre-authorise while the buyer waits  ARGV[6] device fingerprint or ''
-- Returns {outcome, ticket, position, stock}: JOINED with the new ticket, its place in line
-- (for a pre-queue ticket: the pre-queue's size, an upper bound) and the stock left;
-- EXISTING with the buyer's ticket; BLACKLISTED or BLACKLISTED_DEVICE with ''.
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  return {'EXISTING', existing, 0, 0}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[12], 'BLACKLISTED', 1)
  return {'BLACKLISTED', '', 0, 0}
end
if ARGV[6] ~= '' and redis.call('SISMEMBER', KEYS[11], ARGV[6]) == 1 then
  redis.call('HINCRBY', KEYS[12], 'BLACKLISTED_DEVICE', 1)
  return {'BLACKLISTED_DEVICE', '', 0, 0}
end

local ticket
local position
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[6]) == 0 then
  -- Pre-queue: no number yet; everyone here is shuffled into the line at T-0.
  redis.call('SADD', KEYS[5], ARGV[1])
  ticket = ARGV[3] .. '|0|' .. ARGV[2] .. '|QUEUED||'
  position = redis.call('SCARD', KEYS[5])
  redis.call('ZADD', KEYS[8], 0, ARGV[1])
else
  local number = redis.call('INCR', KEYS[3])
  redis.call('ZADD', KEYS[4], number, ARGV[1])
  ticket = ARGV[3] .. '|' .. number .. '|' .. ARGV[2] .. '|QUEUED||'
  position = redis.call('ZRANK', KEYS[4], ARGV[1]) + 1
  redis.call('ZADD', KEYS[8], number, ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ticket)
local clock = redis.call('TIME')
redis.call('ZADD', KEYS[13], tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000), ARGV[1])
-- The card is pre-authorised while the buyer waits, head of the line first.
redis.call('HSET', KEYS[9], ARGV[1], 'AUTHORIZING')
redis.call('HSET', KEYS[10], ARGV[1], ARGV[5])
return {'JOINED', ticket, position, tonumber(redis.call('GET', KEYS[7]) or '-1')}

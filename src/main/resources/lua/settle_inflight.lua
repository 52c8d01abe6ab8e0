-- Settles one in-flight take that has been pending too long (the process that took the units
-- probably died before or after its database write). ARGV[2] says whether the database has
-- the order: if it has, only the bookkeeping is finished; if not, the units go back to the
-- pool and an admitted buyer goes back to their place in line.
-- KEYS[1] sale:{id}:inflight  KEYS[2] sale:{id}:stock  KEYS[3] sale:{id}:buyers
-- KEYS[4] sale:{id}:tickets   KEYS[5] sale:{id}:line
-- ARGV[1] order id (for an admission, the ticket id)  ARGV[2] '1' if the order exists
-- Returns {units returned to the pool (0 if none or already settled), the admitted buyer's
-- ticket state now ('RESERVED', back in line 'QUEUED', or '' when no admission was settled)}:
-- the buyer's live connections are told, since the process that would have told them is gone.
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then
  return {0, ''}
end
redis.call('HDEL', KEYS[1], ARGV[1])
local user, quantity = string.match(entry, '^(.*)|([^|]*)|[^|]*$')
quantity = tonumber(quantity)

local ticket = redis.call('HGET', KEYS[4], user)
local id, number, wanted, state, admittedAt
if ticket then
  id, number, wanted, state, admittedAt = string.match(ticket, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|[^|]*|(.*)$')
end
local admission = ticket and id == ARGV[1] and state == 'ADMITTED'

if ARGV[2] == '1' then
  if admission then
    redis.call('HSET', KEYS[4], user, id .. '|' .. number .. '|' .. wanted .. '|RESERVED|' .. ARGV[1] .. '|' .. admittedAt)
    return {0, 'RESERVED'}
  end
  return {0, ''}
end

if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('INCRBY', KEYS[2], quantity)
end
local held = tonumber(redis.call('HGET', KEYS[3], user) or '0')
if held <= quantity then
  redis.call('HDEL', KEYS[3], user)
else
  redis.call('HINCRBY', KEYS[3], user, -quantity)
end
if admission then
  redis.call('HSET', KEYS[4], user, id .. '|' .. number .. '|' .. wanted .. '|QUEUED||')
  redis.call('ZADD', KEYS[5], tonumber(number), user)
  return {quantity, 'QUEUED'}
end
return {quantity, ''}

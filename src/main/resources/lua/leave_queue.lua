-- A buyer leaves a sale's line of their own accord. Atomic with admission: either they were
-- let out first (the answer says so) or they are out of every queue before the next step.
-- KEYS[1] tickets  KEYS[2] line  KEYS[3] away  KEYS[4] prequeue  KEYS[5] authq  KEYS[6] authing
-- KEYS[7] departures  KEYS[8] cursor  KEYS[9] payment
-- ARGV[1] user id  ARGV[2] the ticket id the caller named, or '' (then theirs)
-- Returns {outcome, ticket, pre-authorisation state}: LEFT with the closed ticket; NOT_WAITING
-- with the ticket as it is (RESERVED, ADMITTED, LEFT, DROPPED, ...) if it was no longer waiting;
-- NOT_IN_LINE with '' when the buyer never joined; NOT_YOURS when ARGV[2] is another ticket.
local user = ARGV[1]
local ticket = redis.call('HGET', KEYS[1], user)
if not ticket then
  return {'NOT_IN_LINE', '', ''}
end
local id, number, quantity, state, rest = string.match(ticket, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
if ARGV[2] ~= '' and ARGV[2] ~= id then
  return {'NOT_YOURS', '', ''}
end
local payment = redis.call('HGET', KEYS[9], user) or ''
if state ~= 'QUEUED' then
  return {'NOT_WAITING', ticket, payment}
end
redis.call('ZREM', KEYS[2], user)
redis.call('ZREM', KEYS[3], user)
redis.call('SREM', KEYS[4], user)
redis.call('ZREM', KEYS[5], user)
redis.call('ZREM', KEYS[6], user)
local closed = id .. '|' .. number .. '|' .. quantity .. '|LEFT|' .. rest
redis.call('HSET', KEYS[1], user, closed)
if tonumber(number) > tonumber(redis.call('GET', KEYS[8]) or '0') then
  redis.call('RPUSH', KEYS[7], number)
end
return {'LEFT', closed, payment}

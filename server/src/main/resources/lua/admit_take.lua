-- The middle of an admission step of a sharded line, in the sale's own slot: the token bucket,
-- the stock and the in-flight records, over the candidates the shards' peeks named, merged in
-- line order by the instance. Same rules as admit.lua: authorised buyers take their units in
-- order, a few slow cards are passed (keeping the units they asked for), the last units go to the
-- head even if fewer than asked. An absent candidate (payment X) the walk reaches is named to be
-- set aside on its shard (admit_mark.lua), as admit.lua sets them aside on its way. Once per ticket: every ticket given units joins the admitted set.
-- A candidate already in it whose in-flight record is still there was taken by a step whose mark
-- may not have landed (an instance died, or two stepped at once) and is named again without new
-- units or a token; one whose record is gone has its answer already and is passed by. So a stale
-- peek can never take twice. Reconciliation takes a ticket whose units it gave back out of the set.
-- Java: waitingroom/ShardedAdmissions.
-- KEYS: stock, buyers, bucket, control, inflight, admitted (set of ticket ids).
-- ARGV: the sale's admissions per second, tick in ms, passable slow cards, then per candidate:
--   user, ticket id, shard, number, quantity, payment letter.
-- Reply: OK, stock left (-1: not loaded), A, then A absent buyers to set aside
--   "user|ticketId|number|shard", then entries "user|ticketId|number|quantity|admittedAt|shard|taken"
--   (taken 0: named again, its units were taken before).
local stock_key, buyers, bucket, control_key, inflight = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local admitted_set = KEYS[6]
local sale_rate, tick, passable = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])

local now = now_millis()
local halted, rate, capacity = admission_controls(control_key, sale_rate, tick)
local tokens = bucket_tokens(bucket, now, rate, capacity, halted)

local stock = tonumber(redis.call('GET', stock_key) or '-1')
local admitted, aside = {}, {}
local batch = math.min(capacity, math.floor(tokens))
if stock > 0 and batch > 0 then
  local passed, free, named = 0, stock, 0
  for from = 4, #ARGV, 6 do
    if free <= 0 or named >= batch or passed > passable then
      break
    end
    local user, ticket_id, shard, number = ARGV[from], ARGV[from + 1], ARGV[from + 2], ARGV[from + 3]
    local quantity, pay = tonumber(ARGV[from + 4]), ARGV[from + 5]
    if pay == 'X' then
      aside[#aside + 1] = table.concat({user, ticket_id, number, shard}, '|')
    elseif pay == 'Y' and redis.call('SISMEMBER', admitted_set, ticket_id) == 1 then
      local earlier = redis.call('HGET', inflight, ticket_id)
      if earlier then
        local taken = decode_inflight(earlier)
        admitted[#admitted + 1] = table.concat({user, ticket_id, number, taken.quantity, taken.taken_at, shard, 0}, '|')
        named = named + 1
      end
    elseif pay == 'Y' then
      -- The last units go to the head of the line even if fewer than asked: nothing is left unsold.
      local units = math.min(quantity, free)
      stock = stock - units
      free = free - units
      redis.call('DECRBY', stock_key, units)
      redis.call('HINCRBY', buyers, user, units)
      redis.call('HSET', inflight, ticket_id, encode_inflight(user, units, now))
      redis.call('SADD', admitted_set, ticket_id)
      tokens = tokens - 1
      admitted[#admitted + 1] = table.concat({user, ticket_id, number, units, now, shard, 1}, '|')
      named = named + 1
    else
      passed = passed + 1
      free = free - quantity
    end
  end
end
redis.call('HSET', bucket, 'tokens', tostring(tokens), 'at', now)
answer('OK', stock, #aside)
for i = 1, #aside do
  reply[#reply + 1] = aside[i]
end
for i = 1, #admitted do
  reply[#reply + 1] = admitted[i]
end
return reply

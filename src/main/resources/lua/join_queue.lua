-- Buyers join a sale's waiting room: a batch of joins that reached one instance within about a
-- millisecond, in arrival order, in one atomic call. For each buyer, cheapest refusal first:
-- the rate limits (lib/gcra.lua), the proof of work (a refusal the instance already found, or
-- the single-use mark of a good proof), then dedupe, the account and device blacklists, then a
-- number and a place in line. Every refusal is counted in the sale's rejections hash.
-- KEYS[1] sale:{id}:tickets   hash user -> ticket "ticketId|number|quantity|state|orderId|admittedAtMillis"
-- KEYS[2] sale:{id}:blacklist set of flagged user ids
-- KEYS[3] sale:{id}:seq       last queue number handed out
-- KEYS[4] sale:{id}:line      zset user -> queue number, buyers still waiting
-- KEYS[5] sale:{id}:prequeue  set of buyers who joined before the pre-queue was sealed
-- KEYS[6] sale:{id}:sealed    exists once the pre-queue has been shuffled into the line
-- KEYS[7] sale:{id}:stock     KEYS[8] sale:{id}:authq  KEYS[9] sale:{id}:payment  KEYS[10] sale:{id}:pm
-- KEYS[11] sale:{id}:blacklist-devices  KEYS[12] sale:{id}:rejections (hash reason -> count)
-- KEYS[13] sale:{id}:seen (a buyer who just joined is present)
-- KEYS[14..] the batch's rate-limit keys and spent-challenge marks, each named once, referred to by index
-- ARGV[1] '1' if the sale shuffles its pre-queue  ARGV[2] the number of buyers, then per buyer:
-- user id, quantity, new ticket id, payment method to pre-authorise while the buyer waits,
-- device fingerprint or '', the proof of work's refusal reason or '' (e.g. POW_MISSING: the
-- answer if the rate limits pass), index into KEYS of a good proof's mark (0: none), the mark's
-- lifetime in ms, then the buyer's rate limits (lib/gcra.lua: batch_limits).
-- Returns four fields per buyer, in order: JOINED, the new ticket, its place in line (for a
-- pre-queue ticket: the pre-queue's size, an upper bound), the stock left; EXISTING, the buyer's
-- ticket, 0, 0; BLACKLISTED, BLACKLISTED_DEVICE, POW_REPLAYED or the proof's refusal, '', 0, 0; RATE_LIMITED, '',
-- retry after ms, index of the refusing limit among the buyer's own (1-based).
--#include gcra
local now = now_millis()
local prequeue = ARGV[1] == '1' and redis.call('EXISTS', KEYS[6]) == 0
local stock = tonumber(redis.call('GET', KEYS[7]) or '-1')

local result = {}
local function answer(outcome, ticket, number, detail)
  result[#result + 1] = outcome
  result[#result + 1] = ticket
  result[#result + 1] = number
  result[#result + 1] = detail
end

local function refuse(reason)
  redis.call('HINCRBY', KEYS[12], reason, 1)
  answer(reason, '', 0, 0)
end

local at = 3
for _ = 1, tonumber(ARGV[2]) do
  local user, quantity, ticketId = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  local method, device, powRefusal = ARGV[at + 3], ARGV[at + 4], ARGV[at + 5]
  local mark, markTtl = tonumber(ARGV[at + 6]), ARGV[at + 7]
  local limits
  limits, at = batch_limits(at + 8)
  local retryAfter, refusing = gcra(now, limits)
  local existing
  if retryAfter then
    redis.call('HINCRBY', KEYS[12], 'RATE_LIMITED', 1)
    answer('RATE_LIMITED', '', retryAfter, refusing)
  elseif powRefusal ~= '' then
    refuse(powRefusal)
  elseif mark > 0 and not redis.call('SET', KEYS[mark], '1', 'NX', 'PX', markTtl) then
    refuse('POW_REPLAYED')
  else
    existing = redis.call('HGET', KEYS[1], user)
    if existing then
      answer('EXISTING', existing, 0, 0)
    elseif redis.call('SISMEMBER', KEYS[2], user) == 1 then
      refuse('BLACKLISTED')
    elseif device ~= '' and redis.call('SISMEMBER', KEYS[11], device) == 1 then
      refuse('BLACKLISTED_DEVICE')
    else
      local ticket
      local position
      if prequeue then
        -- Pre-queue: no number yet; everyone here is shuffled into the line at T-0.
        redis.call('SADD', KEYS[5], user)
        ticket = ticketId .. '|0|' .. quantity .. '|QUEUED||'
        position = redis.call('SCARD', KEYS[5])
        redis.call('ZADD', KEYS[8], 0, user)
      else
        local number = redis.call('INCR', KEYS[3])
        redis.call('ZADD', KEYS[4], number, user)
        ticket = ticketId .. '|' .. number .. '|' .. quantity .. '|QUEUED||'
        position = redis.call('ZRANK', KEYS[4], user) + 1
        redis.call('ZADD', KEYS[8], number, user)
      end
      redis.call('HSET', KEYS[1], user, ticket)
      redis.call('ZADD', KEYS[13], now, user)
      -- The card is pre-authorised while the buyer waits, head of the line first.
      redis.call('HSET', KEYS[9], user, 'AUTHORIZING')
      redis.call('HSET', KEYS[10], user, method)
      answer('JOINED', ticket, position, stock)
    end
  end
end
return result

-- Buyers join a sale's waiting room: a batch of joins that reached one instance within about a
-- millisecond, in arrival order, in one atomic call. For each buyer, cheapest refusal first:
-- the rate limits (lib/gcra.lua), the proof of work (a refusal the instance already found, or
-- the single-use mark of a good proof), then dedupe, the account and device blacklists, then a
-- number and a place in line. Every refusal is counted in the sale's rejections hash.
-- Java: waitingroom/JoinQueueScript.
-- KEYS: tickets (hash user -> ticket), blacklist, seq (last queue number handed out), line (zset
--   user -> queue number), prequeue (set: joined before the pre-queue was sealed), sealed (exists
--   once the pre-queue is shuffled), stock, authq, payment, pm, blacklist-devices, rejections
--   (hash reason -> count), seen (a buyer who just joined is present); then the batch's rate-limit
--   keys and spent-challenge marks, each named once, referred to by index.
-- ARGV: shuffles ('1' if the sale shuffles its pre-queue), the number of buyers, then per buyer:
--   user id, quantity, new ticket id, payment method to pre-authorise while the buyer waits,
--   device fingerprint or '', the proof of work's refusal reason or '' (e.g. POW_MISSING: the
--   answer if the rate limits pass), index into KEYS of a good proof's mark (0: none), the mark's
--   lifetime in ms, then the buyer's rate limits (lib/gcra.lua: batch_limits).
-- Reply, per buyer: outcome, ticket, number, detail:
--   JOINED, the new ticket, its place in line (for a pre-queue ticket: the pre-queue's size, an
--   upper bound), the stock left; EXISTING, the buyer's ticket, 0, 0; BLACKLISTED,
--   BLACKLISTED_DEVICE, POW_REPLAYED or the proof's refusal, '', 0, 0; RATE_LIMITED, '', retry
--   after ms, index of the refusing limit among the buyer's own (1-based).
--#include gcra
local tickets, blacklist, sequence, line, prequeue, sealed = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local stock_key, authq, payments, methods = KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local blacklisted_devices, rejections, seen = KEYS[11], KEYS[12], KEYS[13]
local shuffles, buyers = ARGV[1] == '1', tonumber(ARGV[2])

local now = now_millis()
local in_prequeue = shuffles and redis.call('EXISTS', sealed) == 0
local stock = tonumber(redis.call('GET', stock_key) or '-1')

local function refuse(reason)
  redis.call('HINCRBY', rejections, reason, 1)
  answer(reason, '', 0, 0)
end

local at = 3
for _ = 1, buyers do
  local user, quantity, ticket_id = ARGV[at], tonumber(ARGV[at + 1]), ARGV[at + 2]
  local method, device, pow_refusal = ARGV[at + 3], ARGV[at + 4], ARGV[at + 5]
  local mark, mark_ttl = tonumber(ARGV[at + 6]), ARGV[at + 7]
  local limits
  limits, at = batch_limits(at + 8)
  local retry_after, refusing = gcra(now, limits)
  if retry_after then
    redis.call('HINCRBY', rejections, 'RATE_LIMITED', 1)
    answer('RATE_LIMITED', '', retry_after, refusing)
  elseif pow_refusal ~= '' then
    refuse(pow_refusal)
  elseif mark > 0 and not redis.call('SET', KEYS[mark], '1', 'NX', 'PX', mark_ttl) then
    refuse('POW_REPLAYED')
  else
    local existing = redis.call('HGET', tickets, user)
    local flagged = not existing and blacklisted(blacklist, blacklisted_devices, user, device)
    if existing then
      answer('EXISTING', existing, 0, 0)
    elseif flagged then
      refuse(flagged)
    else
      local ticket = {id = ticket_id, quantity = quantity, state = 'QUEUED', order = '', admitted_at = ''}
      local position
      if in_prequeue then
        -- Pre-queue: no number yet; everyone here is shuffled into the line at T-0.
        redis.call('SADD', prequeue, user)
        ticket.number = 0
        position = redis.call('SCARD', prequeue)
        redis.call('ZADD', authq, 0, user)
      else
        ticket.number = redis.call('INCR', sequence)
        redis.call('ZADD', line, ticket.number, user)
        position = redis.call('ZRANK', line, user) + 1
        redis.call('ZADD', authq, ticket.number, user)
      end
      local encoded = encode_ticket(ticket)
      redis.call('HSET', tickets, user, encoded)
      redis.call('ZADD', seen, now, user)
      -- The card is pre-authorised while the buyer waits, head of the line first.
      redis.call('HSET', payments, user, 'AUTHORIZING')
      redis.call('HSET', methods, user, method)
      answer('JOINED', encoded, position, stock)
    end
  end
end
return reply

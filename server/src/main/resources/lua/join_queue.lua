-- Buyers join a sale's waiting room: a batch of joins that reached one instance within about a
-- millisecond, in arrival order, in one atomic call. A buyer who holds a ticket is answered with
-- it, whatever else they send: a join is idempotent, and nothing is written. For anyone else,
-- cheapest refusal first: the rate limits, then the proof of work (which the instance verified),
-- the account and device blacklists, then a number and a place in line.
-- Every request counts against its rate limits, refused or not, a ticket holder's included. On a
-- one-slot line the limits are counted here, in the sale's rate-limit sketch (antibot/
-- RateLimitSketch: the instance hands over each buyer's counters; one BITFIELD per window string
-- for the whole batch), so a batch is one round trip. On a sharded line the instance counts them
-- first, in slots of their own (exact across shards), and hands over its verdicts.
-- Every refusal is counted in the sale's rejections hash.
-- A good proof of work is spent by the ticket it buys: the challenge names the sale and the user,
-- who holds one ticket, so a replay can buy nothing and needs no mark of its own.
-- Java: waitingroom/JoinQueueScript.
-- A waiting buyer costs one ticket (which holds their payment state, payment method and when they
-- were last seen) and one roster entry; the line bitmap and presence counts are shared.
-- KEYS: tickets (hash user -> ticket), blacklist, seq (last queue number handed out), line, roster,
--   waiting (the prelude's line), prequeue (set: joined before the pre-queue was sealed), sealed
--   (exists once the pre-queue is shuffled), stock, authq (zset: pre-queue buyers whose card
--   authorisation has not started), blacklist-devices, rejections (hash reason -> count), presence
--   (a buyer who just joined is present), then the D rate-limit window strings counted here.
-- ARGV: shuffles ('1' if the sale shuffles its pre-queue), n (the number of buyers), D (0 when the
--   instance counted the limits); per window string: allowance, rows (counters per subject),
--   milliseconds to expire in; the n user ids; per buyer: quantity, new ticket id, payment method
--   to pre-authorise while the buyer waits, device fingerprint or '', the instance's refusal or ''
--   (RATE_LIMITED when it counted, or the proof of work's, e.g. POW_MISSING: the answer unless the
--   buyer holds a ticket or a limit here refuses); then per window string, per buyer, per row, the
--   four arguments of a BITFIELD op: INCRBY, the counter type (u4...), the counter ('#n'), and 1,
--   or 0 for a limit the buyer does not carry (counted nowhere, read as nothing). The ops come
--   ready-made so the script hands them to BITFIELD as they are.
-- Reply, per buyer: outcome, ticket, number, detail:
--   JOINED, the new ticket, its place in line (for a pre-queue ticket: the pre-queue's size, an
--   upper bound), the stock left; EXISTING, the buyer's ticket, 0, 0; RATE_LIMITED by a limit
--   counted here, '', the window strings that refused as a bit mask (bit d - 1: the d-th), 0;
--   BLACKLISTED, BLACKLISTED_DEVICE or the instance's refusal, '', 0, 0.
local tickets, blacklist, sequence, line, roster, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local prequeue, sealed, stock_key, authq = KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local blacklisted_devices, rejections, presence = KEYS[11], KEYS[12], KEYS[13]
local shuffles, buyers, windows = ARGV[1] == '1', tonumber(ARGV[2]), tonumber(ARGV[3])
local users_at = 4 + windows * 3
local fields_at = users_at + buyers
local ops_at = fields_at + buyers * 5

-- unpack() takes a few thousand values at most: long lists go in slices.
local function each_slice(values, size, write)
  for from = 1, #values, size do
    write(unpack(values, from, math.min(#values, from + size - 1)))
  end
end

-- command(ARGV[from], ..., ARGV[last]) in slices of at most size arguments, the replies joined.
local function over_argv(from, last, size, command)
  if last - from < size then
    return command(unpack(ARGV, from, last))
  end
  local all = {}
  for slice = from, last, size do
    local got = command(unpack(ARGV, slice, math.min(last, slice + size - 1)))
    for i = 1, #got do
      all[#all + 1] = got[i]
    end
  end
  return all
end

-- Who holds a ticket already, in one read.
local held = over_argv(users_at, fields_at - 1, 1000, function(...)
  return redis.call('HMGET', tickets, ...)
end)

-- The rate limits counted here: per window string, every buyer's counters added in one BITFIELD;
-- a buyer is refused by a limit when the least of their counters is past its allowance.
-- limited[b]: the bit mask of the limits that refused buyer b.
local limited = {}
local from = ops_at
for d = 1, windows do
  local at = 4 + (d - 1) * 3
  local key, allowance, rows, ttl = KEYS[13 + d], tonumber(ARGV[at]), tonumber(ARGV[at + 1]), ARGV[at + 2]
  local counts = over_argv(from, from + buyers * rows * 4 - 1, 4000, function(...)
    return redis.call('BITFIELD', key, 'OVERFLOW', 'SAT', ...)
  end)
  redis.call('PEXPIRE', key, ttl)
  for b = 1, buyers do
    local base = (b - 1) * rows
    if ARGV[from + base * 4 + 3] == '1' then
      local least = counts[base + 1]
      for row = 2, rows do
        least = math.min(least, counts[base + row])
      end
      if least > allowance then
        limited[b] = (limited[b] or 0) + 2 ^ (d - 1)
      end
    end
  end
  from = from + buyers * rows * 4
end

local now = now_millis()
local in_prequeue = shuffles and redis.call('EXISTS', sealed) == 0
local stock = tonumber(redis.call('GET', stock_key) or '-1')
-- Most sales flag nobody: then no buyer's join asks the blacklists.
local flags = redis.call('EXISTS', blacklist, blacklisted_devices) > 0
-- What the batch adds, written once at its end: one call per structure, not per buyer.
local sequence_now = tonumber(redis.call('GET', sequence) or '0')
local in_line = tonumber(redis.call('GET', waiting) or '0')
local in_prequeue_count = in_prequeue and redis.call('SCARD', prequeue) or 0
local new_tickets, new_users, new_bits, joined = {}, {}, {}, {}

local function refuse(reason, detail)
  redis.call('HINCRBY', rejections, reason, 1)
  answer(reason, '', detail or 0, 0)
end

local at = fields_at
for b = 1, buyers do
  local user, quantity, ticket_id = ARGV[users_at + b - 1], tonumber(ARGV[at]), ARGV[at + 1]
  local method, device, refusal = ARGV[at + 2], ARGV[at + 3], ARGV[at + 4]
  at = at + 5
  local existing = joined[user] or held[b]
  if existing then
    answer('EXISTING', existing, 0, 0)
  else
    local flagged = refusal == '' and not limited[b] and flags
      and blacklisted(blacklist, blacklisted_devices, user, device)
    if limited[b] then
      refuse('RATE_LIMITED', limited[b])
    elseif refusal ~= '' then
      refuse(refusal)
    elseif flagged then
      refuse(flagged)
    else
      -- The card is pre-authorised while the buyer waits, head of the line first.
      local ticket = {id = ticket_id, number = 0, quantity = quantity, state = 'QUEUED', order = '',
                      admitted_at = '', pay = 'Q', seen = now, method = method}
      local position
      if in_prequeue then
        -- Pre-queue: no number yet; everyone here is shuffled into the line at T-0.
        in_prequeue_count = in_prequeue_count + 1
        position = in_prequeue_count
      else
        sequence_now = sequence_now + 1
        ticket.number = sequence_now
        new_bits[#new_bits + 1] = sequence_now
        -- The newest number is the last in line.
        in_line = in_line + 1
        position = in_line
      end
      local encoded = encode_ticket(ticket)
      joined[user] = encoded
      new_users[#new_users + 1] = user
      new_tickets[#new_tickets + 1] = user
      new_tickets[#new_tickets + 1] = encoded
      answer('JOINED', encoded, position, stock)
    end
  end
end

if #new_users > 0 then
  each_slice(new_tickets, 1000, function(...) redis.call('HSET', tickets, ...) end)
  redis.call('HINCRBY', presence, math.floor(now / 1000), #new_users)
  if in_prequeue then
    each_slice(new_users, 500, function(...) redis.call('SADD', prequeue, ...) end)
    local front = {}
    for i = 1, #new_users do
      front[#front + 1] = 0
      front[#front + 1] = new_users[i]
    end
    each_slice(front, 1000, function(...) redis.call('ZADD', authq, ...) end)
  else
    redis.call('SET', sequence, sequence_now)
    each_slice(new_users, 500, function(...) redis.call('RPUSH', roster, ...) end)
    -- The batch's numbers follow one another: their bits are set 64 at a time (a signed field
    -- of -1 is all ones).
    local bits = {}
    local from, last = new_bits[1], new_bits[#new_bits]
    while from <= last do
      local run = math.min(64, last - from + 1)
      bits[#bits + 1] = 'SET'
      bits[#bits + 1] = 'i' .. run
      bits[#bits + 1] = from
      bits[#bits + 1] = -1
      from = from + run
    end
    each_slice(bits, 1000, function(...) redis.call('BITFIELD', line, ...) end)
    redis.call('SET', waiting, in_line)
  end
end
return reply

-- One admission step for one sale, cluster-wide. The token bucket lives here, refilled from
-- Redis' own clock, so any number of instances calling this every tick admit at the sale's
-- rate in total: a duplicate call finds no tokens. Each admitted buyer takes their units from
-- the stock in the same step, in line order, so the winners are the head of the line.
-- Only buyers whose card is pre-authorised are let out; one whose authorisation is still
-- running keeps their place, and the units they asked for, and is let out by a later step:
-- a slow card never stalls the line behind it, nor loses its turn to it. Declined buyers
-- leave the line (they were told by the authoriser).
-- Presence: a buyer not seen within the window when their turn comes is set aside (out of the
-- line, number kept); coming back puts them in again ahead of everyone after them. One still
-- away when the grace runs out is dropped. Operator controls (paused, rate, ended) are read
-- here, so they hold on every instance from the next step on.
-- Java: waitingroom/AdmitScript.
-- KEYS: line, roster, waiting (the prelude's line), tickets, stock, buyers, bucket, cursor,
--   inflight (the ticket id is the order id to be), presence, away, departures, control, authq,
--   authing.
-- ARGV: the sale's admissions per second (control.rate overrides it), tick in ms, how many buyers
--   still being authorised a step may pass before it stops looking, presence window in ms (0:
--   presence is not checked), grace in ms, most absent buyers one step sets aside.
-- Reply: OK, stock left (-1: counter not loaded), buyers waiting, buyers away, buyers seen within
--   the window (to the second), skipped for absence, D, then D dropped entries, then the admitted
--   entries (the prelude's codecs).
local line, roster, waiting, tickets, stock_key, buyers, bucket, cursor_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local inflight, presence, away, departures, control_key, authq, authing =
  KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14], KEYS[15]
local sale_rate, tick, passable = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local window, grace, most_absent_per_step = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])

local now = now_millis()

local halted, rate, capacity = admission_controls(control_key, sale_rate, tick)
local tokens = bucket_tokens(bucket, now, rate, capacity, halted)

local dropped = {}
if window > 0 and not halted then
  dropped = drop_away(away, authq, authing, tickets, now, grace)
end

local stock = tonumber(redis.call('GET', stock_key) or '-1')
local admitted = {}
local skipped = 0
local batch = math.min(capacity, math.floor(tokens))
if stock > 0 and batch > 0 then
  local cursor = tonumber(redis.call('GET', cursor_key) or '0')
  local most_absent = window > 0 and most_absent_per_step or 0
  local seen_since = now - window
  local passed = 0
  -- Units not promised to a buyer passed over on the way.
  local free = stock
  -- The head of the line, one waiting number after another: a step looks at no more buyers than
  -- it may admit, pass over or set aside.
  local looked, most_looked = 0, batch + passable + most_absent
  local number = 0
  while free > 0 and #admitted < batch and passed <= passable and looked < most_looked do
    number = line_next(line, number)
    if not number then
      break
    end
    looked = looked + 1
    local user = redis.call('LINDEX', roster, number - 1)
    local ticket = decode_ticket(redis.call('HGET', tickets, user))
    local present = window == 0 or ticket.seen >= seen_since
    if not present then
      if skipped < most_absent then
        skipped = skipped + 1
        line_take(line, waiting, number)
        redis.call('ZADD', away, now, user)
        if number > cursor then
          redis.call('RPUSH', departures, number)
        end
      end
    elseif ticket.pay == 'Y' then
      -- The last units go to the head of the line even if fewer than asked: nothing is left unsold.
      local quantity = math.min(ticket.quantity, free)
      stock = stock - quantity
      free = free - quantity
      redis.call('DECRBY', stock_key, quantity)
      redis.call('HINCRBY', buyers, user, quantity)
      local let_out = ticket_in(ticket, 'ADMITTED', '', now)
      let_out.quantity = quantity
      redis.call('HSET', tickets, user, encode_ticket(let_out))
      line_take(line, waiting, number)
      redis.call('HSET', inflight, ticket.id, encode_inflight(user, quantity, now))
      if number > cursor then
        cursor = number
        redis.call('SET', cursor_key, number)
      end
      tokens = tokens - 1
      admitted[#admitted + 1] = encode_admitted(user, let_out)
    elseif ticket.pay == 'N' then
      line_take(line, waiting, number)
    else
      passed = passed + 1
      free = free - ticket.quantity
    end
  end
end
redis.call('HSET', bucket, 'tokens', tostring(tokens), 'at', now)

local present = window > 0 and presence_since(presence, now - window) or 0
answer('OK', stock, tonumber(redis.call('GET', waiting) or '0'), redis.call('ZCARD', away), present, skipped,
  #dropped)
for i = 1, #dropped do
  reply[#reply + 1] = dropped[i]
end
for i = 1, #admitted do
  reply[#reply + 1] = admitted[i]
end
return reply

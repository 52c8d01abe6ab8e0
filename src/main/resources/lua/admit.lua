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
-- KEYS[1] line  KEYS[2] tickets  KEYS[3] stock  KEYS[4] buyers  KEYS[5] bucket  KEYS[6] cursor
-- KEYS[7] payment  KEYS[8] inflight (the ticket id is the order id to be)  KEYS[9] seen
-- KEYS[10] away  KEYS[11] departures  KEYS[12] control  KEYS[13] authq  KEYS[14] authing
-- ARGV[1] the sale's admissions per second (control.rate overrides it)  ARGV[2] tick in ms
-- ARGV[3] how many buyers still being authorised a step may pass before it stops looking
-- ARGV[4] presence window in ms (0: presence is not checked)  ARGV[5] grace in ms
-- ARGV[6] most absent buyers one step sets aside
-- Returns {stock left (-1: counter not loaded), buyers waiting, buyers away, buyers present,
-- skipped for absence, D, D dropped entries "user|ticketId|number", admitted entries
-- "user|ticketId|number|quantity|admittedAtMillis"...}.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local control = redis.call('HMGET', KEYS[12], 'paused', 'rate', 'ended')
local halted = control[1] == '1' or control[3] == '1'
local rate = tonumber(control[2]) or tonumber(ARGV[1])
-- A quarter second of tokens (and at least two ticks' worth): a late tick catches up, and no
-- more than a quarter second's worth can leave the line at once.
local capacity = math.max(1, math.floor(rate / 4), math.floor(2 * rate * tonumber(ARGV[2]) / 1000))
local window = tonumber(ARGV[4])
local grace = tonumber(ARGV[5])

local bucket = redis.call('HMGET', KEYS[5], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or 0
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
if halted then
  tokens = 0
end

local function split(ticket)
  return string.match(ticket, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
end

local dropped = {}
if window > 0 and not halted then
  for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', now - grace, 'LIMIT', 0, 100)) do
    redis.call('ZREM', KEYS[10], user)
    redis.call('ZREM', KEYS[13], user)
    redis.call('ZREM', KEYS[14], user)
    local id, number, quantity, state, rest = split(redis.call('HGET', KEYS[2], user))
    if state == 'QUEUED' then
      redis.call('HSET', KEYS[2], user, id .. '|' .. number .. '|' .. quantity .. '|DROPPED|' .. rest)
      dropped[#dropped + 1] = user .. '|' .. id .. '|' .. number
    end
  end
end

local stock = tonumber(redis.call('GET', KEYS[3]) or '-1')
local admitted = {}
local skipped = 0
local batch = math.min(capacity, math.floor(tokens))
if stock > 0 and batch > 0 then
  local cursor = tonumber(redis.call('GET', KEYS[6]) or '0')
  local passable = tonumber(ARGV[3])
  local mostAbsent = window > 0 and tonumber(ARGV[6]) or 0
  local seenSince = now - window
  local passed = 0
  -- Units not promised to a buyer passed over on the way.
  local free = stock
  local function finished()
    return free <= 0 or #admitted >= batch or passed > passable
  end
  -- The head of the line, a page at a time: only a page that set absent buyers aside makes the
  -- step read further, so a line of present buyers costs what it did before presence existed.
  local after = '-inf'
  while not finished() do
    local heads = redis.call('ZRANGEBYSCORE', KEYS[1], after, '+inf', 'WITHSCORES', 'LIMIT', 0, batch + passable)
    local setAside = 0
    for i = 1, #heads, 2 do
      if finished() then
        break
      end
      local user = heads[i]
      local number = tonumber(heads[i + 1])
      after = '(' .. number
      local present = window == 0 or tonumber(redis.call('ZSCORE', KEYS[9], user) or '0') >= seenSince
      if not present then
        if skipped < mostAbsent then
          skipped = skipped + 1
          setAside = setAside + 1
          redis.call('ZREM', KEYS[1], user)
          redis.call('ZADD', KEYS[10], now, user)
          if number > cursor then
            redis.call('RPUSH', KEYS[11], number)
          end
        end
      else
        local payment = redis.call('HGET', KEYS[7], user)
        local id, _, wanted = split(redis.call('HGET', KEYS[2], user))
        if payment == 'AUTHORIZED' then
          -- The last units go to the head of the line even if fewer than asked: nothing is left unsold.
          local quantity = math.min(tonumber(wanted), free)
          stock = stock - quantity
          free = free - quantity
          redis.call('DECRBY', KEYS[3], quantity)
          redis.call('HINCRBY', KEYS[4], user, quantity)
          redis.call('HSET', KEYS[2], user, id .. '|' .. number .. '|' .. quantity .. '|ADMITTED||' .. now)
          redis.call('ZREM', KEYS[1], user)
          redis.call('HSET', KEYS[8], id, user .. '|' .. quantity .. '|' .. now)
          if number > cursor then
            cursor = number
            redis.call('SET', KEYS[6], number)
          end
          tokens = tokens - 1
          admitted[#admitted + 1] = user .. '|' .. id .. '|' .. number .. '|' .. quantity .. '|' .. now
        elseif payment == 'DECLINED' then
          redis.call('ZREM', KEYS[1], user)
        else
          passed = passed + 1
          free = free - tonumber(wanted)
        end
      end
    end
    if setAside == 0 or skipped >= mostAbsent then
      break
    end
  end
end
redis.call('HSET', KEYS[5], 'tokens', tostring(tokens), 'at', now)

local present = window > 0 and redis.call('ZCOUNT', KEYS[9], now - window, '+inf') or 0
local result = {stock, redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[10]), present, skipped, #dropped}
for i = 1, #dropped do
  result[#result + 1] = dropped[i]
end
for i = 1, #admitted do
  result[#result + 1] = admitted[i]
end
return result

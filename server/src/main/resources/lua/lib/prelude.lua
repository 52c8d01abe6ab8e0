-- Prepended to every script at load time (infra/LuaScript): what several scripts share, written
-- once. Each record below has its twin codec in Java, and a golden-string test holds the two
-- together (the Java class is named beside each).
--
-- Every script's header follows one template: what it does, then KEYS, ARGV and the reply, each
-- named once at the top. Every reply starts with an outcome string, then the named fields; a
-- batch script answers one such group per buyer, in order.

-- Milliseconds on Redis' clock: every instance agrees on it.
local function now_millis()
  local clock = redis.call('TIME')
  return tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end

-- The reply under construction, and how a script adds an outcome and its fields to it.
local reply = {}
local function answer(outcome, ...)
  reply[#reply + 1] = outcome
  for i = 1, select('#', ...) do
    reply[#reply + 1] = (select(i, ...))
  end
end

-- A ticket, as the tickets hash holds it (Java: waitingroom/Ticket): everything the admission,
-- presence and pre-authorisation steps need to know of one buyer, in one record:
-- "ticketId|number|quantity|state|orderId|admittedAtMillis|payment|seenAtMillis|paymentMethod".
-- Number 0: in the pre-queue, not yet numbered; order and admitted_at are '' until known.
-- payment: Q (card pre-authorisation not started), A (being authorised, under a lease),
-- Y (authorised), N (declined), '' (none asked). seen: when the buyer was last seen (ms, Redis'
-- clock). The payment method comes last: it is the caller's string. A missing ticket decodes to nil.
local function decode_ticket(encoded)
  if not encoded then
    return nil
  end
  local id, number, quantity, state, order, admitted_at, pay, seen, method = string.match(encoded,
    '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return {id = id, number = tonumber(number), quantity = tonumber(quantity), state = state, order = order,
          admitted_at = admitted_at, pay = pay, seen = tonumber(seen) or 0, method = method}
end

local function encode_ticket(ticket)
  return ticket.id .. '|' .. ticket.number .. '|' .. ticket.quantity .. '|' .. ticket.state .. '|'
    .. ticket.order .. '|' .. ticket.admitted_at .. '|' .. ticket.pay .. '|' .. ticket.seen .. '|' .. ticket.method
end

-- A ticket in a new state, every other field kept.
local function ticket_in(ticket, state, order, admitted_at)
  return {id = ticket.id, number = ticket.number, quantity = ticket.quantity, state = state,
          order = order or ticket.order, admitted_at = admitted_at or ticket.admitted_at, pay = ticket.pay,
          seen = ticket.seen, method = ticket.method}
end

-- The payment letter as callers name it.
local payment_words = {Q = 'AUTHORIZING', A = 'AUTHORIZING', Y = 'AUTHORIZED', N = 'DECLINED'}
local function payment_word(pay)
  return payment_words[pay] or ''
end

-- The line (Java: infra/SaleKeys line, roster, waiting). Queue numbers are handed out one after
-- the other, so the line needs no per-buyer index: roster is a list whose entry n - 1 is the user
-- of queue number n (appended as numbers are given, never rewritten), bit n of the line bitmap is
-- set while number n waits in line (not admitted, gone or set aside), and waiting counts the set
-- bits. A buyer's place is the set bits before theirs.
local function line_put(line, waiting, number)
  if number > 0 and redis.call('SETBIT', line, number, 1) == 0 then
    redis.call('INCR', waiting)
  end
end

local function line_take(line, waiting, number)
  if number > 0 and redis.call('SETBIT', line, number, 0) == 1 then
    redis.call('DECR', waiting)
  end
end

-- The first queue number after `after` still waiting in line, or nil. BITPOS and BITCOUNT take
-- bit ranges only from Redis 7, so the rest of a byte is read bit by bit, then whole bytes.
local function line_next(line, after)
  local from = after + 1
  local byte = math.floor(from / 8)
  if from % 8 > 0 then
    for bit = from, byte * 8 + 7 do
      if redis.call('GETBIT', line, bit) == 1 then
        return bit
      end
    end
    byte = byte + 1
  end
  local number = redis.call('BITPOS', line, 1, byte)
  if number < 0 then
    return nil
  end
  return number
end

-- How many buyers wait in line ahead of queue number `number`.
local function line_ahead(line, number)
  local whole = math.floor(number / 8)
  local ahead = 0
  if whole > 0 then
    ahead = redis.call('BITCOUNT', line, 0, whole - 1)
  end
  for bit = whole * 8, number - 1 do
    ahead = ahead + redis.call('GETBIT', line, bit)
  end
  return ahead
end

-- Presence (Java: waitingroom/Presence): how many buyers were last seen in each second, so the
-- number seen within a window is a sum over its seconds, not a scan of the line. A buyer seen
-- again moves from their old second to this one.
local function presence_moved(presence, from_millis, to_millis)
  if from_millis > 0 and redis.call('HINCRBY', presence, math.floor(from_millis / 1000), -1) <= 0 then
    redis.call('HDEL', presence, math.floor(from_millis / 1000))
  end
  redis.call('HINCRBY', presence, math.floor(to_millis / 1000), 1)
end

-- Buyers seen since `since` (ms), to the second; forgets the seconds before it.
local function presence_since(presence, since)
  local oldest = math.floor(since / 1000)
  local counts = redis.call('HGETALL', presence)
  local present, stale = 0, {}
  for i = 1, #counts, 2 do
    if tonumber(counts[i]) >= oldest then
      present = present + tonumber(counts[i + 1])
    else
      stale[#stale + 1] = counts[i]
    end
  end
  if #stale > 0 then
    redis.call('HDEL', presence, unpack(stale))
  end
  return present
end

-- An in-flight take, as the inflight hash holds it under its order id (Java:
-- inventory/InFlight): "user|quantity|takenAtMillis". Read from the right.
local function encode_inflight(user, quantity, taken_at)
  return user .. '|' .. quantity .. '|' .. taken_at
end

local function decode_inflight(encoded)
  local user, quantity, taken_at = string.match(encoded, '^(.*)|([^|]*)|([^|]*)$')
  return {user = user, quantity = tonumber(quantity), taken_at = tonumber(taken_at)}
end

-- A buyer the admission step let out (Java: waitingroom/AdmitScript.Admitted):
-- "user|ticketId|number|quantity|admittedAtMillis".
local function encode_admitted(user, ticket)
  return user .. '|' .. ticket.id .. '|' .. ticket.number .. '|' .. ticket.quantity .. '|' .. ticket.admitted_at
end

-- A buyer the admission step dropped for absence (Java: waitingroom/AdmitScript.Dropped):
-- "user|ticketId|number".
local function encode_dropped(user, ticket)
  return user .. '|' .. ticket.id .. '|' .. ticket.number
end

-- A buyer whose card pre-authorisation should start (Java:
-- checkout/ClaimPreauthorizationsScript.Claimed): "user|ticketId|quantity|paymentMethod".
local function encode_claimed(user, ticket, method)
  return user .. '|' .. ticket.id .. '|' .. ticket.quantity .. '|' .. method
end

-- The refusal for a flagged account or device, checked before any stock or line work:
-- 'BLACKLISTED', 'BLACKLISTED_DEVICE', or nil. device '' means the buyer sent none.
local function blacklisted(accounts, devices, user, device)
  if redis.call('SISMEMBER', accounts, user) == 1 then
    return 'BLACKLISTED'
  end
  if device ~= '' and redis.call('SISMEMBER', devices, device) == 1 then
    return 'BLACKLISTED_DEVICE'
  end
  return nil
end

-- The admission step's rules (admit.lua, and admit_peek/admit_take on a sharded line): the
-- operator controls (paused, rate, ended) and the token bucket's capacity. A quarter second of
-- tokens (and at least two ticks' worth): a late tick catches up, and no more than a quarter
-- second's worth can leave the line at once.
local function admission_controls(control_key, sale_rate, tick)
  local control = redis.call('HMGET', control_key, 'paused', 'rate', 'ended')
  local halted = control[1] == '1' or control[3] == '1'
  local rate = tonumber(control[2]) or sale_rate
  return halted, rate, math.max(1, math.floor(rate / 4), math.floor(2 * rate * tick / 1000))
end

-- The admission bucket's tokens now, refilled from Redis' clock (none while halted).
local function bucket_tokens(bucket, now, rate, capacity, halted)
  if halted then
    return 0
  end
  local held = redis.call('HMGET', bucket, 'tokens', 'at')
  local tokens = tonumber(held[1]) or 0
  local at = tonumber(held[2]) or now
  return math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
end

-- Drops the buyers away longer than the grace (at most 100 a step): out of every queue, their
-- ticket DROPPED. Returns their dropped entries.
local function drop_away(away, authq, authing, tickets, now, grace)
  local dropped = {}
  for _, user in ipairs(redis.call('ZRANGEBYSCORE', away, '-inf', now - grace, 'LIMIT', 0, 100)) do
    redis.call('ZREM', away, user)
    redis.call('ZREM', authq, user)
    redis.call('ZREM', authing, user)
    local ticket = decode_ticket(redis.call('HGET', tickets, user))
    if ticket.state == 'QUEUED' then
      redis.call('HSET', tickets, user, encode_ticket(ticket_in(ticket, 'DROPPED')))
      dropped[#dropped + 1] = encode_dropped(user, ticket)
    end
  end
  return dropped
end

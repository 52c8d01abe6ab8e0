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

-- A ticket, as the tickets hash holds it (Java: waitingroom/Ticket):
-- "ticketId|number|quantity|state|orderId|admittedAtMillis". Number 0: in the pre-queue, not yet
-- numbered; order and admitted_at are '' until known. A missing ticket decodes to nil.
local function decode_ticket(encoded)
  if not encoded then
    return nil
  end
  local id, number, quantity, state, order, admitted_at =
    string.match(encoded, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  return {id = id, number = tonumber(number), quantity = tonumber(quantity), state = state, order = order,
          admitted_at = admitted_at}
end

local function encode_ticket(ticket)
  return ticket.id .. '|' .. ticket.number .. '|' .. ticket.quantity .. '|' .. ticket.state .. '|'
    .. ticket.order .. '|' .. ticket.admitted_at
end

-- A ticket in a new state, every other field kept.
local function ticket_in(ticket, state, order, admitted_at)
  return {id = ticket.id, number = ticket.number, quantity = ticket.quantity, state = state,
          order = order or ticket.order, admitted_at = admitted_at or ticket.admitted_at}
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

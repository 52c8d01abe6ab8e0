-- The first part of an admission step on one shard of a sharded line (the sale's own slot takes
-- the units: admit_take.lua; then admit_mark.lua lets the winners out here and sets aside the
-- absent buyers the take walked past). Needs only the shard's slot: it drops buyers away past the
-- grace, takes declined ones out, and names the buyers at the head of the shard's line, in order,
-- for the merge: those who may be let out, and those who were not seen within the window
-- (payment letter X), who are set aside only if the merged step reaches their place.
-- Java: waitingroom/AdmitPeekScript.
-- KEYS: line, roster, waiting (the prelude's line), tickets, presence, away, authq, authing, stock
--   (the shard's copy, refreshed here), control (the shard's copy), sealed (the pre-queue's size).
-- ARGV: the sale's admissions per second, tick in ms, passable slow cards, presence window in ms
--   (0: off), grace in ms, most absent buyers one step sets aside, the sale's stock as the instance
--   just read it (-1: not loaded; units given back since the last step count at once).
-- Reply: OK, buyers waiting, buyers away, buyers seen within the window, the shard's pre-queue size
--   (0: none sealed), the queue number the walk
--   stopped at before the end of the line, or 0 (the merge lets nobody out past that place: the
--   shard may hold buyers behind it nobody named), D, then D dropped entries, then candidates
--   "user|ticketId|number|quantity|payment" (payment X: absent).
local line, roster, waiting, tickets, presence, away = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local authq, authing, stock_key, control_key, sealed = KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local sale_rate, tick, passable = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local window, grace, most_absent = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local stock = tonumber(ARGV[7])

local now = now_millis()
local halted, _, capacity = admission_controls(control_key, sale_rate, tick)

local dropped = {}
if window > 0 and not halted then
  dropped = drop_away(away, authq, authing, tickets, now, grace)
end

local candidates, stopped_at = {}, 0
redis.call('SET', stock_key, stock)
if stock > 0 and not halted then
  local absent_here = window > 0 and most_absent or 0
  local seen_since = now - window
  local named, absent, looked, most_looked = 0, 0, 0, capacity + passable + absent_here
  local number = 0
  while true do
    if named > capacity + passable or looked >= most_looked then
      stopped_at = number
      break
    end
    number = line_next(line, number)
    if not number then
      break
    end
    looked = looked + 1
    local user = redis.call('LINDEX', roster, number - 1)
    local ticket = decode_ticket(redis.call('HGET', tickets, user))
    local pay = ticket.pay
    if window > 0 and ticket.seen < seen_since then
      -- More absent buyers than a step may set aside are left where they are, as on one shard.
      pay = absent < absent_here and 'X' or nil
      absent = absent + 1
    elseif pay == 'N' then
      line_take(line, waiting, number)
      pay = nil
    else
      named = named + 1
    end
    if pay then
      candidates[#candidates + 1] = user .. '|' .. ticket.id .. '|' .. number .. '|' .. ticket.quantity .. '|' .. pay
    end
  end
end

local present = window > 0 and presence_since(presence, now - window) or 0
answer('OK', tonumber(redis.call('GET', waiting) or '0'), redis.call('ZCARD', away), present,
  tonumber(redis.call('GET', sealed) or '0'), stopped_at, #dropped)
for i = 1, #dropped do
  reply[#reply + 1] = dropped[i]
end
for i = 1, #candidates do
  reply[#reply + 1] = candidates[i]
end
return reply

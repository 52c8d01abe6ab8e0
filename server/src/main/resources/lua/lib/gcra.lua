-- GCRA (the generic cell rate algorithm) over several limits at once, e.g. per user, per IP
-- and per device for one sale. A request passes only if every limit lets it, and only then
-- is it counted against them all: a refused request costs its sender nothing extra, and a
-- bot cannot drain an honest buyer's allowance by sharing one of their limits.
-- Time is Redis' own clock (now_millis, in the prelude), so every instance agrees.

-- limits: a list of {key, milliseconds between requests at the steady rate, burst}.
-- Returns nil and the cells' new values when the request passes (count them with gcra_count), or
-- the milliseconds to wait and the 1-based index of the refusing limit.
local function gcra_check(now, limits)
  local tats = {}
  for i, limit in ipairs(limits) do
    local tolerance = limit[2] * (limit[3] - 1)
    local tat = math.max(tonumber(redis.call('GET', limit[1]) or now), now)
    if tat - now > tolerance then
      return tat - now - tolerance, i
    end
    tats[i] = tat + limit[2]
  end
  return nil, tats
end

-- Counts a passed request against its limits, except the one at index `moot` (0: none).
local function gcra_count(now, limits, tats, moot)
  for i, limit in ipairs(limits) do
    if i ~= moot then
      redis.call('SET', limit[1], tats[i], 'PX', tats[i] - now + 1000)
    end
  end
end

-- Both at once: nil when the request passes (and is counted against every limit), or the
-- milliseconds to wait and the index of the refusing limit.
local function gcra(now, limits)
  local retry_after, refusing_or_tats = gcra_check(now, limits)
  if retry_after then
    return retry_after, refusing_or_tats
  end
  gcra_count(now, limits, refusing_or_tats, 0)
  return nil
end

-- The limits of one request in a batch script's ARGV, from position at: a count L, then L
-- triples (index into KEYS, interval, burst). Returns the limits and the position after them.
local function batch_limits(at)
  local limits = {}
  for j = 1, tonumber(ARGV[at]) do
    local from = at + 3 * (j - 1)
    limits[j] = {KEYS[tonumber(ARGV[from + 1])], tonumber(ARGV[from + 2]), tonumber(ARGV[from + 3])}
  end
  return limits, at + 1 + 3 * #limits
end

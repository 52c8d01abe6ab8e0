-- How many buyers of one shard of a sharded line wait at or below a queue number: the part of a
-- buyer's place that this shard holds (a buyer's own shard answers in queue_status.lua).
-- Java: waitingroom/LineAheadScript.
-- KEYS: line (the prelude's line), prequeue.
-- ARGV: the highest queue number to count (0: none).
-- Reply: OK, buyers waiting at or below it, buyers in this shard's pre-queue.
local line, prequeue = KEYS[1], KEYS[2]
local last = tonumber(ARGV[1])
answer('OK', last > 0 and line_ahead(line, last + 1) or 0, redis.call('SCARD', prequeue))
return reply

#!/usr/bin/env python3
"""The join calls of redis-script-cost.sh with every bot defence on, driven as the engine sends
them. On a one-slot line (mode join) a batch is one call of join_queue.lua, which counts the
batch's rate limits itself (antibot/RateLimitSketch.inScript: the buyers' counters are handed over,
one BITFIELD of OVERFLOW SAT INCRBY ops and one PEXPIRE per window string inside the script). On a
sharded line (mode counted) the instance counts them first (RateLimitSketch.count: per dimension
one BITFIELD and one PEXPIRE, pipelined), then calls join_queue.lua with the refusals it decided:
two round trips. redis-benchmark sends one fixed command, and its random numbers are
zero-padded, which BITFIELD does not take as offsets, so it cannot name a random counter per call.

Like redis-benchmark -c 64 -P 1: 64 connections, one batch in flight on each. The calls are built
before the clock starts; the figure is Redis' own CPU time (INFO cpu: used_cpu_user +
used_cpu_sys) over the calls, divided by the joins, so the speed of this client does not enter it.

usage: redis-script-load.py PORT SHA join BATCH CALLS KEY...   (KEY...: join_queue.lua's keys)
       redis-script-load.py PORT SHA counted BATCH CALLS KEY... (counted first: a sharded line)
       redis-script-load.py PORT SHA bare BATCH CALLS KEY...   (the same joins, no defences)
       redis-script-load.py PORT - limits CALLS                (the counting of one request alone)
Each buyer has a user, address and device of their own, limited as conf/flashsale.properties
does by default (user 5/s burst 10, IP 20/s burst 40, device 5/s burst 10), each placed at random
as RateLimitSketch places a subject (ROWS counters in rows of 2^WIDTH_BITS; the environment may
override both to measure other shapes).
"""
import asyncio
import os
import random
import sys
import time
from collections import Counter

ROWS = int(os.environ.get("ROWS", 1))
WIDTH_BITS = int(os.environ.get("WIDTH_BITS", 20))
PREFIX = b"sale:{bench}:"
# (dimension, window ms, allowance) as RateLimits derives them from (per second, burst).
LIMITS = ((b"user", 2000, 10), (b"ip", 2000, 40), (b"device", 2000, 10))


def counter_type(allowance):
    for bits in (4, 8, 16):
        if allowance < (1 << bits) - 1:
            return b"u%d" % bits
    return b"u32"


def command(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def window_key(dimension, window_ms, allowance, window):
    return PREFIX + b"rate-limits:%s:%s:%d:%d" % (dimension, counter_type(allowance), window_ms, window)


def cell():
    return [b"#%d" % ((row << WIDTH_BITS) | random.getrandbits(WIDTH_BITS)) for row in range(ROWS)]


def counting(requests, now):
    """The rate-limit commands of a batch of `requests` distinct subjects per dimension, and how
    many replies they bring."""
    commands = []
    for dimension, window_ms, allowance in LIMITS:
        window = now // window_ms
        key = window_key(dimension, window_ms, allowance, window)
        ops = [b"BITFIELD", key, b"OVERFLOW", b"SAT"]
        for _ in range(requests):
            for offset in cell():
                ops += [b"INCRBY", counter_type(allowance), offset, b"1"]
        commands.append(command(*ops))
        commands.append(command(b"PEXPIRE", key, b"%d" % ((window + 1) * window_ms - now + 1000)))
    return b"".join(commands), 2 * len(LIMITS)


def refusals(replies, requests):
    """Per request, as RateLimitSketch decides: refused if any limit's least counter is past its
    allowance."""
    refused = [False] * requests
    for (_, _, allowance), counts in zip(LIMITS, replies[::2]):
        for i in range(requests):
            if min(counts[i * ROWS:(i + 1) * ROWS]) > allowance:
                refused[i] = True
    return refused


def join_call(sha, keys, buyers, refused):
    """join_queue.lua told the refusals (counted before it), as on a sharded line."""
    args = [b"0", b"%d" % len(buyers), b"0"] + [b"u%d:%d" % (i, n) for i, n in buyers]
    for (i, n), no in zip(buyers, refused):
        args += [b"1", b"t%d-%d" % (i, n), b"pm_card_visa", b"dev%d:%d" % (i, n), b"RATE_LIMITED" if no else b""]
    return command(b"EVALSHA", sha, b"%d" % len(keys), *keys, *args)


def counting_join_call(sha, keys, buyers, now):
    """join_queue.lua counting the batch's limits itself, as on a one-slot line: the window
    strings as extra keys, per string its allowance, rows and expiry, and per string the batch's
    BITFIELD ops (INCRBY type #n 1 per buyer and row), ready-made."""
    windows, header, ops = [], [b"%d" % len(LIMITS)], []
    for dimension, window_ms, allowance in LIMITS:
        window = now // window_ms
        windows.append(window_key(dimension, window_ms, allowance, window))
        header += [b"%d" % allowance, b"%d" % ROWS, b"%d" % ((window + 1) * window_ms - now + 1000)]
        for _ in buyers:
            for offset in cell():
                ops += [b"INCRBY", counter_type(allowance), offset, b"1"]
    args = [b"0", b"%d" % len(buyers)] + header + [b"u%d:%d" % (i, n) for i, n in buyers]
    for i, n in buyers:
        args += [b"1", b"t%d-%d" % (i, n), b"pm_card_visa", b"dev%d:%d" % (i, n), b""]
    every_key = list(keys) + windows
    return command(b"EVALSHA", sha, b"%d" % len(every_key), *every_key, *(args + ops))


async def reply(reader):
    line = await reader.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"*":
        return [await reply(reader) for _ in range(int(rest))]
    if kind == b"$":
        return None if int(rest) < 0 else (await reader.readexactly(int(rest) + 2))[:-2]
    if kind == b"-":
        raise RuntimeError(rest.decode())
    return int(rest) if kind == b":" else rest


async def cpu(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(command(b"INFO", b"cpu"))
    info = (await reply(reader)).decode()
    writer.close()
    return sum(float(l.split(":")[1]) for l in info.split("\r\n") if l.startswith(("used_cpu_user:", "used_cpu_sys:")))


async def main():
    port, sha, mode = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
    now = int(time.time() * 1000)
    if mode in ("join", "counted", "bare"):
        batch, calls, keys = int(sys.argv[4]), int(sys.argv[5]), [k.encode() for k in sys.argv[6:]]
    else:
        batch, calls, keys = 1, int(sys.argv[4]), []
    # Built before the clock starts; a batch's window is the one it was built in, as for an
    # instance whose call takes that long (the strings are the same either way).
    todo = [([(i, random.getrandbits(48)) for i in range(batch)], counting(batch, now)) for _ in range(calls)]
    if mode == "join":
        todo = [(counting_join_call(sha, keys, buyers, now), None) for buyers, _ in todo]
    outcomes, queue = Counter(), iter(todo)

    async def client():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for buyers, counted in queue:
            if mode == "join":
                writer.write(buyers)
                outcomes.update((await reply(reader))[::4])
                continue
            limits, replies = counted
            refused = [False] * batch
            if mode != "bare":
                writer.write(limits)
                refused = refusals([await reply(reader) for _ in range(replies)], batch)
            if mode != "limits":
                writer.write(join_call(sha, keys, buyers, refused))
                outcomes.update((await reply(reader))[::4])
            else:
                outcomes.update([b"RATE_LIMITED" if no else b"ALLOWED" for no in refused])
        writer.close()

    c0 = await cpu(port)
    start = time.monotonic()
    await asyncio.gather(*(client() for _ in range(64)))
    seconds = time.monotonic() - start
    c1 = await cpu(port)
    print("%6.1f us server CPU per join   (%.0f batches/s, %d per batch; %s)" % (
        (c1 - c0) * 1e6 / (calls * batch), calls / seconds, batch,
        ", ".join("%s %d" % (k.decode(), v) for k, v in sorted(outcomes.items()))))


asyncio.run(main())

package io.flashsale.support;

import io.flashsale.infra.SaleKeys;
import io.flashsale.waitingroom.Ticket;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * One sale's waiting line as the scripts keep it ({@code lua/lib/prelude.lua}), for the focused
 * script tests: the roster (entry n - 1 is the user of queue number n), the line bitmap (bit n set
 * while number n waits), the count of waiting buyers and the last number handed out; and the
 * buyers' tickets, on which Redis writes the time each was last seen.
 */
public final class TestLine {

  private final SaleKeys keys;

  public TestLine(SaleKeys keys) {
    this.keys = keys;
  }

  /**
   * {@code user} holds queue number {@code number} and waits in line. Numbers below it not handed
   * out yet go to placeholder buyers who are not waiting, as if they had left.
   */
  public void waiting(String user, long number) {
    numbered(user, number);
    put(number);
  }

  /** {@code user} holds queue number {@code number} but is out of line (admitted, left, away). */
  public void numbered(String user, long number) {
    long handedOut = TestRedis.send(Command.LLEN, keys.line(0, 1).roster()).toLong();
    for (long placeholder = handedOut + 1; placeholder < number; placeholder++) {
      TestRedis.send(Command.RPUSH, keys.line(0, 1).roster(), "gone-" + placeholder);
    }
    if (handedOut >= number) {
      TestRedis.send(Command.LSET, keys.line(0, 1).roster(), number - 1, user);
    } else {
      TestRedis.send(Command.RPUSH, keys.line(0, 1).roster(), user);
    }
    if (number > lastNumber()) {
      TestRedis.send(Command.SET, keys.line(0, 1).sequence(), number);
    }
  }

  /** Number {@code number} waits in line again, counted once. */
  public void put(long number) {
    if (TestRedis.send(Command.SETBIT, keys.line(0, 1).line(), number, 1).toInteger() == 0) {
      TestRedis.send(Command.INCR, keys.line(0, 1).waiting());
    }
  }

  /** Number {@code number} leaves the line (a tombstone: its roster entry stays). */
  public void take(long number) {
    if (TestRedis.send(Command.SETBIT, keys.line(0, 1).line(), number, 0).toInteger() == 1) {
      TestRedis.send(Command.DECR, keys.line(0, 1).waiting());
    }
  }

  /** Whether number {@code number}'s bit is set. */
  public boolean waits(long number) {
    return TestRedis.send(Command.GETBIT, keys.line(0, 1).line(), number).toInteger() == 1;
  }

  /** Who waits in line, head first: the roster's users whose bit is set. */
  public List<String> inLine() {
    List<String> roster = TestRedis.lrange(keys.line(0, 1).roster());
    List<String> waiting = new ArrayList<>();
    for (int i = 0; i < roster.size(); i++) {
      if (waits(i + 1)) {
        waiting.add(roster.get(i));
      }
    }
    return waiting;
  }

  /** The whole roster, queue number 1 first. */
  public List<String> roster() {
    return TestRedis.lrange(keys.line(0, 1).roster());
  }

  /** The waiting counter (0 when absent); the scripts keep it equal to the bits set. */
  public long waitingCount() {
    String count = TestRedis.get(keys.line(0, 1).waiting());
    return count == null ? 0 : Long.parseLong(count);
  }

  /** The last queue number handed out (0 when none). */
  public long lastNumber() {
    String sequence = TestRedis.get(keys.line(0, 1).sequence());
    return sequence == null ? 0 : Long.parseLong(sequence);
  }

  /** Writes {@code user}'s ticket as it is given. */
  public void holds(String user, Ticket ticket) {
    TestRedis.send(Command.HSET, keys.line(0, 1).tickets(), user, ticket.encode());
  }

  /** {@code user}'s ticket as Redis holds it, or null. */
  public Ticket ticket(String user) {
    String encoded = TestRedis.hget(keys.line(0, 1).tickets(), user);
    return encoded == null ? null : Ticket.decode(encoded);
  }

  /**
   * {@code user}, whose ticket was never seen, was last seen at {@code millis}: on their ticket and
   * counted in that second's presence, as join_queue.lua and mark_present.lua leave them.
   */
  public void lastSeen(String user, long millis) {
    holds(user, seenAt(ticket(user), millis));
    TestRedis.send(Command.HINCRBY, keys.line(0, 1).presence(), millis / 1_000, 1);
  }

  /** How many buyers the presence hash counts as last seen in the second of {@code millis}. */
  public long seenInSecondOf(long millis) {
    Response count = TestRedis.send(Command.HGET, keys.line(0, 1).presence(), millis / 1_000);
    return count == null ? 0 : count.toLong();
  }

  /** How many seconds the presence hash holds a count for. */
  public long presenceSeconds() {
    return TestRedis.send(Command.HLEN, keys.line(0, 1).presence()).toLong();
  }

  /**
   * {@code ticket} without the time its buyer was last seen: a script writes that one from Redis'
   * clock, so tests compare the rest.
   */
  public static Ticket unseen(Ticket ticket) {
    return ticket == null ? null : seenAt(ticket, 0);
  }

  /** {@code ticket} with another last-seen time. */
  private static Ticket seenAt(Ticket ticket, long millis) {
    return new Ticket(
        ticket.ticketId(),
        ticket.number(),
        ticket.quantity(),
        ticket.state(),
        ticket.orderId(),
        ticket.admittedAtMillis(),
        ticket.payment(),
        millis,
        ticket.paymentMethod());
  }

  /** The same for a ticket as a script answers it, encoded. */
  public static String unseen(String encoded) {
    return unseen(Ticket.decode(encoded)).encode();
  }
}

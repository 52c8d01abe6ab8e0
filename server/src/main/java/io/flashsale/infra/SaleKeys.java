package io.flashsale.infra;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Redis key names of one sale's own slot: the stock, the units held, the in-flight takes, the
 * admission bucket and controls. The braces are a Redis Cluster hash tag: every key here hashes to
 * one slot, so a script may touch several of them. The waiting line's keys are {@link LineKeys}: in
 * this same slot for a sale with one line shard, on their own slots for more.
 */
public record SaleKeys(String saleId) {

  public String stock() {
    return prefix() + "stock";
  }

  /** Hash user id → units that user holds, the O(1) per-user pre-check before the stock. */
  public String buyers() {
    return prefix() + "buyers";
  }

  /**
   * Hash order id → "user|quantity|takenAtMillis": units taken whose database write is unconfirmed.
   */
  public String inflight() {
    return prefix() + "inflight";
  }

  /**
   * Hash order id → "user|written (1 or 0)|takenAtMillis": in-flight takes of a sharded line whose
   * units reconciliation has settled and whose ticket, on the buyer's own shard, it has yet to
   * settle. Written with the units, cleared after the ticket: what a reconciler that dies between
   * the two leaves for the next pass.
   */
  public String settling() {
    return prefix() + "settling";
  }

  /**
   * Set of ticket ids a sharded line's admission step has given units to (admit_take.lua): a ticket
   * is taken for once, however many steps see it at the head before its mark lands. A ticket whose
   * units reconciliation gives back leaves the set, and may be admitted again in its turn.
   */
  public String admittedTickets() {
    return prefix() + "admitted";
  }

  /** Exists while Redis holds this sale's state; gone after a Redis restart without persistence. */
  public String epoch() {
    return prefix() + "epoch";
  }

  /** Lease held by the instance reconciling this sale. */
  public String reconcileLease() {
    return prefix() + "reconcile-lease";
  }

  /** Lease held by the instance shuffling the pre-queue. */
  public String sealLease() {
    return prefix() + "seal-lease";
  }

  /** The admission token bucket: tokens and the Redis time they were counted at. */
  public String bucket() {
    return prefix() + "bucket";
  }

  /** Set of user ids flagged for abuse, checked before any stock work. */
  public String blacklist() {
    return prefix() + "blacklist";
  }

  /** Set of device fingerprints flagged for abuse. */
  public String blacklistedDevices() {
    return prefix() + "blacklist-devices";
  }

  /** Hash reason → count of requests the bot defence refused. */
  public String rejections() {
    return prefix() + "rejections";
  }

  /**
   * The rate-limit counters of one dimension ("user", "ip", "device") in one fixed window: a string
   * of saturating counters of {@code type} (u4, u8, ...), a few per subject, placed by {@code
   * antibot/RateLimitSketch}. {@code window} is the window's number since the epoch, in windows of
   * {@code windowMillis}; the string expires soon after its window ends. Where it lives depends on
   * the sale's line: with one line shard, in the sale's own slot, beside the line, so the join
   * script counts a batch's limits in the same call as it joins them; with more, each dimension in
   * a slot of its own ({@code {<saleId>#rl-ip}}): the counting stays exact however many shards the
   * line has (a subject's requests reach every shard) and spreads over three masters instead of
   * loading the sale's own slot.
   */
  public String rateLimits(
      int lineShards, String dimension, String type, long windowMillis, long window) {
    String name = "rate-limits:" + dimension + ":" + type + ":" + windowMillis + ":" + window;
    return lineShards == 1 ? prefix() + name : "sale:{" + saleId + "#rl-" + dimension + "}:" + name;
  }

  /** Marks a proof-of-work challenge as used. */
  public String usedChallenge(String nonce) {
    return prefix() + "pow:" + nonce;
  }

  /** Hash of operator controls every admission step obeys: paused, rate, ended. */
  public String control() {
    return prefix() + "control";
  }

  /** Shard {@code shard} of this sale's line of {@code shards}. */
  public LineKeys line(int shard, int shards) {
    return new LineKeys(saleId, shard, shards);
  }

  /** The shard of this sale's line that holds {@code userId}'s ticket. */
  public LineKeys lineOf(String userId, int shards) {
    return LineKeys.of(saleId, userId, shards);
  }

  /** Every shard of this sale's line. */
  public List<LineKeys> lines(int shards) {
    return LineKeys.all(saleId, shards);
  }

  /**
   * Set when this sale's state was rebuilt after Redis lost it: when the waiting line was lost
   * (copied into each shard of a sharded line, {@link LineKeys#lineLost()}).
   */
  public String lineLost() {
    return prefix() + "line-lost";
  }

  /**
   * Every key of the sale and of its line's {@code shards} shards, each once: what removing a sale
   * from Redis deletes. Not listed: the rate-limit strings and proof-of-work marks, which expire by
   * themselves within seconds.
   */
  public List<String> everyKey(int shards) {
    Set<String> every =
        new LinkedHashSet<>(
            List.of(
                stock(),
                buyers(),
                inflight(),
                settling(),
                admittedTickets(),
                epoch(),
                reconcileLease(),
                sealLease(),
                bucket(),
                blacklist(),
                blacklistedDevices(),
                rejections(),
                control(),
                lineLost()));
    for (LineKeys line : lines(shards)) {
      every.addAll(line.everyKey());
    }
    return List.copyOf(every);
  }

  private String prefix() {
    return "sale:{" + saleId + "}:";
  }
}

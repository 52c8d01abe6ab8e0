package io.flashsale.infra;

/**
 * Redis key names of one sale. The braces are a Redis Cluster hash tag: every key of a sale hashes
 * to one slot, so a script may touch several of them.
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

  /** Exists while Redis holds this sale's state; gone after a Redis restart without persistence. */
  public String epoch() {
    return prefix() + "epoch";
  }

  /** Set when this sale's state was rebuilt after Redis lost it: when the waiting line was lost. */
  public String lineLost() {
    return prefix() + "line-lost";
  }

  /** Lease held by the instance reconciling this sale. */
  public String reconcileLease() {
    return prefix() + "reconcile-lease";
  }

  /**
   * Hash user id → ticket, one per buyer who joined the waiting room: their number, state, card
   * pre-authorisation state, payment method and when they were last seen (waitingroom/Ticket).
   */
  public String tickets() {
    return prefix() + "tickets";
  }

  /**
   * Bitmap: bit n is set while queue number n waits in line (not admitted, gone or set aside for
   * absence). A buyer's place is the set bits before theirs.
   */
  public String line() {
    return prefix() + "line-bits";
  }

  /** List: entry n - 1 is the user id of queue number n, appended as numbers are handed out. */
  public String roster() {
    return prefix() + "roster";
  }

  /** How many bits of {@link #line()} are set: the buyers waiting in line. */
  public String waiting() {
    return prefix() + "waiting";
  }

  /** The last queue number handed out. */
  public String sequence() {
    return prefix() + "seq";
  }

  /** Set of buyers who joined before T-0 and wait to be shuffled into the line. */
  public String prequeue() {
    return prefix() + "prequeue";
  }

  /** Exists once the pre-queue has been shuffled into the line. */
  public String sealed() {
    return prefix() + "sealed";
  }

  /** Lease held by the instance shuffling the pre-queue. */
  public String sealLease() {
    return prefix() + "seal-lease";
  }

  /** The admission token bucket: tokens and the Redis time they were counted at. */
  public String bucket() {
    return prefix() + "bucket";
  }

  /** The queue number of the last buyer admitted. */
  public String cursor() {
    return prefix() + "cursor";
  }

  /**
   * Zset user id → queue number (0: the front): buyers whose card pre-authorisation has not started
   * and whom the claim step's walk of the line will not reach: pre-queue buyers, expired leases,
   * buyers back from being away.
   */
  public String preauthQueue() {
    return prefix() + "authq";
  }

  /** Zset user id → lease deadline (ms): pre-authorisations in progress. */
  public String preauthorizing() {
    return prefix() + "authing";
  }

  /** The queue number up to which the claim step has walked the line for pre-authorisations. */
  public String claimedTo() {
    return prefix() + "authed-to";
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
   * {@code windowMillis}; the string expires soon after its window ends.
   */
  public String rateLimits(String dimension, String type, long windowMillis, long window) {
    return prefix() + "rate-limits:" + dimension + ":" + type + ":" + windowMillis + ":" + window;
  }

  /** Marks a proof-of-work challenge as used. */
  public String usedChallenge(String nonce) {
    return prefix() + "pow:" + nonce;
  }

  /**
   * Hash second (Redis' clock) → how many buyers were last seen in it (an open WebSocket or a
   * poll); each ticket holds its buyer's own time.
   */
  public String presence() {
    return prefix() + "presence";
  }

  /**
   * Zset user id → when admission first skipped them for absence (ms): out of line until they
   * return.
   */
  public String away() {
    return prefix() + "away";
  }

  /**
   * List of queue numbers that left the line ahead of the cursor ("n") or came back ("-n"), in
   * order: live feeds read only what is new to count the buyers really ahead of each connection.
   */
  public String departures() {
    return prefix() + "departures";
  }

  /** Hash of operator controls every admission step obeys: paused, rate, ended. */
  public String control() {
    return prefix() + "control";
  }

  private String prefix() {
    return "sale:{" + saleId + "}:";
  }
}

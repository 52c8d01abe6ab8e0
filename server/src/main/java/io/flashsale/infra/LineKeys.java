package io.flashsale.infra;

import java.util.ArrayList;
import java.util.List;

/**
 * Redis key names of one shard of a sale's waiting line: the tickets, the line and everything the
 * join, presence, leaving and pre-authorisation scripts touch, all in the shard's hash slot. A sale
 * with one shard (the default) keeps them in its own slot, under the very names {@link SaleKeys}
 * has always given them; a sale with S > 1 shards keeps shard k under the hash tag {@code
 * {<saleId>#k}}, so a Redis Cluster spreads the shards over its masters.
 *
 * <p>A few keys are the sale's own on one shard and a shard's copy on several: the stock (the
 * admission step mirrors the count into every shard, for the join's and the status' answers), the
 * blacklists (mirrored into every shard, as they are into every sale) and the line-lost mark.
 */
public record LineKeys(String saleId, int shard, int shards) {

  public LineKeys {
    if (shards < 1 || shard < 0 || shard >= shards) {
      throw new IllegalArgumentException("shard " + shard + " of " + shards);
    }
  }

  /** The shard a buyer's ticket lives on: fixed by their user id, so a second join finds it. */
  public static int shardOf(String userId, int shards) {
    if (shards == 1) {
      return 0;
    }
    // String.hashCode is fixed by the language, so every instance agrees; the multiply spreads
    // ids that differ only in their last characters.
    return Math.floorMod(userId.hashCode() * 0x9E3779B9, shards);
  }

  public static LineKeys of(String saleId, String userId, int shards) {
    return new LineKeys(saleId, shardOf(userId, shards), shards);
  }

  /** Every shard of a sale's line, shard 0 first. */
  public static List<LineKeys> all(String saleId, int shards) {
    List<LineKeys> all = new ArrayList<>(shards);
    for (int k = 0; k < shards; k++) {
      all.add(new LineKeys(saleId, k, shards));
    }
    return all;
  }

  /** True when the line shares the sale's own slot: one script may touch both. */
  public boolean inSaleSlot() {
    return shards == 1;
  }

  /** Hash user id → ticket (waitingroom/Ticket). */
  public String tickets() {
    return prefix() + "tickets";
  }

  /** Bitmap: bit n is set while this shard's queue number n waits in line. */
  public String line() {
    return prefix() + "line-bits";
  }

  /** List: entry n - 1 is the user id of this shard's queue number n. */
  public String roster() {
    return prefix() + "roster";
  }

  /** How many bits of {@link #line()} are set. */
  public String waiting() {
    return prefix() + "waiting";
  }

  /** The last queue number this shard handed out. */
  public String sequence() {
    return prefix() + "seq";
  }

  /** Set of this shard's buyers who joined before T-0 and wait to be shuffled into the line. */
  public String prequeue() {
    return prefix() + "prequeue";
  }

  /** Exists once this shard's pre-queue has been shuffled into its line. */
  public String sealed() {
    return prefix() + "sealed";
  }

  /** The highest queue number of this shard admitted so far. */
  public String cursor() {
    return prefix() + "cursor";
  }

  /** Zset user id → queue number: pre-authorisations the claim walk cannot reach. */
  public String preauthQueue() {
    return prefix() + "authq";
  }

  /** Zset user id → lease deadline (ms): pre-authorisations in progress. */
  public String preauthorizing() {
    return prefix() + "authing";
  }

  /** The queue number up to which the claim step has walked this shard's line. */
  public String claimedTo() {
    return prefix() + "authed-to";
  }

  /** Hash second → buyers of this shard last seen in it. */
  public String presence() {
    return prefix() + "presence";
  }

  /** Zset user id → when admission set them aside for absence. */
  public String away() {
    return prefix() + "away";
  }

  /** List of this shard's queue numbers that left ahead of its cursor ("n") or came back ("-n"). */
  public String departures() {
    return prefix() + "departures";
  }

  /** The sale's stock (one shard) or this shard's copy of it, as of the last admission step. */
  public String stock() {
    return prefix() + "stock";
  }

  /**
   * Exists while Redis holds this shard's state: the sale's own epoch (one shard) or the shard's,
   * so losing one master of a Redis Cluster is noticed shard by shard.
   */
  public String epoch() {
    return prefix() + "epoch";
  }

  /** The sale's line-lost mark (one shard) or this shard's copy of it. */
  public String lineLost() {
    return prefix() + "line-lost";
  }

  /** The sale's operator controls (one shard) or this shard's copy of them. */
  public String control() {
    return prefix() + "control";
  }

  /** Flagged accounts: the sale's set (one shard) or this shard's copy. */
  public String blacklist() {
    return prefix() + "blacklist";
  }

  /** Flagged devices: the sale's set (one shard) or this shard's copy. */
  public String blacklistedDevices() {
    return prefix() + "blacklist-devices";
  }

  /** Hash reason → count of joins refused on this shard. */
  public String rejections() {
    return prefix() + "rejections";
  }

  /** Every key of this shard, as named above: what removing a sale from Redis deletes. */
  public List<String> everyKey() {
    return List.of(
        tickets(),
        line(),
        roster(),
        waiting(),
        sequence(),
        prequeue(),
        sealed(),
        cursor(),
        preauthQueue(),
        preauthorizing(),
        claimedTo(),
        presence(),
        away(),
        departures(),
        stock(),
        epoch(),
        lineLost(),
        control(),
        blacklist(),
        blacklistedDevices(),
        rejections());
  }

  private String prefix() {
    return shards == 1 ? "sale:{" + saleId + "}:" : "sale:{" + saleId + "#" + shard + "}:";
  }
}

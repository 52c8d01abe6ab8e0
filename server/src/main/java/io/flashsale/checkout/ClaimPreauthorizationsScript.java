package io.flashsale.checkout;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/**
 * {@code claim_preauthorizations.lua}: buyers whose card pre-authorisation should start now, each
 * under a lease.
 */
final class ClaimPreauthorizationsScript extends RedisScript {

  /**
   * How many to claim at most, the lease, places beyond the units left, the sale's rate and the
   * horizon.
   */
  record Claim(int most, long leaseMillis, int buffer, int ratePerSecond, long horizonSeconds) {}

  /** A buyer whose card is to be pre-authorised: {@code user|ticketId|quantity|paymentMethod}. */
  record Claimed(String userId, String ticketId, int quantity, String paymentMethodId) {
    static Claimed decode(String encoded) {
      String[] parts = encoded.split("\\|", 4);
      return new Claimed(parts[0], parts[1], Integer.parseInt(parts[2]), parts[3]);
    }

    String encode() {
      return userId + "|" + ticketId + "|" + quantity + "|" + paymentMethodId;
    }
  }

  ClaimPreauthorizationsScript(Redis redis) {
    super(redis, "claim_preauthorizations");
  }

  Future<List<Claimed>> run(LineKeys keys, Claim claim) {
    List<String> args =
        List.of(
            Integer.toString(claim.most()),
            Long.toString(claim.leaseMillis()),
            Integer.toString(claim.buffer()),
            Integer.toString(claim.ratePerSecond()),
            Long.toString(claim.horizonSeconds()),
            Integer.toString(keys.shards()));
    return call(keys(keys), args)
        .map(
            reply -> {
              reply.string();
              return reply.rest().stream().map(Claimed::decode).toList();
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(
        keys.preauthQueue(),
        keys.preauthorizing(),
        keys.tickets(),
        keys.cursor(),
        keys.stock(),
        keys.control(),
        keys.line(),
        keys.roster(),
        keys.sequence(),
        keys.claimedTo());
  }
}

package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/**
 * {@code sale_pulse.lua}: the figures every live connection of a sale derives its own view from.
 */
final class SalePulseScript extends RedisScript {

  /**
   * The last admitted queue number, the stock (-1 if not loaded), the sealed pre-queue's size (-1:
   * not sealed), the last queue number handed out, how many departures have been read after this
   * pulse, and the new ones (n: left from ahead of the cursor, -n: came back).
   */
  record Pulse(
      long cursor,
      long stock,
      long sealed,
      long last,
      long departuresRead,
      List<Long> departures) {}

  SalePulseScript(Redis redis) {
    super(redis, "sale_pulse");
  }

  Future<Pulse> run(LineKeys keys, long departuresRead, int mostDepartures) {
    return call(
            keys(keys), List.of(Long.toString(departuresRead), Integer.toString(mostDepartures)))
        .map(
            reply -> {
              reply.string();
              return new Pulse(
                  reply.number(),
                  reply.number(),
                  reply.number(),
                  reply.number(),
                  reply.number(),
                  reply.rest().stream().map(Long::parseLong).toList());
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(keys.cursor(), keys.stock(), keys.sealed(), keys.departures(), keys.sequence());
  }
}

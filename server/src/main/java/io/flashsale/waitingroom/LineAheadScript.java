package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/** {@code line_ahead.lua}: the buyers one shard holds ahead of a place in a sharded line. */
final class LineAheadScript extends RedisScript {

  /** Buyers waiting at or below the number asked, and in the shard's pre-queue. */
  record Ahead(long waiting, long prequeue) {}

  LineAheadScript(Redis redis) {
    super(redis, "line_ahead");
  }

  Future<Ahead> run(LineKeys keys, long lastNumber) {
    return call(List.of(keys.line(), keys.prequeue()), List.of(Long.toString(lastNumber)))
        .map(
            reply -> {
              reply.string();
              return new Ahead(reply.number(), reply.number());
            });
  }
}

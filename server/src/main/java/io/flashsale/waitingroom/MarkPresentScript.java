package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * {@code mark_present.lua}: buyers seen just now; any set aside for absence goes back into line.
 */
final class MarkPresentScript extends RedisScript {

  MarkPresentScript(Redis redis) {
    super(redis, "mark_present");
  }

  /** Last-seen times are written at most once per {@code refreshMillis} per buyer. */
  Future<Void> run(LineKeys keys, long refreshMillis, Collection<String> users) {
    List<String> args = new ArrayList<>(users.size() + 1);
    args.add(Long.toString(refreshMillis));
    args.addAll(users);
    return call(keys(keys), args).mapEmpty();
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(
        keys.tickets(),
        keys.away(),
        keys.line(),
        keys.waiting(),
        keys.departures(),
        keys.presence(),
        keys.preauthQueue(),
        keys.claimedTo());
  }
}

package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/** {@code seal_prequeue.lua}: numbers pre-queue buyers in the order given, once each. */
final class SealPrequeueScript extends RedisScript {

  /** Whether the pre-queue is now sealed, and how many buyers are still in it. */
  record Sealing(boolean sealed, long left) {}

  SealPrequeueScript(Redis redis) {
    super(redis, "seal_prequeue");
  }

  /** {@code sealWhenEmpty}: this is the last chunk, so an empty pre-queue afterwards is sealed. */
  Future<Sealing> run(LineKeys keys, boolean sealWhenEmpty, List<String> usersInLineOrder) {
    List<String> args = new ArrayList<>(usersInLineOrder.size() + 1);
    args.add(sealWhenEmpty ? "1" : "0");
    args.addAll(usersInLineOrder);
    return call(keys(keys), args)
        .map(
            reply -> {
              boolean sealed = reply.string().equals("SEALED");
              return new Sealing(sealed, reply.number());
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(
        keys.tickets(),
        keys.sequence(),
        keys.line(),
        keys.roster(),
        keys.waiting(),
        keys.prequeue(),
        keys.sealed(),
        keys.preauthQueue());
  }
}

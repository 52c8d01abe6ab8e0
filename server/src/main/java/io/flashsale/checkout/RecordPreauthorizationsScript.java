package io.flashsale.checkout;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/** {@code record_preauthorizations.lua}: the gateway's answers, in Redis. */
final class RecordPreauthorizationsScript extends RedisScript {

  /** One buyer's answer: authorised, or declined. */
  record Answered(String userId, boolean authorized) {}

  RecordPreauthorizationsScript(Redis redis) {
    super(redis, "record_preauthorizations");
  }

  /**
   * Resolves to the buyers authorised after they had left the line or been dropped: their holds are
   * to be voided.
   */
  Future<List<String>> run(LineKeys keys, List<Answered> answers) {
    List<String> args = new ArrayList<>(answers.size() * 2);
    answers.forEach(
        answer -> {
          args.add(answer.userId());
          args.add(answer.authorized() ? "AUTHORIZED" : "DECLINED");
        });
    return call(keys(keys), args)
        .map(
            reply -> {
              reply.string();
              return reply.rest();
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(
        keys.preauthorizing(),
        keys.tickets(),
        keys.line(),
        keys.waiting(),
        keys.prequeue(),
        keys.preauthQueue());
  }
}

package io.flashsale.checkout;

import io.flashsale.infra.LuaScript;
import io.flashsale.infra.SaleKeys;
import io.flashsale.infra.ScriptReply;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/** {@code record_preauthorizations.lua}: the gateway's answers, in Redis. */
final class RecordPreauthorizationsScript {

  /** One buyer's answer: authorised, or declined. */
  record Answered(String userId, boolean authorized) {}

  private final Redis redis;
  private final LuaScript script = LuaScript.fromResource("record_preauthorizations");

  RecordPreauthorizationsScript(Redis redis) {
    this.redis = redis;
  }

  Future<Void> load() {
    return script.load(redis);
  }

  /** Resolves to the buyers authorised after they had left the line or been dropped: their holds are to be voided. */
  Future<List<String>> run(SaleKeys keys, List<Answered> answers) {
    List<String> args = new ArrayList<>(answers.size() * 2);
    answers.forEach(answer -> {
      args.add(answer.userId());
      args.add(answer.authorized() ? "AUTHORIZED" : "DECLINED");
    });
    return script.run(redis,
            List.of(keys.preauthorizing(), keys.payments(), keys.line(), keys.tickets(), keys.prequeue()), args)
        .map(response -> {
          ScriptReply reply = ScriptReply.of(response);
          reply.string();
          return reply.rest();
        });
  }
}

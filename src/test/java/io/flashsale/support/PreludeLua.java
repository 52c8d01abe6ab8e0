package io.flashsale.support;

import io.flashsale.infra.LuaScript;
import io.flashsale.infra.Stores;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a few lines of Lua after the scripts' prelude ({@code lua/lib/prelude.lua}) in the tests'
 * real Redis, the way the engine sends its scripts: the Lua half of the codecs' golden tests.
 */
public final class PreludeLua implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final Redis redis = Redis.createClient(vertx, Stores.redisOptions(TestStores.get().redisUrl(), "standalone", 1));

  /** The reply of {@code body} (which returns a string or a list) with {@code args} as ARGV, as strings. */
  public List<String> eval(String body, String... args) {
    Response reply = Await.result(LuaScript.of("golden", body).run(redis, List.of(), List.of(args)));
    List<String> fields = new ArrayList<>();
    if (reply.type() == ResponseType.MULTI) {
      reply.forEach(field -> fields.add(field.toString()));
    } else {
      fields.add(reply.toString());
    }
    return fields;
  }

  @Override
  public void close() {
    redis.close();
    Await.result(vertx.close());
  }
}

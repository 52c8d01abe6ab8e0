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
 * real Redis, the way the engine sends its scripts: the Lua half of the codecs' golden tests. One
 * client per test JVM, like {@link TestStores}.
 */
public final class PreludeLua {

  private static final class Client {
    static final Redis REDIS =
        Redis.createClient(
            Vertx.vertx(), Stores.redisOptions(TestStores.get().redisUrl(), "standalone", 1));
  }

  private PreludeLua() {}

  /**
   * The reply of {@code body} (which returns a string or a list) with {@code args} as ARGV, as
   * strings.
   */
  public static List<String> eval(String body, String... args) {
    Response reply =
        Await.result(LuaScript.of("golden", body).run(Client.REDIS, List.of(), List.of(args)));
    List<String> fields = new ArrayList<>();
    if (reply.type() == ResponseType.MULTI) {
      reply.forEach(field -> fields.add(field.toString()));
    } else {
      fields.add(reply.toString());
    }
    return fields;
  }
}

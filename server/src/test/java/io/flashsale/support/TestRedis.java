package io.flashsale.support;

import io.flashsale.infra.Stores;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * The tests' Redis (from {@link TestStores}) for the focused script tests: one client per test JVM,
 * and plain commands to lay out a sale's keys before a script runs and to read what it left.
 */
public final class TestRedis {

  private static final class Client {
    static final Redis REDIS =
        Redis.createClient(
            Vertx.vertx(), Stores.redisOptions(TestStores.get().redisUrl(), "standalone", 2));
  }

  private TestRedis() {}

  public static Redis client() {
    return Client.REDIS;
  }

  /** One command's reply; null for a nil reply. */
  public static Response send(Command command, Object... args) {
    Request request = Request.cmd(command);
    for (Object arg : args) {
      request.arg(String.valueOf(arg));
    }
    return Await.result(Client.REDIS.send(request));
  }

  /** The value at {@code key}, or null. */
  public static String get(String key) {
    return string(send(Command.GET, key));
  }

  /** A hash field, or null. */
  public static String hget(String key, String field) {
    return string(send(Command.HGET, key, field));
  }

  /** A sorted set member's score, or null when it is not a member. */
  public static Long zscore(String key, String member) {
    Response score = send(Command.ZSCORE, key, member);
    return score == null ? null : Math.round(score.toDouble());
  }

  /** A sorted set's members, lowest score first. */
  public static List<String> zrange(String key) {
    return strings(send(Command.ZRANGE, key, 0, -1));
  }

  /** A whole list, head first. */
  public static List<String> lrange(String key) {
    return strings(send(Command.LRANGE, key, 0, -1));
  }

  /** A set's members, in no particular order. */
  public static List<String> smembers(String key) {
    return strings(send(Command.SMEMBERS, key));
  }

  public static boolean exists(String key) {
    return send(Command.EXISTS, key).toInteger() == 1;
  }

  /** Redis' own clock in milliseconds, the one the scripts read. */
  public static long nowMillis() {
    Response time = send(Command.TIME);
    return time.get(0).toLong() * 1_000 + time.get(1).toLong() / 1_000;
  }

  /** Deletes every key of one sale: a test's own data, gone when it ends. */
  public static void forgetSale(String saleId) {
    // The sale's own slot, and the shards of its line if it has several.
    for (String pattern : List.of("sale:{" + saleId + "}:*", "sale:{" + saleId + "#*}:*")) {
      String cursor = "0";
      do {
        Response page = send(Command.SCAN, cursor, "MATCH", pattern, "COUNT", 1_000);
        cursor = page.get(0).toString();
        List<String> keys = strings(page.get(1));
        if (!keys.isEmpty()) {
          send(Command.DEL, keys.toArray());
        }
      } while (!cursor.equals("0"));
    }
  }

  private static String string(Response response) {
    return response == null ? null : response.toString();
  }

  private static List<String> strings(Response response) {
    List<String> values = new ArrayList<>(response.size());
    response.forEach(value -> values.add(value.toString()));
    return values;
  }
}

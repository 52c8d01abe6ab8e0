package io.flashsale.infra;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Redis script from {@code resources/lua/}: loaded once, called by SHA, and sent whole when a
 * node answers NOSCRIPT (a restart or failover wipes the script cache; on Redis Cluster each master
 * has its own cache).
 *
 * <p>A line {@code --#include NAME} is replaced by {@code resources/lua/lib/NAME.lua}: code several
 * scripts share (the rate limits, say) is written once, and each script still reaches Redis as one
 * self-contained source. Every script starts with {@code lib/prelude.lua}, included the same way:
 * the Redis-clock {@code now}, the reply convention, the records' codecs and the blacklist check.
 *
 * <p>Callers do not use this class directly: each script has one class next to its main caller
 * ({@code waitingroom/JoinQueueScript}, say) that owns its keys, arguments and reply record.
 */
public final class LuaScript {

  private final String name;
  private final String source;
  private volatile String sha;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
  }

  private static final Pattern INCLUDE = Pattern.compile("(?m)^--#include ([a-z_]+)$");

  public static LuaScript fromResource(String name) {
    return of(name, read("lua/" + name + ".lua"));
  }

  /**
   * A script whose body is given here (the codecs' golden tests), expanded as a resource's would
   * be.
   */
  public static LuaScript of(String name, String body) {
    return new LuaScript(name, expand("--#include prelude\n" + body));
  }

  private static String expand(String source) {
    return INCLUDE
        .matcher(source)
        .replaceAll(
            include -> Matcher.quoteReplacement(read("lua/lib/" + include.group(1) + ".lua")));
  }

  private static String read(String path) {
    try (InputStream in = LuaScript.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing Redis script " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String name() {
    return name;
  }

  public Future<Void> load(Redis redis) {
    return redis
        .send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(source))
        .map(
            reply -> {
              sha = reply.toString();
              return null;
            });
  }

  public Future<Response> run(Redis redis, List<String> keys, List<String> args) {
    if (sha == null) {
      return load(redis).compose(loaded -> run(redis, keys, args));
    }
    return redis
        .send(request(Command.EVALSHA, sha, keys, args))
        .recover(
            failure -> {
              String message = String.valueOf(failure.getMessage());
              if (message.startsWith("NOSCRIPT")) {
                // EVAL, not SCRIPT LOAD then EVALSHA: SCRIPT LOAD has no key, so a Redis Cluster
                // client sends
                // it to any node, while this script must be cached on the node owning its keys.
                // EVAL is routed
                // by the keys, runs there (NOSCRIPT means nothing ran yet) and caches the script on
                // that node.
                return redis.send(request(Command.EVAL, source, keys, args));
              }
              return Future.failedFuture(failure);
            });
  }

  private static Request request(
      Command command, String script, List<String> keys, List<String> args) {
    Request request = Request.cmd(command).arg(script).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }
}

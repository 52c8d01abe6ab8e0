package io.flashsale.infra;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/**
 * What every script's own class shares ({@code waitingroom/JoinQueueScript}, say): loading its
 * {@code resources/lua/NAME.lua} and calling it. The subclass owns the key list, the arguments and
 * the reply record, and is the only reader of its {@link ScriptReply}.
 */
public abstract class RedisScript {

  private final Redis redis;
  private final LuaScript script;

  protected RedisScript(Redis redis, String name) {
    this.redis = redis;
    this.script = LuaScript.fromResource(name);
  }

  public Future<Void> load() {
    return script.load(redis);
  }

  protected Future<ScriptReply> call(List<String> keys, List<String> args) {
    return script.run(redis, keys, args).map(ScriptReply::of);
  }
}

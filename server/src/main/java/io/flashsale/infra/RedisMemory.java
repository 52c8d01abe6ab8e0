package io.flashsale.infra;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Redis' memory as Redis reports it ({@code INFO memory}), read every {@link #PERIOD}: a waiting
 * line costs ~450 bytes a buyer, and a Redis that reaches its limit refuses writes (joins, takes)
 * or evicts a sale's keys. Unknown (NaN) while Redis does not answer. With Redis Cluster the answer
 * is one node's; watch every node with a Redis exporter there.
 */
public final class RedisMemory {

  static final Duration PERIOD = Duration.ofSeconds(5);
  private static final Logger LOG = Logger.getLogger(RedisMemory.class.getName());

  private final Redis redis;
  private final AtomicLong used = new AtomicLong(-1);
  private final AtomicLong limit = new AtomicLong(-1);

  private RedisMemory(Redis redis) {
    this.redis = redis;
  }

  /** Registers the gauges and reads Redis every {@link #PERIOD} until the returned stop runs. */
  public static Runnable watch(Vertx vertx, Redis redis, MeterRegistry metrics) {
    RedisMemory memory = new RedisMemory(redis);
    Gauge.builder("flashsale.redis.memory.used", memory.used, RedisMemory::known)
        .baseUnit("bytes")
        .register(metrics);
    Gauge.builder("flashsale.redis.memory.limit", memory.limit, RedisMemory::known)
        .baseUnit("bytes")
        .register(metrics);
    memory.read();
    long timer = vertx.setPeriodic(PERIOD.toMillis(), id -> memory.read());
    return () -> vertx.cancelTimer(timer);
  }

  private static double known(AtomicLong bytes) {
    return bytes.get() < 0 ? Double.NaN : bytes.get();
  }

  private void read() {
    redis
        .send(Request.cmd(Command.INFO).arg("memory"))
        .onSuccess(
            info -> {
              long max = field(info.toString(), "maxmemory");
              // No maxmemory set: the machine's memory is the limit Redis will run into.
              limit.set(max > 0 ? max : field(info.toString(), "total_system_memory"));
              used.set(field(info.toString(), "used_memory"));
            })
        .onFailure(
            e -> {
              used.set(-1);
              limit.set(-1);
              LOG.log(Level.FINE, "Redis memory unknown", e);
            });
  }

  /** A numeric field of an INFO reply ({@code name:value} lines); -1 when absent. */
  static long field(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) {
        try {
          return Long.parseLong(line.substring(name.length() + 1).trim());
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }
}

package io.flashsale.infra;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The shared PostgreSQL pool and Redis client of one server process. Every call through them has a
 * client-side deadline ({@code stores.deadline-ms}): a store that stops answering without closing
 * its sockets (frozen, partitioned) turns into fast 503s, not hung requests.
 */
public record Stores(Pool pg, Redis redis) {

  public static Stores connect(
      Vertx vertx,
      String redisUrl,
      String redisMode,
      int redisPoolSize,
      String pgUrl,
      int pgPoolSize,
      Duration deadline) {
    RedisOptions redisOptions = redisOptions(redisUrl, redisMode, redisPoolSize);
    redisOptions.getNetClientOptions().setConnectTimeout(millis(deadline));
    Redis redis = Redis.createClient(vertx, redisOptions);
    return new Stores(
        pgPool(vertx, pgUrl, pgPoolSize, PoolOptions.DEFAULT_NAME, deadline),
        new DeadlineRedis(vertx, redis, deadline));
  }

  /**
   * A PostgreSQL pool with the engine's settings and its deadline; {@link #connect} makes the main
   * one. {@code name} tags its metrics.
   */
  public static Pool pgPool(
      Vertx vertx, String pgUrl, int pgPoolSize, String name, Duration deadline) {
    Pool pool =
        PgBuilder.pool()
            // Fail fast while the database is away (503s, not a pile of waiting requests), and let
            // no
            // statement outlive the reconciliation's patience for work in flight.
            .with(
                new PoolOptions()
                    .setName(name)
                    .setMaxSize(pgPoolSize)
                    .setMaxWaitQueueSize(10_000)
                    .setConnectionTimeout(5)
                    .setConnectionTimeoutUnit(TimeUnit.SECONDS))
            // A partition drops the SYN: give up on a new connection as soon as its caller has.
            .with(new NetClientOptions().setConnectTimeout(millis(deadline)))
            .connectingTo(
                PgUrls.connectOptions(pgUrl)
                    .setCachePreparedStatements(true)
                    .setPipeliningLimit(1)
                    .setProperties(
                        Map.of(
                            "statement_timeout",
                            "10000",
                            "idle_in_transaction_session_timeout",
                            "15000")))
            .using(vertx)
            .build();
    return new DeadlinePool(vertx, pool, deadline);
  }

  /**
   * Waiting queues sized for a herd: a burst waits for a connection instead of failing. In
   * "cluster" mode {@code redisUrl} lists seed nodes, comma-separated; every key of one sale shares
   * a hash slot.
   */
  public static RedisOptions redisOptions(String redisUrl, String mode, int poolSize) {
    RedisOptions options = new RedisOptions();
    if ("cluster".equals(mode)) {
      options.setType(RedisClientType.CLUSTER).setUseReplicas(RedisReplicas.NEVER);
      for (String endpoint : redisUrl.split(",")) {
        options.addConnectionString(endpoint.trim());
      }
    } else {
      options.setConnectionString(redisUrl);
    }
    return options
        .setMaxPoolSize(poolSize)
        .setMaxPoolWaiting(100_000)
        .setMaxWaitingHandlers(100_000);
  }

  private static int millis(Duration duration) {
    return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
  }

  public Future<Void> close() {
    redis.close();
    return pg.close();
  }
}

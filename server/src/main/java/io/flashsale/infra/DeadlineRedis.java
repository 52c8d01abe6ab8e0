package io.flashsale.infra;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.PooledRedisConnection;
import java.time.Duration;
import java.util.List;

/**
 * The Redis client with a client-side deadline on every command and batch (the lease of a pooled
 * connection included): an answer, or a {@link StoreTimeoutException} once the deadline passes. A
 * command whose lease comes too late is never sent; a connection still waiting on a frozen server
 * is closed, so the pool opens a fresh one. (Redis Cluster connections span several nodes and are
 * given back instead; the deadline still holds.)
 */
final class DeadlineRedis implements Redis {

  private final Redis redis;
  private final StoreDeadline deadline;

  DeadlineRedis(Vertx vertx, Redis redis, Duration deadline) {
    this.redis = redis;
    this.deadline = new StoreDeadline(vertx, "Redis", deadline);
  }

  @Override
  public Future<Response> send(Request command) {
    return deadline.run(
        redis::connect, conn -> conn.send(command), RedisConnection::close, DeadlineRedis::discard);
  }

  @Override
  public Future<List<Response>> batch(List<Request> commands) {
    return deadline.run(
        redis::connect,
        conn -> conn.batch(commands),
        RedisConnection::close,
        DeadlineRedis::discard);
  }

  /** The lease alone is bounded; commands on the connection are the caller's to bound. */
  @Override
  public Future<RedisConnection> connect() {
    return deadline.lease(redis::connect, RedisConnection::close);
  }

  @Override
  public Future<Void> close() {
    return redis.close();
  }

  /**
   * The socket's end evicts the connection from the pool; giving it back as well could lend it out
   * closing.
   */
  private static void discard(RedisConnection conn) {
    if (conn instanceof PooledRedisConnection pooled) {
      pooled.actual().forceClose();
    } else {
      conn.close();
    }
  }
}

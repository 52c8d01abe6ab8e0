package io.flashsale.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;

/**
 * Liveness, readiness (both stores answer, the schema is migrated, the start-up rehearsal is over)
 * and the Prometheus page.
 */
final class HealthRoutes {

  private final Pool pool;
  private final Redis redis;
  private final PrometheusMeterRegistry metrics;
  private final Readiness readiness;

  HealthRoutes(Pool pool, Redis redis, PrometheusMeterRegistry metrics, Readiness readiness) {
    this.pool = pool;
    this.redis = redis;
    this.metrics = metrics;
    this.readiness = readiness;
  }

  void mount(Router router, ContractValidation contract) {
    router.get("/health/live").handler(contract.of("healthLive")).handler(this::live);
    router.get("/health/ready").handler(contract.of("healthReady")).handler(this::ready);
    router
        .get("/metrics")
        .handler(contract.of("metrics"))
        .handler(PrometheusScrapingHandler.create(metrics));
  }

  private void live(RoutingContext ctx) {
    Replies.json(ctx, 200, new JsonObject().put("status", "UP"));
  }

  private void ready(RoutingContext ctx) {
    // As it stands when asked, not after the stores answer.
    Readiness.Rehearsal rehearsal = readiness.rehearsal();
    Future<Boolean> pg =
        pool.query("SELECT count(*) AS applied FROM flyway_schema_history WHERE success")
            .execute()
            .map(rows -> rows.iterator().next().getLong("applied") > 0);
    Future<Boolean> pong = redis.send(Request.cmd(Command.PING)).map(answered -> true);
    Future.join(pg, pong)
        .onComplete(
            done -> {
              boolean pgUp = pg.succeeded() && pg.result();
              boolean redisUp = pong.succeeded();
              boolean up = pgUp && redisUp && rehearsal != Readiness.Rehearsal.RUNNING;
              JsonObject body =
                  new JsonObject()
                      .put("status", up ? "UP" : "DOWN")
                      .put("postgres", pgUp ? "UP" : "DOWN")
                      .put("redis", redisUp ? "UP" : "DOWN")
                      .put("rehearsal", rehearsal.name());
              Replies.json(ctx, up ? 200 : 503, body);
            });
  }
}

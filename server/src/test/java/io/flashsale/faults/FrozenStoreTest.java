package io.flashsale.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.http.BearerAuth;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.Invariants;
import io.flashsale.support.Poll;
import io.flashsale.support.ServerProcess;
import io.flashsale.support.TestServer;
import io.flashsale.support.TestStores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * A store that stops answering without closing its sockets (SIGSTOP, as in a network partition)
 * mid-sale: purchases, queue joins, checkouts and the readiness probe are all answered within the
 * store deadline plus a margin, as 503 problem+json or a real answer; after SIGCONT the server
 * serves again by itself, and once the sale settles the invariants hold from the stores: nothing
 * sold twice, nothing lost.
 */
class FrozenStoreTest {

  private static final int UNITS = 120;
  private static final long DEADLINE_MS = 2_500;

  /** A deadline, not a speed benchmark: generous for two shared cores. */
  private static final Duration ANSWER_BOUND = Duration.ofMillis(DEADLINE_MS + 3_500);

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Await.result(vertx.close());
  }

  @Test
  void postgresFrozenMidSaleMeansEveryRequestAnsweredWithinTheDeadlineThenRecoveryByItself()
      throws Exception {
    Path data = Files.createTempDirectory("frozen-pg");
    int pgPort = ServerProcess.freePort();
    EmbeddedPostgres postgres =
        EmbeddedPostgres.builder()
            .setDataDirectory(data)
            .setCleanDataDirectory(true)
            .setPort(pgPort)
            .start();
    String pgUrl = "postgresql://postgres@127.0.0.1:" + pgPort + "/postgres";
    try {
      long postmaster = Signals.postmaster(data);
      runSaleThroughAFreeze(TestStores.get().redisUrl(), pgUrl, postmaster);
    } finally {
      postgres.close();
    }
  }

  @Test
  void redisFrozenMidSaleMeansEveryRequestAnsweredWithinTheDeadlineThenRecoveryByItself()
      throws Exception {
    int redisPort = ServerProcess.freePort();
    RedisServer redis =
        RedisServer.newRedisServer()
            .port(redisPort)
            .bind("127.0.0.1")
            .setting("save \"\"")
            .setting("appendonly no")
            .build();
    redis.start();
    String redisUrl = "redis://127.0.0.1:" + redisPort;
    try {
      Redis probe = Redis.createClient(vertx, redisUrl);
      String info = Await.result(probe.send(Request.cmd(Command.INFO).arg("server"))).toString();
      probe.close();
      long pid =
          info.lines()
              .filter(line -> line.startsWith("process_id:"))
              .mapToLong(line -> Long.parseLong(line.substring("process_id:".length()).trim()))
              .findFirst()
              .orElseThrow();
      runSaleThroughAFreeze(redisUrl, TestStores.get().freshDatabase(), pid);
    } finally {
      redis.stop();
    }
  }

  /** The whole scenario against a store whose process (and its children) is {@code pid}. */
  private static void runSaleThroughAFreeze(String redisUrl, String pgUrl, long pid)
      throws Exception {
    int port = ServerProcess.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("FLASHSALE_CONFIG", "/nonexistent");
    env.put("FLASHSALE_HTTP_PORT", Integer.toString(port));
    env.put("FLASHSALE_HTTP_INSTANCES", "1");
    env.put("FLASHSALE_REDIS_URL", redisUrl);
    env.put("FLASHSALE_PG_URL", pgUrl);
    env.put("FLASHSALE_JWT_SECRET", TestServer.JWT_SECRET);
    env.put("FLASHSALE_STORES_DEADLINE_MS", Long.toString(DEADLINE_MS));
    env.put("FLASHSALE_AUDIT_RECONCILE_INTERVAL_MS", "300");
    env.put("FLASHSALE_AUDIT_INFLIGHT_STALE_MS", "1500");
    env.put("FLASHSALE_AUDIT_REDIS_CHECK_MS", "200");
    env.put("FLASHSALE_PAYMENT_SIMULATED_LATENCY_MS", "1");
    env.put("FLASHSALE_ANTIBOT_RATE_USER_PER_SECOND", "0");
    env.put("FLASHSALE_ANTIBOT_RATE_IP_PER_SECOND", "0");
    env.put("FLASHSALE_ANTIBOT_RATE_DEVICE_PER_SECOND", "0");
    TestServer server = Await.result(TestServer.start(vertx, env));
    Shoppers shoppers = new Shoppers(port);
    boolean frozen = false;
    try {
      String saleId = shoppers.createSale(false);
      String queuedSaleId = shoppers.createSale(true);
      List<Answer> before = shoppers.await(shoppers.purchases(saleId, 0, 40));
      List<String> held =
          before.stream()
              .filter(answer -> answer.status() == 201)
              .map(answer -> answer.body().getString("orderId") + "/" + answer.user())
              .toList();
      assertThat(held).as("orders before the freeze").isNotEmpty();

      Signals.sendToTree("STOP", pid);
      frozen = true;
      List<Future<Answer>> during = new ArrayList<>();
      during.addAll(shoppers.purchases(saleId, 1_000, 1_080));
      during.addAll(shoppers.joins(queuedSaleId, 2_000, 2_040));
      during.addAll(held.stream().limit(20).map(shoppers::checkout).toList());
      during.add(shoppers.ready());
      List<Answer> answers = shoppers.await(during);
      // Past the deadline, and with more requests than pool connections, stuck connections
      // have to be replaced: one more round must be answered just the same.
      answers =
          Stream.concat(
                  answers.stream(),
                  shoppers.await(shoppers.purchases(saleId, 1_080, 1_120)).stream())
              .toList();
      Signals.sendToTree("CONT", pid);
      frozen = false;

      assertThat(answers)
          .as("every request answered, within %s", ANSWER_BOUND)
          .allSatisfy(
              answer -> {
                assertThat(answer.status()).as(answer.toString()).isPositive();
                assertThat(answer.took()).as(answer.toString()).isLessThanOrEqualTo(ANSWER_BOUND);
                assertThat(answer.status()).as(answer.toString()).isNotIn(500, 502, 504);
                if (answer.status() == 503 && !answer.what().equals("ready")) {
                  assertThat(answer.contentType())
                      .as(answer.toString())
                      .startsWith("application/problem+json");
                  assertThat(answer.body().getString("code")).isEqualTo("UNAVAILABLE");
                }
              });
      assertThat(answers).as("the frozen store shows").anyMatch(answer -> answer.status() == 503);
      assertThat(answers)
          .filteredOn(answer -> answer.what().equals("ready"))
          .singleElement()
          .satisfies(
              ready -> {
                assertThat(ready.status()).isEqualTo(503);
                assertThat(ready.body().getString("status")).isEqualTo("DOWN");
              });

      // Back by itself: ready again, and buyers served, with nobody restarting anything.
      Poll.until(
          () -> shoppers.await(List.of(shoppers.ready())).get(0).status(),
          status -> status == 200,
          Duration.ofSeconds(20));
      int[] next = {3_000};
      Poll.until(
          () -> {
            List<Answer> late = shoppers.await(shoppers.purchases(saleId, next[0], next[0] + 10));
            next[0] += 10;
            return late.stream().filter(answer -> answer.status() == 201).count();
          },
          created -> created > 0,
          Duration.ofSeconds(20));

      // Late buyers keep coming until every unit is sold and Redis agrees with the database.
      Poll.until(
          () -> {
            JsonObject report = shoppers.report(saleId);
            if (report == null) {
              return false;
            }
            boolean settled =
                report.getJsonObject("database").getInteger("quantitySold") == UNITS
                    && report.getJsonObject("invariants").getBoolean("I4");
            if (!settled && report.getJsonObject("redis").getLong("stock") > 0) {
              shoppers.await(shoppers.purchases(saleId, next[0], next[0] + 20));
              next[0] += 20;
            }
            return settled;
          },
          settled -> settled,
          Duration.ofSeconds(60));

      try (Connection db = TestStores.jdbc(pgUrl)) {
        var figures = Invariants.assertNoOversell(db, saleId);
        assertThat(figures.quantitySold()).as("I3: exactly the stock sold").isEqualTo(UNITS);
        assertThat(
                Invariants.count(
                    db,
                    "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status IN"
                        + " ('RESERVED', 'PAID')",
                    UUID.fromString(saleId)))
            .as("one live order per unit")
            .isEqualTo(UNITS);
        assertThat(shoppers.created())
            .as("every 201 is an order in the database")
            .allMatch(
                orderId -> {
                  try {
                    return Invariants.count(
                            db,
                            "SELECT count(*) FROM sale_orders WHERE order_id = ?",
                            UUID.fromString(orderId))
                        == 1;
                  } catch (SQLException e) {
                    throw new AssertionError(e);
                  }
                });
      }
      Redis redis = Redis.createClient(vertx, redisUrl);
      try {
        var keys = new SaleKeys(saleId);
        assertThat(Await.result(redis.send(Request.cmd(Command.GET).arg(keys.stock()))).toInteger())
            .as("I4: Redis stock + sold = available")
            .isZero();
        assertThat(
                Await.result(redis.send(Request.cmd(Command.HLEN).arg(keys.inflight())))
                    .toInteger())
            .as("nothing left in flight")
            .isZero();
      } finally {
        redis.close();
      }
    } finally {
      if (frozen) {
        Signals.sendToTree("CONT", pid);
      }
      Await.result(server.stop());
      shoppers.close();
    }
  }

  /** One reply: what was asked, by whom, the status (0: none), how long it took. */
  private record Answer(
      String what, String user, int status, String contentType, JsonObject body, Duration took) {}

  private static final class Shoppers {
    private final BearerAuth tokens = new BearerAuth(vertx, TestServer.JWT_SECRET);
    private final WebClient client;
    private final List<String> created = new CopyOnWriteArrayList<>();

    Shoppers(int port) {
      client =
          WebClient.create(
              vertx,
              new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
              new PoolOptions().setHttp1MaxSize(200).setMaxWaitQueueSize(-1));
    }

    String createSale(boolean waitingRoom) {
      JsonObject sale =
          new JsonObject()
              .put("productId", "FROZEN")
              .put("productName", "Frozen store")
              .put("quantity", UNITS)
              .put("priceCents", 100)
              .put("currency", "EUR")
              .put("startTime", Instant.now().minusSeconds(1).toString())
              .put("endTime", Instant.now().plusSeconds(3_600).toString());
      if (waitingRoom) {
        sale.put("waitingRoom", true)
            .put("queuePolicy", "FIFO")
            .put("admissionRatePerSecond", 1_000);
      }
      return Await.result(
              client
                  .post("/api/admin/sales")
                  .bearerTokenAuthentication(tokens.issue("admin", true, 3_600))
                  .sendJsonObject(sale))
          .bodyAsJsonObject()
          .getString("saleId");
    }

    List<Future<Answer>> purchases(String saleId, int from, int to) {
      List<Future<Answer>> answers = new ArrayList<>();
      for (int i = from; i < to; i++) {
        answers.add(
            timed(
                    "purchase",
                    "buyer-" + i,
                    "/api/sales/" + saleId + "/purchase",
                    new JsonObject().put("quantity", 1))
                .onSuccess(
                    answer -> {
                      if (answer.status() == 201) {
                        created.add(answer.body().getString("orderId"));
                      }
                    }));
      }
      return answers;
    }

    List<Future<Answer>> joins(String saleId, int from, int to) {
      List<Future<Answer>> answers = new ArrayList<>();
      for (int i = from; i < to; i++) {
        answers.add(
            timed(
                "join",
                "buyer-" + i,
                "/api/sales/" + saleId + "/queue",
                new JsonObject().put("quantity", 1)));
      }
      return answers;
    }

    /** {@code orderAndUser} is "orderId/userId". */
    Future<Answer> checkout(String orderAndUser) {
      String[] parts = orderAndUser.split("/");
      return timed("checkout", parts[1], "/api/orders/" + parts[0] + "/checkout", null);
    }

    Future<Answer> ready() {
      long start = System.nanoTime();
      return client
          .get("/health/ready")
          .timeout(30_000)
          .send()
          .map(
              response ->
                  new Answer(
                      "ready",
                      "",
                      response.statusCode(),
                      response.getHeader("Content-Type"),
                      response.bodyAsJsonObject(),
                      Duration.ofNanos(System.nanoTime() - start)))
          .otherwise(
              failure ->
                  new Answer(
                      "ready",
                      "",
                      0,
                      "",
                      new JsonObject().put("failure", failure.toString()),
                      Duration.ofNanos(System.nanoTime() - start)));
    }

    private Future<Answer> timed(String what, String user, String path, JsonObject body) {
      long start = System.nanoTime();
      var request =
          client
              .post(path)
              .timeout(30_000)
              .bearerTokenAuthentication(tokens.issue(user, false, 3_600));
      return (body == null ? request.send() : request.sendJsonObject(body))
          .map(
              response ->
                  new Answer(
                      what,
                      user,
                      response.statusCode(),
                      String.valueOf(response.getHeader("Content-Type")),
                      response.body() == null ? new JsonObject() : response.bodyAsJsonObject(),
                      Duration.ofNanos(System.nanoTime() - start)))
          .otherwise(
              failure ->
                  new Answer(
                      what,
                      user,
                      0,
                      "",
                      new JsonObject().put("failure", failure.toString()),
                      Duration.ofNanos(System.nanoTime() - start)));
    }

    /** Waits for every answer (each request has its own 30 s client timeout). */
    List<Answer> await(List<Future<Answer>> answers) {
      Await.result(Future.join(answers).otherwiseEmpty(), Duration.ofMinutes(1));
      return answers.stream().map(Future::result).toList();
    }

    JsonObject report(String saleId) {
      return Await.result(
          client
              .get("/api/admin/sales/" + saleId + "/report")
              .bearerTokenAuthentication(tokens.issue("admin", true, 3_600))
              .send()
              .map(response -> response.statusCode() == 200 ? response.bodyAsJsonObject() : null)
              .otherwise((JsonObject) null));
    }

    List<String> created() {
      return created;
    }

    void close() {
      client.close();
    }
  }
}

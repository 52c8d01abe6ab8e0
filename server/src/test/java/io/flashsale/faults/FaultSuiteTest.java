package io.flashsale.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.http.BearerAuth;
import io.flashsale.infra.SaleKeys;
import io.flashsale.payment.SimulatedPaymentGateway;
import io.flashsale.support.Await;
import io.flashsale.support.Invariants;
import io.flashsale.support.Invariants.SaleFigures;
import io.flashsale.support.Poll;
import io.flashsale.support.ServerProcess;
import io.flashsale.support.Sql;
import io.flashsale.support.TestServer;
import io.flashsale.support.TestStores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * A sale of 300 units meets 3,000 buyers while something breaks: the server is killed with SIGKILL
 * and restarted, or Redis restarts and loses everything. I1 and I2 are sampled from PostgreSQL
 * throughout; after settling, exactly 300 units are sold (I3), Redis agrees with the database (I4),
 * and no order is lost or duplicated. Loopback only, bounded in time.
 */
class FaultSuiteTest {

  private static final int UNITS = 300;
  private static final int BUYERS = 3_000;
  private static final Map<String, String> FAST_RECOVERY =
      Map.of(
          "FLASHSALE_AUDIT_RECONCILE_INTERVAL_MS", "300",
          "FLASHSALE_AUDIT_INFLIGHT_STALE_MS", "1500",
          "FLASHSALE_AUDIT_REDIS_CHECK_MS", "200",
          "FLASHSALE_HTTP_INSTANCES", "1",
          "FLASHSALE_ANTIBOT_RATE_USER_PER_SECOND", "0",
          "FLASHSALE_ANTIBOT_RATE_IP_PER_SECOND", "0",
          "FLASHSALE_ANTIBOT_RATE_DEVICE_PER_SECOND", "0");

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
  void theServerKilledMidSaleAndRestartedStillSellsExactlyTheStock() throws Exception {
    String pgUrl = TestStores.get().freshDatabase();
    int port = ServerProcess.freePort();
    Map<String, String> env = serverEnv(port, TestStores.get().redisUrl(), pgUrl);

    Process server = launch(env);
    Buyers buyers = new Buyers(port);
    try {
      String saleId = buyers.createSale();
      try (Sampler sampler = new Sampler(pgUrl, saleId)) {
        List<Future<HttpResponse<Buffer>>> first = buyers.press(saleId, 0, BUYERS / 2);
        Poll.until(
            () -> sampler.last() == null ? 0 : sampler.last().quantitySold(),
            sold -> sold >= 50,
            Duration.ofSeconds(60));
        server.destroyForcibly().waitFor();
        Await.result(Future.join(first).otherwiseEmpty(), Duration.ofMinutes(2));

        server = launch(env);
        Await.result(
            Future.join(buyers.press(saleId, BUYERS / 2, BUYERS)).otherwiseEmpty(),
            Duration.ofMinutes(3));
        settle(buyers, saleId, sampler);
        sampler.assertHeldThroughout();
      }
      assertSettled(pgUrl, saleId, buyers);
    } finally {
      server.destroyForcibly().waitFor();
      buyers.close();
    }
  }

  @Test
  void aServerStoppedWithSigtermFinishesTheReservationsItStarted() throws Exception {
    String pgUrl = TestStores.get().freshDatabase();
    int port = ServerProcess.freePort();
    Map<String, String> env = serverEnv(port, TestStores.get().redisUrl(), pgUrl);
    // Slow reconciliation: whatever is left in flight after the stop must be the stop's doing.
    env.put("FLASHSALE_AUDIT_INFLIGHT_STALE_MS", "600000");
    Process server = launch(env);
    Buyers buyers = new Buyers(port);
    try {
      String saleId = buyers.createSale();
      List<Future<HttpResponse<Buffer>>> burst = buyers.press(saleId, 0, 2_000);
      Poll.until(
          () -> buyers.created201().size(), created -> created >= 50, Duration.ofSeconds(60));
      server.destroy();
      assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("exited after draining").isTrue();
      Await.result(Future.join(burst).otherwiseEmpty(), Duration.ofMinutes(2));

      var inflight =
          Await.result(
              Redis.createClient(vertx, TestStores.get().redisUrl())
                  .send(Request.cmd(Command.HLEN).arg(new SaleKeys(saleId).inflight())));
      assertThat(inflight.toInteger()).as("no take left half-way").isZero();
      assertThat(buyers.created201())
          .as("every 201 is an order")
          .allMatch(orderId -> orderExists(pgUrl, orderId));
      try (Connection db = TestStores.jdbc(pgUrl)) {
        assertThat(Invariants.assertNoOversell(db, saleId).quantitySold())
            .isEqualTo(buyers.created201().size());
      }
    } finally {
      server.destroyForcibly().waitFor();
      buyers.close();
    }
  }

  @Test
  void redisRestartingWithItsDataLostMidSaleStillSellsExactlyTheStock() throws Exception {
    int redisPort = ServerProcess.freePort();
    RedisServer redis = startRedis(redisPort);
    String pgUrl = TestStores.get().freshDatabase();
    int port = ServerProcess.freePort();
    Map<String, String> env = serverEnv(port, "redis://127.0.0.1:" + redisPort, pgUrl);
    env.put("FLASHSALE_PAYMENT_SIMULATED_LATENCY_MS", "0");
    TestServer server = Await.result(TestServer.start(vertx, env));
    Buyers buyers = new Buyers(port);
    try {
      String saleId = buyers.createSale();
      try (Sampler sampler = new Sampler(pgUrl, saleId)) {
        List<Future<HttpResponse<Buffer>>> first = buyers.press(saleId, 0, BUYERS / 2);
        Poll.until(
            () -> sampler.last() == null ? 0 : sampler.last().quantitySold(),
            sold -> sold >= 50,
            Duration.ofSeconds(60));
        redis.stop();
        redis = startRedis(redisPort);
        Await.result(Future.join(first).otherwiseEmpty(), Duration.ofMinutes(2));

        Await.result(
            Future.join(buyers.press(saleId, BUYERS / 2, BUYERS)).otherwiseEmpty(),
            Duration.ofMinutes(3));
        settle(buyers, saleId, sampler);
        sampler.assertHeldThroughout();
      }
      assertSettled(pgUrl, saleId, buyers);
    } finally {
      Await.result(server.stop());
      redis.stop();
      buyers.close();
    }
  }

  @Test
  void postgresStoppedForAFewSecondsMidSaleMeansFastUnavailableAnswersThenExactlyTheStock()
      throws Exception {
    Path data = Files.createTempDirectory("fault-pg");
    int pgPort = ServerProcess.freePort();
    EmbeddedPostgres postgres = startPostgres(data, pgPort);
    String pgUrl = "postgresql://postgres@127.0.0.1:" + pgPort + "/postgres";
    int port = ServerProcess.freePort();
    Map<String, String> env = serverEnv(port, TestStores.get().redisUrl(), pgUrl);
    TestServer server = Await.result(TestServer.start(vertx, env));
    Buyers buyers = new Buyers(port);
    try {
      String saleId = buyers.createSale();
      Sampler sampler = new Sampler(pgUrl, saleId);
      // Fewer buyers than units before the outage: stock must be left in Redis for the buyers
      // during it, or they are all answered SOLD_OUT by Redis and never reach the database.
      int beforeOutage = UNITS / 2;
      List<Future<HttpResponse<Buffer>>> first = buyers.press(saleId, 0, beforeOutage);
      Poll.until(
          () -> buyers.created201().size(), created -> created >= 50, Duration.ofSeconds(60));
      postgres.close();
      List<Future<HttpResponse<Buffer>>> duringOutage =
          buyers.press(saleId, beforeOutage, beforeOutage + 200);
      Await.result(Future.join(duringOutage).otherwiseEmpty(), Duration.ofMinutes(2));
      postgres = startPostgres(data, pgPort);
      Await.result(Future.join(first).otherwiseEmpty(), Duration.ofMinutes(2));

      Map<String, Integer> outageReplies = new TreeMap<>();
      for (Future<HttpResponse<Buffer>> reply : duringOutage) {
        String outcome =
            reply.succeeded()
                ? reply.result().statusCode()
                    + " "
                    + (reply.result().statusCode() == 201
                        ? ""
                        : reply.result().bodyAsJsonObject().getString("code"))
                : "no answer";
        outageReplies.merge(outcome.trim(), 1, Integer::sum);
      }
      assertThat(outageReplies)
          .as("while the database is away: %s", outageReplies)
          .containsKey("503 UNAVAILABLE");
      assertThat(outageReplies.keySet()).allMatch(outcome -> !outcome.startsWith("500"));

      Await.result(
          Future.join(buyers.press(saleId, beforeOutage + 200, BUYERS)).otherwiseEmpty(),
          Duration.ofMinutes(3));
      settle(buyers, saleId, sampler);
      sampler.close();
      sampler.assertHeldThroughout();
      assertSettled(pgUrl, saleId, buyers);
    } finally {
      Await.result(server.stop());
      postgres.close();
      buyers.close();
    }
  }

  @Test
  void aPaymentGatewayTimingOutForAWhileStillEndsWithExactlyTheStockPaidAndNothingChargedTwice()
      throws Exception {
    String pgUrl = TestStores.get().freshDatabase();
    int port = ServerProcess.freePort();
    Map<String, String> env = serverEnv(port, TestStores.get().redisUrl(), pgUrl);
    env.put("FLASHSALE_PAYMENT_SIMULATED_LATENCY_MS", "1");
    env.put("FLASHSALE_PAYMENT_TIMEOUT_MS", "500");
    env.put("FLASHSALE_PAYMENT_PREAUTH_LEASE_MS", "1000");
    env.put("FLASHSALE_CHECKOUT_SWEEP_MS", "200");
    TestServer server = Await.result(TestServer.start(vertx, env));
    var gateway = (SimulatedPaymentGateway) server.services().gateway();
    Buyers buyers = new Buyers(port);
    try {
      String saleId = buyers.createQueuedSale();
      Sampler sampler = new Sampler(pgUrl, saleId);
      Await.result(
          Future.join(buyers.join(saleId, 0, BUYERS)).otherwiseEmpty(), Duration.ofMinutes(3));
      Set<String> checkedOut = ConcurrentHashMap.newKeySet();
      // The first winners reach checkout while the gateway answers nothing at all: the outage
      // starts once holds exist (a pre-authorisation in the outage would only delay them).
      Poll.until(() -> reservedOrders(pgUrl, saleId), held -> held > 0, Duration.ofSeconds(60));
      gateway.outageFor(Duration.ofSeconds(3));
      Poll.until(
          () -> buyers.checkOutReserved(pgUrl, saleId, checkedOut),
          paid -> paid == UNITS,
          Duration.ofSeconds(120));
      sampler.close();
      sampler.assertHeldThroughout();

      try (Connection db = TestStores.jdbc(pgUrl)) {
        Invariants.assertNoOversell(db, saleId);
        assertThat(buyers.unanswered.get())
            .as("checkouts the gateway did not answer kept their holds (503)")
            .isPositive();
        assertThat(
                Invariants.count(
                    db,
                    "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'CANCELLED'",
                    UUID.fromString(saleId)))
            .as("no capture without an answer cancelled its order")
            .isZero();
        assertThat(
                Invariants.count(
                    db,
                    "SELECT count(*) FROM payments p JOIN sale_orders o USING (order_id)"
                        + " WHERE o.sale_id = ?",
                    UUID.fromString(saleId)))
            .isEqualTo(UNITS);
      }
      assertThat(Await.result(gateway.ledger()).values())
          .filteredOn(entry -> entry.captures() > 0)
          .hasSize(UNITS)
          .allMatch(entry -> entry.captures() == 1, "nothing captured twice");
    } finally {
      Await.result(server.stop());
      buyers.close();
    }
  }

  private static EmbeddedPostgres startPostgres(Path data, int port) throws IOException {
    return EmbeddedPostgres.builder()
        .setDataDirectory(data)
        .setCleanDataDirectory(false)
        .setPort(port)
        .start();
  }

  /** A server on {@code port} with quick recovery rhythms, on the given stores. */
  private static Map<String, String> serverEnv(int port, String redisUrl, String pgUrl) {
    Map<String, String> env = new HashMap<>(FAST_RECOVERY);
    env.put("FLASHSALE_CONFIG", "/nonexistent");
    env.put("FLASHSALE_HTTP_PORT", Integer.toString(port));
    env.put("FLASHSALE_REDIS_URL", redisUrl);
    env.put("FLASHSALE_PG_URL", pgUrl);
    env.put("FLASHSALE_JWT_SECRET", TestServer.JWT_SECRET);
    return env;
  }

  /** Late buyers keep coming until every unit is sold and Redis agrees with the database. */
  private static void settle(Buyers buyers, String saleId, Sampler sampler) {
    int[] next = {BUYERS};
    Poll.until(
        () -> {
          JsonObject report = buyers.report(saleId);
          if (report == null) {
            return false;
          }
          boolean settled =
              report.getJsonObject("database").getInteger("quantitySold") == UNITS
                  && report.getJsonObject("invariants").getBoolean("I4");
          if (!settled && report.getJsonObject("redis").getLong("stock") > 0) {
            Await.result(
                Future.join(buyers.press(saleId, next[0], next[0] + 20)).otherwiseEmpty(),
                Duration.ofMinutes(1));
            next[0] += 20;
          }
          return settled;
        },
        done -> done,
        Duration.ofSeconds(90));
  }

  private static void assertSettled(String pgUrl, String saleId, Buyers buyers) throws Exception {
    try (Connection db = TestStores.jdbc(pgUrl)) {
      SaleFigures figures = Invariants.assertNoOversell(db, saleId);
      assertThat(figures.quantitySold()).as("I3: exactly the stock sold").isEqualTo(UNITS);
      assertThat(
              Invariants.count(
                  db,
                  "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'RESERVED'",
                  UUID.fromString(saleId)))
          .as("one order per unit, none lost or duplicated")
          .isEqualTo(UNITS);
      assertThat(
              Invariants.count(
                  db,
                  "SELECT count(DISTINCT user_id) FROM sale_orders WHERE sale_id = ?",
                  UUID.fromString(saleId)))
          .isEqualTo(UNITS);
    }
    assertThat(buyers.created201())
        .as("every 201 the buyers got is an order in the database")
        .allMatch(orderId -> orderExists(pgUrl, orderId));
    assertThat(buyers.serverErrors()).as("outages answered 503, never another 5xx").isEmpty();
  }

  private static int reservedOrders(String pgUrl, String saleId) {
    try (Connection db = TestStores.jdbc(pgUrl)) {
      return Invariants.count(
          db,
          "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'RESERVED'",
          UUID.fromString(saleId));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static boolean orderExists(String pgUrl, String orderId) {
    try (Connection db = TestStores.jdbc(pgUrl)) {
      return Invariants.count(
              db, "SELECT count(*) FROM sale_orders WHERE order_id = ?", UUID.fromString(orderId))
          == 1;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Process launch(Map<String, String> env) throws IOException {
    Process process = ServerProcess.start(env, "fault-suite-server", "-Xmx512m");
    WebClient probe = WebClient.create(vertx);
    try {
      ServerProcess.awaitReady(probe, Integer.parseInt(env.get("FLASHSALE_HTTP_PORT")));
    } finally {
      probe.close();
    }
    return process;
  }

  private static RedisServer startRedis(int port) throws IOException {
    RedisServer server =
        RedisServer.newRedisServer()
            .port(port)
            .bind("127.0.0.1")
            .setting("save \"\"")
            .setting("appendonly no")
            .build();
    server.start();
    return server;
  }

  /** The buyers, with their own tokens, talking to whatever server answers on the port. */
  private static final class Buyers {
    private final BearerAuth tokens = new BearerAuth(vertx, TestServer.JWT_SECRET);
    private final WebClient client;
    private final List<String> created = new CopyOnWriteArrayList<>();
    private final List<String> serverErrors = new CopyOnWriteArrayList<>();

    Buyers(int port) {
      client =
          WebClient.create(
              vertx,
              new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
              new PoolOptions().setHttp1MaxSize(64).setMaxWaitQueueSize(-1));
    }

    String createSale() {
      JsonObject sale =
          new JsonObject()
              .put("productId", "FAULT")
              .put("productName", "Fault suite")
              .put("quantity", UNITS)
              .put("priceCents", 100)
              .put("currency", "EUR")
              .put("startTime", Instant.now().minusSeconds(1).toString())
              .put("endTime", Instant.now().plusSeconds(3_600).toString());
      return Await.result(
              client
                  .post("/api/admin/sales")
                  .bearerTokenAuthentication(tokens.issue("admin", true, 3_600))
                  .sendJsonObject(sale))
          .bodyAsJsonObject()
          .getString("saleId");
    }

    String createQueuedSale() {
      JsonObject sale =
          new JsonObject()
              .put("productId", "FAULT")
              .put("productName", "Fault suite")
              .put("quantity", UNITS)
              .put("priceCents", 100)
              .put("currency", "EUR")
              .put("startTime", Instant.now().minusSeconds(1).toString())
              .put("endTime", Instant.now().plusSeconds(3_600).toString())
              .put("waitingRoom", true)
              .put("queuePolicy", "FIFO")
              .put("admissionRatePerSecond", 1_000)
              // Long enough that the first holds outlive 3,000 joins on a loaded machine and meet
              // the outage.
              .put("checkoutTtlSeconds", 30);
      return Await.result(
              client
                  .post("/api/admin/sales")
                  .bearerTokenAuthentication(tokens.issue("admin", true, 3_600))
                  .sendJsonObject(sale))
          .bodyAsJsonObject()
          .getString("saleId");
    }

    List<Future<HttpResponse<Buffer>>> join(String saleId, int from, int to) {
      List<Future<HttpResponse<Buffer>>> replies = new ArrayList<>();
      for (int i = from; i < to; i++) {
        replies.add(
            client
                .post("/api/sales/" + saleId + "/queue")
                .bearerTokenAuthentication(tokens.issue("buyer-" + i, false, 3_600))
                .sendJsonObject(new JsonObject().put("quantity", 1)));
      }
      return replies;
    }

    /** Every buyer holding a reservation checks out once; resolves to the units paid so far. */
    /**
     * Checkouts the gateway did not answer (503 PAYMENT_UNAVAILABLE, the hold kept), which the
     * buyer tries again.
     */
    final AtomicInteger unanswered = new AtomicInteger();

    int checkOutReserved(String pgUrl, String saleId, Set<String> checkedOut) {
      List<Future<HttpResponse<Buffer>>> checkouts = new ArrayList<>();
      try (Connection db = TestStores.jdbc(pgUrl);
          var held =
              Sql.query(
                  db,
                  "SELECT order_id, user_id FROM sale_orders WHERE sale_id = ? AND status = 'RESERVED'",
                  UUID.fromString(saleId))) {
        while (held.next()) {
          String orderId = held.getString(1);
          if (checkedOut.add(orderId)) {
            checkouts.add(
                client
                    .post("/api/orders/" + orderId + "/checkout")
                    .bearerTokenAuthentication(tokens.issue(held.getString(2), false, 3_600))
                    .send()
                    .onSuccess(
                        answer -> {
                          // As a buyer would: "the order is still held ... check out again".
                          if (answer.statusCode() == 503) {
                            unanswered.incrementAndGet();
                            checkedOut.remove(orderId);
                          }
                        }));
          }
        }
        Await.result(Future.join(checkouts).otherwiseEmpty());
        return Invariants.count(
            db,
            "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'PAID'",
            UUID.fromString(saleId));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }

    List<Future<HttpResponse<Buffer>>> press(String saleId, int from, int to) {
      List<Future<HttpResponse<Buffer>>> replies = new ArrayList<>();
      for (int i = from; i < to; i++) {
        replies.add(
            client
                .post("/api/sales/" + saleId + "/purchase")
                .timeout(30_000)
                .bearerTokenAuthentication(tokens.issue("buyer-" + i, false, 3_600))
                .sendJsonObject(new JsonObject().put("quantity", 1))
                .onSuccess(
                    response -> {
                      if (response.statusCode() == 201) {
                        created.add(response.bodyAsJsonObject().getString("orderId"));
                      } else if (response.statusCode() >= 500 && response.statusCode() != 503) {
                        serverErrors.add(response.statusCode() + " " + response.bodyAsString());
                      }
                    }));
      }
      return replies;
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

    List<String> created201() {
      return created;
    }

    /** Answers that were 5xx but not 503: a store outage must never look like a bug. */
    List<String> serverErrors() {
      return serverErrors;
    }

    void close() {
      client.close();
    }
  }

  /** Reads I1 and I2 from PostgreSQL every 100 ms on its own thread for the whole run. */
  private static final class Sampler implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile SaleFigures last;
    private volatile int samples;

    Sampler(String pgUrl, String saleId) {
      thread =
          new Thread(
              () -> {
                while (running.get()) {
                  // While the database itself is down there is nothing to observe; reconnect and go
                  // on.
                  try (Connection db = TestStores.jdbc(pgUrl)) {
                    while (running.get()) {
                      SaleFigures figures = Invariants.figures(db, saleId);
                      if (figures.heldOrPaid() != figures.quantitySold()
                          || figures.quantitySold() > figures.quantityAvailable()) {
                        violations.add("I1 " + figures);
                      }
                      if (figures.maxPerUser() > figures.perUserLimit()) {
                        violations.add("I2 " + figures);
                      }
                      last = figures;
                      samples++;
                      Thread.sleep(100);
                    }
                  } catch (SQLException unavailable) {
                    pause();
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "invariant-sampler");
      thread.start();
    }

    SaleFigures last() {
      return last;
    }

    private static void pause() {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void assertHeldThroughout() {
      assertThat(samples).as("samples taken").isGreaterThan(3);
      assertThat(violations).as("I1 and I2 at every sample").isEmpty();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(5_000);
    }
  }
}

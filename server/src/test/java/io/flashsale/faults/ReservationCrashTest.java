package io.flashsale.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.http.BearerAuth;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.Invariants;
import io.flashsale.support.Invariants.SaleFigures;
import io.flashsale.support.Poll;
import io.flashsale.support.ServerProcess;
import io.flashsale.support.TestServer;
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
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A SIGKILL with a batch between Redis and PostgreSQL loses no unit and sells none twice.
 *
 * <p>A sale of 400 units without a waiting room, one per buyer, on a server process with a Redis
 * and a PostgreSQL of the test's own. Mid-burst PostgreSQL is frozen (SIGSTOP on the postmaster's
 * tree) while buyers keep coming, so purchases take units in Redis and then hang on the database;
 * with at least ten takes in flight the server is killed (SIGKILL), then PostgreSQL is let go
 * (SIGCONT), and may commit a COMMIT that was on the wire with nobody left to hear it. A new server
 * on the same stores must settle every take left in flight: return the units whose order never
 * reached the database, keep sold those whose order did, so that once it has, every unit is in
 * Redis stock or sold, with no help from the drift repair. Then fresh buyers sell the sale out, and
 * the stores must show exactly 400 orders, quantity_sold 400, Redis stock 0, nobody over the limit,
 * Redis' per-buyer counts equal to the database's, and an order for every 201.
 *
 * <p>Only HTTP and the stores are observed, so the test holds however the engine groups purchases
 * into Redis script calls and transactions.
 */
class ReservationCrashTest {

  private static final int UNITS = 400;
  private static final int PER_USER_LIMIT = 1;

  /** Orders in PostgreSQL before the freeze: the sale is well under way, far from sold out. */
  private static final int RESERVED_BEFORE_FREEZE = 40;

  /**
   * Takes in flight at the kill: units out of Redis stock whose database write is unsettled. They
   * are whole batches: once the batches a sale may have on their way are stuck on the frozen
   * database, later purchases wait before Redis, so how many are in flight depends on the batches
   * the freeze caught; a 10 ms window makes those batches larger.
   */
  private static final int IN_FLIGHT_AT_KILL = 3;

  /** Purchases outstanding at once; the freeze lets as many again in, to take units and hang. */
  private static final int CONCURRENT = 96;

  /**
   * The server's store deadline (its default): a transaction, pool wait included, gives up after at
   * most 4.
   */
  private static final int STORE_DEADLINE_MS = 2_500;

  /**
   * A take counts as abandoned only once no live server can still be writing it: past the 4
   * deadlines a busy database may hold a transaction, with a margin for a loaded machine. Any less
   * and reconciliation returns the units of a slow but live reservation that then commits (seen
   * here with 1.5 s on two busy cores): Redis stock over by one and the buyer missing from Redis'
   * per-buyer hash.
   */
  private static final int IN_FLIGHT_STALE_MS = 4 * STORE_DEADLINE_MS + 2_000;

  private static final Map<String, String> FAST_RECOVERY =
      Map.of(
          "FLASHSALE_STORES_DEADLINE_MS", Integer.toString(STORE_DEADLINE_MS),
          "FLASHSALE_AUDIT_RECONCILE_INTERVAL_MS", "300",
          "FLASHSALE_AUDIT_INFLIGHT_STALE_MS", Integer.toString(IN_FLIGHT_STALE_MS),
          "FLASHSALE_AUDIT_REDIS_CHECK_MS", "200",
          "FLASHSALE_HTTP_INSTANCES", "1",
          "FLASHSALE_RESERVATIONS_BATCH_WINDOW_MS", "10",
          "FLASHSALE_ANTIBOT_RATE_USER_PER_SECOND", "0",
          "FLASHSALE_ANTIBOT_RATE_IP_PER_SECOND", "0",
          "FLASHSALE_ANTIBOT_RATE_DEVICE_PER_SECOND", "0");

  /** What the stores and the buyers showed the moment the server was killed. */
  private record Kill(
      Instant at, int sent, Map<String, Integer> answers, int stock, List<String> inFlight) {}

  @Test
  void aSigkillWithABatchBetweenRedisAndPostgresLosesNoUnitAndSellsNoneTwice() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (OwnStores stores = OwnStores.start("reservation-crash")) {
      Redis redis = Redis.createClient(vertx, stores.redisUrl());
      Crowd crowd = new Crowd(vertx, ServerProcess.freePort());
      Server server = new Server(crowd, stores);
      try {
        server.start();
        SaleKeys keys = new SaleKeys(crowd.createSale());
        log("server up; sale %s of %d units, %d per buyer", keys.saleId(), UNITS, PER_USER_LIMIT);

        crowd.start(keys.saleId());
        Poll.until(
            () ->
                count(
                    stores,
                    keys.saleId(),
                    "SELECT count(*) FROM sale_orders WHERE sale_id = ?"
                        + " AND status = 'RESERVED'"),
            reserved -> reserved >= RESERVED_BEFORE_FREEZE,
            Duration.ofSeconds(30));
        Kill kill = killWithTakesInFlight(stores, server, crowd, redis, keys);
        Poll.until(crowd::outstanding, outstanding -> outstanding == 0, Duration.ofSeconds(30));
        // Nobody writes any more: once the dead server's backends are gone, every COMMIT that
        // was on the wire has landed, or never will.
        Poll.until(
            () ->
                count(
                    stores,
                    null,
                    "SELECT count(*) FROM pg_stat_activity"
                        + " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"),
            others -> others == 0,
            Duration.ofSeconds(30));
        int soldAtKill = sold(stores, keys.saleId());
        log(
            "at the kill: %d purchases sent, answers %s; Redis stock %d, %d takes in flight; after SIGCONT "
                + "quantity_sold %d (%d of the in-flight orders committed), so %d unit(s) taken in Redis with no order",
            kill.sent(),
            kill.answers(),
            kill.stock(),
            kill.inFlight().size(),
            soldAtKill,
            ordersAmong(stores, kill.inFlight()),
            UNITS - kill.stock() - soldAtKill);
        // Not vacuous: takes were in flight, unconfirmed, when the server died. Whether their
        // batch's COMMIT landed (PostgreSQL was frozen while it had it) or not, both are outcomes
        // the settlement must get right: kept sold, or returned.
        assertThat(kill.inFlight())
            .as("takes in flight at the kill")
            .hasSizeGreaterThanOrEqualTo(IN_FLIGHT_AT_KILL);
        assertThat(kill.stock() + soldAtKill)
            .as("no unit lost or invented at the kill")
            .isLessThanOrEqualTo(UNITS);

        // The new server starts at once: its reconciliation rounds compare the stores while the
        // takes wait to be stale, and a take whose order committed must count once (as sold), not
        // also as in flight: the drift repair must find nothing to do (asserted at the end).
        server.start();
        Poll.until(
            () -> inFlight(redis, keys).size(), entries -> entries == 0, Duration.ofSeconds(45));
        // Read before a drift repair (two rounds later at the earliest) could hide a wrong
        // settlement.
        int stockSettled = stock(redis, keys);
        int soldSettled = sold(stores, keys.saleId());
        log(
            "restarted, in flight settled: Redis stock %d (%d unit(s) returned) + quantity_sold %d",
            stockSettled, stockSettled - kill.stock(), soldSettled);
        assertThat(stockSettled + soldSettled)
            .as("every unit is in Redis stock or sold once the takes are settled")
            .isEqualTo(UNITS);
        assertPerBuyerCountsAgree(stores, redis, keys);

        int before = crowd.sent();
        sellOut(crowd, stores, redis, keys);
        log("sold out with %d more buyers; answers %s", crowd.sent() - before, crowd.answers());
        assertSoldOut(stores, redis, keys, crowd);
        assertThat(server.repairs())
            .as("no unit was put right by the drift repair: the settlement did it")
            .isZero();
      } finally {
        crowd.stop();
        server.kill();
      }
    } finally {
      Await.result(vertx.close());
    }
  }

  /**
   * Freezes PostgreSQL while the crowd keeps buying, so purchases take units in Redis and hang on
   * the database; once enough takes are in flight, SIGKILL to the server, then SIGCONT.
   */
  private static Kill killWithTakesInFlight(
      OwnStores stores, Server server, Crowd crowd, Redis redis, SaleKeys keys)
      throws IOException, InterruptedException {
    List<ProcessHandle> frozen = freeze(stores);
    log("PostgreSQL frozen (%d processes) after %d purchases sent", frozen.size(), crowd.sent());
    try {
      crowd.surge();
      Poll.until(
          () -> inFlight(redis, keys).size(),
          entries -> entries >= IN_FLIGHT_AT_KILL,
          Duration.ofSeconds(20));
      crowd.stop();
      server.kill();
      return new Kill(
          Instant.now(), crowd.sent(), crowd.answers(), stock(redis, keys), inFlight(redis, keys));
    } finally {
      Signals.send("CONT", frozen);
    }
  }

  /**
   * SIGSTOP to the postmaster and its backends, then again to whatever it forked between the
   * listing and the signal: it is stopped then, so a second listing is complete.
   */
  private static List<ProcessHandle> freeze(OwnStores stores)
      throws IOException, InterruptedException {
    Signals.send("STOP", stores.postgresProcesses());
    List<ProcessHandle> frozen = stores.postgresProcesses();
    Signals.send("STOP", frozen);
    return frozen;
  }

  /** Fresh buyers, as many as units Redis still has, until both stores say sold out. */
  private static void sellOut(Crowd crowd, OwnStores stores, Redis redis, SaleKeys keys) {
    Poll.until(
        () -> {
          int left = stock(redis, keys);
          if (left > 0) {
            Await.result(
                Future.join(crowd.buy(keys.saleId(), left)).otherwiseEmpty(),
                Duration.ofSeconds(30));
          }
          return left == 0 && sold(stores, keys.saleId()) == UNITS;
        },
        soldOut -> soldOut,
        Duration.ofSeconds(30));
  }

  private static void assertSoldOut(OwnStores stores, Redis redis, SaleKeys keys, Crowd crowd)
      throws Exception {
    try (Connection db = stores.database()) {
      SaleFigures figures = Invariants.assertNoOversell(db, keys.saleId());
      assertThat(figures.quantitySold()).as("quantity_sold").isEqualTo(UNITS);
      assertThat(
              Invariants.count(
                  db,
                  "SELECT count(*) FROM sale_orders WHERE sale_id = ?"
                      + " AND status IN ('RESERVED', 'PAID')",
                  UUID.fromString(keys.saleId())))
          .as("one RESERVED or PAID order per unit")
          .isEqualTo(UNITS);
      List<String> missing =
          crowd.created().stream()
              .filter(
                  orderId -> {
                    try {
                      return Invariants.count(
                              db,
                              "SELECT count(*) FROM sale_orders WHERE order_id = ?"
                                  + " AND status IN ('RESERVED', 'PAID')",
                              UUID.fromString(orderId))
                          != 1;
                    } catch (SQLException e) {
                      throw new AssertionError(e);
                    }
                  })
              .toList();
      assertThat(missing).as("buyers told 201 without a held order in PostgreSQL").isEmpty();
    }
    assertThat(stock(redis, keys)).as("Redis stock").isZero();
    assertThat(inFlight(redis, keys)).as("takes in flight").isEmpty();
    assertPerBuyerCountsAgree(stores, redis, keys);
  }

  /** Each buyer's units as the orders, the eligibility rows and Redis' buyers hash count them. */
  private static void assertPerBuyerCountsAgree(OwnStores stores, Redis redis, SaleKeys keys)
      throws SQLException {
    Map<String, Integer> orders;
    Map<String, Integer> eligibility;
    try (Connection db = stores.database()) {
      orders =
          perBuyer(
              db,
              "SELECT user_id, sum(quantity) FROM sale_orders WHERE sale_id = ?"
                  + " AND status IN ('RESERVED', 'PAID') GROUP BY user_id",
              keys.saleId());
      eligibility =
          perBuyer(
              db,
              "SELECT user_id, quantity_purchased FROM user_sale_eligibility WHERE sale_id = ?"
                  + " AND quantity_purchased > 0",
              keys.saleId());
    }
    Response hash = Await.result(redis.send(Request.cmd(Command.HGETALL).arg(keys.buyers())));
    Map<String, Integer> inRedis = new TreeMap<>();
    hash.getKeys().forEach(user -> inRedis.put(user, hash.get(user).toInteger()));
    assertThat(orders.values()).as("units per buyer").allMatch(units -> units <= PER_USER_LIMIT);
    assertThat(eligibility).as("user_sale_eligibility against the orders").isEqualTo(orders);
    assertThat(inRedis).as("Redis' per-buyer hash against the orders").isEqualTo(orders);
  }

  private static Map<String, Integer> perBuyer(Connection db, String sql, String saleId)
      throws SQLException {
    Map<String, Integer> units = new TreeMap<>();
    try (PreparedStatement query = db.prepareStatement(sql)) {
      query.setObject(1, UUID.fromString(saleId));
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          units.put(rows.getString(1), rows.getInt(2));
        }
      }
    }
    return units;
  }

  private static int sold(OwnStores stores, String saleId) {
    return count(stores, saleId, "SELECT quantity_sold FROM flash_sales WHERE sale_id = ?");
  }

  /** A single number from PostgreSQL; {@code saleId} is the query's parameter, if it has one. */
  private static int count(OwnStores stores, String saleId, String sql) {
    try (Connection db = stores.database()) {
      return saleId == null
          ? Invariants.count(db, sql)
          : Invariants.count(db, sql, UUID.fromString(saleId));
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** How many of {@code orderIds} are orders in PostgreSQL. */
  private static int ordersAmong(OwnStores stores, List<String> orderIds) throws SQLException {
    try (Connection db = stores.database()) {
      return Invariants.count(
          db,
          "SELECT count(*) FROM sale_orders WHERE order_id::text = ANY(?)",
          db.createArrayOf("text", orderIds.toArray()));
    }
  }

  /** The order ids of the takes in flight. */
  private static List<String> inFlight(Redis redis, SaleKeys keys) {
    List<String> orderIds = new ArrayList<>();
    Await.result(redis.send(Request.cmd(Command.HKEYS).arg(keys.inflight())))
        .forEach(id -> orderIds.add(id.toString()));
    return orderIds;
  }

  private static int stock(Redis redis, SaleKeys keys) {
    Response stock = Await.result(redis.send(Request.cmd(Command.GET).arg(keys.stock())));
    assertThat(stock).as("Redis stock of the sale").isNotNull();
    return stock.toInteger();
  }

  private static void log(String format, Object... args) {
    System.out.println(Instant.now() + " reservation crash: " + String.format(format, args));
  }

  /**
   * The engine as a child process on the test's stores, started again on the same port after a
   * kill.
   */
  private static final class Server {
    private final Crowd crowd;
    private final Map<String, String> env = new HashMap<>(FAST_RECOVERY);
    private Process process;
    private int starts;

    Server(Crowd crowd, OwnStores stores) {
      this.crowd = crowd;
      env.put("FLASHSALE_CONFIG", "/nonexistent");
      env.put("FLASHSALE_HTTP_PORT", Integer.toString(crowd.port));
      env.put("FLASHSALE_REDIS_URL", stores.redisUrl());
      env.put("FLASHSALE_PG_URL", stores.pgUrl());
      env.put("FLASHSALE_JWT_SECRET", TestServer.JWT_SECRET);
    }

    void start() throws IOException {
      String log = "reservation-crash-server-" + ++starts;
      // C1 only: a server living a few seconds on two shared cores starts and warms up faster.
      Process started = ServerProcess.start(env, log, "-Xmx384m", "-XX:+UseSerialGC");
      process = started;
      // A server that dies starting up says so at once, not after the readiness bound.
      int status =
          Poll.until(
              () -> started.isAlive() ? readiness() : -2,
              answer -> answer == 200 || answer == -2,
              Duration.ofSeconds(90));
      assertThat(status)
          .as("the server is ready (exited if -2; see target/%s.log)", log)
          .isEqualTo(200);
    }

    private int readiness() {
      return Await.result(
          crowd
              .client
              .get(crowd.port, "127.0.0.1", "/health/ready")
              .send()
              .map(HttpResponse::statusCode)
              .otherwise(-1));
    }

    void kill() throws InterruptedException {
      if (process != null) {
        process.destroyForcibly().waitFor();
      }
    }

    /**
     * Drift repairs this process made ({@code flashsale.reconciliation.repairs}, 0 before the
     * first).
     */
    double repairs() {
      String metrics =
          Await.result(crowd.client.get(crowd.port, "127.0.0.1", "/metrics").send()).bodyAsString();
      return metrics
          .lines()
          .filter(line -> line.startsWith("flashsale_reconciliation_repairs_total"))
          .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
          .sum();
    }
  }

  /**
   * Distinct buyers, each buying one unit once, with connections of their own (a wait for a pooled
   * connection must not pass for a request the server holds). While firing, a buyer answered is
   * replaced by the next one.
   */
  private static final class Crowd {
    private final int port;
    private final WebClient client;
    private final BearerAuth tokens;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final Map<String, Integer> answers = new ConcurrentHashMap<>();
    private final List<String> created = new CopyOnWriteArrayList<>();
    private volatile boolean firing;
    private volatile int allowed;
    private String saleId;

    Crowd(Vertx vertx, int port) {
      this.port = port;
      this.tokens = new BearerAuth(vertx, TestServer.JWT_SECRET);
      this.client =
          WebClient.create(
              vertx,
              new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
              new PoolOptions().setHttp1MaxSize(4 * CONCURRENT).setMaxWaitQueueSize(-1));
    }

    String createSale() {
      JsonObject sale =
          new JsonObject()
              .put("productId", "CRASH")
              .put("productName", "Reservation crash")
              .put("quantity", UNITS)
              .put("perUserLimit", PER_USER_LIMIT)
              .put("priceCents", 100)
              .put("currency", "EUR")
              .put("startTime", Instant.now().minusSeconds(1).toString())
              .put("endTime", Instant.now().plusSeconds(3_600).toString())
              .put("waitingRoom", false);
      HttpResponse<Buffer> created =
          Await.result(
              client
                  .post("/api/admin/sales")
                  .bearerTokenAuthentication(tokens.issue("crash-admin", true, 3_600))
                  .sendJsonObject(sale));
      assertThat(created.statusCode())
          .as("sale created: %s", created.bodyAsString())
          .isEqualTo(201);
      return created.bodyAsJsonObject().getString("saleId");
    }

    /** Keeps {@link #CONCURRENT} purchases outstanding until {@link #stop}. */
    void start(String saleId) {
      this.saleId = saleId;
      firing = true;
      allowed = CONCURRENT;
      refill();
    }

    /**
     * As many purchases again on top of those outstanding (which hang while PostgreSQL is frozen).
     */
    void surge() {
      allowed += CONCURRENT;
      refill();
    }

    void stop() {
      firing = false;
    }

    private synchronized void refill() {
      while (firing && outstanding.get() < allowed) {
        outstanding.incrementAndGet();
        purchase(saleId, next.getAndIncrement())
            .onComplete(
                done -> {
                  outstanding.decrementAndGet();
                  refill();
                });
      }
    }

    /** {@code count} new buyers at once. */
    List<Future<HttpResponse<Buffer>>> buy(String saleId, int count) {
      List<Future<HttpResponse<Buffer>>> replies = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        replies.add(purchase(saleId, next.getAndIncrement()));
      }
      return replies;
    }

    private Future<HttpResponse<Buffer>> purchase(String saleId, int buyer) {
      return client
          .post("/api/sales/" + saleId + "/purchase")
          .timeout(20_000)
          .bearerTokenAuthentication(tokens.issue("crash-buyer-" + buyer, false, 3_600))
          .sendJsonObject(new JsonObject().put("quantity", 1))
          .onComplete(
              done -> {
                if (done.failed()) {
                  answers.merge("no answer", 1, Integer::sum);
                  return;
                }
                HttpResponse<Buffer> response = done.result();
                if (response.statusCode() == 201) {
                  created.add(response.bodyAsJsonObject().getString("orderId"));
                  answers.merge("201", 1, Integer::sum);
                } else {
                  answers.merge(response.statusCode() + " " + codeOf(response), 1, Integer::sum);
                }
              });
    }

    private static String codeOf(HttpResponse<Buffer> response) {
      try {
        return response.bodyAsJsonObject().getString("code");
      } catch (RuntimeException notJson) {
        return "(not problem+json)";
      }
    }

    int sent() {
      return next.get();
    }

    int outstanding() {
      return outstanding.get();
    }

    Map<String, Integer> answers() {
      return new TreeMap<>(answers);
    }

    List<String> created() {
      return created;
    }
  }
}

package io.flashsale.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.http.BearerAuth;
import io.flashsale.support.Await;
import io.flashsale.support.Invariants;
import io.flashsale.support.LineUsers;
import io.flashsale.support.ServerProcess;
import io.flashsale.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A randomised fault run: a queued sale with checkout meets buyers on one or more server nodes
 * while a seeded schedule kills and restarts nodes, freezes PostgreSQL or Redis (SIGSTOP, then
 * SIGCONT), restarts Redis empty and drops the card API. Afterwards a checker reads what the buyers
 * were told and what the stores hold, and proves: every acknowledged reservation and payment
 * persisted, exactly the stock sold and paid, nothing captured twice (the card API's own ledger),
 * every buyer answered, and no 5xx but 503.
 *
 * <p>The suite runs a short variant. The long one is a command (see docs/testing.md, "Randomised
 * fault run"): {@code mvn -B verify -Dtest=RandomFaultRunTest -Dfaults.seconds=300 -Dfaults.nodes=3
 * -Dfaults.seed=N}.
 */
class RandomFaultRunTest {

  private static final long SEED = Long.getLong("faults.seed", 20261201L);
  private static final int SECONDS = Integer.getInteger("faults.seconds", 35);
  private static final int NODES = Integer.getInteger("faults.nodes", 1);
  private static final int UNITS = Integer.getInteger("faults.units", 60);
  private static final int BUYERS = Integer.getInteger("faults.buyers", 240);

  /**
   * Longer than any answer may take (store deadlines, gateway attempts): no answer by then is a
   * hang.
   */
  private static final long CLIENT_TIMEOUT_MS = 15_000;

  private static final Set<String> FINAL =
      Set.of("PAID", "CANCELLED", "EXPIRED", "DECLINED", "REFUSED", "ENDED", "LEFT", "DROPPED");

  @Test
  void aSaleUnderRandomFaultsKeepsEveryPromise() throws Exception {
    FaultSchedule schedule = FaultSchedule.random(SEED, Duration.ofSeconds(SECONDS), NODES);
    System.out.println(schedule);
    Vertx vertx = Vertx.vertx();
    try (OwnStores stores = OwnStores.start("fault-run")) {
      CardApi cardApi = new CardApi(vertx, ServerProcess.freePort());
      Await.result(cardApi.up());
      Nodes nodes = new Nodes(NODES, stores, cardApi.url());
      History history = new History();
      try {
        nodes.startAll();
        Buyers buyers = new Buyers(vertx, nodes.ports(), history);
        String saleId = buyers.createSale();
        buyers.start(saleId);
        Instant began = Instant.now();
        for (FaultSchedule.Fault fault : schedule.faults()) {
          sleepUntil(began.plus(fault.at()));
          log("%s", fault);
          apply(fault, stores, nodes, cardApi);
        }
        sleepUntil(began.plusSeconds(SECONDS));
        log("schedule done; settling");
        // Everything healed: the buyers go on until every unit is paid for, then stop.
        boolean settled = settle(stores.jdbcUrl(), saleId);
        buyers.stop();
        Verdict verdict = check(stores, saleId, history, cardApi, buyers, settled);
        System.out.println(schedule + "" + verdict);
        assertThat(verdict.violations()).as("%s", verdict).isEmpty();
      } finally {
        nodes.stopAll();
        Await.result(cardApi.down());
      }
    } finally {
      Await.result(vertx.close());
    }
  }

  private static void apply(
      FaultSchedule.Fault fault, OwnStores stores, Nodes nodes, CardApi cardApi) throws Exception {
    long lasts = fault.lasts().toMillis();
    switch (fault.kind()) {
      case KILL_NODE -> {
        nodes.kill(fault.node());
        Thread.sleep(lasts);
        nodes.start(fault.node());
      }
      case FREEZE_POSTGRES -> {
        List<ProcessHandle> frozen = stores.postgresProcesses();
        Signals.send("STOP", frozen);
        Thread.sleep(lasts);
        Signals.send("CONT", frozen);
      }
      case FREEZE_REDIS -> {
        Signals.send("STOP", List.of(stores.redis().toHandle()));
        Thread.sleep(lasts);
        Signals.send("CONT", List.of(stores.redis().toHandle()));
      }
      case RESTART_REDIS_EMPTY -> {
        stores.killRedis();
        Thread.sleep(lasts);
        stores.startRedis();
      }
      case DROP_GATEWAY -> {
        Await.result(cardApi.down());
        Thread.sleep(lasts);
        Await.result(cardApi.up());
      }
    }
  }

  record Verdict(Map<String, Integer> answers, List<String> violations, String figures) {
    @Override
    public String toString() {
      return "answers: "
          + answers
          + "\n"
          + figures
          + "\nverdict: "
          + (violations.isEmpty() ? "OK" : "BROKEN\n  " + String.join("\n  ", violations))
          + "\n";
    }
  }

  private static Verdict check(
      OwnStores stores,
      String saleId,
      History history,
      CardApi cardApi,
      Buyers buyers,
      boolean settled)
      throws Exception {
    List<String> violations = new ArrayList<>();
    if (!settled) {
      violations.add("the sale did not sell out and settle within 120 s of the schedule's end");
    }
    UUID sale = UUID.fromString(saleId);
    String figures;
    try (Connection db = DriverManager.getConnection(stores.jdbcUrl(), "postgres", "")) {
      Invariants.SaleFigures sold = Invariants.figures(db, saleId);
      int paid =
          Invariants.count(
              db, "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'PAID'", sale);
      figures =
          "stock "
              + sold.quantityAvailable()
              + ", sold "
              + sold.quantitySold()
              + ", held or paid "
              + sold.heldOrPaid()
              + ", paid "
              + paid
              + ", captures "
              + cardApi.ledger().values().stream().mapToInt(CardApi.Entry::captures).sum();
      if (sold.quantitySold() != UNITS || paid != UNITS) {
        violations.add("exactly the stock sold and paid: " + figures);
      }
      if (sold.heldOrPaid() != sold.quantitySold()
          || sold.quantitySold() > sold.quantityAvailable()) {
        violations.add("I1: " + sold);
      }
      if (sold.maxPerUser() > sold.perUserLimit()) {
        violations.add("I2: " + sold);
      }
      for (String orderId : history.acknowledgedReservations()) {
        if (Invariants.count(
                db, "SELECT count(*) FROM sale_orders WHERE order_id = ?", UUID.fromString(orderId))
            != 1) {
          violations.add("acknowledged reservation " + orderId + " is not in the database");
        }
      }
      for (String orderId : history.acknowledgedPayments()) {
        UUID order = UUID.fromString(orderId);
        if (Invariants.count(
                    db,
                    "SELECT count(*) FROM sale_orders WHERE order_id = ? AND status = 'PAID'",
                    order)
                != 1
            || Invariants.count(db, "SELECT count(*) FROM payments WHERE order_id = ?", order)
                != 1) {
          violations.add(
              "acknowledged payment " + orderId + " is not one PAID order with one payment");
        }
      }
    }
    List<CardApi.Entry> captured =
        cardApi.ledger().values().stream().filter(entry -> entry.captures() > 0).toList();
    captured.stream()
        .filter(entry -> entry.captures() > 1)
        .forEach(entry -> violations.add("captured " + entry.captures() + " times: " + entry.id()));
    if (captured.size() != UNITS) {
      violations.add(
          "money taken for " + captured.size() + " authorisations, " + UNITS + " units paid");
    }
    // I4 once the engine has caught up: a Redis restarted empty near the end is rebuilt by the
    // recovery check, and the report may be asked of any node.
    JsonObject report = null;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      report = buyers.report(saleId);
      if (report != null && report.getJsonObject("invariants").getBoolean("I4", false)) {
        break;
      }
      Thread.sleep(500);
    }
    if (report == null || !report.getJsonObject("invariants").getBoolean("I4", false)) {
      violations.add("I4: Redis and the database disagree 60 s after the run: " + report);
    }
    violations.addAll(history.unanswered());
    violations.addAll(history.serverErrors());
    Set<Integer> silent = buyers.silentBuyers();
    if (!silent.isEmpty()) {
      violations.add(
          silent.size() + " buyers never got an answer, e.g. buyer-" + silent.iterator().next());
    }
    return new Verdict(history.answerCounts(), violations, figures + "\n" + history.latency());
  }

  private static boolean settle(String jdbcUrl, String saleId) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (paid(jdbcUrl, saleId) >= UNITS) {
        return true;
      }
      Thread.sleep(250);
    }
    return false;
  }

  private static int paid(String jdbcUrl, String saleId) {
    try (Connection db = DriverManager.getConnection(jdbcUrl, "postgres", "")) {
      return Invariants.count(
          db,
          "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'PAID'",
          UUID.fromString(saleId));
    } catch (Exception unavailable) {
      return -1;
    }
  }

  private static void sleepUntil(Instant when) throws InterruptedException {
    long wait = Duration.between(Instant.now(), when).toMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
  }

  private static void log(String format, Object... args) {
    System.out.println(Instant.now() + " fault run: " + String.format(format, args));
  }

  /** The server nodes, as processes: clustered over Hazelcast when there are several. */
  static final class Nodes {
    private final Map<Integer, Map<String, String>> envs = new HashMap<>();
    private final Map<Integer, Process> running = new ConcurrentHashMap<>();
    private final List<Integer> ports = new ArrayList<>();

    Nodes(int count, OwnStores stores, String cardApiUrl) {
      List<Integer> hazelcast = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ports.add(ServerProcess.freePort());
        hazelcast.add(ServerProcess.freePort());
      }
      String members =
          hazelcast.stream().map(port -> "127.0.0.1:" + port).collect(Collectors.joining(","));
      for (int i = 0; i < count; i++) {
        Map<String, String> env = new HashMap<>();
        env.put("FLASHSALE_CONFIG", "/nonexistent");
        env.put("FLASHSALE_HTTP_PORT", Integer.toString(ports.get(i)));
        env.put("FLASHSALE_HTTP_INSTANCES", "1");
        env.put("FLASHSALE_REDIS_URL", stores.redisUrl());
        env.put("FLASHSALE_PG_URL", stores.pgUrl());
        env.put("FLASHSALE_PG_POOL_SIZE", "8");
        env.put("FLASHSALE_JWT_SECRET", TestServer.JWT_SECRET);
        env.put("FLASHSALE_PAYMENT_GATEWAY", "http");
        env.put("FLASHSALE_PAYMENT_HTTP_URL", cardApiUrl);
        env.put("FLASHSALE_PAYMENT_HTTP_API_KEY", CardApi.API_KEY);
        env.put("FLASHSALE_PAYMENT_HTTP_ATTEMPT_TIMEOUT_MS", "700");
        env.put("FLASHSALE_PAYMENT_HTTP_MAX_ATTEMPTS", "2");
        env.put("FLASHSALE_PAYMENT_HTTP_BREAKER_RESET_MS", "1000");
        env.put("FLASHSALE_PAYMENT_PREAUTH_LEASE_MS", "2000");
        env.put("FLASHSALE_CHECKOUT_SWEEP_MS", "300");
        env.put("FLASHSALE_ANTIBOT_RATE_USER_PER_SECOND", "0");
        env.put("FLASHSALE_ANTIBOT_RATE_IP_PER_SECOND", "0");
        env.put("FLASHSALE_ANTIBOT_RATE_DEVICE_PER_SECOND", "0");
        env.put("FLASHSALE_AUDIT_RECONCILE_INTERVAL_MS", "300");
        env.put("FLASHSALE_AUDIT_INFLIGHT_STALE_MS", "1500");
        if (LineUsers.shards() > 1) {
          env.put("FLASHSALE_WAITINGROOM_LINE_SHARDS", Integer.toString(LineUsers.shards()));
        }
        env.put("FLASHSALE_AUDIT_REDIS_CHECK_MS", "200");
        if (count > 1) {
          env.put("FLASHSALE_CLUSTER", "true");
          env.put("FLASHSALE_CLUSTER_HOST", "127.0.0.1");
          env.put("FLASHSALE_CLUSTER_PORT", Integer.toString(hazelcast.get(i)));
          env.put("FLASHSALE_CLUSTER_MEMBERS", members);
        }
        envs.put(i, env);
      }
    }

    List<Integer> ports() {
      return ports;
    }

    void startAll() throws IOException {
      for (int i = 0; i < ports.size(); i++) {
        start(i);
      }
      Vertx probe = Vertx.vertx();
      WebClient client = WebClient.create(probe);
      try {
        ports.forEach(port -> ServerProcess.awaitReady(client, port));
      } finally {
        client.close();
        Await.result(probe.close());
      }
    }

    void start(int node) throws IOException {
      running.put(
          node,
          ServerProcess.start(
              envs.get(node), "fault-run-node-" + node, "-Xmx384m", "-XX:+UseSerialGC"));
    }

    void kill(int node) throws InterruptedException {
      running.get(node).destroyForcibly().waitFor();
    }

    void stopAll() throws InterruptedException {
      for (Process process : running.values()) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  /** What the buyers were told: the client side of the history the checker reads. */
  static final class History {
    private final Map<String, Integer> answers = new ConcurrentHashMap<>();
    private final Set<String> reservations = ConcurrentHashMap.newKeySet();
    private final Set<String> payments = ConcurrentHashMap.newKeySet();
    private final List<String> unanswered = new CopyOnWriteArrayList<>();
    private final Map<String, Long> slowest = new ConcurrentHashMap<>();
    private final Map<String, Integer> slow = new ConcurrentHashMap<>();
    private final List<String> serverErrors = new CopyOnWriteArrayList<>();

    void answered(String op, HttpResponse<Buffer> response, long sentNanos) {
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentNanos);
      slowest.merge(op, millis, Math::max);
      if (millis > 3_000) {
        slow.merge(op, 1, Integer::sum);
      }
      String code = response.statusCode() >= 400 ? " " + codeOf(response) : "";
      answers.merge(op + " " + response.statusCode() + code, 1, Integer::sum);
      if (response.statusCode() >= 500 && response.statusCode() != 503) {
        serverErrors.add(
            op + " answered " + response.statusCode() + ": " + response.bodyAsString());
      }
    }

    void failed(String op, Throwable failure) {
      boolean hung =
          failure instanceof TimeoutException
              || String.valueOf(failure.getMessage()).contains("timeout");
      answers.merge(
          op + (hung ? " no answer in time" : " connection refused or cut"), 1, Integer::sum);
      if (hung) {
        unanswered.add(
            op + " got no answer within " + CLIENT_TIMEOUT_MS + " ms: " + failure.getMessage());
      }
    }

    void reserved(String orderId) {
      reservations.add(orderId);
    }

    void paid(String orderId) {
      payments.add(orderId);
    }

    Set<String> acknowledgedReservations() {
      return reservations;
    }

    Set<String> acknowledgedPayments() {
      return payments;
    }

    List<String> unanswered() {
      return unanswered;
    }

    List<String> serverErrors() {
      return serverErrors;
    }

    /** Reported, not asserted: the machine is shared and its clock is no judge of the deadlines. */
    String latency() {
      return "slowest answer per call (ms): "
          + new TreeMap<>(slowest)
          + "; answers slower than 3 s: "
          + new TreeMap<>(slow);
    }

    Map<String, Integer> answerCounts() {
      return new TreeMap<>(answers);
    }

    private static String codeOf(HttpResponse<Buffer> response) {
      try {
        return response.bodyAsJsonObject().getString("code");
      } catch (RuntimeException notJson) {
        return "(not problem+json)";
      }
    }
  }

  /**
   * Buyers as a real client behaves: join, poll the line about once a second, check out a
   * reservation, retry what failed for want of an answer, each request to a random node.
   */
  static final class Buyers {
    private final Vertx vertx;
    private final List<Integer> ports;
    private final History history;
    private final WebClient client;
    private final BearerAuth tokens;
    private final Random random = new Random(SEED);
    private final Set<Integer> heardFrom = ConcurrentHashMap.newKeySet();
    private volatile boolean stopped;

    Buyers(Vertx vertx, List<Integer> ports, History history) {
      this.vertx = vertx;
      this.ports = ports;
      this.history = history;
      this.tokens = new BearerAuth(vertx, TestServer.JWT_SECRET);
      this.client =
          WebClient.create(
              vertx,
              new WebClientOptions().setDefaultHost("127.0.0.1").setConnectTimeout(2_000),
              new PoolOptions().setHttp1MaxSize(BUYERS + 16).setMaxWaitQueueSize(-1));
      // As many connections as buyers, as real buyers each have their own: a wait for a pooled
      // connection must not pass for a server that did not answer.
    }

    private int node() {
      synchronized (random) {
        return ports.get(random.nextInt(ports.size()));
      }
    }

    String createSale() {
      JsonObject sale =
          new JsonObject()
              .put("productId", "FAULT-RUN")
              .put("productName", "Random fault run")
              .put("quantity", UNITS)
              .put("priceCents", 500)
              .put("currency", "EUR")
              .put("startTime", Instant.now().minusSeconds(1).toString())
              .put("endTime", Instant.now().plusSeconds(3_600).toString())
              .put("waitingRoom", true)
              .put("queuePolicy", "FIFO")
              .put("admissionRatePerSecond", Math.max(1, UNITS / 20))
              .put("checkoutTtlSeconds", 8);
      return Await.result(
              client
                  .post(ports.get(0), "127.0.0.1", "/api/admin/sales")
                  .bearerTokenAuthentication(tokens.issue("fault-admin", true, 7_200))
                  .sendJsonObject(sale))
          .bodyAsJsonObject()
          .getString("saleId");
    }

    /** The buyers arrive over the first few seconds. */
    void start(String saleId) {
      for (int buyer = 0; buyer < BUYERS; buyer++) {
        int id = buyer;
        vertx.setTimer(1 + (long) buyer * 4_000 / BUYERS, go -> join(saleId, id));
      }
    }

    void stop() {
      stopped = true;
    }

    /** Buyers who never got any answer at all. */
    Set<Integer> silentBuyers() {
      Set<Integer> silent = new TreeSet<>();
      for (int buyer = 0; buyer < BUYERS; buyer++) {
        if (!heardFrom.contains(buyer)) {
          silent.add(buyer);
        }
      }
      return silent;
    }

    private String token(int buyer) {
      return tokens.issue("buyer-" + buyer, false, 7_200);
    }

    private void later(long millis, Runnable step) {
      if (!stopped) {
        vertx.setTimer(
            millis,
            fire -> {
              if (!stopped) {
                step.run();
              }
            });
      }
    }

    private void join(String saleId, int buyer) {
      long sent = System.nanoTime();
      client
          .post(node(), "127.0.0.1", "/api/sales/" + saleId + "/queue")
          .timeout(CLIENT_TIMEOUT_MS)
          .bearerTokenAuthentication(token(buyer))
          .sendJsonObject(new JsonObject().put("quantity", 1))
          .onComplete(
              done -> {
                if (done.failed()) {
                  history.failed("join", done.cause());
                  later(1_000, () -> join(saleId, buyer));
                  return;
                }
                HttpResponse<Buffer> response = done.result();
                history.answered("join", response, sent);
                heardFrom.add(buyer);
                if (response.statusCode() == 202 || response.statusCode() == 409) {
                  // 409: already in line (a join whose answer was lost), or the sale is over.
                  later(1_000, () -> poll(saleId, buyer));
                } else {
                  later(1_000, () -> join(saleId, buyer));
                }
              });
    }

    private void poll(String saleId, int buyer) {
      long sent = System.nanoTime();
      client
          .get(node(), "127.0.0.1", "/api/sales/" + saleId + "/queue/me")
          .timeout(CLIENT_TIMEOUT_MS)
          .bearerTokenAuthentication(token(buyer))
          .send()
          .onComplete(
              done -> {
                if (done.failed()) {
                  history.failed("status", done.cause());
                  later(1_000, () -> poll(saleId, buyer));
                  return;
                }
                HttpResponse<Buffer> response = done.result();
                history.answered("status", response, sent);
                heardFrom.add(buyer);
                if (response.statusCode() == 409 || response.statusCode() == 404) {
                  // The line was lost (Redis restarted empty) or never had us: join again.
                  later(500, () -> join(saleId, buyer));
                  return;
                }
                if (response.statusCode() != 200) {
                  later(1_000, () -> poll(saleId, buyer));
                  return;
                }
                JsonObject ticket = response.bodyAsJsonObject();
                String state = ticket.getString("state");
                String orderId = ticket.getString("orderId");
                if ("RESERVED".equals(state) && orderId != null) {
                  history.reserved(orderId);
                  checkout(saleId, buyer, orderId);
                } else if (!FINAL.contains(state)) {
                  later(1_000, () -> poll(saleId, buyer));
                }
              });
    }

    private void checkout(String saleId, int buyer, String orderId) {
      long sent = System.nanoTime();
      client
          .post(node(), "127.0.0.1", "/api/orders/" + orderId + "/checkout")
          .timeout(CLIENT_TIMEOUT_MS)
          .bearerTokenAuthentication(token(buyer))
          .send()
          .onComplete(
              done -> {
                if (done.failed()) {
                  history.failed("checkout", done.cause());
                  later(1_000, () -> checkout(saleId, buyer, orderId));
                  return;
                }
                HttpResponse<Buffer> response = done.result();
                history.answered("checkout", response, sent);
                if (response.statusCode() == 200
                    && "PAID".equals(response.bodyAsJsonObject().getString("status"))) {
                  history.paid(orderId);
                } else if (response.statusCode() >= 500) {
                  later(1_000, () -> checkout(saleId, buyer, orderId));
                } else {
                  // Declined, expired or refused: the line says what comes next.
                  later(1_000, () -> poll(saleId, buyer));
                }
              });
    }

    JsonObject report(String saleId) {
      return Await.result(
          client
              .get(node(), "127.0.0.1", "/api/admin/sales/" + saleId + "/report")
              .bearerTokenAuthentication(tokens.issue("fault-admin", true, 3_600))
              .send()
              .map(response -> response.statusCode() == 200 ? response.bodyAsJsonObject() : null)
              .otherwise((JsonObject) null));
    }
  }
}

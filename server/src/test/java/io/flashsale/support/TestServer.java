package io.flashsale.support;

import io.flashsale.FlashSaleApp;
import io.flashsale.RunningEngine;
import io.flashsale.Services;
import io.flashsale.config.AppConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;

/**
 * A whole engine in this JVM on a free port with a database of its own, plus a client and token
 * minting: the one way tests start a server in-process (a test class usually through {@link
 * Engine}; {@link ServerProcess} starts one in a JVM of its own, for tests that kill it).
 */
public final class TestServer {

  public static final String JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-keys";

  private final RunningEngine engine;
  private final String pgUrl;
  private final WebClient client;
  private final int port;

  /**
   * Held as long as the server: Vert.x closes a client, with every socket it opened, once the
   * client object is garbage-collected, so a client dropped after {@code connect} can close a
   * test's live socket at any moment.
   */
  private final WebSocketClient webSockets;

  private TestServer(RunningEngine engine, String pgUrl, WebClient client, int port) {
    this.engine = engine;
    this.pgUrl = pgUrl;
    this.client = client;
    this.port = port;
    this.webSockets = engine.vertx().createWebSocketClient();
  }

  public static Future<TestServer> start(Vertx vertx) {
    return start(vertx, Map.of());
  }

  /**
   * {@code overrides} use the environment-variable names, as in production. A test with stores of
   * its own names them (FLASHSALE_REDIS_URL, FLASHSALE_PG_URL), and its port if it must know it
   * first (FLASHSALE_HTTP_PORT); otherwise the shared Redis, a fresh database, a free port.
   */
  public static Future<TestServer> start(Vertx vertx, Map<String, String> overrides) {
    String pgUrl = overrides.get("FLASHSALE_PG_URL");
    return start(vertx, overrides, pgUrl != null ? pgUrl : TestStores.get().freshDatabase());
  }

  /** A second instance on the same database and Redis, as in a scaled deployment. */
  public static Future<TestServer> startBeside(
      Vertx vertx, TestServer first, Map<String, String> overrides) {
    return start(vertx, overrides, first.pgUrl);
  }

  private static Future<TestServer> start(
      Vertx vertx, Map<String, String> overrides, String pgUrl) {
    Map<String, String> env = new HashMap<>();
    env.put("FLASHSALE_CONFIG", "/nonexistent");
    env.put("FLASHSALE_HTTP_PORT", Integer.toString(ServerProcess.freePort()));
    env.put("FLASHSALE_HTTP_INSTANCES", "2");
    env.put("FLASHSALE_REDIS_URL", TestStores.get().redisUrl());
    env.put("FLASHSALE_JWT_SECRET", JWT_SECRET);
    env.put("FLASHSALE_PAYMENT_SIMULATED_LATENCY_MS", "0");
    // Tests fire thousands of requests from one address; the bot tests turn the limits on.
    env.put("FLASHSALE_ANTIBOT_RATE_USER_PER_SECOND", "0");
    env.put("FLASHSALE_ANTIBOT_RATE_IP_PER_SECOND", "0");
    env.put("FLASHSALE_ANTIBOT_RATE_DEVICE_PER_SECOND", "0");
    // The sharded-line pass of the suite (pom.xml) runs the waiting-room tests again with sales
    // whose line is spread over several shards.
    String shards = System.getProperty("flashsale.test.line-shards");
    if (shards != null) {
      env.put("FLASHSALE_WAITINGROOM_LINE_SHARDS", shards);
    }
    env.putAll(overrides);
    env.put("FLASHSALE_PG_URL", pgUrl);
    int port = Integer.parseInt(env.get("FLASHSALE_HTTP_PORT"));
    WebClient client =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setDefaultHost("127.0.0.1")
                .setDefaultPort(port)
                .setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(200).setMaxWaitQueueSize(-1));
    return FlashSaleApp.start(
            vertx, AppConfig.load(env), FlashSaleApp.newRegistry(), Clock.systemUTC())
        .map(started -> new TestServer(started, pgUrl, client, port));
  }

  /** The running engine: its services and its verticles by name. */
  public RunningEngine engine() {
    return engine;
  }

  /** The engine's services, as the wiring built them. */
  public Services services() {
    return engine.services();
  }

  public WebClient client() {
    return client;
  }

  public int port() {
    return port;
  }

  /** A WebSocket client that lives as long as this server (see {@link #webSockets}). */
  public WebSocketClient webSockets() {
    return webSockets;
  }

  public String token(String userId) {
    return engine.services().api().auth().issue(userId, false, 3_600);
  }

  public String adminToken() {
    return engine.services().api().auth().issue("admin-" + port, true, 3_600);
  }

  public Connection database() throws SQLException {
    return TestStores.jdbc(pgUrl);
  }

  /** A sale open now, created through the admin API; {@code extra} overrides any field. */
  public Future<JsonObject> createSale(int quantity, JsonObject extra) {
    JsonObject body =
        new JsonObject()
            .put("productId", "SKU-" + quantity)
            .put("productName", "Test product")
            .put("quantity", quantity)
            .put("priceCents", 1_999)
            .put("currency", "EUR")
            .put("startTime", Instant.now().minus(1, ChronoUnit.SECONDS).toString())
            .put("endTime", Instant.now().plus(1, ChronoUnit.HOURS).toString())
            .mergeIn(extra);
    return client
        .post("/api/admin/sales")
        .bearerTokenAuthentication(adminToken())
        .sendJsonObject(body)
        .map(
            response -> {
              if (response.statusCode() != 201) {
                throw new IllegalStateException(
                    "sale not created: " + response.statusCode() + " " + response.bodyAsString());
              }
              return response.bodyAsJsonObject();
            });
  }

  public Future<HttpResponse<Buffer>> purchase(String saleId, String userId, int quantity) {
    return client
        .post("/api/sales/" + saleId + "/purchase")
        .bearerTokenAuthentication(token(userId))
        .sendJsonObject(new JsonObject().put("quantity", quantity));
  }

  public Future<HttpResponse<Buffer>> join(String saleId, String userId, int quantity) {
    return client
        .post("/api/sales/" + saleId + "/queue")
        .bearerTokenAuthentication(token(userId))
        .sendJsonObject(new JsonObject().put("quantity", quantity));
  }

  public Future<HttpResponse<Buffer>> queueStatus(String saleId, String userId) {
    return client
        .get("/api/sales/" + saleId + "/queue/me")
        .bearerTokenAuthentication(token(userId))
        .send();
  }

  public Future<JsonObject> report(String saleId) {
    return client
        .get("/api/admin/sales/" + saleId + "/report")
        .bearerTokenAuthentication(adminToken())
        .send()
        .map(HttpResponse::bodyAsJsonObject);
  }

  /** The first sample of {@code name} (unlabelled) on the Prometheus page, 0 if absent. */
  public double metric(String name) {
    return metric(Await.result(client().get("/metrics").send()).bodyAsString(), name);
  }

  /** An unlabelled sample's value on a Prometheus page ({@code /metrics}), 0 when absent. */
  public static double metric(String page, String name) {
    return page.lines()
        .filter(line -> line.startsWith(name + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1)))
        .findFirst()
        .orElse(0);
  }

  public Future<Void> stop() {
    client.close();
    return engine.stop();
  }
}

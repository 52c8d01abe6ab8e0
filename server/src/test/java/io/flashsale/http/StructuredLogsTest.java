package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Poll;
import io.flashsale.support.ServerProcess;
import io.flashsale.support.TestServer;
import io.flashsale.support.TestStores;
import io.flashsale.support.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server as it runs in production (its own process, the packaged logging configuration): every
 * line it writes is one JSON object, and a request's id (the caller's X-Request-Id, or a new one)
 * comes back in the header, in each problem+json and in the request's log lines.
 */
class StructuredLogsTest {

  private static final String LOG = "structured-logs";

  private static Vertx vertx;
  private static WebClient client;
  private static Process server;
  private static int port;

  @BeforeAll
  static void start() throws IOException {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    port = ServerProcess.freePort();
    TestStores stores = TestStores.get();
    server =
        ServerProcess.start(
            Map.of(
                "FLASHSALE_CONFIG",
                "/nonexistent",
                "FLASHSALE_HTTP_PORT",
                Integer.toString(port),
                "FLASHSALE_HTTP_INSTANCES",
                "1",
                "FLASHSALE_REDIS_URL",
                stores.redisUrl(),
                "FLASHSALE_PG_URL",
                stores.freshDatabase(),
                "FLASHSALE_JWT_SECRET",
                TestServer.JWT_SECRET,
                "FLASHSALE_LOG_FORMAT",
                "json",
                "FLASHSALE_HTTP_ACCESS_LOG",
                "true"),
            LOG,
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1");
    ServerProcess.awaitReady(client, port);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    server.destroy();
    server.waitFor(20, TimeUnit.SECONDS);
    server.destroyForcibly();
    client.close();
    Await.result(vertx.close());
  }

  @Test
  void theCallersRequestIdComesBackInTheHeaderTheProblemAndTheLogLines() {
    String token =
        Tokens.hs256(
            TestServer.JWT_SECRET,
            new JsonObject()
                .put("sub", "log-reader")
                .put("exp", System.currentTimeMillis() / 1000 + 600));
    String path = "/api/sales/" + UUID.randomUUID() + "/purchase";
    HttpResponse<Buffer> refused =
        Await.result(
            client
                .post(port, "127.0.0.1", path)
                .putHeader("X-Request-Id", "edge-7f3a.42")
                .bearerTokenAuthentication(token)
                .sendJsonObject(new JsonObject().put("quantity", 1)));
    assertThat(refused.statusCode()).isEqualTo(404);
    assertThat(refused.getHeader("X-Request-Id")).isEqualTo("edge-7f3a.42");
    assertThat(refused.bodyAsJsonObject().getString("requestId")).isEqualTo("edge-7f3a.42");

    // The access log line is written when the answer is sent, on the request's context.
    JsonObject line =
        Poll.until(
            () -> linesOf("edge-7f3a.42").stream().findFirst().orElse(null),
            found -> found != null,
            Duration.ofSeconds(10));
    assertThat(line.getString("message")).contains(path).contains("404");
    assertThat(line.getString("level")).isEqualTo("WARN");
    assertThat(line.getString("time")).isNotBlank();
    assertThat(line.getString("logger_name")).isNotBlank();
  }

  @Test
  void aRequestWithoutAnIdOrWithAnUnsafeOneGetsANewOne() {
    for (String given : new String[] {null, "has spaces and \"quotes\"", "x".repeat(129)}) {
      var request = client.get(port, "127.0.0.1", "/api/me/orders");
      if (given != null) {
        request.putHeader("X-Request-Id", given);
      }
      HttpResponse<Buffer> unauthorised = Await.result(request.send());
      assertThat(unauthorised.statusCode()).isEqualTo(401);
      String id = unauthorised.getHeader("X-Request-Id");
      assertThat(id).as("given %s", given).matches("[0-9a-f]{16}");
      assertThat(unauthorised.bodyAsJsonObject().getString("requestId")).isEqualTo(id);
    }
  }

  @Test
  void everyLineTheServerWritesIsOneJsonObject() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("target", LOG + ".log"));
    assertThat(lines).as("the server has logged its start").isNotEmpty();
    for (String line : lines) {
      try {
        JsonObject parsed = new JsonObject(line);
        assertThat(parsed.getString("level")).as(line).isNotBlank();
        assertThat(parsed.getString("message")).as(line).isNotNull();
      } catch (DecodeException notJson) {
        throw new AssertionError("not a JSON line: " + line, notJson);
      }
    }
    assertThat(lines).anySatisfy(line -> assertThat(line).contains("listening on"));
  }

  private static List<JsonObject> linesOf(String requestId) {
    try {
      return Files.readAllLines(Path.of("target", LOG + ".log")).stream()
          .filter(line -> line.startsWith("{"))
          .map(JsonObject::new)
          .filter(line -> requestId.equals(line.getString("requestId")))
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}

package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.StoreSnapshot;
import io.flashsale.support.TestServer;
import io.flashsale.support.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad request gets a 4xx problem+json with the right code, and leaves the database
 * and Redis exactly as they were.
 */
class BadInputTest {

  private static Vertx vertx;
  private static TestServer server;
  private static String saleId;
  private static String someoneElsesOrderId;
  private String stateBefore;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server = Await.result(TestServer.start(vertx));
    saleId = Await.result(server.createSale(10, new JsonObject())).getString("saleId");
    someoneElsesOrderId =
        Await.result(server.purchase(saleId, "owner", 1)).bodyAsJsonObject().getString("orderId");
  }

  @AfterAll
  static void stop() {
    Await.result(server.stop().eventually(vertx::close));
  }

  @BeforeEach
  void snapshot() throws Exception {
    stateBefore = state();
  }

  @AfterEach
  void nothingChanged() throws Exception {
    assertThat(state()).as("database and Redis unchanged").isEqualTo(stateBefore);
  }

  record Case(
      String name,
      HttpMethod method,
      String path,
      String token,
      String body,
      int status,
      String code) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> badRequests() {
    String buyer = "token:buyer";
    String purchase = "/api/sales/{sale}/purchase";
    String longAgo = Instant.now().minusSeconds(3_600).getEpochSecond() + "";
    String tooLarge = "{\"quantity\":1,\"pad\":\"" + "x".repeat(70 * 1024) + "\"}";
    String goodSale =
        new JsonObject()
            .put("productId", "P")
            .put("productName", "N")
            .put("quantity", 5)
            .put("priceCents", 100)
            .put("currency", "EUR")
            .encode();
    return Stream.of(
            new Case(
                "malformed JSON",
                HttpMethod.POST,
                purchase,
                buyer,
                "{\"quantity\":",
                400,
                "VALIDATION_FAILED"),
            new Case(
                "JSON array body",
                HttpMethod.POST,
                purchase,
                buyer,
                "[1]",
                400,
                "VALIDATION_FAILED"),
            new Case(
                "quantity as string",
                HttpMethod.POST,
                purchase,
                buyer,
                "{\"quantity\":\"1\"}",
                400,
                "VALIDATION_FAILED"),
            new Case(
                "quantity as decimal",
                HttpMethod.POST,
                purchase,
                buyer,
                "{\"quantity\":1.5}",
                400,
                "VALIDATION_FAILED"),
            new Case(
                "quantity as boolean",
                HttpMethod.POST,
                purchase,
                buyer,
                "{\"quantity\":true}",
                400,
                "VALIDATION_FAILED"),
            new Case(
                "zero quantity",
                HttpMethod.POST,
                purchase,
                buyer,
                "{\"quantity\":0}",
                400,
                "VALIDATION_FAILED"),
            new Case(
                "negative quantity",
                HttpMethod.POST,
                purchase,
                buyer,
                "{\"quantity\":-3}",
                400,
                "VALIDATION_FAILED"),
            new Case(
                "huge quantity",
                HttpMethod.POST,
                purchase,
                buyer,
                "{\"quantity\":4294967297}",
                400,
                "VALIDATION_FAILED"),
            new Case(
                "enormous quantity",
                HttpMethod.POST,
                purchase,
                buyer,
                "{\"quantity\":1e400}",
                400,
                "VALIDATION_FAILED"),
            new Case(
                "more than the per-user limit",
                HttpMethod.POST,
                purchase,
                buyer,
                "{\"quantity\":2}",
                409,
                "LIMIT_EXCEEDED"),
            new Case(
                "unknown sale",
                HttpMethod.POST,
                "/api/sales/" + UUID.randomUUID() + "/purchase",
                buyer,
                "{\"quantity\":1}",
                404,
                "NOT_FOUND"),
            new Case(
                "sale id that is no id",
                HttpMethod.POST,
                "/api/sales/%27%20OR%201=1/purchase",
                buyer,
                "{\"quantity\":1}",
                404,
                "NOT_FOUND"),
            new Case(
                "missing token",
                HttpMethod.POST,
                purchase,
                null,
                "{\"quantity\":1}",
                401,
                "UNAUTHORIZED"),
            new Case(
                "garbage token",
                HttpMethod.POST,
                purchase,
                "not.a.jwt",
                "{\"quantity\":1}",
                401,
                "UNAUTHORIZED"),
            new Case(
                "token signed with another key",
                HttpMethod.POST,
                purchase,
                Tokens.hs256(
                    "another-secret-that-is-also-long-enough-to-sign",
                    new JsonObject().put("sub", "mallory")),
                "{\"quantity\":1}",
                401,
                "UNAUTHORIZED"),
            new Case(
                "expired token",
                HttpMethod.POST,
                purchase,
                Tokens.hs256(
                    TestServer.JWT_SECRET,
                    new JsonObject().put("sub", "late").put("exp", Long.parseLong(longAgo))),
                "{\"quantity\":1}",
                401,
                "UNAUTHORIZED"),
            new Case(
                "token without an expiry",
                HttpMethod.POST,
                purchase,
                Tokens.hs256(TestServer.JWT_SECRET, new JsonObject().put("sub", "forever")),
                "{\"quantity\":1}",
                401,
                "UNAUTHORIZED"),
            new Case(
                "admin token without an expiry",
                HttpMethod.POST,
                "/api/admin/sales",
                Tokens.hs256(
                    TestServer.JWT_SECRET,
                    new JsonObject()
                        .put("sub", "forever-admin")
                        .put("roles", new JsonArray().add("admin"))),
                goodSale,
                401,
                "UNAUTHORIZED"),
            new Case(
                "token expired past the leeway",
                HttpMethod.POST,
                purchase,
                Tokens.hs256(
                    TestServer.JWT_SECRET,
                    new JsonObject()
                        .put("sub", "just-late")
                        .put("exp", Instant.now().getEpochSecond() - 60)),
                "{\"quantity\":1}",
                401,
                "UNAUTHORIZED"),
            new Case(
                "unsigned token",
                HttpMethod.POST,
                purchase,
                Tokens.unsigned(
                    new JsonObject()
                        .put("sub", "mallory")
                        .put("roles", new JsonArray().add("admin"))),
                "{\"quantity\":1}",
                401,
                "UNAUTHORIZED"),
            new Case(
                "buyer calling the admin API",
                HttpMethod.POST,
                "/api/admin/sales",
                buyer,
                goodSale,
                403,
                "FORBIDDEN"),
            new Case(
                "another buyer's order",
                HttpMethod.GET,
                "/api/orders/{order}",
                buyer,
                null,
                404,
                "NOT_FOUND"),
            new Case(
                "checking out another buyer's order",
                HttpMethod.POST,
                "/api/orders/{order}/checkout",
                buyer,
                null,
                404,
                "NOT_FOUND"),
            new Case(
                "cancelling another buyer's order",
                HttpMethod.POST,
                "/api/orders/{order}/cancel",
                buyer,
                null,
                404,
                "NOT_FOUND"),
            new Case(
                "body over 64 KiB",
                HttpMethod.POST,
                purchase,
                buyer,
                tooLarge,
                413,
                "PAYLOAD_TOO_LARGE"),
            new Case(
                "sale without product",
                HttpMethod.POST,
                "/api/admin/sales",
                "token:admin",
                new JsonObject(goodSale).put("productId", "").encode(),
                400,
                "VALIDATION_FAILED"),
            new Case(
                "sale of zero units",
                HttpMethod.POST,
                "/api/admin/sales",
                "token:admin",
                new JsonObject(goodSale).put("quantity", 0).encode(),
                400,
                "VALIDATION_FAILED"),
            new Case(
                "sale in no currency",
                HttpMethod.POST,
                "/api/admin/sales",
                "token:admin",
                new JsonObject(goodSale).put("currency", "euro").encode(),
                400,
                "VALIDATION_FAILED"),
            new Case(
                "sale ending before it starts",
                HttpMethod.POST,
                "/api/admin/sales",
                "token:admin",
                new JsonObject(goodSale)
                    .put("startTime", "2030-01-02T00:00:00Z")
                    .put("endTime", "2030-01-01T00:00:00Z")
                    .encode(),
                400,
                "VALIDATION_FAILED"),
            new Case(
                "sale with a nonsense date",
                HttpMethod.POST,
                "/api/admin/sales",
                "token:admin",
                new JsonObject(goodSale).put("startTime", "tomorrow").encode(),
                400,
                "VALIDATION_FAILED"),
            new Case(
                "unknown path", HttpMethod.GET, "/api/nothing-here", buyer, null, 404, "NOT_FOUND"),
            new Case(
                "wrong method",
                HttpMethod.DELETE,
                "/api/sales/{sale}",
                buyer,
                null,
                405,
                "METHOD_NOT_ALLOWED"))
        .map(Arguments::of);
  }

  /**
   * The other side of the leeway: clocks differ a little, and a token a second late still reads.
   */
  @Test
  void aTokenJustPastItsExpiryIsTakenWithinTheLeeway() {
    String late =
        Tokens.hs256(
            TestServer.JWT_SECRET,
            new JsonObject()
                .put("sub", "a-second-late")
                .put("exp", Instant.now().getEpochSecond() - 1));

    HttpResponse<Buffer> response =
        Await.result(
            server.client().get("/api/sales/" + saleId).bearerTokenAuthentication(late).send());

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void refusesWithProblemJsonAndChangesNothing(Case bad) {
    String path = bad.path().replace("{sale}", saleId).replace("{order}", someoneElsesOrderId);
    HttpRequest<Buffer> request = server.client().request(bad.method(), path);
    if (bad.token() != null) {
      request.bearerTokenAuthentication(
          switch (bad.token()) {
            case "token:buyer" -> server.token("buyer");
            case "token:admin" -> server.adminToken();
            default -> bad.token();
          });
    }
    HttpResponse<Buffer> response =
        Await.result(
            bad.body() == null
                ? request.send()
                : request
                    .putHeader("Content-Type", "application/json")
                    .sendBuffer(Buffer.buffer(bad.body())));

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(bad.status());
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getString("code")).isEqualTo(bad.code());
    assertThat(problem.getInteger("status")).isEqualTo(bad.status());
    assertThat(problem.getString("detail")).isNotBlank();
  }

  private static String state() throws Exception {
    return StoreSnapshot.of(server, List.of(saleId));
  }
}

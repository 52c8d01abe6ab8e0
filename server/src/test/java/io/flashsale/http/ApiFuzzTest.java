package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.RawHttp;
import io.flashsale.support.StoreSnapshot;
import io.flashsale.support.TestServer;
import io.flashsale.support.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Thousands of malformed and adversarial requests from a seeded generator (so a failure replays
 * exactly): wrong types, huge numbers, unicode, missing fields, duplicated keys, oversized bodies,
 * random paths, methods and tokens. None may get a 5xx, every 4xx is problem+json, and PostgreSQL
 * and Redis end exactly as they began.
 */
class ApiFuzzTest {

  private static final long SEED = 20261123L;
  private static final int REQUESTS = 4_000;

  private static Vertx vertx;
  private static TestServer server;
  private static String saleId;
  private static String queuedSaleId;
  private static String orderId;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server = Await.result(TestServer.start(vertx));
    saleId = Await.result(server.createSale(5, new JsonObject())).getString("saleId");
    queuedSaleId =
        Await.result(
                server.createSale(
                    5,
                    new JsonObject()
                        .put("waitingRoom", true)
                        .put("startTime", Instant.now().plusSeconds(3_600).toString())
                        .put("endTime", Instant.now().plusSeconds(7_200).toString())))
            .getString("saleId");
    orderId =
        Await.result(server.purchase(saleId, "owner", 1)).bodyAsJsonObject().getString("orderId");
  }

  @AfterAll
  static void stop() {
    Await.result(server.stop().eventually(vertx::close));
  }

  @Test
  void noMalformedRequestGetsA5xxOrChangesAnything() throws Exception {
    String before = state();
    Random random = new Random(SEED);
    List<Future<HttpResponse<Buffer>>> replies = new ArrayList<>(REQUESTS);
    List<String> described = new ArrayList<>(REQUESTS);
    for (int i = 0; i < REQUESTS; i++) {
      HttpMethod method =
          pick(
              random,
              List.of(
                  HttpMethod.GET,
                  HttpMethod.POST,
                  HttpMethod.PUT,
                  HttpMethod.DELETE,
                  HttpMethod.PATCH,
                  HttpMethod.POST,
                  HttpMethod.POST));
      String path = path(random);
      String body = body(random);
      String token = token(random);
      HttpRequest<Buffer> request = server.client().request(method, path);
      if (token != null) {
        request.putHeader("Authorization", token);
      }
      if (random.nextInt(4) == 0) {
        request.putHeader("X-Device-Fingerprint", headerText(random, 1 + random.nextInt(300)));
      }
      described.add(
          method
              + " "
              + path
              + " body="
              + (body == null ? "-" : body.substring(0, Math.min(body.length(), 120))));
      String type =
          pick(
              random,
              List.of(
                  "application/json",
                  "application/json",
                  "application/json",
                  "application/json; charset=utf-8",
                  "text/plain",
                  "application/x-www-form-urlencoded",
                  "multipart/form-data; boundary=b"));
      described.set(described.size() - 1, described.get(described.size() - 1) + " as " + type);
      replies.add(
          body == null
              ? request.send()
              : request.putHeader("Content-Type", type).sendBuffer(Buffer.buffer(body)));
    }
    Await.result(Future.join(replies), Duration.ofMinutes(3));

    Map<Integer, Integer> statuses = new TreeMap<>();
    for (int i = 0; i < REQUESTS; i++) {
      assertThat(replies.get(i).succeeded()).as("answered: %s", described.get(i)).isTrue();
      HttpResponse<Buffer> response = replies.get(i).result();
      statuses.merge(response.statusCode(), 1, Integer::sum);
      assertThat(response.statusCode())
          .as("no 5xx for %s: %s", described.get(i), response.bodyAsString())
          .isLessThan(500);
      if (response.statusCode() >= 400) {
        assertThat(response.getHeader("Content-Type"))
            .as(described.get(i))
            .isEqualTo("application/problem+json");
        assertThat(response.bodyAsJsonObject().getString("code")).as(described.get(i)).isNotBlank();
      }
    }
    assertThat(statuses.keySet())
        .as("the generator reaches many answers: %s", statuses)
        .hasSizeGreaterThan(4);
    assertThat(state()).as("PostgreSQL and Redis unchanged").isEqualTo(before);
  }

  /**
   * Requests below what an HTTP client lets you send, each with the answer it must get: the status,
   * problem+json with a code, and not a byte changed in either store. Netty refuses some before any
   * route runs (framing, sizes), the gate in front of the router others (Host, escapes, Expect),
   * the routes the rest (content types, handshakes, nulls, token subjects).
   */
  @Test
  void rawRequestsGetAProblemAndChangeNothing() throws Exception {
    String before = state();
    String buyer = "Authorization: Bearer " + server.token("raw-buyer") + "\r\n";
    String admin = "Authorization: Bearer " + server.adminToken() + "\r\n";
    String purchase = "/api/sales/" + saleId + "/purchase";
    String join = "/api/sales/" + queuedSaleId + "/queue";
    String live = "/api/sales/" + queuedSaleId + "/live?access_token=" + server.token("raw-buyer");
    String multipart =
        "--XyZ\r\nContent-Disposition: form-data; name=\"quantity\"\r\n\r\n5000\r\n--XyZ--\r\n";
    String handshake =
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    Map<String, Object[]> cases = new LinkedHashMap<>();
    cases.put(
        "purchase as multipart",
        new Object[] {415, post(purchase, buyer, "multipart/form-data; boundary=XyZ", multipart)});
    cases.put(
        "purchase as a form",
        new Object[] {
          415, post(purchase, buyer, "application/x-www-form-urlencoded", "quantity=5000")
        });
    cases.put(
        "join as text/plain JSON",
        new Object[] {415, post(join, buyer, "text/plain", "{\"quantity\":2}")});
    cases.put(
        "join with a body and no Content-Type",
        new Object[] {
          415,
          "POST "
              + join
              + " HTTP/1.1\r\nHost: t\r\n"
              + buyer
              + "Content-Length: 14\r\n\r\n{\"quantity\":2}"
        });
    cases.put(
        "new sale as a form",
        new Object[] {
          415,
          post(
              "/api/admin/sales",
              admin,
              "application/x-www-form-urlencoded",
              "productId=p&quantity=5")
        });
    cases.put(
        "application/jsonx is not JSON",
        new Object[] {415, post(purchase, buyer, "application/jsonx", "{}")});
    cases.put("no Host", new Object[] {400, "GET /api/sales HTTP/1.1\r\n" + buyer + "\r\n"});
    cases.put(
        "malformed Host",
        new Object[] {400, "GET /api/sales HTTP/1.1\r\nHost: a b:c:d\r\n" + buyer + "\r\n"});
    cases.put(
        "bad escape in an API path",
        new Object[] {400, "GET /api/sales/%zz HTTP/1.1\r\nHost: t\r\n" + buyer + "\r\n"});
    cases.put(
        "bad escape in a page path", new Object[] {400, "GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n"});
    cases.put(
        "cut escape at the end",
        new Object[] {400, "GET /api/sales/% HTTP/1.1\r\nHost: t\r\n" + buyer + "\r\n"});
    cases.put(
        "bad escape in the query",
        new Object[] {400, "GET /api/sales?x=%G1 HTTP/1.1\r\nHost: t\r\n" + buyer + "\r\n"});
    cases.put(
        "bad escape in the live token",
        new Object[] {
          400,
          "GET /api/sales/"
              + queuedSaleId
              + "/live?access_token=%zz HTTP/1.1\r\nHost: t\r\n"
              + handshake
              + "Sec-WebSocket-Version: 13\r\n\r\n"
        });
    cases.put(
        "Expect other than 100-continue",
        new Object[] {
          417,
          "POST "
              + purchase
              + " HTTP/1.1\r\nHost: t\r\n"
              + buyer
              + "Expect: banana\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        });
    cases.put(
        "unsatisfiable Range on a static file",
        new Object[] {
          416, "GET /css/app.css HTTP/1.1\r\nHost: t\r\nRange: bytes=99999999-\r\n\r\n"
        });
    cases.put(
        "oversized header",
        new Object[] {
          431, "GET /health/live HTTP/1.1\r\nHost: t\r\nX-Big: " + "a".repeat(70_000) + "\r\n\r\n"
        });
    cases.put(
        "over-long URI",
        new Object[] {414, "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: t\r\n\r\n"});
    cases.put(
        "Content-Length not a number",
        new Object[] {
          400,
          "POST "
              + purchase
              + " HTTP/1.1\r\nHost: t\r\n"
              + buyer
              + "Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{}"
        });
    cases.put(
        "two Content-Lengths",
        new Object[] {
          400,
          "POST "
              + purchase
              + " HTTP/1.1\r\nHost: t\r\n"
              + buyer
              + "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
        });
    cases.put(
        "NUL in a header",
        new Object[] {400, "GET /health/live HTTP/1.1\r\nHost: t\r\nX-A: a\u0000b\r\n\r\n"});
    cases.put("garbage request line", new Object[] {400, "GARBAGE\r\n\r\n"});
    cases.put("HTTP/9.9", new Object[] {400, "GET /health/live HTTP/9.9\r\nHost: t\r\n\r\n"});
    cases.put(
        "HTTP/2.0 without the preface",
        new Object[] {400, "GET /api/sales HTTP/2.0\r\nHost: t\r\n" + buyer + "\r\n"});
    cases.put(
        "live feed without upgrade headers",
        new Object[] {426, "GET " + live + " HTTP/1.1\r\nHost: t\r\n\r\n"});
    cases.put(
        "live feed, WebSocket version 8",
        new Object[] {
          426,
          "GET "
              + live
              + " HTTP/1.1\r\nHost: t\r\n"
              + handshake
              + "Sec-WebSocket-Version: 8\r\n\r\n"
        });
    cases.put(
        "live feed, no WebSocket key",
        new Object[] {
          400,
          "GET "
              + live
              + " HTTP/1.1\r\nHost: t\r\n"
              + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"
        });
    cases.put(
        "new sale with a null quantity",
        new Object[] {
          400,
          post(
              "/api/admin/sales",
              admin,
              "application/json",
              "{\"productId\":\"p\",\"productName\":\"n\",\"quantity\":null,\"priceCents\":100,\"currency\":\"EUR\"}")
        });
    cases.put(
        "new sale with a NUL in its name",
        new Object[] {
          400,
          post(
              "/api/admin/sales",
              admin,
              "application/json",
              "{\"productId\":\"p\",\"productName\":\"a\\u0000b\",\"quantity\":3,\"priceCents\":100,\"currency\":\"EUR\"}")
        });
    for (String sub : List.of("ctl\u0001user", "new\nline", "pipe|user")) {
      String token =
          Tokens.hs256(
              TestServer.JWT_SECRET,
              new JsonObject()
                  .put("sub", sub)
                  .put("exp", Instant.now().plusSeconds(600).getEpochSecond()));
      cases.put(
          "token subject " + sub.replaceAll("\\p{Cntrl}", "?"),
          new Object[] {
            401,
            post(
                purchase,
                "Authorization: Bearer " + token + "\r\n",
                "application/json",
                "{\"quantity\":1}")
          });
    }

    for (Map.Entry<String, Object[]> c : cases.entrySet()) {
      RawHttp.Response response =
          RawHttp.send(server.port(), ((String) c.getValue()[1]).getBytes(StandardCharsets.UTF_8));
      assertThat(response.status())
          .as("%s: %s", c.getKey(), response.body())
          .isEqualTo(c.getValue()[0]);
      assertThat(response.header("Content-Type"))
          .as(c.getKey())
          .isEqualTo("application/problem+json");
      assertThat(new JsonObject(response.body()).getString("code")).as(c.getKey()).isNotBlank();
    }
    assertThat(state()).as("PostgreSQL and Redis unchanged").isEqualTo(before);
  }

  private static String post(String path, String authorization, String contentType, String body) {
    return "POST "
        + path
        + " HTTP/1.1\r\nHost: t\r\n"
        + authorization
        + "Content-Type: "
        + contentType
        + "\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\n\r\n"
        + body;
  }

  private static String path(Random random) {
    String sale =
        pick(
            random,
            List.of(
                saleId,
                queuedSaleId,
                UUID.randomUUID().toString(),
                "not-a-uuid",
                "%00",
                "..%2F..%2Fetc%2Fpasswd",
                "' OR 1=1 --",
                text(random, 40)));
    String order =
        pick(random, List.of(orderId, UUID.randomUUID().toString(), "x", "%F0%9F%92%A5"));
    return pick(
        random,
        List.of(
            "/api/sales/" + enc(sale) + "/purchase",
            "/api/sales/" + enc(sale) + "/queue",
            "/api/sales/" + enc(sale) + "/queue/me",
            "/api/sales/" + enc(sale) + "/challenge",
            "/api/sales/" + enc(sale) + "/subscribe",
            "/api/sales/" + enc(sale),
            "/api/orders/" + enc(order),
            "/api/orders/" + enc(order) + "/checkout",
            "/api/orders/" + enc(order) + "/cancel",
            "/api/admin/sales",
            "/api/admin/blacklist",
            "/api/admission/verify",
            "/api/" + enc(text(random, 12)),
            "/" + enc(text(random, 20))));
  }

  /** Everything but a well-formed, valid body. */
  private static String body(Random random) {
    return switch (random.nextInt(14)) {
      case 0 -> null;
      case 1 -> "";
      case 2 -> "{";
      case 3 -> "[1,2,3]";
      case 4 ->
          "{\"quantity\":"
              + pick(
                  random,
                  List.of(
                      "\"1\"",
                      "1.5",
                      "-1",
                      "0",
                      "1e309",
                      "99999999999999999999",
                      "true",
                      "null",
                      "[]",
                      "{}",
                      "\"\\u0000\""))
              + "}";
      case 5 -> "{\"quantity\":1,\"quantity\":1000000}";
      case 6 -> "{\"quantity\":2,\"paymentMethodId\":\"" + text(random, 200) + "\"}";
      case 7 ->
          "{\"proofOfWork\":{\"challenge\":\""
              + text(random, 60)
              + "\",\"solution\":"
              + random.nextLong()
              + "}}";
      case 8 ->
          "{\"proofOfWork\":\""
              + text(random, 10)
              + "\",\"captchaToken\":"
              + random.nextInt()
              + "}";
      case 9 -> "{\"email\":\"" + text(random, 300) + "\"}";
      case 10 -> "{\"admissionToken\":\"" + text(random, 5_000) + "\"}";
      case 11 ->
          "{\"productId\":\"\",\"quantity\":-5,\"priceCents\":1e99,\"currency\":\"€€€\",\"startTime\":\"soon\"}";
      case 12 -> "{\"pad\":\"" + "x".repeat(70_000) + "\"}";
      default -> text(random, random.nextInt(200));
    };
  }

  /** No token, garbage, a token for someone else, an admin-less token, or an expired one. */
  private static String token(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> null;
      case 1 -> "Bearer " + headerText(random, 30);
      case 2 -> "Basic dXNlcjpwYXNz";
      case 3 -> "Bearer " + server.token("fuzz-" + random.nextInt(50));
      case 4 ->
          "Bearer "
              + Tokens.hs256(
                  TestServer.JWT_SECRET, new JsonObject().put("sub", "late").put("exp", 1));
      default ->
          "Bearer "
              + Tokens.hs256(
                  TestServer.JWT_SECRET,
                  new JsonObject()
                      .put("sub", pick(random, List.of("", "x".repeat(500), "ok-user")))
                      .put("roles", 7));
    };
  }

  private static String text(Random random, int length) {
    StringBuilder text = new StringBuilder(length);
    String alphabet = "abcXYZ019 _-./\\\"'{}[]<>%&;:,é漢字💥\u0000\u202e";
    for (int i = 0; i < length; i++) {
      text.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return text.toString();
  }

  /** Printable ASCII only: the HTTP client itself refuses control characters in headers. */
  private static String headerText(Random random, int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append((char) (33 + random.nextInt(94)));
    }
    return text.toString();
  }

  private static String enc(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static <T> T pick(Random random, List<T> options) {
    return options.get(random.nextInt(options.size()));
  }

  private static String state() throws Exception {
    return StoreSnapshot.of(server, List.of(saleId, queuedSaleId));
  }
}

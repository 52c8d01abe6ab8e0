package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Poll;
import io.flashsale.support.TestServer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The web layer without a browser: pages and WebJars are served, the demo sign-in exists only in
 * demo mode, and the dashboard's figures agree with what happened to the sale.
 */
class WebPagesTest {

  @RegisterExtension static final Engine demo = Engine.start(Map.of("FLASHSALE_DEMO", "true"));

  @RegisterExtension static final Engine plain = Engine.start(Map.of("FLASHSALE_DEMO", "false"));

  @Test
  void withoutDemoModeTheDemoSignInDoesNotExistWhateverTokenIsSent() {
    for (String token :
        new String[] {null, plain.server().token("someone"), plain.server().adminToken()}) {
      var request = plain.server().client().post("/api/demo/token");
      if (token != null) {
        request.bearerTokenAuthentication(token);
      }
      HttpResponse<Buffer> answer =
          Await.result(
              request.sendJsonObject(new JsonObject().put("name", "mallory").put("admin", true)));
      assertThat(answer.statusCode()).isEqualTo(404);
      assertThat(answer.bodyAsJsonObject().getString("code")).isEqualTo("NOT_FOUND");
    }
    assertThat(get(plain.server(), "/ui/settings.json").bodyAsJsonObject().getBoolean("demo"))
        .isFalse();
  }

  @Test
  void inDemoModeANameBuysAShortLivedTokenThatOpensOnlyWhatItsRoleAllows() {
    JsonObject settings = get(demo.server(), "/ui/settings.json").bodyAsJsonObject();
    assertThat(settings.getBoolean("demo")).isTrue();
    assertThat(settings.getLong("waitlistLeadSeconds")).isEqualTo(300);

    HttpResponse<Buffer> buyer =
        Await.result(
            demo.server()
                .client()
                .post("/api/demo/token")
                .sendJsonObject(new JsonObject().put("name", "carol")));
    assertThat(buyer.statusCode()).isEqualTo(201);
    JsonObject issued = buyer.bodyAsJsonObject();
    assertThat(issued.getString("userId")).isEqualTo("carol");
    assertThat(Instant.parse(issued.getString("expiresAt")))
        .isBefore(Instant.now().plus(Duration.ofHours(2)));
    String buyerToken = issued.getString("token");
    assertThat(
            Await.result(
                    demo.server()
                        .client()
                        .get("/api/me/orders")
                        .bearerTokenAuthentication(buyerToken)
                        .send())
                .statusCode())
        .isEqualTo(200);
    String saleId = Await.result(demo.server().createSale(3, new JsonObject())).getString("saleId");
    assertThat(stats(demo.server(), saleId, buyerToken).statusCode())
        .as("a buyer may not read the dashboard")
        .isEqualTo(403);

    String adminToken =
        Await.result(
                demo.server()
                    .client()
                    .post("/api/demo/token")
                    .sendJsonObject(new JsonObject().put("name", "dana").put("admin", true)))
            .bodyAsJsonObject()
            .getString("token");
    assertThat(stats(demo.server(), saleId, adminToken).statusCode()).isEqualTo(200);

    for (JsonObject bad :
        new JsonObject[] {
          new JsonObject(),
          new JsonObject().put("name", "../etc"),
          new JsonObject().put("name", "x".repeat(65)),
          new JsonObject().put("name", "eve").put("admin", "yes")
        }) {
      HttpResponse<Buffer> refused =
          Await.result(demo.server().client().post("/api/demo/token").sendJsonObject(bad));
      assertThat(refused.statusCode()).as("%s", bad).isEqualTo(400);
      assertThat(refused.bodyAsJsonObject().getString("code")).isEqualTo("VALIDATION_FAILED");
    }
  }

  @Test
  void pagesAndWebJarsAreServedFromTheClasspathAndNothingElseIs() {
    for (String page : new String[] {"/", "/sale.html", "/signin", "/admin"}) {
      HttpResponse<Buffer> answer = get(plain.server(), page);
      assertThat(answer.statusCode()).as(page).isEqualTo(200);
      assertThat(answer.getHeader("Content-Type")).startsWith("text/html");
      assertThat(answer.getHeader("Content-Security-Policy")).contains("script-src 'self'");
      assertThat(answer.bodyAsString()).contains("<html lang=\"en\">");
    }
    assertThat(get(plain.server(), "/admin").bodyAsString())
        .contains("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js");
    HttpResponse<Buffer> uplot =
        get(plain.server(), "/webjars/uplot/1.6.30/dist/uPlot.iife.min.js");
    assertThat(uplot.statusCode()).isEqualTo(200);
    assertThat(uplot.bodyAsString()).contains("uPlot");
    assertThat(get(plain.server(), "/js/pow-worker.js").bodyAsString()).contains("leadingZeroBits");
    for (String outside :
        new String[] {
          "/js/../../conf/flashsale.properties",
          "/webjars/../../io/flashsale/Main.class",
          "/css/nothing.css",
          "/db/V1__create_flash_sales.sql",
          "/lua/admit.lua"
        }) {
      assertThat(get(plain.server(), outside).statusCode()).as(outside).isEqualTo(404);
    }
  }

  @Test
  void theDashboardFiguresAgreeWithWhatHappenedToTheSale() {
    String saleId =
        Await.result(plain.server().createSale(5, new JsonObject())).getString("saleId");
    assertThat(Await.result(plain.server().purchase(saleId, "stats-1", 1)).statusCode())
        .isEqualTo(201);
    HttpResponse<Buffer> second = Await.result(plain.server().purchase(saleId, "stats-2", 1));
    assertThat(second.statusCode()).isEqualTo(201);
    String orderId = second.bodyAsJsonObject().getString("orderId");
    assertThat(
            Await.result(
                    plain
                        .server()
                        .client()
                        .post("/api/orders/" + orderId + "/checkout")
                        .bearerTokenAuthentication(plain.server().token("stats-2"))
                        .send())
                .statusCode())
        .isEqualTo(200);

    JsonObject figures =
        Poll.until(
            () -> stats(plain.server(), saleId, plain.server().adminToken()).bodyAsJsonObject(),
            f -> "OK".equals(f.getJsonObject("reconciliation").getString("status")),
            Duration.ofSeconds(10));
    assertThat(figures.getInteger("quantityAvailable")).isEqualTo(5);
    assertThat(figures.getInteger("quantitySold")).isEqualTo(2);
    assertThat(figures.getLong("stockLeft")).isEqualTo(3);
    assertThat(figures.getLong("queueDepth")).isZero();
    assertThat(figures.getJsonObject("orders").getLong("reservations")).isEqualTo(2);
    assertThat(figures.getJsonObject("orders").getLong("reserved")).isEqualTo(1);
    assertThat(figures.getJsonObject("orders").getLong("paid")).isEqualTo(1);
    assertThat(figures.getJsonObject("payments").getLong("captured")).isEqualTo(1);
    assertThat(figures.getJsonObject("reconciliation").getLong("drift")).isZero();
    assertThat(figures.getJsonObject("botRejections")).isEmpty();

    String queued =
        Await.result(
                plain
                    .server()
                    .createSale(
                        2,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("startTime", Instant.now().plusSeconds(120).toString())
                            .put("proofOfWorkDifficulty", 8)))
            .getString("saleId");
    for (String buyer : new String[] {"line-1", "line-2"}) {
      assertThat(Await.result(plain.server().join(queued, buyer, 1)).statusCode())
          .as("no proof of work: refused")
          .isEqualTo(403);
    }
    JsonObject line = stats(plain.server(), queued, plain.server().adminToken()).bodyAsJsonObject();
    assertThat(line.getLong("queueDepth")).isZero();
    assertThat(line.getJsonObject("botRejections").getLong("POW_MISSING")).isEqualTo(2);
    assertThat(line.getString("status")).isEqualTo("SCHEDULED");
  }

  @Test
  void theDashboardFiguresNeedAnAdminAndAKnownSale() {
    String saleId =
        Await.result(plain.server().createSale(1, new JsonObject())).getString("saleId");
    assertThat(
            Await.result(
                    plain.server().client().get("/api/admin/sales/" + saleId + "/stats").send())
                .statusCode())
        .isEqualTo(401);
    assertThat(stats(plain.server(), saleId, plain.server().token("buyer")).statusCode())
        .isEqualTo(403);
    assertThat(
            stats(plain.server(), UUID.randomUUID().toString(), plain.server().adminToken())
                .statusCode())
        .isEqualTo(404);
    assertThat(stats(plain.server(), "not-a-sale", plain.server().adminToken()).statusCode())
        .isEqualTo(404);
  }

  private static HttpResponse<Buffer> get(TestServer server, String path) {
    return Await.result(server.client().get(path).send());
  }

  private static HttpResponse<Buffer> stats(TestServer server, String saleId, String token) {
    return Await.result(
        server
            .client()
            .get("/api/admin/sales/" + saleId + "/stats")
            .bearerTokenAuthentication(token)
            .send());
  }
}

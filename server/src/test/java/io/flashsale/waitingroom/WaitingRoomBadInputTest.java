package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.TestServer;
import io.flashsale.support.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Refusals at the waiting room's door: each a problem+json, none leaving a trace. */
class WaitingRoomBadInputTest {

  @RegisterExtension static final Engine engine = Engine.start();

  private static String openSale;

  @BeforeAll
  static void openASale() {
    openSale =
        Await.result(
                engine
                    .server()
                    .createSale(
                        10,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("startTime", Instant.now().plusSeconds(120).toString())))
            .getString("saleId");
  }

  @Test
  void joiningTwiceReturnsTheSameTicketAsAConflict() {
    JsonObject ticket = Await.result(engine.server().join(openSale, "twice", 1)).bodyAsJsonObject();
    String before = redisState(openSale);

    HttpResponse<Buffer> again = Await.result(engine.server().join(openSale, "twice", 1));

    assertProblem(again, 409, "CONFLICT");
    assertThat(again.bodyAsJsonObject().getJsonObject("ticket").getString("ticketId"))
        .isEqualTo(ticket.getString("ticketId"));
    assertThat(again.bodyAsJsonObject().getJsonObject("ticket").getLong("position"))
        .isEqualTo(ticket.getLong("position"));
    assertThat(redisState(openSale)).isEqualTo(before);
  }

  @Test
  void aSaleWhoseWaitingRoomIsNotOpenYetTurnsBuyersAway() {
    String later =
        Await.result(
                engine
                    .server()
                    .createSale(
                        10,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("startTime", Instant.now().plusSeconds(3_600).toString())))
            .getString("saleId");

    assertProblem(Await.result(engine.server().join(later, "eager", 1)), 409, "SALE_NOT_ACTIVE");
    assertThat(redisState(later)).isEqualTo(emptyState());
  }

  @Test
  void aBlacklistedAccountCannotJoin() {
    HttpResponse<Buffer> flagged =
        Await.result(
            engine
                .server()
                .client()
                .post("/api/admin/blacklist")
                .bearerTokenAuthentication(engine.server().adminToken())
                .sendJsonObject(
                    new JsonObject().put("userId", "scalper").put("reason", "resold 400 pairs")));
    assertThat(flagged.statusCode()).isEqualTo(201);
    String before = redisState(openSale);

    assertProblem(Await.result(engine.server().join(openSale, "scalper", 1)), 403, "FORBIDDEN");
    assertThat(redisState(openSale)).isEqualTo(before);

    String newSale =
        Await.result(engine.server().createSale(3, new JsonObject().put("waitingRoom", true)))
            .getString("saleId");
    assertProblem(Await.result(engine.server().join(newSale, "scalper", 1)), 403, "FORBIDDEN");
  }

  @Test
  void aBuyerCannotAskForMoreThanTheLimit() {
    String before = redisState(openSale);
    assertProblem(Await.result(engine.server().join(openSale, "greedy", 2)), 409, "LIMIT_EXCEEDED");
    assertProblem(
        Await.result(engine.server().join(openSale, "greedy", 0)), 400, "VALIDATION_FAILED");
    assertThat(redisState(openSale)).isEqualTo(before);
  }

  @Test
  void aForgedOrBorrowedAdmissionTokenProvesNothing() {
    String forged =
        Tokens.hs256(
            TestServer.JWT_SECRET,
            new JsonObject()
                .put("sub", "forger")
                .put("sale", openSale)
                .put("order", "00000000-0000-0000-0000-000000000000"));
    for (String token : List.of(forged, engine.server().token("forger"), "garbage")) {
      HttpResponse<Buffer> refused =
          Await.result(
              engine
                  .server()
                  .client()
                  .post("/api/admission/verify")
                  .bearerTokenAuthentication(engine.server().token("forger"))
                  .sendJsonObject(new JsonObject().put("admissionToken", token)));
      assertProblem(refused, 403, "FORBIDDEN");
    }
  }

  @Test
  void askingForAPlaceWithoutHavingJoinedIsNotFound() {
    assertProblem(
        Await.result(engine.server().queueStatus(openSale, "stranger")), 404, "NOT_FOUND");
  }

  private static void assertProblem(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo(code);
  }

  private static String emptyState() {
    return "tickets=0 line=0 prequeue=0 seq=null";
  }

  private static String redisState(String saleId) {
    Redis redis = engine.server().services().api().redis();
    SaleKeys keys = new SaleKeys(saleId);
    var replies =
        Await.result(
            redis.batch(
                List.of(
                    Request.cmd(Command.HLEN).arg(keys.line(0, 1).tickets()),
                    Request.cmd(Command.BITCOUNT).arg(keys.line(0, 1).line()),
                    Request.cmd(Command.SCARD).arg(keys.line(0, 1).prequeue()),
                    Request.cmd(Command.GET).arg(keys.line(0, 1).sequence()))));
    return "tickets="
        + replies.get(0)
        + " line="
        + replies.get(1)
        + " prequeue="
        + replies.get(2)
        + " seq="
        + replies.get(3);
  }
}

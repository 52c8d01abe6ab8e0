package io.flashsale.antibot;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A sale that needs a CAPTCHA, against a fake siteverify endpoint started here that accepts,
 * rejects, answers for the wrong site, or does not answer in time.
 */
class CaptchaTest {

  private static final List<JsonObject> verifications = new CopyOnWriteArrayList<>();

  @RegisterExtension
  static final Engine engine =
      Engine.start(
          vertx ->
              siteverify(vertx)
                  .map(
                      port ->
                          Map.of(
                              "FLASHSALE_ANTIBOT_CAPTCHA_VERIFY_URL",
                                  "http://127.0.0.1:" + port + "/siteverify",
                              "FLASHSALE_ANTIBOT_CAPTCHA_SECRET", "captcha-secret",
                              "FLASHSALE_ANTIBOT_CAPTCHA_TIMEOUT_MS", "300",
                              "FLASHSALE_ANTIBOT_CAPTCHA_HOSTNAME", "shop.test",
                              "FLASHSALE_ANTIBOT_CAPTCHA_ACTION", "join")));

  /** A fake siteverify endpoint on the engine's Vert.x; answers with its port. */
  private static Future<Integer> siteverify(Vertx vertx) {
    Router router = Router.router(vertx);
    router
        .post("/siteverify")
        .handler(BodyHandler.create())
        .handler(
            ctx -> {
              String token = ctx.request().getFormAttribute("response");
              verifications.add(
                  new JsonObject()
                      .put("secret", ctx.request().getFormAttribute("secret"))
                      .put("response", token)
                      .put("remoteip", ctx.request().getFormAttribute("remoteip")));
              JsonObject answer =
                  switch (token) {
                    case "solved" ->
                        new JsonObject()
                            .put("success", true)
                            .put("hostname", "shop.test")
                            .put("action", "join");
                    case "other-site" ->
                        new JsonObject()
                            .put("success", true)
                            .put("hostname", "evil.test")
                            .put("action", "join");
                    default ->
                        new JsonObject()
                            .put("success", false)
                            .put("error-codes", List.of("invalid-input-response"));
                  };
              if (token.equals("slow")) {
                vertx.setTimer(2_000, t -> ctx.json(answer));
              } else {
                ctx.json(answer);
              }
            });
    return vertx
        .createHttpServer()
        .requestHandler(router)
        .listen(0, "127.0.0.1")
        .map(HttpServer::actualPort);
  }

  @Test
  void onlyASolvedCaptchaForThisSiteLetsABuyerJoin() {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        10, new JsonObject().put("waitingRoom", true).put("captchaRequired", true)))
            .getString("saleId");

    assertThat(join(saleId, "no-token", null)).isEqualTo("403 BOT_CHECK_FAILED");
    assertThat(join(saleId, "wrong", "not-solved")).isEqualTo("403 BOT_CHECK_FAILED");
    assertThat(join(saleId, "elsewhere", "other-site")).isEqualTo("403 BOT_CHECK_FAILED");
    assertThat(join(saleId, "waiting", "slow"))
        .as("a provider that does not answer is an outage")
        .isEqualTo("503 UNAVAILABLE");
    assertThat(join(saleId, "human", "solved")).isEqualTo("202");

    assertThat(verifications)
        .anySatisfy(
            call -> {
              assertThat(call.getString("secret")).isEqualTo("captcha-secret");
              assertThat(call.getString("response")).isEqualTo("solved");
              assertThat(call.getString("remoteip")).isEqualTo("127.0.0.1");
            });
    JsonObject rejections =
        Await.result(engine.server().report(saleId)).getJsonObject("botRejections");
    assertThat(rejections.getLong("CAPTCHA_MISSING")).isEqualTo(1);
    assertThat(rejections.getLong("CAPTCHA_REJECTED")).isEqualTo(2);
    assertThat(
            Await.result(engine.server().report(saleId)).getJsonObject("redis").getLong("tickets"))
        .isEqualTo(1);
  }

  @Test
  void aSaleWithoutTheSwitchNeverCallsTheProvider() {
    String saleId =
        Await.result(engine.server().createSale(10, new JsonObject().put("waitingRoom", true)))
            .getString("saleId");
    int before = verifications.size();

    assertThat(join(saleId, "plain", null)).isEqualTo("202");
    assertThat(verifications).hasSize(before);
  }

  private static String join(String saleId, String user, String captchaToken) {
    JsonObject body = new JsonObject().put("quantity", 1);
    if (captchaToken != null) {
      body.put("captchaToken", captchaToken);
    }
    var response =
        Await.result(
            engine
                .server()
                .client()
                .post("/api/sales/" + saleId + "/queue")
                .bearerTokenAuthentication(engine.server().token(user))
                .sendJsonObject(body));
    return response.statusCode() == 202
        ? "202"
        : response.statusCode() + " " + response.bodyAsJsonObject().getString("code");
  }
}

package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.antibot.ProofOfWork;
import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every refusal, on the join path and on the purchase path alike, moves {@code
 * flashsale_bot_rejections_total{reason}} by exactly one; every operator action moves {@code
 * flashsale_operator_actions_total{action}} by exactly one. Read from /metrics.
 */
class RefusalAndActionMetricsTest {

  private static final int DIFFICULTY = 4;

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
                              // Only the per-user bucket: a challenge and a try fit in the burst, a
                              // burst of five does not.
                              "FLASHSALE_ANTIBOT_RATE_USER_PER_SECOND", "1",
                              "FLASHSALE_ANTIBOT_RATE_USER_BURST", "3")));

  /** A fake siteverify endpoint on the engine's Vert.x; answers with its port. */
  private static Future<Integer> siteverify(Vertx vertx) {
    Router router = Router.router(vertx);
    router
        .post("/siteverify")
        .handler(BodyHandler.create())
        .handler(
            ctx ->
                ctx.json(
                    new JsonObject()
                        .put(
                            "success",
                            "solved".equals(ctx.request().getFormAttribute("response")))));
    return vertx
        .createHttpServer()
        .requestHandler(router)
        .listen(0, "127.0.0.1")
        .map(HttpServer::actualPort);
  }

  /** The path a buyer takes: "queue" (a sale with a waiting room) or "purchase" (one without). */
  @ParameterizedTest
  @ValueSource(strings = {"queue", "purchase"})
  void countsEveryKindOfRefusalOnThisPath(String path) {
    boolean room = path.equals("queue");
    String plain = sale(room, new JsonObject());
    String guarded =
        sale(
            room,
            new JsonObject().put("proofOfWorkDifficulty", DIFFICULTY).put("captchaRequired", true));

    flag(new JsonObject().put("userId", path + "-flagged"));
    flag(new JsonObject().put("fingerprint", path + "-flagged-device"));
    assertCounted(
        "BLACKLISTED",
        1,
        () -> List.of(send(plain, path, path + "-flagged", "device-a", new JsonObject())));
    assertCounted(
        "BLACKLISTED_DEVICE",
        1,
        () ->
            List.of(
                send(plain, path, path + "-clean", path + "-flagged-device", new JsonObject())));

    // The flagged account keeps trying: past its burst it is rate limited. (A buyer whose join
    // got a ticket is answered with the ticket instead, before any limit.)
    assertCounted(
        "RATE_LIMITED",
        -1,
        () -> {
          List<HttpResponse<Buffer>> replies = new ArrayList<>();
          for (int i = 0; i < 6; i++) {
            replies.add(send(plain, path, path + "-flagged", "device-hasty", new JsonObject()));
          }
          return replies;
        });

    assertCounted(
        "POW_MISSING",
        1,
        () -> List.of(send(guarded, path, path + "-lazy", "device-lazy", new JsonObject())));
    assertCounted(
        "POW_FORGED",
        1,
        () ->
            List.of(
                send(
                    guarded,
                    path,
                    path + "-forger",
                    "device-forger",
                    work("bm90LWlzc3VlZA.bm90LXNpZ25lZA", "0"))));

    String user = path + "-solver";
    String challenge = challenge(guarded, user);
    String solution = ProofOfWork.solve(challenge, DIFFICULTY);
    assertCounted(
        "CAPTCHA_MISSING",
        1,
        () -> List.of(send(guarded, path, user, "device-solver", work(challenge, solution))));
    assertCounted(
        "POW_REPLAYED",
        1,
        () -> List.of(send(guarded, path, user, "device-solver", work(challenge, solution))));
    String second = challenge(guarded, path + "-robot");
    assertCounted(
        "CAPTCHA_REJECTED",
        1,
        () ->
            List.of(
                send(
                    guarded,
                    path,
                    path + "-robot",
                    "device-robot",
                    work(second, ProofOfWork.solve(second, DIFFICULTY))
                        .put("captchaToken", "not-solved"))));
  }

  @Test
  void countsEveryOperatorAction() {
    String saleId = sale(true, new JsonObject());
    String admin = "/api/admin/sales/" + saleId;

    assertActionCounted(
        "PAUSE", () -> admin(engine.server().client().post(admin + "/pause")).send());
    assertActionCounted(
        "RESUME", () -> admin(engine.server().client().post(admin + "/resume")).send());
    assertActionCounted(
        "SET_RATE",
        () ->
            admin(engine.server().client().post(admin + "/rate"))
                .sendJsonObject(new JsonObject().put("admissionRatePerSecond", 7)));
    for (String part : List.of("orders", "payments", "queue", "rejections")) {
      assertActionCounted(
          "EXPORT",
          () -> admin(engine.server().client().get(admin + "/export/" + part + ".csv")).send());
    }
    assertActionCounted(
        "BLACKLIST_ADD",
        () ->
            admin(engine.server().client().post("/api/admin/blacklist"))
                .sendJsonObject(
                    new JsonObject().put("userId", "operator-flagged").put("reason", "test")));
    assertActionCounted(
        "BLACKLIST_REMOVE",
        () ->
            admin(engine.server().client().delete("/api/admin/blacklist/operator-flagged")).send());
    assertActionCounted(
        "END_EARLY", () -> admin(engine.server().client().post(admin + "/end")).send());

    long before = counter("flashsale_operator_actions_total", "action", "PAUSE");
    var refused = Await.result(admin(engine.server().client().post(admin + "/pause")).send());
    assertThat(refused.statusCode()).as("an ended sale cannot be paused").isEqualTo(409);
    assertThat(counter("flashsale_operator_actions_total", "action", "PAUSE"))
        .as("a refused action is not counted")
        .isEqualTo(before);
  }

  /**
   * Runs {@code refusals} and checks the counter of {@code reason} moved by {@code expected}, or
   * (when -1) by the number of replies refused for that reason, at least one.
   */
  private static void assertCounted(
      String reason, int expected, Supplier<List<HttpResponse<Buffer>>> refusals) {
    long before = counter("flashsale_bot_rejections_total", "reason", reason);
    List<HttpResponse<Buffer>> replies = refusals.get();
    long refused =
        replies.stream()
            .filter(reply -> reply.statusCode() == 403 || reply.statusCode() == 429)
            .count();
    if (expected == -1) {
      expected = (int) replies.stream().filter(reply -> reply.statusCode() == 429).count();
      assertThat(expected).as("some of the burst was rate limited").isPositive();
    } else {
      assertThat(refused).as("%s: %s", reason, replies.get(0).bodyAsString()).isEqualTo(expected);
      if (!reason.startsWith("BLACKLISTED")) {
        assertThat(replies.get(0).bodyAsJsonObject().getString("reason")).isEqualTo(reason);
      }
    }
    assertThat(counter("flashsale_bot_rejections_total", "reason", reason) - before)
        .as("refusals counted under %s", reason)
        .isEqualTo(expected);
  }

  private static void assertActionCounted(
      String action, Supplier<Future<HttpResponse<Buffer>>> call) {
    long before = counter("flashsale_operator_actions_total", "action", action);
    HttpResponse<Buffer> reply = Await.result(call.get());
    assertThat(reply.statusCode()).as("%s: %s", action, reply.bodyAsString()).isBetween(200, 204);
    assertThat(counter("flashsale_operator_actions_total", "action", action) - before)
        .as("operator actions counted under %s", action)
        .isEqualTo(1);
  }

  private static long counter(String name, String label, String value) {
    // A registry with no meter yet (nothing counted so far) scrapes to an empty body.
    String metrics =
        Objects.requireNonNullElse(
            Await.result(engine.server().client().get("/metrics").send()).bodyAsString(), "");
    Matcher found =
        Pattern.compile("(?m)^" + name + "\\{" + label + "=\"" + value + "\"} (\\S+)$")
            .matcher(metrics);
    return found.find() ? (long) Double.parseDouble(found.group(1)) : 0;
  }

  private static String sale(boolean waitingRoom, JsonObject extra) {
    return Await.result(engine.server().createSale(100, extra.put("waitingRoom", waitingRoom)))
        .getString("saleId");
  }

  private static void flag(JsonObject subject) {
    var reply =
        Await.result(
            admin(engine.server().client().post("/api/admin/blacklist"))
                .sendJsonObject(subject.put("reason", "test")));
    assertThat(reply.statusCode()).isEqualTo(201);
  }

  private static String challenge(String saleId, String user) {
    return Await.result(
            engine
                .server()
                .client()
                .get("/api/sales/" + saleId + "/challenge")
                .bearerTokenAuthentication(engine.server().token(user))
                .send())
        .bodyAsJsonObject()
        .getString("challenge");
  }

  private static JsonObject work(String challenge, String solution) {
    return new JsonObject()
        .put("proofOfWork", new JsonObject().put("challenge", challenge).put("solution", solution));
  }

  private static HttpResponse<Buffer> send(
      String saleId, String path, String user, String device, JsonObject body) {
    return Await.result(
        engine
            .server()
            .client()
            .post("/api/sales/" + saleId + "/" + path)
            .bearerTokenAuthentication(engine.server().token(user))
            .putHeader("X-Device-Fingerprint", device)
            .sendJsonObject(body.put("quantity", 1)));
  }

  private static HttpRequest<Buffer> admin(HttpRequest<Buffer> request) {
    return request.bearerTokenAuthentication(engine.server().adminToken());
  }
}

package io.flashsale.antibot;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Poll;
import io.flashsale.support.Sql;
import io.flashsale.support.Tokens;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 500 honest buyers against 5,000 bot requests on a sale with proof of work and rate limits on:
 * every bot request is refused with the right code, no bot gets a place or a unit, and the honest
 * buyers win every unit.
 */
class BotDefenceTest {

  private static final int DIFFICULTY = 8;
  private static final int UNITS = 100;
  private static final int HONEST = 500;

  // A flagged account asks for 5 challenges and joins 5 times with one device: 10 requests, the
  // default burst. A subject near its burst is refused if other subjects share its counter in the
  // sale's sketch (docs/scaling.md): with about 3,000 subjects here a shared counter is likely
  // somewhere among the 100 flagged accounts, and two requests of room were once not enough in CI
  // (a challenge refused). The bursts leave ten; the one-device farm (1,500) and the hammering
  // device (30) are still far past them.
  @RegisterExtension
  static final Engine engine =
      Engine.start(
          Map.of(
              "FLASHSALE_ANTIBOT_RATE_USER_PER_SECOND", "5",
              "FLASHSALE_ANTIBOT_RATE_USER_BURST", "20",
              "FLASHSALE_ANTIBOT_RATE_IP_PER_SECOND", "20",
              "FLASHSALE_ANTIBOT_RATE_DEVICE_PER_SECOND", "5",
              "FLASHSALE_ANTIBOT_RATE_DEVICE_BURST", "20",
              "FLASHSALE_ANTIBOT_POW_VALIDITY_SECONDS", "3"));

  private record Solved(String user, String challenge, String solution) {}

  @Test
  void botsAreTurnedAwayAndHonestBuyersWinEveryUnit() throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        UNITS,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 1_000)
                            .put("proofOfWorkDifficulty", DIFFICULTY)))
            .getString("saleId");
    for (int i = 0; i < 100; i++) {
      Await.result(
          engine
              .server()
              .client()
              .post("/api/admin/blacklist")
              .bearerTokenAuthentication(engine.server().adminToken())
              .sendJsonObject(
                  new JsonObject().put("userId", "flagged-" + i).put("reason", "known scalper")));
    }

    // Expired challenges are collected first and left to age while everyone else goes.
    List<Solved> stale = solveAll(saleId, "stale-", 500, i -> "device-stale-" + i);
    long staleSince = System.nanoTime();

    List<Solved> honest = solveAll(saleId, "honest-", HONEST, i -> "device-honest-" + i);
    Map<String, Integer> honestReplies =
        tally(
            honest.stream()
                .map(
                    s ->
                        join(
                            saleId,
                            s.user(),
                            ip(s.user()),
                            "device-" + s.user(),
                            s.challenge(),
                            s.solution()))
                .toList());
    assertThat(honestReplies).isEqualTo(Map.of("202", HONEST));

    List<Future<HttpResponse<Buffer>>> bots = new ArrayList<>();
    // 1,000 without any solution.
    for (int i = 0; i < 1_000; i++) {
      bots.add(join(saleId, "lazy-" + i, "10.9.0." + i % 250, "device-lazy-" + i, null, null));
    }
    // 500 replaying an honest buyer's spent solution (answered with that buyer's own ticket: a
    // proof buys one ticket), 500 reusing one under another account.
    for (int i = 0; i < 500; i++) {
      Solved spent = honest.get(i);
      bots.add(
          join(
              saleId,
              spent.user(),
              "10.8.0." + i % 250,
              "device-replay-" + i,
              spent.challenge(),
              spent.solution()));
      bots.add(
          join(
              saleId,
              "thief-" + i,
              "10.7.0." + i % 250,
              "device-thief-" + i,
              spent.challenge(),
              spent.solution()));
    }
    // 500 with forged challenges: a signature of our own making, or a solution that does not meet
    // the difficulty.
    List<Solved> cheats = solveAll(saleId, "cheat-", 250, i -> "device-cheat-" + i);
    for (int i = 0; i < 250; i++) {
      Solved real = honest.get(i);
      bots.add(
          join(
              saleId,
              "forger-" + i,
              "10.6.0." + i % 250,
              "device-forger-" + i,
              forgeEasier(real.challenge()),
              "0"));
      Solved cheat = cheats.get(i);
      bots.add(
          join(
              saleId,
              cheat.user(),
              ip(cheat.user()),
              "device-cheat-" + i,
              cheat.challenge(),
              wrongSolution(cheat.challenge())));
    }
    // 1,500 from one device at full speed.
    for (int i = 0; i < 1_500; i++) {
      bots.add(
          join(saleId, "farm-" + i, "10.4." + i / 250 + "." + i % 250, "one-device", null, null));
    }
    // 500 from 100 flagged accounts, each try with a genuine solution of its own.
    for (int round = 0; round < 5; round++) {
      for (Solved flagged : solveAll(saleId, "flagged-", 100, i -> "device-flagged-" + i)) {
        bots.add(
            join(
                saleId,
                flagged.user(),
                ip(flagged.user()),
                "device-" + flagged.user(),
                flagged.challenge(),
                flagged.solution()));
      }
    }
    // 500 with challenges that expired before they were used.
    long aged = Duration.ofNanos(System.nanoTime() - staleSince).toMillis();
    if (aged < 3_500) {
      Thread.sleep(3_500 - aged);
    }
    for (Solved old : stale) {
      bots.add(
          join(
              saleId,
              old.user(),
              ip(old.user()),
              "device-" + old.user(),
              old.challenge(),
              old.solution()));
    }

    Map<String, Integer> botReplies = tally(bots);
    assertThat(botReplies.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(5_000);
    assertThat(botReplies.keySet())
        .as("every bot request refused with the right code: %s", botReplies)
        .isSubsetOf(
            Set.of("403 BOT_CHECK_FAILED", "429 RATE_LIMITED", "403 FORBIDDEN", "409 CONFLICT"));
    assertThat(botReplies.get("403 FORBIDDEN")).as("flagged accounts").isEqualTo(500);
    assertThat(botReplies.get("409 CONFLICT"))
        .as("replays of a spent proof: the owner's own ticket, no second place")
        .isEqualTo(500);
    assertThat(botReplies.get("429 RATE_LIMITED"))
        .as("the one-device farm, past its burst")
        .isGreaterThanOrEqualTo(1_400);

    JsonObject report =
        Poll.until(
            () -> Await.result(engine.server().report(saleId)),
            r -> r.getJsonObject("database").getInteger("quantitySold") == UNITS,
            Duration.ofSeconds(30));
    assertThat(report.getJsonObject("redis").getLong("tickets"))
        .as("no bot got a place in line")
        .isEqualTo(HONEST);
    JsonObject rejections = report.getJsonObject("botRejections");
    assertThat(rejections.getLong("POW_MISSING")).isGreaterThanOrEqualTo(1_000);
    assertThat(rejections.getLong("POW_REPLAYED", 0L)).isZero();
    assertThat(rejections.getLong("POW_FORGED")).isEqualTo(750);
    assertThat(rejections.getLong("POW_WRONG")).isEqualTo(250);
    assertThat(rejections.getLong("POW_EXPIRED")).isEqualTo(500);
    assertThat(rejections.getLong("BLACKLISTED")).isEqualTo(500);
    assertThat(rejections.getLong("RATE_LIMITED")).isGreaterThanOrEqualTo(1_400);

    Set<String> winners = new HashSet<>();
    try (Connection db = engine.server().database();
        ResultSet rows =
            Sql.query(
                db, "SELECT user_id FROM sale_orders WHERE sale_id = ?", UUID.fromString(saleId))) {
      while (rows.next()) {
        winners.add(rows.getString(1));
      }
    }
    assertThat(winners)
        .hasSize(UNITS)
        .allMatch(user -> user.startsWith("honest-"), "only honest buyers won");

    var metrics = Await.result(engine.server().client().get("/metrics").send()).bodyAsString();
    assertThat(metrics).contains("flashsale_bot_rejections_total{reason=\"POW_FORGED\"}");
  }

  @Test
  void aChallengeIsBoundToItsBuyerAndRefusedWithoutAToken() {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        5,
                        new JsonObject().put("waitingRoom", true).put("proofOfWorkDifficulty", 4)))
            .getString("saleId");
    JsonObject challenge =
        Await.result(
                engine
                    .server()
                    .client()
                    .get("/api/sales/" + saleId + "/challenge")
                    .bearerTokenAuthentication(engine.server().token("one"))
                    .send())
            .bodyAsJsonObject();
    assertThat(challenge.getInteger("difficulty")).isEqualTo(4);
    assertThat(challenge.getString("algorithm")).isEqualTo("sha256-leading-zero-bits");
    assertThat(
            Await.result(engine.server().client().get("/api/sales/" + saleId + "/challenge").send())
                .statusCode())
        .isEqualTo(401);
  }

  @Test
  void aDeviceThatHammersIsToldWhenToComeBackAndAFlaggedDeviceCanBeClearedAgain() {
    String saleId =
        Await.result(engine.server().createSale(5, new JsonObject().put("waitingRoom", true)))
            .getString("saleId");
    // One device under thirty accounts (one account would be answered with its ticket after the
    // first join).
    List<Future<HttpResponse<Buffer>>> hammering = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      hammering.add(join(saleId, "hammer-" + i, "10.2.0.1", "device-hammer", null, null));
    }
    Await.result(Future.join(hammering));
    HttpResponse<Buffer> limited =
        hammering.stream()
            .map(Future::result)
            .filter(response -> response.statusCode() == 429)
            .findFirst()
            .orElseThrow();
    assertThat(limited.bodyAsJsonObject().getString("code")).isEqualTo("RATE_LIMITED");
    assertThat(Integer.parseInt(limited.getHeader("Retry-After"))).isPositive();

    var flag =
        Await.result(
            engine
                .server()
                .client()
                .post("/api/admin/blacklist")
                .bearerTokenAuthentication(engine.server().adminToken())
                .sendJsonObject(
                    new JsonObject()
                        .put("fingerprint", "device-tainted")
                        .put("reason", "emulator farm")));
    assertThat(flag.statusCode()).isEqualTo(201);
    HttpResponse<Buffer> refused =
        Await.result(join(saleId, "tainted-user", "10.2.0.2", "device-tainted", null, null));
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.bodyAsJsonObject().getString("code")).isEqualTo("FORBIDDEN");

    var cleared =
        Await.result(
            engine
                .server()
                .client()
                .delete("/api/admin/blacklist/devices/device-tainted")
                .bearerTokenAuthentication(engine.server().adminToken())
                .send());
    assertThat(cleared.statusCode()).isEqualTo(204);
    assertThat(
            Await.result(join(saleId, "tainted-user", "10.2.0.2", "device-tainted", null, null))
                .statusCode())
        .isEqualTo(202);
  }

  private static List<Solved> solveAll(
      String saleId, String prefix, int count, Function<Integer, String> device) {
    List<Future<HttpResponse<Buffer>>> asked = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      asked.add(
          engine
              .server()
              .client()
              .get("/api/sales/" + saleId + "/challenge")
              .bearerTokenAuthentication(engine.server().token(prefix + i))
              .putHeader("X-Forwarded-For", ip(prefix + i))
              .putHeader("X-Device-Fingerprint", device.apply(i))
              .send());
    }
    Await.result(Future.all(asked));
    List<Solved> solved = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      HttpResponse<Buffer> reply = asked.get(i).result();
      assertThat(reply.statusCode())
          .as("challenge for %s%d: %s", prefix, i, reply.bodyAsString())
          .isEqualTo(200);
      JsonObject challenge = reply.bodyAsJsonObject();
      String token = challenge.getString("challenge");
      solved.add(
          new Solved(
              prefix + i, token, ProofOfWork.solve(token, challenge.getInteger("difficulty"))));
    }
    return solved;
  }

  private static Future<HttpResponse<Buffer>> join(
      String saleId, String user, String ip, String device, String challenge, String solution) {
    JsonObject body = new JsonObject().put("quantity", 1);
    if (challenge != null) {
      body.put(
          "proofOfWork", new JsonObject().put("challenge", challenge).put("solution", solution));
    }
    return engine
        .server()
        .client()
        .post("/api/sales/" + saleId + "/queue")
        .bearerTokenAuthentication(engine.server().token(user))
        .putHeader("X-Forwarded-For", ip)
        .putHeader("X-Device-Fingerprint", device)
        .sendJsonObject(body);
  }

  private static Map<String, Integer> tally(List<Future<HttpResponse<Buffer>>> replies) {
    Await.result(Future.join(replies), Duration.ofMinutes(2));
    Map<String, Integer> tally = new TreeMap<>();
    for (Future<HttpResponse<Buffer>> reply : replies) {
      HttpResponse<Buffer> response = reply.result();
      String outcome =
          response.statusCode() == 202
              ? "202"
              : response.statusCode() + " " + response.bodyAsJsonObject().getString("code");
      tally.merge(outcome, 1, Integer::sum);
    }
    return tally;
  }

  /** A distinct address per buyer, as honest buyers come from everywhere. */
  private static String ip(String user) {
    int h = user.hashCode() & 0xffffff;
    return "10." + (h >> 16) + "." + ((h >> 8) & 0xff) + "." + (h & 0xff);
  }

  /** The same challenge re-signed claiming difficulty 0, with a key that is not the server's. */
  private static String forgeEasier(String token) {
    String payload =
        new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))));
    String easier = payload.substring(0, payload.lastIndexOf('|')) + "|0";
    String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(easier.getBytes());
    String signature =
        Tokens.hs256("not-the-server-secret-but-long-enough-to-sign", new JsonObject());
    return encoded + "." + signature.substring(signature.lastIndexOf('.') + 1);
  }

  /** A solution that fails the difficulty (the first counter value that misses it). */
  private static String wrongSolution(String token) {
    for (long counter = 0; ; counter++) {
      String candidate = Long.toString(counter);
      if (ProofOfWork.leadingZeroBits(sha256(token + ":" + candidate)) < DIFFICULTY) {
        return candidate;
      }
    }
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

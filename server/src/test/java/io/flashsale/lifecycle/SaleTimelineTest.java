package io.flashsale.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.flashsale.support.Await;
import io.flashsale.support.Poll;
import io.flashsale.support.Sql;
import io.flashsale.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The timeline on two instances at once, with lead times of seconds: each countdown notice reaches
 * each subscriber once (not once per instance), and the sale opens and ends on time.
 */
class SaleTimelineTest {

  private static Vertx vertx;
  private static GreenMail smtp;
  private static TestServer first;
  private static TestServer second;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
    Map<String, String> timeline =
        Map.of(
            "FLASHSALE_LIFECYCLE_TICK_MS", "100",
            "FLASHSALE_LIFECYCLE_FIRST_NOTICE_SECONDS", "4",
            "FLASHSALE_LIFECYCLE_LAST_NOTICE_SECONDS", "2",
            "FLASHSALE_NOTIFICATIONS_SMTP_HOST", "127.0.0.1",
            "FLASHSALE_NOTIFICATIONS_SMTP_PORT", Integer.toString(smtp.getSmtp().getPort()),
            "FLASHSALE_NOTIFICATIONS_SMTP_FROM", "sales@shop.test");
    first = Await.result(TestServer.start(vertx, timeline));
    second = Await.result(TestServer.startBeside(vertx, first, timeline));
  }

  @AfterAll
  static void stop() {
    Await.result(Future.join(first.stop(), second.stop()).eventually(vertx::close));
    smtp.stop();
  }

  @Test
  void eachSubscriberHearsEachCountdownOnceThenTheSaleOpensAndEnds() throws Exception {
    Instant start = Instant.now().plusSeconds(6);
    String saleId =
        Await.result(
                first.createSale(
                    10,
                    new JsonObject()
                        .put("productName", "Limited kettle")
                        .put("startTime", start.toString())
                        .put("endTime", start.plusSeconds(2).toString())))
            .getString("saleId");
    for (String buyer : List.of("ann", "bob", "cat")) {
      var subscribed =
          Await.result(
              first
                  .client()
                  .post("/api/sales/" + saleId + "/subscribe")
                  .bearerTokenAuthentication(first.token(buyer))
                  .sendJsonObject(new JsonObject().put("email", buyer + "@buyers.test")));
      assertThat(subscribed.statusCode()).isEqualTo(201);
    }

    Poll.until(
        () -> smtp.getReceivedMessages().length, received -> received >= 6, Duration.ofSeconds(20));
    Poll.until(() -> status(saleId), "ACTIVE"::equals, Duration.ofSeconds(20));
    Poll.until(() -> status(saleId), "ENDED"::equals, Duration.ofSeconds(20));

    MimeMessage[] mails = smtp.getReceivedMessages();
    assertThat(mails).as("two notices x three subscribers, from two instances").hasSize(6);
    for (String buyer : List.of("ann", "bob", "cat")) {
      assertThat(
              Arrays.stream(mails)
                  .filter(mail -> recipient(mail).equals(buyer + "@buyers.test"))
                  .toList())
          .hasSize(2)
          .allMatch(mail -> subject(mail).contains("Limited kettle"));
    }
    try (var db = first.database();
        var steps =
            Sql.query(
                db,
                "SELECT step, outcome FROM sale_timeline_steps WHERE sale_id = ?"
                    + " AND done_at IS NOT NULL ORDER BY step",
                UUID.fromString(saleId))) {
      StringBuilder done = new StringBuilder();
      while (steps.next()) {
        done.append(steps.getString(1)).append(": ").append(steps.getString(2)).append('\n');
      }
      assertThat(done.toString())
          .contains(
              "NOTIFY_T5: sent to 3 subscriber(s)",
              "NOTIFY_T60: sent to 3 subscriber(s)",
              "WARM_UP: loaded");
    }
  }

  @Test
  void aSubscriptionNeedsAnEmailAddress() {
    String saleId = Await.result(first.createSale(1, new JsonObject())).getString("saleId");
    var refused =
        Await.result(
            first
                .client()
                .post("/api/sales/" + saleId + "/subscribe")
                .bearerTokenAuthentication(first.token("dan"))
                .sendJsonObject(new JsonObject().put("email", "not-an-address")));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.bodyAsJsonObject().getString("code")).isEqualTo("VALIDATION_FAILED");
  }

  private static String status(String saleId) {
    return Await.result(first.report(saleId)).getJsonObject("database").getString("status");
  }

  private static String recipient(MimeMessage mail) {
    try {
      return mail.getAllRecipients()[0].toString();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String subject(MimeMessage mail) {
    try {
      return mail.getSubject();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}

package io.flashsale.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.flashsale.support.Await;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The countdown channels against a real SMTP server (GreenMail) and a real HTTP receiver, all on
 * loopback.
 */
class NotifierTest {

  private static final Duration BOUND = Duration.ofSeconds(20);
  private static final Instant START = Instant.parse("2030-05-04T12:00:00Z");

  private static Vertx vertx;
  private static GreenMail smtp;

  /** What the webhook receiver saw of one call. */
  private record Call(MultiMap headers, Buffer body) {}

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    // port 0: the OS hands out a free port, so parallel builds on this machine never collide
    smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
  }

  @AfterAll
  static void stop() {
    smtp.stop();
    Await.result(vertx.close());
  }

  @Test
  void mailsEveryRecipientExactlyOnceWithTheProductAndTheStartTimeInUtc() throws Exception {
    String domain = freshDomain();
    // more recipients than sends in flight, so senders must pick up where others left off
    List<String> recipients =
        IntStream.range(0, 20).mapToObj(i -> "buyer" + i + "@" + domain).toList();
    MailNotifier mail = new MailNotifier(vertx, localSmtp());

    Await.result(mail.notify(notice("T-60", recipients)), BOUND);

    Map<String, List<MimeMessage>> byRecipient =
        Arrays.stream(smtp.getReceivedMessagesForDomain(domain))
            .collect(Collectors.groupingBy(NotifierTest::soleRecipient));
    assertThat(byRecipient.keySet()).containsExactlyInAnyOrderElementsOf(recipients);
    assertThat(byRecipient.values()).allSatisfy(mails -> assertThat(mails).hasSize(1));
    for (List<MimeMessage> mails : byRecipient.values()) {
      MimeMessage received = mails.get(0);
      assertThat(received.getSubject()).isEqualTo("Demo sneakers go on sale in 60 minutes");
      assertThat(received.getFrom()[0].toString()).isEqualTo("sales@flashsale.test");
      assertThat(received.getContent().toString())
          .contains("Demo sneakers go on sale in 60 minutes")
          .contains("2030-05-04 12:00 UTC");
    }
    Await.result(mail.close());
  }

  @Test
  void failsWhenTheSmtpServerCannotBeReached() {
    String domain = freshDomain();
    MailNotifier mail =
        new MailNotifier(
            vertx,
            new MailNotifier.Settings(
                "127.0.0.1", portNobodyListensOn(), "sales@flashsale.test", null, null));

    Throwable failure =
        failureOf(mail.notify(notice("T-5", List.of("a@" + domain, "b@" + domain, "c@" + domain))));

    assertThat(failure).hasRootCauseInstanceOf(ConnectException.class);
    Await.result(mail.close());
  }

  @Test
  void postsTheNoticeWithItsIdempotencyKeyToTheWebhook() {
    List<Call> calls = new CopyOnWriteArrayList<>();
    HttpServer receiver =
        startReceiver(
            request ->
                request
                    .body()
                    .onSuccess(
                        body -> {
                          calls.add(new Call(request.headers(), body));
                          request.response().setStatusCode(204).end();
                        }));
    WebhookNotifier webhook = new WebhookNotifier(vertx, urlOf(receiver), Duration.ofSeconds(5));
    SaleNotice notice = notice("T-5", List.of("a@" + freshDomain()));

    Await.result(webhook.notify(notice), BOUND);

    assertThat(calls).hasSize(1);
    Call call = calls.get(0);
    assertThat(call.headers().get("Idempotency-Key")).isEqualTo(notice.saleId() + ":T-5");
    assertThat(call.headers().get("Content-Type")).startsWith("application/json");
    assertThat(new JsonObject(call.body()))
        .isEqualTo(
            new JsonObject()
                .put("saleId", notice.saleId())
                .put("productName", "Demo sneakers")
                .put("kind", "T-5")
                .put("startTime", "2030-05-04T12:00:00Z"));
    webhook.close();
    Await.result(receiver.close());
  }

  @Test
  void failsWhenTheWebhookAnswersWithAServerError() {
    HttpServer receiver = startReceiver(request -> request.response().setStatusCode(500).end());
    WebhookNotifier webhook = new WebhookNotifier(vertx, urlOf(receiver), Duration.ofSeconds(5));

    Throwable failure = failureOf(webhook.notify(notice("T-60", List.of())));

    assertThat(failure).hasMessageContaining("500");
    webhook.close();
    Await.result(receiver.close());
  }

  @Test
  void failsWhenTheWebhookDoesNotAnswerWithinItsTimeout() {
    HttpServer receiver =
        startReceiver(
            request -> {
              /* never answers */
            });
    WebhookNotifier webhook = new WebhookNotifier(vertx, urlOf(receiver), Duration.ofMillis(300));

    Throwable failure = failureOf(webhook.notify(notice("T-60", List.of())));

    assertThat(failure).isInstanceOf(TimeoutException.class);
    webhook.close();
    Await.result(receiver.close());
  }

  @Test
  void allChannelsFailWhenOneFailsYetEveryChannelIsTried() {
    String domain = freshDomain();
    List<Call> calls = new CopyOnWriteArrayList<>();
    HttpServer receiver =
        startReceiver(
            request -> {
              calls.add(new Call(request.headers(), Buffer.buffer()));
              request.response().setStatusCode(503).end();
            });
    MailNotifier mail = new MailNotifier(vertx, localSmtp());
    WebhookNotifier webhook = new WebhookNotifier(vertx, urlOf(receiver), Duration.ofSeconds(5));
    Notifier both = Notifier.all(List.of(mail, webhook));

    Throwable failure = failureOf(both.notify(notice("T-60", List.of("only@" + domain))));

    assertThat(failure).hasMessageContaining("503");
    assertThat(smtp.getReceivedMessagesForDomain(domain)).hasSize(1);
    assertThat(calls).hasSize(1);
    Await.result(mail.close());
    webhook.close();
    Await.result(receiver.close());
  }

  private static SaleNotice notice(String kind, List<String> recipients) {
    return new SaleNotice("sale-" + UUID.randomUUID(), "Demo sneakers", kind, START, recipients);
  }

  private static MailNotifier.Settings localSmtp() {
    return new MailNotifier.Settings(
        "127.0.0.1", smtp.getSmtp().getPort(), "sales@flashsale.test", null, null);
  }

  /** Each test reads only the mail sent to its own domain. */
  private static String freshDomain() {
    return "t" + UUID.randomUUID().toString().replace("-", "") + ".test";
  }

  private static String soleRecipient(MimeMessage message) {
    try {
      assertThat(message.getRecipients(Message.RecipientType.TO)).hasSize(1);
      return message.getRecipients(Message.RecipientType.TO)[0].toString();
    } catch (MessagingException e) {
      throw new AssertionError(e);
    }
  }

  private static HttpServer startReceiver(Handler<HttpServerRequest> handler) {
    return Await.result(
        vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1"), BOUND);
  }

  private static String urlOf(HttpServer receiver) {
    return "http://127.0.0.1:" + receiver.actualPort() + "/hooks/sale-countdown";
  }

  /**
   * A port that was free a moment ago and is closed again, so a connection there is refused at
   * once.
   */
  private static int portNobodyListensOn() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits, bounded, for the future to fail and returns why; a success fails the test. */
  private static Throwable failureOf(Future<?> future) {
    Throwable failure =
        Await.result(future.transform(done -> Future.succeededFuture(done.cause())), BOUND);
    assertThat(failure).as("the notice should have failed").isNotNull();
    return failure;
  }
}

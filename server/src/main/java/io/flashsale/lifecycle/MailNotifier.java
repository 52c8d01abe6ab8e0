package io.flashsale.lifecycle;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Sends every recipient of a notice their own e-mail over SMTP. A failed notice may already have
 * reached some recipients, and the caller's retry mails them again: SMTP offers no idempotency key,
 * and a second reminder is harmless, so e-mail accepts duplicates rather than keep a sent-list.
 */
public final class MailNotifier implements Notifier {

  /** {@code username} and {@code password} may be null: then the client does not log in. */
  public record Settings(String host, int port, String from, String username, String password) {}

  // Enough parallel SMTP sessions to get through a long subscriber list, few enough that a relay
  // does not throttle us as a spammer.
  private static final int MAX_IN_FLIGHT = 8;
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
  // A server that goes quiet mid-conversation would otherwise hold its send, and the notice,
  // forever.
  private static final int SILENT_SERVER_SECONDS = 30;
  // Buyers plan by the minute; dropping the seconds tells them a time at or just before the start,
  // never after.
  private static final DateTimeFormatter START_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

  private final MailClient client;
  private final String from;

  public MailNotifier(Vertx vertx, Settings settings) {
    MailConfig config =
        new MailConfig()
            .setHostname(settings.host())
            .setPort(settings.port())
            .setStarttls(startTlsFor(settings.host()))
            .setLogin(settings.username() == null ? LoginOption.DISABLED : LoginOption.REQUIRED)
            .setUsername(settings.username())
            .setPassword(settings.password())
            .setMaxPoolSize(MAX_IN_FLIGHT)
            .setConnectTimeout(CONNECT_TIMEOUT_MILLIS)
            .setIdleTimeoutUnit(TimeUnit.SECONDS)
            .setIdleTimeout(SILENT_SERVER_SECONDS);
    this.client = MailClient.create(vertx, config);
    this.from = settings.from();
  }

  /**
   * A local relay or test server speaks plain SMTP; anywhere else the password must not cross the
   * network in clear.
   */
  private static StartTLSOptions startTlsFor(String host) {
    boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    return loopback ? StartTLSOptions.DISABLED : StartTLSOptions.OPTIONAL;
  }

  @Override
  public Future<Void> notify(SaleNotice notice) {
    Queue<String> unsent = new ConcurrentLinkedQueue<>(notice.recipients());
    int senders = Math.min(MAX_IN_FLIGHT, unsent.size());
    // join, not all: the notice completes only when no send is still in flight, so a retry never
    // overlaps it.
    return Future.join(
            Stream.generate(() -> sendUntilEmpty(unsent, notice)).limit(senders).toList())
        .mapEmpty();
  }

  /**
   * One of at most {@link #MAX_IN_FLIGHT} senders: takes the next recipient once its previous mail
   * was accepted.
   */
  private Future<Void> sendUntilEmpty(Queue<String> unsent, SaleNotice notice) {
    String recipient = unsent.poll();
    if (recipient == null) {
      return Future.succeededFuture();
    }
    return client
        .sendMail(mailTo(recipient, notice))
        // The retry mails everyone again, so each further mail of this attempt would only become a
        // duplicate.
        .onFailure(failure -> unsent.clear())
        .compose(accepted -> sendUntilEmpty(unsent, notice));
  }

  private MailMessage mailTo(String recipient, SaleNotice notice) {
    String headline =
        notice.productName()
            + " go on sale in "
            + notice.minutesBeforeStart()
            + (notice.minutesBeforeStart() == 1 ? " minute" : " minutes");
    return new MailMessage()
        .setFrom(from)
        .setTo(recipient)
        .setSubject(headline)
        .setText(headline + ", at " + START_TIME.format(notice.startTime()) + ".\n");
  }

  public Future<Void> close() {
    return client.close();
  }
}

package io.flashsale.lifecycle;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpResponseExpectation;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;

/**
 * POSTs each notice as JSON to one URL. A retried notice carries the same {@code Idempotency-Key}
 * ({@code <saleId>:<kind>}), so the receiver can drop the duplicate.
 */
public final class WebhookNotifier implements Notifier {

  private final WebClient client;
  private final String url;
  private final Duration timeout;

  public WebhookNotifier(Vertx vertx, String url, Duration timeout) {
    this.client = WebClient.create(vertx);
    this.url = url;
    this.timeout = timeout;
  }

  @Override
  public Future<Void> notify(SaleNotice notice) {
    return client
        .postAbs(url)
        .putHeader("Idempotency-Key", notice.saleId() + ":" + notice.kind())
        // bounds both the connect and any silence from the receiver
        .timeout(timeout.toMillis())
        .sendJsonObject(notice.toJson())
        .expecting(HttpResponseExpectation.SC_SUCCESS)
        .mapEmpty();
  }

  public void close() {
    client.close();
  }
}

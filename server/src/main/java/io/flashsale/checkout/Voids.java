package io.flashsale.checkout;

import io.flashsale.payment.PaymentGateway;
import io.flashsale.sale.AuthorizationRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;

/**
 * Voids every card authorisation that did not become a sale: losers once the sale ends, expired and
 * cancelled holds at once. Runs on every instance; SKIP LOCKED gives each authorisation to one
 * sweep, and a void the gateway did not confirm is tried again next time.
 */
public final class Voids {

  private static final int BATCH = 200;

  private final Pool pool;
  private final AuthorizationRepository authorizations;
  private final PaymentGateway gateway;
  private final MeterRegistry metrics;

  public Voids(
      Pool pool,
      AuthorizationRepository authorizations,
      PaymentGateway gateway,
      MeterRegistry metrics) {
    this.pool = pool;
    this.authorizations = authorizations;
    this.gateway = gateway;
    this.metrics = metrics;
  }

  /** One sweep; resolves to the number of authorisations voided. */
  public Future<Integer> sweep() {
    return pool.withTransaction(
        conn ->
            authorizations
                .lockDueForVoid(conn, BATCH)
                .compose(
                    due -> {
                      List<Future<String>> voided =
                          due.stream()
                              .map(
                                  authorization ->
                                      gateway
                                          .voidAuthorization(
                                              authorization.authorizationId(),
                                              "void:" + authorization.authorizationId())
                                          .map(authorization.authorizationId()))
                              .toList();
                      return Future.join(voided)
                          .transform(
                              all -> {
                                List<String> confirmed = new ArrayList<>();
                                voided.stream()
                                    .filter(Future::succeeded)
                                    .forEach(v -> confirmed.add(v.result()));
                                metrics
                                    .counter("flashsale.authorizations.voided")
                                    .increment(confirmed.size());
                                return confirmed.isEmpty()
                                    ? Future.succeededFuture(0)
                                    : authorizations
                                        .markVoided(conn, confirmed)
                                        .map(confirmed.size());
                              });
                    }));
  }
}

package io.flashsale.payment;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * An in-process card gateway for the embedded default and the tests: answers after a latency,
 * declines a configurable share of authorisations, and keeps its own ledger so tests can check
 * that nothing was captured twice and every loser was voided.
 */
public final class SimulatedPaymentGateway implements PaymentGateway {

  public enum State { AUTHORIZED, DECLINED, CAPTURED, VOIDED }

  /** The gateway's own record of one authorisation. */
  public record Ledger(String authorizationId, String userId, long amountCents, String currency,
                       State state, int captures) {}

  private final Vertx vertx;
  private final Duration latency;
  private final double declineRate;
  private final Map<String, Authorization> authorizationsByKey = new ConcurrentHashMap<>();
  private final Map<String, Ledger> ledger = new ConcurrentHashMap<>();
  private final Map<String, Capture> capturesByKey = new ConcurrentHashMap<>();

  public SimulatedPaymentGateway(Vertx vertx, Duration latency, double declineRate) {
    this.vertx = vertx;
    this.latency = latency;
    this.declineRate = declineRate;
  }

  @Override
  public Future<Authorization> authorize(AuthorizationRequest request) {
    return afterLatency(() -> authorizationsByKey.computeIfAbsent(request.idempotencyKey(), key -> {
      String id = "auth_" + UUID.randomUUID();
      boolean approved = ThreadLocalRandom.current().nextDouble() >= declineRate;
      ledger.put(id, new Ledger(id, request.userId(), request.amountCents(), request.currency(),
          approved ? State.AUTHORIZED : State.DECLINED, 0));
      return new Authorization(id, approved, approved ? null : "card_declined");
    }));
  }

  @Override
  public Future<Capture> capture(String authorizationId, long amountCents, String idempotencyKey) {
    return afterLatency(() -> capturesByKey.computeIfAbsent(idempotencyKey, key -> {
      Ledger[] outcome = new Ledger[1];
      ledger.computeIfPresent(authorizationId, (id, entry) -> {
        outcome[0] = entry.state() == State.AUTHORIZED && amountCents <= entry.amountCents()
            ? new Ledger(id, entry.userId(), entry.amountCents(), entry.currency(), State.CAPTURED, entry.captures() + 1)
            : entry;
        return outcome[0];
      });
      boolean captured = outcome[0] != null && outcome[0].state() == State.CAPTURED;
      return new Capture(captured ? "cap_" + UUID.randomUUID() : null, captured,
          captured ? null : "authorization_not_capturable");
    }));
  }

  @Override
  public Future<Void> voidAuthorization(String authorizationId, String idempotencyKey) {
    return afterLatency(() -> {
      ledger.computeIfPresent(authorizationId, (id, entry) -> entry.state() == State.AUTHORIZED
          ? new Ledger(id, entry.userId(), entry.amountCents(), entry.currency(), State.VOIDED, entry.captures())
          : entry);
      return null;
    });
  }

  public Map<String, Ledger> ledger() {
    return Map.copyOf(ledger);
  }

  private <T> Future<T> afterLatency(Supplier<T> answer) {
    if (latency.isZero()) {
      return Future.succeededFuture(answer.get());
    }
    Promise<T> promise = Promise.promise();
    vertx.setTimer(latency.toMillis(), timer -> promise.complete(answer.get()));
    return promise.future();
  }
}

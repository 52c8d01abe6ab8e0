package io.flashsale.payment;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * An in-process card gateway for the embedded default and the tests. It answers after a
 * latency, declines or times out a configurable share of calls, honours test payment methods
 * the way real gateways' test cards do, and keeps its own ledger so tests can check that
 * nothing was captured twice and every loser was voided.
 *
 * <p>Test payment methods: {@code pm_card_declined} (authorisation declined),
 * {@code pm_card_capture_declined} (capture declined), {@code pm_card_capture_error} (every
 * capture fails with a gateway error), {@code pm_card_slow} (authorised after 3 s, a card
 * whose bank takes its time). Anything else is a working card.
 */
public final class SimulatedPaymentGateway implements PaymentGateway {

  public static final String DECLINED_CARD = "pm_card_declined";
  public static final String CAPTURE_DECLINED_CARD = "pm_card_capture_declined";
  public static final String CAPTURE_ERROR_CARD = "pm_card_capture_error";
  public static final String SLOW_CARD = "pm_card_slow";
  private static final Duration SLOW_CARD_LATENCY = Duration.ofMillis(3_000);

  public enum State { AUTHORIZED, DECLINED, CAPTURED, VOIDED }

  /** The gateway's own record of one authorisation. */
  public record Ledger(String authorizationId, String userId, String paymentMethodId, long amountCents,
                       String currency, State state, int captures) {
    Ledger in(State next, int captureCount) {
      return new Ledger(authorizationId, userId, paymentMethodId, amountCents, currency, next, captureCount);
    }
  }

  private final Vertx vertx;
  private final Duration latency;
  private final double declineRate;
  private final double timeoutRate;
  /** An answer kept for replay under its idempotency key, with when it was given. */
  private record Kept<T>(T answer, String authorizationId, long atMillis) {}

  private final Map<String, Kept<Authorization>> authorizationsByKey = new ConcurrentHashMap<>();
  private final Map<String, Ledger> ledger = new ConcurrentHashMap<>();
  private final Map<String, Kept<Capture>> capturesByKey = new ConcurrentHashMap<>();
  private volatile long outageUntilMillis;

  /**
   * {@code retention}: how long settled holds (captured, voided, declined) and their replayable
   * answers are kept; open authorisations are kept until they settle. Bounds the memory of a
   * long-running embedded server.
   */
  public SimulatedPaymentGateway(Vertx vertx, Duration latency, double declineRate, double timeoutRate,
                                 Duration retention) {
    this.vertx = vertx;
    this.latency = latency;
    this.declineRate = declineRate;
    this.timeoutRate = timeoutRate;
    vertx.setPeriodic(Math.max(1_000, retention.toMillis() / 4), id -> forgetOlderThan(retention));
  }

  private void forgetOlderThan(Duration retention) {
    long cutoff = System.currentTimeMillis() - retention.toMillis();
    authorizationsByKey.values().removeIf(kept -> {
      Ledger entry = ledger.get(kept.authorizationId());
      if (kept.atMillis() >= cutoff || (entry != null && entry.state() == State.AUTHORIZED)) {
        return false;
      }
      ledger.remove(kept.authorizationId());
      return true;
    });
    capturesByKey.values().removeIf(kept -> kept.atMillis() < cutoff);
  }

  @Override
  public Future<Authorization> authorize(AuthorizationRequest request) {
    Duration wait = SLOW_CARD.equals(request.paymentMethodId()) ? SLOW_CARD_LATENCY : latency;
    return answer(wait, () -> authorizationsByKey.computeIfAbsent(request.idempotencyKey(), key -> {
      String id = "auth_" + UUID.randomUUID();
      boolean approved = !DECLINED_CARD.equals(request.paymentMethodId())
          && ThreadLocalRandom.current().nextDouble() >= declineRate;
      ledger.put(id, new Ledger(id, request.userId(), request.paymentMethodId(), request.amountCents(),
          request.currency(), approved ? State.AUTHORIZED : State.DECLINED, 0));
      return new Kept<>(new Authorization(id, approved, approved ? null : "card_declined"), id,
          System.currentTimeMillis());
    }).answer());
  }

  @Override
  public Future<Capture> capture(String authorizationId, long amountCents, String idempotencyKey) {
    Ledger entry = ledger.get(authorizationId);
    if (entry != null && CAPTURE_ERROR_CARD.equals(entry.paymentMethodId())) {
      return afterLatency(latency, () -> Future.failedFuture(new IllegalStateException("simulated gateway error on capture")));
    }
    return answer(latency, () -> capturesByKey.computeIfAbsent(idempotencyKey, key -> {
      Ledger[] outcome = new Ledger[1];
      ledger.computeIfPresent(authorizationId, (id, current) -> {
        boolean capturable = current.state() == State.AUTHORIZED && amountCents <= current.amountCents()
            && !CAPTURE_DECLINED_CARD.equals(current.paymentMethodId());
        outcome[0] = capturable ? current.in(State.CAPTURED, current.captures() + 1) : current;
        return outcome[0];
      });
      boolean captured = outcome[0] != null && outcome[0].state() == State.CAPTURED;
      return new Kept<>(new Capture(captured ? "cap_" + UUID.randomUUID() : null, captured,
          captured ? null : "capture_declined"), authorizationId, System.currentTimeMillis());
    }).answer());
  }

  @Override
  public Future<Void> voidAuthorization(String authorizationId, String idempotencyKey) {
    return answer(latency, () -> {
      ledger.computeIfPresent(authorizationId, (id, entry) -> entry.state() == State.AUTHORIZED
          ? entry.in(State.VOIDED, entry.captures())
          : entry);
      return null;
    });
  }

  /** Every call fails as a timeout until {@code duration} from now: a gateway outage. */
  public void outageFor(Duration duration) {
    outageUntilMillis = System.currentTimeMillis() + duration.toMillis();
  }

  public Map<String, Ledger> ledger() {
    return Map.copyOf(ledger);
  }

  /** A timed-out call changes nothing here: the caller retries with the same key. */
  private <T> Future<T> answer(Duration wait, Supplier<T> answer) {
    boolean timesOut = System.currentTimeMillis() < outageUntilMillis
        || (timeoutRate > 0 && ThreadLocalRandom.current().nextDouble() < timeoutRate);
    return afterLatency(wait, () -> timesOut
        ? Future.failedFuture(new TimeoutException("simulated gateway timeout"))
        : Future.succeededFuture(answer.get()));
  }

  private <T> Future<T> afterLatency(Duration wait, Supplier<Future<T>> answer) {
    if (wait.isZero()) {
      return answer.get();
    }
    Promise<T> promise = Promise.promise();
    vertx.setTimer(wait.toMillis(), timer -> answer.get().onComplete(promise));
    return promise.future();
  }
}

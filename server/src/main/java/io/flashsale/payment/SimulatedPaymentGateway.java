package io.flashsale.payment;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A card gateway simulated inside the engine, for the embedded default, demo clusters and the
 * tests. It answers after a latency, declines or times out a configurable share of calls, honours
 * test payment methods the way real gateways' test cards do, and keeps a ledger so tests can check
 * that nothing was captured twice and every loser was voided.
 *
 * <p>The ledger (authorisations, their states and capture counts, and the answers replayed by
 * idempotency key) lives in PostgreSQL, tables {@code simulated_gateway_*}, not in the process:
 * every node of a cluster is a door into the same gateway, as with a real one. A card authorised
 * through one node is captured or voided through any other, and each operation is one statement or
 * one transaction on the authorisation's row lock, so a capture racing on two nodes captures once.
 * A capture or void of an authorisation the ledger does not hold fails with {@link
 * AuthorizationUnknownException}; it is never a decline.
 *
 * <p>Test payment methods: {@code pm_card_declined} (authorisation declined), {@code
 * pm_card_capture_declined} (capture declined), {@code pm_card_capture_error} (every capture fails
 * with a gateway error), {@code pm_card_slow} (authorised after 3 s, a card whose bank takes its
 * time). Anything else is a working card.
 */
public final class SimulatedPaymentGateway implements PaymentGateway {

  private static final Logger LOG = LoggerFactory.getLogger(SimulatedPaymentGateway.class);

  public static final String DECLINED_CARD = "pm_card_declined";
  public static final String CAPTURE_DECLINED_CARD = "pm_card_capture_declined";
  public static final String CAPTURE_ERROR_CARD = "pm_card_capture_error";
  public static final String SLOW_CARD = "pm_card_slow";
  private static final Duration SLOW_CARD_LATENCY = Duration.ofMillis(3_000);

  public enum State {
    AUTHORIZED,
    DECLINED,
    CAPTURED,
    VOIDED
  }

  /**
   * The gateway's record of one authorisation; {@code authorizedBy} is the engine process that
   * asked (pid@host).
   */
  public record Ledger(
      String authorizationId,
      String userId,
      String paymentMethodId,
      long amountCents,
      String currency,
      State state,
      int captures,
      String authorizedBy) {}

  // A repeated key does nothing here; the answer is then read back, and a new statement sees the
  // row a concurrent first request committed (it waited for that commit on the unique key).
  private static final String AUTHORIZE =
      """
      INSERT INTO simulated_gateway_authorizations
        (authorization_id, idempotency_key, user_id, payment_method_id, amount_cents, currency, state, authorized_by)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (idempotency_key) DO NOTHING""";
  private static final String AUTHORIZATION_BY_KEY =
      "SELECT authorization_id, state FROM simulated_gateway_authorizations WHERE idempotency_key = $1";
  // Every capture of one authorisation, whatever its key and node, queues on this row lock.
  private static final String LOCK_AUTHORIZATION =
      """
      SELECT payment_method_id, amount_cents, state FROM simulated_gateway_authorizations
      WHERE authorization_id = $1 FOR UPDATE""";
  private static final String KEEP_CAPTURE_ANSWER =
      """
      INSERT INTO simulated_gateway_captures (idempotency_key, authorization_id, capture_id, decline_reason)
      VALUES ($1, $2, $3, $4)
      ON CONFLICT (idempotency_key) DO NOTHING""";
  private static final String CAPTURE_ANSWER_BY_KEY =
      "SELECT capture_id, decline_reason FROM simulated_gateway_captures WHERE idempotency_key = $1";
  private static final String MARK_CAPTURED =
      """
      UPDATE simulated_gateway_authorizations SET state = 'CAPTURED', captures = captures + 1
      WHERE authorization_id = $1""";
  // One statement: no row means the ledger does not know the authorisation; a settled one stays as
  // it is.
  private static final String VOID =
      """
      UPDATE simulated_gateway_authorizations
      SET state = CASE WHEN state = 'AUTHORIZED' THEN 'VOIDED' ELSE state END
      WHERE authorization_id = $1""";
  private static final String FORGET_SETTLED =
      """
      DELETE FROM simulated_gateway_authorizations
      WHERE state <> 'AUTHORIZED' AND created_at < now() - make_interval(secs => $1)""";
  private static final String FORGET_CAPTURE_ANSWERS =
      "DELETE FROM simulated_gateway_captures WHERE created_at < now() - make_interval(secs => $1)";
  private static final String LEDGER =
      """
      SELECT authorization_id, user_id, payment_method_id, amount_cents, currency, state, captures, authorized_by
      FROM simulated_gateway_authorizations""";

  private final Vertx vertx;
  private final Pool pool;
  private final Duration latency;
  private final double declineRate;
  private final double timeoutRate;
  private final Clock clock;
  private final String process =
      ProcessHandle.current().pid()
          + "@"
          + Objects.requireNonNullElse(System.getenv("HOSTNAME"), "localhost");
  private final long forgetTimer;
  private volatile long outageUntilMillis;
  private volatile long slowUntilMillis;
  private volatile long slowByMillis;

  /**
   * {@code pool}: connections to the engine's PostgreSQL for the gateway alone (a real gateway is
   * its own service; it must not wait on the connections checkouts hold), the database every node
   * shares. {@code retention}: how long settled holds (captured, voided, declined) and replayable
   * capture answers are kept; open authorisations are kept until they settle. Bounds the ledger of
   * a long-running demo. Every node forgets; the deletes are idempotent.
   */
  public SimulatedPaymentGateway(
      Vertx vertx,
      Pool pool,
      Duration latency,
      double declineRate,
      double timeoutRate,
      Duration retention,
      Clock clock) {
    this.vertx = vertx;
    this.clock = clock;
    this.pool = pool;
    this.latency = latency;
    this.declineRate = declineRate;
    this.timeoutRate = timeoutRate;
    this.forgetTimer =
        vertx.setPeriodic(
            Math.max(1_000, retention.toMillis() / 4), id -> forgetOlderThan(retention));
  }

  private void forgetOlderThan(Duration retention) {
    Tuple age = Tuple.of(retention.toMillis() / 1000.0);
    pool.preparedQuery(FORGET_SETTLED)
        .execute(age)
        .compose(done -> pool.preparedQuery(FORGET_CAPTURE_ANSWERS).execute(age))
        .onFailure(
            e -> LOG.debug("simulated gateway could not forget settled holds; next round will", e));
  }

  /** Stops forgetting; the ledger stays in the database. */
  public void close() {
    vertx.cancelTimer(forgetTimer);
  }

  @Override
  public Future<Authorization> authorize(AuthorizationRequest request) {
    Duration wait = SLOW_CARD.equals(request.paymentMethodId()) ? SLOW_CARD_LATENCY : latency;
    return answer(
        wait,
        () -> {
          boolean approved =
              !DECLINED_CARD.equals(request.paymentMethodId())
                  && ThreadLocalRandom.current().nextDouble() >= declineRate;
          return pool.preparedQuery(AUTHORIZE)
              .execute(
                  Tuple.of(
                      "auth_" + UUID.randomUUID(),
                      request.idempotencyKey(),
                      request.userId(),
                      request.paymentMethodId(),
                      request.amountCents(),
                      request.currency(),
                      (approved ? State.AUTHORIZED : State.DECLINED).name(),
                      process))
              .compose(
                  inserted ->
                      pool.preparedQuery(AUTHORIZATION_BY_KEY)
                          .execute(Tuple.of(request.idempotencyKey())))
              .map(
                  rows -> {
                    Row first = rows.iterator().next();
                    boolean declined = State.valueOf(first.getString("state")) == State.DECLINED;
                    return new Authorization(
                        first.getString("authorization_id"),
                        !declined,
                        declined ? "card_declined" : null);
                  });
        });
  }

  @Override
  public Future<Capture> capture(String authorizationId, long amountCents, String idempotencyKey) {
    return answer(
        latency,
        () ->
            pool.withTransaction(
                conn ->
                    conn.preparedQuery(LOCK_AUTHORIZATION)
                        .execute(Tuple.of(authorizationId))
                        .compose(
                            rows -> {
                              if (rows.size() == 0) {
                                return Future.failedFuture(
                                    new AuthorizationUnknownException(authorizationId));
                              }
                              Row held = rows.iterator().next();
                              String paymentMethod = held.getString("payment_method_id");
                              if (CAPTURE_ERROR_CARD.equals(paymentMethod)) {
                                return Future.failedFuture(
                                    new IllegalStateException(
                                        "simulated gateway error on capture"));
                              }
                              boolean capturable =
                                  State.valueOf(held.getString("state")) == State.AUTHORIZED
                                      && amountCents <= held.getLong("amount_cents")
                                      && !CAPTURE_DECLINED_CARD.equals(paymentMethod);
                              Capture fresh =
                                  capturable
                                      ? new Capture("cap_" + UUID.randomUUID(), true, null)
                                      : new Capture(null, false, "capture_declined");
                              return conn.preparedQuery(KEEP_CAPTURE_ANSWER)
                                  .execute(
                                      Tuple.of(
                                          idempotencyKey,
                                          authorizationId,
                                          fresh.captureId(),
                                          fresh.declineReason()))
                                  .compose(
                                      kept ->
                                          kept.rowCount() == 0
                                              ? replayCapture(conn, idempotencyKey)
                                              : capturable
                                                  ? conn.preparedQuery(MARK_CAPTURED)
                                                      .execute(Tuple.of(authorizationId))
                                                      .map(fresh)
                                                  : Future.succeededFuture(fresh));
                            })));
  }

  /** The key was used before: the first answer, whatever the authorisation's state is now. */
  private static Future<Capture> replayCapture(SqlConnection conn, String idempotencyKey) {
    return conn.preparedQuery(CAPTURE_ANSWER_BY_KEY)
        .execute(Tuple.of(idempotencyKey))
        .map(
            rows -> {
              Row kept = rows.iterator().next();
              String captureId = kept.getString("capture_id");
              return new Capture(captureId, captureId != null, kept.getString("decline_reason"));
            });
  }

  /** Voiding a settled authorisation changes nothing and succeeds: nothing is left to release. */
  @Override
  public Future<Void> voidAuthorization(String authorizationId, String idempotencyKey) {
    return answer(
        latency,
        () ->
            pool.preparedQuery(VOID)
                .execute(Tuple.of(authorizationId))
                .compose(
                    updated ->
                        updated.rowCount() == 0
                            ? Future.failedFuture(
                                new AuthorizationUnknownException(authorizationId))
                            : Future.succeededFuture()));
  }

  /**
   * Every call from this process fails as a timeout until {@code duration} from now: this node's
   * link to the gateway is down.
   */
  public void outageFor(Duration duration) {
    outageUntilMillis = clock.millis() + duration.toMillis();
  }

  /**
   * Until {@code duration} from now, every call from this process takes effect at once but its
   * answer arrives {@code late} afterwards: the case of a gateway whose answer is slow or lost
   * although the capture went through.
   */
  public void slowFor(Duration duration, Duration late) {
    slowByMillis = late.toMillis();
    slowUntilMillis = clock.millis() + duration.toMillis();
  }

  /** The whole ledger, every node's authorisations, by authorisation id. */
  public Future<Map<String, Ledger>> ledger() {
    return pool.query(LEDGER).execute().map(SimulatedPaymentGateway::ledgerOf);
  }

  private static Map<String, Ledger> ledgerOf(RowSet<Row> rows) {
    Map<String, Ledger> ledger = new HashMap<>();
    rows.forEach(
        row ->
            ledger.put(
                row.getString("authorization_id"),
                new Ledger(
                    row.getString("authorization_id"),
                    row.getString("user_id"),
                    row.getString("payment_method_id"),
                    row.getLong("amount_cents"),
                    row.getString("currency"),
                    State.valueOf(row.getString("state")),
                    row.getInteger("captures"),
                    row.getString("authorized_by"))));
    return Map.copyOf(ledger);
  }

  /**
   * A timed-out call changes nothing in the ledger: the caller retries with the same key. A slow
   * one does, and answers late.
   */
  private <T> Future<T> answer(Duration wait, Supplier<Future<T>> answer) {
    long now = clock.millis();
    boolean timesOut =
        now < outageUntilMillis
            || (timeoutRate > 0 && ThreadLocalRandom.current().nextDouble() < timeoutRate);
    if (!timesOut && now < slowUntilMillis) {
      long late = slowByMillis;
      return afterLatency(wait, answer).compose(done -> vertx.timer(late).map(done));
    }
    return afterLatency(
        wait,
        () ->
            timesOut
                ? Future.failedFuture(new TimeoutException("simulated gateway timeout"))
                : answer.get());
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

package io.flashsale.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.payment.HttpPaymentGateway.GatewayRejectedException;
import io.flashsale.payment.HttpPaymentGateway.GatewayUnavailableException;
import io.flashsale.payment.HttpPaymentGateway.Settings;
import io.flashsale.payment.PaymentGateway.Authorization;
import io.flashsale.payment.PaymentGateway.AuthorizationRequest;
import io.flashsale.payment.PaymentGateway.Capture;
import io.flashsale.support.Await;
import io.flashsale.support.Poll;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpPaymentGatewayTest {

  private static final String API_KEY = "sk_test_flashsale";
  private static final Duration TIMEOUT = Duration.ofMillis(500);
  private static final Duration LIMIT = Duration.ofSeconds(20);

  private static Vertx vertx;

  private FakeCardApi api;
  private final List<HttpPaymentGateway> gateways = new ArrayList<>();

  @BeforeAll
  static void startVertxAndWarmUp() {
    vertx = Vertx.vertx();
    // The JVM's first request loads Netty, Jackson and the router; that must not eat into a test's
    // timeout.
    FakeCardApi warmUp = Await.result(FakeCardApi.start(vertx, TIMEOUT.multipliedBy(4)));
    HttpPaymentGateway gateway =
        new HttpPaymentGateway(vertx, settings(warmUp, API_KEY, 4, 5, Duration.ofSeconds(1)));
    Await.result(
        gateway
            .authorize(request("warm-up", "pm_card_visa"))
            .compose(auth -> gateway.capture(auth.authorizationId(), 1_999, "warm-up:capture"))
            .eventually(warmUp::stop),
        LIMIT);
    gateway.close();
  }

  @AfterAll
  static void stopVertx() {
    Await.result(vertx.close());
  }

  @BeforeEach
  void startFakeApi() {
    api = Await.result(FakeCardApi.start(vertx, TIMEOUT.multipliedBy(4)));
  }

  @AfterEach
  void stopFakeApiAndGateways() {
    gateways.forEach(HttpPaymentGateway::close);
    Await.result(api.stop());
  }

  @Test
  void approvesAndCapturesOnceEvenWhenTheCaptureIsRetriedAfterAServerError() {
    HttpPaymentGateway gateway = gateway(API_KEY, 4, 5, Duration.ofSeconds(1));
    Authorization auth =
        Await.result(gateway.authorize(request("order-1:authorize", "pm_card_visa")), LIMIT);
    assertThat(auth.approved()).isTrue();

    api.inject(Fault.SERVER_ERROR, 2);
    Capture capture =
        Await.result(gateway.capture(auth.authorizationId(), 1_999, "order-1:capture"), LIMIT);
    Capture retriedByCaller =
        Await.result(gateway.capture(auth.authorizationId(), 1_999, "order-1:capture"), LIMIT);

    assertThat(capture.approved()).isTrue();
    assertThat(capture.captureId()).isNotNull();
    assertThat(retriedByCaller).isEqualTo(capture);
    assertThat(api.requestsWithKey("order-1:capture"))
        .as("two 503s, then the answer, then the caller's retry")
        .isEqualTo(4);
    assertThat(api.ledger().get(auth.authorizationId()))
        .satisfies(
            entry -> {
              assertThat(entry.state()).isEqualTo(State.CAPTURED);
              assertThat(entry.captures()).isEqualTo(1);
              assertThat(entry.captureId()).isEqualTo(capture.captureId());
              assertThat(entry.amountCents()).isEqualTo(1_999);
            });
  }

  @Test
  void aDeclineIsAnAnswerNotAFailureAndIsNotRetried() {
    HttpPaymentGateway gateway = gateway(API_KEY, 4, 5, Duration.ofSeconds(1));

    Authorization auth =
        Await.result(gateway.authorize(request("order-2:authorize", "pm_card_declined")), LIMIT);

    assertThat(auth.approved()).isFalse();
    assertThat(auth.declineReason()).isEqualTo("card_declined");
    assertThat(api.requestsWithKey("order-2:authorize")).isEqualTo(1);
    assertThat(api.ledger().get(auth.authorizationId()).state()).isEqualTo(State.DECLINED);
  }

  @Test
  void slowAnswersTimeOutAndAreRetriedWithTheSameIdempotencyKey() {
    HttpPaymentGateway gateway = gateway(API_KEY, 4, 5, Duration.ofSeconds(1));
    api.inject(Fault.SLOW_ANSWER, 2);

    Authorization auth =
        Await.result(gateway.authorize(request("order-3:authorize", "pm_card_visa")), LIMIT);

    assertThat(auth.approved()).isTrue();
    assertThat(api.received())
        .extracting(Received::idempotencyKey)
        .containsExactly("order-3:authorize", "order-3:authorize", "order-3:authorize");
    assertThat(api.ledger())
        .as("the slow first attempt authorised; the retries were answered from the key")
        .hasSize(1)
        .containsKey(auth.authorizationId());
  }

  @Test
  void droppedConnectionsAreRetried() {
    HttpPaymentGateway gateway = gateway(API_KEY, 4, 5, Duration.ofSeconds(1));
    Authorization auth =
        Await.result(gateway.authorize(request("order-4:authorize", "pm_card_visa")), LIMIT);
    api.inject(Fault.DROPPED_CONNECTION, 2);

    Capture capture =
        Await.result(gateway.capture(auth.authorizationId(), 1_999, "order-4:capture"), LIMIT);

    assertThat(capture.approved()).isTrue();
    assertThat(api.requestsWithKey("order-4:capture")).isEqualTo(3);
    assertThat(api.ledger().get(auth.authorizationId()).captures()).isEqualTo(1);
  }

  @Test
  void aGatewayThatRefusesConnectionsFailsTheCallAfterEveryAttempt() {
    String closedPort = api.baseUrl();
    Await.result(api.stop());
    HttpPaymentGateway gateway =
        gateway(
            new Settings(
                closedPort, API_KEY, TIMEOUT, 3, Duration.ofMillis(10), 5, Duration.ofSeconds(1)));

    Throwable failure = failureOf(gateway.authorize(request("order-5:authorize", "pm_card_visa")));

    assertThat(failure)
        .isInstanceOf(GatewayUnavailableException.class)
        .hasMessageContaining("3 attempt(s)");
  }

  @Test
  void aPersistentOutageOpensTheBreakerThenCallsFailFastUntilTheResetTimeoutLetsOneThrough() {
    HttpPaymentGateway gateway = gateway(API_KEY, 2, 3, Duration.ofSeconds(1));
    api.inject(Fault.SERVER_ERROR, Integer.MAX_VALUE);

    for (int call = 1; call <= 2; call++) {
      assertThat(failureOf(gateway.authorize(request("outage-" + call, "pm_card_visa"))))
          .isInstanceOf(GatewayUnavailableException.class)
          .hasMessageContaining("2 attempt(s)");
    }
    // The call after the opening one is chained on the event loop so it surely runs before the
    // reset timeout.
    Future<Authorization> afterOpening =
        gateway
            .authorize(request("outage-3", "pm_card_visa"))
            .transform(opening -> gateway.authorize(request("outage-4", "pm_card_visa")));
    assertThat(failureOf(afterOpening))
        .isInstanceOf(GatewayUnavailableException.class)
        .hasMessageContaining("breaker is open");
    assertThat(api.received())
        .as("three calls of two attempts; the fourth never left the client")
        .hasSize(6);
    assertThat(api.requestsWithKey("outage-4")).isZero();

    api.inject(Fault.SERVER_ERROR, 0);
    AtomicInteger probe = new AtomicInteger();
    Poll.until(
        () ->
            outcomeOf(
                gateway.authorize(request("recovery-" + probe.incrementAndGet(), "pm_card_visa"))),
        AsyncResult::succeeded,
        LIMIT);
    assertThat(api.received())
        .as("calls while open failed fast; only the half-open trial reached the API")
        .hasSize(7);

    Authorization afterRecovery =
        Await.result(gateway.authorize(request("after-recovery", "pm_card_visa")), LIMIT);
    assertThat(afterRecovery.approved()).isTrue();
    assertThat(api.requestsWithKey("after-recovery"))
        .as("the breaker is closed again")
        .isEqualTo(1);
  }

  @Test
  void voidIsIdempotent() {
    HttpPaymentGateway gateway = gateway(API_KEY, 4, 5, Duration.ofSeconds(1));
    Authorization auth =
        Await.result(gateway.authorize(request("order-6:authorize", "pm_card_visa")), LIMIT);

    Await.result(gateway.voidAuthorization(auth.authorizationId(), "order-6:void"), LIMIT);
    Await.result(gateway.voidAuthorization(auth.authorizationId(), "order-6:void"), LIMIT);
    api.inject(Fault.DROPPED_CONNECTION, 1);
    Await.result(gateway.voidAuthorization(auth.authorizationId(), "order-6:void-again"), LIMIT);

    assertThat(api.answeredWith("order-6:void-again"))
        .as("a new key on a voided authorisation")
        .isEqualTo(409);
    assertThat(api.requestsWithKey("order-6:void-again")).as("dropped, then retried").isEqualTo(2);
    assertThat(api.ledger().get(auth.authorizationId()).state()).isEqualTo(State.VOIDED);
    Capture afterVoid =
        Await.result(gateway.capture(auth.authorizationId(), 1_999, "order-6:capture"), LIMIT);
    assertThat(afterVoid.approved()).isFalse();
    assertThat(afterVoid.declineReason()).isEqualTo("authorization_not_capturable");
    assertThat(api.ledger().get(auth.authorizationId()).captures()).isZero();
  }

  @Test
  void voidingACapturedAuthorizationIsDoneAndLeavesTheCapture() {
    HttpPaymentGateway gateway = gateway(API_KEY, 4, 5, Duration.ofSeconds(1));
    Authorization auth =
        Await.result(gateway.authorize(request("order-7:authorize", "pm_card_visa")), LIMIT);
    Await.result(gateway.capture(auth.authorizationId(), 1_999, "order-7:capture"), LIMIT);

    Await.result(gateway.voidAuthorization(auth.authorizationId(), "order-7:void"), LIMIT);

    assertThat(api.answeredWith("order-7:void")).isEqualTo(409);
    assertThat(api.ledger().get(auth.authorizationId()))
        .satisfies(
            entry -> {
              assertThat(entry.state()).isEqualTo(State.CAPTURED);
              assertThat(entry.captures()).isEqualTo(1);
            });
  }

  @Test
  void aWrongApiKeyFailsWithoutRetry() {
    HttpPaymentGateway gateway = gateway("sk_wrong", 4, 5, Duration.ofSeconds(1));

    Throwable failure = failureOf(gateway.authorize(request("order-8:authorize", "pm_card_visa")));

    assertThat(failure)
        .isInstanceOfSatisfying(
            GatewayRejectedException.class,
            rejected -> assertThat(rejected.status()).isEqualTo(401));
    assertThat(failure).hasMessageContaining("authentication_error");
    assertThat(api.requestsWithKey("order-8:authorize")).isEqualTo(1);
    assertThat(api.ledger()).isEmpty();
  }

  @Test
  void anAuthorisationTheApiDoesNotKnowIsAnErrorNotADecline() {
    HttpPaymentGateway gateway = gateway(API_KEY, 4, 5, Duration.ofSeconds(1));

    Throwable capture = failureOf(gateway.capture("auth_never_issued", 1_999, "order-9:capture"));
    Throwable voided = failureOf(gateway.voidAuthorization("auth_never_issued", "order-9:void"));

    assertThat(capture)
        .as("a 404 is no outcome for the card: the caller must not cancel on it")
        .isInstanceOf(AuthorizationUnknownException.class)
        .hasMessageContaining("auth_never_issued");
    assertThat(voided).isInstanceOf(AuthorizationUnknownException.class);
    assertThat(api.requestsWithKey("order-9:capture"))
        .as("the same request would get the same 404")
        .isEqualTo(1);
  }

  @Test
  void aCaptureAnsweredWithoutACaptureIdIsAnErrorNotAPayment() {
    HttpPaymentGateway gateway = gateway(API_KEY, 4, 5, Duration.ofSeconds(1));
    Authorization auth =
        Await.result(gateway.authorize(request("order-10:authorize", "pm_card_visa")), LIMIT);
    api.inject(Fault.NO_CAPTURE_ID, 1);

    Throwable failure =
        failureOf(gateway.capture(auth.authorizationId(), 1_999, "order-10:capture"));

    assertThat(failure)
        .isInstanceOf(UnexpectedAnswerException.class)
        .hasMessageContaining("no capture_id");
  }

  private HttpPaymentGateway gateway(
      String apiKey, int maxAttempts, int breakerFailureThreshold, Duration breakerResetTimeout) {
    return gateway(
        settings(api, apiKey, maxAttempts, breakerFailureThreshold, breakerResetTimeout));
  }

  private HttpPaymentGateway gateway(Settings settings) {
    HttpPaymentGateway gateway = new HttpPaymentGateway(vertx, settings);
    gateways.add(gateway);
    return gateway;
  }

  private static Settings settings(
      FakeCardApi api,
      String apiKey,
      int maxAttempts,
      int breakerFailureThreshold,
      Duration breakerResetTimeout) {
    return new Settings(
        api.baseUrl(),
        apiKey,
        TIMEOUT,
        maxAttempts,
        Duration.ofMillis(20),
        breakerFailureThreshold,
        breakerResetTimeout);
  }

  private static AuthorizationRequest request(String idempotencyKey, String paymentMethod) {
    return new AuthorizationRequest(
        idempotencyKey, "buyer-" + UUID.randomUUID(), paymentMethod, 1_999, "EUR");
  }

  private static <T> AsyncResult<T> outcomeOf(Future<T> future) {
    return Await.result(future.transform(outcome -> Future.succeededFuture(outcome)), LIMIT);
  }

  private static Throwable failureOf(Future<?> future) {
    AsyncResult<?> outcome = outcomeOf(future);
    assertThat(outcome.succeeded())
        .as("expected a failed call, got %s", outcome.result())
        .isFalse();
    return outcome.cause();
  }

  enum Fault {
    SERVER_ERROR,
    SLOW_ANSWER,
    DROPPED_CONNECTION,
    NO_CAPTURE_ID
  }

  enum State {
    AUTHORIZED,
    DECLINED,
    CAPTURED,
    VOIDED
  }

  /** The fake API's own record of one authorisation. */
  record LedgerEntry(
      String id, String customer, long amountCents, State state, int captures, String captureId) {

    LedgerEntry with(State newState, int newCaptures, String newCaptureId) {
      return new LedgerEntry(id, customer, amountCents, newState, newCaptures, newCaptureId);
    }
  }

  record Received(String path, String idempotencyKey) {}

  private record Answer(int status, JsonObject body) {}

  /**
   * The card API of {@link HttpPaymentGateway}'s javadoc on loopback, with an in-memory ledger.
   * Answers are stored by idempotency key and replayed. Injected faults strike after the ledger has
   * recorded the work, the harsher case: the money moved, only the answer was lost, so a retry is
   * only safe because it reuses the key.
   */
  static final class FakeCardApi {

    private final Vertx vertx;
    private final Duration slowAnswerDelay;
    private final Map<String, LedgerEntry> ledger = new ConcurrentHashMap<>();
    private final Map<String, Answer> answersByKey = new ConcurrentHashMap<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger faultsLeft = new AtomicInteger();
    private volatile Fault fault;
    private HttpServer server;

    private FakeCardApi(Vertx vertx, Duration slowAnswerDelay) {
      this.vertx = vertx;
      this.slowAnswerDelay = slowAnswerDelay;
    }

    static Future<FakeCardApi> start(Vertx vertx, Duration slowAnswerDelay) {
      FakeCardApi api = new FakeCardApi(vertx, slowAnswerDelay);
      Router router = Router.router(vertx);
      router.route().handler(api::recordAndAuthenticate);
      router.route().handler(BodyHandler.create());
      router
          .post("/v1/authorizations")
          .handler(ctx -> api.answer(ctx, () -> api.authorize(ctx.body().asJsonObject())));
      router
          .post("/v1/authorizations/:id/capture")
          .handler(
              ctx ->
                  api.answer(
                      ctx, () -> api.capture(ctx.pathParam("id"), ctx.body().asJsonObject())));
      router
          .post("/v1/authorizations/:id/void")
          .handler(ctx -> api.answer(ctx, () -> api.voidAuthorization(ctx.pathParam("id"))));
      return vertx
          .createHttpServer()
          .requestHandler(router)
          .listen(0, "127.0.0.1")
          .map(
              server -> {
                api.server = server;
                return api;
              });
    }

    Future<Void> stop() {
      return server.close();
    }

    String baseUrl() {
      return "http://127.0.0.1:" + server.actualPort();
    }

    /** The next {@code count} requests that reach the ledger get their answer lost this way. */
    void inject(Fault fault, int count) {
      this.fault = fault;
      faultsLeft.set(count);
    }

    Map<String, LedgerEntry> ledger() {
      return Map.copyOf(ledger);
    }

    List<Received> received() {
      return List.copyOf(received);
    }

    long requestsWithKey(String idempotencyKey) {
      return received.stream()
          .filter(request -> idempotencyKey.equals(request.idempotencyKey()))
          .count();
    }

    int answeredWith(String idempotencyKey) {
      return answersByKey.get(idempotencyKey).status();
    }

    private void recordAndAuthenticate(RoutingContext ctx) {
      String key = ctx.request().getHeader("Idempotency-Key");
      received.add(new Received(ctx.request().path(), key));
      if (!("Bearer " + API_KEY).equals(ctx.request().getHeader("Authorization"))) {
        send(ctx, new Answer(401, error("authentication_error", "invalid API key")));
      } else if (key == null || key.isBlank()) {
        send(
            ctx,
            new Answer(400, error("invalid_request_error", "Idempotency-Key header required")));
      } else {
        ctx.next();
      }
    }

    private void answer(RoutingContext ctx, Supplier<Answer> work) {
      Answer answer =
          answersByKey.computeIfAbsent(
              ctx.request().getHeader("Idempotency-Key"), key -> work.get());
      Fault injected = faultsLeft.getAndUpdate(left -> Math.max(0, left - 1)) > 0 ? fault : null;
      if (injected == null) {
        send(ctx, answer);
        return;
      }
      switch (injected) {
        case SERVER_ERROR ->
            send(ctx, new Answer(503, error("api_error", "temporarily unavailable")));
        case SLOW_ANSWER -> vertx.setTimer(slowAnswerDelay.toMillis(), late -> send(ctx, answer));
        case DROPPED_CONNECTION -> ctx.request().connection().close();
        case NO_CAPTURE_ID ->
            send(ctx, new Answer(answer.status(), answer.body().copy().put("capture_id", null)));
      }
    }

    private Answer authorize(JsonObject body) {
      if (body == null
          || body.getLong("amount", 0L) <= 0
          || body.getString("currency") == null
          || body.getString("payment_method") == null
          || body.getString("customer") == null
          || !"manual".equals(body.getString("capture_method"))) {
        return new Answer(
            400,
            error(
                "invalid_request_error",
                "amount, currency, payment_method, customer "
                    + "and capture_method=manual are required"));
      }
      String id = "auth_" + UUID.randomUUID();
      boolean declined = "pm_card_declined".equals(body.getString("payment_method"));
      ledger.put(
          id,
          new LedgerEntry(
              id,
              body.getString("customer"),
              body.getLong("amount"),
              declined ? State.DECLINED : State.AUTHORIZED,
              0,
              null));
      return declined
          ? new Answer(
              402,
              new JsonObject()
                  .put("id", id)
                  .put("status", "declined")
                  .put("decline_code", "card_declined"))
          : new Answer(200, new JsonObject().put("id", id).put("status", "authorized"));
    }

    private Answer capture(String id, JsonObject body) {
      LedgerEntry entry = ledger.get(id);
      if (entry == null) {
        return new Answer(404, error("invalid_request_error", "no authorization " + id));
      }
      if (entry.state() != State.AUTHORIZED
          || body == null
          || body.getLong("amount", 0L) > entry.amountCents()) {
        return new Answer(
            402,
            new JsonObject()
                .put("status", "declined")
                .put("decline_code", "authorization_not_capturable"));
      }
      String captureId = "cap_" + UUID.randomUUID();
      ledger.put(id, entry.with(State.CAPTURED, entry.captures() + 1, captureId));
      return new Answer(
          200,
          new JsonObject().put("id", id).put("status", "captured").put("capture_id", captureId));
    }

    private Answer voidAuthorization(String id) {
      LedgerEntry entry = ledger.get(id);
      if (entry == null) {
        return new Answer(404, error("invalid_request_error", "no authorization " + id));
      }
      if (entry.state() != State.AUTHORIZED) {
        return new Answer(
            409, error("invalid_state", "authorization is " + entry.state().name().toLowerCase()));
      }
      ledger.put(id, entry.with(State.VOIDED, entry.captures(), null));
      return new Answer(200, new JsonObject().put("id", id).put("status", "voided"));
    }

    private static JsonObject error(String type, String message) {
      return new JsonObject()
          .put("error", new JsonObject().put("type", type).put("message", message));
    }

    /**
     * A slow answer may find its connection already closed by the client's timeout; then there is
     * no one to tell.
     */
    private static void send(RoutingContext ctx, Answer answer) {
      if (!ctx.response().closed()) {
        ctx.response()
            .setStatusCode(answer.status())
            .putHeader("Content-Type", "application/json")
            .end(answer.body().encode());
      }
    }
  }
}

package io.flashsale.payment;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.uritemplate.UriTemplate;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PaymentGateway} that talks to a card API with manual capture over HTTP, retrying what is
 * safe to retry and failing fast while the API is down.
 *
 * <h2>The card API</h2>
 *
 * Every request is a {@code POST} under {@code baseUrl} with the headers {@code Authorization:
 * Bearer <apiKey>} and {@code Idempotency-Key: <key>}; bodies are JSON. The API stores its answer
 * to the first request with a key and replays that answer to every later request with the same key,
 * so a repeated request never moves money twice.
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>Request</th><th>Answers</th></tr>
 *   <tr><td>{@code /v1/authorizations}<br>
 *     {@code {"amount": 1999, "currency": "EUR", "payment_method": "pm_...", "customer": "user-1",
 *     "capture_method": "manual"}}</td>
 *     <td>200 {@code {"id": "auth_...", "status": "authorized"}}<br>
 *     402 {@code {"id": "auth_...", "status": "declined", "decline_code": "card_declined"}}</td></tr>
 *   <tr><td>{@code /v1/authorizations/{id}/capture}<br>{@code {"amount": 1999}}</td>
 *     <td>200 {@code {"id": "auth_...", "status": "captured", "capture_id": "cap_..."}}<br>
 *     402 {@code {"status": "declined", "decline_code": "authorization_not_capturable"}}</td></tr>
 *   <tr><td>{@code /v1/authorizations/{id}/void}, no body</td>
 *     <td>200 {@code {"id": "auth_...", "status": "voided"}}<br>
 *     409 when the authorisation can no longer be voided (already captured or declined)</td></tr>
 * </table>
 *
 * {@code amount} is in the currency's minor unit (cents). Any other answer is an error with the
 * body {@code {"error": {"type": "...", "message": "..."}}}: 400 a malformed request, 401 a wrong
 * API key, 404 an unknown authorisation, 5xx the API's own trouble.
 *
 * <h2>Failures</h2>
 *
 * <ul>
 *   <li>A 402 is an answer, a decline: {@code approved == false}, the decline code as the reason.
 *   <li>A 5xx, a request that times out ({@link Settings#timeout()} to get a connection and then
 *       again for the answer to make progress), or a connection refused or dropped is retried after
 *       an exponential backoff, up to {@link Settings#maxAttempts()} attempts in all, always with
 *       the same idempotency key: that key is what makes a retry safe when the first request did
 *       reach the API and only its answer was lost. Running out of attempts fails the call with
 *       {@link GatewayUnavailableException}.
 *   <li>A 404 to a capture or a void fails at once with {@link AuthorizationUnknownException}: the
 *       API does not know the authorisation. Any other 4xx fails at once with {@link
 *       GatewayRejectedException}, and an answer that cannot be read (not JSON, no id, a capture
 *       with no capture id) with {@link UnexpectedAnswerException}: sending the same request again
 *       would get the same answer. None of these is a decline; the caller must not treat the card
 *       as refused.
 *   <li>A circuit breaker counts calls that ended without an answer. After {@link
 *       Settings#breakerFailureThreshold()} of them in a row it opens, and calls fail at once with
 *       {@link GatewayUnavailableException} without reaching the API. After {@link
 *       Settings#breakerResetTimeout()} one call is let through; its success closes the breaker,
 *       its failure opens it again. Any answer, a refusal included, shows the API is up and resets
 *       the count.
 * </ul>
 *
 * A failed future means no answer was had: the caller retries later with the same key.
 */
public final class HttpPaymentGateway implements PaymentGateway {

  private static final Logger LOG = LoggerFactory.getLogger(HttpPaymentGateway.class);

  /**
   * Where the card API is and how hard to try.
   *
   * @param baseUrl scheme, host and port, e.g. {@code https://cards.example.com}
   * @param timeout per attempt: to get a connection, then for the answer to make progress
   * @param maxAttempts attempts per call, the first included
   * @param initialBackoff wait before the second attempt; doubles before each further one
   * @param breakerFailureThreshold calls in a row without an answer that open the breaker
   * @param breakerResetTimeout how long an open breaker fails calls before letting one through
   */
  public record Settings(
      String baseUrl,
      String apiKey,
      Duration timeout,
      int maxAttempts,
      Duration initialBackoff,
      int breakerFailureThreshold,
      Duration breakerResetTimeout) {
    public Settings {
      Objects.requireNonNull(baseUrl, "baseUrl");
      Objects.requireNonNull(apiKey, "apiKey");
      requirePositive(timeout, "timeout");
      requirePositive(initialBackoff, "initialBackoff");
      requirePositive(breakerResetTimeout, "breakerResetTimeout");
      if (maxAttempts < 1 || breakerFailureThreshold < 1) {
        throw new IllegalArgumentException(
            "maxAttempts and breakerFailureThreshold must be at least 1");
      }
      baseUrl = baseUrl.replaceAll("/+$", "");
    }

    private static void requirePositive(Duration duration, String name) {
      if (duration == null || duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException(name + " must be a positive duration");
      }
    }
  }

  /**
   * No answer from the card API: it was down, slow or unreachable, or the breaker is open. Retry
   * later with the same key.
   */
  public static final class GatewayUnavailableException extends RuntimeException {
    GatewayUnavailableException(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /** The card API answered with a refusal other than a decline (bad key, malformed request). */
  public static final class GatewayRejectedException extends UnexpectedAnswerException {
    private final int status;

    GatewayRejectedException(int status, String message) {
      super(message);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private static final int DECLINED = 402;
  private static final int CONFLICT = 409;
  private static final int NOT_FOUND = 404;

  private final Vertx vertx;
  private final Settings settings;
  private final WebClient client;
  private final CircuitBreaker breaker;
  private final UriTemplate authorizations;
  private final UriTemplate captures;
  private final UriTemplate voids;

  public HttpPaymentGateway(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
    this.authorizations = UriTemplate.of(settings.baseUrl() + "/v1/authorizations");
    this.captures = UriTemplate.of(settings.baseUrl() + "/v1/authorizations/{id}/capture");
    this.voids = UriTemplate.of(settings.baseUrl() + "/v1/authorizations/{id}/void");
    this.client = WebClient.create(vertx);
    this.breaker =
        CircuitBreaker.create(
                "payment-gateway",
                vertx,
                new CircuitBreakerOptions()
                    .setMaxFailures(settings.breakerFailureThreshold())
                    .setResetTimeout(settings.breakerResetTimeout().toMillis())
                    // Each attempt has its own timeout and the attempts are counted, so a call
                    // always ends;
                    // a breaker timeout on top would fail a call while its retry is still in
                    // flight.
                    .setTimeout(-1)
                    // Nobody listens for the breaker's event-bus reports; the log lines below are
                    // enough.
                    .setNotificationAddress(null))
            .openHandler(
                opened ->
                    LOG.warn(
                        "payment gateway unreachable; failing calls fast for "
                            + settings.breakerResetTimeout().toMillis()
                            + " ms"))
            .halfOpenHandler(
                halfOpen -> LOG.info("payment gateway breaker half-open; trying one call"))
            .closeHandler(closed -> LOG.info("payment gateway answers again; breaker closed"));
  }

  @Override
  public Future<Authorization> authorize(AuthorizationRequest request) {
    JsonObject body =
        new JsonObject()
            .put("amount", request.amountCents())
            .put("currency", request.currency())
            .put("payment_method", request.paymentMethodId())
            .put("customer", request.userId())
            .put("capture_method", "manual");
    HttpRequest<Buffer> post = post(authorizations, request.idempotencyKey());
    return answerOf(() -> post.sendJsonObject(body))
        .map(
            response ->
                switch (response.statusCode()) {
                  case 200 -> new Authorization(required(response, "id", "authorize"), true, null);
                  case DECLINED -> {
                    JsonObject decline = jsonOf(response, "authorize");
                    yield new Authorization(
                        decline.getString("id"), false, decline.getString("decline_code"));
                  }
                  default -> throw rejected("authorize", response);
                });
  }

  @Override
  public Future<Capture> capture(String authorizationId, long amountCents, String idempotencyKey) {
    HttpRequest<Buffer> post =
        post(captures, idempotencyKey).setTemplateParam("id", authorizationId);
    return answerOf(() -> post.sendJsonObject(new JsonObject().put("amount", amountCents)))
        .map(
            response ->
                switch (response.statusCode()) {
                  case 200 ->
                      new Capture(
                          required(response, "capture_id", "capture " + authorizationId),
                          true,
                          null);
                  case DECLINED ->
                      new Capture(
                          null,
                          false,
                          jsonOf(response, "capture " + authorizationId).getString("decline_code"));
                  case NOT_FOUND -> throw new AuthorizationUnknownException(authorizationId);
                  default -> throw rejected("capture " + authorizationId, response);
                });
  }

  /**
   * A 409 means the authorisation is already voided or captured: nothing is left to release, so the
   * void is done.
   */
  @Override
  public Future<Void> voidAuthorization(String authorizationId, String idempotencyKey) {
    HttpRequest<Buffer> post = post(voids, idempotencyKey).setTemplateParam("id", authorizationId);
    return answerOf(post::send)
        .map(
            response -> {
              if (response.statusCode() == NOT_FOUND) {
                throw new AuthorizationUnknownException(authorizationId);
              }
              if (response.statusCode() != 200 && response.statusCode() != CONFLICT) {
                throw rejected("void " + authorizationId, response);
              }
              return null;
            });
  }

  /** Stops the breaker and closes the HTTP connections; calls after this fail. */
  public void close() {
    breaker.close();
    client.close();
  }

  private HttpRequest<Buffer> post(UriTemplate uri, String idempotencyKey) {
    return client
        .postAbs(uri)
        .timeout(settings.timeout().toMillis())
        .bearerTokenAuthentication(settings.apiKey())
        .putHeader("Idempotency-Key", idempotencyKey);
  }

  /**
   * The first answer below 500 to the request, retried as needed, behind the breaker. Refusals are
   * judged by the caller, outside the breaker: an API that answers at all is up.
   */
  private Future<HttpResponse<Buffer>> answerOf(Supplier<Future<HttpResponse<Buffer>>> send) {
    return breaker
        .<HttpResponse<Buffer>>execute(() -> attempt(send, 1))
        .recover(
            failure ->
                Future.failedFuture(
                    failure instanceof OpenCircuitException
                        ? new GatewayUnavailableException(
                            "payment gateway breaker is open after repeated calls without an answer; "
                                + "not calling it until it recovers",
                            failure)
                        : failure));
  }

  private Future<HttpResponse<Buffer>> attempt(
      Supplier<Future<HttpResponse<Buffer>>> send, int attempt) {
    return send.get()
        .compose(
            response ->
                response.statusCode() >= 500
                    ? Future.failedFuture(
                        "answered " + response.statusCode() + " " + bodyExcerpt(response))
                    : Future.succeededFuture(response))
        .recover(
            noAnswer ->
                attempt < settings.maxAttempts()
                    ? vertx
                        .timer(backoffMillisBefore(attempt + 1))
                        .compose(waited -> attempt(send, attempt + 1))
                    : Future.failedFuture(
                        new GatewayUnavailableException(
                            "payment gateway gave no answer in "
                                + attempt
                                + " attempt(s); last: "
                                + noAnswer.getMessage(),
                            noAnswer)));
  }

  /**
   * Exponential, with jitter so that checkouts which failed together during an outage do not all
   * retry together.
   */
  private long backoffMillisBefore(int attempt) {
    long ceiling = settings.initialBackoff().toMillis() << Math.min(attempt - 2, 20);
    return Math.max(1, ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
  }

  /** The JSON body of an answer; one that is not JSON is an answer without an outcome. */
  private static JsonObject jsonOf(HttpResponse<Buffer> response, String operation) {
    try {
      JsonObject body = response.bodyAsJsonObject();
      if (body != null) {
        return body;
      }
    } catch (DecodeException notJson) {
      // reported below with the body itself
    }
    throw new UnexpectedAnswerException(
        "payment gateway answered "
            + operation
            + " with "
            + response.statusCode()
            + " and a body that is not a JSON object: "
            + bodyExcerpt(response));
  }

  /**
   * A field the answer cannot do without: a success with no id would be money moved that nobody can
   * refer to.
   */
  private static String required(HttpResponse<Buffer> response, String field, String operation) {
    String value =
        jsonOf(response, operation).getValue(field) instanceof String text && !text.isBlank()
            ? text
            : null;
    if (value == null) {
      throw new UnexpectedAnswerException(
          "payment gateway answered "
              + operation
              + " with "
              + response.statusCode()
              + " but no "
              + field
              + ": "
              + bodyExcerpt(response));
    }
    return value;
  }

  private static GatewayRejectedException rejected(
      String operation, HttpResponse<Buffer> response) {
    return new GatewayRejectedException(
        response.statusCode(),
        "payment gateway refused "
            + operation
            + " with "
            + response.statusCode()
            + " "
            + bodyExcerpt(response));
  }

  private static String bodyExcerpt(HttpResponse<Buffer> response) {
    String body = response.bodyAsString();
    if (body == null) {
      return "(no body)";
    }
    return body.length() > 300 ? body.substring(0, 300) + "..." : body;
  }
}

package io.flashsale.payment;

import io.vertx.core.Future;

/**
 * The authorise / capture / void shape of card APIs with manual capture. Every call carries an
 * idempotency key: repeating a call with the same key never moves money twice. A decline is a
 * normal answer ({@code approved == false}); a failed future means the gateway could not be reached
 * or answered with an error, and the call may be retried with the same key. A gateway that does not
 * know the authorisation it is asked to capture or void fails with {@link
 * AuthorizationUnknownException}, one that answers without an outcome with {@link
 * UnexpectedAnswerException}: errors to retry or report, never declines.
 */
public interface PaymentGateway {

  record AuthorizationRequest(
      String idempotencyKey,
      String userId,
      String paymentMethodId,
      long amountCents,
      String currency) {}

  record Authorization(String authorizationId, boolean approved, String declineReason) {}

  record Capture(String captureId, boolean approved, String declineReason) {}

  Future<Authorization> authorize(AuthorizationRequest request);

  Future<Capture> capture(String authorizationId, long amountCents, String idempotencyKey);

  Future<Void> voidAuthorization(String authorizationId, String idempotencyKey);
}

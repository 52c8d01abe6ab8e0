package io.flashsale.payment;

/**
 * The gateway has no record of the authorisation it was asked to capture or void. Seen when the
 * engine and the gateway disagree (a gateway ledger that is not shared, lost or pointed elsewhere):
 * an error to retry or report, never a decline.
 */
public final class AuthorizationUnknownException extends UnexpectedAnswerException {

  public AuthorizationUnknownException(String authorizationId) {
    super("the payment gateway does not know authorisation " + authorizationId);
  }
}

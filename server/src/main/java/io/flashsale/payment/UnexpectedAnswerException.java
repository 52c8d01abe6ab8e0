package io.flashsale.payment;

/**
 * The gateway answered, but with no outcome for the card: it refused the request itself (not the
 * card), or said something this client cannot read. Not a decline: nothing is known to have moved,
 * so a caller keeps what it holds and retries or reports; it never cancels a buyer's order on this.
 */
public class UnexpectedAnswerException extends RuntimeException {

  public UnexpectedAnswerException(String message) {
    super(message, null, false, false);
  }
}

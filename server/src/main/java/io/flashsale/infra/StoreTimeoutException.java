package io.flashsale.infra;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * A store call that got no answer within its deadline. Its outcome is unknown: a write may still
 * happen once the store answers again (a COMMIT already on the wire, a script already queued), so
 * nobody may undo it as if it had failed; the in-flight records settle it.
 */
public final class StoreTimeoutException extends TimeoutException {

  public StoreTimeoutException(String store, Duration deadline) {
    super(store + " did not answer within " + deadline.toMillis() + " ms");
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    // Thrown by the hundred while a store is away: the message says all there is.
    return this;
  }
}

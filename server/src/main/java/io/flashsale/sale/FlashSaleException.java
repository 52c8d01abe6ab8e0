package io.flashsale.sale;

import io.vertx.core.json.JsonObject;

/** A failure with a domain meaning; the HTTP layer turns it into problem+json in one place. */
public class FlashSaleException extends RuntimeException {

  private final ErrorCode code;

  public FlashSaleException(ErrorCode code, String detail) {
    super(detail, null, false, false);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  /** Seconds after which the caller may try again (a Retry-After header); none by default. */
  public Integer retryAfterSeconds() {
    return null;
  }

  /** Extra members for the problem document (RFC 9457 extensions); none by default. */
  public JsonObject extensions() {
    return null;
  }
}

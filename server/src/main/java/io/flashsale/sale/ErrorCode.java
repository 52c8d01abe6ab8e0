package io.flashsale.sale;

/** The stable machine-readable codes of the API's problem+json answers, with their HTTP status. */
public enum ErrorCode {
  SOLD_OUT(409, "Sold out"),
  ALREADY_PURCHASED(409, "Already purchased"),
  LIMIT_EXCEEDED(409, "Per-user limit exceeded"),
  SALE_NOT_ACTIVE(409, "Sale not active"),
  QUEUE_REQUIRED(409, "Waiting room required"),
  HOLD_EXPIRED(409, "Hold expired"),
  CONFLICT(409, "Conflict"),
  NOT_FOUND(404, "Not found"),
  UNAUTHORIZED(401, "Unauthorized"),
  FORBIDDEN(403, "Forbidden"),
  VALIDATION_FAILED(400, "Validation failed"),
  /**
   * The request itself is not well-formed HTTP: no Host, a bad percent-escape, a bad header or
   * framing.
   */
  MALFORMED_REQUEST(400, "Malformed request"),
  URI_TOO_LONG(414, "URI too long"),
  HEADERS_TOO_LARGE(431, "Request header fields too large"),
  RANGE_NOT_SATISFIABLE(416, "Range not satisfiable"),
  EXPECTATION_FAILED(417, "Expectation failed"),
  UPGRADE_REQUIRED(426, "Upgrade required"),
  PAYLOAD_TOO_LARGE(413, "Payload too large"),
  METHOD_NOT_ALLOWED(405, "Method not allowed"),
  UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
  RATE_LIMITED(429, "Too many requests"),
  BOT_CHECK_FAILED(403, "Bot check failed"),
  PAYMENT_DECLINED(402, "Payment declined"),
  /**
   * The gateway gave no outcome (it does not know the authorisation, or answered unexpectedly): the
   * hold stands, try again.
   */
  PAYMENT_UNAVAILABLE(503, "Payment unavailable"),
  UNAVAILABLE(503, "Service unavailable"),
  INTERNAL(500, "Internal error");

  private final int httpStatus;
  private final String title;

  ErrorCode(int httpStatus, String title) {
    this.httpStatus = httpStatus;
    this.title = title;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String title() {
    return title;
  }
}

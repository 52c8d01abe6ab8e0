package io.flashsale.antibot;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.json.JsonObject;

/**
 * Why the bot defence refused a request: counted per reason in metrics and in the sale's report.
 */
public enum Rejection {
  RATE_LIMITED,
  POW_MISSING,
  POW_FORGED,
  POW_EXPIRED,
  POW_WRONG,
  POW_REPLAYED,
  CAPTCHA_MISSING,
  CAPTCHA_REJECTED,
  BLACKLISTED,
  BLACKLISTED_DEVICE;

  /** The refusal as the buyer sees it; the reason travels with it for counting. */
  public RejectedException exception(String detail) {
    return new RejectedException(
        this,
        this == RATE_LIMITED ? ErrorCode.RATE_LIMITED : ErrorCode.BOT_CHECK_FAILED,
        detail,
        null);
  }

  /** A refusal by the bot defence, with the reason it is counted under. */
  public static final class RejectedException extends FlashSaleException {
    private final Rejection reason;
    private final Long retryAfterMillis;

    RejectedException(Rejection reason, ErrorCode code, String detail, Long retryAfterMillis) {
      super(code, detail);
      this.reason = reason;
      this.retryAfterMillis = retryAfterMillis;
    }

    static RejectedException rateLimited(long retryAfterMillis, String detail) {
      return new RejectedException(RATE_LIMITED, ErrorCode.RATE_LIMITED, detail, retryAfterMillis);
    }

    public Rejection reason() {
      return reason;
    }

    @Override
    public Integer retryAfterSeconds() {
      return retryAfterMillis == null ? null : (int) Math.max(1, (retryAfterMillis + 999) / 1_000);
    }

    @Override
    public JsonObject extensions() {
      return new JsonObject().put("reason", reason.name());
    }
  }
}

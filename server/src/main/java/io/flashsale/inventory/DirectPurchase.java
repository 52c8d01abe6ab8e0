package io.flashsale.inventory;

import io.flashsale.antibot.RateLimits;
import io.flashsale.inventory.ReservationMessages.Purchase;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.SaleOrder;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;

/**
 * The buy-now path of a sale without a waiting room: pre-checks, then a reservation in the
 * reservation verticle's next batch for this sale.
 */
public final class DirectPurchase {

  private final ReservationDesk desk;
  private final Clock clock;

  public DirectPurchase(ReservationDesk desk, Clock clock) {
    this.desk = desk;
    this.clock = clock;
  }

  /**
   * {@code device} is the buyer's device fingerprint, or "" if they sent none; {@code limits} are
   * the rate limits still to pass, checked in the batch's own Redis call.
   */
  public Future<SaleOrder> purchase(
      FlashSale sale, String userId, String device, int quantity, List<RateLimits.Check> limits) {
    FlashSaleException refusal = precheck(sale, quantity);
    return refusal != null
        ? Future.failedFuture(refusal)
        : desk.purchase(new Purchase(sale, userId, device, quantity, limits));
  }

  private FlashSaleException precheck(FlashSale sale, int quantity) {
    if (sale.waitingRoom()) {
      return new FlashSaleException(
          ErrorCode.QUEUE_REQUIRED, "this sale admits buyers through its waiting room");
    }
    if (!sale.isOpenAt(clock.instant())) {
      return new FlashSaleException(
          ErrorCode.SALE_NOT_ACTIVE,
          "sale runs from "
              + sale.startTime()
              + " to "
              + sale.endTime()
              + " and is "
              + sale.status());
    }
    if (quantity > sale.perUserLimit()) {
      return new FlashSaleException(
          ErrorCode.LIMIT_EXCEEDED, "at most " + sale.perUserLimit() + " unit(s) per buyer");
    }
    return null;
  }
}

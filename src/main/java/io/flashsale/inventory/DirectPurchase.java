package io.flashsale.inventory;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.SaleOrder;
import io.vertx.core.Future;
import java.time.Clock;

/** The buy-now path of a sale without a waiting room: pre-checks, then a reservation. */
public final class DirectPurchase {

  private final Reservations reservations;
  private final Clock clock;

  public DirectPurchase(Reservations reservations, Clock clock) {
    this.reservations = reservations;
    this.clock = clock;
  }

  /** {@code device} is the buyer's device fingerprint, or "" if they sent none. */
  public Future<SaleOrder> purchase(FlashSale sale, String userId, String device, int quantity) {
    FlashSaleException refusal = precheck(sale, quantity);
    return refusal != null ? Future.failedFuture(refusal) : reservations.reserve(sale, userId, device, quantity);
  }

  private FlashSaleException precheck(FlashSale sale, int quantity) {
    if (sale.waitingRoom()) {
      return new FlashSaleException(ErrorCode.QUEUE_REQUIRED, "this sale admits buyers through its waiting room");
    }
    if (!sale.isOpenAt(clock.instant())) {
      return new FlashSaleException(ErrorCode.SALE_NOT_ACTIVE,
          "sale runs from " + sale.startTime() + " to " + sale.endTime() + " and is " + sale.status());
    }
    if (quantity > sale.perUserLimit()) {
      return new FlashSaleException(ErrorCode.LIMIT_EXCEEDED,
          "at most " + sale.perUserLimit() + " unit(s) per buyer");
    }
    return null;
  }
}

package io.flashsale.inventory;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.SaleCatalog;
import io.flashsale.sale.SaleOrder;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.UUID;

/** The buy-now path of a sale without a waiting room: pre-checks, then a reservation. */
public final class DirectPurchase {

  private final SaleCatalog catalog;
  private final Reservations reservations;
  private final Clock clock;

  public DirectPurchase(SaleCatalog catalog, Reservations reservations, Clock clock) {
    this.catalog = catalog;
    this.reservations = reservations;
    this.clock = clock;
  }

  public Future<SaleOrder> purchase(String userId, UUID saleId, int quantity) {
    return catalog.get(saleId).compose(sale -> {
      FlashSaleException refusal = precheck(sale, quantity);
      return refusal != null ? Future.failedFuture(refusal) : reservations.reserve(sale, userId, quantity);
    });
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

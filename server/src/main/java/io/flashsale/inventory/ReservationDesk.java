package io.flashsale.inventory;

import io.flashsale.inventory.ReservationMessages.Answer;
import io.flashsale.inventory.ReservationMessages.Claims;
import io.flashsale.inventory.ReservationMessages.Purchase;
import io.flashsale.inventory.ReservationMessages.Release;
import io.flashsale.inventory.Reservations.Claim;
import io.flashsale.inventory.Reservations.ClaimOutcome;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.SaleOrder;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * Where the rest of the engine hands reservation work to this process's {@link
 * ReservationVerticle}: local event-bus requests, one answer each. Shared by every event loop; it
 * holds only its address and delivery options.
 */
public final class ReservationDesk {

  private final EventBus eventBus;
  private final String address;
  private final DeliveryOptions requests;

  /**
   * {@code patience}: how long a request waits for the verticle's answer before it reads as
   * unavailable.
   */
  public ReservationDesk(EventBus eventBus, Duration patience) {
    this.eventBus = eventBus;
    // One address per engine: several engines may share one Vert.x (tests do).
    this.address = "flashsale.reservations." + UUID.randomUUID();
    this.requests =
        new DeliveryOptions()
            .setLocalOnly(true)
            .setCodecName(ReservationMessages.CODEC)
            .setSendTimeout(patience.toMillis());
  }

  /** The address the verticle listens on. */
  public String address() {
    return address;
  }

  /** A direct purchase, batched with the others of its sale. */
  public Future<SaleOrder> purchase(Purchase purchase) {
    return ask(purchase);
  }

  /** Reservations for units already taken by an admission step, as one batch. */
  public Future<List<ClaimOutcome>> reserveClaimed(FlashSale sale, List<Claim> claims) {
    return ask(new Claims(sale, claims));
  }

  /**
   * A released hold's units back to the pool; never fails (reconciliation repairs what is lost).
   */
  public Future<Void> release(SaleOrder order) {
    return this.<Void>ask(new Release(order)).otherwiseEmpty();
  }

  @SuppressWarnings("unchecked")
  private <T> Future<T> ask(Object request) {
    return eventBus
        .<Answer>request(address, request, requests)
        .transform(
            replied -> {
              if (replied.failed()) {
                // No answer in time (or no verticle): what happened to the request is unknown, and
                // anything it took in Redis is on record for reconciliation.
                return Future.failedFuture(
                    new FlashSaleException(
                        ErrorCode.UNAVAILABLE,
                        "the reservation did not complete in time; check your orders before trying again"));
              }
              Answer answer = replied.result().body();
              return answer.failure() != null
                  ? Future.failedFuture(answer.failure())
                  : Future.succeededFuture((T) answer.value());
            });
  }
}

package io.flashsale.operator;

import io.flashsale.events.SaleChanged;
import io.flashsale.events.SaleEvents;
import io.flashsale.operator.OperatorLog.Action;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.SaleCatalog;
import io.flashsale.sale.SaleRepository;
import io.flashsale.waitingroom.AdmissionControl;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Pause, resume, rate and early end of a sale. The row and its audit entry commit together; then
 * Redis' copy of the controls is written, which every instance's next admission step reads, and the
 * change is announced on the event bus so catalogs and live feeds catch up at once.
 */
public final class SaleControls {

  /** Above this no line moves faster than the stores can write the reservations it produces. */
  public static final int MAX_ADMISSION_RATE = 100_000;

  private final Pool pool;
  private final SaleRepository sales;
  private final SaleCatalog catalog;
  private final AdmissionControl admissionControl;
  private final OperatorLog log;
  private final EventBus eventBus;

  public SaleControls(
      Pool pool,
      SaleRepository sales,
      SaleCatalog catalog,
      AdmissionControl admissionControl,
      OperatorLog log,
      EventBus eventBus) {
    this.pool = pool;
    this.sales = sales;
    this.catalog = catalog;
    this.admissionControl = admissionControl;
    this.log = log;
    this.eventBus = eventBus;
  }

  public Future<FlashSale> pause(UUID saleId, String actor) {
    return apply(
        saleId,
        actor,
        Action.PAUSE,
        new JsonObject(),
        conn -> sales.setAdmissionPaused(conn, saleId, true));
  }

  public Future<FlashSale> resume(UUID saleId, String actor) {
    return apply(
        saleId,
        actor,
        Action.RESUME,
        new JsonObject(),
        conn -> sales.setAdmissionPaused(conn, saleId, false));
  }

  public Future<FlashSale> setRate(UUID saleId, String actor, int perSecond) {
    if (perSecond < 1 || perSecond > MAX_ADMISSION_RATE) {
      return Future.failedFuture(
          new FlashSaleException(
              ErrorCode.VALIDATION_FAILED,
              "admissionRatePerSecond must be between 1 and " + MAX_ADMISSION_RATE));
    }
    return sales
        .find(pool, saleId)
        .compose(
            before ->
                apply(
                    saleId,
                    actor,
                    Action.SET_RATE,
                    new JsonObject()
                        .put("from", before.map(FlashSale::admissionRatePerSecond).orElse(0))
                        .put("to", perSecond),
                    conn -> sales.setAdmissionRate(conn, saleId, perSecond)));
  }

  /**
   * Ends the sale now: admissions stop, holds expire, authorisations are voided, everyone waiting
   * is told.
   */
  public Future<FlashSale> endEarly(UUID saleId, String actor) {
    return apply(
        saleId, actor, Action.END_EARLY, new JsonObject(), conn -> sales.endNow(conn, saleId));
  }

  private Future<FlashSale> apply(
      UUID saleId,
      String actor,
      Action action,
      JsonObject detail,
      Function<SqlConnection, Future<Optional<FlashSale>>> change) {
    return pool.withTransaction(
            conn ->
                change
                    .apply(conn)
                    .compose(
                        changed ->
                            changed
                                .map(
                                    sale ->
                                        log.record(conn, saleId, actor, action, detail).map(sale))
                                .orElseGet(() -> whyNot(conn, saleId))))
        .compose(sale -> admissionControl.mirror(sale).map(sale))
        .onSuccess(
            sale -> {
              catalog.forget(saleId);
              SaleEvents.publish(eventBus, new SaleChanged(sale.saleId(), action));
              log.count(action);
            });
  }

  private Future<FlashSale> whyNot(SqlConnection conn, UUID saleId) {
    return sales
        .find(conn, saleId)
        .compose(
            found ->
                Future.failedFuture(
                    found.isEmpty()
                        ? new FlashSaleException(ErrorCode.NOT_FOUND, "no sale " + saleId)
                        : new FlashSaleException(
                            ErrorCode.SALE_NOT_ACTIVE,
                            "the sale has ended; it can no longer be changed")));
  }
}

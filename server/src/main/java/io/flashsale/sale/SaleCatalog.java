package io.flashsale.sale;

import io.flashsale.infra.CallerContext;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sale definitions read at most once per {@code maxAgeMillis} per sale, so the herd's pre-checks do
 * not each cost a database read. Only for pre-checks: the database guard decides, so a slightly
 * stale status can cost a wasted attempt, never a wrong sale.
 *
 * <p>A sale once read is served while a single read refreshes it: a slow or frozen database then
 * holds up one refresh, not every buyer's pre-check behind it (their reservations still wait on it,
 * in the reservation verticle, where the deadline and the backlog bound apply).
 */
public final class SaleCatalog {

  private record Entry(Future<Optional<FlashSale>> sale, long readAtMillis) {

    /** Read, and found: servable while a newer read is on its way. */
    boolean known() {
      return sale.succeeded() && sale.result().isPresent();
    }
  }

  private final Pool pool;
  private final SaleRepository sales;
  private final Clock clock;
  private final long maxAgeMillis;
  private final Map<UUID, Entry> entries = new ConcurrentHashMap<>();
  private volatile FlashSale rehearsal;

  public SaleCatalog(Pool pool, SaleRepository sales, Clock clock, long maxAgeMillis) {
    this.pool = pool;
    this.sales = sales;
    this.clock = clock;
    this.maxAgeMillis = maxAgeMillis;
  }

  public Future<FlashSale> get(UUID saleId) {
    long now = clock.millis();
    Entry cached = entries.get(saleId);
    if (cached != null && cached.known()) {
      // Stale: the caller that claims the refresh (one per max age) starts it; all are served the
      // known sale.
      if (now - cached.readAtMillis() >= maxAgeMillis) {
        Entry claimed = new Entry(cached.sale(), now);
        if (entries.replace(saleId, cached, claimed)) {
          refresh(saleId, claimed);
        }
      }
      return Future.succeededFuture(cached.sale().result().get());
    }
    Entry entry =
        entries.compute(
            saleId,
            (id, current) ->
                current != null && !current.sale().failed() ? current : new Entry(read(id), now));
    // A missing sale is not remembered: random ids must not grow the map.
    entry
        .sale()
        .onSuccess(
            found -> {
              if (found.isEmpty()) {
                entries.remove(saleId, entry);
              }
            });
    // Every caller waiting on the read goes on on its own event loop, not the reader's.
    return CallerContext.resume(entry.sale())
        .map(
            found ->
                found.orElseThrow(
                    () -> new FlashSaleException(ErrorCode.NOT_FOUND, "no sale " + saleId)));
  }

  /**
   * Replaces {@code claimed} with a fresh read, unless {@link #forget} or another read replaced it
   * meanwhile. A failed read leaves the known sale, to be refreshed again after the max age.
   */
  private void refresh(UUID saleId, Entry claimed) {
    read(saleId)
        .onSuccess(
            found -> {
              if (found.isPresent()) {
                entries.replace(
                    saleId, claimed, new Entry(Future.succeededFuture(found), clock.millis()));
              } else {
                entries.remove(saleId, claimed);
              }
            });
  }

  public void forget(UUID saleId) {
    entries.remove(saleId);
  }

  /**
   * Serves {@code sale}, which is in no database, on this instance only, until {@link
   * #endRehearsal}: the start-up rehearsal's sale (the root package's {@code Rehearsal}). It is
   * read, cached, refreshed and forgotten as any other, so the rehearsal runs the paths a new
   * sale's first herd does.
   */
  public void rehearse(FlashSale sale) {
    rehearsal = sale;
  }

  public void endRehearsal(UUID saleId) {
    rehearsal = null;
    forget(saleId);
  }

  /** Whether {@code saleId} is the start-up rehearsal's sale: kept out of the business figures. */
  public boolean isRehearsal(String saleId) {
    FlashSale rehearsing = rehearsal;
    return rehearsing != null && rehearsing.saleId().equals(saleId);
  }

  private Future<Optional<FlashSale>> read(UUID saleId) {
    FlashSale rehearsing = rehearsal;
    return rehearsing != null && rehearsing.saleId().equals(saleId.toString())
        ? Future.succeededFuture(Optional.of(rehearsing))
        : sales.find(pool, saleId);
  }
}

package io.flashsale.sale;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sale definitions read at most once per {@code maxAgeMillis} per sale, so the herd's
 * pre-checks do not each cost a database read. Only for pre-checks: the database guard
 * decides, so a slightly stale status can cost a wasted attempt, never a wrong sale.
 */
public final class SaleCatalog {

  private record Entry(Future<Optional<FlashSale>> sale, long readAtMillis) {}

  private final Pool pool;
  private final SaleRepository sales;
  private final Clock clock;
  private final long maxAgeMillis;
  private final Map<UUID, Entry> entries = new ConcurrentHashMap<>();

  public SaleCatalog(Pool pool, SaleRepository sales, Clock clock, long maxAgeMillis) {
    this.pool = pool;
    this.sales = sales;
    this.clock = clock;
    this.maxAgeMillis = maxAgeMillis;
  }

  public Future<FlashSale> get(UUID saleId) {
    long now = clock.millis();
    Entry entry = entries.compute(saleId, (id, cached) -> {
      if (cached != null && now - cached.readAtMillis() < maxAgeMillis
          && !(cached.sale().isComplete() && cached.sale().failed())) {
        return cached;
      }
      return new Entry(sales.find(pool, id), now);
    });
    // A missing sale is not remembered: random ids must not grow the map.
    entry.sale().onSuccess(found -> {
      if (found.isEmpty()) {
        entries.remove(saleId, entry);
      }
    });
    return entry.sale().map(found -> found.orElseThrow(
        () -> new FlashSaleException(ErrorCode.NOT_FOUND, "no sale " + saleId)));
  }

  public void forget(UUID saleId) {
    entries.remove(saleId);
  }
}

package io.flashsale.sale;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sales not yet ended, re-read from the database at most once per {@code maxAgeMillis} however
 * many tickers ask: the tickers run every few milliseconds, the list changes rarely.
 */
public final class OpenSales {

  private static final Logger LOG = LoggerFactory.getLogger(OpenSales.class);

  private final Pool pool;
  private final SaleRepository sales;
  private final Clock clock;
  private final long maxAgeMillis;
  private volatile List<FlashSale> current = List.of();
  private volatile long readAtMillis;
  private volatile Future<List<FlashSale>> reading;

  public OpenSales(Pool pool, SaleRepository sales, Clock clock, long maxAgeMillis) {
    this.pool = pool;
    this.sales = sales;
    this.clock = clock;
    this.maxAgeMillis = maxAgeMillis;
  }

  /** The last list read; starts a re-read in the background when it is older than the bound. */
  public List<FlashSale> current() {
    if (clock.millis() - readAtMillis >= maxAgeMillis
        && (reading == null || reading.isComplete())) {
      reading =
          sales
              .listNotEnded(pool)
              .onSuccess(
                  all -> {
                    current = all;
                    readAtMillis = clock.millis();
                  })
              .onFailure(e -> LOG.warn("could not list open sales; keeping the last list", e));
    }
    return current;
  }

  /** Open sales that run a waiting room. */
  public List<FlashSale> withWaitingRoom() {
    return current().stream().filter(FlashSale::waitingRoom).toList();
  }
}

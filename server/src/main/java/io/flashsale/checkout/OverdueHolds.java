package io.flashsale.checkout;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Holds still RESERVED well past their expiry: the expiry sweep ({@link HoldExpiry}, every second
 * on every instance) should have released them, so any here means the sweep is failing or stuck,
 * and their units are kept from the buyers in line. Counted from PostgreSQL every {@link #PERIOD}
 * (the open-holds index makes it cheap); NaN while PostgreSQL does not answer.
 */
public final class OverdueHolds {

  static final Duration PERIOD = Duration.ofSeconds(5);

  /** Thirty sweeps: a hold this far past its expiry was not merely waiting for the next one. */
  static final Duration OVERDUE_AFTER = Duration.ofSeconds(30);

  private static final Logger LOG = Logger.getLogger(OverdueHolds.class.getName());

  private final Pool pool;
  private final AtomicLong overdue = new AtomicLong(-1);

  private OverdueHolds(Pool pool) {
    this.pool = pool;
  }

  /** Registers the gauge and counts every {@link #PERIOD} until the returned stop runs. */
  public static Runnable watch(Vertx vertx, Pool pool, MeterRegistry metrics) {
    OverdueHolds holds = new OverdueHolds(pool);
    Gauge.builder(
            "flashsale.holds.overdue",
            holds.overdue,
            count -> count.get() < 0 ? Double.NaN : count.get())
        .register(metrics);
    long timer = vertx.setPeriodic(PERIOD.toMillis(), id -> holds.count());
    return () -> vertx.cancelTimer(timer);
  }

  private void count() {
    pool.query(
            "SELECT count(*) AS overdue FROM sale_orders WHERE status = 'RESERVED' AND expires_at <= now() - interval '"
                + OVERDUE_AFTER.toSeconds()
                + " seconds'")
        .execute()
        .onSuccess(rows -> overdue.set(rows.iterator().next().getLong("overdue")))
        .onFailure(
            e -> {
              overdue.set(-1);
              LOG.log(Level.FINE, "overdue holds not counted", e);
            });
  }
}

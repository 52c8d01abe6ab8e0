package io.flashsale.sale;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * The owner of the measured per-sale meters (tagged {@code sale=<id>}): the queue gauges, the
 * admissions counter, the reconciliation drift. A sale's meters live while the sale is not ended
 * (in {@link OpenSales}' list) and for a grace after, so the final values are scraped a few times;
 * then they leave the registry and their values leave this object, so a shop running a sale every
 * hour does not grow {@code /metrics} or the heap for ever. ({@link SaleFigures} owns the sale
 * settings' series, which go as soon as the sale ends.) Shared by every event loop.
 */
public final class SaleMeters {

  static final Duration PERIOD = Duration.ofSeconds(1);

  /**
   * How long a removed sale's id is remembered, so that a late update re-creating its meters is
   * swept at once.
   */
  static final Duration RETIRED_MEMORY = Duration.ofMinutes(10);

  private static final long PRESENT = -1;

  /** One sale's meters; {@code closed} (under its lock) once they have left the registry. */
  private static final class OfSale {
    final String saleId;

    /** What callers update (a gauge's AtomicLong, a Counter), by meter name. */
    final Map<String, Object> handles = new ConcurrentHashMap<>();

    final Map<String, Meter> meters = new ConcurrentHashMap<>();

    /** Written by the sweep only. */
    volatile long absentSinceMillis = PRESENT;

    boolean closed;

    OfSale(String saleId) {
      this.saleId = saleId;
    }
  }

  private record Registered(Object handle, Meter meter) {}

  private final MeterRegistry metrics;
  private final Duration grace;
  private final Map<String, OfSale> sales = new ConcurrentHashMap<>();

  /** Sale ids whose meters were removed, with when: bounded by {@link #RETIRED_MEMORY}. */
  private final Map<String, Long> retired = new ConcurrentHashMap<>();

  public SaleMeters(MeterRegistry metrics, Duration grace) {
    if (grace.isNegative()) {
      throw new IllegalArgumentException(
          "the grace of an ended sale's meters must not be negative");
    }
    this.metrics = metrics;
    this.grace = grace;
  }

  /** Sweeps every second against the open sales until the returned stop runs. */
  public Runnable watch(Vertx vertx, OpenSales openSales, Clock clock) {
    long timer =
        vertx.setPeriodic(
            PERIOD.toMillis(),
            id ->
                sweep(
                    openSales.current().stream().map(FlashSale::saleId).collect(Collectors.toSet()),
                    clock.millis()));
    return () -> vertx.cancelTimer(timer);
  }

  /** The value of the sale's gauge {@code name}, registered on first use. */
  public AtomicLong gauge(String name, String saleId) {
    return (AtomicLong)
        handle(
            name,
            saleId,
            (meterName, id) -> {
              AtomicLong value = new AtomicLong();
              // A strong reference: the registry, not the caller, keeps the value alive until
              // removal.
              return new Registered(
                  value,
                  Gauge.builder(meterName, value, AtomicLong::get)
                      .tag("sale", id)
                      .strongReference(true)
                      .register(metrics));
            });
  }

  /** The sale's counter {@code name}, registered on first use. */
  public Counter counter(String name, String saleId) {
    return (Counter)
        handle(
            name,
            saleId,
            (meterName, id) -> {
              Counter counter = Counter.builder(meterName).tag("sale", id).register(metrics);
              return new Registered(counter, counter);
            });
  }

  private Object handle(
      String name, String saleId, BiFunction<String, String, Registered> register) {
    OfSale known = sales.get(saleId);
    Object handle = known == null ? null : known.handles.get(name);
    if (handle != null) {
      // Possibly of a sale swept a moment ago: the update then lands nowhere, which is all a
      // late update from an ended sale deserves.
      return handle;
    }
    while (true) {
      OfSale sale = sales.computeIfAbsent(saleId, OfSale::new);
      synchronized (sale) {
        // A closed one has left the map (removed with its meters in one step, see remove):
        // going round again makes a fresh one, which the next sweep finds.
        if (!sale.closed) {
          return sale.handles.computeIfAbsent(
              name,
              meterName -> {
                Registered registered = register.apply(meterName, saleId);
                sale.meters.put(meterName, registered.meter());
                return registered.handle();
              });
        }
      }
    }
  }

  /**
   * Removes the meters of sales absent from {@code open} (ids) for the grace. A sale re-created by
   * a late update after its removal goes at the next sweep, without a second grace.
   */
  void sweep(Set<String> ids, long nowMillis) {
    for (OfSale sale : sales.values()) {
      if (ids.contains(sale.saleId)) {
        sale.absentSinceMillis = PRESENT;
        continue;
      }
      if (sale.absentSinceMillis == PRESENT) {
        sale.absentSinceMillis =
            retired.containsKey(sale.saleId) ? nowMillis - grace.toMillis() : nowMillis;
      }
      if (nowMillis - sale.absentSinceMillis >= grace.toMillis()) {
        remove(sale);
        retired.put(sale.saleId, nowMillis);
      }
    }
    retired
        .entrySet()
        .removeIf(
            entry ->
                ids.contains(entry.getKey())
                    || nowMillis - entry.getValue() >= RETIRED_MEMORY.toMillis());
  }

  /**
   * Closing inside the map's compute: a caller asking for this sale's meters meanwhile waits, then
   * makes a fresh entry whose meters register anew rather than finding the old, removed ones.
   */
  private void remove(OfSale sale) {
    sales.computeIfPresent(
        sale.saleId,
        (id, current) -> {
          if (current != sale) {
            return current;
          }
          synchronized (sale) {
            sale.closed = true;
            sale.meters.values().forEach(metrics::remove);
            sale.meters.clear();
            sale.handles.clear();
          }
          return null;
        });
  }

  /** Sales holding meters now (for tests). */
  int salesHeld() {
    return sales.size();
  }
}

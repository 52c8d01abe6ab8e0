package io.flashsale.sale;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Each sale not yet ended, as its settings say, for dashboards and alerts to compare the measured
 * figures with: whether it is open, seconds until it starts, units left, and for a waiting-room
 * sale the configured admission rate and whether admission is paused. Every instance exports the
 * same values (aggregate with max by sale); an ended sale's series go away.
 */
public final class SaleFigures {

  static final Duration PERIOD = Duration.ofSeconds(1);

  private final OpenSales openSales;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final Map<String, FlashSale> sales = new ConcurrentHashMap<>();
  private final Map<String, List<Meter>> meters = new ConcurrentHashMap<>();

  private SaleFigures(OpenSales openSales, Clock clock, MeterRegistry metrics) {
    this.openSales = openSales;
    this.clock = clock;
    this.metrics = metrics;
  }

  /**
   * Follows the open sales (the list {@link OpenSales} keeps, re-read every second) until the
   * returned stop runs.
   */
  public static Runnable watch(
      Vertx vertx, OpenSales openSales, Clock clock, MeterRegistry metrics) {
    SaleFigures figures = new SaleFigures(openSales, clock, metrics);
    long timer = vertx.setPeriodic(PERIOD.toMillis(), id -> figures.refresh());
    return () -> vertx.cancelTimer(timer);
  }

  void refresh() {
    List<FlashSale> current = openSales.current();
    Set<String> ids = current.stream().map(FlashSale::saleId).collect(Collectors.toSet());
    for (String gone : List.copyOf(sales.keySet())) {
      if (!ids.contains(gone)) {
        sales.remove(gone);
        meters.remove(gone).forEach(metrics::remove);
      }
    }
    for (FlashSale sale : current) {
      sales.put(sale.saleId(), sale);
      meters.computeIfAbsent(sale.saleId(), id -> register(id, sale.waitingRoom()));
    }
  }

  private List<Meter> register(String saleId, boolean waitingRoom) {
    List<Meter> registered = new ArrayList<>();
    registered.add(
        gauge("flashsale.sale.open", null, saleId, sale -> sale.isOpenAt(clock.instant()) ? 1 : 0));
    registered.add(
        gauge(
            "flashsale.sale.starts.in",
            "seconds",
            saleId,
            sale -> (sale.startTime().toEpochMilli() - clock.millis()) / 1_000.0));
    registered.add(gauge("flashsale.sale.units.remaining", null, saleId, FlashSale::remaining));
    if (waitingRoom) {
      registered.add(
          gauge(
              "flashsale.sale.admission.rate.per.second",
              null,
              saleId,
              FlashSale::admissionRatePerSecond));
      registered.add(
          gauge(
              "flashsale.sale.admission.paused",
              null,
              saleId,
              sale -> sale.admissionPaused() ? 1 : 0));
    }
    return registered;
  }

  private Meter gauge(
      String name, String baseUnit, String saleId, ToDoubleFunction<FlashSale> value) {
    return Gauge.builder(
            name,
            sales,
            all -> {
              FlashSale sale = all.get(saleId);
              return sale == null ? Double.NaN : value.applyAsDouble(sale);
            })
        .tags(Tags.of("sale", saleId))
        .baseUnit(baseUnit)
        .register(metrics);
  }
}

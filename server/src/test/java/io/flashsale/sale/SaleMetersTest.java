package io.flashsale.sale;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The per-sale meters' life, swept on a clock the test moves: open, ended, in grace, gone. */
class SaleMetersTest {

  private static final long GRACE_MS = 120_000;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SaleMeters meters = new SaleMeters(registry, Duration.ofMillis(GRACE_MS));

  private List<Meter> of(String saleId) {
    return registry.getMeters().stream()
        .filter(meter -> saleId.equals(meter.getId().getTag("sale")))
        .toList();
  }

  @Test
  void anEndedSalesMetersStayForTheGraceThenLeaveTheRegistry() {
    meters.gauge("flashsale.queue.waiting", "ended").set(7);
    meters.counter("flashsale.admissions", "ended").increment(3);
    meters.gauge("flashsale.queue.waiting", "open").set(2);

    meters.sweep(Set.of("ended", "open"), 0);
    meters.sweep(Set.of("open"), 1_000);
    meters.sweep(Set.of("open"), 1_000 + GRACE_MS - 1);
    assertThat(of("ended")).as("within the grace").hasSize(2);
    assertThat(registry.get("flashsale.queue.waiting").tag("sale", "ended").gauge().value())
        .isEqualTo(7);

    meters.sweep(Set.of("open"), 1_000 + GRACE_MS);
    assertThat(of("ended")).as("after the grace").isEmpty();
    assertThat(of("open")).hasSize(1);
    assertThat(meters.salesHeld()).as("the values are let go too").isEqualTo(1);
  }

  @Test
  void aSaleBackInTheListBeforeTheGraceEndsKeepsItsMeters() {
    meters.counter("flashsale.admissions", "blip").increment();
    meters.sweep(Set.of(), 0);
    meters.sweep(Set.of("blip"), GRACE_MS / 2);
    meters.sweep(Set.of(), GRACE_MS + 1);
    assertThat(of("blip")).hasSize(1);
    assertThat(registry.get("flashsale.admissions").tag("sale", "blip").counter().count())
        .isEqualTo(1);
  }

  @Test
  void aLateUpdateAfterRemovalReregistersOnlyUntilTheNextSweep() {
    meters.gauge("flashsale.reconciliation.drift", "late").set(1);
    meters.sweep(Set.of(), 0);
    meters.sweep(Set.of(), GRACE_MS);
    assertThat(of("late")).isEmpty();

    // A step that started before the end answers now.
    meters.gauge("flashsale.reconciliation.drift", "late").set(5);
    assertThat(registry.get("flashsale.reconciliation.drift").tag("sale", "late").gauge().value())
        .as("a fresh gauge, not the removed one")
        .isEqualTo(5);
    meters.sweep(Set.of(), GRACE_MS + 1_000);
    assertThat(of("late")).as("gone at the next sweep, no second grace").isEmpty();
    assertThat(meters.salesHeld()).isZero();
  }

  @Test
  void updatesRacingTheSweepLeaveNothingBehind() throws Exception {
    int threads = 4;
    AtomicBoolean running = new AtomicBoolean(true);
    CountDownLatch started = new CountDownLatch(threads);
    List<Thread> updaters = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread updater =
          new Thread(
              () -> {
                started.countDown();
                long i = 0;
                while (running.get()) {
                  String saleId = "s" + (i % 2);
                  meters.gauge("flashsale.queue.waiting", saleId).set(i);
                  meters.gauge("flashsale.queue.away", saleId).set(i);
                  meters.counter("flashsale.admissions", saleId).increment();
                  i++;
                }
              });
      updater.start();
      updaters.add(updater);
    }
    started.await();
    // Every sale ended, swept as fast as can be: meters removed while other threads update them.
    long now = 0;
    for (int sweep = 0; sweep < 100_000; sweep++) {
      now += GRACE_MS;
      meters.sweep(Set.of(), now);
    }
    running.set(false);
    for (Thread updater : updaters) {
      updater.join();
    }
    for (String saleId : List.of("s0", "s1")) {
      meters.gauge("flashsale.queue.waiting", saleId).set(-1);
      assertThat(registry.get("flashsale.queue.waiting").tag("sale", saleId).gauge().value())
          .as("the exported gauge is the one updated, not one left from a removed sale")
          .isEqualTo(-1);
    }
    // Whatever the last updates re-created is found by the sweeps, and gone within a grace.
    meters.sweep(Set.of(), now + GRACE_MS);
    meters.sweep(Set.of(), now + 2 * GRACE_MS);
    assertThat(registry.getMeters()).as("no meter outlives the sweeps").isEmpty();
    assertThat(meters.salesHeld()).isZero();
  }
}

package io.flashsale.infra;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * How late each event loop runs a task it was asked to run at a set time: a probe scheduled every
 * {@link #PERIOD} on every Netty event loop records how much later than asked it ran. A loop busy
 * with blocking work or starved of CPU shows here long before the blocked-thread checker (2 s) says
 * anything; every request on that loop waits as long.
 */
public final class EventLoopLag {

  static final Duration PERIOD = Duration.ofMillis(200);

  private final Timer lag;
  private volatile boolean stopped;

  private EventLoopLag(Timer lag) {
    this.lag = lag;
  }

  /**
   * Starts a probe on every event loop of {@code vertx}; they stop when the returned stop runs or
   * Vert.x closes.
   */
  public static Runnable watch(Vertx vertx, MeterRegistry metrics) {
    EventLoopLag watcher =
        new EventLoopLag(
            Timer.builder("flashsale.eventloop.lag")
                .serviceLevelObjectives(
                    Duration.ofMillis(5),
                    Duration.ofMillis(20),
                    Duration.ofMillis(50),
                    Duration.ofMillis(100),
                    Duration.ofMillis(250),
                    Duration.ofMillis(500),
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(2))
                .register(metrics));
    // Vert.x 5 keeps the Netty group behind its internal interface; every Vertx instance is one.
    for (EventExecutor loop : ((VertxInternal) vertx).nettyEventLoopGroup()) {
      watcher.probe(loop);
    }
    return () -> watcher.stopped = true;
  }

  private void probe(EventExecutor loop) {
    if (stopped) {
      return;
    }
    long due = System.nanoTime() + PERIOD.toNanos();
    try {
      loop.schedule(
          () -> {
            lag.record(Math.max(0, System.nanoTime() - due), TimeUnit.NANOSECONDS);
            probe(loop);
          },
          PERIOD.toNanos(),
          TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closing) {
      // Vert.x is closing: the loop takes no more tasks, and there is nothing left to watch.
    }
  }
}

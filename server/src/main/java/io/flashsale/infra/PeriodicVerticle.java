package io.flashsale.infra;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one asynchronous job at a fixed rhythm, never two runs at once; a failed run is logged and
 * the next one tries again. For sweeps that are safe on every instance at once.
 */
public final class PeriodicVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(PeriodicVerticle.class);

  private final String name;
  private final Duration interval;
  private final Supplier<Future<?>> job;
  private boolean running;

  public PeriodicVerticle(String name, Duration interval, Supplier<Future<?>> job) {
    this.name = name;
    this.interval = interval;
    this.job = job;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(
        interval.toMillis(),
        id -> {
          if (running) {
            return;
          }
          running = true;
          job.get()
              .onFailure(
                  e -> LOG.warn(name + " failed; retrying in " + interval.toMillis() + " ms", e))
              .onComplete(done -> running = false);
        });
    return Future.succeededFuture();
  }
}

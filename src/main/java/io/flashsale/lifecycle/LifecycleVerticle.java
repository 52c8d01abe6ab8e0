package io.flashsale.lifecycle;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Ticks the sale timeline at a fixed rhythm; a failed tick is logged and the next one tries again. */
public final class LifecycleVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger(LifecycleVerticle.class.getName());

  private final SaleTimeline timeline;
  private final Duration tick;
  private boolean ticking;

  public LifecycleVerticle(SaleTimeline timeline, Duration tick) {
    this.timeline = timeline;
    this.tick = tick;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(tick.toMillis(), id -> {
      if (ticking) {
        return;
      }
      ticking = true;
      timeline.tick()
          .onFailure(e -> LOG.log(Level.WARNING, "sale timeline tick failed", e))
          .onComplete(done -> ticking = false);
    });
    return Future.succeededFuture();
  }
}

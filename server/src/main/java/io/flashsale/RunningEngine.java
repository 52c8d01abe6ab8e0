package io.flashsale;

import io.flashsale.http.OidcKeys;
import io.flashsale.payment.SimulatedPaymentGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.List;

/**
 * An engine that {@link FlashSaleApp#start} started: its services, its verticles by name, and what
 * else must be stopped with it ({@code watchers}: the on-call figures' timers, the JVM metrics
 * binders, the event-bus consumer that empties the sale catalog), and its start-up {@link
 * Rehearsal}.
 */
public record RunningEngine(
    Vertx vertx,
    Services services,
    Deployments deployments,
    List<Runnable> watchers,
    Rehearsal rehearsal) {

  public RunningEngine {
    watchers = List.copyOf(watchers);
  }

  /**
   * Graceful stop: the timers outside verticles stop, the verticles are undeployed in {@link
   * Deployments#STOP_ORDER} (the HTTP servers drain first, the reservation verticle answers last),
   * then the stores close, then the simulated gateway's own connections.
   */
  public Future<Void> stop() {
    // A rehearsal still running stops sending and deletes its sale while the stores are open.
    return rehearsal.stop().transform(rehearsed -> stopEngine());
  }

  /** The start-up rehearsal's outcome, once it is over (at once when there was none). */
  public Future<Rehearsal.Outcome> rehearsed() {
    return rehearsal.finished();
  }

  private Future<Void> stopEngine() {
    watchers.forEach(Runnable::run);
    services.oidcKeys().ifPresent(OidcKeys::close);
    if (services.gateway() instanceof SimulatedPaymentGateway simulated) {
      simulated.close();
    }
    return deployments
        .undeploy(vertx)
        .transform(done -> services.stores().close())
        .transform(
            done -> services.gatewayPool().map(Pool::close).orElse(Future.succeededFuture()));
  }
}

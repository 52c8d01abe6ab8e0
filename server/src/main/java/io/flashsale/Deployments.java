package io.flashsale;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The verticles of one running engine, by name: the deployment id of each. */
public record Deployments(Map<Name, String> ids) {

  /** The engine's verticles, in the order {@link FlashSaleApp#start} deploys them. */
  public enum Name {
    RESERVATIONS,
    SALE_TIMELINE,
    ADMISSION_TICKER,
    PREAUTHORIZATIONS,
    HOLD_EXPIRY,
    AUTHORIZATION_VOIDS,
    REDIS_RECOVERY,
    RECONCILIATION,
    HTTP
  }

  /**
   * The order {@link #undeploy} stops them in, one stage after the other; within a stage, together.
   * The HTTP servers first: they drain the requests in progress, a reservation among them. Then the
   * timers (lifecycle, admission, pre-authorisation, sweeps, audits), which stop starting new work.
   * The reservation verticle last: it sends and answers what still waits, the last requests of the
   * servers and the tickers included.
   */
  public static final List<Set<Name>> STOP_ORDER =
      List.of(
          EnumSet.of(Name.HTTP),
          EnumSet.of(
              Name.SALE_TIMELINE,
              Name.ADMISSION_TICKER,
              Name.PREAUTHORIZATIONS,
              Name.HOLD_EXPIRY,
              Name.AUTHORIZATION_VOIDS,
              Name.REDIS_RECOVERY,
              Name.RECONCILIATION),
          EnumSet.of(Name.RESERVATIONS));

  public Deployments {
    ids = Collections.unmodifiableMap(new EnumMap<>(ids));
  }

  /**
   * Undeploys stage by stage in {@link #STOP_ORDER}; a stage that fails does not hold up the next.
   */
  public Future<Void> undeploy(Vertx vertx) {
    Future<Void> stopped = Future.succeededFuture();
    for (Set<Name> stage : STOP_ORDER) {
      stopped =
          stopped.transform(
              previous ->
                  Future.join(
                          stage.stream()
                              .filter(ids::containsKey)
                              .map(name -> vertx.undeploy(ids.get(name)))
                              .toList())
                      .mapEmpty());
    }
    return stopped;
  }
}

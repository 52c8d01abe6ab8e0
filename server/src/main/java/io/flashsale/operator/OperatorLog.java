package io.flashsale.operator;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * The audit trail of operator actions: who did what to which sale, and when; and their count in
 * {@code flashsale_operator_actions_total{action}}, one per action that took effect.
 */
public final class OperatorLog {

  /**
   * What an operator can do; the names are the stored ones. The blacklist changes apply to every
   * sale, so they are counted but have no row of their own in a sale's trail.
   */
  public enum Action {
    PAUSE,
    RESUME,
    SET_RATE,
    END_EARLY,
    EXPORT,
    BLACKLIST_ADD,
    BLACKLIST_REMOVE
  }

  private final MeterRegistry metrics;

  public OperatorLog(MeterRegistry metrics) {
    this.metrics = metrics;
  }

  public Future<Void> record(
      SqlClient client, UUID saleId, String actor, Action action, JsonObject detail) {
    return client
        .preparedQuery(
            "INSERT INTO operator_actions (sale_id, actor, action, detail) VALUES ($1, $2, $3, $4)")
        .execute(Tuple.of(saleId, actor, action.name(), detail))
        .mapEmpty();
  }

  /** Counts an action once it took effect (its transaction committed, its download was made). */
  public void count(Action action) {
    metrics.counter("flashsale.operator.actions", "action", action.name()).increment();
  }

  /** A sale's actions, oldest first. */
  public Future<JsonArray> list(SqlClient client, UUID saleId) {
    return client
        .preparedQuery(
            """
            SELECT actor, action, detail, acted_at FROM operator_actions WHERE sale_id = $1 ORDER BY action_id""")
        .execute(Tuple.of(saleId))
        .map(
            rows -> {
              JsonArray actions = new JsonArray();
              rows.forEach(
                  row ->
                      actions.add(
                          new JsonObject()
                              .put("actor", row.getString("actor"))
                              .put("action", row.getString("action"))
                              .put("detail", row.getJsonObject("detail"))
                              .put(
                                  "at",
                                  row.getOffsetDateTime("acted_at")
                                      .withOffsetSameInstant(ZoneOffset.UTC)
                                      .toInstant()
                                      .toString())));
              return actions;
            });
  }
}

package io.flashsale.lifecycle;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Once-across-the-cluster for timeline steps with side effects. An instance claims a step for a
 * while; only a step not yet done whose last claim has run out can be claimed, so two instances
 * never work on it together, and one whose holder died is taken up again.
 */
final class StepClaims {

  enum Step {
    WARM_UP,
    NOTIFY_T60,
    NOTIFY_T5
  }

  private final Pool pool;
  private final String owner = UUID.randomUUID().toString();
  private final Duration claimFor;

  StepClaims(Pool pool, Duration claimFor) {
    this.pool = pool;
    this.claimFor = claimFor;
  }

  /** True if this instance now holds the step. */
  Future<Boolean> claim(String saleId, Step step) {
    return pool.preparedQuery(
            """
            INSERT INTO sale_timeline_steps AS t (sale_id, step, claimed_by, claimed_until)
            VALUES ($1, $2, $3, now() + make_interval(secs => $4))
            ON CONFLICT (sale_id, step) DO UPDATE
               SET claimed_by = EXCLUDED.claimed_by, claimed_until = EXCLUDED.claimed_until
             WHERE t.done_at IS NULL AND t.claimed_until < now()
            RETURNING step""")
        .execute(
            Tuple.of(UUID.fromString(saleId), step.name(), owner, (double) claimFor.toSeconds()))
        .map(rows -> rows.size() == 1);
  }

  Future<Void> done(String saleId, Step step, String outcome) {
    return pool.preparedQuery(
            """
            UPDATE sale_timeline_steps SET done_at = now(), outcome = $4
             WHERE sale_id = $1 AND step = $2 AND claimed_by = $3""")
        .execute(Tuple.of(UUID.fromString(saleId), step.name(), owner, outcome))
        .mapEmpty();
  }

  /** Gives a failed step back at once, so the next tick (on any instance) tries again. */
  Future<Void> release(String saleId, Step step) {
    return pool.preparedQuery(
            """
            UPDATE sale_timeline_steps SET claimed_until = now()
             WHERE sale_id = $1 AND step = $2 AND claimed_by = $3 AND done_at IS NULL""")
        .execute(Tuple.of(UUID.fromString(saleId), step.name(), owner))
        .mapEmpty();
  }

  Future<List<String>> subscribers(String saleId) {
    return pool.preparedQuery(
            "SELECT email FROM sale_subscriptions WHERE sale_id = $1 ORDER BY created_at")
        .execute(Tuple.of(UUID.fromString(saleId)))
        .map(
            rows -> {
              List<String> emails = new ArrayList<>(rows.size());
              rows.forEach(row -> emails.add(row.getString("email")));
              return emails;
            });
  }

  Future<Boolean> subscribe(String saleId, String userId, String email) {
    return pool.preparedQuery(
            """
            INSERT INTO sale_subscriptions (sale_id, user_id, email) VALUES ($1, $2, $3)
            ON CONFLICT (sale_id, user_id) DO UPDATE SET email = EXCLUDED.email""")
        .execute(Tuple.of(UUID.fromString(saleId), userId, email))
        .map(rows -> rows.rowCount() == 1);
  }
}

package io.flashsale.sale;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** SQL for card pre-authorisations and the captures that turned them into payments. */
public final class AuthorizationRepository {

  /** A pre-authorisation as the database holds it. */
  public record StoredAuthorization(
      String saleId,
      String userId,
      String authorizationId,
      long amountCents,
      String currency,
      String status) {
    static StoredAuthorization fromRow(Row row) {
      return new StoredAuthorization(
          row.getUUID("sale_id").toString(),
          row.getString("user_id"),
          row.getString("authorization_id"),
          row.getLong("amount_cents"),
          row.getString("currency"),
          row.getString("status"));
    }
  }

  /** One gateway answer to record. {@code declineReason} is null for an approval. */
  public record Answer(
      String userId,
      String idempotencyKey,
      String paymentMethodId,
      String authorizationId,
      long amountCents,
      String declineReason) {}

  private static final String COLUMNS =
      "sale_id, user_id, authorization_id, amount_cents, currency, status";

  /**
   * Records a batch of answers; a buyer already recorded (a retried attempt) keeps the first
   * record.
   */
  public Future<Void> recordAnswers(
      SqlClient client, UUID saleId, String currency, List<Answer> answers) {
    int n = answers.size();
    String[] users = new String[n];
    String[] keys = new String[n];
    String[] methods = new String[n];
    String[] ids = new String[n];
    Long[] amounts = new Long[n];
    String[] statuses = new String[n];
    String[] reasons = new String[n];
    for (int i = 0; i < n; i++) {
      Answer answer = answers.get(i);
      users[i] = answer.userId();
      keys[i] = answer.idempotencyKey();
      methods[i] = answer.paymentMethodId();
      ids[i] = answer.authorizationId();
      amounts[i] = answer.amountCents();
      statuses[i] = answer.declineReason() == null ? "AUTHORIZED" : "DECLINED";
      reasons[i] = answer.declineReason();
    }
    return client
        .preparedQuery(
            """
            INSERT INTO payment_authorizations (sale_id, user_id, idempotency_key, payment_method_id,
              authorization_id, amount_cents, currency, status, decline_reason)
            SELECT $1, b.user_id, b.idempotency_key, b.payment_method_id, b.authorization_id, b.amount_cents, $2,
                   b.status, b.decline_reason
              FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[])
                AS b(user_id, idempotency_key, payment_method_id, authorization_id, amount_cents, status, decline_reason)
            ON CONFLICT DO NOTHING""")
        .execute(
            Tuple.of(saleId, currency, users, keys, methods, ids, amounts)
                .addArrayOfString(statuses)
                .addArrayOfString(reasons))
        .mapEmpty();
  }

  /** The buyer's pre-authorisation for a sale, locked: capture and void serialise on it. */
  public Future<Optional<StoredAuthorization>> lock(SqlClient client, UUID saleId, String userId) {
    return client
        .preparedQuery(
            "SELECT "
                + COLUMNS
                + " FROM payment_authorizations WHERE sale_id = $1 AND user_id = $2 FOR UPDATE")
        .execute(Tuple.of(saleId, userId))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(StoredAuthorization.fromRow(rows.iterator().next())));
  }

  /**
   * Records a capture: the payment row (one per order, by primary key) and the authorisation's new
   * state.
   */
  public Future<Void> recordCapture(
      SqlClient client,
      UUID orderId,
      String authorizationId,
      String captureId,
      long amountCents,
      String currency) {
    return client
        .preparedQuery(
            """
            INSERT INTO payments (order_id, authorization_id, capture_id, amount_cents, currency)
            VALUES ($1, $2, $3, $4, $5)""")
        .execute(Tuple.of(orderId, authorizationId, captureId, amountCents, currency))
        .compose(
            inserted ->
                client
                    .preparedQuery(
                        "UPDATE payment_authorizations SET status = 'CAPTURED', updated_at = now() WHERE authorization_id = $1")
                    .execute(Tuple.of(authorizationId)))
        .mapEmpty();
  }

  /** Asks for the buyer's authorisation to be voided (their order ended without a payment). */
  public Future<Void> requestVoid(SqlClient client, UUID saleId, String userId) {
    return requestVoids(client, saleId, List.of(userId));
  }

  /** The same for several buyers of one sale (they left the line, or were dropped from it). */
  public Future<Void> requestVoids(SqlClient client, UUID saleId, List<String> userIds) {
    return client
        .preparedQuery(
            """
            UPDATE payment_authorizations SET void_requested_at = now(), updated_at = now()
             WHERE sale_id = $1 AND user_id = ANY($2) AND status = 'AUTHORIZED' AND void_requested_at IS NULL""")
        .execute(Tuple.of(saleId).addArrayOfString(userIds.toArray(String[]::new)))
        .mapEmpty();
  }

  /**
   * Authorisations to void now, locked and skipped by any other instance's sweep: asked for, or
   * belonging to a sale that has ended (the waitlist's last hope is gone).
   */
  public Future<List<StoredAuthorization>> lockDueForVoid(SqlClient client, int limit) {
    return client
        .preparedQuery(
            """
            SELECT a.sale_id, a.user_id, a.authorization_id, a.amount_cents, a.currency, a.status
              FROM payment_authorizations a JOIN flash_sales s ON s.sale_id = a.sale_id
             WHERE a.status = 'AUTHORIZED' AND (a.void_requested_at IS NOT NULL OR s.status = 'ENDED')
             LIMIT $1
               FOR UPDATE OF a SKIP LOCKED""")
        .execute(Tuple.of(limit))
        .map(
            rows -> {
              List<StoredAuthorization> due = new ArrayList<>(rows.size());
              rows.forEach(row -> due.add(StoredAuthorization.fromRow(row)));
              return due;
            });
  }

  public Future<Void> markVoided(SqlClient client, List<String> authorizationIds) {
    return client
        .preparedQuery(
            """
            UPDATE payment_authorizations SET status = 'VOIDED', updated_at = now()
             WHERE authorization_id = ANY($1) AND status = 'AUTHORIZED'""")
        .execute(Tuple.of(authorizationIds.toArray(String[]::new)))
        .mapEmpty();
  }
}

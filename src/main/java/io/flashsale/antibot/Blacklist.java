package io.flashsale.antibot;

import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.SaleRepository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Flagged accounts. PostgreSQL holds the list; every open sale has a Redis set copy, written
 * when the sale is created or warmed up and on every change, so the join script's check costs
 * one SISMEMBER.
 */
public final class Blacklist {

  private static final int CHUNK = 1_000;

  private final Pool pool;
  private final Redis redis;
  private final SaleRepository sales;

  public Blacklist(Pool pool, Redis redis, SaleRepository sales) {
    this.pool = pool;
    this.redis = redis;
    this.sales = sales;
  }

  /** Flags an account; returns false if it was already flagged. */
  public Future<Boolean> add(String userId, String reason, String by) {
    return pool.preparedQuery("""
            INSERT INTO blacklisted_accounts (user_id, reason, created_by) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO NOTHING""")
        .execute(Tuple.of(userId, reason, by))
        .compose(inserted -> mirror(Command.SADD, userId).map(inserted.rowCount() == 1));
  }

  /** Clears an account; returns false if it was not flagged. */
  public Future<Boolean> remove(String userId) {
    return pool.preparedQuery("DELETE FROM blacklisted_accounts WHERE user_id = $1")
        .execute(Tuple.of(userId))
        .compose(deleted -> mirror(Command.SREM, userId).map(deleted.rowCount() == 1));
  }

  public Future<List<JsonObject>> list() {
    return pool.query("SELECT user_id, reason, created_by, created_at FROM blacklisted_accounts ORDER BY created_at")
        .execute()
        .map(rows -> {
          List<JsonObject> entries = new ArrayList<>(rows.size());
          for (Row row : rows) {
            entries.add(new JsonObject()
                .put("userId", row.getString("user_id"))
                .put("reason", row.getString("reason"))
                .put("createdBy", row.getString("created_by"))
                .put("createdAt", row.getOffsetDateTime("created_at").toInstant().toString()));
          }
          return entries;
        });
  }

  /** Copies the whole list into one sale's Redis set (creation and warm-up). */
  public Future<Void> loadInto(String saleId) {
    return pool.query("SELECT user_id FROM blacklisted_accounts").execute().compose(rows -> {
      List<String> users = new ArrayList<>(rows.size());
      rows.forEach(row -> users.add(row.getString("user_id")));
      List<Future<?>> writes = new ArrayList<>();
      for (int from = 0; from < users.size(); from += CHUNK) {
        Request add = Request.cmd(Command.SADD).arg(new SaleKeys(saleId).blacklist());
        users.subList(from, Math.min(users.size(), from + CHUNK)).forEach(add::arg);
        writes.add(redis.send(add));
      }
      return Future.all(writes).mapEmpty();
    });
  }

  private Future<Void> mirror(Command command, String userId) {
    return sales.listNotEnded(pool).compose(open -> Future.all(open.stream()
            .map(FlashSale::saleId)
            .map(saleId -> redis.send(Request.cmd(command).arg(new SaleKeys(saleId).blacklist()).arg(userId)))
            .toList())
        .mapEmpty());
  }
}

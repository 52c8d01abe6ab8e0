package io.flashsale.antibot;

import io.flashsale.infra.LineKeys;
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
import java.util.function.Function;

/**
 * Flagged accounts and devices. PostgreSQL holds the lists; every open sale has Redis set copies,
 * written when the sale is created or warmed up and on every change, so the join and purchase
 * scripts check them with one SISMEMBER each, before any stock work.
 */
public final class Blacklist {

  /** What can be flagged: its table, its column, and its Redis set per sale. */
  public enum Kind {
    ACCOUNT("blacklisted_accounts", "user_id", "userId", SaleKeys::blacklist, LineKeys::blacklist),
    DEVICE(
        "blacklisted_fingerprints",
        "fingerprint",
        "fingerprint",
        SaleKeys::blacklistedDevices,
        LineKeys::blacklistedDevices);

    private final String table;
    private final String column;
    private final String field;
    private final Function<SaleKeys, String> redisSet;
    private final Function<LineKeys, String> lineSet;

    Kind(
        String table,
        String column,
        String field,
        Function<SaleKeys, String> redisSet,
        Function<LineKeys, String> lineSet) {
      this.lineSet = lineSet;
      this.table = table;
      this.column = column;
      this.field = field;
      this.redisSet = redisSet;
    }

    public String field() {
      return field;
    }
  }

  private static final int CHUNK = 1_000;

  private final Pool pool;
  private final Redis redis;
  private final SaleRepository sales;

  public Blacklist(Pool pool, Redis redis, SaleRepository sales) {
    this.pool = pool;
    this.redis = redis;
    this.sales = sales;
  }

  /** Flags an account or device; returns false if it was already flagged. */
  public Future<Boolean> add(Kind kind, String subject, String reason, String by) {
    return pool.preparedQuery(
            "INSERT INTO "
                + kind.table
                + " ("
                + kind.column
                + ", reason, created_by) VALUES ($1, $2, $3)"
                + " ON CONFLICT ("
                + kind.column
                + ") DO NOTHING")
        .execute(Tuple.of(subject, reason, by))
        .compose(inserted -> mirror(kind, Command.SADD, subject).map(inserted.rowCount() == 1));
  }

  /** Clears an account or device; returns false if it was not flagged. */
  public Future<Boolean> remove(Kind kind, String subject) {
    return pool.preparedQuery("DELETE FROM " + kind.table + " WHERE " + kind.column + " = $1")
        .execute(Tuple.of(subject))
        .compose(deleted -> mirror(kind, Command.SREM, subject).map(deleted.rowCount() == 1));
  }

  public Future<List<JsonObject>> list(Kind kind) {
    return pool.query(
            "SELECT "
                + kind.column
                + ", reason, created_by, created_at FROM "
                + kind.table
                + " ORDER BY created_at")
        .execute()
        .map(
            rows -> {
              List<JsonObject> entries = new ArrayList<>(rows.size());
              for (Row row : rows) {
                entries.add(
                    new JsonObject()
                        .put(kind.field, row.getString(kind.column))
                        .put("reason", row.getString("reason"))
                        .put("createdBy", row.getString("created_by"))
                        .put(
                            "createdAt",
                            row.getOffsetDateTime("created_at").toInstant().toString()));
              }
              return entries;
            });
  }

  /** Copies both lists into one sale's Redis sets (creation and warm-up). */
  public Future<Void> loadInto(FlashSale sale) {
    return Future.all(loadInto(sale, Kind.ACCOUNT), loadInto(sale, Kind.DEVICE)).mapEmpty();
  }

  /**
   * The sale's set of this kind, and the copy on each shard of its line that lives in a slot of its
   * own (the join script reads its shard's copy).
   */
  private static List<String> sets(FlashSale sale, Kind kind) {
    SaleKeys keys = new SaleKeys(sale.saleId());
    List<String> sets = new ArrayList<>();
    sets.add(kind.redisSet.apply(keys));
    for (LineKeys line : keys.lines(sale.lineShards())) {
      if (!line.inSaleSlot()) {
        sets.add(kind.lineSet.apply(line));
      }
    }
    return sets;
  }

  private Future<Void> loadInto(FlashSale sale, Kind kind) {
    return pool.query("SELECT " + kind.column + " FROM " + kind.table)
        .execute()
        .compose(
            rows -> {
              List<String> subjects = new ArrayList<>(rows.size());
              rows.forEach(row -> subjects.add(row.getString(kind.column)));
              List<Future<?>> writes = new ArrayList<>();
              for (String set : sets(sale, kind)) {
                for (int from = 0; from < subjects.size(); from += CHUNK) {
                  Request add = Request.cmd(Command.SADD).arg(set);
                  subjects.subList(from, Math.min(subjects.size(), from + CHUNK)).forEach(add::arg);
                  writes.add(redis.send(add));
                }
              }
              return Future.all(writes).mapEmpty();
            });
  }

  private Future<Void> mirror(Kind kind, Command command, String subject) {
    return sales
        .listNotEnded(pool)
        .compose(
            open ->
                Future.all(
                        open.stream()
                            .flatMap(sale -> sets(sale, kind).stream())
                            .map(set -> redis.send(Request.cmd(command).arg(set).arg(subject)))
                            .toList())
                    .mapEmpty());
  }
}

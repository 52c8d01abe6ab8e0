package io.flashsale.operator;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.waitingroom.LineFigures;
import io.flashsale.waitingroom.LineOrder;
import io.flashsale.waitingroom.Ticket;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * A sale's outcome as CSV, one file per part: orders, payments (every card authorisation and its
 * capture), the queue order, and the bot defence's rejections by reason.
 */
public final class SaleExport {

  /** The parts an operator can download. */
  public enum Part {
    ORDERS(
        "order_id",
        "user_id",
        "quantity",
        "status",
        "amount_cents",
        "currency",
        "reserved_at",
        "expires_at",
        "paid_at",
        "closed_at",
        "payment_reference"),
    PAYMENTS(
        "user_id",
        "authorization_id",
        "status",
        "amount_cents",
        "currency",
        "decline_reason",
        "void_requested_at",
        "order_id",
        "capture_id",
        "captured_at"),
    QUEUE("queue_number", "user_id", "ticket_id", "state", "quantity", "order_id"),
    REJECTIONS("reason", "count");

    private final String[] header;

    Part(String... header) {
      this.header = header;
    }

    public static Part parse(String name) {
      for (Part part : values()) {
        if (part.name().equalsIgnoreCase(name)) {
          return part;
        }
      }
      throw new FlashSaleException(
          ErrorCode.NOT_FOUND,
          "no export named '" + name + "'; there are orders, payments, queue and rejections");
    }
  }

  private final Pool pool;
  private final Redis redis;
  private final OperatorLog log;

  public SaleExport(Pool pool, Redis redis, OperatorLog log) {
    this.pool = pool;
    this.redis = redis;
    this.log = log;
  }

  /** The part as CSV; the download is audited like any other operator action. */
  public Future<String> csv(UUID saleId, Part part, String actor) {
    Future<List<List<Object>>> records =
        switch (part) {
          case ORDERS ->
              sql(
                  saleId,
                  """
          SELECT order_id, user_id, quantity, status, amount_cents, currency, reserved_at, expires_at, paid_at,
                 closed_at, payment_reference
            FROM sale_orders WHERE sale_id = $1 ORDER BY reserved_at, order_id""");
          case PAYMENTS ->
              sql(
                  saleId,
                  """
          SELECT a.user_id, a.authorization_id, a.status, a.amount_cents, a.currency, a.decline_reason,
                 a.void_requested_at, p.order_id, p.capture_id, p.captured_at
            FROM payment_authorizations a LEFT JOIN payments p ON p.authorization_id = a.authorization_id
           WHERE a.sale_id = $1 ORDER BY a.created_at, a.user_id""");
          case QUEUE ->
              shards(saleId)
                  .compose(
                      shards -> {
                        List<LineKeys> lines = new SaleKeys(saleId.toString()).lines(shards);
                        List<Future<Response>> reads = new ArrayList<>(shards);
                        lines.forEach(line -> reads.add(redisHash(line.tickets())));
                        Future<long[]> prequeue = LineOrder.prequeueSizes(redis, lines);
                        return Future.all(Future.all(reads), prequeue)
                            .map(
                                done ->
                                    queueOrder(
                                        reads.stream().map(Future::result).toList(),
                                        LineOrder.Prequeue.of(saleId, prequeue.result())));
                      });
          case REJECTIONS ->
              shards(saleId)
                  .compose(shards -> LineFigures.read(redis, saleId.toString(), shards))
                  .map(figures -> rejections(figures.rejections()));
        };
    return records
        .map(rows -> print(part, rows))
        .compose(
            csv ->
                log.record(
                        pool,
                        saleId,
                        actor,
                        OperatorLog.Action.EXPORT,
                        new JsonObject().put("part", part.name()))
                    .map(csv))
        .onSuccess(csv -> log.count(OperatorLog.Action.EXPORT));
  }

  private Future<List<List<Object>>> sql(UUID saleId, String query) {
    return pool.preparedQuery(query).execute(Tuple.of(saleId)).map(SaleExport::rows);
  }

  /** How many shards the sale's line has (1 for a sale that does not exist: nothing to read). */
  private Future<Integer> shards(UUID saleId) {
    return pool.preparedQuery("SELECT line_shards FROM flash_sales WHERE sale_id = $1")
        .execute(Tuple.of(saleId))
        .map(rows -> rows.size() == 0 ? 1 : rows.iterator().next().getInteger("line_shards"));
  }

  private Future<Response> redisHash(String key) {
    return redis.send(Request.cmd(Command.HGETALL).arg(key));
  }

  private static List<List<Object>> rows(RowSet<Row> rows) {
    List<List<Object>> records = new ArrayList<>(rows.size());
    rows.forEach(
        row -> {
          List<Object> record = new ArrayList<>(row.size());
          for (int i = 0; i < row.size(); i++) {
            Object value = row.getValue(i);
            record.add(value instanceof OffsetDateTime time ? time.toInstant().toString() : value);
          }
          records.add(record);
        });
    return records;
  }

  /** Numbered tickets in queue order, then the pre-queue's (never drawn: the sale ended first). */
  /**
   * Every shard's tickets in line order: the admission step's merge order ({@link LineOrder});
   * numberless (pre-queue) tickets last.
   */
  private static List<List<Object>> queueOrder(List<Response> shards, LineOrder.Prequeue prequeue) {
    record Row(int shard, List<Object> record) {}
    List<Row> rows = new ArrayList<>();
    for (int shard = 0; shard < shards.size(); shard++) {
      Response tickets = shards.get(shard);
      for (String user : tickets.getKeys()) {
        Ticket ticket = Ticket.decode(tickets.get(user).toString());
        rows.add(
            new Row(
                shard,
                List.of(
                    ticket.number(),
                    user,
                    ticket.ticketId(),
                    ticket.state().name(),
                    ticket.quantity(),
                    ticket.orderId() == null ? "" : ticket.orderId())));
      }
    }
    rows.sort(
        (a, b) -> {
          long m = (long) a.record().get(0);
          long n = (long) b.record().get(0);
          if (m == 0 || n == 0) {
            return m == n
                ? ((String) a.record().get(1)).compareTo((String) b.record().get(1))
                : m == 0 ? 1 : -1;
          }
          return LineOrder.compare(a.shard(), m, b.shard(), n, prequeue);
        });
    return rows.stream().map(Row::record).toList();
  }

  private static List<List<Object>> rejections(Map<String, Long> tally) {
    List<List<Object>> records = new ArrayList<>();
    tally.keySet().stream()
        .sorted()
        .forEach(reason -> records.add(List.of(reason, tally.get(reason))));
    return records;
  }

  private static String print(Part part, List<List<Object>> records) {
    StringWriter out = new StringWriter();
    try (CSVPrinter printer =
        new CSVPrinter(out, CSVFormat.RFC4180.builder().setHeader(part.header).get())) {
      printer.printRecords(records);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}

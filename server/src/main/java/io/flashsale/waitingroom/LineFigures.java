package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sale's line in figures, summed over its shards: buyers waiting, in the pre-queue, tickets
 * handed out, how far admission has got (the admitted queue numbers' high-water marks, one per
 * shard) and the refusals counted by reason (the sale's own tally and each shard's join refusals).
 */
public record LineFigures(
    long waiting, long prequeue, long admittedTo, long joined, Map<String, Long> rejections) {

  public static Future<LineFigures> read(Redis redis, String saleId, int shards) {
    SaleKeys sale = new SaleKeys(saleId);
    List<Future<List<Response>>> reads = new ArrayList<>(shards + 1);
    for (LineKeys line : sale.lines(shards)) {
      reads.add(
          redis.batch(
              List.of(
                  Request.cmd(Command.GET).arg(line.waiting()),
                  Request.cmd(Command.SCARD).arg(line.prequeue()),
                  Request.cmd(Command.GET).arg(line.cursor()),
                  Request.cmd(Command.HLEN).arg(line.tickets()),
                  Request.cmd(Command.HGETALL).arg(line.rejections()))));
    }
    // With one shard, the shard's tally is the sale's own.
    Future<Response> saleTally =
        shards == 1
            ? Future.succeededFuture(null)
            : redis.send(Request.cmd(Command.HGETALL).arg(sale.rejections()));
    return Future.all(Future.all(reads), saleTally)
        .map(
            done -> {
              long waiting = 0;
              long prequeue = 0;
              long admittedTo = 0;
              long joined = 0;
              Map<String, Long> rejections = new LinkedHashMap<>();
              for (Future<List<Response>> read : reads) {
                List<Response> figures = read.result();
                waiting += number(figures.get(0));
                prequeue += number(figures.get(1));
                admittedTo += number(figures.get(2));
                joined += number(figures.get(3));
                add(rejections, figures.get(4));
              }
              add(rejections, saleTally.result());
              return new LineFigures(waiting, prequeue, admittedTo, joined, rejections);
            });
  }

  private static long number(Response value) {
    return value == null ? 0 : value.toLong();
  }

  private static void add(Map<String, Long> into, Response tally) {
    if (tally != null) {
      tally.getKeys().forEach(reason -> into.merge(reason, tally.get(reason).toLong(), Long::sum));
    }
  }
}

package io.flashsale.waitingroom;

import io.flashsale.antibot.BotDefence.Guards;
import io.flashsale.antibot.RateLimits;
import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.QueuePolicy;
import io.flashsale.waitingroom.JoinQueueScript.JoinResult;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Coalesced joins: the joins of one sale's line shard that reach one event loop within {@code
 * windowMillis} (or {@code batchSize} of them, whichever comes first) go to Redis as one call of
 * the join script, which answers each buyer. Inside a batch the order is arrival order at the event
 * loop. Each event loop keeps its own lanes (in its context's data), so a join never changes
 * thread.
 *
 * <p>Batches of one lane may be on their way at once; two of them can reach Redis in either order
 * over the pooled connections, so arrival order holds within a batch and to within a window between
 * batches.
 */
final class JoinBatches {

  private record Pending(JoinQueueScript.Join join, Promise<JoinResult> answer) {}

  private final Vertx vertx;
  private final long windowMillis;
  private final int batchSize;
  private final DistributionSummary sizes;
  private final JoinQueueScript script;
  private final RateLimits rateLimits;

  /** The key of this instance's lanes in each event loop's context data. */
  private final Object lanesKey = new Object();

  JoinBatches(
      Vertx vertx,
      Redis redis,
      RateLimits rateLimits,
      long windowMillis,
      int batchSize,
      MeterRegistry metrics) {
    this.vertx = vertx;
    this.script = new JoinQueueScript(redis);
    this.rateLimits = rateLimits;
    this.windowMillis = windowMillis;
    this.batchSize = batchSize;
    this.sizes =
        DistributionSummary.builder("flashsale.queue.join.batch")
            .description("joins per call of the join script")
            .register(metrics);
  }

  Future<Void> loadScripts() {
    return script.load();
  }

  Future<JoinResult> join(
      FlashSale sale,
      String userId,
      int quantity,
      String paymentMethodId,
      String device,
      Guards guards) {
    Pending join =
        new Pending(
            new JoinQueueScript.Join(
                userId, quantity, UUID.randomUUID().toString(), paymentMethodId, device, guards),
            Promise.promise());
    LineKeys line = new SaleKeys(sale.saleId()).lineOf(userId, sale.lineShards());
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext()) {
      send(sale, line, List.of(join));
    } else {
      Map<LineKeys, Lane> lanes = context.get(lanesKey);
      if (lanes == null) {
        lanes = new HashMap<>();
        context.put(lanesKey, lanes);
      }
      lanes.computeIfAbsent(line, id -> new Lane(context, line)).add(sale, join);
    }
    return join.answer().future();
  }

  /**
   * The joins of one sale's line shard waiting on one event loop; touched on that event loop only.
   */
  private final class Lane {
    private final Context context;
    private final LineKeys line;
    private List<Pending> waiting = new ArrayList<>();
    private FlashSale sale;
    private long timer = -1;

    Lane(Context context, LineKeys line) {
      this.context = context;
      this.line = line;
    }

    void add(FlashSale sale, Pending join) {
      this.sale = sale;
      waiting.add(join);
      if (waiting.size() >= batchSize) {
        flush();
      } else if (waiting.size() == 1) {
        if (windowMillis == 0) {
          context.runOnContext(v -> flush());
        } else {
          timer = vertx.setTimer(windowMillis, id -> flush());
        }
      }
    }

    private void flush() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      if (waiting.isEmpty()) {
        return;
      }
      List<Pending> batch = waiting;
      waiting = new ArrayList<>();
      send(sale, line, batch);
    }
  }

  private void send(FlashSale sale, LineKeys line, List<Pending> batch) {
    sizes.record(batch.size());
    List<JoinQueueScript.Join> joins = batch.stream().map(Pending::join).toList();
    List<List<RateLimits.Check>> limits =
        joins.stream().map(join -> join.guards().limits()).toList();
    boolean shuffles = sale.queuePolicy() == QueuePolicy.RANDOMIZED_PREQUEUE;
    SaleKeys keys = new SaleKeys(sale.saleId());
    // Every join counts against its rate limits; the script refuses those over a limit, unless
    // they hold a ticket. A one-slot line's script counts them itself: one round trip per batch.
    // A sharded line's limits live in slots of their own, so they are counted first, the batch in
    // one round trip, and the shard's script is told who was refused.
    // Composed on a completed future, so that whatever fails building the call fails the batch's
    // answers rather than leaving them unanswered.
    Future<List<JoinResult>> answered =
        sale.lineShards() == 1
            ? Future.<Void>succeededFuture()
                .compose(
                    start -> script.run(line, shuffles, joins, rateLimits.inScript(keys, limits)))
            : rateLimits
                .count(keys, sale.lineShards(), limits)
                .compose(limited -> script.run(line, shuffles, joins, limited));
    answered.onComplete(
        done -> {
          for (int i = 0; i < batch.size(); i++) {
            if (done.succeeded()) {
              batch.get(i).answer().complete(done.result().get(i));
            } else {
              batch.get(i).answer().fail(done.cause());
            }
          }
        });
  }
}

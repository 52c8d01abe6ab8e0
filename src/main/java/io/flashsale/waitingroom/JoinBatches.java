package io.flashsale.waitingroom;

import io.flashsale.antibot.BotDefence.Guards;
import io.flashsale.antibot.RateLimits;
import io.flashsale.infra.LuaScript;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.QueuePolicy;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Coalesced joins: the joins of one sale that reach one event loop within {@code windowMillis}
 * (or {@code batchSize} of them, whichever comes first) go to Redis as one call of the join
 * script, which answers each buyer. Inside a batch the order is arrival order at the event loop.
 * Each event loop keeps its own lanes (in its context's data), so a join never changes thread.
 *
 * <p>Batches of one lane may be on their way at once; two of them can reach Redis in either
 * order over the pooled connections, so arrival order holds within a batch and to within a
 * window between batches.
 */
final class JoinBatches {

  /** One buyer's join as the script answered it: {@code detail} is the stock left, or which limit refused. */
  record Answer(String outcome, String ticket, long number, long detail) {}

  private record Pending(String userId, int quantity, String paymentMethodId, String device, Guards guards,
                         Promise<Answer> answer) {}

  private final Vertx vertx;
  private final Redis redis;
  private final long windowMillis;
  private final int batchSize;
  private final DistributionSummary sizes;
  private final LuaScript script = LuaScript.fromResource("join_queue");
  /** The key of this instance's lanes in each event loop's context data. */
  private final Object lanesKey = new Object();

  JoinBatches(Vertx vertx, Redis redis, long windowMillis, int batchSize, MeterRegistry metrics) {
    this.vertx = vertx;
    this.redis = redis;
    this.windowMillis = windowMillis;
    this.batchSize = batchSize;
    this.sizes = DistributionSummary.builder("flashsale.queue.join.batch")
        .description("joins per call of the join script").register(metrics);
  }

  Future<Void> loadScripts() {
    return script.load(redis);
  }

  Future<Answer> join(FlashSale sale, String userId, int quantity, String paymentMethodId, String device,
                      Guards guards) {
    Pending join = new Pending(userId, quantity, paymentMethodId, device, guards, Promise.promise());
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext()) {
      send(sale, List.of(join));
    } else {
      Map<String, Lane> lanes = context.get(lanesKey);
      if (lanes == null) {
        lanes = new HashMap<>();
        context.put(lanesKey, lanes);
      }
      lanes.computeIfAbsent(sale.saleId(), id -> new Lane(context)).add(sale, join);
    }
    return join.answer().future();
  }

  /** The joins of one sale waiting on one event loop; touched on that event loop only. */
  private final class Lane {
    private final Context context;
    private List<Pending> waiting = new ArrayList<>();
    private FlashSale sale;
    private long timer = -1;

    Lane(Context context) {
      this.context = context;
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
      send(sale, batch);
    }
  }

  private void send(FlashSale sale, List<Pending> batch) {
    sizes.record(batch.size());
    SaleKeys keys = new SaleKeys(sale.saleId());
    List<String> scriptKeys = new ArrayList<>(List.of(keys.tickets(), keys.blacklist(), keys.sequence(), keys.line(),
        keys.prequeue(), keys.sealed(), keys.stock(), keys.preauthQueue(), keys.payments(), keys.paymentMethods(),
        keys.blacklistedDevices(), keys.rejections(), keys.seen()));
    Map<String, Integer> named = new LinkedHashMap<>();
    List<String> args = new ArrayList<>(2 + batch.size() * 10);
    args.add(sale.queuePolicy() == QueuePolicy.RANDOMIZED_PREQUEUE ? "1" : "0");
    args.add(Integer.toString(batch.size()));
    for (Pending join : batch) {
      Guards guards = join.guards();
      args.add(join.userId());
      args.add(Integer.toString(join.quantity()));
      args.add(UUID.randomUUID().toString());
      args.add(join.paymentMethodId());
      args.add(join.device());
      args.add(guards.refusal() == null ? "" : guards.refusal().reason().name());
      args.add(guards.spentChallengeKey() == null ? "0"
          : Integer.toString(keyIndex(guards.spentChallengeKey(), scriptKeys, named)));
      args.add(Long.toString(guards.challengeTtlMillis()));
      args.add(Integer.toString(guards.limits().size()));
      for (RateLimits.Check check : guards.limits()) {
        args.add(Integer.toString(keyIndex(check.key(), scriptKeys, named)));
        args.add(Long.toString(check.intervalMillis()));
        args.add(Integer.toString(check.burst()));
      }
    }
    script.run(redis, scriptKeys, args).onComplete(done -> {
      if (done.failed()) {
        batch.forEach(join -> join.answer().fail(done.cause()));
        return;
      }
      Response reply = done.result();
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).answer().complete(new Answer(reply.get(4 * i).toString(), reply.get(4 * i + 1).toString(),
            reply.get(4 * i + 2).toLong(), reply.get(4 * i + 3).toLong()));
      }
    });
  }

  /** The 1-based index of {@code key} among the script's keys, adding it the first time. */
  private static int keyIndex(String key, List<String> scriptKeys, Map<String, Integer> named) {
    return named.computeIfAbsent(key, k -> {
      scriptKeys.add(k);
      return scriptKeys.size();
    });
  }
}

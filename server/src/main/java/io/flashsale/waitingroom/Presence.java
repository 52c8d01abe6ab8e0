package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who is still there. A buyer is present while their WebSocket is open or they polled within the
 * window; the time a buyer was last seen lives on their ticket (and a per-second count of them in
 * the sale's presence hash), written at most once per refresh interval per buyer, so it works
 * across pods at the cost of a write every few seconds.
 */
public final class Presence {

  /** {@code enabled} false: admission lets out whoever's turn it is, present or not. */
  public record Settings(boolean enabled, Duration window, Duration grace) {
    /** Often enough that a buyer who keeps polling never looks absent. */
    public Duration refresh() {
      return Duration.ofMillis(Math.max(100, Math.min(5_000, window.toMillis() / 3)));
    }

    /** What the admit script is told: a window of 0 switches the check off. */
    long windowMillisForAdmission() {
      return enabled ? window.toMillis() : 0;
    }
  }

  private final Settings settings;
  private final MarkPresentScript mark;

  public Presence(Redis redis, Settings settings) {
    this.settings = settings;
    this.mark = new MarkPresentScript(redis);
  }

  public Future<Void> loadScripts() {
    return mark.load();
  }

  public Settings settings() {
    return settings;
  }

  /** Marks {@code users} as seen now; any of them set aside for absence goes back into line. */
  public Future<Void> seen(FlashSale sale, Collection<String> users) {
    if (!settings.enabled() || users.isEmpty()) {
      return Future.succeededFuture();
    }
    SaleKeys keys = new SaleKeys(sale.saleId());
    if (sale.lineShards() == 1) {
      return mark.run(keys.line(0, 1), settings.refresh().toMillis(), users);
    }
    // One call per shard that holds any of them.
    Map<Integer, List<String>> byShard = new HashMap<>();
    for (String user : users) {
      byShard
          .computeIfAbsent(LineKeys.shardOf(user, sale.lineShards()), k -> new ArrayList<>())
          .add(user);
    }
    List<Future<Void>> marks = new ArrayList<>(byShard.size());
    byShard.forEach(
        (shard, some) ->
            marks.add(
                mark.run(
                    keys.line(shard, sale.lineShards()), settings.refresh().toMillis(), some)));
    return Future.all(marks).mapEmpty();
  }
}

package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * One read of a sale's line per push interval for the whole process, shared by the live feeds of
 * every HTTP event loop: each used to read the same cursor, stock and departures for itself. A
 * sale's reader runs while at least one feed listens, and hands every listener the same immutable
 * {@link Snapshot} on the listener's own event loop. Shared by all event loops, so thread-safe.
 */
public final class SalePulses {

  private static final int MOST_DEPARTURES_PER_PULSE = 10_000;

  /**
   * What every live connection of a sale derives its view from: the stock (-1 if not loaded),
   * whether the pre-queue is sealed (on every shard), and for each shard of the line its last
   * admitted queue number, its last number handed out and the numbers gone from ahead of its
   * cursor, sorted. Never changed once handed out.
   */
  record Snapshot(long stock, boolean sealed, Shard[] shards, LineOrder.Prequeue prequeue) {

    /**
     * {@code prequeue}, how the shards' pre-queues interleave, is taken from the shards once, here.
     */
    Snapshot(UUID sale, long stock, boolean sealed, Shard[] shards) {
      this(
          stock,
          sealed,
          shards,
          LineOrder.Prequeue.of(sale, Arrays.stream(shards).mapToLong(Shard::prequeue).toArray()));
    }

    /**
     * One shard: its last admitted number, its last number handed out, its sealed pre-queue's size
     * (0: none) and the numbers gone from ahead of its cursor.
     */
    record Shard(long cursor, long last, long prequeue, long[] departedAhead) {}

    /** The last admitted queue number of {@code shard}. */
    long cursor(int shard) {
      return shards[shard].cursor();
    }

    /**
     * The place of queue number {@code number} of {@code shard}: one after everyone still waiting
     * ahead of it in the line's order ({@link LineOrder}), on every shard.
     */
    long position(int shard, long number) {
      long ahead = 0;
      for (int other = 0; other < shards.length; other++) {
        Shard line = shards[other];
        long lastAhead =
            other == shard
                ? number - 1
                : Math.min(line.last(), LineOrder.lastAhead(other, shard, number, prequeue));
        if (lastAhead > line.cursor()) {
          ahead +=
              lastAhead
                  - line.cursor()
                  - DeparturesAhead.below(line.departedAhead(), lastAhead + 1);
        }
      }
      return Math.max(1, ahead + 1);
    }
  }

  /** Stops a listener's snapshots; the sale's reader stops with its last listener. */
  interface Subscription {
    void cancel();
  }

  private final Vertx vertx;
  private final SalePulseScript script;
  private final long pushMillis;
  private final Map<String, Reader> readers = new ConcurrentHashMap<>();

  public SalePulses(Vertx vertx, Redis redis, long pushMillis) {
    this.vertx = vertx;
    this.script = new SalePulseScript(redis);
    this.pushMillis = pushMillis;
  }

  public long pushMillis() {
    return pushMillis;
  }

  /** Call on the listener's event loop: its snapshots arrive there. */
  Subscription listen(String saleId, int lineShards, Consumer<Snapshot> listener) {
    Listener entry = new Listener(Vertx.currentContext(), listener);
    readers.compute(
        saleId,
        (id, reader) -> {
          Reader running = reader == null ? new Reader(saleId, lineShards) : reader;
          running.listeners.add(entry);
          return running;
        });
    return () ->
        readers.computeIfPresent(
            saleId,
            (id, reader) -> {
              reader.listeners.remove(entry);
              if (reader.listeners.isEmpty()) {
                reader.stop();
                return null;
              }
              return reader;
            });
  }

  private record Listener(Context context, Consumer<Snapshot> consumer) {
    void hand(Snapshot snapshot) {
      if (context == null) {
        consumer.accept(snapshot);
      } else {
        context.runOnContext(v -> consumer.accept(snapshot));
      }
    }
  }

  /** A sale's reader: its timer and its Redis replies run on one event loop, so no locking. */
  private final class Reader {
    final UUID sale;
    final List<LineKeys> lines;
    final List<Listener> listeners = new CopyOnWriteArrayList<>();
    final long timerId;
    final long[] departuresRead;
    final long[][] departedAhead;
    boolean reading;
    volatile boolean stopped;

    Reader(String saleId, int lineShards) {
      this.sale = UUID.fromString(saleId);
      this.lines = new SaleKeys(saleId).lines(lineShards);
      this.departuresRead = new long[lines.size()];
      this.departedAhead = new long[lines.size()][];
      Arrays.fill(departedAhead, new long[0]);
      this.timerId = vertx.setPeriodic(pushMillis, id -> read());
    }

    void read() {
      if (reading || stopped) {
        return;
      }
      reading = true;
      List<Future<SalePulseScript.Pulse>> pulses = new ArrayList<>(lines.size());
      for (LineKeys line : lines) {
        pulses.add(script.run(line, departuresRead[line.shard()], MOST_DEPARTURES_PER_PULSE));
      }
      Future.all(pulses)
          .onSuccess(
              all -> {
                Snapshot.Shard[] shards = new Snapshot.Shard[lines.size()];
                boolean sealed = true;
                for (int k = 0; k < shards.length; k++) {
                  SalePulseScript.Pulse pulse = pulses.get(k).result();
                  departuresRead[k] = pulse.departuresRead();
                  departedAhead[k] =
                      DeparturesAhead.update(departedAhead[k], pulse.departures(), pulse.cursor());
                  shards[k] =
                      new Snapshot.Shard(
                          pulse.cursor(),
                          pulse.last(),
                          Math.max(0, pulse.sealed()),
                          departedAhead[k]);
                  sealed &= pulse.sealed() >= 0;
                }
                // Every shard holds the same stock (the sale's own, or its copy).
                Snapshot snapshot =
                    new Snapshot(sale, pulses.get(0).result().stock(), sealed, shards);
                listeners.forEach(listener -> listener.hand(snapshot));
              })
          .onComplete(done -> reading = false);
    }

    void stop() {
      stopped = true;
      vertx.cancelTimer(timerId);
    }
  }
}

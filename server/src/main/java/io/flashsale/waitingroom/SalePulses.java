package io.flashsale.waitingroom;

import io.flashsale.infra.SaleKeys;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.util.List;
import java.util.Map;
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
   * What every live connection of a sale derives its view from: the last admitted queue number, the
   * stock (-1 if not loaded), whether the pre-queue is sealed, and the queue numbers gone from
   * ahead of the cursor, sorted. Never changed once handed out.
   */
  record Snapshot(long cursor, long stock, boolean sealed, long[] departedAhead) {}

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
  Subscription listen(String saleId, Consumer<Snapshot> listener) {
    Listener entry = new Listener(Vertx.currentContext(), listener);
    readers.compute(
        saleId,
        (id, reader) -> {
          Reader running = reader == null ? new Reader(id) : reader;
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
    final SaleKeys keys;
    final List<Listener> listeners = new CopyOnWriteArrayList<>();
    final long timerId;
    long departuresRead;
    long[] departedAhead = new long[0];
    boolean reading;
    volatile boolean stopped;

    Reader(String saleId) {
      this.keys = new SaleKeys(saleId);
      this.timerId = vertx.setPeriodic(pushMillis, id -> read());
    }

    void read() {
      if (reading || stopped) {
        return;
      }
      reading = true;
      script
          .run(keys, departuresRead, MOST_DEPARTURES_PER_PULSE)
          .onSuccess(
              pulse -> {
                departuresRead = pulse.departuresRead();
                departedAhead =
                    DeparturesAhead.update(departedAhead, pulse.departures(), pulse.cursor());
                Snapshot snapshot =
                    new Snapshot(pulse.cursor(), pulse.stock(), pulse.sealed(), departedAhead);
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

package io.flashsale.waitingroom;

import io.flashsale.events.BuyerOutcome;
import io.flashsale.events.SaleChanged;
import io.flashsale.events.SoldOut;
import io.flashsale.infra.LineKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.ServerWebSocket;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Live positions and outcomes over WebSocket, for the connections of one HTTP verticle. Per sale,
 * one Redis read per push interval for the whole process ({@link SalePulses}, shared by every HTTP
 * verticle) gives the admission cursor and the stock; every connection derives its own position
 * from its queue number, so a waiting buyer costs no Redis call per tick. A buyer's own state is
 * read again only when the cursor passes them, when an admission on this instance names them, or
 * once the pre-queue is shuffled. A pulse pushes only positions that changed; a sweep, more often
 * and without Redis, re-sends to connections about to go a second without a push ({@link
 * PushSchedule}).
 */
public final class LiveFeed {

  private final Vertx vertx;
  private final WaitingRoom room;
  private final Presence presence;
  private final Clock clock;
  private final PushSchedule schedule;
  private final SalePulses salePulses;
  private static final long NEAR_SECONDS = 10;

  private final Map<String, SaleChannel> channels = new HashMap<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  public LiveFeed(
      Vertx vertx, SalePulses salePulses, WaitingRoom room, Presence presence, Clock clock) {
    this.vertx = vertx;
    this.room = room;
    this.presence = presence;
    this.clock = clock;
    this.schedule = PushSchedule.forPulse(salePulses.pushMillis());
    this.salePulses = salePulses;
  }

  /**
   * Registers the event-bus consumers; call from the owning verticle so everything runs on its
   * event loop.
   */
  public Future<Void> start() {
    consumers.add(
        vertx
            .eventBus()
            .<BuyerOutcome>consumer(
                BuyerOutcome.ADDRESS,
                message -> {
                  SaleChannel channel = channels.get(message.body().saleId());
                  if (channel != null) {
                    channel.connectionsOf(message.body().userId()).forEach(channel::resolve);
                  }
                }));
    consumers.add(
        vertx
            .eventBus()
            .<SaleChanged>consumer(
                SaleChanged.ADDRESS,
                message -> {
                  SaleChannel channel = channels.get(message.body().saleId());
                  if (channel != null) {
                    channel.forEachConnection(channel::resolve);
                  }
                }));
    consumers.add(
        vertx
            .eventBus()
            .<SoldOut>consumer(
                SoldOut.ADDRESS,
                message -> {
                  SaleChannel channel = channels.get(message.body().saleId());
                  if (channel != null) {
                    channel.soldOut();
                  }
                }));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  public void attach(ServerWebSocket socket, String userId, FlashSale sale) {
    SaleChannel channel = channels.computeIfAbsent(sale.saleId(), id -> new SaleChannel(sale));
    Connection connection =
        new Connection(socket, userId, LineKeys.shardOf(userId, sale.lineShards()));
    // Opening the socket counts as being seen (resolve() asks for the status, which marks it).
    channel.add(connection);
    socket.closeHandler(closed -> channel.remove(connection));
    // A server stopping (a rolling restart) tells its buyers to go elsewhere at once (1001, going
    // away), rather than holding them until the drain ends: the pages reconnect, to another pod.
    socket.shutdownHandler(stopping -> socket.close((short) 1001, "server going away"));
    channel.resolve(connection);
  }

  private static final class Connection {
    final ServerWebSocket socket;
    final String userId;

    /** The shard of the sale's line that holds the buyer's ticket. */
    final int shard;

    long number;
    String lastState;
    long lastPosition = -1;
    long lastPushMillis;
    boolean resolving;

    /** Something about the buyer changed while their state was being read: read it once more. */
    boolean stale;

    boolean answered;

    /** Where this connection sits in its channel's list; -1 once removed. */
    int index = -1;

    /** Neighbours in the channel's list by last push, oldest first. */
    Connection older;

    Connection newer;

    Connection(ServerWebSocket socket, String userId, int shard) {
      this.socket = socket;
      this.userId = userId;
      this.shard = shard;
    }
  }

  private final class SaleChannel {
    final FlashSale sale;

    /**
     * Every connection, in an array each knows its place in (removal swaps the last one in, so it
     * is O(1), and a walk is a walk over an array), and the same ones by buyer: an outcome finds
     * its buyer's sockets without a scan.
     */
    final List<Connection> connections = new ArrayList<>();

    final Map<String, List<Connection>> byUser = new HashMap<>();

    /**
     * The same connections by when they were last pushed to, oldest first (a push moves one to the
     * end): the sweep reads from the front only as far as connections are due, not the whole list.
     */
    Connection oldest;

    Connection newest;
    final PositionFrame frame;
    SalePulses.Subscription pulses;
    boolean closed;
    long sweepTimerId = -1;
    long presenceTimerId = -1;

    /** The line as the last pulse read it: cursors and departures of every shard. */
    SalePulses.Snapshot view;

    long stock = -1;
    boolean sealed;

    /** A pulse has answered: cursor, stock and departures are read, so positions can be derived. */
    boolean pulsed;

    SaleChannel(FlashSale sale) {
      this.sale = sale;
      this.frame = new PositionFrame(sale.saleId());
    }

    void add(Connection connection) {
      connection.index = connections.size();
      connections.add(connection);
      toNewest(connection);
      byUser.computeIfAbsent(connection.userId, id -> new ArrayList<>(1)).add(connection);
      if (pulses == null) {
        pulses = salePulses.listen(sale.saleId(), sale.lineShards(), this::onPulse);
        sweepTimerId = vertx.setPeriodic(schedule.sweepMillis(), id -> sweep());
        presenceTimerId =
            vertx.setPeriodic(presence.settings().refresh().toMillis(), id -> refreshPresence());
      }
    }

    /** One write per sale per refresh interval for every buyer connected here. */
    void refreshPresence() {
      List<String> waiting =
          byUser.entrySet().stream()
              .filter(e -> e.getValue().stream().anyMatch(c -> !c.answered))
              .map(Map.Entry::getKey)
              .toList();
      presence.seen(sale, waiting);
    }

    void remove(Connection connection) {
      int at = connection.index;
      if (at < 0) {
        return;
      }
      Connection last = connections.remove(connections.size() - 1);
      if (last != connection) {
        connections.set(at, last);
        last.index = at;
      }
      connection.index = -1;
      unlink(connection);
      List<Connection> mine = byUser.get(connection.userId);
      if (mine != null && mine.remove(connection) && mine.isEmpty()) {
        byUser.remove(connection.userId);
      }
      if (connections.isEmpty()) {
        pulses.cancel();
        closed = true;
        vertx.cancelTimer(sweepTimerId);
        vertx.cancelTimer(presenceTimerId);
        channels.remove(sale.saleId());
      }
    }

    /**
     * Every connection, without a copy: from the end, so a connection that closes meanwhile (its
     * place taken by the last one, already visited) costs at most a second visit, which finds
     * nothing due.
     */
    void forEachConnection(Consumer<Connection> action) {
      for (int i = connections.size() - 1; i >= 0; i--) {
        if (i < connections.size()) {
          action.accept(connections.get(i));
        }
      }
    }

    private void unlink(Connection connection) {
      if (connection.older != null) {
        connection.older.newer = connection.newer;
      } else if (oldest == connection) {
        oldest = connection.newer;
      }
      if (connection.newer != null) {
        connection.newer.older = connection.older;
      } else if (newest == connection) {
        newest = connection.older;
      }
      connection.older = null;
      connection.newer = null;
    }

    /** The connection's heartbeat counts from {@code now}: it goes to the end of the list. */
    private void nextHeartbeatFrom(Connection connection, long now) {
      connection.lastPushMillis = now;
      if (connection.index >= 0) {
        toNewest(connection);
      }
    }

    private void toNewest(Connection connection) {
      if (newest == connection) {
        return;
      }
      unlink(connection);
      connection.older = newest;
      if (newest != null) {
        newest.newer = connection;
      } else {
        oldest = connection;
      }
      newest = connection;
    }

    List<Connection> connectionsOf(String userId) {
      return List.copyOf(byUser.getOrDefault(userId, List.of()));
    }

    /** A new read of the sale's line: derive every waiting connection's place from it. */
    void onPulse(SalePulses.Snapshot read) {
      if (closed) {
        return;
      }
      view = read;
      stock = read.stock();
      boolean justSealed = read.sealed() && !sealed;
      sealed = read.sealed();
      pulsed = true;
      long now = clock.millis();
      forEachConnection(
          connection -> {
            if (connection.answered || connection.resolving) {
              return;
            }
            if ((connection.number == 0 && justSealed)
                || (connection.number > 0 && passed(connection))) {
              resolve(connection);
            } else if (connection.number > 0
                && (!farBack(connection) || schedule.due(connection.lastPushMillis, now))) {
              pushPosition(connection, now, false);
            }
          });
    }

    /**
     * No Redis: re-sends the last known position to connections the pulse left silent, so a slow or
     * skipped pulse never stretches a gap past a second, and keeps those heartbeats spread over the
     * sweeps ({@link PushSchedule#sweepPushes}). It reads the connections oldest push first and
     * stops at the first it does not push, so it costs the connections it pushes to, not all of
     * them. A buyer still in the unshuffled pre-queue has no number to derive a position from:
     * their ticket is read again.
     */
    void sweep() {
      long now = clock.millis();
      int pushed = 0;
      // Each connection visited at most once: one that is due but not pushed to now (answered,
      // being read, no pulse yet) goes to the end as if pushed, and is looked at again a
      // heartbeat later, not at every sweep.
      for (int visits = connections.size(); visits > 0 && oldest != null; visits--) {
        Connection connection = oldest;
        if (!schedule.sweepPushes(connection.lastPushMillis, now, pushed, connections.size())) {
          return;
        }
        if (connection.answered || connection.resolving) {
          nextHeartbeatFrom(connection, now);
          continue;
        }
        toNewest(connection);
        if (connection.number > 0 && pulsed && !passed(connection)) {
          pushPosition(connection, now, true);
          pushed++;
        } else if (connection.number == 0) {
          resolve(connection);
          pushed++;
        }
      }
    }

    void soldOut() {
      stock = 0;
      long now = clock.millis();
      forEachConnection(
          c -> {
            if (!c.answered && !c.resolving && c.number > 0 && (!pulsed || !passed(c))) {
              pushPosition(c, now, false);
            }
          });
    }

    /**
     * A buyer more than {@link #NEAR_SECONDS} of admissions from the door sees a place that moves
     * slowly against its size: they get the new place with their heartbeat, not at every pulse,
     * which keeps a long line's pushes near one per buyer per second however fast it moves.
     */
    boolean farBack(Connection connection) {
      return connection.lastPosition > (long) sale.admissionRatePerSecond() * NEAR_SECONDS;
    }

    /** Admission has reached the connection's number on its shard: their answer is due. */
    boolean passed(Connection connection) {
      return connection.number <= view.cursor(connection.shard);
    }

    /** The cheap path: position from the cursors, state from the stock. */
    void pushPosition(Connection connection, long now, boolean heartbeat) {
      long position = view == null ? 1 : view.position(connection.shard, connection.number);
      String state = stock == 0 ? TicketState.SOLD_OUT.name() : TicketState.QUEUED.name();
      if (position == connection.lastPosition && state.equals(connection.lastState) && !heartbeat) {
        return;
      }
      int rate = sale.admissionRatePerSecond();
      send(
          connection,
          now,
          frame.encode(
              state.equals(connection.lastState) ? "position" : "state",
              state,
              position,
              connection.number,
              stock == 0 ? 0 : (position + rate - 1) / rate));
      connection.lastPosition = position;
      connection.lastState = state;
    }

    /** The buyer's own ticket, read once when something about them changed. */
    void resolve(Connection connection) {
      if (connection.resolving) {
        connection.stale = true;
        return;
      }
      connection.resolving = true;
      room.status(connection.userId, UUID.fromString(sale.saleId()))
          .onSuccess(
              view -> {
                connection.number = view.queueNumber();
                boolean waiting = view.state().waiting();
                boolean changed = !view.state().name().equals(connection.lastState);
                connection.answered = !waiting && view.state() != TicketState.ADMITTED;
                if (changed || waiting) {
                  send(
                      connection,
                      clock.millis(),
                      view.toJson().put("type", waiting ? "position" : "outcome").encode());
                  connection.lastState = view.state().name();
                  connection.lastPosition = view.position();
                }
              })
          .onFailure(
              failure -> {
                if (failure instanceof FlashSaleException) {
                  // A verdict (never joined, the line lost in an outage): this socket has
                  // nothing to follow.
                  connection.socket.close((short) 4404, "not in this sale's line");
                } else {
                  // The store did not answer (a timeout, a failover): keep the socket, and read
                  // again at the next heartbeat (a buyer never read has number 0, which the
                  // sweep reads again).
                  nextHeartbeatFrom(connection, clock.millis());
                }
              })
          .onComplete(
              done -> {
                connection.resolving = false;
                if (connection.stale && !connection.socket.isClosed()) {
                  connection.stale = false;
                  resolve(connection);
                }
              });
    }

    private void send(Connection connection, long now, String message) {
      if (!connection.socket.isClosed()) {
        connection.socket.writeTextMessage(message);
        nextHeartbeatFrom(connection, now);
      }
    }
  }
}

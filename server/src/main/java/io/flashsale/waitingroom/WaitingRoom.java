package io.flashsale.waitingroom;

import io.flashsale.antibot.BotDefence.Guards;
import io.flashsale.antibot.RateLimits;
import io.flashsale.antibot.Rejection;
import io.flashsale.events.BuyerOutcome;
import io.flashsale.events.SaleEvents;
import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.AuthorizationRepository;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.OrderStatus;
import io.flashsale.sale.SaleCatalog;
import io.flashsale.sale.SaleOrder;
import io.flashsale.sale.SaleStatus;
import io.flashsale.waitingroom.AdmissionTokens.Admission;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Joining a sale's line and asking where one stands. Redis only, apart from winners' order status.
 */
public final class WaitingRoom {

  private final Redis redis;
  private final Pool pool;
  private final SaleCatalog catalog;
  private final OrderRepository orders;
  private final AdmissionTokens admissionTokens;
  private final Duration prequeueWindow;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final JoinBatches joins;
  private final QueueStatusScript status;
  private final LineAheadScript ahead;
  private final LeaveQueueScript leave;
  private final Presence presence;
  private final AuthorizationRepository authorizations;
  private final EventBus eventBus;

  public WaitingRoom(
      Redis redis,
      Pool pool,
      SaleCatalog catalog,
      OrderRepository orders,
      AuthorizationRepository authorizations,
      AdmissionTokens admissionTokens,
      Presence presence,
      RateLimits rateLimits,
      Vertx vertx,
      Duration prequeueWindow,
      Clock clock,
      MeterRegistry metrics,
      long joinWindowMillis,
      int joinBatchSize) {
    this.joins =
        new JoinBatches(vertx, redis, rateLimits, joinWindowMillis, joinBatchSize, metrics);
    this.redis = redis;
    this.status = new QueueStatusScript(redis);
    this.ahead = new LineAheadScript(redis);
    this.leave = new LeaveQueueScript(redis);
    this.eventBus = vertx.eventBus();
    this.authorizations = authorizations;
    this.presence = presence;
    this.pool = pool;
    this.catalog = catalog;
    this.orders = orders;
    this.admissionTokens = admissionTokens;
    this.prequeueWindow = prequeueWindow;
    this.clock = clock;
    this.metrics = metrics;
  }

  public Future<Void> loadScripts() {
    return Future.all(
            List.of(
                joins.loadScripts(),
                status.load(),
                ahead.load(),
                leave.load(),
                presence.loadScripts()))
        .mapEmpty();
  }

  /**
   * Puts the buyer in line. A second join is refused with the buyer's existing ticket in the
   * problem. {@code device} is the buyer's device fingerprint, or "" if they sent none.
   */
  public Future<QueueView> join(
      FlashSale sale,
      String userId,
      String device,
      int quantity,
      String paymentMethodId,
      Guards guards) {
    FlashSaleException refusal = precheck(sale, quantity);
    if (refusal != null) {
      return Future.failedFuture(refusal);
    }
    return joins
        .join(sale, userId, quantity, paymentMethodId, device, guards)
        .compose(
            answer ->
                switch (answer.outcome()) {
                  case "JOINED" ->
                      Future.succeededFuture(
                          waiting(
                              sale,
                              userId,
                              Ticket.decode(answer.ticket()),
                              answer.number(),
                              answer.detail(),
                              "AUTHORIZING"));
                  case "EXISTING" ->
                      status(userId, sale)
                          .compose(view -> Future.failedFuture(new AlreadyQueuedException(view)));
                  case "RATE_LIMITED" ->
                      refused(sale, Rejection.RATE_LIMITED, answer.limited().exception());
                  case "BLACKLISTED", "BLACKLISTED_DEVICE" -> {
                    countRejection(sale, answer.outcome());
                    yield Future.failedFuture(
                        new FlashSaleException(
                            ErrorCode.FORBIDDEN, "this account or device may not join this sale"));
                  }
                  default ->
                      guards.refusal() != null
                              && answer.outcome().equals(guards.refusal().reason().name())
                          ? refused(sale, guards.refusal().reason(), guards.refusal())
                          : Future.failedFuture(
                              new IllegalStateException(
                                  "join script answered " + answer.outcome()));
                })
        .onComplete(
            result -> {
              // The start-up rehearsal's joins are the engine warming itself, not buyers.
              if (!catalog.isRehearsal(sale.saleId())) {
                metrics
                    .counter(
                        "flashsale.queue.joins",
                        "outcome",
                        result.succeeded() ? "JOINED" : outcomeOf(result.cause()))
                    .increment();
              }
            });
  }

  /**
   * A refusal the join script made and counted in the sale's tally: counted in the metrics here.
   */
  private <T> Future<T> refused(
      FlashSale sale, Rejection reason, Rejection.RejectedException refusal) {
    countRejection(sale, reason.name());
    return Future.failedFuture(refusal);
  }

  /** A refused join in the bot-defence figures, unless the start-up rehearsal made it. */
  private void countRejection(FlashSale sale, String reason) {
    if (!catalog.isRehearsal(sale.saleId())) {
      metrics.counter("flashsale.bot.rejections", "reason", reason).increment();
    }
  }

  /**
   * Where the buyer stands; asking counts as being present (and brings a buyer set aside back into
   * line).
   */
  public Future<QueueView> status(String userId, UUID saleId) {
    return catalog
        .get(saleId)
        .compose(
            sale ->
                sale.waitingRoom()
                    ? presence.seen(sale, List.of(userId)).compose(seen -> status(userId, sale))
                    : Future.failedFuture(noWaitingRoom()));
  }

  /** What leaving did: the closed ticket, or the order the buyer held (the caller cancels it). */
  public record Departure(Ticket ticket, String heldOrderId) {}

  /**
   * Takes the buyer out of the line: out of every queue at once, their card hold voided. A buyer
   * already holding a reservation gets its order id back, for the caller to cancel. A non-null
   * {@code ticketId} must name the caller's own ticket; nothing changes otherwise.
   */
  public Future<Departure> leave(String userId, UUID saleId, String ticketId) {
    return catalog
        .get(saleId)
        .compose(
            sale -> {
              if (!sale.waitingRoom()) {
                return Future.failedFuture(noWaitingRoom());
              }
              return leave
                  .run(
                      new SaleKeys(sale.saleId()).lineOf(userId, sale.lineShards()),
                      userId,
                      ticketId)
                  .compose(left -> departure(sale, userId, left));
            });
  }

  private Future<Departure> departure(FlashSale sale, String userId, LeaveQueueScript.Left left) {
    if (left.outcome() == LeaveQueueScript.Outcome.NOT_IN_LINE) {
      return Future.failedFuture(
          new FlashSaleException(ErrorCode.NOT_FOUND, "you have not joined this sale's line"));
    }
    if (left.outcome() == LeaveQueueScript.Outcome.NOT_YOURS) {
      return Future.failedFuture(
          new FlashSaleException(ErrorCode.FORBIDDEN, "that place in line is not yours"));
    }
    Ticket ticket = left.ticket();
    if (left.outcome() == LeaveQueueScript.Outcome.LEFT) {
      metrics.counter("flashsale.queue.leaves").increment();
      // The buyer's other tabs, on any instance, hear the answer rather than a stale position.
      SaleEvents.publish(eventBus, BuyerOutcome.of(sale.saleId(), userId, TicketState.LEFT));
      return authorizations
          .requestVoid(pool, UUID.fromString(sale.saleId()), userId)
          .map(new Departure(ticket, null));
    }
    return switch (ticket.state()) {
      case ADMITTED ->
          Future.failedFuture(
              new FlashSaleException(
                  ErrorCode.CONFLICT,
                  "your reservation is being written right now; ask again in a moment to release it"));
      // A winner leaving releases their hold, if it is still held.
      case RESERVED ->
          orders
              .findOwn(pool, UUID.fromString(ticket.orderId()), userId)
              .compose(
                  order ->
                      order
                          .filter(held -> held.status() == OrderStatus.RESERVED)
                          .map(
                              held -> Future.succeededFuture(new Departure(ticket, held.orderId())))
                          .orElseGet(
                              () ->
                                  Future.failedFuture(
                                      alreadyAnswered(
                                          order
                                              .map(
                                                  closed ->
                                                      TicketState.valueOf(closed.status().name()))
                                              .orElse(TicketState.RESERVED)))));
      default -> Future.failedFuture(alreadyAnswered(ticket.state()));
    };
  }

  private static FlashSaleException alreadyAnswered(TicketState state) {
    return new FlashSaleException(
        ErrorCode.CONFLICT,
        switch (state) {
          case LEFT -> "you have already left this sale's line";
          case DROPPED -> "you were away when your turn came and your place has been given up";
          case DECLINED -> "your card was declined, so you are no longer in this sale's line";
          default ->
              "your place in this sale's line already has its answer ("
                  + state.name().toLowerCase()
                  + ")";
        });
  }

  private Future<QueueView> status(String userId, FlashSale sale) {
    return read(sale, userId)
        .compose(
            status ->
                switch (status.outcome()) {
                  case LINE_LOST ->
                      Future.failedFuture(
                          new FlashSaleException(
                              ErrorCode.CONFLICT,
                              "the waiting line was lost in "
                                  + "an outage at "
                                  + status.lineLostAt()
                                  + "; orders already made are kept, and you can join the line again"));
                  case NOT_JOINED ->
                      Future.failedFuture(
                          new FlashSaleException(
                              ErrorCode.NOT_FOUND, "you have not joined this sale's line"));
                  case TICKET -> view(sale, userId, status);
                });
  }

  /**
   * The buyer's ticket and place. On a sharded line their own shard answers with the buyers ahead
   * of them there; every other shard adds those it holds ahead of them in the line's order ({@link
   * LineOrder}), and its pre-queue to the pre-queue's size.
   */
  private Future<QueueStatusScript.Status> read(FlashSale sale, String userId) {
    int shards = sale.lineShards();
    SaleKeys keys = new SaleKeys(sale.saleId());
    LineKeys own = keys.lineOf(userId, shards);
    Future<QueueStatusScript.Status> mine = status.run(own, userId);
    if (shards == 1) {
      return mine;
    }
    // Each shard's sealed pre-queue size: the line's order interleaves the pre-queues of them.
    List<LineKeys> lines = keys.lines(shards);
    Future<long[]> sizes = LineOrder.prequeueSizes(redis, lines);
    return Future.all(mine, sizes)
        .compose(
            both -> {
              QueueStatusScript.Status read = mine.result();
              if (read.outcome() != QueueStatusScript.Outcome.TICKET) {
                return Future.succeededFuture(read);
              }
              LineOrder.Prequeue prequeue =
                  LineOrder.Prequeue.of(UUID.fromString(sale.saleId()), sizes.result());
              long number = read.ticket().number();
              boolean inLine = read.ahead() >= 0;
              List<Future<LineAheadScript.Ahead>> others = new ArrayList<>(shards - 1);
              for (LineKeys line : lines) {
                if (line.shard() != own.shard()) {
                  long last =
                      inLine ? LineOrder.lastAhead(line.shard(), own.shard(), number, prequeue) : 0;
                  others.add(ahead.run(line, last));
                }
              }
              return Future.all(others)
                  .map(
                      done -> {
                        long aheadOfThem = read.ahead();
                        long unsealed = read.prequeueSize();
                        for (Future<LineAheadScript.Ahead> other : others) {
                          if (inLine) {
                            aheadOfThem += other.result().waiting();
                          }
                          unsealed += other.result().prequeue();
                        }
                        return new QueueStatusScript.Status(
                            read.outcome(),
                            read.ticket(),
                            aheadOfThem,
                            read.stock(),
                            unsealed,
                            read.payment(),
                            null);
                      });
            });
  }

  private Future<QueueView> view(FlashSale sale, String userId, QueueStatusScript.Status read) {
    Ticket ticket = read.ticket();
    long ahead = read.ahead();
    long stock = read.stock();
    long prequeueSize = read.prequeueSize();
    String payment = read.payment();
    if (ticket.state().waiting()) {
      return Future.succeededFuture(
          waiting(
              sale, userId, ticket, ticket.numbered() ? ahead + 1 : prequeueSize, stock, payment));
    }
    if (ticket.state() != TicketState.RESERVED) {
      return Future.succeededFuture(answered(sale, userId, ticket, ticket.state(), payment));
    }
    // Only winners get here: their order's own status says whether they paid, cancelled or let it
    // expire.
    return orders
        .findOwn(pool, UUID.fromString(ticket.orderId()), userId)
        .map(
            order ->
                answered(
                    sale,
                    userId,
                    ticket,
                    order
                        .map(SaleOrder::status)
                        .map(status -> TicketState.valueOf(status.name()))
                        .orElse(TicketState.RESERVED),
                    payment));
  }

  /**
   * A buyer still in line: QUEUED while units are left, SOLD_OUT (waitlisted) when none are, ENDED
   * after the end.
   */
  private QueueView waiting(
      FlashSale sale, String userId, Ticket ticket, long position, long stock, String payment) {
    Instant now = clock.instant();
    TicketState state =
        sale.status() == SaleStatus.ENDED || !now.isBefore(sale.endTime())
            ? TicketState.ENDED
            : stock == 0 ? TicketState.SOLD_OUT : TicketState.QUEUED;
    long untilStart = Math.max(0, Duration.between(now, sale.startTime()).toSeconds());
    long eta =
        state == TicketState.QUEUED
            ? untilStart
                + (position + sale.admissionRatePerSecond() - 1) / sale.admissionRatePerSecond()
            : 0;
    return new QueueView(
        sale.saleId(),
        ticket.ticketId(),
        ticket.number(),
        position,
        Math.max(0, position - 1),
        state,
        eta,
        !ticket.numbered(),
        null,
        null,
        payment,
        lineShard(sale, userId));
  }

  private QueueView answered(
      FlashSale sale, String userId, Ticket ticket, TicketState state, String payment) {
    String token =
        ticket.orderId() == null
            ? null
            : admissionTokens.issue(
                new Admission(userId, sale.saleId(), ticket.ticketId(), ticket.orderId()));
    return new QueueView(
        sale.saleId(),
        ticket.ticketId(),
        ticket.number(),
        0,
        0,
        state,
        0,
        false,
        ticket.orderId(),
        token,
        payment,
        lineShard(sale, userId));
  }

  /** The shard of a sharded line that numbered this ticket; -1 for a line of one shard. */
  private static int lineShard(FlashSale sale, String userId) {
    return sale.lineShards() == 1 ? -1 : LineKeys.shardOf(userId, sale.lineShards());
  }

  private FlashSaleException precheck(FlashSale sale, int quantity) {
    Instant now = clock.instant();
    if (!sale.waitingRoom()) {
      return noWaitingRoom();
    }
    Instant opens = sale.startTime().minus(prequeueWindow);
    if (now.isBefore(opens)) {
      return new FlashSaleException(
          ErrorCode.SALE_NOT_ACTIVE, "the waiting room opens at " + opens);
    }
    if (sale.status() == SaleStatus.ENDED || !now.isBefore(sale.endTime())) {
      return new FlashSaleException(ErrorCode.SALE_NOT_ACTIVE, "the sale has ended");
    }
    if (quantity > sale.perUserLimit()) {
      return new FlashSaleException(
          ErrorCode.LIMIT_EXCEEDED, "at most " + sale.perUserLimit() + " unit(s) per buyer");
    }
    return null;
  }

  private static FlashSaleException noWaitingRoom() {
    return new FlashSaleException(
        ErrorCode.CONFLICT, "this sale has no waiting room; buy directly");
  }

  private static String outcomeOf(Throwable failure) {
    return failure instanceof FlashSaleException domain ? domain.code().name() : "ERROR";
  }

  /** A second join: refused as a conflict, carrying the ticket the buyer already has. */
  public static final class AlreadyQueuedException extends FlashSaleException {
    private final QueueView existing;

    AlreadyQueuedException(QueueView existing) {
      super(ErrorCode.CONFLICT, "you are already in this sale's line");
      this.existing = existing;
    }

    @Override
    public JsonObject extensions() {
      return new JsonObject().put("ticket", existing.toJson());
    }
  }
}

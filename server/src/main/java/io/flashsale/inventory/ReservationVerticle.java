package io.flashsale.inventory;

import io.flashsale.events.SaleEvents;
import io.flashsale.events.UnitsReturned;
import io.flashsale.inventory.ReservationMessages.Answer;
import io.flashsale.inventory.ReservationMessages.Claims;
import io.flashsale.inventory.ReservationMessages.Purchase;
import io.flashsale.inventory.ReservationMessages.Release;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.SaleOrder;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The single owner of reservation writes in this process, with group commit. Direct purchases, the
 * admission step's claims and released holds arrive as local event-bus requests; purchases of one
 * sale are grouped for at most {@code window} or {@code batchSize} requests, whichever comes first,
 * and each group costs the sale's Redis slot one script call and its hot {@code flash_sales} row
 * one transaction ({@link Reservations#reserveAll}). Released units of one sale go back to Redis in
 * one call, and the sale's admission hears of them at once.
 *
 * <p>One instance per process, on one event loop: batching is what makes the path fast, and one
 * owner sees every purchase of the process, so its batches are as large as the load allows. Its own
 * work per batch is small (arguments out, answers back); the waiting is the stores'. Several
 * batches of a sale may be on their way at once ({@code batchesInFlight}): while the database
 * commits one, the next one takes its units in Redis, in arrival order.
 */
public final class ReservationVerticle extends VerticleBase {

  /**
   * {@code windowMillis}: the longest a purchase waits for others to join its batch; {@code
   * batchSize}: the most purchases in one batch; {@code batchesInFlight}: the most batches of one
   * sale on their way at once; {@code mostWaiting}: purchases of one sale that may wait beyond
   * those before new ones are refused as unavailable (the stores are behind).
   */
  public record Settings(long windowMillis, int batchSize, int batchesInFlight, int mostWaiting) {}

  private record Waiting<T>(T request, Message<Object> message) {}

  /** The purchases and releases of one sale waiting for their batch. */
  private final class Lane {
    final String saleId;
    final List<Waiting<Purchase>> purchases = new ArrayList<>();
    final List<Waiting<Release>> releases = new ArrayList<>();
    long purchaseTimer = -1;
    boolean sendPending;
    long releaseTimer = -1;
    int batchesOnTheirWay;

    Lane(String saleId) {
      this.saleId = saleId;
    }
  }

  private final String address;
  private final Reservations reservations;
  private final Settings settings;
  private final DistributionSummary batchSizes;
  private final DeliveryOptions replies =
      new DeliveryOptions().setCodecName(ReservationMessages.CODEC);
  private final Map<String, Lane> lanes = new HashMap<>();
  private MessageConsumer<Object> consumer;
  private int working;
  private Promise<Void> drained;

  public ReservationVerticle(
      String address, Reservations reservations, Settings settings, MeterRegistry metrics) {
    this.address = address;
    this.reservations = reservations;
    this.settings = settings;
    this.batchSizes =
        DistributionSummary.builder("flashsale.reservation.batch")
            .description("Direct purchases per reservation batch (one Redis call, one transaction)")
            .register(metrics);
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().localConsumer(address, this::accept);
    return consumer.completion();
  }

  /** Stops taking requests, sends what is waiting, and finishes when every batch has answered. */
  @Override
  public Future<?> stop() {
    return consumer
        .unregister()
        .compose(
            stopped -> {
              lanes
                  .values()
                  .forEach(
                      lane -> {
                        while (!lane.purchases.isEmpty()) {
                          sendPurchases(lane, true);
                        }
                        sendReleases(lane);
                      });
              if (working == 0) {
                return Future.succeededFuture();
              }
              drained = Promise.promise();
              return drained.future();
            });
  }

  private void accept(Message<Object> message) {
    Object body = message.body();
    if (body instanceof Purchase purchase) {
      queue(purchase, message);
    } else if (body instanceof Claims claims) {
      answer(message, reservations.reserveClaimed(claims.sale(), claims.claims()));
    } else if (body instanceof Release release) {
      Lane lane = lane(release.order().saleId());
      lane.releases.add(new Waiting<>(release, message));
      if (lane.releaseTimer == -1) {
        lane.releaseTimer =
            vertx.setTimer(
                Math.max(1, settings.windowMillis()),
                id -> {
                  lane.releaseTimer = -1;
                  sendReleases(lane);
                });
      }
    } else {
      message.reply(
          new Answer(null, new IllegalArgumentException("not a reservation request: " + body)),
          replies);
    }
  }

  private void queue(Purchase purchase, Message<Object> message) {
    Lane lane = lane(purchase.sale().saleId());
    if (lane.purchases.size() >= settings.mostWaiting()) {
      message.reply(
          new Answer(
              null,
              new FlashSaleException(
                  ErrorCode.UNAVAILABLE,
                  "reservations for this sale are backed up; try again in a moment")),
          replies);
      return;
    }
    lane.purchases.add(new Waiting<>(purchase, message));
    if (lane.purchases.size() >= settings.batchSize()) {
      sendPurchases(lane, false);
    } else if (!lane.sendPending) {
      lane.sendPending = true;
      if (settings.windowMillis() == 0) {
        // A window of 0 sends what arrived while the event loop was busy, and waits no longer.
        context.runOnContext(next -> sendPurchases(lane, false));
      } else {
        lane.purchaseTimer =
            vertx.setTimer(
                settings.windowMillis(),
                id -> {
                  lane.purchaseTimer = -1;
                  sendPurchases(lane, false);
                });
      }
    }
  }

  /**
   * One batch from the head of the lane, unless {@code batchesInFlight} are already on their way.
   */
  private void sendPurchases(Lane lane, boolean evenIfBusy) {
    if (lane.purchaseTimer != -1) {
      vertx.cancelTimer(lane.purchaseTimer);
      lane.purchaseTimer = -1;
    }
    lane.sendPending = false;
    if (lane.purchases.isEmpty()
        || (!evenIfBusy && lane.batchesOnTheirWay >= settings.batchesInFlight())) {
      return;
    }
    List<Waiting<Purchase>> head =
        lane.purchases.subList(0, Math.min(settings.batchSize(), lane.purchases.size()));
    List<Waiting<Purchase>> batch = new ArrayList<>(head);
    head.clear();
    batchSizes.record(batch.size());
    lane.batchesOnTheirWay++;
    working++;
    List<Future<SaleOrder>> answers =
        reservations.reserveAll(
            batch.get(0).request().sale(), batch.stream().map(Waiting::request).toList());
    for (int i = 0; i < batch.size(); i++) {
      Message<Object> message = batch.get(i).message();
      answers
          .get(i)
          .onComplete(done -> message.reply(new Answer(done.result(), done.cause()), replies));
    }
    Future.join(answers)
        .onComplete(
            all -> {
              lane.batchesOnTheirWay--;
              done();
              // Whatever gathered while this batch was on its way has waited long enough.
              if (!lane.purchases.isEmpty()
                  && lane.batchesOnTheirWay < settings.batchesInFlight()) {
                sendPurchases(lane, false);
              }
            });
  }

  private void sendReleases(Lane lane) {
    if (lane.releaseTimer != -1) {
      vertx.cancelTimer(lane.releaseTimer);
      lane.releaseTimer = -1;
    }
    if (lane.releases.isEmpty()) {
      return;
    }
    List<Waiting<Release>> batch = new ArrayList<>(lane.releases);
    lane.releases.clear();
    List<SaleOrder> released = batch.stream().map(waiting -> waiting.request().order()).toList();
    working++;
    reservations
        .returnToPool(lane.saleId, released)
        .onComplete(
            returned -> {
              batch.forEach(waiting -> waiting.message().reply(new Answer(null, null), replies));
              SaleEvents.publish(
                  vertx.eventBus(),
                  new UnitsReturned(
                      lane.saleId, released.stream().mapToInt(SaleOrder::quantity).sum()));
              done();
            });
  }

  private void answer(Message<Object> message, Future<?> work) {
    working++;
    work.onComplete(
        done -> {
          message.reply(new Answer(done.result(), done.cause()), replies);
          done();
        });
  }

  private void done() {
    working--;
    if (working == 0 && drained != null) {
      drained.tryComplete();
    }
  }

  private Lane lane(String saleId) {
    return lanes.computeIfAbsent(saleId, Lane::new);
  }
}

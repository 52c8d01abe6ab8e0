package io.flashsale.inventory;

import io.flashsale.antibot.RateLimits;
import io.flashsale.inventory.Reservations.Claim;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.SaleOrder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import java.util.List;

/**
 * What goes to the {@link ReservationVerticle} over the event bus and what comes back. These
 * messages never leave the process (they are sent local-only), so their codec hands the object
 * itself to the receiver: no copy, no serialisation, and a failure keeps its exception type.
 */
public final class ReservationMessages {

  /** The codec's name, given in the delivery options of every message of this class. */
  public static final String CODEC = "flashsale.reservation-local";

  /** A direct purchase: the rate limits in {@code limits} are checked in the same batch step. */
  public record Purchase(
      FlashSale sale, String userId, String device, int quantity, List<RateLimits.Check> limits) {}

  /** Reservations for units the admission step already took in Redis, as one batch. */
  public record Claims(FlashSale sale, List<Claim> claims) {}

  /** A closed hold whose units go back to the sale's pool. */
  public record Release(SaleOrder order) {}

  /** The verticle's answer: the value, or why not. */
  public record Answer(Object value, Throwable failure) {}

  private ReservationMessages() {}

  /**
   * Registers the codec once per event bus, at start (several engines may share one Vert.x in
   * tests). Apart from the sale events' codec ({@link io.flashsale.events.SaleEvents}): these
   * messages carry live objects (a failure with its type) and never leave the process.
   */
  public static synchronized void registerCodec(EventBus eventBus) {
    try {
      eventBus.registerCodec(new LocalCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // Another engine on this Vert.x registered it: the same codec serves both.
    }
  }

  /** Passes the object through; it has no wire form, as these messages are local-only. */
  private static final class LocalCodec implements MessageCodec<Object, Object> {
    @Override
    public void encodeToWire(Buffer buffer, Object message) {
      throw new UnsupportedOperationException("reservation messages are local-only");
    }

    @Override
    public Object decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("reservation messages are local-only");
    }

    @Override
    public Object transform(Object message) {
      return message;
    }

    @Override
    public String name() {
      return CODEC;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}

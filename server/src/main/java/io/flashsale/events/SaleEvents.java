package io.flashsale.events;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Function;

/**
 * Publishing sale events, and their codec. Every event is published to every node (with {@code
 * cluster=true}, over Hazelcast): between nodes it travels as its JSON; within a node the record
 * itself is handed over, as records are immutable.
 */
public final class SaleEvents {

  /** One codec per event class, as Vert.x names a default codec after its class. */
  static final List<Codec<?>> CODECS =
      List.of(
          new Codec<>(BuyerOutcome.class, BuyerOutcome::fromJson),
          new Codec<>(SoldOut.class, SoldOut::fromJson),
          new Codec<>(SaleChanged.class, SaleChanged::fromJson),
          new Codec<>(UnitsReturned.class, UnitsReturned::fromJson));

  private SaleEvents() {}

  /** To every consumer of the event's address, on every node. */
  public static void publish(EventBus eventBus, SaleEvent event) {
    eventBus.publish(event.address(), event);
  }

  /**
   * Makes the codec the default for every event class; once at start, before anything is published.
   * Several engines may share one Vert.x (tests do): the first registers, the others find it there.
   */
  public static synchronized void registerCodecs(EventBus eventBus) {
    CODECS.forEach(codec -> codec.registerOn(eventBus));
  }

  /** An event's JSON, length first, as Vert.x's own JSON codec writes it. */
  static final class Codec<T extends SaleEvent> implements MessageCodec<T, T> {

    private final Class<T> type;
    private final Function<JsonObject, T> fromJson;

    Codec(Class<T> type, Function<JsonObject, T> fromJson) {
      this.type = type;
      this.fromJson = fromJson;
    }

    private void registerOn(EventBus eventBus) {
      try {
        eventBus.registerDefaultCodec(type, this);
      } catch (IllegalStateException alreadyRegistered) {
        // Another engine on this Vert.x registered it: the same codec serves both.
      }
    }

    Class<T> type() {
      return type;
    }

    @Override
    public void encodeToWire(Buffer buffer, T event) {
      Buffer json = event.toJson().toBuffer();
      buffer.appendInt(json.length());
      buffer.appendBuffer(json);
    }

    @Override
    public T decodeFromWire(int pos, Buffer buffer) {
      int length = buffer.getInt(pos);
      int start = pos + Integer.BYTES;
      return fromJson.apply(new JsonObject(buffer.slice(start, start + length)));
    }

    @Override
    public T transform(T event) {
      return event;
    }

    @Override
    public String name() {
      return "flashsale.event." + type.getSimpleName();
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}

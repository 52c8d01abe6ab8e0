package io.flashsale.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.operator.OperatorLog.Action;
import io.flashsale.support.Await;
import io.flashsale.waitingroom.TicketState;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class SaleEventsCodecTest {

  private static final String SALE = "6f1c0f8e-5a53-4f43-9a43-0d4c4a6d2b11";

  private static final List<SaleEvent> EVENTS =
      List.of(
          new BuyerOutcome(
              SALE, "buyer-1", TicketState.RESERVED, "a3f0e0d2-8c4b-4a57-9f0e-2b1d3c4e5f60"),
          BuyerOutcome.of(SALE, "buyer-2", TicketState.DROPPED),
          new SoldOut(SALE),
          new SaleChanged(SALE, Action.END_EARLY),
          new UnitsReturned(SALE, 3));

  @Test
  void everyEventComesBackEqualFromItsWireForm() {
    for (SaleEvent event : EVENTS) {
      SaleEvent decoded = roundTrip(event, Buffer.buffer("what went before"));
      assertThat(decoded).as(event.getClass().getSimpleName()).isEqualTo(event);
    }
  }

  @Test
  void theWireFormIsTheEventsJsonAsNodesSentItBefore() {
    assertThat(wireJson(EVENTS.get(0)))
        .isEqualTo(
            new JsonObject()
                .put("saleId", SALE)
                .put("userId", "buyer-1")
                .put("state", "RESERVED")
                .put("orderId", "a3f0e0d2-8c4b-4a57-9f0e-2b1d3c4e5f60"));
    assertThat(wireJson(EVENTS.get(1)).getString("orderId")).isNull();
    assertThat(wireJson(EVENTS.get(2))).isEqualTo(new JsonObject().put("saleId", SALE));
    assertThat(wireJson(EVENTS.get(3)))
        .isEqualTo(new JsonObject().put("saleId", SALE).put("action", "END_EARLY"));
    assertThat(wireJson(EVENTS.get(4)))
        .isEqualTo(new JsonObject().put("saleId", SALE).put("units", 3));
  }

  @Test
  void everyKindOfEventHasACodecOfItsOwnName() {
    assertThat(SaleEvents.CODECS.stream().map(SaleEvents.Codec::name).distinct())
        .hasSize(SaleEvents.CODECS.size());
    assertThat(SaleEvents.CODECS.stream().<Class<?>>map(SaleEvents.Codec::type).toList())
        .containsExactlyInAnyOrder(SaleEvent.class.getPermittedSubclasses());
  }

  @Test
  void codecsRegisteredByTwoEnginesOnOneVertxDeliverTheRecordItself() {
    Vertx vertx = Vertx.vertx();
    try {
      SaleEvents.registerCodecs(vertx.eventBus());
      SaleEvents.registerCodecs(vertx.eventBus());
      Promise<SoldOut> heard = Promise.promise();
      Await.result(
          vertx
              .eventBus()
              .<SoldOut>consumer(SoldOut.ADDRESS, message -> heard.tryComplete(message.body()))
              .completion());
      SoldOut published = new SoldOut(SALE);
      SaleEvents.publish(vertx.eventBus(), published);
      assertThat(Await.result(heard.future())).isSameAs(published);
    } finally {
      Await.result(vertx.close());
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends SaleEvent> SaleEvents.Codec<T> codecOf(T event) {
    return (SaleEvents.Codec<T>)
        SaleEvents.CODECS.stream()
            .filter(codec -> codec.type() == event.getClass())
            .findFirst()
            .orElseThrow();
  }

  private static <T extends SaleEvent> T roundTrip(T event, Buffer before) {
    SaleEvents.Codec<T> codec = codecOf(event);
    Buffer wire = before.copy();
    codec.encodeToWire(wire, event);
    wire.appendString("what comes after");
    return codec.decodeFromWire(before.length(), wire);
  }

  private static JsonObject wireJson(SaleEvent event) {
    Buffer wire = Buffer.buffer();
    codecOf(event).encodeToWire(wire, event);
    return new JsonObject(wire.slice(Integer.BYTES, wire.length()));
  }
}

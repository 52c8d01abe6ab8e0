package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.Poll;
import io.flashsale.support.TestRedis;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.impl.ZModem;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A sale whose line is spread over three shards (hash slots), end to end over HTTP, with verdicts
 * read from Redis and PostgreSQL: buyers are numbered on their own shard, places and winners follow
 * the merged order ({@link LineOrder}), and the stated fairness bound holds.
 */
class ShardedLineTest {

  private static final int SHARDS = 3;

  @RegisterExtension static final Engine engine = Engine.start();

  /** A buyer's ticket as their shard holds it. */
  private record Place(String userId, int shard, Ticket ticket) {}

  @Test
  void joinsInKnownOrderAreNumberedPerShardPlacedAndAdmittedInTheMergedOrder() throws Exception {
    // T-0 a few seconds off: everyone joins (FIFO numbers them at once) before anyone is let out.
    Instant start = Instant.now().plusSeconds(4);
    String saleId = sale(10, start);
    int buyers = 30;
    for (int i = 0; i < buyers; i++) {
      HttpResponse<Buffer> joined = Await.result(engine.server().join(saleId, "sh-" + i, 1));
      assertThat(joined.statusCode()).as(joined.bodyAsString()).isEqualTo(202);
      JsonObject ticket = joined.bodyAsJsonObject();
      assertThat(ticket.getInteger("lineShard")).isEqualTo(LineKeys.shardOf("sh-" + i, SHARDS));
    }
    List<Place> places = places(saleId, buyers);
    // Each shard numbers its own buyers 1, 2, 3... in arrival order.
    Map<Integer, Long> next = new HashMap<>();
    for (Place place : places) {
      long expected = next.merge(place.shard(), 1L, Long::sum);
      assertThat(place.ticket().number()).as(place.userId()).isEqualTo(expected);
    }
    assertThat(next.keySet()).as("every shard holds buyers").hasSize(SHARDS);
    List<Place> merged = new ArrayList<>(places);
    merged.sort(MERGE_ORDER);

    // Before T-0: each buyer's place is where the merge puts them.
    for (int i = 0; i < merged.size(); i++) {
      JsonObject view =
          Await.result(engine.server().queueStatus(saleId, merged.get(i).userId()))
              .bodyAsJsonObject();
      assertThat(view.getLong("position")).as(merged.get(i).userId()).isEqualTo(i + 1);
    }

    // Leaving takes a buyer out of every count behind them (behind the winners-to-be, so the
    // winners stay the head of each shard's line).
    Place leaver = merged.get(15);
    HttpResponse<Buffer> left =
        Await.result(
            engine
                .server()
                .client()
                .delete("/api/sales/" + saleId + "/queue/me")
                .bearerTokenAuthentication(engine.server().token(leaver.userId()))
                .send());
    assertThat(left.statusCode()).as(left.bodyAsString()).isEqualTo(200);
    merged.remove(15);
    for (int i = 14; i < merged.size(); i++) {
      JsonObject behind =
          Await.result(engine.server().queueStatus(saleId, merged.get(i).userId()))
              .bodyAsJsonObject();
      assertThat(behind.getLong("position")).as(merged.get(i).userId()).isEqualTo(i + 1);
    }

    JsonObject report =
        Poll.until(
            () -> Await.result(engine.server().report(saleId)),
            r -> r.getJsonObject("database").getInteger("quantitySold") == 10,
            Duration.ofSeconds(60));
    assertThat(report.getJsonObject("invariants"))
        .isEqualTo(
            new JsonObject().put("I1", true).put("I2", true).put("I3", true).put("I4", true));
    assertThat(report.getJsonObject("fairness").getBoolean("winnersAreHeadOfLine")).isTrue();

    // The winners are exactly the first ten of the merged order.
    Set<String> winners = new HashSet<>();
    report.getJsonArray("winners").forEach(w -> winners.add(((JsonObject) w).getString("userId")));
    Set<String> head = new HashSet<>();
    merged.subList(0, 10).forEach(place -> head.add(place.userId()));
    assertThat(winners).isEqualTo(head);
    // The fairness bound, from the stores: no buyer still waiting holds a lower queue number on
    // their shard than any winner on theirs (so the shards' winner counts differ by at most one).
    List<Place> after = places(saleId, buyers);
    long highestWinner =
        after.stream()
            .filter(p -> winners.contains(p.userId()))
            .mapToLong(p -> p.ticket().number())
            .max()
            .orElseThrow();
    long lowestWaiting =
        after.stream()
            .filter(p -> p.ticket().state() == TicketState.QUEUED)
            .mapToLong(p -> p.ticket().number())
            .min()
            .orElseThrow();
    assertThat(highestWinner).isLessThanOrEqualTo(lowestWaiting);
    try (Connection db = engine.server().database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isEqualTo(10);
    }
  }

  @Test
  void aSaleSpreadOverShardsKeepsEachShardsKeysInItsOwnSlot() {
    String saleId = sale(5, Instant.now().plusSeconds(60));
    for (int i = 0; i < 12; i++) {
      assertThat(Await.result(engine.server().join(saleId, "slot-" + i, 1)).statusCode())
          .isEqualTo(202);
    }
    Set<Long> slots = new HashSet<>();
    long tickets = 0;
    for (LineKeys line : new SaleKeys(saleId).lines(SHARDS)) {
      tickets += TestRedis.send(Command.HLEN, line.tickets()).toLong();
      slots.add(slotOf(line.tickets()));
    }
    slots.add(slotOf(new SaleKeys(saleId).stock()));
    assertThat(tickets).isEqualTo(12);
    assertThat(slots).as("three shards and the sale's own slot").hasSize(SHARDS + 1);
  }

  private static final Comparator<Place> MERGE_ORDER =
      (a, b) ->
          LineOrder.compare(
              a.shard(),
              a.ticket().number(),
              b.shard(),
              b.ticket().number(),
              LineOrder.Prequeue.of(UUID.randomUUID(), new long[SHARDS]));

  private static String sale(int units, Instant start) {
    return Await.result(
            engine
                .server()
                .createSale(
                    units,
                    new JsonObject()
                        .put("waitingRoom", true)
                        .put("queuePolicy", "FIFO")
                        .put("lineShards", SHARDS)
                        .put("admissionRatePerSecond", 1_000)
                        .put("startTime", start.toString())))
        .getString("saleId");
  }

  /** Every buyer sh-0..sh-(n-1)'s ticket, read from their shard, in arrival order. */
  private static List<Place> places(String saleId, int buyers) {
    SaleKeys keys = new SaleKeys(saleId);
    List<Place> places = new ArrayList<>(buyers);
    for (int i = 0; i < buyers; i++) {
      String user = "sh-" + i;
      LineKeys line = keys.lineOf(user, SHARDS);
      places.add(
          new Place(user, line.shard(), Ticket.decode(TestRedis.hget(line.tickets(), user))));
    }
    return places;
  }

  /** The Redis Cluster hash slot of a key (CRC16 of its hash tag), as the client computes it. */
  private static long slotOf(String key) {
    return ZModem.generate(key);
  }
}

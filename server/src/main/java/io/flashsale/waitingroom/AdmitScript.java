package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/** {@code admit.lua}: one admission step for one sale, cluster-wide. */
final class AdmitScript extends RedisScript {

  /**
   * What one step is told: the sale's rate, the tick, how many buyers still being authorised it may
   * pass, the presence window (0: presence off) and grace, and how many absent buyers it may set
   * aside.
   */
  record Step(
      int ratePerSecond,
      int tickMillis,
      int passableSlowCards,
      long presenceWindowMillis,
      long graceMillis,
      int mostAbsent) {

    /** As admit.lua (and admit_peek.lua) take them: ARGV[1..6]. */
    List<String> args() {
      return List.of(
          Integer.toString(ratePerSecond),
          Integer.toString(tickMillis),
          Integer.toString(passableSlowCards),
          Long.toString(presenceWindowMillis),
          Long.toString(graceMillis),
          Integer.toString(mostAbsent));
    }
  }

  /**
   * A buyer the step let out, with the units they got: {@code
   * user|ticketId|number|quantity|admittedAtMillis}.
   */
  record Admitted(
      String userId, String ticketId, long number, int quantity, long admittedAtMillis) {
    static Admitted decode(String encoded) {
      String[] parts = encoded.split("\\|", -1);
      return new Admitted(
          parts[0],
          parts[1],
          Long.parseLong(parts[2]),
          Integer.parseInt(parts[3]),
          Long.parseLong(parts[4]));
    }

    String encode() {
      return userId + "|" + ticketId + "|" + number + "|" + quantity + "|" + admittedAtMillis;
    }

    /** Their ticket in a new state: admitted buyers were authorised. */
    Ticket ticket(TicketState state, String orderId) {
      return new Ticket(
          ticketId,
          number,
          quantity,
          state,
          orderId,
          admittedAtMillis,
          Ticket.Payment.AUTHORIZED,
          0,
          "");
    }
  }

  /** A buyer the step dropped, away past the grace: {@code user|ticketId|number}. */
  record Dropped(String userId, String ticketId, long number) {
    static Dropped decode(String encoded) {
      String[] parts = encoded.split("\\|", -1);
      return new Dropped(parts[0], parts[1], Long.parseLong(parts[2]));
    }

    String encode() {
      return userId + "|" + ticketId + "|" + number;
    }
  }

  /** What the step did, and the line as it left it. */
  record StepResult(
      long stockLeft,
      long waiting,
      long away,
      long present,
      int skippedForAbsence,
      List<Dropped> dropped,
      List<Admitted> admitted) {}

  AdmitScript(Redis redis) {
    super(redis, "admit");
  }

  Future<StepResult> run(SaleKeys keys, LineKeys line, Step step) {
    return call(keys(keys, line), step.args())
        .map(
            reply -> {
              reply.string();
              long stockLeft = reply.number();
              long waiting = reply.number();
              long away = reply.number();
              long present = reply.number();
              int skipped = reply.integer();
              List<Dropped> dropped =
                  reply.strings(reply.integer()).stream().map(Dropped::decode).toList();
              List<Admitted> admitted = reply.rest().stream().map(Admitted::decode).toList();
              return new StepResult(stockLeft, waiting, away, present, skipped, dropped, admitted);
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(SaleKeys keys, LineKeys line) {
    if (!line.inSaleSlot()) {
      throw new IllegalArgumentException("admit.lua runs on a line in the sale's own slot");
    }
    return List.of(
        line.line(),
        line.roster(),
        line.waiting(),
        line.tickets(),
        keys.stock(),
        keys.buyers(),
        keys.bucket(),
        line.cursor(),
        keys.inflight(),
        line.presence(),
        line.away(),
        line.departures(),
        keys.control(),
        line.preauthQueue(),
        line.preauthorizing());
  }
}

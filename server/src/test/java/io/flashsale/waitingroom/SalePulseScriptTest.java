package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.SalePulseScript.Pulse;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code sale_pulse.lua} alone, through its class, one behaviour per test. */
class SalePulseScriptTest {

  private static final SalePulseScript script = new SalePulseScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private Pulse pulse(long departuresRead, int most) {
    return Await.result(script.run(keys.line(0, 1), departuresRead, most));
  }

  @Test
  void aSaleWithNothingInRedisHasNoCursorNoStockAndNoDepartures() {
    assertThat(pulse(0, 10)).isEqualTo(new Pulse(0, -1, -1, 0, 0, List.of()));
  }

  @Test
  void readsTheCursorTheStockTheSealAndTheLastNumber() {
    send(Command.SET, keys.line(0, 1).cursor(), 12);
    send(Command.SET, keys.stock(), 30);
    send(Command.SET, keys.line(0, 1).sealed(), 1);
    send(Command.SET, keys.line(0, 1).sequence(), 40);

    assertThat(pulse(0, 10)).isEqualTo(new Pulse(12, 30, 1, 40, 0, List.of()));
  }

  @Test
  void returnsOnlyTheDeparturesNotReadYetAtMostTheNumberAsked() {
    send(Command.RPUSH, keys.line(0, 1).departures(), "3", "5", "-3", "7");

    assertThat(pulse(0, 2).departures()).containsExactly(3L, 5L);
    assertThat(pulse(0, 2).departuresRead()).isEqualTo(2);
    assertThat(pulse(2, 10)).isEqualTo(new Pulse(0, -1, -1, 0, 4, List.of(-3L, 7L)));
    assertThat(pulse(4, 10)).isEqualTo(new Pulse(0, -1, -1, 0, 4, List.of()));
  }

  @Test
  void readsWithoutChangingAnything() {
    send(Command.RPUSH, keys.line(0, 1).departures(), "3");

    pulse(0, 10);

    assertThat(TestRedis.lrange(keys.line(0, 1).departures())).containsExactly("3");
    assertThat(TestRedis.exists(keys.line(0, 1).cursor())).isFalse();
  }
}

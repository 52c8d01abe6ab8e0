package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.Poll;
import io.flashsale.support.TestRedis;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One read of a sale's line per interval for the whole process, handed to every live feed. */
class SalePulsesTest {

  private static final Vertx vertx = Vertx.vertx();
  private static final long PUSH_MILLIS = 50;

  private final SalePulses pulses = new SalePulses(vertx, TestRedis.client(), PUSH_MILLIS);
  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  @AfterAll
  static void close() {
    Await.result(vertx.close());
  }

  /** What one listener heard, and on which context. */
  private record Heard(Context context, SalePulses.Snapshot snapshot) {}

  private SalePulses.Subscription listenOn(Context context, List<Heard> heard) {
    Promise<SalePulses.Subscription> listening = Promise.promise();
    context.runOnContext(
        v ->
            listening.complete(
                pulses.listen(
                    keys.saleId(),
                    1,
                    snapshot -> heard.add(new Heard(Vertx.currentContext(), snapshot)))));
    return Await.result(listening.future());
  }

  @Test
  void feedsOnTwoEventLoopsShareOneReadEachOnItsOwnEventLoop() {
    send(Command.SET, keys.line(0, 1).cursor(), 5);
    send(Command.SET, keys.stock(), 10);
    send(Command.RPUSH, keys.line(0, 1).departures(), "7", "9", "-9", "3");
    Context first = vertx.getOrCreateContext();
    Context second = vertx.getOrCreateContext();
    List<Heard> heardFirst = new CopyOnWriteArrayList<>();
    List<Heard> heardSecond = new CopyOnWriteArrayList<>();

    SalePulses.Subscription a = listenOn(first, heardFirst);
    SalePulses.Subscription b = listenOn(second, heardSecond);
    Poll.until(
        () -> heardFirst.size() >= 3 && heardSecond.size() >= 3,
        done -> done,
        Duration.ofSeconds(5));
    a.cancel();
    b.cancel();

    assertThat(heardFirst).allMatch(heard -> heard.context() == first);
    assertThat(heardSecond).allMatch(heard -> heard.context() == second);
    SalePulses.Snapshot last = heardSecond.get(heardSecond.size() - 1).snapshot();
    assertThat(last.cursor(0)).isEqualTo(5);
    assertThat(last.stock()).isEqualTo(10);
    assertThat(last.shards()[0].departedAhead())
        .as("gone from ahead of the cursor, sorted")
        .containsExactly(7);
    // One read per interval for both: every snapshot the second feed got, the first got too.
    List<SalePulses.Snapshot> firsts = heardFirst.stream().map(Heard::snapshot).toList();
    assertThat(heardSecond).allMatch(heard -> firsts.stream().anyMatch(s -> s == heard.snapshot()));
  }

  @Test
  void theReadStopsWithItsLastListenerAndStartsAgainWithTheNext() throws InterruptedException {
    send(Command.SET, keys.line(0, 1).cursor(), 1);
    List<Heard> before = new CopyOnWriteArrayList<>();
    SalePulses.Subscription only = listenOn(vertx.getOrCreateContext(), before);
    Poll.until(() -> before.size(), size -> size >= 1, Duration.ofSeconds(5));
    only.cancel();
    int heardBeforeCancel = before.size();

    Thread.sleep(PUSH_MILLIS * 4);
    assertThat(before.size())
        .as("no reads once nobody listens")
        .isLessThanOrEqualTo(heardBeforeCancel + 1);

    send(Command.SET, keys.line(0, 1).cursor(), 2);
    List<Heard> after = new CopyOnWriteArrayList<>();
    SalePulses.Subscription again = listenOn(vertx.getOrCreateContext(), after);
    Poll.until(() -> after.size(), size -> size >= 1, Duration.ofSeconds(5));
    again.cancel();
    assertThat(after.get(0).snapshot().cursor(0)).isEqualTo(2);
  }
}

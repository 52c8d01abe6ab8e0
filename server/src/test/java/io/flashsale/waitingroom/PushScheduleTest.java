package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Who is due for a push, simulated on a clock rather than timed; and the position message's text.
 */
class PushScheduleTest {

  @Test
  void anIdleConnectionHearsWithinASecondEvenWhenEverySweepRunsLate() {
    PushSchedule schedule = PushSchedule.forPulse(250);
    Random late = new Random(14);
    long lastPush = 0;
    List<Long> gaps = new ArrayList<>();
    for (long tick = 1; tick <= 40_000; tick++) {
      // A busy event loop runs each sweep up to one sweep interval after it was due.
      long now = tick * schedule.sweepMillis() + late.nextLong(schedule.sweepMillis());
      if (schedule.due(lastPush, now)) {
        gaps.add(now - lastPush);
        lastPush = now;
      }
    }
    assertThat(gaps).hasSizeGreaterThan(1_000);
    assertThat(gaps).allMatch(gap -> gap <= PushSchedule.PROMISED_GAP_MILLIS, "at most a second");
    assertThat(gaps).allMatch(gap -> gap >= 700, "not much more often than the promise needs");
  }

  @Test
  void theSilenceAllowedLeavesASweepToSpareForALateOneWithinTheSecond() {
    // The old rule re-sent after a full second of silence, at the next 250 ms pulse: 1.0-1.25 s.
    for (long pulse : List.of(50L, 100L, 250L, 500L, 1_000L)) {
      PushSchedule schedule = PushSchedule.forPulse(pulse);
      assertThat(schedule.heartbeatMillis() + 2 * schedule.sweepMillis())
          .as("pulse %d ms", pulse)
          .isLessThanOrEqualTo(PushSchedule.PROMISED_GAP_MILLIS);
      assertThat(schedule.due(0, schedule.heartbeatMillis() - 1)).isFalse();
      assertThat(schedule.due(0, schedule.heartbeatMillis())).isTrue();
    }
  }

  /**
   * 20,000 connections pushed at the same moment (a pulse that moved everyone): the sweep, run as
   * LiveFeed runs it over a list oldest push first, spreads their heartbeats instead of writing to
   * all of them in one sweep every round, and never lets one wait past the second.
   */
  @Test
  void connectionsPushedTogetherAreSpreadOverTheSweepsWithinAFewRounds() {
    PushSchedule schedule = PushSchedule.forPulse(100);
    int connections = 20_000;
    ArrayDeque<long[]> byLastPush = new ArrayDeque<>(); // {last push, connection}
    for (int c = 0; c < connections; c++) {
      byLastPush.add(new long[] {0, c});
    }
    long[] last = new long[connections];
    int share = schedule.share(connections);
    int largestSweepLater = 0;
    long longestGap = 0;
    long pushes = 0;
    for (long now = schedule.sweepMillis(); now <= 20_000; now += schedule.sweepMillis()) {
      int pushed = 0;
      while (schedule.sweepPushes(byLastPush.peekFirst()[0], now, pushed, connections)) {
        long[] connection = byLastPush.pollFirst();
        longestGap = Math.max(longestGap, now - last[(int) connection[1]]);
        last[(int) connection[1]] = now;
        connection[0] = now;
        byLastPush.addLast(connection);
        pushed++;
      }
      if (now > 5_000) {
        largestSweepLater = Math.max(largestSweepLater, pushed);
        pushes += pushed;
      }
    }
    assertThat(longestGap).isLessThanOrEqualTo(PushSchedule.PROMISED_GAP_MILLIS);
    assertThat(largestSweepLater)
        .as("after five seconds no sweep writes much more than its share (%d)", share)
        .isLessThanOrEqualTo(2 * share);
    assertThat(pushes / (double) connections / 15)
        .as("pushes per connection per second")
        .isBetween(1.0, 1.4);
  }

  @Test
  void aSweepAfterAStallPushesEveryConnectionWhoseSecondIsNearlyUpAndCapsTheRest() {
    PushSchedule schedule = PushSchedule.forPulse(100);
    int connections = 20_000;
    int cap = PushSchedule.BURST_SHARES * schedule.share(connections);
    long urgent = PushSchedule.PROMISED_GAP_MILLIS - 2 * schedule.sweepMillis();
    assertThat(schedule.sweepPushes(0, urgent, 10 * cap, connections)).isTrue();
    assertThat(schedule.sweepPushes(0, schedule.heartbeatMillis(), cap - 1, connections)).isTrue();
    assertThat(schedule.sweepPushes(0, schedule.heartbeatMillis(), cap, connections)).isFalse();
    assertThat(schedule.sweepPushes(0, schedule.heartbeatMillis() / 2, 0, connections)).isTrue();
    assertThat(schedule.sweepPushes(0, schedule.heartbeatMillis() / 2 - 1, 0, connections))
        .isFalse();
  }

  @Test
  void aFeedConfiguredNotToPulseDoesNotHeartbeatEither() {
    PushSchedule schedule = PushSchedule.forPulse(3_600_000);
    assertThat(schedule.due(0, 60_000)).isFalse();
    assertThat(schedule.sweepPushes(0, 60_000, 0, 10)).isFalse();
  }

  @Test
  void thePositionMessageReadsAsTheJsonObjectItReplaces() {
    String saleId = "0b7e5a4e-5d0a-4c36-9f41-0a1a1e4c2d11";
    PositionFrame frame = new PositionFrame(saleId);
    for (String type : List.of("position", "state")) {
      for (String state : List.of("QUEUED", "SOLD_OUT")) {
        String encoded = frame.encode(type, state, 42, 1_042, 9);
        assertThat(encoded)
            .isEqualTo(
                new JsonObject()
                    .put("type", type)
                    .put("saleId", saleId)
                    .put("state", state)
                    .put("position", 42L)
                    .put("ahead", 41L)
                    .put("queueNumber", 1_042L)
                    .put("estimatedWaitSeconds", 9L)
                    .encode());
      }
    }
  }
}

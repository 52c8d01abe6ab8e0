package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
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
    for (long tick = 1; tick <= 10_000; tick++) {
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

  @Test
  void aFeedConfiguredNotToPulseDoesNotHeartbeatEither() {
    PushSchedule schedule = PushSchedule.forPulse(3_600_000);
    assertThat(schedule.due(0, 60_000)).isFalse();
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

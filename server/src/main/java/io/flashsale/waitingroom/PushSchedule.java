package io.flashsale.waitingroom;

/**
 * When a live connection whose position has not changed is pushed to again. The promise is a push
 * at least once a second while waiting. Waiting for a full second of silence and then for the next
 * timer (the old rule: pushed at the first pulse at least 1 s after the last push) makes every gap
 * 1 s plus up to a pulse interval plus the event loop's delay. Instead a sweep runs every {@link
 * #sweepMillis} and re-sends to connections silent for {@link #heartbeatMillis}, chosen so that the
 * sweep after the one that just missed still lands inside the second, with a sweep interval to
 * spare for a busy event loop.
 */
record PushSchedule(long sweepMillis, long heartbeatMillis) {

  static final long PROMISED_GAP_MILLIS = 1_000;
  private static final long LONGEST_SWEEP_MILLIS = 100;

  /**
   * For a feed that reads the line every {@code pulseMillis}. A pulse slower than the promise
   * (tests that want only event-driven pushes) keeps its own rhythm for the heartbeat too.
   */
  static PushSchedule forPulse(long pulseMillis) {
    long sweep = Math.min(pulseMillis, LONGEST_SWEEP_MILLIS);
    return new PushSchedule(
        sweep, pulseMillis > PROMISED_GAP_MILLIS ? pulseMillis : PROMISED_GAP_MILLIS - 2 * sweep);
  }

  /** Whether a connection last pushed to at {@code lastPushMillis} must be pushed to now. */
  boolean due(long lastPushMillis, long nowMillis) {
    return nowMillis - lastPushMillis >= heartbeatMillis;
  }
}

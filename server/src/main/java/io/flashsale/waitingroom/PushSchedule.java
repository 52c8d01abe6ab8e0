package io.flashsale.waitingroom;

/**
 * When a live connection whose position has not changed is pushed to again. The promise is a push
 * at least once a second while waiting. Waiting for a full second of silence and then for the next
 * timer (the old rule: pushed at the first pulse at least 1 s after the last push) makes every gap
 * 1 s plus up to a pulse interval plus the event loop's delay. Instead a sweep runs every {@link
 * #sweepMillis} and re-sends to connections silent for {@link #heartbeatMillis}, which leaves a
 * fifth of the second for a busy event loop or a pause.
 *
 * <p>The sweep also keeps the heartbeats spread out. Connections pushed together (a pulse that
 * moved everyone, a stall after which every overdue connection is pushed at once) would otherwise
 * stay together: every heartbeat would be one burst of writes to all of them, which holds the event
 * loop for hundreds of milliseconds at 20,000 sockets and makes the next round late in turn. So
 * each sweep also pushes its {@link #share} of the connections silent for at least half a
 * heartbeat, oldest first, which spreads a burst over the following rounds; and it pushes at most
 * {@link #BURST_SHARES} shares of connections that are merely due, leaving the rest to the next
 * sweep unless their second is nearly up.
 */
record PushSchedule(long sweepMillis, long heartbeatMillis) {

  static final long PROMISED_GAP_MILLIS = 1_000;
  private static final long LONGEST_SWEEP_MILLIS = 25;

  /** The silence after which a connection is due: the rest of the second is headroom. */
  private static final long HEARTBEAT_MILLIS = 800;

  /** A sweep pushes at most this many shares of connections that are due but not urgent. */
  static final int BURST_SHARES = 4;

  /**
   * For a feed that reads the line every {@code pulseMillis}. A pulse slower than the promise
   * (tests that want only event-driven pushes) keeps its own rhythm for the heartbeat too.
   */
  static PushSchedule forPulse(long pulseMillis) {
    long sweep = Math.min(pulseMillis, LONGEST_SWEEP_MILLIS);
    return new PushSchedule(
        sweep, pulseMillis > PROMISED_GAP_MILLIS ? pulseMillis : HEARTBEAT_MILLIS);
  }

  /** Whether a connection last pushed to at {@code lastPushMillis} must be pushed to now. */
  boolean due(long lastPushMillis, long nowMillis) {
    return nowMillis - lastPushMillis >= heartbeatMillis;
  }

  /**
   * How many of {@code connections} one sweep pushes to keep every connection on a heartbeat evenly
   * spread: all of them once per heartbeat.
   */
  int share(int connections) {
    return (int) ((connections * sweepMillis + heartbeatMillis - 1) / heartbeatMillis);
  }

  /**
   * Whether the sweep, having pushed {@code pushedThisSweep} already, pushes to a connection last
   * pushed to at {@code lastPushMillis}: always once its second is nearly up; when due, up to
   * {@link #BURST_SHARES} shares; early, after half a heartbeat, up to one share.
   */
  boolean sweepPushes(long lastPushMillis, long nowMillis, int pushedThisSweep, int connections) {
    long silent = nowMillis - lastPushMillis;
    if (silent >= Math.max(heartbeatMillis, PROMISED_GAP_MILLIS - 2 * sweepMillis)) {
      return true;
    }
    int share = share(connections);
    if (silent >= heartbeatMillis) {
      return pushedThisSweep < BURST_SHARES * share;
    }
    return silent >= heartbeatMillis / 2 && pushedThisSweep < share;
  }
}

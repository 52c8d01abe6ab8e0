package io.flashsale.http;

/**
 * What the readiness probe waits for besides the stores: the start-up rehearsal (the root package's
 * {@code Rehearsal}), which the composition root starts and ends. One per process.
 */
public final class Readiness {

  /** Where the start-up rehearsal stands; only RUNNING holds readiness back. */
  public enum Rehearsal {
    OFF,
    RUNNING,
    DONE
  }

  private volatile Rehearsal rehearsal = Rehearsal.OFF;

  public Rehearsal rehearsal() {
    return rehearsal;
  }

  public void rehearsal(Rehearsal now) {
    this.rehearsal = now;
  }
}

package io.flashsale.sale;

public enum QueuePolicy {
  /** Buyers who joined before T-0 are shuffled at T-0, ahead of everyone who joins later. */
  RANDOMIZED_PREQUEUE,
  /** Arrival order only. */
  FIFO
}

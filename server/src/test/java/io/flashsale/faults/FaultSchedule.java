package io.flashsale.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A seeded list of faults, in the spirit of Jepsen's nemesis: the same seed gives the same
 * schedule, so a run that fails replays. The first five faults are one of each kind. Faults follow
 * one another (one at a time, each healed before the next), with a random gap of calm between them.
 */
record FaultSchedule(long seed, List<Fault> faults) {

  enum Kind {
    /** SIGKILL one server node, start it again after the fault's duration. */
    KILL_NODE,
    /**
     * SIGSTOP PostgreSQL (postmaster and every backend), SIGCONT after the duration: a partition.
     */
    FREEZE_POSTGRES,
    /** SIGSTOP redis-server, SIGCONT after the duration. */
    FREEZE_REDIS,
    /** SIGKILL redis-server and start a new, empty one on the same port after the duration. */
    RESTART_REDIS_EMPTY,
    /** The card API refuses connections for the duration. */
    DROP_GATEWAY
  }

  record Fault(Kind kind, Duration at, Duration lasts, int node) {
    @Override
    public String toString() {
      return String.format(
          "t=%5.1fs %-20s %-8s for %.1fs",
          at.toMillis() / 1000.0,
          kind,
          kind == Kind.KILL_NODE ? "node " + node : "",
          lasts.toMillis() / 1000.0);
    }
  }

  static FaultSchedule random(long seed, Duration length, int nodes) {
    Random random = new Random(seed);
    List<Fault> faults = new ArrayList<>();
    Kind[] kinds = Kind.values();
    // Every kind once, in a seeded order, then seeded picks: a short run still meets them all.
    List<Kind> firstRound = new ArrayList<>(List.of(kinds));
    Collections.shuffle(firstRound, random);
    long at = 2_000 + random.nextInt(2_000);
    while (true) {
      Kind kind = firstRound.isEmpty() ? kinds[random.nextInt(kinds.length)] : firstRound.remove(0);
      long lasts =
          switch (kind) {
            case KILL_NODE -> 500 + random.nextInt(2_500);
            case FREEZE_POSTGRES, FREEZE_REDIS -> 1_000 + random.nextInt(4_000);
            case RESTART_REDIS_EMPTY -> 200 + random.nextInt(1_500);
            case DROP_GATEWAY -> 1_000 + random.nextInt(4_000);
          };
      if (at + lasts > length.toMillis()) {
        break;
      }
      faults.add(
          new Fault(kind, Duration.ofMillis(at), Duration.ofMillis(lasts), random.nextInt(nodes)));
      // Calm long enough after a node restart for its JVM to come up (it does so on a loaded box).
      at += lasts + 1_500 + random.nextInt(3_000) + (kind == Kind.KILL_NODE ? 4_000 : 0);
    }
    return new FaultSchedule(seed, List.copyOf(faults));
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("fault schedule, seed " + seed + ":\n");
    faults.forEach(fault -> text.append("  ").append(fault).append('\n'));
    return text.toString();
  }
}

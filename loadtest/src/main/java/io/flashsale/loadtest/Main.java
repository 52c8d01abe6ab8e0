package io.flashsale.loadtest;

import java.util.Arrays;

/** Picks the command: the load test, or one of the benchmarks. */
public final class Main {

  private Main() {}

  static final String USAGE =
      """
      Usage: java -jar flash-sale-loadtest.jar COMMAND [OPTIONS]

      Commands:
        loadtest   replays a flash sale against a running server (loadtest --help for options)
        pow-bench  measures proof-of-work solving and checking (pow-bench --help)
        live-bench measures live-feed push gaps against a running server (live-bench --help)
        join-burst offers N buyers' joins within a window, open loop, to a running server
                   (100,000 in 1 s by default; join-burst --help)
        help       prints this (also -h, --help)

      The server itself is java -jar server/target/flash-sale.jar (see README.md).
      """;

  public static void main(String[] args) {
    if (args.length == 0) {
      refuse("a command is needed");
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "loadtest" -> System.exit(LoadTest.run(rest));
      case "pow-bench" -> System.exit(PowBenchmark.run(rest));
      case "live-bench" -> System.exit(LiveGapBenchmark.run(rest));
      case "join-burst" -> System.exit(JoinBurst.run(rest));
      case "help", "-h", "--help" -> {
        System.out.print(USAGE);
        System.exit(0);
      }
      default -> refuse("unknown command '" + args[0] + "'");
    }
  }

  private static void refuse(String problem) {
    System.err.println(problem);
    System.err.print(USAGE);
    System.exit(64);
  }
}

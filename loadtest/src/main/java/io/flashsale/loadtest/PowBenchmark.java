package io.flashsale.loadtest;

import io.flashsale.antibot.ProofOfWork;
import io.flashsale.antibot.ProofOfWork.Challenge;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What proof of work costs: a buyer's solve time at a difficulty (median and spread over many
 * challenges, since the work is geometric), and the server's verification cost per join.
 */
@Command(
    name = "pow-bench",
    mixinStandardHelpOptions = true,
    description =
        "Measures proof-of-work solve time (client) and verification cost (server) on this machine.")
public final class PowBenchmark implements Callable<Integer> {

  @Option(names = "--difficulty", description = "leading zero bits (default: ${DEFAULT-VALUE})")
  int difficulty = 18;

  @Option(names = "--challenges", description = "challenges to solve (default: ${DEFAULT-VALUE})")
  int challenges = 40;

  @Option(
      names = "--verifications",
      description = "verifications to time (default: ${DEFAULT-VALUE})")
  int verifications = 200_000;

  public static int run(String[] args) {
    return new CommandLine(new PowBenchmark()).execute(args);
  }

  @Override
  public Integer call() {
    ProofOfWork pow =
        new ProofOfWork(
            "benchmark-secret-that-is-long-enough-for-hmac",
            Duration.ofHours(1),
            Clock.systemUTC());
    double[] solveMillis = new double[challenges];
    Challenge[] issued = new Challenge[challenges];
    String[] solutions = new String[challenges];
    for (int i = 0; i < challenges; i++) {
      issued[i] = pow.issue("sale", "user-" + i, difficulty);
      long start = System.nanoTime();
      solutions[i] = ProofOfWork.solve(issued[i].token(), difficulty);
      solveMillis[i] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(solveMillis);

    // Warm up, then time the server's side: signature, expiry, hash (the Redis mark is separate).
    for (int i = 0; i < verifications / 4; i++) {
      pow.verify(
          issued[i % challenges].token(),
          solutions[i % challenges],
          "sale",
          "user-" + i % challenges,
          difficulty);
    }
    long start = System.nanoTime();
    for (int i = 0; i < verifications; i++) {
      pow.verify(
          issued[i % challenges].token(),
          solutions[i % challenges],
          "sale",
          "user-" + i % challenges,
          difficulty);
    }
    double verifyMicros = (System.nanoTime() - start) / 1e3 / verifications;

    System.out.printf(
        "proof of work, difficulty %d bits (expected %,d hashes per solve)%n",
        difficulty, 1L << difficulty);
    System.out.printf(
        "solve (Java, one core): median %.1f ms, p10 %.1f ms, p90 %.1f ms, max %.1f ms over %d challenges%n",
        solveMillis[challenges / 2],
        solveMillis[challenges / 10],
        solveMillis[challenges * 9 / 10],
        solveMillis[challenges - 1],
        challenges);
    System.out.printf(
        "verify (server, one core): %.2f µs per join over %,d verifications%n",
        verifyMicros, verifications);
    return 0;
  }
}

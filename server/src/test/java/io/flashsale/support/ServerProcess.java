package io.flashsale.support;

import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real server process (io.flashsale.Main on the test classpath), for tests that kill or cluster
 * servers.
 */
public final class ServerProcess {

  private ServerProcess() {}

  /** Starts the server with {@code env}; its output goes to target/{@code logName}.log. */
  public static Process start(Map<String, String> env, String logName, String... jvmOptions)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    // A test's server lives for seconds to a minute: C2's compile work would not pay for itself
    // on the suite's two cores, and the quick compiler starts the server sooner.
    command.add("-XX:TieredStopAtLevel=1");
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.flashsale.Main"));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(new File("target/" + logName + ".log"));
    builder.environment().putAll(env);
    return builder.start();
  }

  /**
   * Runs io.flashsale.Main with {@code args} (a command such as --help); output to target/{@code
   * logName}.log.
   */
  public static Process run(List<String> args, Map<String, String> env, String logName)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-cp",
                System.getProperty("java.class.path"),
                "io.flashsale.Main"));
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(new File("target/" + logName + ".log"));
    builder.environment().putAll(env);
    return builder.start();
  }

  /**
   * Waits until the server on {@code port} says it is ready (PostgreSQL migrated, Redis answering).
   */
  public static void awaitReady(WebClient client, int port) {
    // Each probe gives up after 2 s: a connection the starting process has not answered yet is
    // tried again, rather than awaited for a minute.
    Poll.until(
        () ->
            Await.result(
                client
                    .get(port, "127.0.0.1", "/health/ready")
                    .timeout(2_000)
                    .send()
                    .map(HttpResponse::statusCode)
                    .otherwise(-1)),
        status -> status == 200,
        Duration.ofSeconds(90));
  }

  private static final int LOWEST_PORT = 20_000;
  private static final int PORTS = 12_000;

  /** Where the next port is looked for: a random start, so two test JVMs seldom meet. */
  private static final AtomicInteger NEXT_PORT =
      new AtomicInteger(ThreadLocalRandom.current().nextInt(PORTS));

  /**
   * A port nothing listens on, for a server about to start, below the kernel's ephemeral range
   * (32768-60999 by default): a port the kernel picked ({@code new ServerSocket(0)}) can be given
   * to any outbound connection made before the server binds it (its own to PostgreSQL, Redis or its
   * peers), and a cluster node then failed to start on "port already in use" (2026-12-07). Each
   * port is handed out once per test JVM.
   */
  public static int freePort() {
    for (int tries = 0; tries < PORTS; tries++) {
      int port = LOWEST_PORT + Math.floorMod(NEXT_PORT.getAndIncrement(), PORTS);
      try (ServerSocket probe = new ServerSocket(port)) {
        return port;
      } catch (IOException inUse) {
        // Taken: try the next.
      }
    }
    throw new IllegalStateException(
        "no free port in " + LOWEST_PORT + "-" + (LOWEST_PORT + PORTS - 1));
  }
}

package io.flashsale;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.EmbeddedStores;
import io.flashsale.support.Poll;
import io.flashsale.support.ServerProcess;
import io.flashsale.support.TestStores;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a first user meets: --help, a port already taken, and a server killed with SIGKILL. */
class FirstRunTest {

  private static Vertx vertx;
  private static WebClient client;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
  }

  @AfterAll
  static void stop() {
    client.close();
    vertx.close();
  }

  @Test
  void helpPrintsTheCommandsAndStartsNothing() throws Exception {
    for (String flag : List.of("--help", "-h")) {
      Process help =
          ServerProcess.run(
              List.of(flag), Map.of("FLASHSALE_CONFIG", "/nonexistent"), "first-run-help");
      assertThat(help.waitFor(20, TimeUnit.SECONDS)).as("%s exits", flag).isTrue();
      String output = Files.readString(Path.of("target/first-run-help.log"));
      assertThat(help.exitValue()).isZero();
      assertThat(output)
          .contains(
              "Usage:",
              "server",
              "flash-sale-loadtest.jar",
              "FLASHSALE_",
              "conf/flashsale.properties")
          .doesNotContain("started embedded", "listening on");
    }
  }

  @Test
  void aPortAlreadyInUseIsOneLineAndAnExitAtOnce() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      int port = taken.getLocalPort();
      Process server =
          ServerProcess.start(
              Map.of(
                  "FLASHSALE_CONFIG", "/nonexistent",
                  "FLASHSALE_HTTP_PORT", Integer.toString(port),
                  "FLASHSALE_REDIS_URL", TestStores.get().redisUrl(),
                  "FLASHSALE_PG_URL", TestStores.get().freshDatabase()),
              "first-run-port-taken");
      boolean exited = server.waitFor(15, TimeUnit.SECONDS);
      if (!exited) {
        server.destroyForcibly().waitFor();
      }
      String output = Files.readString(Path.of("target/first-run-port-taken.log"));
      assertThat(exited).as("exits at once: %s", output).isTrue();
      assertThat(server.exitValue()).isNotZero();
      assertThat(output)
          .contains("port " + port + " is already in use (set FLASHSALE_HTTP_PORT or http.port)")
          .doesNotContain("Exception")
          .doesNotContain("\tat ");
      assertThat(output.lines().filter(line -> line.contains("already in use")).count())
          .isEqualTo(1);
    }
  }

  @Test
  void embeddedStoresDieWithASigkilledServerAndTheirFoldersGo() throws Exception {
    Started started = startWithEmbeddedStores("first-run-sigkill");
    try {
      started.server.destroyForcibly().waitFor();

      Poll.until(
          () -> listening(started.redisPort) || listening(started.pgPort),
          up -> !up,
          Duration.ofSeconds(20));
      Poll.until(() -> leftovers(started), List::isEmpty, Duration.ofSeconds(10));
      assertThat(started.folders)
          .as("the server's own folder and Redis' binary folder, both gone")
          .hasSize(2);
    } finally {
      started.cleanUp();
    }
  }

  @Test
  void theNextStartReapsWhatAKilledServerAndWatchdogLeft() throws Exception {
    Started started = startWithEmbeddedStores("first-run-reap");
    try {
      ProcessHandle watchdog =
          started
              .server
              .toHandle()
              .children()
              .filter(
                  child ->
                      child
                          .info()
                          .arguments()
                          .map(List::of)
                          .orElse(List.of())
                          .contains("flashsale-embedded-watchdog"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no watchdog beside the server"));
      watchdog.destroyForcibly();
      watchdog.onExit().get(5, TimeUnit.SECONDS);
      started.server.destroyForcibly().waitFor();
      Thread.sleep(1_000);
      assertThat(listening(started.redisPort) && listening(started.pgPort))
          .as("nothing stopped them yet")
          .isTrue();

      EmbeddedStores.reapOrphans(); // what the next start does first

      assertThat(listening(started.redisPort)).as("redis").isFalse();
      assertThat(listening(started.pgPort)).as("postgres").isFalse();
      assertThat(leftovers(started)).isEmpty();
      assertThat(started.folders).hasSize(2);
    } finally {
      started.cleanUp();
    }
  }

  /** A server process, the ports of its embedded stores, and the processes and folders they had. */
  private record Started(
      Process server, int redisPort, int pgPort, List<ProcessHandle> children, List<Path> folders) {
    void cleanUp() {
      server.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private static Started startWithEmbeddedStores(String logName) throws Exception {
    int port = ServerProcess.freePort();
    Process server =
        ServerProcess.start(
            Map.of(
                "FLASHSALE_CONFIG",
                "/nonexistent",
                "FLASHSALE_HTTP_PORT",
                Integer.toString(port),
                "FLASHSALE_HTTP_INSTANCES",
                "1"),
            logName);
    try {
      // Asked only once it listens: a request that races the start can go unanswered (see the
      // report).
      Poll.until(
          () -> log(logName).contains("listening on"), started -> started, Duration.ofSeconds(120));
      ServerProcess.awaitReady(client, port);
    } catch (RuntimeException | Error notReady) {
      server.destroyForcibly();
      throw notReady;
    }
    String log = Files.readString(Path.of("target/" + logName + ".log"));
    List<ProcessHandle> children = server.toHandle().descendants().toList();
    // Its own folder (the PostgreSQL data in it), and the folder the redis-server binary was
    // unpacked into.
    List<Path> folders =
        Stream.concat(
                Files.isDirectory(EmbeddedStores.ROOT)
                    ? Files.list(EmbeddedStores.ROOT)
                        .filter(
                            owner -> owner.getFileName().toString().startsWith(server.pid() + "-"))
                        .toList()
                        .stream()
                    : Stream.<Path>empty(),
                children.stream()
                    .map(child -> child.info().command().orElse(""))
                    .filter(command -> command.contains("redis-server"))
                    .map(command -> Path.of(command).getParent()))
            .toList();
    return new Started(
        server,
        port(log, "redis://127\\.0\\.0\\.1:(\\d+)"),
        port(log, "postgresql://postgres@127\\.0\\.0\\.1:(\\d+)/"),
        children,
        folders);
  }

  private static List<Path> leftovers(Started started) {
    return started.folders.stream().filter(Files::exists).toList();
  }

  private static String log(String logName) {
    try {
      return Files.readString(Path.of("target/" + logName + ".log"));
    } catch (IOException e) {
      return "";
    }
  }

  private static int port(String log, String pattern) {
    Matcher found = Pattern.compile(pattern).matcher(log);
    assertThat(found.find()).as("%s in the server's log", pattern).isTrue();
    return Integer.parseInt(found.group(1));
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }
}

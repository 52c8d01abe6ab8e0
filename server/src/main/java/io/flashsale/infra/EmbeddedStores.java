package io.flashsale.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * Real redis-server and PostgreSQL binaries (shipped inside Maven artifacts) started on free ports,
 * so the engine runs on a machine that has only a JDK. Blocking: call before Vert.x starts.
 *
 * <p>They must not outlive this JVM, even a SIGKILLed one (no shutdown hook runs then). Each owner
 * has a folder, {@code <java.io.tmpdir>/flashsale-embedded/<pid>-<id>}, holding the PostgreSQL data
 * and a list of what else to remove. Two guards use it: a watchdog ({@code sh}, blocked reading a
 * pipe only this JVM writes to) that stops the servers and deletes the folders the moment the pipe
 * closes, however the JVM ended; and, should the watchdog have been killed too, the next start
 * reaps the folders of owners that are gone.
 */
public final class EmbeddedStores implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStores.class);

  /** Where every owner keeps its folder; public for the tests that check nothing is left. */
  public static final Path ROOT =
      Path.of(System.getProperty("java.io.tmpdir"), "flashsale-embedded");

  private static final String PROCESSES = "processes";
  private static final String FOLDERS = "folders";
  private static final String PG_DATA = "pg-data";

  /**
   * Waits for end of input (the JVM is gone, or closed the pipe on purpose), then: Redis killed,
   * PostgreSQL stopped at once (SIGQUIT: the postmaster takes its backends with it), the folders
   * removed.
   */
  private static final String WATCHDOG =
      """
      home=$1
      while read -r ignored; do :; done
      if [ -f "$home/processes" ]; then
        while read -r kind pid; do kill -KILL "$pid" 2>/dev/null; done < "$home/processes"
      fi
      pg=$(head -n 1 "$home/pg-data/postmaster.pid" 2>/dev/null)
      if [ -n "$pg" ]; then
        kill -QUIT "$pg" 2>/dev/null
        i=0
        while kill -0 "$pg" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$pg" 2>/dev/null
      fi
      if [ -f "$home/folders" ]; then
        while read -r folder; do rm -rf "$folder"; done < "$home/folders"
      fi
      rm -rf "$home"
      """;

  /** Newest first, so servers stop in reverse start order. */
  private final List<AutoCloseable> running = new ArrayList<>();

  private Path home;
  private Process watchdog;

  /** Starts an embedded redis-server with no persistence; returns its redis:// URL. */
  public String startRedis() {
    try {
      Path folder = home();
      int port = freePort();
      RedisServer server =
          RedisServer.newRedisServer()
              .port(port)
              .bind("127.0.0.1")
              .setting("save \"\"")
              .setting("appendonly no")
              .onShutdownForceStop(true)
              .build();
      server.start();
      running.add(0, server::stop);
      redisProcess(port)
          .ifPresent(
              redis -> {
                record(folder.resolve(PROCESSES), "redis " + redis.pid());
                // The library unpacks the binary into a folder of its own, removed only at a normal
                // exit.
                redis
                    .info()
                    .command()
                    .map(Path::of)
                    .map(Path::getParent)
                    .filter(
                        unpacked ->
                            unpacked.getFileName().toString().startsWith("redis-")
                                && unpacked.startsWith(
                                    Path.of(System.getProperty("java.io.tmpdir"))))
                    .ifPresent(unpacked -> record(folder.resolve(FOLDERS), unpacked.toString()));
              });
      String url = "redis://127.0.0.1:" + port;
      LOG.info("No redis.url configured: started embedded Redis at " + url);
      return url;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start embedded Redis", e);
    }
  }

  /** Starts an embedded PostgreSQL; returns a postgresql:// URL to its postgres database. */
  public String startPostgres() {
    try {
      EmbeddedPostgres postgres =
          EmbeddedPostgres.builder().setDataDirectory(home().resolve(PG_DATA)).start();
      running.add(0, postgres);
      String url = "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/postgres";
      LOG.info("No pg.url configured: started embedded PostgreSQL at " + url);
      return url;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start embedded PostgreSQL", e);
    }
  }

  @Override
  public void close() {
    if (watchdog != null) {
      watchdog.destroy();
    }
    for (AutoCloseable server : running) {
      try {
        server.close();
      } catch (Exception e) {
        LOG.warn("embedded server did not stop cleanly: " + e);
      }
    }
    running.clear();
    if (home != null) {
      removeFolders(home);
      home = null;
    }
  }

  /**
   * This owner's folder, made on first use, after reaping what owners that are gone left behind.
   */
  private Path home() throws IOException {
    if (home == null) {
      reapOrphans();
      home =
          Files.createDirectories(
              ROOT.resolve(
                  ProcessHandle.current().pid()
                      + "-"
                      + UUID.randomUUID().toString().substring(0, 8)));
      watchdog = startWatchdog(home);
    }
    return home;
  }

  private static Process startWatchdog(Path home) {
    if (File.separatorChar != '/') {
      return null; // No sh: the next start reaps instead.
    }
    try {
      // Its stdin stays a pipe from this JVM: the kernel closes it when the JVM dies, however.
      return new ProcessBuilder(
              "sh", "-c", WATCHDOG, "flashsale-embedded-watchdog", home.toString())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      LOG.warn(
          "no watchdog for the embedded stores ("
              + e.getMessage()
              + "); the next start reaps them instead");
      return null;
    }
  }

  /**
   * Stops the servers and removes the folders of every owner whose JVM is gone. A server is stopped
   * only if its process still looks like the one recorded (the pid may have been reused).
   */
  public static void reapOrphans() {
    if (!Files.isDirectory(ROOT)) {
      return;
    }
    try (Stream<Path> owners = Files.list(ROOT)) {
      owners
          .filter(owner -> !alive(ownerPid(owner)))
          .forEach(
              owner -> {
                LOG.info("reaping embedded stores left by a process that is gone: " + owner);
                lines(owner.resolve(PROCESSES))
                    .forEach(line -> stop(pid(line.substring(line.indexOf(' ') + 1)), "redis"));
                lines(owner.resolve(PG_DATA).resolve("postmaster.pid")).stream()
                    .findFirst()
                    .ifPresent(postmaster -> stop(pid(postmaster), "postgres"));
                removeFolders(owner);
              });
    } catch (IOException e) {
      LOG.warn("could not look for orphaned embedded stores in " + ROOT + ": " + e);
    }
  }

  private static void removeFolders(Path owner) {
    lines(owner.resolve(FOLDERS)).forEach(folder -> deleteTree(Path.of(folder)));
    deleteTree(owner);
  }

  private static void stop(long pid, String looksLike) {
    ProcessHandle.of(pid)
        .filter(
            process ->
                process.info().command().map(command -> command.contains(looksLike)).orElse(false))
        .ifPresent(
            process -> {
              process.destroy();
              try {
                process.onExit().get(5, TimeUnit.SECONDS);
              } catch (Exception stillThere) {
                process.destroyForcibly();
              }
            });
  }

  private static long ownerPid(Path owner) {
    String name = owner.getFileName().toString();
    return pid(name.contains("-") ? name.substring(0, name.indexOf('-')) : name);
  }

  private static long pid(String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException notAPid) {
      return -1;
    }
  }

  private static boolean alive(long pid) {
    return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** The redis-server this JVM just started on {@code port}. */
  private static Optional<ProcessHandle> redisProcess(int port) {
    Pattern onPort = Pattern.compile("[: ]" + port + "(\\s|$)");
    return ProcessHandle.current()
        .children()
        .filter(
            child ->
                child
                    .info()
                    .command()
                    .map(command -> command.contains("redis-server"))
                    .orElse(false))
        .filter(child -> onPort.matcher(commandLine(child)).find())
        .findFirst();
  }

  /**
   * redis-server rewrites its command line to "{@code <binary> 127.0.0.1:<port>}" in place, which
   * the JDK then reports without arguments; /proc has it as it is.
   */
  private static String commandLine(ProcessHandle process) {
    Path proc = Path.of("/proc", Long.toString(process.pid()), "cmdline");
    try {
      if (Files.isReadable(proc)) {
        return Files.readString(proc, StandardCharsets.UTF_8).replace('\0', ' ').trim();
      }
    } catch (IOException | UncheckedIOException unreadable) {
      // fall back to what the JDK knows
    }
    return process.info().commandLine().orElse("");
  }

  private static void record(Path file, String line) {
    try {
      Files.writeString(
          file,
          line + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(root)) {
      tree.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not remove " + root + ": " + e);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}

package io.flashsale.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Poll;
import io.flashsale.support.ServerProcess;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import redis.embedded.core.RedisServerBuilder;

/**
 * A redis-server and a PostgreSQL of a fault test's own, as processes it can signal (SIGSTOP,
 * SIGCONT, SIGKILL) without touching the stores other tests share.
 */
final class OwnStores implements AutoCloseable {
  private final String name;
  private final Path pgData;
  private final int pgPort;
  private final int redisPort;
  private final List<String> redisCommand;
  private EmbeddedPostgres postgres;
  private Process redis;

  private OwnStores(
      String name, Path pgData, int pgPort, int redisPort, List<String> redisCommand) {
    this.name = name;
    this.pgData = pgData;
    this.pgPort = pgPort;
    this.redisPort = redisPort;
    this.redisCommand = redisCommand;
  }

  /**
   * {@code name} names the PostgreSQL data folder ({@code name}-pg…) and target/{@code
   * name}-redis.log.
   */
  static OwnStores start(String name) throws Exception {
    int redisPort = ServerProcess.freePort();
    List<String> command =
        new RedisServerBuilder()
            .port(redisPort)
            .bind("127.0.0.1")
            .setting("save \"\"")
            .setting("appendonly no")
            .buildCommandArgs();
    OwnStores stores =
        new OwnStores(
            name,
            Files.createTempDirectory(name + "-pg"),
            ServerProcess.freePort(),
            redisPort,
            command);
    stores.startRedis();
    stores.postgres =
        EmbeddedPostgres.builder()
            .setDataDirectory(stores.pgData)
            .setCleanDataDirectory(true)
            .setPort(stores.pgPort)
            .start();
    return stores;
  }

  String redisUrl() {
    return "redis://127.0.0.1:" + redisPort;
  }

  String pgUrl() {
    return "postgresql://postgres@127.0.0.1:" + pgPort + "/postgres";
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";
  }

  /** A fresh JDBC connection to the PostgreSQL, as its superuser. */
  Connection database() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), "postgres", "");
  }

  Process redis() {
    return redis;
  }

  void startRedis() throws IOException {
    redis =
        new ProcessBuilder(redisCommand)
            .redirectErrorStream(true)
            .redirectOutput(new File("target/" + name + "-redis.log"))
            .start();
    Poll.until(
        () -> {
          try (Socket socket = new Socket("127.0.0.1", redisPort)) {
            return true;
          } catch (IOException notYet) {
            return false;
          }
        },
        up -> up,
        Duration.ofSeconds(20));
  }

  void killRedis() throws InterruptedException {
    redis.destroyForcibly().waitFor();
  }

  /** The postmaster and every backend it forked. */
  List<ProcessHandle> postgresProcesses() throws IOException {
    List<ProcessHandle> found = Signals.tree(Signals.postmaster(pgData));
    assertThat(found).as("PostgreSQL processes under " + pgData).isNotEmpty();
    return found;
  }

  @Override
  public void close() throws Exception {
    // Whatever the run left frozen must be able to stop.
    Signals.send("CONT", postgresProcesses());
    Signals.send("CONT", List.of(redis.toHandle()));
    postgres.close();
    redis.destroyForcibly().waitFor();
  }
}

package io.flashsale.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import redis.embedded.RedisServer;

/**
 * Real redis-server and PostgreSQL binaries (shipped inside Maven artifacts) started on free
 * ports, so the engine runs on a machine that has only a JDK. Blocking: call before Vert.x starts.
 */
public final class EmbeddedStores implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(EmbeddedStores.class.getName());

  /** Newest first, so servers stop in reverse start order. */
  private final List<AutoCloseable> running = new ArrayList<>();

  /** Starts an embedded redis-server with no persistence; returns its redis:// URL. */
  public String startRedis() {
    try {
      int port = freePort();
      RedisServer server = RedisServer.newRedisServer()
          .port(port)
          .bind("127.0.0.1")
          .setting("save \"\"")
          .setting("appendonly no")
          .onShutdownForceStop(true)
          .build();
      server.start();
      running.add(0, server::stop);
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
      EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
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
    for (AutoCloseable server : running) {
      try {
        server.close();
      } catch (Exception e) {
        LOG.warning("embedded server did not stop cleanly: " + e);
      }
    }
    running.clear();
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}

package io.flashsale.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The join burst against a real server (Redis and PostgreSQL behind it): a small open-loop run over
 * two loopback source addresses, every join answered 202 with a queue number of its own, and the
 * server's own audit agreeing on the line's length. Nothing here is about timing.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JoinBurstTest {

  @RegisterExtension static final Engine engine = Engine.start();

  @TempDir Path dir;

  @Test
  void twoThousandBuyersInOneSecondAreEachAnswered202WithAQueueNumberOfTheirOwnAfterARehearsal()
      throws IOException {
    Path json = dir.resolve("burst.json");

    int exit =
        JoinBurst.run(
            new String[] {
              "--url", "http://127.0.0.1:" + engine.server().port(),
              "--jwt-secret", TestServer.JWT_SECRET,
              "--buyers", "2000",
              "--seconds", "1",
              "--connections", "50",
              "--pipelining", "8",
              "--local-addresses", "127.0.0.1,127.0.0.2",
              "--warmup", "100",
              "--rehearsals", "1",
              "--json", json.toString()
            });

    assertThat(exit).isZero();
    JsonObject report = new JsonObject(Files.readString(json));
    assertThat(report.getJsonObject("answers").getMap()).containsExactly(entry("202", 2000));
    assertThat(report.getJsonObject("errors").getInteger("count")).isZero();
    JsonObject numbers = report.getJsonObject("queueNumbers");
    assertThat(numbers.getInteger("numbered")).isEqualTo(2000);
    assertThat(numbers.getInteger("distinct")).isEqualTo(2000);
    assertThat(numbers.getBoolean("unique")).isTrue();
    // A fresh sale numbers its line from 1.
    assertThat(numbers.getLong("min")).isEqualTo(1L);
    assertThat(numbers.getLong("max")).isEqualTo(2000L);
    JsonObject generator = report.getJsonObject("generator");
    assertThat(generator.getInteger("connectionsOpened")).isEqualTo(50);
    assertThat(generator.getJsonObject("byLocalAddress").getMap())
        .containsOnly(entry("127.0.0.1", 25), entry("127.0.0.2", 25));
    assertThat(report.getJsonObject("latencyFromDueMs").getLong("count")).isEqualTo(2000L);
    assertThat(report.getJsonObject("targets").getBoolean("every join answered 202")).isTrue();
    assertThat(report.getJsonObject("targets").getBoolean("queue numbers unique")).isTrue();

    // The rehearsal: a whole burst of its own, to a sale of its own, before the measured one.
    assertThat(report.getJsonArray("rehearsals")).hasSize(1);
    JsonObject rehearsal = report.getJsonArray("rehearsals").getJsonObject(0);
    assertThat(rehearsal.getJsonObject("answers").getMap()).containsExactly(entry("202", 2000));
    assertThat(rehearsal.getInteger("errors")).isZero();
    assertThat(rehearsal.getString("saleId")).isNotEqualTo(report.getString("saleId"));
    assertThat(
            Await.result(engine.server().report(rehearsal.getString("saleId")))
                .getJsonObject("redis")
                .getLong("waiting"))
        .isEqualTo(2000L);

    // The server's side: its own audit counts 2,000 buyers waiting in the paused line.
    JsonObject audit = Await.result(engine.server().report(report.getString("saleId")));
    assertThat(audit.getJsonObject("redis").getLong("waiting")).isEqualTo(2000L);
    assertThat(audit.getJsonObject("database").getInteger("quantitySold")).isZero();
  }

  @Test
  void withNoServerTheRunCannotHappenAndSaysSo() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }

    int exit =
        JoinBurst.run(
            new String[] {
              "--url",
              "http://127.0.0.1:" + closedPort,
              "--jwt-secret",
              TestServer.JWT_SECRET,
              "--buyers",
              "10",
              "--connections",
              "2"
            });

    assertThat(exit).isNotZero();
  }

  private static java.util.Map.Entry<String, Object> entry(String key, Object value) {
    return java.util.Map.entry(key, value);
  }
}

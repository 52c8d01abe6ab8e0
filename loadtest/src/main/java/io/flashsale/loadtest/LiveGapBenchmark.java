package io.flashsale.loadtest;

import io.flashsale.http.BearerAuth;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Holds N live WebSockets to one server and measures the gap between consecutive pushes on each
 * socket (docs/design.md promises at least one push a second while waiting). Buyers join a
 * waiting-room sale that is paused (an idle line: nothing changes, only the heartbeat pushes) or
 * admits a few buyers a second (every position changes). With {@code --server-pid}, also the
 * server's heap after a full GC and its RSS, before the sockets open and while they are held.
 */
@Command(
    name = "live-bench",
    mixinStandardHelpOptions = true,
    description =
        "Opens N WebSockets to /api/sales/{id}/live and reports the gap between pushes per socket.")
public final class LiveGapBenchmark implements Callable<Integer> {

  @Mixin ServerOptions server = new ServerOptions();

  @Option(
      names = "--sockets",
      description = "buyers, each holding one WebSocket (default: ${DEFAULT-VALUE})")
  int sockets = 10_000;

  @Option(
      names = "--admit-rate",
      description =
          "admissions per second while measuring; 0 pauses the sale "
              + "(an idle line) (default: ${DEFAULT-VALUE})")
  int admitRate = 0;

  @Option(
      names = "--warmup-seconds",
      description = "seconds the sockets are held before measuring (default: ${DEFAULT-VALUE})")
  int warmupSeconds = 10;

  @Option(names = "--seconds", description = "seconds measured (default: ${DEFAULT-VALUE})")
  int seconds = 30;

  @Option(
      names = "--server-pid",
      description = "the server's process id: heap (jcmd) and RSS per socket")
  Long serverPid;

  @Option(
      names = "--jfr",
      description = "with --server-pid: record the server with JFR while measuring, to this file")
  Path jfrFile;

  @Option(names = "--json", description = "also write the figures as JSON to this file")
  Path jsonFile;

  @Option(
      names = "--deflate",
      description = "ask for per-message deflate on every socket, as browsers do")
  boolean deflate;

  public static int run(String[] args) {
    return new CommandLine(new LiveGapBenchmark()).execute(args);
  }

  @Override
  public Integer call() throws Exception {
    URI base = server.base();
    String secret = server.secret();
    Vertx vertx = Vertx.vertx();
    try {
      BearerAuth tokens = new BearerAuth(vertx, secret);
      LoadTarget target =
          LoadTarget.connect(vertx, base, 64, tokens.issue("live-bench-admin", true, 3_600));
      String runId = Long.toString(System.currentTimeMillis(), 36);
      String[] buyerTokens = new String[sockets];
      for (int i = 0; i < sockets; i++) {
        buyerTokens[i] = tokens.issue("lb-" + runId + "-" + i, false, 7_200);
      }
      JsonObject report =
          new Run(vertx, target, base, buyerTokens)
              .execute()
              .toCompletionStage()
              .toCompletableFuture()
              .get(600, TimeUnit.SECONDS);
      System.out.println(report.encodePrettily());
      if (jsonFile != null) {
        Files.writeString(jsonFile, report.encodePrettily());
      }
      return 0;
    } finally {
      vertx.close();
    }
  }

  private final class Run {
    final Vertx vertx;
    final LoadTarget target;
    final URI base;
    final String[] buyerTokens;

    /** Per socket: nanos of the last push heard, 0 before the first. */
    final AtomicLongArray lastHeard;

    final Histogram gaps = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    final AtomicLong messages = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    volatile boolean measuring;

    /** Sockets closed before the end, by close code and reason (or exception). */
    final Map<String, Long> closes = new java.util.concurrent.ConcurrentHashMap<>();

    /** When measuring began (nanos), for the timeline. */
    volatile long measureStart;

    volatile Instant measuredFrom;

    /** Per second of the measured window: pushes heard, and gaps over a second that ended in it. */
    AtomicLongArray heardPerSecond;

    AtomicLongArray longGapsPerSecond;

    /** Per second: the generator's own worst event-loop lag (ms), to tell its stalls from ours. */
    AtomicLongArray generatorLagPerSecond;

    Run(Vertx vertx, LoadTarget target, URI base, String[] buyerTokens) {
      this.vertx = vertx;
      this.target = target;
      this.base = base;
      this.buyerTokens = buyerTokens;
      this.lastHeard = new AtomicLongArray(buyerTokens.length);
    }

    Future<JsonObject> execute() {
      JsonObject sale =
          new JsonObject()
              .put("endTime", Instant.now().plusSeconds(3_600).toString())
              .put("waitingRoom", true)
              .put("queuePolicy", "FIFO")
              .put("admissionRatePerSecond", Math.max(1, admitRate));
      JsonObject report =
          new JsonObject()
              .put("sockets", sockets)
              .put("admitRate", admitRate)
              .put("seconds", seconds);
      Buffer joinBody = new JsonObject().put("quantity", 1).toBuffer();
      return target
          .createSale(sockets * 10, sale)
          .compose(
              saleId -> {
                report.put("saleId", saleId);
                Future<?> paused =
                    admitRate == 0
                        ? target.send(
                            HttpMethod.POST,
                            "/api/admin/sales/" + saleId + "/pause",
                            target.adminToken(),
                            null)
                        : Future.succeededFuture();
                return paused
                    .compose(p -> serverMemory("before"))
                    .compose(
                        before -> {
                          report.put("before", before);
                          return HttpLoad.run(
                              "join",
                              target.client(),
                              sockets,
                              64,
                              i ->
                                  c ->
                                      target.send(
                                          HttpMethod.POST,
                                          "/api/sales/" + saleId + "/queue",
                                          buyerTokens[i],
                                          joinBody,
                                          Map.of(
                                              "X-Forwarded-For",
                                              "10."
                                                  + (i >> 16 & 0xff)
                                                  + "."
                                                  + (i >> 8 & 0xff)
                                                  + "."
                                                  + (i & 0xff),
                                              "X-Device-Fingerprint",
                                              "live-bench-" + i)),
                              (i, reply) -> {});
                        })
                    .compose(joined -> openSockets(saleId))
                    .compose(
                        open -> {
                          report.put("opened", open);
                          // JFR's start-up pause falls in the warm-up, not in the gaps measured.
                          return profile().compose(started -> after(warmupSeconds));
                        })
                    .compose(
                        warm -> {
                          heardPerSecond = new AtomicLongArray(seconds + 1);
                          longGapsPerSecond = new AtomicLongArray(seconds + 1);
                          generatorLagPerSecond = new AtomicLongArray(seconds + 1);
                          watchOwnLag();
                          measureStart = System.nanoTime();
                          measuredFrom = Instant.now();
                          measuring = true;
                          return after(seconds);
                        })
                    .compose(
                        measured -> {
                          measuring = false;
                          report.put(
                              "gapMillis",
                              new JsonObject()
                                  .put("count", gaps.getTotalCount())
                                  .put("p50", millis(gaps.getValueAtPercentile(50)))
                                  .put("p90", millis(gaps.getValueAtPercentile(90)))
                                  .put("p99", millis(gaps.getValueAtPercentile(99)))
                                  .put("p999", millis(gaps.getValueAtPercentile(99.9)))
                                  .put("max", millis(gaps.getMaxValue()))
                                  .put("min", millis(gaps.getMinValue())));
                          report.put("measuredFrom", measuredFrom.toString());
                          report.put("timeline", timeline());
                          report.put("closedBeforeTheEnd", new JsonObject(Map.copyOf(closes)));
                          report.put(
                              "pushesPerSocketPerSecond",
                              (double) messages.get() / sockets / seconds);
                          report.put(
                              "bytesPerSocketPerSecond", (double) bytes.get() / sockets / seconds);
                          return serverMemory("held");
                        })
                    .map(
                        held -> {
                          report.put("held", held);
                          JsonObject before = report.getJsonObject("before");
                          if (before.containsKey("heapUsedKb")) {
                            int open = report.getInteger("opened");
                            report.put(
                                "heapBytesPerSocket",
                                (held.getLong("heapUsedKb") - before.getLong("heapUsedKb"))
                                    * 1024
                                    / open);
                            report.put(
                                "rssBytesPerSocket",
                                (held.getLong("rssKb") - before.getLong("rssKb")) * 1024 / open);
                          }
                          return report;
                        });
              });
    }

    /**
     * Held for the whole run: Vert.x closes a client, and every socket it opened, once the client
     * object is garbage-collected. Dropped after connecting, it closed all 19,500 sockets partway
     * through half the runs (whenever the generator's GC got round to it), which was the "bimodal"
     * tail of 2026-12-07.
     */
    WebSocketClient client;

    private Future<Integer> openSockets(String saleId) {
      client =
          vertx.createWebSocketClient(
              new WebSocketClientOptions()
                  .setMaxConnections(sockets)
                  .setConnectTimeout(60_000)
                  .setTryUsePerMessageCompression(deflate));
      AtomicLong open = new AtomicLong();
      // A few hundred handshakes at a time: a storm of 10,000 would stall both JVMs for seconds.
      return HttpLoad.run(
              "connect",
              target.client(),
              sockets,
              200,
              i ->
                  c ->
                      client
                          .connect(
                              new WebSocketConnectOptions()
                                  .setHost(base.getHost())
                                  .setPort(base.getPort())
                                  .setURI(
                                      "/api/sales/"
                                          + saleId
                                          + "/live?access_token="
                                          + buyerTokens[i]))
                          .map(
                              ws -> {
                                ws.textMessageHandler(text -> heard(i, text.length()));
                                ws.closeHandler(
                                    v ->
                                        closes.merge(
                                            ws.closeStatusCode() + " " + ws.closeReason(),
                                            1L,
                                            Long::sum));
                                ws.exceptionHandler(
                                    e -> closes.merge("exception " + e, 1L, Long::sum));
                                open.incrementAndGet();
                                return new HttpLoad.Reply(101, Buffer.buffer());
                              }),
              (i, reply) -> {})
          .map(stats -> (int) open.get());
    }

    private void heard(int socket, int length) {
      long now = System.nanoTime();
      long previous = lastHeard.getAndSet(socket, now);
      if (measuring && previous != 0) {
        synchronized (gaps) {
          gaps.recordValue((now - previous) / 1_000);
        }
        messages.incrementAndGet();
        bytes.addAndGet(length);
        int second = (int) Math.min(seconds, (now - measureStart) / 1_000_000_000L);
        heardPerSecond.incrementAndGet(second);
        if (now - previous > 1_000_000_000L) {
          longGapsPerSecond.incrementAndGet(second);
        }
      }
    }

    /**
     * Second by second: pushes heard and gaps over a second that ended then, so a tail shows
     * whether it is one stall (all sockets at once) or spread over the run.
     */
    private io.vertx.core.json.JsonArray timeline() {
      io.vertx.core.json.JsonArray rows = new io.vertx.core.json.JsonArray();
      for (int i = 0; i < seconds; i++) {
        rows.add(
            new JsonObject()
                .put("second", i)
                .put("pushes", heardPerSecond.get(i))
                .put("gapsOverOneSecond", longGapsPerSecond.get(i))
                .put("generatorLagMillis", generatorLagPerSecond.get(i)));
      }
      return rows;
    }

    /** A 10 ms timer on each of the generator's event loops: how late it fires is their lag. */
    private void watchOwnLag() {
      for (int loop = 0; loop < 2; loop++) {
        vertx.runOnContext(
            v -> {
              long[] expected = {System.nanoTime() + 10_000_000L};
              vertx.setPeriodic(
                  10,
                  id -> {
                    long now = System.nanoTime();
                    if (!measuring) {
                      vertx.cancelTimer(id);
                      return;
                    }
                    int second = (int) Math.min(seconds, (now - measureStart) / 1_000_000_000L);
                    long lag = Math.max(0, (now - expected[0]) / 1_000_000L);
                    generatorLagPerSecond.accumulateAndGet(second, lag, Math::max);
                    expected[0] = now + 10_000_000L;
                  });
            });
      }
    }

    private Future<Void> after(int secondsFromNow) {
      Promise<Void> later = Promise.promise();
      vertx.setTimer(TimeUnit.SECONDS.toMillis(secondsFromNow), t -> later.complete());
      return later.future();
    }

    /**
     * Live heap (the class histogram's total, taken after a full GC) and RSS of the server;
     * blocking, so off the event loop. {@code GC.run} then {@code GC.heap_info} gave figures that
     * varied sixtyfold between runs of one build.
     */
    private Future<JsonObject> serverMemory(String label) {
      if (serverPid == null) {
        return Future.succeededFuture(new JsonObject());
      }
      return vertx.executeBlocking(
          () -> {
            Matcher used =
                Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$")
                    .matcher(jcmd("GC.class_histogram"));
            Matcher rss =
                Pattern.compile("VmRSS:\\s+(\\d+) kB")
                    .matcher(Files.readString(Path.of("/proc/" + serverPid + "/status")));
            return new JsonObject()
                .put("heapUsedKb", used.find() ? Long.parseLong(used.group(1)) / 1024 : -1)
                .put("rssKb", rss.find() ? Long.parseLong(rss.group(1)) : -1);
          });
    }

    private Future<Void> profile() {
      if (serverPid == null || jfrFile == null) {
        return Future.succeededFuture();
      }
      return vertx
          .executeBlocking(
              () ->
                  jcmd(
                      "JFR.start",
                      "name=live-bench",
                      "settings=profile",
                      "duration=" + (warmupSeconds + seconds) + "s",
                      "filename=" + jfrFile.toAbsolutePath()))
          .mapEmpty();
    }

    private String jcmd(String... command) throws IOException, InterruptedException {
      List<String> line = new ArrayList<>(List.of("jcmd", Long.toString(serverPid)));
      line.addAll(List.of(command));
      Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes());
      process.waitFor();
      return output;
    }
  }

  private static double millis(long micros) {
    return Math.round(micros / 100.0) / 10.0;
  }
}

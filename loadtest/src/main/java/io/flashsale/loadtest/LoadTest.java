package io.flashsale.loadtest;

import io.flashsale.antibot.ProofOfWork;
import io.flashsale.http.BearerAuth;
import io.flashsale.loadtest.HttpLoad.Reply;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Replays a flash sale against a running server. {@code queue} mode (the default): buyers join the
 * waiting room as fast as the connection pool allows, optionally holding WebSockets, and the run
 * waits for the sale to settle. {@code direct} mode: buyers press "Buy" on a sale without a waiting
 * room. Both measure a hello-world route of the same server in the same run and end with the
 * server's own audit of the sale (invariants read from PostgreSQL and Redis).
 */
@Command(
    name = "loadtest",
    mixinStandardHelpOptions = true,
    description =
        "Replays a flash sale against a running Flash Sale Engine and reports throughput, latency, "
            + "sell-out time, fairness and the invariants.")
public final class LoadTest implements Callable<Integer> {

  enum Mode {
    queue,
    direct
  }

  @Mixin ServerOptions server = new ServerOptions();

  @Option(
      names = "--sale",
      description =
          "replay against this existing sale (e.g. one created on the dashboard) "
              + "instead of creating one; mode, units and proof of work are taken from the sale")
  String existingSaleId;

  @Option(
      names = "--admin-token",
      description = "an admin bearer token for the server (default: minted with the JWT secret)")
  String adminToken;

  @Option(names = "--mode", description = "queue or direct (default: ${DEFAULT-VALUE})")
  Mode mode = Mode.queue;

  @Option(names = "--buyers", description = "distinct buyers (default: ${DEFAULT-VALUE})")
  int buyers = 100_000;

  @Option(names = "--units", description = "units on sale (default: ${DEFAULT-VALUE})")
  int units = 1_000;

  @Option(
      names = "--rate",
      description = "admissions per second of the sale (queue mode; default: ${DEFAULT-VALUE})")
  int rate = 500;

  @Option(
      names = "--policy",
      description = "FIFO or RANDOMIZED_PREQUEUE (queue mode; default: ${DEFAULT-VALUE})")
  String policy = "FIFO";

  @Option(
      names = "--checkout",
      description =
          "queue mode: winners check out in one click; the run waits until every unit is PAID")
  boolean checkout;

  @Option(
      names = "--abandon-rate",
      description =
          "with --checkout: share of buyers who close the tab after joining: "
              + "they never poll again and never check out (default: ${DEFAULT-VALUE})")
  double abandonRate = 0.0;

  @Option(
      names = "--presence-poll-seconds",
      description =
          "with --checkout: how often buyers who stayed poll their "
              + "place once the line is near them, which keeps them present (default: ${DEFAULT-VALUE})")
  int presencePollSeconds = 10;

  @Option(
      names = "--checkout-ttl",
      description =
          "with --checkout: the sale's checkout TTL in seconds (default: ${DEFAULT-VALUE})")
  int checkoutTtlSeconds = 10;

  @Option(
      names = "--pow-difficulty",
      description =
          "queue mode: the sale requires proof of work of this many bits; "
              + "each buyer fetches a challenge and solves it before joining (default: ${DEFAULT-VALUE}, off)")
  int powDifficulty = 0;

  @Option(
      names = "--sale-seconds",
      description = "how long the sale runs from its start (default: ${DEFAULT-VALUE})")
  int saleSeconds = 3_600;

  @Option(
      names = "--websockets",
      description =
          "buyers, spread over the line, who hold a live WebSocket (default: ${DEFAULT-VALUE})")
  int websockets = 0;

  @Option(names = "--concurrency", description = "requests in flight (default: ${DEFAULT-VALUE})")
  int concurrency = 256;

  @Option(
      names = "--baseline-requests",
      description = "hello-world requests (default: as many as buyers, at most 50,000)")
  Integer baselineRequests;

  @Option(
      names = "--warmup",
      description = "requests sent before measuring, to warm both JVMs (default: ${DEFAULT-VALUE})")
  int warmup = 5_000;

  @Option(
      names = "--settle-timeout",
      description = "seconds to wait for the sale to settle (default: ${DEFAULT-VALUE})")
  int settleTimeoutSeconds = 300;

  @Option(names = "--json", description = "also write the report as JSON to this file")
  Path jsonFile;

  @Option(names = "--html", description = "also write a self-contained HTML chart to this file")
  Path htmlFile;

  /** Units of an adopted sale (--sale) already sold before the run. */
  int soldBefore;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String[] args) {
    return new CommandLine(new LoadTest()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public Integer call() throws Exception {
    URI base = server.base();
    String secret = server.secret();
    Vertx vertx = Vertx.vertx();
    try {
      BearerAuth tokens = new BearerAuth(vertx, secret);
      LoadTarget target =
          LoadTarget.connect(
              vertx,
              base,
              concurrency,
              adminToken != null ? adminToken : tokens.issue("loadtest-admin", true, 3_600));
      Run run = new Run(vertx, target, tokens, base);
      JsonObject report =
          run.execute()
              .toCompletionStage()
              .toCompletableFuture()
              .get(settleTimeoutSeconds + 600L, TimeUnit.SECONDS);
      System.out.println(ReportText.render(report));
      if (jsonFile != null) {
        Files.writeString(jsonFile, report.encodePrettily());
      }
      if (htmlFile != null) {
        Files.writeString(htmlFile, ReportChart.render(report));
      }
      return report.getJsonObject("verdict").getBoolean("held") ? 0 : 2;
    } finally {
      // The process exits right after; closing only releases connections early.
      vertx.close();
    }
  }

  /** One replay: state shared by its phases. */
  private final class Run {
    final Vertx vertx;
    final LoadTarget target;
    final URI base;
    final String[] buyerIds = new String[buyers];
    final String[] buyerTokens = new String[buyers];
    final Map<String, Integer> outcomes = new ConcurrentHashMap<>();
    final JsonArray timeline = new JsonArray();
    final AtomicInteger liveMessages = new AtomicInteger();
    final Map<Integer, String> liveStates = new ConcurrentHashMap<>();
    final Promise<JsonObject> settled = Promise.promise();
    final Set<String> seenWinners = ConcurrentHashMap.newKeySet();
    final Map<String, Integer> checkoutOutcomes = new ConcurrentHashMap<>();
    final AtomicInteger abandoned = new AtomicInteger();
    final AtomicLongArray queueNumbers = new AtomicLongArray(buyers);
    final Set<Integer> answered = ConcurrentHashMap.newKeySet();
    final AtomicInteger presencePolls = new AtomicInteger();
    volatile long frontier;
    final Histogram checkoutLatency = LatencyStats.newHistogram();
    volatile Double paidSeconds;
    long startNanos;
    Instant startedAt;
    volatile boolean arrivalsDone;

    Run(Vertx vertx, LoadTarget target, BearerAuth tokens, URI base) {
      this.vertx = vertx;
      this.target = target;
      this.base = base;
      String runId = Long.toString(System.currentTimeMillis(), 36);
      for (int i = 0; i < buyers; i++) {
        buyerIds[i] = "lt-" + runId + "-" + i;
        buyerTokens[i] = tokens.issue(buyerIds[i], false, 7_200);
      }
    }

    Future<JsonObject> execute() {
      int helloRequests = baselineRequests != null ? baselineRequests : Math.min(buyers, 50_000);
      return adoptExistingSale()
          .compose(
              adopted ->
                  HttpLoad.run(
                      "warmup",
                      target.client(),
                      warmup,
                      concurrency,
                      i -> target.hello(),
                      (i, r) -> {}))
          .compose(
              warm ->
                  HttpLoad.run(
                      "hello-world",
                      target.client(),
                      helloRequests,
                      concurrency,
                      i -> target.hello(),
                      (i, r) -> {}))
          .compose(
              hello ->
                  (mode == Mode.queue ? queueSale() : directSale())
                      .onComplete(arrived -> arrivalsDone = true)
                      .compose(
                          phase -> settled.future().map(audit -> assemble(hello, phase, audit))));
    }

    record Phase(String saleId, LatencyStats stats) {}

    /**
     * With --sale, the run takes the sale as it is: its mode, what is left of it, its proof of
     * work.
     */
    private Future<Void> adoptExistingSale() {
      if (existingSaleId == null) {
        return Future.succeededFuture();
      }
      return target
          .send(HttpMethod.GET, "/api/sales/" + existingSaleId, target.adminToken(), null)
          .map(
              reply -> {
                if (reply.status() != 200) {
                  throw new IllegalStateException(
                      "no sale "
                          + existingSaleId
                          + " on "
                          + server.url
                          + ": "
                          + reply.status()
                          + " "
                          + reply.body());
                }
                JsonObject sale = reply.body().toJsonObject();
                mode = sale.getBoolean("waitingRoom") ? Mode.queue : Mode.direct;
                units = sale.getInteger("quantityAvailable");
                powDifficulty = sale.getInteger("proofOfWorkDifficulty");
                soldBefore = sale.getInteger("quantitySold");
                return null;
              });
    }

    private Future<String> saleFor(JsonObject definition) {
      return existingSaleId != null
          ? Future.succeededFuture(existingSaleId)
          : target.createSale(units, definition);
    }

    private Future<Phase> directSale() {
      Buffer body = new JsonObject().put("quantity", 1).toBuffer();
      return saleFor(saleWindow())
          .compose(
              saleId -> {
                begin(saleId);
                return HttpLoad.run(
                        "purchase",
                        target.client(),
                        buyers,
                        concurrency,
                        i ->
                            c ->
                                target.send(
                                    HttpMethod.POST,
                                    "/api/sales/" + saleId + "/purchase",
                                    buyerTokens[i],
                                    body,
                                    buyerHeaders(i)),
                        (i, reply) -> outcomes.merge(LoadTarget.outcome(reply), 1, Integer::sum))
                    .map(stats -> new Phase(saleId, stats));
              });
    }

    private Future<Phase> queueSale() {
      Buffer body = new JsonObject().put("quantity", 1).toBuffer();
      JsonObject sale =
          saleWindow()
              .put("waitingRoom", true)
              .put("queuePolicy", policy)
              .put("admissionRatePerSecond", rate)
              .put("proofOfWorkDifficulty", powDifficulty);
      if (checkout) {
        sale.put("checkoutTtlSeconds", checkoutTtlSeconds);
      }
      return saleFor(sale)
          .compose(
              saleId -> {
                begin(saleId);
                return HttpLoad.run(
                        "join",
                        target.client(),
                        buyers,
                        concurrency,
                        i -> c -> joinOnce(saleId, i, body),
                        (i, reply) -> {
                          outcomes.merge(LoadTarget.outcome(reply), 1, Integer::sum);
                          if (reply.status() == 202) {
                            queueNumbers.set(
                                i, reply.body().toJsonObject().getLong("queueNumber", 0L));
                          }
                        })
                    .onSuccess(
                        stats -> {
                          if (checkout) {
                            keepPresent(saleId);
                          }
                        })
                    .compose(stats -> openSockets(saleId).map(new Phase(saleId, stats)));
              });
    }

    private JsonObject saleWindow() {
      return new JsonObject().put("endTime", Instant.now().plusSeconds(saleSeconds).toString());
    }

    /** One buyer's join: with proof of work on, first a challenge, solved here, then the join. */
    private Future<Reply> joinOnce(String saleId, int buyer, Buffer plainBody) {
      if (powDifficulty == 0) {
        return target.send(
            HttpMethod.POST,
            "/api/sales/" + saleId + "/queue",
            buyerTokens[buyer],
            plainBody,
            buyerHeaders(buyer));
      }
      return target
          .send(
              HttpMethod.GET,
              "/api/sales/" + saleId + "/challenge",
              buyerTokens[buyer],
              null,
              buyerHeaders(buyer))
          .compose(
              challenge -> {
                if (challenge.status() != 200) {
                  return Future.succeededFuture(challenge);
                }
                String token = challenge.body().toJsonObject().getString("challenge");
                JsonObject body =
                    new JsonObject()
                        .put("quantity", 1)
                        .put(
                            "proofOfWork",
                            new JsonObject()
                                .put("challenge", token)
                                .put("solution", ProofOfWork.solve(token, powDifficulty)));
                return target.send(
                    HttpMethod.POST,
                    "/api/sales/" + saleId + "/queue",
                    buyerTokens[buyer],
                    body.toBuffer(),
                    buyerHeaders(buyer));
              });
    }

    /** Each simulated buyer has an address and a device of their own, as real buyers do. */
    private Map<String, String> buyerHeaders(int buyer) {
      return Map.of(
          "X-Forwarded-For",
          "10." + (buyer >> 16 & 0xff) + "." + (buyer >> 8 & 0xff) + "." + (buyer & 0xff),
          "X-Device-Fingerprint",
          "loadtest-device-" + buyer);
    }

    /** The live sockets' client, held while the run lasts. */
    private WebSocketClient sockets;

    /** Holds WebSockets for buyers spread evenly over the line; counts what they hear. */
    private Future<Void> openSockets(String saleId) {
      if (websockets <= 0) {
        return Future.succeededFuture();
      }
      // A field, not a local: Vert.x closes a client's sockets once the client is collected.
      sockets =
          vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(websockets));
      List<Future<?>> opened = new ArrayList<>();
      int step = Math.max(1, buyers / websockets);
      for (int i = 0; i < buyers && opened.size() < websockets; i += step) {
        int buyer = i;
        opened.add(
            sockets
                .connect(
                    new WebSocketConnectOptions()
                        .setHost(base.getHost())
                        .setPort(base.getPort())
                        .setURI(
                            "/api/sales/" + saleId + "/live?access_token=" + buyerTokens[buyer]))
                .onSuccess(
                    socket ->
                        socket.textMessageHandler(
                            text -> {
                              liveMessages.incrementAndGet();
                              liveStates.put(buyer, new JsonObject(text).getString("state"));
                            })));
      }
      return Future.join(opened)
          .compose(
              all -> heardFromAll(opened.size(), System.nanoTime() + TimeUnit.SECONDS.toNanos(10)));
    }

    /** Each socket's first message is its current state; wait (bounded) until all have spoken. */
    private Future<Void> heardFromAll(int sockets, long deadlineNanos) {
      if (liveStates.size() >= sockets || System.nanoTime() > deadlineNanos) {
        return Future.succeededFuture();
      }
      Promise<Void> later = Promise.promise();
      vertx.setTimer(50, t -> heardFromAll(sockets, deadlineNanos).onComplete(later));
      return later.future();
    }

    /** Starts the clock and the audit poller, which samples the chart while buyers arrive. */
    private void begin(String saleId) {
      startNanos = System.nanoTime();
      startedAt = Instant.now();
      settle(saleId);
    }

    /**
     * Polls the server's audit until every buyer has arrived, every unit is sold and every winner
     * is recorded.
     */
    private void settle(String saleId) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settleTimeoutSeconds);
      int expected = Verdict.expectedSold(units, soldBefore, buyers);
      vertx.setPeriodic(
          250,
          timer ->
              target
                  .report(saleId)
                  .onSuccess(
                      audit -> {
                        JsonObject db = audit.getJsonObject("database");
                        double t = (System.nanoTime() - startNanos) / 1e9;
                        timeline.add(
                            new JsonObject()
                                .put("t", Math.round(t * 100) / 100.0)
                                .put("sold", db.getInteger("quantitySold"))
                                .put("waiting", audit.getJsonObject("redis").getLong("waiting")));
                        if (checkout) {
                          checkOut(audit);
                        }
                        JsonObject fairness = audit.getJsonObject("fairness");
                        boolean sold =
                            db.getInteger("quantitySold") >= expected
                                && (fairness.getInteger("winners") >= expected
                                    || fairness.getBoolean("truncated", false));
                        boolean paid = db.getLong("paidUnits") >= expected;
                        if (paid && paidSeconds == null) {
                          paidSeconds = Math.round(t * 100) / 100.0;
                        }
                        boolean done = checkout ? paid : sold;
                        // Sampling goes on until the last buyer has arrived, so the chart shows the
                        // whole herd.
                        if (((done && arrivalsDone) || System.nanoTime() > deadline)
                            && !settled.future().isComplete()) {
                          vertx.cancelTimer(timer);
                          settled.complete(audit.put("settled", done));
                        }
                      }));
    }

    /** Decided by the buyer's index, so a rerun abandons the same buyers. */
    private boolean abandons(int buyer) {
      return new SplittableRandom(buyer).nextDouble() < abandonRate;
    }

    /**
     * Buyers who stayed ask where they stand now and then once the line is near them (as an open
     * page does), so a presence-aware server counts them present; buyers who left never ask.
     */
    private void keepPresent(String saleId) {
      vertx.setPeriodic(
          presencePollSeconds * 1_000L,
          timer -> {
            if (settled.future().isComplete()) {
              vertx.cancelTimer(timer);
              return;
            }
            long reach = frontier + (long) rate * presencePollSeconds * 3 + units;
            for (int i = 0; i < buyers; i++) {
              long number = queueNumbers.get(i);
              if (abandons(i) || answered.contains(i) || number > reach) {
                continue;
              }
              int buyer = i;
              presencePolls.incrementAndGet();
              target
                  .send(
                      HttpMethod.GET,
                      "/api/sales/" + saleId + "/queue/me",
                      buyerTokens[buyer],
                      null)
                  .onSuccess(
                      reply -> {
                        if (reply.status() != 200) {
                          return;
                        }
                        JsonObject place = reply.body().toJsonObject();
                        queueNumbers.set(buyer, place.getLong("queueNumber", 0L));
                        String state = place.getString("state");
                        if (!state.equals("QUEUED") && !state.equals("SOLD_OUT")) {
                          answered.add(buyer);
                        }
                      });
            }
          });
    }

    /** The buyers' side: each new winner checks out in one click, or walks away. */
    private void checkOut(JsonObject audit) {
      for (Object entry : audit.getJsonArray("winners")) {
        String userId = ((JsonObject) entry).getString("userId");
        if (!seenWinners.add(userId)) {
          continue;
        }
        int buyer = Integer.parseInt(userId.substring(userId.lastIndexOf('-') + 1));
        frontier = Math.max(frontier, ((JsonObject) entry).getLong("queueNumber", 0L));
        if (abandons(buyer)) {
          abandoned.incrementAndGet();
          continue;
        }
        long sent = System.nanoTime();
        target
            .send(HttpMethod.GET, "/api/me/orders", buyerTokens[buyer], null)
            .compose(
                mine -> {
                  JsonObject order =
                      mine.body().toJsonObject().getJsonArray("orders").getJsonObject(0);
                  return target.send(
                      HttpMethod.POST,
                      "/api/orders/" + order.getString("orderId") + "/checkout",
                      buyerTokens[buyer],
                      null);
                })
            .onComplete(
                reply -> {
                  synchronized (checkoutLatency) {
                    checkoutLatency.recordValue(Math.max(1, (System.nanoTime() - sent) / 1_000));
                  }
                  checkoutOutcomes.merge(
                      reply.succeeded() ? LoadTarget.outcome(reply.result()) : "-1",
                      1,
                      Integer::sum);
                });
      }
    }

    private JsonObject assemble(LatencyStats hello, Phase phase, JsonObject audit) {
      JsonObject invariants = audit.getJsonObject("invariants");
      // Buyers who walked away are passed over on purpose by a presence-aware server, so "nobody
      // skipped" cannot be judged from the audit then; PresenceTest judges that order instead.
      boolean walkAways = checkout && abandonRate > 0;
      // Null over a truncated winners list (more than the audit lists): not judged then.
      Boolean inLineOrder = audit.getJsonObject("fairness").getBoolean("admittedInLineOrder");
      Boolean fair = mode == Mode.direct ? Boolean.TRUE : walkAways ? null : inLineOrder;
      boolean noErrors = phase.stats().errors() == 0;
      JsonObject db = audit.getJsonObject("database");
      Verdict verdict =
          new Verdict(
              invariants.getBoolean("I1"),
              invariants.getBoolean("I2"),
              invariants.getBoolean("I4"),
              db.getInteger("quantityAvailable"),
              db.getInteger("quantitySold"),
              soldBefore,
              buyers,
              audit.getBoolean("settled"),
              fair,
              noErrors);
      JsonObject checkoutReport =
          !checkout
              ? null
              : new JsonObject()
                  .put("abandonRate", abandonRate)
                  .put("checkoutTtlSeconds", checkoutTtlSeconds)
                  .put("winnersSeen", seenWinners.size())
                  .put("abandoned", abandoned.get())
                  .put("presencePolls", presencePolls.get())
                  .put("replies", new JsonObject(new TreeMap<>(checkoutOutcomes)))
                  .put("p50Ms", checkoutLatency.getValueAtPercentile(50) / 1000.0)
                  .put("p99Ms", checkoutLatency.getValueAtPercentile(99) / 1000.0)
                  .put("paidUnits", db.getLong("paidUnits"))
                  .put("secondsToFullyPaid", paidSeconds)
                  .put(
                      "unitsRecirculated",
                      db.getLong("expiredOrders") + db.getLong("cancelledOrders"));
      JsonObject admission = audit.getJsonObject("admission");
      // The last reservation's commit time, on the same machine's clock as the first request.
      String lastReserved = admission.getString("lastReservedAt");
      Double sellOut =
          audit.getBoolean("settled") && lastReserved != null
              ? Duration.between(startedAt, Instant.parse(lastReserved)).toMillis() / 1000.0
              : null;
      audit.remove("winners");
      Map<String, Integer> lastHeard = new TreeMap<>();
      liveStates.values().forEach(state -> lastHeard.merge(state, 1, Integer::sum));
      return new JsonObject()
          .put("at", Instant.now().toString())
          .put("mode", mode.name())
          .put("saleId", phase.saleId())
          .put("buyers", buyers)
          .put("units", units)
          .put("concurrency", concurrency)
          .put("helloWorld", hello.toJson())
          .put(phase.stats().name(), phase.stats().toJson())
          .put(
              "throughputRatio",
              hello.perSecond() == 0
                  ? null
                  : Math.round(phase.stats().perSecond() / hello.perSecond() * 1000) / 1000.0)
          .put("replies", new JsonObject(new TreeMap<>(outcomes)))
          .put("sellOutSeconds", sellOut)
          .put("admission", admission)
          .put("checkout", checkoutReport)
          .put(
              "live",
              new JsonObject()
                  .put("sockets", websockets)
                  .put("messages", liveMessages.get())
                  .put("lastStateHeard", new JsonObject(new TreeMap<>(lastHeard))))
          .put("audit", audit)
          .put("timeline", timeline)
          .put("verdict", verdict.toJson());
    }
  }
}

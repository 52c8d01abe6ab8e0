package io.flashsale.loadtest;

import io.flashsale.http.BearerAuth;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The join burst: N distinct buyers offered to a waiting-room sale within a window (100,000 in one
 * second by default), open loop. Buyer i is due at {@code start + i * window / N} and is handed to
 * its connection then, whatever earlier joins were answered; its latency runs from that due time to
 * its answer, so a generator or a connection that falls behind is counted, not hidden. Tokens,
 * requests and connections are all made before the clock starts. The sale is FIFO without proof of
 * work or CAPTCHA and paused, so the line only grows.
 *
 * <p>The work is split over a few lanes, one event loop each: a lane owns its connections
 * (HTTP/1.1, pipelined) and every L-th buyer, and a 1 ms timer on its loop sends whatever has
 * fallen due, so sending and answers never cross threads. Requests are written as bytes prepared
 * beforehand and answers read off the bytes ({@link PipelinedResponses}): through Vert.x's HTTP
 * client the generator alone needed about 50 µs of CPU per join and took 7 s to offer 100,000 joins
 * to a server that answered at once; this way it needs about 10 µs and offers them in 1 s
 * (2026-12-07, the same stand-in).
 */
@Command(
    name = "join-burst",
    mixinStandardHelpOptions = true,
    description =
        "Offers N distinct buyers' joins to a paused FIFO waiting-room sale within a window, open "
            + "loop, and reports answers, latency from each join's due time, and whether the "
            + "queue numbers are unique.")
public final class JoinBurst implements Callable<Integer> {

  /** The issue's target for the tail, measured from each join's due time. */
  static final double P99_TARGET_MS = 5_000;

  @Spec CommandSpec spec;

  @Mixin ServerOptions server = new ServerOptions();

  @Option(names = "--buyers", description = "distinct buyers offered (default: ${DEFAULT-VALUE})")
  int buyers = 100_000;

  @Option(
      names = "--seconds",
      description = "the window the buyers are offered in, in seconds (default: ${DEFAULT-VALUE})")
  double seconds = 1;

  @Option(
      names = "--connections",
      description = "HTTP/1.1 connections, opened before the clock (default: ${DEFAULT-VALUE})")
  int connections = 1_000;

  @Option(
      names = "--pipelining",
      description =
          "requests in flight per connection (pipelining depth; default: ${DEFAULT-VALUE})")
  int pipelining = 64;

  @Option(
      names = "--local-addresses",
      split = ",",
      description =
          "loopback source addresses the connections are spread over, e.g. "
              + "127.0.0.1,127.0.0.2 (default: the system's choice)")
  List<String> localAddresses = new ArrayList<>();

  @Option(
      names = "--event-loops",
      description = "generator threads (lanes), one event loop each (default: ${DEFAULT-VALUE})")
  int eventLoops = 2;

  @Option(
      names = "--warmup",
      description =
          "GET /health/live requests over the open connections before the clock, to warm the "
              + "generator's own code (default: ${DEFAULT-VALUE})")
  int warmup = 5_000;

  @Option(
      names = "--rehearsals",
      description =
          "whole bursts offered first, each to a sale and buyers of its own, to warm the server's "
              + "and the generator's JIT as a pod that has served before is warm; each is reported "
              + "on a line of its own, the verdict is the last burst's (default: ${DEFAULT-VALUE})")
  int rehearsals = 0;

  @Option(
      names = "--answer-timeout",
      description =
          "seconds after the window to wait for the last answer; joins unanswered by then "
              + "count as errors (default: ${DEFAULT-VALUE})")
  int answerTimeoutSeconds = 120;

  @Option(names = "--json", description = "also write the report as JSON to this file")
  Path jsonFile;

  public static int run(String[] args) {
    return new CommandLine(new JoinBurst()).execute(args);
  }

  @Override
  public Integer call() throws Exception {
    if (buyers < 1 || seconds <= 0 || connections < 1 || pipelining < 1 || eventLoops < 1) {
      throw new ParameterException(
          spec.commandLine(),
          "--buyers, --seconds, --connections, --pipelining and --event-loops must be positive");
    }
    if (rehearsals < 0) {
      throw new ParameterException(spec.commandLine(), "--rehearsals must be 0 or more");
    }
    for (String address : localAddresses) {
      if (!address.equals("127.0.0.1") && !address.equals("::1")) {
        System.err.println(
            "note: the server believes X-Forwarded-For only from its trusted proxies "
                + "(http.trusted-proxies, default 127.0.0.1 and ::1); joins from "
                + address
                + " all count as that one address for the per-IP rate limit unless it is added "
                + "to FLASHSALE_HTTP_TRUSTED_PROXIES or FLASHSALE_ANTIBOT_RATE_IP_PER_SECOND=0");
      }
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
    try {
      JsonObject report;
      try {
        JsonArray rehearsed = new JsonArray();
        for (int r = 1; r <= rehearsals; r++) {
          JsonObject rehearsal = rehearsal(r, measure(vertx));
          System.out.print(rehearsalLine(rehearsal));
          rehearsed.add(rehearsal);
        }
        report = measure(vertx).put("rehearsals", rehearsed);
      } catch (SetupFailed e) {
        System.err.println("join-burst: the run could not happen: " + e.getMessage());
        return 1;
      }
      System.out.print(text(report));
      if (jsonFile != null) {
        Files.writeString(jsonFile, report.encodePrettily());
      }
      return 0;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** The run could not happen (server down, no connection opened): not a measurement. */
  static final class SetupFailed extends Exception {
    SetupFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Creates the sale, makes everything, runs the burst and returns the report. */
  JsonObject measure(Vertx vertx) throws Exception {
    URI base = server.base();
    String host = base.getHost();
    int port = base.getPort() > 0 ? base.getPort() : 80;
    BearerAuth tokens = new BearerAuth(vertx, server.secret());
    LoadTarget admin =
        LoadTarget.connect(vertx, base, 4, tokens.issue("join-burst-admin", true, 3_600));
    String saleId = createPausedSale(admin);

    // Everything a join needs, before the clock: each buyer's token and whole request, as bytes.
    long madeAt = System.nanoTime();
    String runId = Long.toString(System.currentTimeMillis(), 36);
    String path = "/api/sales/" + saleId + "/queue";
    String hostHeader = host + ":" + port;
    byte[][] requests = new byte[buyers][];
    for (int i = 0; i < buyers; i++) {
      requests[i] =
          joinRequest(hostHeader, path, tokens.issue("jb-" + runId + "-" + i, false, 7_200), i);
    }
    byte[] hello =
        ("GET /health/live HTTP/1.1\r\nHost: " + hostHeader + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    double madeSeconds = (System.nanoTime() - madeAt) / 1e9;

    // Lanes: each on an event loop of its own, owning its connections and every L-th buyer.
    int lanes = Math.min(eventLoops, connections);
    List<String> addresses =
        localAddresses.isEmpty() ? Arrays.asList((String) null) : localAddresses;
    List<NetClient> clients = new ArrayList<>();
    for (String address : addresses) {
      NetClientOptions options =
          new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000);
      if (address != null) {
        options.setLocalAddress(address);
      }
      clients.add(vertx.createNetClient(options));
    }
    Shared shared = new Shared(buyers, lanes, pipelining, (long) (seconds * 1e9), requests, hello);
    List<Lane> laneList = new ArrayList<>();
    for (int k = 0; k < lanes; k++) {
      List<NetClient> mine = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        if ((c / addresses.size()) % lanes == k) {
          mine.add(clients.get(c % addresses.size()));
        }
      }
      laneList.add(new Lane(k, shared, mine, host, port, warmup / lanes));
    }
    long connectAt = System.nanoTime();
    List<Future<String>> deployed = new ArrayList<>();
    for (Lane lane : laneList) {
      deployed.add(vertx.deployVerticle(lane));
    }
    try {
      await(Future.all(deployed), 300);
    } catch (ExecutionException e) {
      throw new SetupFailed("lanes did not start: " + e.getCause(), e.getCause());
    }
    double connectSeconds = (System.nanoTime() - connectAt) / 1e9;
    int opened = laneList.stream().mapToInt(lane -> lane.connections.size()).sum();
    if (opened == 0) {
      throw new SetupFailed(
          "no connection to " + host + ":" + port + " opened: " + laneList.get(0).connectFailure,
          null);
    }

    // The clock: a little ahead, so every lane starts on the same instant.
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    double loadBefore = os.getSystemLoadAverage();
    long cpuBefore = os.getProcessCpuTime();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    Instant startedAt = Instant.now().plusMillis(20);
    long deadline = start + shared.windowNanos + TimeUnit.SECONDS.toNanos(answerTimeoutSeconds);
    List<Future<Void>> finished = new ArrayList<>();
    for (Lane lane : laneList) {
      Promise<Void> done = Promise.promise();
      lane.context().runOnContext(v -> lane.begin(start, deadline, done));
      finished.add(done.future());
    }
    await(Future.all(finished), answerTimeoutSeconds + (long) seconds + 60);
    long cpuAfter = os.getProcessCpuTime();
    double loadAfter = os.getSystemLoadAverage();

    // A rehearsal's connections and lanes go before the next burst opens its own.
    List<Future<?>> released = new ArrayList<>();
    for (Future<String> id : deployed) {
      released.add(vertx.undeploy(id.result()));
    }
    for (NetClient client : clients) {
      released.add(client.close());
    }
    await(Future.join(released), 60);

    Long serverWaiting = null;
    try {
      serverWaiting = await(admin.report(saleId), 60).getJsonObject("redis").getLong("waiting");
    } catch (Exception | AssertionError unavailable) {
      // The audit is a cross-check only; the figures above stand without it.
    }
    return assemble(
        shared,
        laneList,
        saleId,
        startedAt,
        start,
        opened,
        madeSeconds,
        connectSeconds,
        serverWaiting,
        new double[] {loadBefore, loadAfter, (cpuAfter - cpuBefore) / 1e9});
  }

  private String createPausedSale(LoadTarget admin) throws SetupFailed {
    JsonObject sale =
        new JsonObject()
            .put("endTime", Instant.now().plusSeconds(3_600).toString())
            .put("waitingRoom", true)
            .put("queuePolicy", "FIFO")
            .put("admissionRatePerSecond", 1)
            .put("proofOfWorkDifficulty", 0)
            .put("captchaRequired", false);
    try {
      String saleId = await(admin.createSale(Math.max(1, buyers), sale), 60);
      HttpLoad.Reply paused =
          await(
              admin.send(
                  HttpMethod.POST,
                  "/api/admin/sales/" + saleId + "/pause",
                  admin.adminToken(),
                  null),
              60);
      if (paused.status() != 200) {
        throw new SetupFailed(
            "could not pause sale " + saleId + ": " + paused.status() + " " + paused.body(), null);
      }
      return saleId;
    } catch (SetupFailed e) {
      throw e;
    } catch (Exception e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new SetupFailed("could not create the sale on " + server.url + ": " + cause, cause);
    }
  }

  private static <T> T await(Future<T> future, long seconds) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }

  /** What every lane reads (the plan) or writes at its own buyers' indices (the answers). */
  static final class Shared {
    final int buyers;
    final int lanes;
    final int depth;
    final long windowNanos;

    /** Per buyer: the whole join request, head and body, as it goes on the wire. */
    final byte[][] requests;

    /** A hello-world request, for the warm-up. */
    final byte[] hello;

    /** Per buyer: the answer's status, 0 while unanswered, -1 for no HTTP answer. */
    final int[] status;

    /** Per buyer: the queue number of a 202, 0 if none. */
    final long[] number;

    Shared(int buyers, int lanes, int depth, long windowNanos, byte[][] requests, byte[] hello) {
      this.buyers = buyers;
      this.lanes = lanes;
      this.depth = depth;
      this.windowNanos = windowNanos;
      this.requests = requests;
      this.hello = hello;
      this.status = new int[buyers];
      this.number = new long[buyers];
    }

    long due(long start, int buyer) {
      return start + (long) ((double) buyer * windowNanos / buyers);
    }
  }

  /** A join request as bytes: everything but the clock is decided before the run. */
  static byte[] joinRequest(String hostHeader, String path, String token, int buyer) {
    String body = "{\"quantity\":1}";
    String request =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: "
            + hostHeader
            + "\r\nAuthorization: Bearer "
            + token
            + "\r\nContent-Type: application/json"
            // Each buyer has an address and a device of their own, as real buyers do.
            + "\r\nX-Forwarded-For: 10."
            + (buyer >> 16 & 0xff)
            + "."
            + (buyer >> 8 & 0xff)
            + "."
            + (buyer & 0xff)
            + "\r\nX-Device-Fingerprint: join-burst-"
            + buyer
            + "\r\nContent-Length: "
            + body.length()
            + "\r\n\r\n"
            + body;
    return request.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * One event loop's share: its connections, every L-th buyer, its own figures. Requests go out as
   * prepared bytes, at most {@code depth} unanswered per connection (HTTP/1.1 pipelining); the
   * answers are read off the bytes in order ({@link PipelinedResponses}).
   */
  static final class Lane extends VerticleBase {
    final int index;
    final Shared shared;
    final List<NetClient> clients;
    final String host;
    final int port;
    final int warmup;
    final List<Connection> connections = new ArrayList<>();
    final List<Connection> touched = new ArrayList<>();
    final Map<String, Integer> byLocalAddress = new TreeMap<>();
    int connectFailures;
    String connectFailure;
    int warmAnswered;
    int warmFailed;
    Promise<Void> warmed;

    final Histogram latency = newHistogram();
    final Histogram handedLate = newHistogram();
    final Histogram writtenLate = newHistogram();
    final Map<String, Integer> errors = new TreeMap<>();
    final List<String> errorSamples = new ArrayList<>();
    int closedDuringRun;
    final int ownBuyers;
    int next;
    int settled;
    long firstHanded;
    long lastHanded;
    long lastWritten;
    long lastAnswer;
    long start;
    boolean over;
    long deadlineTimer = -1;
    Promise<Void> done;

    Lane(int index, Shared shared, List<NetClient> clients, String host, int port, int warmup) {
      this.index = index;
      this.shared = shared;
      this.clients = clients;
      this.host = host;
      this.port = port;
      this.warmup = warmup;
      this.ownBuyers =
          shared.buyers > index ? (shared.buyers - index + shared.lanes - 1) / shared.lanes : 0;
    }

    io.vertx.core.Context context() {
      return context;
    }

    @Override
    public Future<?> start() {
      return openAll().compose(opened -> warm());
    }

    /** Opens the lane's connections, 50 at a time: a storm of SYNs helps nobody. */
    private Future<Void> openAll() {
      if (clients.isEmpty()) {
        return Future.succeededFuture();
      }
      Promise<Void> all = Promise.promise();
      int[] nextConnection = {0};
      int[] pending = {clients.size()};
      Runnable[] open = new Runnable[1];
      open[0] =
          () -> {
            int c = nextConnection[0]++;
            if (c >= clients.size()) {
              return;
            }
            clients
                .get(c)
                .connect(port, host)
                .onComplete(
                    result -> {
                      if (result.succeeded()) {
                        connections.add(new Connection(this, result.result()));
                        byLocalAddress.merge(
                            result.result().localAddress().hostAddress(), 1, Integer::sum);
                      } else {
                        connectFailures++;
                        connectFailure = String.valueOf(result.cause());
                      }
                      if (--pending[0] == 0) {
                        all.complete();
                      } else {
                        open[0].run();
                      }
                    });
          };
      for (int i = 0; i < Math.min(50, clients.size()); i++) {
        open[0].run();
      }
      return all.future();
    }

    /** Hello-world requests over every connection, the same path as the joins: warms the code. */
    private Future<Void> warm() {
      if (connections.isEmpty() || warmup <= 0) {
        return Future.succeededFuture();
      }
      warmed = Promise.promise();
      for (int i = 0; i < warmup; i++) {
        Connection connection = connections.get(i % connections.size());
        connection.offer(WARMUP);
        touch(connection);
      }
      flushTouched();
      // A failed warm-up request is not a join: the run goes on and the connection's fate shows.
      return warmed.future().timeout(60, TimeUnit.SECONDS).otherwiseEmpty();
    }

    /** Starts the lane's clock: a 1 ms timer sends whatever has fallen due. */
    void begin(long start, long deadline, Promise<Void> done) {
      this.start = start;
      this.done = done;
      if (ownBuyers == 0) {
        over = true;
        done.complete();
        return;
      }
      if (connections.isEmpty()) {
        for (int j = 0; j < ownBuyers; j++) {
          failed(index + j * shared.lanes, "no connection on this lane");
        }
        return;
      }
      vertx.setPeriodic(
          1,
          timer -> {
            sendDue();
            if (next >= ownBuyers) {
              vertx.cancelTimer(timer);
            }
          });
      deadlineTimer =
          vertx.setTimer(
              Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
              t -> finish());
    }

    /** Hands every buyer now due to their connection; one write per connection touched. */
    private void sendDue() {
      long now = System.nanoTime();
      while (next < ownBuyers) {
        int buyer = index + next * shared.lanes;
        long due = shared.due(start, buyer);
        if (due > now) {
          break;
        }
        if (firstHanded == 0) {
          firstHanded = now;
        }
        lastHanded = now;
        handedLate.recordValue(micros(now - due));
        Connection connection = connections.get(next % connections.size());
        connection.offer(buyer);
        touch(connection);
        next++;
      }
      flushTouched();
    }

    private void touch(Connection connection) {
      if (!connection.touched) {
        connection.touched = true;
        touched.add(connection);
      }
    }

    private void flushTouched() {
      for (Connection connection : touched) {
        connection.touched = false;
        connection.flush();
      }
      touched.clear();
    }

    /** The request is in the connection's next write. */
    void written(int buyer) {
      if (buyer < 0) {
        return;
      }
      long now = System.nanoTime();
      lastWritten = now;
      writtenLate.recordValue(micros(now - shared.due(start, buyer)));
    }

    void answered(int buyer, int status, byte[] bytes, int offset, int length) {
      if (buyer < 0) {
        warmAnswered++;
        warmedUp();
        return;
      }
      if (over) {
        return;
      }
      long now = System.nanoTime();
      lastAnswer = now;
      latency.recordValue(micros(now - shared.due(start, buyer)));
      shared.status[buyer] = status;
      if (status == 202) {
        shared.number[buyer] = PipelinedResponses.queueNumber(bytes, offset, length);
      } else {
        Buffer body = Buffer.buffer(java.util.Arrays.copyOfRange(bytes, offset, offset + length));
        errors.merge(LoadTarget.outcome(new HttpLoad.Reply(status, body)), 1, Integer::sum);
        sample(status + " " + body);
      }
      settle();
    }

    void failed(int buyer, String cause) {
      if (buyer < 0) {
        warmFailed++;
        warmedUp();
        return;
      }
      if (over || shared.status[buyer] != 0) {
        return;
      }
      shared.status[buyer] = -1;
      String kind = cause.length() > 80 ? cause.substring(0, 80) : cause;
      errors.merge("no answer: " + kind, 1, Integer::sum);
      sample(cause);
      settle();
    }

    void connectionClosed() {
      if (start != 0 && !over) {
        closedDuringRun++;
      }
    }

    private void warmedUp() {
      if (warmed != null && warmAnswered + warmFailed == warmup) {
        warmed.tryComplete();
      }
    }

    private void sample(String what) {
      if (errorSamples.size() < 5) {
        errorSamples.add(what.length() > 300 ? what.substring(0, 300) : what);
      }
    }

    private void settle() {
      if (++settled == ownBuyers) {
        finish();
      }
    }

    /** Every buyer answered, or the deadline passed: what is unanswered now stays so. */
    private void finish() {
      if (over) {
        return;
      }
      over = true;
      vertx.cancelTimer(deadlineTimer);
      int unanswered = ownBuyers - settled;
      if (unanswered > 0) {
        errors.merge("unanswered by the deadline", unanswered, Integer::sum);
      }
      done.complete();
    }
  }

  /** The warm-up's requests, in the place of a buyer's index. */
  static final int WARMUP = -1;

  /**
   * One pipelined connection: the buyers whose requests are on the wire, in order, at most {@code
   * depth}; those handed to it beyond that wait here, in order, and go out as answers free room.
   */
  static final class Connection {
    final Lane lane;
    final NetSocket socket;
    final int[] inFlight;
    int head;
    int size;
    int[] waiting = new int[16];
    int waitingHead;
    int waitingSize;
    Buffer out;
    boolean touched;
    boolean closed;
    final PipelinedResponses responses;

    Connection(Lane lane, NetSocket socket) {
      this.lane = lane;
      this.socket = socket;
      this.inFlight = new int[lane.shared.depth];
      this.responses = new PipelinedResponses(this::answered);
      socket.handler(
          data -> {
            try {
              responses.feed(data);
            } catch (RuntimeException notHttp) {
              lane.sample("protocol: " + notHttp.getMessage());
              socket.close();
            }
            flush();
          });
      socket.exceptionHandler(failure -> lane.sample("connection: " + failure));
      socket.closeHandler(v -> closed());
    }

    void offer(int buyer) {
      if (closed) {
        lane.failed(buyer, "connection closed");
      } else if (size < inFlight.length) {
        write(buyer);
      } else {
        if (waitingSize == waiting.length) {
          int[] grown = new int[waiting.length * 2];
          for (int i = 0; i < waitingSize; i++) {
            grown[i] = waiting[(waitingHead + i) % waiting.length];
          }
          waiting = grown;
          waitingHead = 0;
        }
        waiting[(waitingHead + waitingSize++) % waiting.length] = buyer;
      }
    }

    private void write(int buyer) {
      if (out == null) {
        out = Buffer.buffer(1024);
      }
      out.appendBytes(buyer < 0 ? lane.shared.hello : lane.shared.requests[buyer]);
      inFlight[(head + size++) % inFlight.length] = buyer;
      lane.written(buyer);
    }

    void flush() {
      if (out != null && !closed) {
        socket.write(out);
      }
      out = null;
    }

    private void answered(int status, byte[] bytes, int offset, int length) {
      if (size == 0) {
        throw new IllegalStateException("an answer to no request");
      }
      int buyer = inFlight[head];
      head = (head + 1) % inFlight.length;
      size--;
      lane.answered(buyer, status, bytes, offset, length);
      while (waitingSize > 0 && size < inFlight.length) {
        int next = waiting[waitingHead];
        waitingHead = (waitingHead + 1) % waiting.length;
        waitingSize--;
        write(next);
      }
    }

    private void closed() {
      closed = true;
      lane.connectionClosed();
      while (size > 0) {
        int buyer = inFlight[head];
        head = (head + 1) % inFlight.length;
        size--;
        lane.failed(buyer, "connection closed");
      }
      while (waitingSize > 0) {
        int buyer = waiting[waitingHead];
        waitingHead = (waitingHead + 1) % waiting.length;
        waitingSize--;
        lane.failed(buyer, "connection closed");
      }
    }
  }

  private JsonObject assemble(
      Shared shared,
      List<Lane> lanes,
      String saleId,
      Instant startedAt,
      long start,
      int opened,
      double madeSeconds,
      double connectSeconds,
      Long serverWaiting,
      double[] machine) {
    Histogram latency = newHistogram();
    Histogram handedLate = newHistogram();
    Histogram writtenLate = newHistogram();
    Map<String, Integer> errors = new TreeMap<>();
    Map<String, Integer> byLocalAddress = new TreeMap<>();
    List<String> samples = new ArrayList<>();
    int connectFailures = 0;
    int closedDuringRun = 0;
    long firstHanded = Long.MAX_VALUE;
    long lastHanded = 0;
    long lastWritten = 0;
    long lastAnswer = 0;
    for (Lane lane : lanes) {
      latency.add(lane.latency);
      handedLate.add(lane.handedLate);
      writtenLate.add(lane.writtenLate);
      lane.errors.forEach((kind, count) -> errors.merge(kind, count, Integer::sum));
      lane.byLocalAddress.forEach(
          (address, count) -> byLocalAddress.merge(address, count, Integer::sum));
      samples.addAll(lane.errorSamples);
      connectFailures += lane.connectFailures;
      closedDuringRun += lane.closedDuringRun;
      if (lane.firstHanded != 0) {
        firstHanded = Math.min(firstHanded, lane.firstHanded);
      }
      lastHanded = Math.max(lastHanded, lane.lastHanded);
      lastWritten = Math.max(lastWritten, lane.lastWritten);
      lastAnswer = Math.max(lastAnswer, lane.lastAnswer);
    }
    Map<String, Integer> answers = new TreeMap<>();
    long[] numbers = new long[shared.buyers];
    int accepted = 0;
    int withoutNumber = 0;
    for (int i = 0; i < shared.buyers; i++) {
      int status = shared.status[i];
      answers.merge(
          status == 0 ? "unanswered" : status < 0 ? "no answer" : Integer.toString(status),
          1,
          Integer::sum);
      if (status == 202) {
        if (shared.number[i] > 0) {
          numbers[accepted++] = shared.number[i];
        } else {
          withoutNumber++;
        }
      }
    }
    int numbered = accepted;
    long[] sorted = Arrays.copyOf(numbers, numbered);
    Arrays.sort(sorted);
    int distinct = 0;
    for (int i = 0; i < sorted.length; i++) {
      if (i == 0 || sorted[i] != sorted[i - 1]) {
        distinct++;
      }
    }
    int got202 = answers.getOrDefault("202", 0);
    int errorCount = errors.values().stream().mapToInt(Integer::intValue).sum() + connectFailures;
    boolean all202 = got202 == shared.buyers;
    boolean noErrors = errorCount == 0;
    boolean unique = numbered > 0 && distinct == numbered && withoutNumber == 0;
    // Over every buyer offered: a join never answered counts as later than the target.
    long withinTarget = latency.getCountBetweenValues(0, (long) (P99_TARGET_MS * 1_000));
    boolean p99Held = withinTarget >= Math.ceil(shared.buyers * 0.99);
    return new JsonObject()
        .put("command", "join-burst")
        .put("at", startedAt.toString())
        .put("url", server.url)
        .put("saleId", saleId)
        .put("buyers", shared.buyers)
        .put("windowSeconds", seconds)
        .put(
            "generator",
            new JsonObject()
                .put("connectionsAsked", connections)
                .put("connectionsOpened", opened)
                .put("connectionsFailed", connectFailures)
                .put("connectionsClosedDuringRun", closedDuringRun)
                .put("byLocalAddress", new JsonObject(new TreeMap<>(byLocalAddress)))
                .put("pipelining", pipelining)
                .put("eventLoops", lanes.size())
                .put("warmupRequests", warmup)
                .put("tokensAndRequestsSeconds", round(madeSeconds))
                .put("connectAndWarmupSeconds", round(connectSeconds))
                .put("cpuSeconds", round(machine[2]))
                .put("loadAverageBefore", round(machine[0]))
                .put("loadAverageAfter", round(machine[1])))
        .put(
            "offered",
            new JsonObject()
                .put(
                    "firstSentMs",
                    firstHanded == Long.MAX_VALUE ? null : round((firstHanded - start) / 1e6))
                .put(
                    "lastSentSeconds",
                    lastHanded == 0 ? null : round((lastHanded - start) / 1e9, 3))
                .put(
                    "lastWrittenSeconds",
                    lastWritten == 0 ? null : round((lastWritten - start) / 1e9, 3))
                .put("sentLateMs", percentiles(handedLate))
                .put("writtenLateMs", percentiles(writtenLate)))
        .put("answers", new JsonObject(new TreeMap<>(answers)))
        .put(
            "errors",
            new JsonObject()
                .put("count", errorCount)
                .put("byKind", new JsonObject(new TreeMap<>(errors)))
                .put("samples", samples))
        .put("latencyFromDueMs", percentiles(latency))
        .put("lastAnswerSeconds", lastAnswer == 0 ? null : round((lastAnswer - start) / 1e9, 3))
        .put(
            "queueNumbers",
            new JsonObject()
                .put("numbered", numbered)
                .put("distinct", distinct)
                .put("duplicates", numbered - distinct)
                .put("202WithoutNumber", withoutNumber)
                .put("min", numbered == 0 ? null : sorted[0])
                .put("max", numbered == 0 ? null : sorted[numbered - 1])
                .put("unique", unique))
        .put("serverWaiting", serverWaiting)
        .put(
            "targets",
            new JsonObject()
                .put("every join answered 202", all202)
                .put("0 errors", noErrors)
                .put("queue numbers unique", unique)
                .put("p99 <= 5 s", p99Held))
        .put("held", all202 && noErrors && unique && p99Held);
  }

  /** What a rehearsal's report keeps: enough to see how cold the server was. */
  static JsonObject rehearsal(int number, JsonObject report) {
    return new JsonObject()
        .put("rehearsal", number)
        .put("saleId", report.getString("saleId"))
        .put("answers", report.getJsonObject("answers"))
        .put("errors", report.getJsonObject("errors").getInteger("count"))
        .put("latencyFromDueMs", report.getJsonObject("latencyFromDueMs"))
        .put("lastAnswerSeconds", report.getValue("lastAnswerSeconds"))
        .put("generatorCpuSeconds", report.getJsonObject("generator").getValue("cpuSeconds"))
        .put("held", report.getBoolean("held"));
  }

  static String rehearsalLine(JsonObject r) {
    return String.format(
        "rehearsal %d  answers %s, %d errors, latency %s ms, last answer %s s (%s)%n",
        r.getInteger("rehearsal"),
        r.getJsonObject("answers").encode(),
        r.getInteger("errors"),
        line(r.getJsonObject("latencyFromDueMs")),
        r.getValue("lastAnswerSeconds"),
        r.getBoolean("held") ? "would hold" : "would miss");
  }

  static String text(JsonObject r) {
    JsonObject g = r.getJsonObject("generator");
    JsonObject o = r.getJsonObject("offered");
    JsonObject l = r.getJsonObject("latencyFromDueMs");
    JsonObject q = r.getJsonObject("queueNumbers");
    JsonObject e = r.getJsonObject("errors");
    StringBuilder out = new StringBuilder();
    JsonArray rehearsed = r.getJsonArray("rehearsals", new JsonArray());
    out.append(
        String.format(
            "join-burst %s, sale %s, %s%s%n",
            r.getString("url"),
            r.getString("saleId"),
            r.getString("at"),
            rehearsed.isEmpty()
                ? ""
                : ", after " + rehearsed.size() + " rehearsal burst(s) (lines above)"));
    out.append(
        String.format(
            "generator    %d connections opened of %d (%s), pipelining %d, %d event loops, %d warm-up requests%n",
            g.getInteger("connectionsOpened"),
            g.getInteger("connectionsAsked"),
            g.getJsonObject("byLocalAddress").encode(),
            g.getInteger("pipelining"),
            g.getInteger("eventLoops"),
            g.getInteger("warmupRequests")));
    out.append(
        String.format(
            "             tokens+requests made in %.2f s, connections+warm-up %.2f s; CPU %.2f s during the run; load average %.2f before, %.2f after%n",
            g.getDouble("tokensAndRequestsSeconds"),
            g.getDouble("connectAndWarmupSeconds"),
            g.getDouble("cpuSeconds"),
            g.getDouble("loadAverageBefore"),
            g.getDouble("loadAverageAfter")));
    out.append(
        String.format(
            "offered      %,d buyers in a %.3f s window: last sent at %s s, last written at %s s%n",
            r.getInteger("buyers"),
            r.getDouble("windowSeconds"),
            o.getValue("lastSentSeconds"),
            o.getValue("lastWrittenSeconds")));
    out.append(
        String.format(
            "sent late    %s ms (handed to a connection - due)%n",
            line(o.getJsonObject("sentLateMs"))));
    out.append(
        String.format(
            "written late %s ms (written to the socket - due)%n",
            line(o.getJsonObject("writtenLateMs"))));
    out.append(String.format("answers      %s%n", r.getJsonObject("answers").encode()));
    out.append(
        String.format(
            "errors       %d %s%n", e.getInteger("count"), e.getJsonObject("byKind").encode()));
    for (Object sample : e.getJsonArray("samples")) {
      out.append("             e.g. ").append(sample).append('\n');
    }
    out.append(
        String.format("latency      %s ms from each join's due time to its answer%n", line(l)));
    out.append(
        String.format(
            "last answer  %s s after the clock started%n", r.getValue("lastAnswerSeconds")));
    out.append(
        String.format(
            "queue numbers %,d distinct of %,d numbered 202s (%d duplicates, %d without a number), %s..%s%n",
            q.getInteger("distinct"),
            q.getInteger("numbered"),
            q.getInteger("duplicates"),
            q.getInteger("202WithoutNumber"),
            q.getValue("min"),
            q.getValue("max")));
    out.append(
        String.format(
            "server       %s buyers waiting in the sale's line (audit)%n",
            r.getValue("serverWaiting")));
    JsonObject targets = r.getJsonObject("targets");
    StringBuilder verdict = new StringBuilder();
    for (String target : targets.fieldNames()) {
      verdict.append(targets.getBoolean(target) ? "  ok   " : "  MISS ").append(target);
    }
    out.append(
        String.format("VERDICT      %s:%s%n", r.getBoolean("held") ? "HELD" : "MISSED", verdict));
    return out.toString();
  }

  private static String line(JsonObject p) {
    return String.format(
        "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s",
        p.getValue("p50"),
        p.getValue("p90"),
        p.getValue("p99"),
        p.getValue("p999"),
        p.getValue("max"));
  }

  private static JsonObject percentiles(Histogram h) {
    if (h.getTotalCount() == 0) {
      return new JsonObject().put("count", 0);
    }
    return new JsonObject()
        .put("count", h.getTotalCount())
        .put("p50", round(ms(h.getValueAtPercentile(50))))
        .put("p90", round(ms(h.getValueAtPercentile(90))))
        .put("p99", round(ms(h.getValueAtPercentile(99))))
        .put("p999", round(ms(h.getValueAtPercentile(99.9))))
        .put("max", round(ms(h.getMaxValue())));
  }

  private static Histogram newHistogram() {
    return new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
  }

  private static long micros(long nanos) {
    return Math.min(TimeUnit.MINUTES.toMicros(10), Math.max(0, nanos / 1_000));
  }

  private static double ms(long micros) {
    return micros / 1_000.0;
  }

  private static double round(double value) {
    return round(value, 2);
  }

  private static double round(double value, int places) {
    double scale = Math.pow(10, places);
    return Math.round(value * scale) / scale;
  }
}

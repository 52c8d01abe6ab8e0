package io.flashsale;

import io.flashsale.config.AppConfig;
import io.flashsale.http.ApiServices;
import io.flashsale.http.Readiness;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.QueuePolicy;
import io.flashsale.sale.SaleStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up rehearsal: before an instance reports ready, it sends {@code
 * waitingroom.rehearsal-requests} requests, mostly joins by distinct made-up buyers, through its
 * own HTTP port to a sale of its own, so that the JIT has compiled the join path (HTTP parsing,
 * routing, the token, the contract, the rate-limit sketch, the join batches, the Redis client)
 * before the herd comes. A JVM that has just started runs that path interpreted while it compiles
 * it, and takes a herd of 100,000 joins two to three times slower than a warm one
 * (docs/benchmarks.md).
 *
 * <p>The sale is in no database: this instance's {@code SaleCatalog} alone serves it, so no
 * listing, report, timeline, admission step, reconciliation or other node sees it, and its joins
 * and refusals are kept out of the business figures ({@code flashsale_queue_joins_total}, {@code
 * flashsale_bot_rejections_total}). Its Redis keys are deleted when the rehearsal ends ({@code
 * UNLINK}: the line is freed in the background); the rate-limit strings expire by themselves within
 * seconds; an instance killed mid-rehearsal leaves its sale noted in {@link #UNFINISHED}, and the
 * next instance to rehearse deletes it. Readiness ({@link Readiness}) is held back while it runs,
 * at most {@link #MOST_MILLIS} and the answers then due.
 */
public final class Rehearsal {

  private static final Logger LOG = LoggerFactory.getLogger(Rehearsal.class);

  /**
   * Requests in flight at once, over a quarter as many connections: a herd's thousand connections
   * with a request or more waiting on each, and join batches as large as a herd's.
   */
  static final int IN_FLIGHT = 4096;

  static final int PIPELINING = 4;

  /** Sorted set of the rehearsals not yet cleaned up: "saleId|shards", scored by their start. */
  static final String UNFINISHED = "flashsale:rehearsals";

  /** A rehearsal noted longer ago than this is over, finished or not. */
  static final long STALE_MILLIS = 10 * 60_000;

  /** How long one request may wait for its answer, and the whole rehearsal for its requests. */
  static final long ANSWER_MILLIS = 10_000;

  static final long MOST_MILLIS = 180_000;

  /** Every this many requests the catalog forgets the sale, to be read again. */
  static final int FORGET_EVERY = 10_000;

  /** What a rehearsal did: requests sent, answers by status (-1: none), how long it took. */
  public record Outcome(String saleId, int sent, Map<Integer, Integer> statuses, double seconds) {

    static Outcome none() {
      return new Outcome("", 0, Map.of(), 0);
    }
  }

  private final Vertx vertx;
  private final ApiServices api;
  private final AppConfig config;
  private final int requests;
  private final FlashSale sale;
  private final Promise<Outcome> finished = Promise.promise();
  private volatile boolean stopping;

  private Rehearsal(Vertx vertx, Services services, int requests) {
    this.vertx = vertx;
    this.api = services.api();
    this.config = services.config();
    this.requests = requests;
    this.sale = sale();
  }

  /**
   * Holds readiness back and starts the rehearsal on an instance whose HTTP servers are about to
   * listen, or returns one already finished when it is off or cannot run here (said in the log).
   */
  static Rehearsal begin(Vertx vertx, Services services) {
    AppConfig config = services.config();
    Rehearsal rehearsal = new Rehearsal(vertx, services, config.waitingRoom().rehearsalRequests());
    String skipped = rehearsal.cannotRun();
    if (skipped != null) {
      if (rehearsal.requests > 0) {
        LOG.warn("no start-up rehearsal: " + skipped);
      }
      rehearsal.finished.complete(Outcome.none());
      return rehearsal;
    }
    rehearsal.api.readiness().rehearsal(Readiness.Rehearsal.RUNNING);
    return rehearsal;
  }

  /** Why this instance cannot rehearse, or null. */
  private String cannotRun() {
    if (requests == 0) {
      return "waitingroom.rehearsal-requests is 0";
    }
    if (!config.auth().acceptSecretTokens()) {
      return "it signs its buyers' tokens with jwt.secret, and jwt.accept-secret-tokens is false";
    }
    if (config.httpPort() == 0) {
      return "http.port is 0";
    }
    return null;
  }

  /** Runs it, once the HTTP servers listen; readiness is released however it ends. */
  Future<Outcome> run() {
    if (finished.future().isComplete()) {
      return finished.future();
    }
    if (!config.antibot().trustedProxies().contains("127.0.0.1")) {
      LOG.warn(
          "127.0.0.1 is not among http.trusted-proxies: the rehearsal's buyers all count against"
              + " one address's rate limit, and most of its joins will be refused");
    }
    long started = System.nanoTime();
    LOG.info(
        "start-up rehearsal: "
            + requests
            + " requests to sale "
            + sale.saleId()
            + "; not ready yet");
    api.catalog().rehearse(sale);
    HttpClientAgent client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setDefaultHost("127.0.0.1")
                .setDefaultPort(config.httpPort())
                .setKeepAlive(true)
                .setPipelining(true)
                .setPipeliningLimit(PIPELINING),
            new PoolOptions().setHttp1MaxSize(IN_FLIGHT / PIPELINING));
    Map<Integer, Integer> statuses = new TreeMap<>();
    Future<Void> sent =
        noted()
            .compose(noted -> api.timeline().warm(sale))
            .compose(loaded -> send(client, sale.saleId(), statuses));
    sent.transform(
            done -> {
              if (done.failed()) {
                LOG.warn("the start-up rehearsal could not run: " + done.cause());
              }
              return client.close().transform(closed -> forget());
            })
        .onComplete(
            cleaned -> {
              Outcome outcome;
              synchronized (statuses) {
                outcome =
                    new Outcome(
                        sale.saleId(),
                        statuses.values().stream().mapToInt(Integer::intValue).sum(),
                        Map.copyOf(statuses),
                        (System.nanoTime() - started) / 1e9);
              }
              if (cleaned.failed()) {
                LOG.warn("the start-up rehearsal's sale was not removed: " + cleaned.cause());
              }
              LOG.info(
                  "start-up rehearsal over: "
                      + outcome.sent()
                      + " requests answered "
                      + outcome.statuses()
                      + " (status: count) in "
                      + String.format("%.1f", outcome.seconds())
                      + " s");
              api.readiness().rehearsal(Readiness.Rehearsal.DONE);
              finished.complete(outcome);
            });
    return finished.future();
  }

  /** Stops sending, waits for what is in flight and for the clean-up. */
  Future<Outcome> stop() {
    stopping = true;
    // Answers still due come within ANSWER_MILLIS; the clean-up needs a store round trip more.
    return finished
        .future()
        .timeout(ANSWER_MILLIS + 5_000, TimeUnit.MILLISECONDS)
        .recover(late -> Future.succeededFuture(Outcome.none()));
  }

  /** The id of the rehearsal's own sale. */
  public String saleId() {
    return sale.saleId();
  }

  /** Completes when the rehearsal is over and its sale deleted. */
  Future<Outcome> finished() {
    return finished.future();
  }

  /** A FIFO waiting-room sale as {@code join-burst} makes one: open, paused, no proof of work. */
  private FlashSale sale() {
    Instant now = api.clock().instant();
    return new FlashSale(
        UUID.randomUUID().toString(),
        "REHEARSAL",
        "Start-up rehearsal",
        requests,
        0,
        100,
        "EUR",
        now.minusSeconds(1),
        now.plus(Duration.ofHours(1)),
        SaleStatus.ACTIVE,
        1,
        1,
        true,
        300,
        true,
        QueuePolicy.FIFO,
        0,
        false,
        config.waitingRoom().lineShards(),
        now,
        now);
  }

  /** {@link #IN_FLIGHT} chains, each sending the next request when its last one is answered. */
  private Future<Void> send(HttpClientAgent client, String saleId, Map<Integer, Integer> statuses) {
    // However slow the stores are, the instance gets ready: past the deadline no more is sent.
    long deadline =
        vertx.setTimer(
            MOST_MILLIS,
            timer -> {
              if (!stopping) {
                LOG.warn("the start-up rehearsal ran out of time; it stops sending");
                stopping = true;
              }
            });
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> chains = new ArrayList<>(IN_FLIGHT);
    for (int c = 0; c < IN_FLIGHT; c++) {
      Promise<Void> chain = Promise.promise();
      chains.add(chain.future());
      sendNext(client, saleId, next, statuses, chain);
    }
    return Future.all(chains).onComplete(done -> vertx.cancelTimer(deadline)).mapEmpty();
  }

  private void sendNext(
      HttpClientAgent client,
      String saleId,
      AtomicInteger next,
      Map<Integer, Integer> statuses,
      Promise<Void> chain) {
    int index = next.getAndIncrement();
    if (index >= requests || stopping) {
      chain.complete();
      return;
    }
    if (index % FORGET_EVERY == 0) {
      // As a new sale's first herd finds it: not yet in the catalog, every join waiting on one
      // read.
      api.catalog().forget(UUID.fromString(saleId));
    }
    Call call = call(index, saleId);
    client
        .request(call.options())
        .compose(
            sending ->
                (call.body() == null ? sending.send() : sending.send(call.body()))
                    .compose(answer -> answer.body().map(body -> answer.statusCode())))
        .onComplete(
            answered -> {
              int status = answered.succeeded() ? answered.result() : -1;
              synchronized (statuses) {
                statuses.merge(status, 1, Integer::sum);
              }
              if (answered.failed()) {
                // No answer at all (the port is not ours, a connection broke): this chain ends
                // rather than spin on a failure that may come at once.
                chain.complete();
              } else {
                sendNext(client, saleId, next, statuses, chain);
              }
            });
  }

  /** One request of the rehearsal: what goes on the wire, the body null for a GET. */
  record Call(RequestOptions options, String body) {}

  /**
   * The {@code index}-th request. A herd is not one request repeated, and the JIT compiles for what
   * it has seen: code compiled on identical joins is thrown away and compiled again, in the middle
   * of the herd, at the first request that differs (an admin's call, a sale not yet in the catalog,
   * a header in other case). So three requests in four are new buyers' joins, in three header
   * styles (as curl or a load tool sends them; lower-case names with a charset, as proxies forward
   * HTTP/2; a browser's, through two proxies), and the fourth is what comes with a herd: a buyer
   * asking their place, a second click, a join to a sale id this instance has not read, an admin's
   * token, a liveness probe. Of every 20 requests, 16 are distinct buyers' first joins.
   */
  Call call(int index, String saleId) {
    String queue = "/api/sales/" + saleId + "/queue";
    return switch (index % 20) {
      case 4 ->
          new Call(
              new RequestOptions()
                  .setMethod(HttpMethod.GET)
                  .setURI("/health/live")
                  .setTimeout(ANSWER_MILLIS),
              null);
      case 6 ->
          new Call(
              authorised(HttpMethod.GET, queue + "/me", token(index - 1, false), 0, index - 1),
              null);
      case 7 -> join(queue, token(index - 2, false), index % 3, index - 2);
      case 1 -> join("/api/sales/" + UUID.randomUUID() + "/queue", token(index, false), 0, index);
      case 3 -> join(queue, token(index, true), 0, index);
      default -> join(queue, token(index, false), index % 3, index);
    };
  }

  private String token(int buyer, boolean admin) {
    return api.auth().issue("rehearsal-" + buyer, admin, 3_600);
  }

  private static Call join(String path, String token, int style, int buyer) {
    RequestOptions options = authorised(HttpMethod.POST, path, token, style, buyer);
    options.putHeader(
        style == 1 ? "content-type" : "Content-Type",
        style == 1 ? "application/json; charset=utf-8" : "application/json");
    return new Call(options, "{\"quantity\":1}");
  }

  /** Each made-up buyer has an address and a device of their own, as in a herd. */
  private static RequestOptions authorised(
      HttpMethod method, String path, String token, int style, int buyer) {
    String address =
        "10." + (buyer >> 16 & 0xff) + "." + (buyer >> 8 & 0xff) + "." + (buyer & 0xff);
    RequestOptions options =
        new RequestOptions().setMethod(method).setURI(path).setTimeout(ANSWER_MILLIS);
    switch (style) {
      case 1 ->
          options
              .putHeader("authorization", "Bearer " + token)
              .putHeader("x-forwarded-for", address)
              .putHeader("x-device-fingerprint", "rehearsal-" + buyer);
      case 2 ->
          options
              .putHeader("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) rehearsal")
              .putHeader("Accept", "application/json, text/plain, */*")
              .putHeader("Accept-Language", "en-GB,en;q=0.9")
              .putHeader("Authorization", "Bearer " + token)
              .putHeader("X-Forwarded-For", address + ", 127.0.0.1")
              .putHeader("X-Device-Fingerprint", "rehearsal-" + buyer);
      default ->
          options
              .putHeader("Authorization", "Bearer " + token)
              .putHeader("X-Forwarded-For", address)
              .putHeader("X-Device-Fingerprint", "rehearsal-" + buyer);
    }
    return options;
  }

  /** Deletes the sale's keys from Redis and from this instance's catalog. */
  private Future<Void> forget() {
    return unlink(sale.saleId(), sale.lineShards())
        .onComplete(done -> api.catalog().endRehearsal(UUID.fromString(sale.saleId())));
  }

  /**
   * Notes this rehearsal's sale in {@link #UNFINISHED} (with its line's shards and its start), and
   * deletes the sales of rehearsals noted there by any instance more than {@link #STALE_MILLIS}
   * ago: an instance killed mid-rehearsal cannot delete its own.
   */
  private Future<Void> noted() {
    long now = api.clock().millis();
    Redis redis = api.redis();
    return redis
        .send(
            Request.cmd(Command.ZADD)
                .arg(UNFINISHED)
                .arg(now)
                .arg(sale.saleId() + "|" + sale.lineShards()))
        .compose(
            added ->
                redis.send(
                    Request.cmd(Command.ZRANGEBYSCORE)
                        .arg(UNFINISHED)
                        .arg("-inf")
                        .arg(now - STALE_MILLIS)))
        .compose(
            stale -> {
              List<Future<Void>> deleted = new ArrayList<>();
              for (Response member : stale) {
                String[] parts = member.toString().split("\\|");
                LOG.warn("deleting the sale of an unfinished start-up rehearsal: " + parts[0]);
                deleted.add(unlink(parts[0], Integer.parseInt(parts[1])));
              }
              return Future.all(deleted).mapEmpty();
            });
  }

  /** Unlinks every key of a rehearsal's sale, then its note in {@link #UNFINISHED}. */
  private Future<Void> unlink(String saleId, int shards) {
    List<Future<?>> unlinked = new ArrayList<>();
    for (String key : new SaleKeys(saleId).everyKey(shards)) {
      unlinked.add(api.redis().send(Request.cmd(Command.UNLINK).arg(key)));
    }
    return Future.all(unlinked)
        .compose(
            done ->
                api.redis()
                    .send(Request.cmd(Command.ZREM).arg(UNFINISHED).arg(saleId + "|" + shards)))
        .mapEmpty();
  }
}

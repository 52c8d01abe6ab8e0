package io.flashsale.loadtest;

import io.flashsale.config.AppConfig;
import io.flashsale.http.BearerAuth;
import io.flashsale.loadtest.HttpLoad.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Replays a direct-purchase flash sale against a running server: creates a sale, lets
 * {@code --buyers} distinct buyers press "Buy" with {@code --concurrency} requests in flight,
 * measures a hello-world route ({@code /health/live}) of the same server in the same run,
 * then checks the sale's figures.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true,
    description = "Replays a flash sale against a running Flash Sale Engine and reports throughput, latency and invariants.")
public final class LoadTest implements Callable<Integer> {

  @Option(names = "--url", description = "server base URL (default: ${DEFAULT-VALUE})")
  String url = "http://127.0.0.1:8080";

  @Option(names = "--jwt-secret", description = "the server's HS256 secret (default: from conf/ and FLASHSALE_JWT_SECRET)")
  String jwtSecret;

  @Option(names = "--buyers", description = "distinct buyers (default: ${DEFAULT-VALUE})")
  int buyers = 20_000;

  @Option(names = "--units", description = "units on sale (default: ${DEFAULT-VALUE})")
  int units = 1_000;

  @Option(names = "--concurrency", description = "requests in flight (default: ${DEFAULT-VALUE})")
  int concurrency = 256;

  @Option(names = "--baseline-requests", description = "hello-world requests (default: as many as buyers)")
  Integer baselineRequests;

  @Option(names = "--warmup", description = "requests sent before measuring, to warm both JVMs (default: ${DEFAULT-VALUE})")
  int warmup = 5_000;

  @Option(names = "--json", description = "also write the report as JSON to this file")
  Path jsonFile;

  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadTest()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    URI base = URI.create(url);
    String secret = jwtSecret != null ? jwtSecret : AppConfig.load().jwtSecret();
    Vertx vertx = Vertx.vertx();
    try {
      BearerAuth tokens = new BearerAuth(vertx, secret);
      HttpClient client = vertx.createHttpClient(
          new HttpClientOptions().setDefaultHost(base.getHost()).setDefaultPort(base.getPort()).setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(concurrency).setMaxWaitQueueSize(-1));
      JsonObject report = run(client, tokens).toCompletionStage().toCompletableFuture().get(30, TimeUnit.MINUTES);
      System.out.println(report.getString("text"));
      if (jsonFile != null) {
        report.remove("text");
        Files.writeString(jsonFile, report.encodePrettily());
      }
      return report.getJsonObject("invariants").getBoolean("held") ? 0 : 2;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private Future<JsonObject> run(HttpClient client, BearerAuth tokens) {
    String admin = tokens.issue("loadtest-admin", true, 3_600);
    String[] buyerTokens = new String[buyers];
    String runId = Long.toString(System.currentTimeMillis(), 36);
    for (int i = 0; i < buyers; i++) {
      buyerTokens[i] = tokens.issue("lt-" + runId + "-" + i, false, 3_600);
    }
    int helloRequests = baselineRequests != null ? baselineRequests : buyers;
    Map<String, Integer> outcomes = new ConcurrentHashMap<>();
    AtomicLong lastUnitSoldNanos = new AtomicLong();
    long[] purchaseStartNanos = new long[1];

    return HttpLoad.run("warmup", client, warmup, concurrency, i -> hello(), (i, reply) -> {})
        .compose(warm -> createSale(client, admin))
        .compose(saleId -> HttpLoad.run("hello-world", client, helloRequests, concurrency, i -> hello(), (i, reply) -> {})
            .compose(hello -> {
              purchaseStartNanos[0] = System.nanoTime();
              Buffer body = new JsonObject().put("quantity", 1).toBuffer();
              return HttpLoad.run("purchase", client, buyers, concurrency,
                      i -> c -> send(c, HttpMethod.POST, "/api/sales/" + saleId + "/purchase", buyerTokens[i], body),
                      (i, reply) -> {
                        outcomes.merge(outcome(reply), 1, Integer::sum);
                        if (reply.status() == 201) {
                          lastUnitSoldNanos.accumulateAndGet(System.nanoTime(), Math::max);
                        }
                      })
                  .compose(purchase -> send(client, HttpMethod.GET, "/api/sales/" + saleId, admin, null)
                      .map(sale -> report(saleId, hello, purchase, new TreeMap<>(outcomes),
                          (lastUnitSoldNanos.get() - purchaseStartNanos[0]) / 1e9, sale.body().toJsonObject())));
            }));
  }

  private JsonObject report(String saleId, LatencyStats hello, LatencyStats purchase, Map<String, Integer> outcomes,
                            double sellOutSeconds, JsonObject sale) {
    int sold = outcomes.getOrDefault("201", 0);
    int expectedSold = Math.min(units, buyers);
    boolean noServerErrors = purchase.errors() == 0;
    boolean held = sold == expectedSold && sale.getInteger("quantitySold") == expectedSold && noServerErrors;
    double ratio = purchase.perSecond() / hello.perSecond();
    String text = String.join(System.lineSeparator(),
        "Flash sale " + saleId + ": " + buyers + " buyers, " + units + " units, " + concurrency + " in flight",
        hello.toText(),
        purchase.toText(),
        String.format("purchase/hello-world throughput ratio: %.3f", ratio),
        String.format("sell-out time: %.3f s", sellOutSeconds),
        "replies: " + outcomes,
        "invariants: " + (held ? "HELD" : "BROKEN") + " (201 replies " + sold + ", quantitySold "
            + sale.getInteger("quantitySold") + ", expected " + expectedSold + ", 5xx/transport errors "
            + purchase.errors() + ")");
    return new JsonObject()
        .put("text", text)
        .put("at", Instant.now().toString())
        .put("saleId", saleId)
        .put("buyers", buyers)
        .put("units", units)
        .put("concurrency", concurrency)
        .put("helloWorld", hello.toJson())
        .put("purchase", purchase.toJson())
        .put("throughputRatio", Math.round(ratio * 1000) / 1000.0)
        .put("sellOutSeconds", Math.round(sellOutSeconds * 1000) / 1000.0)
        .put("replies", new JsonObject(new TreeMap<>(outcomes)))
        .put("invariants", new JsonObject().put("held", held).put("sold", sold)
            .put("quantitySold", sale.getInteger("quantitySold")).put("expected", expectedSold));
  }

  private Future<String> createSale(HttpClient client, String admin) {
    JsonObject sale = new JsonObject()
        .put("productId", "LOADTEST")
        .put("productName", "Load test sale")
        .put("quantity", units)
        .put("priceCents", 1_000)
        .put("currency", "EUR")
        .put("startTime", Instant.now().minusSeconds(1).toString())
        .put("endTime", Instant.now().plusSeconds(3_600).toString());
    return send(client, HttpMethod.POST, "/api/admin/sales", admin, sale.toBuffer()).map(reply -> {
      if (reply.status() != 201) {
        throw new IllegalStateException("could not create the sale: " + reply.status() + " " + reply.body());
      }
      return reply.body().toJsonObject().getString("saleId");
    });
  }

  private static HttpLoad.Call hello() {
    return client -> send(client, HttpMethod.GET, "/health/live", null, null);
  }

  private static Future<Reply> send(HttpClient client, HttpMethod method, String path, String token, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(method).setURI(path);
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return client.request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(Reply::of);
  }

  private static String outcome(Reply reply) {
    if (reply.status() == 201 || reply.status() < 0) {
      return Integer.toString(reply.status());
    }
    try {
      return reply.status() + " " + reply.body().toJsonObject().getString("code");
    } catch (RuntimeException notJson) {
      return Integer.toString(reply.status());
    }
  }
}

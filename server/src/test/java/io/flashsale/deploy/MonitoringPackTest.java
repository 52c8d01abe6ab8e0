package io.flashsale.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Poll;
import io.flashsale.support.ServerProcess;
import io.flashsale.support.SourceTree;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operations pack in deploy/monitoring/ checked against the engine itself: the alert rules pass
 * promtool's checks and their own unit tests, every metric the dashboard and the rules read is one
 * a running engine exports, and a real Prometheus scraping a real engine fires the drift alert when
 * the stores are made to disagree. Without Debian's {@code prometheus} package (promtool,
 * prometheus) the parts that need them are skipped, saying so.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MonitoringPackTest {

  private static final Path PACK = SourceTree.path("deploy/monitoring");
  private static final Path RULES = PACK.resolve("alerts.yml");
  private static final Path RULE_TESTS = PACK.resolve("alerts-test.yml");
  private static final Path DASHBOARD = PACK.resolve("grafana-dashboard.json");
  private static final Path RUNBOOK = SourceTree.path("docs/runbook.md");

  /** Kubernetes' and Prometheus' own series, read next to the engine's. */
  private static final Pattern OUTSIDE_METRIC =
      Pattern.compile("up|kube_deployment_(spec_replicas|status_replicas_ready)");

  private static final Set<String> PROMQL_WORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "offset",
          "bool",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "inf",
          "nan",
          "Inf",
          "NaN");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @RegisterExtension
  static final Engine engine =
      Engine.start(
          Map.of(
              "FLASHSALE_AUDIT_RECONCILE_INTERVAL_MS", "500",
              // Buyers who stop polling are absent within a second and dropped a second later.
              "FLASHSALE_WAITINGROOM_PRESENCE_WINDOW_SECONDS", "1",
              "FLASHSALE_WAITINGROOM_PRESENCE_GRACE_SECONDS", "1"));

  @Test
  @Order(1)
  void theRulesPassPromtoolsChecksAndTheirOwnUnitTests() {
    Path promtool = binary("promtool");

    Run check =
        run(
            List.of(promtool.toString(), "check", "rules", RULES.getFileName().toString()),
            PACK,
            Duration.ofSeconds(60));
    Run tests =
        run(
            List.of(promtool.toString(), "test", "rules", RULE_TESTS.getFileName().toString()),
            PACK,
            Duration.ofSeconds(120));

    assertThat(check.exitCode()).as("promtool check rules:\n" + check.output()).isZero();
    assertThat(check.output()).contains("SUCCESS: 6 rules found");
    assertThat(tests.exitCode()).as("promtool test rules:\n" + tests.output()).isZero();
  }

  @Test
  @Order(2)
  void everyAlertHasASummaryADescriptionAndARunbookEntryThatExists() throws IOException {
    String runbook = Files.readString(RUNBOOK);
    Set<String> anchors = new TreeSet<>();
    Matcher heading = Pattern.compile("(?m)^#{2,3} (.+)$").matcher(runbook);
    while (heading.find()) {
      anchors.add(
          heading.group(1).trim().toLowerCase().replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
    }

    List<JsonNode> rules = alertRules();

    assertThat(rules).hasSize(6);
    for (JsonNode rule : rules) {
      String name = rule.get("alert").asText();
      JsonNode annotations = rule.get("annotations");
      assertThat(annotations.path("summary").asText()).as(name + " summary").isNotBlank();
      assertThat(annotations.path("description").asText()).as(name + " description").isNotBlank();
      assertThat(annotations.path("runbook_url").asText())
          .as(name + " runbook_url")
          .isEqualTo("docs/runbook.md#" + name.toLowerCase());
      assertThat(anchors).as("runbook headings").contains(name.toLowerCase());
    }
  }

  /** Runs before the other engine tests, so the drift it makes is the first the engine ever saw. */
  @Test
  @Order(3)
  void aRealPrometheusFiresTheDriftAlertWhenRedisAndPostgresqlDisagree() throws Exception {
    Path prometheus = binary("prometheus");
    Path dir = Files.createTempDirectory("flashsale-prometheus");
    int port = ServerProcess.freePort();
    Files.writeString(
        dir.resolve("prometheus.yml"),
        """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files:
          - %s
        scrape_configs:
          - job_name: flash-sale
            metrics_path: /metrics
            static_configs:
              - targets: ['127.0.0.1:%d']
        """
            .formatted(RULES.toAbsolutePath(), engine.server().port()));
    Path log = dir.resolve("prometheus.log");
    Process process =
        new ProcessBuilder(
                prometheus.toString(),
                "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    String api = "http://127.0.0.1:" + port;
    try {
      Poll.until(
          () ->
              get(api + "/-/ready").filter(body -> process.isAlive()).isPresent()
                  || !process.isAlive(),
          ready -> ready,
          Duration.ofSeconds(60));
      assertThat(process.isAlive()).as("prometheus running; its log:\n" + tail(log)).isTrue();
      Poll.until(
          () -> query(api, "up{job=\"flash-sale\"}"), up -> up.equals("1"), Duration.ofSeconds(60));
      assertThat(driftAlertState(api)).as("before any drift").isEmpty();

      induceDrift();

      Poll.until(
          () -> driftAlertState(api),
          state -> state.equals(Optional.of("firing")),
          Duration.ofSeconds(90));
      JsonObject alert = driftAlert(api).orElseThrow();
      assertThat(alert.getJsonObject("labels").getString("kind")).isEqualTo("REDIS_DRIFT_REPAIRED");
      assertThat(alert.getJsonObject("annotations").getString("runbook_url"))
          .isEqualTo("docs/runbook.md#flashsalereconciliationdrift");
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nprometheus log:\n" + tail(log), e);
    } finally {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      deleteTree(dir);
    }
  }

  @Test
  @Order(4)
  void everyMetricTheDashboardAndTheRulesReadIsOneTheEngineExports() throws IOException {
    Set<String> dashboard = new TreeSet<>();
    JsonNode panels = new ObjectMapper().readTree(DASHBOARD.toFile()).get("panels");
    panels.forEach(
        panel ->
            panel
                .path("targets")
                .forEach(target -> dashboard.addAll(metricNames(target.get("expr").asText()))));
    Set<String> rules = new TreeSet<>();
    alertRules().forEach(rule -> rules.addAll(metricNames(rule.get("expr").asText())));
    assertThat(dashboard)
        .as("metrics the dashboard reads")
        .contains(
            "flashsale_http_requests_seconds_bucket",
            "flashsale_queue_joins_total",
            "flashsale_redis_memory_used_bytes",
            "flashsale_eventloop_lag_seconds_max",
            "jvm_memory_used_bytes");
    Set<String> wanted = new TreeSet<>(dashboard);
    wanted.addAll(rules);
    wanted.removeIf(name -> OUTSIDE_METRIC.matcher(name).matches());

    // Some figures appear only once something happened: make each happen once.
    exerciseEverything();
    Set<String> exported =
        Poll.until(
            MonitoringPackTest::exported,
            names -> names.containsAll(wanted),
            Duration.ofSeconds(60));

    assertThat(exported).containsAll(wanted);
  }

  /** A sale's Redis counter set behind the engine's back, as ReconciliationTest does it. */
  private static String induceDrift() {
    String saleId =
        Await.result(engine.server().createSale(10, new JsonObject())).getString("saleId");
    assertThat(Await.result(engine.server().purchase(saleId, "drift-buyer", 1)).statusCode())
        .isEqualTo(201);
    Await.result(
        engine
            .server()
            .services()
            .api()
            .redis()
            .send(Request.cmd(Command.SET).arg(new SaleKeys(saleId).stock()).arg(42)));
    return saleId;
  }

  /**
   * Joins, admissions, absent buyers, a leave, a checkout, an expired hold, a bot refusal, a drift.
   */
  private static void exerciseEverything() {
    induceDrift();
    String line =
        Await.result(
                engine
                    .server()
                    .createSale(
                        2,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 1)
                            .put("checkoutTtlSeconds", 2)))
            .getString("saleId");
    for (String buyer : List.of("payer", "lapser", "absent-1", "absent-2", "leaver")) {
      assertThat(Await.result(engine.server().join(line, buyer, 1)).statusCode())
          .as(buyer + " joins")
          .isEqualTo(202);
    }
    Await.result(
        engine
            .server()
            .client()
            .delete("/api/sales/" + line + "/queue/me")
            .bearerTokenAuthentication(engine.server().token("leaver"))
            .send());
    // The payer and the lapser keep polling (present); the absent ones never ask again.
    String orderId =
        Poll.until(
                () -> {
                  Await.result(engine.server().queueStatus(line, "lapser"));
                  return Await.result(engine.server().queueStatus(line, "payer"))
                      .bodyAsJsonObject();
                },
                ticket -> "RESERVED".equals(ticket.getString("state")),
                Duration.ofSeconds(30))
            .getString("orderId");
    Await.result(
        engine
            .server()
            .client()
            .post("/api/orders/" + orderId + "/checkout")
            .bearerTokenAuthentication(engine.server().token("payer"))
            .send());
    // The lapser is admitted at their turn and lets the hold expire.
    Poll.until(
        () ->
            Await.result(engine.server().queueStatus(line, "lapser"))
                .bodyAsJsonObject()
                .getString("state"),
        "EXPIRED"::equals,
        Duration.ofSeconds(45));
    String guarded =
        Await.result(
                engine
                    .server()
                    .createSale(
                        1,
                        new JsonObject().put("waitingRoom", true).put("proofOfWorkDifficulty", 20)))
            .getString("saleId");
    Await.result(engine.server().join(guarded, "no-proof", 1));
  }

  private static Set<String> exported() {
    String page = Await.result(engine.server().client().get("/metrics").send()).bodyAsString();
    Set<String> names = new TreeSet<>();
    page.lines()
        .filter(line -> !line.startsWith("#") && !line.isBlank())
        .forEach(line -> names.add(line.split("[{ ]", 2)[0]));
    return names;
  }

  /**
   * The metric names in a PromQL expression: what is left once strings, matchers, ranges, clauses
   * and calls are out.
   */
  static Set<String> metricNames(String expr) {
    String bare =
        expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
            .replaceAll("\\{[^}]*}", " ")
            .replaceAll("\\[[^]]*]", " ")
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
            .replaceAll("\\$\\{?\\w+}?", " ");
    Matcher name = Pattern.compile("(?<![\\w.])[a-zA-Z_:][a-zA-Z0-9_:]*+(?!\\s*\\()").matcher(bare);
    Set<String> names = new TreeSet<>();
    while (name.find()) {
      if (!PROMQL_WORDS.contains(name.group())) {
        names.add(name.group());
      }
    }
    return names;
  }

  private static List<JsonNode> alertRules() {
    try {
      List<JsonNode> rules = new ArrayList<>();
      new YAMLMapper()
          .readTree(RULES.toFile())
          .get("groups")
          .forEach(group -> group.get("rules").forEach(rules::add));
      return rules;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<String> driftAlertState(String api) {
    return driftAlert(api).map(alert -> alert.getString("state"));
  }

  private static Optional<JsonObject> driftAlert(String api) {
    JsonArray alerts =
        get(api + "/api/v1/alerts")
            .map(body -> new JsonObject(body).getJsonObject("data").getJsonArray("alerts"))
            .orElse(new JsonArray());
    return alerts.stream()
        .map(JsonObject.class::cast)
        .filter(
            alert ->
                "FlashSaleReconciliationDrift"
                    .equals(alert.getJsonObject("labels").getString("alertname")))
        .sorted(
            Comparator.comparing(
                alert -> alert.getJsonObject("labels").containsKey("kind") ? 0 : 1))
        .findFirst();
  }

  /** The value of an instant query's first sample, "" when it has none. */
  private static String query(String api, String promql) {
    return get(api + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))
        .map(body -> new JsonObject(body).getJsonObject("data").getJsonArray("result"))
        .filter(result -> !result.isEmpty())
        .map(result -> result.getJsonObject(0).getJsonArray("value").getString(1))
        .orElse("");
  }

  private static Optional<String> get(String url) {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private record Run(int exitCode, String output) {}

  private static Run run(List<String> command, Path dir, Duration limit) {
    try {
      Path output = Files.createTempFile("flashsale-promtool", ".log");
      try {
        Process process =
            new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError(String.join(" ", command) + " did not finish within " + limit);
        }
        return new Run(process.exitValue(), Files.readString(output));
      } finally {
        Files.deleteIfExists(output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The executable on the PATH, or the test is skipped saying how to get it. */
  private static Path binary(String name) {
    Optional<Path> found =
        Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
            .filter(dir -> !dir.isBlank())
            .map(dir -> Path.of(dir, name))
            .filter(Files::isExecutable)
            .findFirst();
    assumeTrue(
        found.isPresent(),
        name
            + " is not on the PATH: install Debian's prometheus package "
            + "(apt-get install prometheus; .ci/run does) to run this test");
    return found.get();
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }
}

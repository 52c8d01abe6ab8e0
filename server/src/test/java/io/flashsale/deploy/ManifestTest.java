package io.flashsale.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.flashsale.config.AppConfig;
import io.flashsale.support.Await;
import io.flashsale.support.SourceTree;
import io.flashsale.support.TestServer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile and the k8s/ manifests checked against the application itself: its configuration
 * keys, its port, the routes it really serves and the way its pieces refer to each other. A renamed
 * key, a moved route or a mistyped Service name fails the build here, not in a cluster.
 */
class ManifestTest {

  private static final Path K8S = SourceTree.path("k8s");
  private static final Path DOCKERFILE = SourceTree.path("Dockerfile");
  private static final Path CONF = SourceTree.path("conf/flashsale.properties");
  private static final Pattern ENV_NAME = Pattern.compile("FLASHSALE_[A-Z0-9_]+");

  private static Properties conf;
  private static Map<String, List<JsonNode>> byKind;
  private static Map<String, Path> fileOf;
  private static Dockerfile dockerfile;
  private static Vertx vertx;
  private static TestServer server;

  @BeforeAll
  static void read() throws IOException {
    conf = new Properties();
    try (Reader reader = Files.newBufferedReader(CONF)) {
      conf.load(reader);
    }
    byKind = new HashMap<>();
    fileOf = new HashMap<>();
    YAMLMapper yaml = new YAMLMapper();
    for (Path file : yamlFiles()) {
      // Every file may hold several documents separated by "---".
      try (MappingIterator<JsonNode> documents =
          yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
        while (documents.hasNext()) {
          JsonNode document = documents.next();
          if (document == null || document.isEmpty()) {
            continue;
          }
          assertThat(document.path("kind").asText())
              .as("kind of a document in %s", file)
              .isNotEmpty();
          assertThat(document.path("apiVersion").asText())
              .as("apiVersion in %s", file)
              .isNotEmpty();
          byKind
              .computeIfAbsent(document.get("kind").asText(), k -> new ArrayList<>())
              .add(document);
          fileOf.put(
              document.get("kind").asText() + "/" + document.path("metadata").path("name").asText(),
              file);
        }
      }
    }
    dockerfile = Dockerfile.parse(Files.readString(DOCKERFILE));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      Await.result(server.stop().eventually(vertx::close));
    }
  }

  // ---------------------------------------------------------------- configuration

  @Test
  void everyFlashsaleVariableNamedInTheManifestsAndTheDockerfileIsARealConfigurationKey()
      throws IOException {
    Set<String> known = new TreeSet<>();
    conf.stringPropertyNames().forEach(key -> known.add(AppConfig.envName(key)));
    known.add(AppConfig.ENV_PREFIX + "CONFIG");

    Map<String, Set<String>> used = new HashMap<>();
    List<Path> files = new ArrayList<>(yamlFiles());
    files.add(DOCKERFILE);
    files.add(K8S.resolve("README.md"));
    for (Path file : files) {
      Matcher names = ENV_NAME.matcher(Files.readString(file));
      while (names.find()) {
        used.computeIfAbsent(names.group(), n -> new TreeSet<>()).add(file.toString());
      }
    }
    assertThat(used).as("the manifests set configuration through the environment").isNotEmpty();
    assertThat(used.keySet())
        .as("FLASHSALE_* names that are not configuration keys (where: %s)", used)
        .isSubsetOf(known);
  }

  @Test
  void theConfigMapHoldsOnlyRealKeysWithValuesTheServerAccepts() throws IOException {
    JsonNode configMap = only("ConfigMap");
    String fileName = configMapFileName();
    Properties mounted = new Properties();
    mounted.load(new StringReader(configMap.path("data").path(fileName).asText()));

    assertThat(mounted.stringPropertyNames())
        .as("ConfigMap keys")
        .isNotEmpty()
        .isSubsetOf(conf.stringPropertyNames());
    assertThat(mounted.stringPropertyNames())
        .as("secrets stay out of the ConfigMap")
        .doesNotContain("jwt.secret", "pg.url", "redis.url", "payment.http.api-key");

    // Load it the way a pod does: the file named by FLASHSALE_CONFIG over the packed defaults,
    // then the Deployment's plain-valued variables. A bad value fails here as it would at start.
    Path file = Files.createTempFile("flashsale", ".properties");
    try {
      Files.writeString(file, configMap.path("data").path(fileName).asText());
      Map<String, String> environment = new HashMap<>(plainEnvironment());
      environment.put("FLASHSALE_CONFIG", file.toString());
      AppConfig config = AppConfig.load(environment);
      assertThat(config.redisMode()).isEqualTo("cluster");
      assertThat(config.cluster().enabled()).isTrue();
      assertThat(config.cluster().discovery()).isEqualTo("kubernetes");
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void theConfigMapIsMountedWhereFlashsaleConfigPoints() {
    JsonNode pod = podSpec();
    JsonNode volume =
        find(
            pod.path("volumes"),
            v ->
                v.path("configMap")
                    .path("name")
                    .asText()
                    .equals(only("ConfigMap").path("metadata").path("name").asText()));
    JsonNode mount =
        find(
            container().path("volumeMounts"),
            m -> m.path("name").asText().equals(volume.path("name").asText()));
    assertThat(plainEnvironment().get("FLASHSALE_CONFIG"))
        .isEqualTo(mount.path("mountPath").asText() + "/" + configMapFileName());
  }

  // ---------------------------------------------------------------- HTTP port, probes, metrics

  @Test
  void theContainerServesHttpOnTheConfiguredPort() {
    int httpPort = httpPort();
    assertThat(containerPort("http")).isEqualTo(httpPort);
    assertThat(
            Integer.parseInt(
                podTemplate()
                    .path("metadata")
                    .path("annotations")
                    .path("prometheus.io/port")
                    .asText()))
        .as("Prometheus scrapes the HTTP port")
        .isEqualTo(httpPort);
    JsonNode service = service(false);
    JsonNode port = service.path("spec").path("ports").get(0);
    assertThat(resolvePort(port.path("targetPort")))
        .as("the Service forwards to the HTTP port")
        .isEqualTo(httpPort);
    assertThat(dockerfile.exposed()).as("EXPOSE").contains(httpPort);
  }

  @Test
  void probesAndTheScrapePathAreRoutesTheServerAnswersWith200() {
    Map<String, String> paths = new HashMap<>();
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      JsonNode get = container().path(probe).path("httpGet");
      assertThat(get.isMissingNode()).as("%s is an HTTP GET", probe).isFalse();
      assertThat(resolvePort(get.path("port"))).as("%s port", probe).isEqualTo(httpPort());
      paths.put(probe, get.path("path").asText());
    }
    assertThat(paths)
        .containsEntry("livenessProbe", "/health/live")
        .containsEntry("readinessProbe", "/health/ready");
    paths.put(
        "prometheus.io/path",
        podTemplate().path("metadata").path("annotations").path("prometheus.io/path").asText());
    paths.put("Dockerfile HEALTHCHECK", dockerfile.healthcheckPath());
    assertThat(dockerfile.healthcheck())
        .as("HEALTHCHECK asks the HTTP port")
        .contains(":-" + httpPort() + "}/");

    startServer();
    for (Map.Entry<String, String> path : paths.entrySet()) {
      int status = Await.result(server.client().get(path.getValue()).send()).statusCode();
      assertThat(status).as("GET %s (%s)", path.getValue(), path.getKey()).isEqualTo(200);
    }
  }

  // ---------------------------------------------------------------- clustering

  @Test
  void hazelcastDiscoveryFindsTheHeadlessServiceOnTheMemberPort() {
    Map<String, String> env = plainEnvironment();
    JsonNode headless = service(true);
    int memberPort =
        Integer.parseInt(
            env.getOrDefault("FLASHSALE_CLUSTER_PORT", conf.getProperty("cluster.port")));

    assertThat(env)
        .containsEntry("FLASHSALE_CLUSTER", "true")
        .containsEntry("FLASHSALE_CLUSTER_DISCOVERY", "kubernetes");
    assertThat(env.get("FLASHSALE_CLUSTER_KUBERNETES_SERVICE_NAME"))
        .as("the discovery service name is the headless Service")
        .isEqualTo(headless.path("metadata").path("name").asText());
    assertThat(headless.path("spec").path("publishNotReadyAddresses").asBoolean())
        .as("members find each other before they are ready")
        .isTrue();
    JsonNode hazelcast =
        find(headless.path("spec").path("ports"), p -> p.path("name").asText().equals("hazelcast"));
    assertThat(hazelcast.path("port").asInt()).isEqualTo(memberPort).isEqualTo(5701);
    assertThat(resolvePort(hazelcast.path("targetPort"))).isEqualTo(memberPort);
    assertThat(containerPort("hazelcast"))
        .as("the pod exposes the member port")
        .isEqualTo(memberPort);
    assertThat(selectorMatchesPods(headless.path("spec").path("selector"))).isTrue();

    int eventBusPort = Integer.parseInt(env.get("FLASHSALE_CLUSTER_EVENTBUS_PORT"));
    assertThat(eventBusPort).as("a fixed event bus port, not 0 (any)").isPositive();
    assertThat(containerPort("eventbus")).isEqualTo(eventBusPort);
    assertThat(fieldRef("FLASHSALE_CLUSTER_HOST"))
        .as("each pod advertises its own IP")
        .isEqualTo("status.podIP");
    assertThat(dockerfile.exposed()).as("EXPOSE").contains(memberPort, eventBusPort);
    assertThat(dockerfile.env().get("FLASHSALE_CLUSTER_EVENTBUS_PORT"))
        .isEqualTo(Integer.toString(eventBusPort));
  }

  @Test
  void theDiscoveryRoleIsBoundToTheServiceAccountThePodsRunAs() {
    String account = podSpec().path("serviceAccountName").asText();
    assertThat(byKind.get("ServiceAccount"))
        .extracting(sa -> sa.path("metadata").path("name").asText())
        .contains(account);

    JsonNode binding = only("RoleBinding");
    JsonNode role = only("Role");
    assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("Role");
    assertThat(binding.path("roleRef").path("name").asText())
        .isEqualTo(role.path("metadata").path("name").asText());
    JsonNode subject =
        find(binding.path("subjects"), s -> s.path("kind").asText().equals("ServiceAccount"));
    assertThat(subject.path("name").asText()).isEqualTo(account);
    assertThat(subject.path("namespace").asText())
        .as("the subject's namespace is the one kustomize deploys to")
        .isEqualTo(only("Kustomization").path("namespace").asText());

    Map<String, Set<String>> granted = new HashMap<>();
    for (JsonNode rule : role.path("rules")) {
      for (JsonNode group : rule.path("apiGroups")) {
        for (JsonNode resource : rule.path("resources")) {
          Set<String> verbs =
              granted.computeIfAbsent(
                  group.asText() + "/" + resource.asText(), k -> new TreeSet<>());
          rule.path("verbs").forEach(verb -> verbs.add(verb.asText()));
        }
      }
    }
    for (String resource :
        List.of("/endpoints", "/pods", "/services", "discovery.k8s.io/endpointslices")) {
      assertThat(granted.getOrDefault(resource, Set.of()))
          .as("verbs on %s", resource)
          .contains("get", "list");
    }
    assertThat(granted.values())
        .as("read-only")
        .allSatisfy(verbs -> assertThat(verbs).isSubsetOf("get", "list", "watch"));
  }

  // ---------------------------------------------------------------- wiring between objects

  @Test
  void servicesBudgetAndAutoscalerPointAtTheDeploymentsPods() {
    JsonNode deployment = only("Deployment");
    assertThat(deployment.path("spec").path("replicas").asInt()).isEqualTo(3);
    assertThat(selectorMatchesPods(deployment.path("spec").path("selector").path("matchLabels")))
        .isTrue();
    for (JsonNode service : byKind.get("Service")) {
      assertThat(selectorMatchesPods(service.path("spec").path("selector")))
          .as("selector of Service %s", service.path("metadata").path("name").asText())
          .isTrue();
    }
    assertThat(
            selectorMatchesPods(
                only("PodDisruptionBudget").path("spec").path("selector").path("matchLabels")))
        .isTrue();

    JsonNode hpa = only("HorizontalPodAutoscaler");
    assertThat(hpa.path("apiVersion").asText()).isEqualTo("autoscaling/v2");
    assertThat(hpa.path("spec").path("scaleTargetRef").path("kind").asText())
        .isEqualTo("Deployment");
    assertThat(hpa.path("spec").path("scaleTargetRef").path("name").asText())
        .isEqualTo(deployment.path("metadata").path("name").asText());
    assertThat(hpa.path("spec").path("minReplicas").asInt())
        .isLessThanOrEqualTo(hpa.path("spec").path("maxReplicas").asInt());
    assertThat(container().path("resources").path("requests").path("cpu").isMissingNode())
        .as("CPU utilisation needs a CPU request")
        .isFalse();
  }

  @Test
  void everySecretTheDeploymentReadsIsInTheExampleSecret() {
    JsonNode secret = only("Secret");
    Set<String> keys = new TreeSet<>();
    secret.path("stringData").fieldNames().forEachRemaining(keys::add);
    for (JsonNode variable : container().path("env")) {
      JsonNode ref = variable.path("valueFrom").path("secretKeyRef");
      if (!ref.isMissingNode()) {
        assertThat(ref.path("name").asText())
            .isEqualTo(secret.path("metadata").path("name").asText());
        assertThat(keys)
            .as("key of %s", variable.path("name").asText())
            .contains(ref.path("key").asText());
      }
    }
    secret
        .path("stringData")
        .forEach(
            value ->
                assertThat(value.asText())
                    .as("example values are placeholders")
                    .contains("REPLACE-ME"));
  }

  @Test
  void kustomizeAppliesEveryManifestButTheExampleSecret() {
    Set<String> listed = new TreeSet<>();
    only("Kustomization").path("resources").forEach(r -> listed.add(r.asText()));
    Set<String> manifests = new TreeSet<>();
    for (Path file : yamlFiles()) {
      manifests.add(file.getFileName().toString());
    }
    manifests.remove("kustomization.yaml");
    manifests.remove(
        fileOf
            .get("Secret/" + only("Secret").path("metadata").path("name").asText())
            .getFileName()
            .toString());
    assertThat(listed).isEqualTo(manifests);
  }

  // ---------------------------------------------------------------- shutdown and security

  @Test
  void theGracePeriodCoversThePreStopSleepAndTheDrain() {
    JsonNode command = container().path("lifecycle").path("preStop").path("exec").path("command");
    assertThat(command.get(0).asText()).isEqualTo("sleep");
    int preStop = command.get(1).asInt();
    int grace = podSpec().path("terminationGracePeriodSeconds").asInt();
    assertThat(preStop).isPositive();
    // The server's shutdown hook (Main) waits up to 30 s for the drain after SIGTERM, which only
    // comes once preStop has finished; a shorter grace period would SIGKILL a draining pod.
    assertThat(grace).isGreaterThan(preStop).isGreaterThanOrEqualTo(preStop + 30);
  }

  @Test
  void thePodAndTheImageRunAsTheSameNonRootUser() {
    String user = dockerfile.user();
    assertThat(user).as("the final stage sets USER").isNotNull();
    String uid = user.split(":")[0];
    assertThat(uid).as("numeric, so Kubernetes can verify runAsNonRoot").matches("\\d+");
    assertThat(Integer.parseInt(uid)).as("not root").isPositive();
    JsonNode security = podSpec().path("securityContext");
    assertThat(security.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(security.path("runAsUser").asText()).isEqualTo(uid);
    assertThat(container().path("securityContext").path("allowPrivilegeEscalation").asBoolean(true))
        .isFalse();
  }

  @Test
  void theImageIsBuiltByMavenAndRunsTheShadedJarWithConf() throws IOException {
    assertThat(dockerfile.stages()).hasSize(2);
    assertThat(dockerfile.stages().get(0)).startsWith("maven:3.9-eclipse-temurin-17");
    assertThat(dockerfile.stages().get(1)).isEqualTo("eclipse-temurin:17-jre");
    assertThat(dockerfile.runs()).anyMatch(run -> run.contains("mvn -B -q package -DskipTests"));
    String pom = Files.readString(SourceTree.path("server/pom.xml"));
    assertThat(pom).as("the shaded jar's name").contains("<finalName>flash-sale</finalName>");
    assertThat(dockerfile.copies())
        .anyMatch(copy -> copy.contains("server/target/flash-sale.jar"))
        .anyMatch(copy -> copy.startsWith("conf/ "));
    assertThat(dockerfile.entrypoint()).contains("-jar /app/flash-sale.jar").contains("$JAVA_OPTS");
    assertThat(dockerfile.env().get("JAVA_OPTS"))
        .contains("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError");
    // The Dockerfile's JAVA_OPTS must be options the JVM accepts: a typo would stop every pod.
    assertThat(jvmAccepts(dockerfile.env().get("JAVA_OPTS")))
        .as("java %s -version", dockerfile.env().get("JAVA_OPTS"))
        .isTrue();
  }

  // ---------------------------------------------------------------- helpers

  private static List<Path> yamlFiles() {
    try (Stream<Path> files = Files.list(K8S)) {
      return files
          .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new AssertionError("k8s/ unreadable", e);
    }
  }

  private static JsonNode only(String kind) {
    List<JsonNode> all = byKind.getOrDefault(kind, List.of());
    assertThat(all).as("exactly one %s in k8s/", kind).hasSize(1);
    return all.get(0);
  }

  private static JsonNode podTemplate() {
    return only("Deployment").path("spec").path("template");
  }

  private static JsonNode podSpec() {
    return podTemplate().path("spec");
  }

  private static JsonNode container() {
    JsonNode containers = podSpec().path("containers");
    assertThat(containers.size()).as("one container").isEqualTo(1);
    return containers.get(0);
  }

  private static int httpPort() {
    return Integer.parseInt(
        plainEnvironment().getOrDefault("FLASHSALE_HTTP_PORT", conf.getProperty("http.port")));
  }

  private static int containerPort(String name) {
    return find(container().path("ports"), p -> p.path("name").asText().equals(name))
        .path("containerPort")
        .asInt();
  }

  /** A Service or probe port: a number, or the name of one of the container's ports. */
  private static int resolvePort(JsonNode port) {
    return port.isInt() ? port.asInt() : containerPort(port.asText());
  }

  /** The Deployment's variables with a literal value (not from a Secret or a field). */
  private static Map<String, String> plainEnvironment() {
    Map<String, String> env = new HashMap<>();
    for (JsonNode variable : container().path("env")) {
      if (variable.has("value")) {
        env.put(variable.path("name").asText(), variable.path("value").asText());
      }
    }
    return env;
  }

  private static String fieldRef(String name) {
    return find(container().path("env"), v -> v.path("name").asText().equals(name))
        .path("valueFrom")
        .path("fieldRef")
        .path("fieldPath")
        .asText();
  }

  private static String configMapFileName() {
    List<String> names = new ArrayList<>();
    only("ConfigMap").path("data").fieldNames().forEachRemaining(names::add);
    assertThat(names).as("the ConfigMap holds one properties file").hasSize(1);
    return names.get(0);
  }

  /** The Service with (headless) or without a cluster IP of None. */
  private static JsonNode service(boolean headless) {
    List<JsonNode> matching =
        byKind.get("Service").stream()
            .filter(s -> "None".equals(s.path("spec").path("clusterIP").asText()) == headless)
            .toList();
    assertThat(matching).as(headless ? "one headless Service" : "one HTTP Service").hasSize(1);
    return matching.get(0);
  }

  private static boolean selectorMatchesPods(JsonNode selector) {
    JsonNode labels = podTemplate().path("metadata").path("labels");
    if (selector.isEmpty()) {
      return false;
    }
    var fields = selector.fields();
    while (fields.hasNext()) {
      var label = fields.next();
      if (!label.getValue().asText().equals(labels.path(label.getKey()).asText(null))) {
        return false;
      }
    }
    return true;
  }

  private static JsonNode find(JsonNode array, Predicate<JsonNode> match) {
    for (JsonNode element : array) {
      if (match.test(element)) {
        return element;
      }
    }
    throw new AssertionError("nothing matching in " + array);
  }

  private static synchronized void startServer() {
    if (server == null) {
      vertx = Vertx.vertx();
      server = Await.result(TestServer.start(vertx));
    }
  }

  private static boolean jvmAccepts(String options) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(options.trim().split("\\s+")));
    command.add("-version");
    Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      java.getInputStream().readAllBytes();
      return java.waitFor() == 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The few Dockerfile instructions the checks need, with line continuations joined. */
  record Dockerfile(
      List<String> stages,
      List<String> runs,
      List<String> copies,
      Map<String, String> env,
      Set<Integer> exposed,
      String user,
      String healthcheck,
      String entrypoint) {

    static Dockerfile parse(String text) {
      List<String> stages = new ArrayList<>();
      List<String> runs = new ArrayList<>();
      List<String> copies = new ArrayList<>();
      Map<String, String> env = new HashMap<>();
      Set<Integer> exposed = new LinkedHashSet<>();
      String user = null;
      String healthcheck = null;
      String entrypoint = null;
      for (String instruction : text.replaceAll("\\\\\\r?\\n", "").split("\\r?\\n")) {
        String line = instruction.strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.split("\\s+", 2);
        String keyword = parts[0].toUpperCase(Locale.ROOT);
        String rest = parts.length > 1 ? parts[1] : "";
        switch (keyword) {
          case "FROM" -> {
            stages.add(rest.split("\\s+")[0]);
            user = null; // USER does not carry over into a new stage
            env.clear();
          }
          case "RUN" -> runs.add(rest);
          case "COPY" -> copies.add(rest.replaceAll("--\\S+\\s+", ""));
          case "ENV" -> {
            Matcher pair = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)").matcher(rest);
            while (pair.find()) {
              env.put(pair.group(1), pair.group(2).replaceAll("^\"|\"$", ""));
            }
          }
          case "EXPOSE" -> {
            for (String port : rest.split("\\s+")) {
              exposed.add(Integer.parseInt(port.split("/")[0]));
            }
          }
          case "USER" -> user = rest;
          case "HEALTHCHECK" -> healthcheck = rest;
          case "ENTRYPOINT" -> entrypoint = rest;
          default -> {}
        }
      }
      return new Dockerfile(stages, runs, copies, env, exposed, user, healthcheck, entrypoint);
    }

    /** The path of the URL the HEALTHCHECK command fetches. */
    String healthcheckPath() {
      assertThat(healthcheck).as("HEALTHCHECK").isNotNull();
      Matcher url = Pattern.compile("http://[^/\\s\"]+(/[^\\s\"]*)").matcher(healthcheck);
      assertThat(url.find()).as("HEALTHCHECK fetches an http:// URL: %s", healthcheck).isTrue();
      return url.group(1);
    }
  }
}

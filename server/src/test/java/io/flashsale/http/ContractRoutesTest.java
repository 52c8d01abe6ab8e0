package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.operator.SaleControls;
import io.flashsale.support.Await;
import io.flashsale.support.TestServer;
import io.flashsale.waitingroom.LiveFeed;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.impl.Utils;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The router and openapi.yaml list the same routes, and the contract is served, as YAML and as
 * Swagger UI.
 */
class ContractRoutesTest {

  /**
   * Routes that are not in the contract, on purpose: the web pages and their files (the regex route
   * for {@code /}, {@code /*.html}, {@code /css/*}, {@code /js/*}; {@code /webjars/*}), the pages'
   * short names, and the contract's own documents.
   */
  private static final Set<String> NOT_IN_CONTRACT =
      Set.of(
          "GET /admin",
          "GET /signin",
          "GET /webjars/",
          "GET /openapi.yaml",
          "GET /docs",
          "GET /docs/init.js");

  private static Vertx vertx;
  private static TestServer server;
  private static OpenAPIContract contract;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    // Demo mode, so that the demo sign-in (in the contract) is mounted too.
    server = Await.result(TestServer.start(vertx, Map.of("FLASHSALE_DEMO", "true")));
    contract = Await.result(HttpServerVerticle.loadContract(vertx));
  }

  @AfterAll
  static void stop() {
    Await.result(server.stop().eventually(vertx::close));
  }

  @Test
  void theRouterAndTheContractListTheSameRoutes() {
    ApiServices services = server.services().api();
    Router router =
        ApiRouter.create(
            vertx,
            services,
            new LiveFeed(
                vertx,
                services.pulses(),
                services.waitingRoom(),
                services.presence(),
                services.clock()),
            contract,
            false);

    Set<String> routed = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      if (route.methods() == null || route.methods().isEmpty()) {
        continue; // a handler for every method under a prefix (auth, JSON only, body limits), not
        // an endpoint
      }
      if (route.getPath() == null) {
        assertThat(route.methods()).containsExactly(HttpMethod.GET);
        continue; // the static pages, /, /*.html, /css/*, /js/*
      }
      for (HttpMethod method : route.methods()) {
        routed.add(method.name() + " " + route.getPath().replaceAll(":([A-Za-z]+)", "{$1}"));
      }
    }
    assertThat(routed).containsAll(NOT_IN_CONTRACT);
    routed.removeAll(NOT_IN_CONTRACT);

    Set<String> documented = new TreeSet<>();
    JsonObject paths =
        Await.result(Utils.readYamlOrJson(vertx, ContractValidation.CONTRACT))
            .getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        if (Set.of("get", "post", "put", "patch", "delete").contains(method)) {
          documented.add(method.toUpperCase() + " " + path);
        }
      }
    }

    assertThat(routed).isEqualTo(documented);
    assertThat(new ContractValidation(contract).operationIds()).hasSize(documented.size());
  }

  @Test
  void theContractBoundsTheRateAsTheControlsDo() {
    JsonObject rate =
        contract
            .getRawContract()
            .getJsonObject("paths")
            .getJsonObject("/api/admin/sales/{saleId}/rate")
            .getJsonObject("post")
            .getJsonObject("requestBody")
            .getJsonObject("content")
            .getJsonObject("application/json")
            .getJsonObject("schema")
            .getJsonObject("properties")
            .getJsonObject("admissionRatePerSecond");
    assertThat(rate.getInteger("maximum")).isEqualTo(SaleControls.MAX_ADMISSION_RATE);
  }

  @Test
  void theContractIsServedAsYaml() {
    HttpResponse<Buffer> response = Await.result(server.client().get("/openapi.yaml").send());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("application/yaml");
    JsonObject served = Await.result(Utils.yamlStringToJson(response.bodyAsString()));
    assertThat(served.getString("openapi")).isEqualTo("3.1.0");
    assertThat(served.getJsonObject("paths").fieldNames()).contains("/api/sales/{saleId}/queue");
  }

  @Test
  void theDocsPageIsSwaggerUiFromThisServerPointedAtTheContract() {
    HttpResponse<Buffer> page = Await.result(server.client().get("/docs").send());

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.getHeader("Content-Type")).startsWith("text/html");
    assertThat(page.getHeader("Content-Security-Policy")).contains("script-src 'self'");
    Matcher assets = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(page.bodyAsString());
    int found = 0;
    while (assets.find()) {
      String asset = assets.group(1);
      assertThat(asset).as("served from this server, not a CDN").startsWith("/");
      HttpResponse<Buffer> loaded = Await.result(server.client().get(asset).send());
      assertThat(loaded.statusCode()).as(asset).isEqualTo(200);
      found++;
    }
    assertThat(found).isGreaterThanOrEqualTo(4);
    String init = Await.result(server.client().get("/docs/init.js").send()).bodyAsString();
    assertThat(init).contains("url: '/openapi.yaml'");
  }
}

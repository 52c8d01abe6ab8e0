package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.StoreSnapshot;
import io.flashsale.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.openapi.impl.Utils;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad requests drawn from openapi.yaml itself: for every operation, each body field of the wrong
 * type, null where required, missing, too long, out of range, outside its enum or pattern, an
 * unknown field where the body is closed, a path id that is no id, a header that breaks its
 * pattern. Each must get a 4xx problem+json (400 {@code VALIDATION_FAILED} naming the field for a
 * body or header, 404 for a path id) and leave PostgreSQL and Redis exactly as they were. The cases
 * are enumerated, not random, so a failure replays exactly; a new field in the contract is fuzzed
 * without touching this test.
 */
class ContractFuzzTest {

  /** Valid values for fields whose pattern a generic "a" would not match. */
  private static final Map<String, Object> VALID =
      Map.of(
          "currency",
          "EUR",
          "email",
          "fuzz@example.com",
          "name",
          "fuzz",
          "paymentMethodId",
          "card_1");

  private static Vertx vertx;
  private static TestServer server;
  private static JsonObject contract;
  private static String saleId;
  private static String queuedSaleId;
  private static String orderId;

  record Case(
      String description,
      HttpMethod method,
      String path,
      Map<String, String> headers,
      String body,
      int status,
      String code,
      String field) {}

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server = Await.result(TestServer.start(vertx, Map.of("FLASHSALE_DEMO", "true")));
    contract = Await.result(Utils.readYamlOrJson(vertx, ContractValidation.CONTRACT));
    saleId = Await.result(server.createSale(5, new JsonObject())).getString("saleId");
    queuedSaleId =
        Await.result(
                server.createSale(
                    5,
                    new JsonObject()
                        .put("waitingRoom", true)
                        .put("startTime", Instant.now().plusSeconds(3_600).toString())
                        .put("endTime", Instant.now().plusSeconds(7_200).toString())))
            .getString("saleId");
    orderId =
        Await.result(server.purchase(saleId, "owner", 1)).bodyAsJsonObject().getString("orderId");
  }

  @AfterAll
  static void stop() {
    Await.result(server.stop().eventually(vertx::close));
  }

  @Test
  void everyBreachOfTheContractIsRefusedNamingTheFieldAndChangesNothing() throws Exception {
    String before = StoreSnapshot.of(server, List.of(saleId, queuedSaleId));
    List<Case> cases = cases();
    List<Future<HttpResponse<Buffer>>> replies = new ArrayList<>();
    for (Case c : cases) {
      HttpRequest<Buffer> request = server.client().request(c.method(), c.path());
      request.bearerTokenAuthentication(
          c.path().startsWith("/api/admin") ? server.adminToken() : server.token("fuzzer"));
      c.headers().forEach(request::putHeader);
      replies.add(
          c.body() == null
              ? request.send()
              : request
                  .putHeader("Content-Type", "application/json")
                  .sendBuffer(Buffer.buffer(c.body())));
    }
    Await.result(Future.join(replies), Duration.ofMinutes(2));

    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      HttpResponse<Buffer> response = replies.get(i).result();
      String what = c.description() + ": " + c.method() + " " + c.path() + " " + c.body();
      assertThat(response.statusCode())
          .as("%s -> %s", what, response.bodyAsString())
          .isEqualTo(c.status());
      assertThat(response.getHeader("Content-Type")).as(what).isEqualTo("application/problem+json");
      JsonObject problem = response.bodyAsJsonObject();
      assertThat(problem.getString("code")).as(what).isEqualTo(c.code());
      if (c.field() != null) {
        assertThat(problem.getString("detail")).as(what).contains(c.field());
      }
    }
    assertThat(cases).as("the contract yields enough cases").hasSizeGreaterThan(150);
    assertThat(StoreSnapshot.of(server, List.of(saleId, queuedSaleId)))
        .as("PostgreSQL and Redis unchanged")
        .isEqualTo(before);
  }

  private static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    JsonObject paths = contract.getJsonObject("paths");
    for (String template : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(template);
      for (String verb : item.fieldNames()) {
        if (!Set.of("get", "post", "put", "patch", "delete").contains(verb)) {
          continue;
        }
        JsonObject operation = item.getJsonObject(verb);
        HttpMethod method = HttpMethod.valueOf(verb.toUpperCase());
        List<JsonObject> parameters = new ArrayList<>();
        item.getJsonArray("parameters", new JsonArray())
            .forEach(p -> parameters.add(resolve((JsonObject) p)));
        operation
            .getJsonArray("parameters", new JsonArray())
            .forEach(p -> parameters.add(resolve((JsonObject) p)));
        String path = concrete(template, Map.of());
        JsonObject bodySchema =
            operation.containsKey("requestBody")
                ? resolve(
                    operation
                        .getJsonObject("requestBody")
                        .getJsonObject("content")
                        .getJsonObject("application/json")
                        .getJsonObject("schema"))
                : null;
        String validBody = bodySchema == null ? null : valid(bodySchema).encode();

        for (JsonObject parameter : parameters) {
          JsonObject schema = resolve(parameter.getJsonObject("schema"));
          String name = parameter.getString("name");
          if (parameter.getString("in").equals("path") && schema.containsKey("pattern")) {
            cases.add(
                new Case(
                    name + " that is no id",
                    method,
                    concrete(template, Map.of(name, "not-an-id")),
                    Map.of(),
                    validBody,
                    404,
                    "NOT_FOUND",
                    null));
          }
          if (parameter.getString("in").equals("header") && schema.containsKey("pattern")) {
            cases.add(
                new Case(
                    name + " breaking its pattern",
                    method,
                    path,
                    Map.of(name, "no spaces; allowed"),
                    validBody,
                    400,
                    "VALIDATION_FAILED",
                    name));
            cases.add(
                new Case(
                    name + " too long",
                    method,
                    path,
                    Map.of(name, "a".repeat(129)),
                    validBody,
                    400,
                    "VALIDATION_FAILED",
                    name));
          }
        }
        if (bodySchema != null) {
          bodyCases(cases, method, path, bodySchema, valid(bodySchema), "");
        }
      }
    }
    return cases;
  }

  /** Every way to break each field of {@code schema}, inside an otherwise valid body. */
  private static void bodyCases(
      List<Case> cases,
      HttpMethod method,
      String path,
      JsonObject schema,
      JsonObject body,
      String prefix) {
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    List<?> required = schema.getJsonArray("required", new JsonArray()).getList();
    for (String field : properties.fieldNames()) {
      JsonObject property = resolve(properties.getJsonObject(field));
      List<Object> wrong = new ArrayList<>();
      switch (property.getString("type", "")) {
        case "integer" -> {
          wrong.addAll(List.of("1", 1.5, 1.0, true, new JsonObject(), new JsonArray().add(1)));
          if ("int32".equals(property.getString("format"))) {
            wrong.add(4294967297L);
          }
          if (property.containsKey("minimum")) {
            wrong.add(property.getLong("minimum") - 1);
          }
          if (property.containsKey("maximum")) {
            wrong.add(property.getLong("maximum") + 1);
          }
        }
        case "string" -> {
          wrong.addAll(List.of(7, true, new JsonObject(), new JsonArray().add("a")));
          if (property.containsKey("maxLength")) {
            wrong.add("a".repeat(property.getInteger("maxLength") + 1));
          }
          if (property.containsKey("pattern")
              || property.containsKey("enum")
              || property.containsKey("format")) {
            wrong.addAll(List.of("", "   ", "a\u0000b"));
          }
          if (property.containsKey("enum") || property.containsKey("format")) {
            wrong.add("NOT A CHOICE!");
          }
        }
        case "boolean" -> wrong.addAll(List.of("true", 1, new JsonObject()));
        case "object" -> {
          wrong.addAll(List.of("x", 1, new JsonArray()));
          JsonObject nested = valid(property);
          bodyCases(cases, method, path, property, nested, prefix + field + ".");
        }
        default -> {}
      }
      for (Object value : wrong) {
        JsonObject bad = body.copy();
        put(bad, prefix, field, value);
        cases.add(
            new Case(
                prefix + field + " = " + clip(value),
                method,
                path,
                Map.of(),
                bad.encode(),
                400,
                "VALIDATION_FAILED",
                field));
      }
      if (prefix.isEmpty() && required.contains(field)) {
        JsonObject missing = body.copy();
        missing.remove(field);
        cases.add(
            new Case(
                field + " missing",
                method,
                path,
                Map.of(),
                missing.encode(),
                400,
                "VALIDATION_FAILED",
                field));
        cases.add(
            new Case(
                field + " null",
                method,
                path,
                Map.of(),
                body.copy().putNull(field).encode(),
                400,
                "VALIDATION_FAILED",
                field));
      }
    }
    if (Boolean.FALSE.equals(schema.getValue("additionalProperties"))) {
      JsonObject extra = body.copy();
      put(extra, prefix, "unexpectedField", 1);
      cases.add(
          new Case(
              prefix + "unexpectedField",
              method,
              path,
              Map.of(),
              extra.encode(),
              400,
              "VALIDATION_FAILED",
              "unexpectedField"));
    }
    if (prefix.isEmpty()) {
      cases.add(
          new Case(
              "a JSON array",
              method,
              path,
              Map.of(),
              "[" + body.encode() + "]",
              400,
              "VALIDATION_FAILED",
              null));
      cases.add(
          new Case(
              "malformed JSON",
              method,
              path,
              Map.of(),
              body.encode().replaceFirst("}$", ""),
              400,
              "VALIDATION_FAILED",
              null));
      cases.add(
          new Case(
              "an enormous number",
              method,
              path,
              Map.of(),
              body.copy().put("quantity", "HUGE").encode().replace("\"HUGE\"", "1e400"),
              400,
              "VALIDATION_FAILED",
              null));
    }
  }

  private static void put(JsonObject body, String prefix, String field, Object value) {
    if (prefix.isEmpty()) {
      body.put(field, value);
    } else {
      String parent = prefix.substring(0, prefix.length() - 1);
      body.put(parent, body.getJsonObject(parent, new JsonObject()).copy().put(field, value));
    }
  }

  /** The smallest valid value: required fields only (and the first choice of a one-of). */
  private static JsonObject valid(JsonObject schema) {
    JsonObject body = new JsonObject();
    List<Object> required =
        new ArrayList<>(schema.getJsonArray("required", new JsonArray()).getList());
    if (schema.containsKey("oneOf")) {
      required.addAll(
          schema.getJsonArray("oneOf").getJsonObject(0).getJsonArray("required").getList());
    }
    for (Object name : required) {
      JsonObject property =
          resolve(schema.getJsonObject("properties").getJsonObject((String) name));
      body.put(
          (String) name,
          VALID.getOrDefault(
              (String) name,
              switch (property.getString("type")) {
                case "integer" -> property.getLong("minimum", 1L);
                case "boolean" -> false;
                case "object" -> valid(property);
                default ->
                    property.containsKey("enum") ? property.getJsonArray("enum").getValue(0) : "a";
              }));
    }
    return body;
  }

  /**
   * A concrete path for a template: this test's own sale and order, unless {@code override} names a
   * value.
   */
  private static String concrete(String template, Map<String, String> override) {
    String sale = template.contains("/queue") || template.contains("/live") ? queuedSaleId : saleId;
    return template
        .replace("{saleId}", override.getOrDefault("saleId", sale))
        .replace("{orderId}", override.getOrDefault("orderId", orderId))
        .replace("{ticketId}", override.getOrDefault("ticketId", "me"))
        .replace("{userId}", override.getOrDefault("userId", "nobody"))
        .replace("{fingerprint}", override.getOrDefault("fingerprint", "no-device"))
        .replace("{part}", override.getOrDefault("part", "orders"));
  }

  private static JsonObject resolve(JsonObject node) {
    while (node.containsKey("$ref")) {
      Object target = contract;
      for (String segment : node.getString("$ref").substring(2).split("/")) {
        target = ((JsonObject) target).getValue(segment);
      }
      node = (JsonObject) target;
    }
    return node;
  }

  private static String clip(Object value) {
    String text = String.valueOf(value);
    return text.length() > 20 ? text.substring(0, 20) + "..." : text;
  }
}

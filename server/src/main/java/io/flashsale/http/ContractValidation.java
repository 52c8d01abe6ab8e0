package io.flashsale.http;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.impl.Utils;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks each request against its operation in {@code openapi.yaml} before the route's handler
 * runs: path, header and query parameters and the JSON body, each by the schema the contract gives
 * it. A refusal is {@code 400 VALIDATION_FAILED} naming the field, except a path id that fails its
 * schema, which names nothing and is {@code 404 NOT_FOUND} like an unknown id.
 *
 * <p>Why not vertx-openapi's {@code RequestValidator.validate(...)}: it moves every request to a
 * worker thread ({@code executeBlocking}) and builds a new schema validator per call (measured here
 * at 250 µs and more per join, most of it the thread hop), and vertx-json-schema's interpreter
 * alone costs 10-30 µs for a two-field body. So each operation's schemas are compiled once: {@link
 * CompiledSchema} answers valid requests on the event loop (about 1-4 µs for a join or purchase,
 * path id, header and body, JSON decoding included), and only a request it doubts goes to
 * vertx-json-schema's validator (built once per operation), whose verdict and errors make the 400.
 * And why not vertx-web-openapi-router's RouterBuilder: it builds its own router, so our handler
 * order (timings, failure handler, JSON-only, public marks, body limit, auth, admin) and the page
 * routes would have to be rebuilt around it, and it validates with the same worker-thread hop,
 * failing with a bare 400 that names no field.
 *
 * <p>One instance per router (per event loop); the {@link OpenAPIContract} it reads is loaded once
 * per process and only read.
 */
final class ContractValidation {

  /** The contract on the classpath, also served as {@code /openapi.yaml}. */
  static final String CONTRACT = "openapi.yaml";

  private static final String BODY = "contract.body";
  private static final Set<String> WRAPPERS =
      Set.of(
          "properties",
          "$ref",
          "allOf",
          "anyOf",
          "items",
          "prefixItems",
          "patternProperties",
          "dependentSchemas",
          "then",
          "else",
          "not");
  private static final Pattern REQUIRED = Pattern.compile("required property \"(.*)\"");

  private final JsonObject raw;
  private final SchemaRepository schemas;
  private final Map<String, Check> checks = new HashMap<>();

  ContractValidation(OpenAPIContract contract) {
    // Plain JSON: the loaded contract holds its references as lazy proxies that list no keys of
    // their own.
    this.raw = new JsonObject(contract.getRawContract().encode());
    this.schemas = contract.getSchemaRepository();
    for (Operation operation : contract.operations()) {
      checks.put(operation.getOperationId(), compile(operation));
    }
  }

  /** Reads and checks the contract; once per process, before any server starts. */
  static Future<OpenAPIContract> load(Vertx vertx) {
    return Utils.readYamlOrJson(vertx, CONTRACT)
        .compose(document -> OpenAPIContract.from(vertx, forValidation(document)));
  }

  /**
   * The contract as vertx-openapi 5.0 can read it: it refuses an operation whose responses use a
   * media type outside its short list ({@code application/problem+json}, {@code text/csv}). Only
   * requests are validated, so the response content is dropped from this copy; the document served
   * at {@code /openapi.yaml} keeps it.
   */
  static JsonObject forValidation(JsonObject document) {
    JsonObject copy = document.copy();
    for (Map.Entry<String, Object> path : copy.getJsonObject("paths")) {
      for (Map.Entry<String, Object> operation : (JsonObject) path.getValue()) {
        if (operation.getValue() instanceof JsonObject op
            && op.getValue("responses") instanceof JsonObject responses) {
          for (Map.Entry<String, Object> response : responses) {
            if (response.getValue() instanceof JsonObject answer
                && answer.getValue("content") instanceof JsonObject content) {
              content.fieldNames().removeIf(type -> !MediaType.isMediaTypeSupported(type));
            }
          }
        }
      }
    }
    if (copy.getValue("components") instanceof JsonObject components
        && components.getValue("responses") instanceof JsonObject responses) {
      for (Map.Entry<String, Object> response : responses) {
        if (response.getValue() instanceof JsonObject answer
            && answer.getValue("content") instanceof JsonObject content) {
          content.fieldNames().removeIf(type -> !MediaType.isMediaTypeSupported(type));
        }
      }
    }
    return copy;
  }

  /**
   * The handler that checks a request against {@code operationId}; an unknown id fails at startup.
   */
  Handler<RoutingContext> of(String operationId) {
    Check check = checks.get(operationId);
    if (check == null) {
      throw new IllegalArgumentException("no operation " + operationId + " in " + CONTRACT);
    }
    return check;
  }

  /** The operation ids of the contract: what the router must mount, each once. */
  Set<String> operationIds() {
    return checks.keySet();
  }

  /**
   * Checks a body as the handler of {@code operationId} would: the checked object, or the refusal
   * thrown.
   */
  JsonObject checkBody(String operationId, Buffer raw) {
    return ((Check) of(operationId)).checkBody(raw);
  }

  /**
   * The fast path's and vertx-json-schema's verdicts on a body, for {@code CompiledSchemaTest}; the
   * fast one is null when the operation's schema was not compiled.
   */
  Boolean[] verdicts(String operationId, Object body) {
    Check check = (Check) of(operationId);
    return new Boolean[] {
      check.fastBody == null ? null : check.fastBody.accepts(body),
      check.body.validate(body).getValid()
    };
  }

  /** The checked body: a JSON object ({@code {}} when none was sent), nulls read as absent. */
  static JsonObject body(RoutingContext ctx) {
    JsonObject body = ctx.get(BODY);
    return body == null ? new JsonObject() : body;
  }

  private Check compile(Operation operation) {
    List<ParameterCheck> parameters = new ArrayList<>();
    for (Parameter parameter : operation.getParameters()) {
      if (!"string".equals(parameter.getSchema().get("type"))) {
        // Only strings need no parsing before the schema; a number parameter would need a
        // transformer.
        throw new IllegalStateException(
            operation.getOperationId()
                + ": parameter "
                + parameter.getName()
                + " must be a string in "
                + CONTRACT);
      }
      JsonObject schema = new JsonObject();
      parameter
          .getSchema()
          .fieldNames()
          .forEach(key -> schema.put(key, parameter.getSchema().<Object>get(key)));
      parameters.add(
          new ParameterCheck(
              parameter.getName(),
              parameter.getIn(),
              parameter.isRequired(),
              CompiledSchema.of(schema, this::reference),
              schemas.validator(parameter.getSchema()),
              schemaOf(parameter.getSchema().get("x-invalid"))));
    }
    Validator body = null;
    JsonObject bodySchema = null;
    if (operation.getRequestBody() != null) {
      MediaType json = operation.getRequestBody().getContent().get("application/json");
      if (json == null || json.getSchema() == null) {
        throw new IllegalStateException(
            operation.getOperationId() + ": a body must be application/json with a schema");
      }
      body = schemas.validator(json.getSchema());
      bodySchema =
          resolve(
              raw.getJsonObject("paths")
                  .getJsonObject(operation.getOpenAPIPath())
                  .getJsonObject(operation.getHttpMethod().name().toLowerCase(Locale.ROOT))
                  .getJsonObject("requestBody")
                  .getJsonObject("content")
                  .getJsonObject("application/json")
                  .getJsonObject("schema"));
    }
    return new Check(
        List.copyOf(parameters),
        bodySchema == null ? null : CompiledSchema.of(bodySchema, this::reference),
        body,
        bodySchema);
  }

  private static String schemaOf(Object invalid) {
    return invalid instanceof String text ? text : null;
  }

  private record ParameterCheck(
      String name,
      Location in,
      boolean required,
      CompiledSchema fast,
      Validator validator,
      String invalid) {

    boolean accepts(String value) {
      return (fast != null && fast.accepts(value)) || validator.validate(value).getValid();
    }
  }

  private final class Check implements Handler<RoutingContext> {
    private final List<ParameterCheck> parameters;
    private final CompiledSchema fastBody;
    private final Validator body;
    private final JsonObject bodySchema;

    Check(
        List<ParameterCheck> parameters,
        CompiledSchema fastBody,
        Validator body,
        JsonObject bodySchema) {
      this.parameters = parameters;
      this.fastBody = fastBody;
      this.body = body;
      this.bodySchema = bodySchema;
    }

    @Override
    public void handle(RoutingContext ctx) {
      for (ParameterCheck parameter : parameters) {
        String value =
            switch (parameter.in()) {
              case PATH -> ctx.pathParam(parameter.name());
              case HEADER -> ctx.request().getHeader(parameter.name());
              case QUERY -> ctx.request().getParam(parameter.name());
              case COOKIE ->
                  ctx.request().getCookie(parameter.name()) == null
                      ? null
                      : ctx.request().getCookie(parameter.name()).getValue();
            };
        if (value == null) {
          if (parameter.required()) {
            throw refusal(parameter, value);
          }
          continue;
        }
        if (!parameter.accepts(value)) {
          throw refusal(parameter, value);
        }
      }
      if (body != null) {
        JsonObject checked = checkBody(ctx.body() == null ? null : ctx.body().buffer());
        ctx.put(BODY, checked);
      }
      ctx.next();
    }

    JsonObject checkBody(Buffer buffer) {
      Object value;
      if (buffer == null || buffer.length() == 0) {
        value = new JsonObject();
      } else {
        try {
          value = Json.decodeValue(buffer);
        } catch (DecodeException e) {
          throw invalid("the body is not valid JSON");
        }
      }
      if (!(value instanceof JsonObject object)) {
        throw invalid("the body must be a JSON object");
      }
      dropNulls(object);
      if (fastBody != null && fastBody.accepts(object)) {
        return object;
      }
      OutputUnit result = body.validate(object);
      if (!result.getValid()) {
        throw invalid(detail(result, bodySchema, object));
      }
      return object;
    }
  }

  /** A path id that fails its schema names nothing: the same answer as an unknown one. */
  private static FlashSaleException refusal(ParameterCheck parameter, String value) {
    if (parameter.in() == Location.PATH) {
      String what =
          parameter.name().endsWith("Id")
              ? parameter.name().substring(0, parameter.name().length() - 2)
              : parameter.name();
      return new FlashSaleException(
          ErrorCode.NOT_FOUND, "no " + what + " " + Problems.clip(String.valueOf(value)));
    }
    if (value == null) {
      return invalid(parameter.name() + " is required");
    }
    return invalid(
        parameter.name()
            + " "
            + (parameter.invalid() == null ? "is not valid" : parameter.invalid()));
  }

  /**
   * "An explicit null reads as absent": a required field sent as null is missing, an optional one
   * defaults.
   */
  private static void dropNulls(JsonObject object) {
    Iterator<Map.Entry<String, Object>> fields = object.iterator();
    while (fields.hasNext()) {
      Object value = fields.next().getValue();
      if (value == null) {
        fields.remove();
      } else if (value instanceof JsonObject nested) {
        dropNulls(nested);
      }
    }
  }

  /** One sentence naming the field that broke the schema, from the schema's own rules. */
  private String detail(OutputUnit result, JsonObject schema, JsonObject instance) {
    List<OutputUnit> errors = result.getErrors() == null ? List.of() : result.getErrors();
    for (OutputUnit error : errors) {
      if (keyword(error).equals("oneOf")) {
        return oneOf(
            at(schema, pointer(error.getInstanceLocation())), pointer(error.getInstanceLocation()));
      }
    }
    OutputUnit chosen = null;
    for (OutputUnit error : errors) {
      if (!WRAPPERS.contains(keyword(error)) && !error.getKeywordLocation().contains("/oneOf/")) {
        chosen = error;
        break;
      }
    }
    if (chosen == null) {
      return "the body does not match the contract";
    }
    List<String> path = pointer(chosen.getInstanceLocation());
    String keyword = keyword(chosen);
    if (keyword.equals("required")) {
      Matcher missing = REQUIRED.matcher(String.valueOf(chosen.getError()));
      List<String> field = new ArrayList<>(path);
      field.add(missing.find() ? missing.group(1) : "a field");
      return name(field) + " is required";
    }
    if (keyword.equals("additionalProperties")) {
      return name(path) + " is not a field of this request";
    }
    if (path.isEmpty()) {
      return "the body must be a JSON object";
    }
    return name(path) + " " + rule(keyword, at(schema, path));
  }

  /** What the field must be, in the words of its schema. */
  private static String rule(String keyword, JsonObject schema) {
    if (schema == null) {
      return "is not valid";
    }
    if (schema.getValue("x-invalid") instanceof String invalid) {
      return invalid;
    }
    String type = String.valueOf(schema.getValue("type"));
    if (type.equals("integer")) {
      Object min = schema.getValue("minimum");
      Object max = schema.getValue("maximum");
      return min != null && max != null
          ? "must be an integer between " + min + " and " + max
          : "must be an integer";
    }
    return switch (keyword) {
      case "maxLength" -> "must be at most " + schema.getValue("maxLength") + " characters";
      case "minLength" -> "must be at least " + schema.getValue("minLength") + " characters";
      case "enum" -> "must be one of " + schema.getValue("enum");
      case "pattern" -> "must match " + schema.getValue("pattern");
      default ->
          switch (type) {
            case "string" -> "must be a string";
            case "boolean" -> "must be true or false";
            case "object" -> "must be an object";
            case "array" -> "must be an array";
            default -> "is not valid";
          };
    };
  }

  private static String oneOf(JsonObject schema, List<String> path) {
    List<String> names = new ArrayList<>();
    if (schema != null && schema.getValue("oneOf") instanceof JsonArray choices) {
      for (Object choice : choices) {
        if (choice instanceof JsonObject option
            && option.getValue("required") instanceof JsonArray required) {
          required.forEach(name -> names.add(String.valueOf(name)));
        }
      }
    }
    return (path.isEmpty() ? "the body" : name(path))
        + " needs exactly one of "
        + String.join(", ", names);
  }

  /** The sub-schema at an instance path, through {@code properties} (and any {@code $ref}). */
  private JsonObject at(JsonObject schema, List<String> path) {
    JsonObject node = resolve(schema);
    for (String segment : path) {
      if (node == null
          || !(node.getValue("properties") instanceof JsonObject properties)
          || !(properties.getValue(segment) instanceof JsonObject next)) {
        return null;
      }
      node = resolve(next);
    }
    return node;
  }

  private JsonObject reference(String ref) {
    return resolve(new JsonObject().put("$ref", ref));
  }

  private JsonObject resolve(JsonObject node) {
    // The loaded contract names its references absolutely (app:///#/components/...): this document.
    for (int depth = 0;
        node != null
            && node.getValue("$ref") instanceof String ref
            && ref.contains("#/")
            && depth < 8;
        depth++) {
      Object target = raw;
      for (String segment : ref.substring(ref.indexOf("#/") + 2).split("/")) {
        target = target instanceof JsonObject object ? object.getValue(unescape(segment)) : null;
      }
      node = target instanceof JsonObject object ? object : null;
    }
    return node;
  }

  private static String keyword(OutputUnit error) {
    String location = error.getKeywordLocation();
    return location == null ? "" : location.substring(location.lastIndexOf('/') + 1);
  }

  /** A JSON pointer ({@code #/proofOfWork/solution}) as its segments. */
  private static List<String> pointer(String location) {
    List<String> segments = new ArrayList<>();
    if (location != null) {
      for (String segment : location.replaceFirst("^#", "").split("/")) {
        if (!segment.isEmpty()) {
          segments.add(unescape(segment));
        }
      }
    }
    return segments;
  }

  private static String unescape(String segment) {
    return segment.replace("~1", "/").replace("~0", "~");
  }

  /** The field as a client wrote it, {@code proofOfWork.solution}; quoted back, so clipped. */
  private static String name(List<String> path) {
    return Problems.clip(String.join(".", path));
  }

  static FlashSaleException invalid(String detail) {
    return new FlashSaleException(ErrorCode.VALIDATION_FAILED, detail);
  }
}

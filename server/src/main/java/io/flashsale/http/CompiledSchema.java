package io.flashsale.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The fast path of {@link ContractValidation}: a JSON schema turned once into a tree of plain
 * checks (types, int32/int64, ranges, lengths, precompiled patterns, enums of strings, required,
 * closed objects, one-of-required), so a valid join body costs well under a microsecond instead of
 * the ~10 µs of vertx-json-schema's interpreter. It only ever says "valid" or "look closer": a
 * request it doubts goes to vertx-json-schema, whose verdict and errors decide. A schema that uses
 * a keyword outside this subset is not compiled at all ({@link #of} answers null) and every request
 * goes to vertx-json-schema. {@code CompiledSchemaTest} checks that both agree on the contract's
 * own bad inputs.
 */
final class CompiledSchema {

  /** Keywords that say nothing about validity. */
  private static final Set<String> ANNOTATIONS =
      Set.of(
          "description",
          "default",
          "examples",
          "title",
          "example",
          "deprecated",
          "readOnly",
          "writeOnly");

  // The same expression as vertx-json-schema's "uuid" format.
  private static final Pattern UUID =
      Pattern.compile(
          "^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$", Pattern.CASE_INSENSITIVE);

  private final Set<String> types;
  private final String format;
  private final Number minimum;
  private final Number maximum;
  private final Integer minLength;
  private final Integer maxLength;
  private final Pattern pattern;
  private final Set<String> choices;
  private final Map<String, CompiledSchema> properties;
  private final List<String> required;
  private final boolean closed;
  private final List<List<String>> oneOfRequired;

  private CompiledSchema(JsonObject schema, Function<String, JsonObject> refs) {
    Object type = schema.getValue("type");
    types =
        type == null
            ? null
            : type instanceof JsonArray many ? toStrings(many) : Set.of(String.valueOf(type));
    format = schema.getString("format");
    minimum = (Number) schema.getValue("minimum");
    maximum = (Number) schema.getValue("maximum");
    minLength = schema.getInteger("minLength");
    maxLength = schema.getInteger("maxLength");
    pattern = schema.containsKey("pattern") ? Pattern.compile(schema.getString("pattern")) : null;
    choices = schema.containsKey("enum") ? toStrings(schema.getJsonArray("enum")) : null;
    required =
        schema.containsKey("required")
            ? List.copyOf(toStrings(schema.getJsonArray("required")))
            : List.of();
    closed = Boolean.FALSE.equals(schema.getValue("additionalProperties"));
    properties = new HashMap<>();
    JsonObject declared = schema.getJsonObject("properties", new JsonObject());
    for (String name : declared.fieldNames()) {
      CompiledSchema property = compile(declared.getJsonObject(name), refs);
      if (property == null) {
        throw new Unsupported();
      }
      properties.put(name, property);
    }
    oneOfRequired = new ArrayList<>();
    if (schema.containsKey("oneOf")) {
      for (Object option : schema.getJsonArray("oneOf")) {
        if (!(option instanceof JsonObject choice)
            || !choice.fieldNames().equals(Set.of("required"))) {
          throw new Unsupported();
        }
        oneOfRequired.add(List.copyOf(toStrings(choice.getJsonArray("required"))));
      }
    }
  }

  /** The compiled schema, or null when it uses anything this class does not check exactly. */
  static CompiledSchema of(JsonObject schema, Function<String, JsonObject> refs) {
    try {
      return compile(schema, refs);
    } catch (Unsupported | ClassCastException e) {
      return null;
    }
  }

  private static CompiledSchema compile(JsonObject schema, Function<String, JsonObject> refs) {
    JsonObject node = schema;
    for (int depth = 0; node != null && node.containsKey("$ref"); depth++) {
      if (node.size() != 1 || depth > 8) {
        throw new Unsupported();
      }
      node = refs.apply(node.getString("$ref"));
    }
    if (node == null) {
      throw new Unsupported();
    }
    for (String keyword : node.fieldNames()) {
      boolean known =
          switch (keyword) {
            case "type",
                "minimum",
                "maximum",
                "minLength",
                "maxLength",
                "pattern",
                "required",
                "properties",
                "oneOf" ->
                true;
            case "format" -> Set.of("int32", "int64", "uuid").contains(node.getString("format"));
            case "enum" -> node.getJsonArray("enum").stream().allMatch(String.class::isInstance);
            case "additionalProperties" ->
                Boolean.FALSE.equals(node.getValue("additionalProperties"));
            default ->
                ANNOTATIONS.contains(keyword)
                    || keyword.startsWith("x-")
                    || keyword.startsWith("__");
          };
      if (!known) {
        throw new Unsupported();
      }
    }
    return new CompiledSchema(node, refs);
  }

  /** True only when the value certainly satisfies the schema. */
  boolean accepts(Object value) {
    if (types != null
        && !types.contains(typeOf(value))
        && !(types.contains("integer") && isInteger(value))) {
      return false;
    }
    if (value instanceof String text) {
      return acceptsText(text);
    }
    if (value instanceof Number number) {
      return acceptsNumber(number);
    }
    if (value instanceof JsonObject object) {
      return acceptsObject(object);
    }
    return choices == null;
  }

  private boolean acceptsText(String text) {
    if (minLength != null || maxLength != null) {
      int length = text.codePointCount(0, text.length());
      if ((minLength != null && length < minLength) || (maxLength != null && length > maxLength)) {
        return false;
      }
    }
    if (pattern != null && !pattern.matcher(text).find()) {
      return false;
    }
    if ("uuid".equals(format) && !UUID.matcher(text).find()) {
      return false;
    }
    return choices == null || choices.contains(text);
  }

  private boolean acceptsNumber(Number number) {
    if (choices != null) {
      return false;
    }
    if (types != null
        && types.contains("integer")
        && !types.contains("number")
        && !isInteger(number)) {
      return false;
    }
    if ("int32".equals(format) && !(number instanceof Integer)) {
      return false;
    }
    if ("int64".equals(format) && !(number instanceof Integer || number instanceof Long)) {
      return false;
    }
    return (minimum == null || compare(number, minimum) >= 0)
        && (maximum == null || compare(number, maximum) <= 0);
  }

  private boolean acceptsObject(JsonObject object) {
    if (choices != null) {
      return false;
    }
    for (String name : required) {
      if (!object.containsKey(name)) {
        return false;
      }
    }
    for (Map.Entry<String, Object> field : object) {
      CompiledSchema property = properties.get(field.getKey());
      if (property == null ? closed : !property.accepts(field.getValue())) {
        return false;
      }
    }
    if (!oneOfRequired.isEmpty()) {
      int matches = 0;
      for (List<String> option : oneOfRequired) {
        if (option.stream().allMatch(object::containsKey)) {
          matches++;
        }
      }
      return matches == 1;
    }
    return true;
  }

  private static String typeOf(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof Boolean) {
      return "boolean";
    }
    if (value instanceof Number) {
      return "number";
    }
    if (value instanceof String) {
      return "string";
    }
    if (value instanceof JsonObject) {
      return "object";
    }
    return value instanceof JsonArray ? "array" : "unknown";
  }

  private static boolean isInteger(Object value) {
    if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte
        || value instanceof BigInteger) {
      return true;
    }
    if (value instanceof Double || value instanceof Float) {
      double number = ((Number) value).doubleValue();
      return Double.isFinite(number) && number % 1 == 0;
    }
    return value instanceof BigDecimal decimal && decimal.stripTrailingZeros().scale() <= 0;
  }

  private static int compare(Number a, Number b) {
    if ((a instanceof Integer || a instanceof Long)
        && (b instanceof Integer || b instanceof Long)) {
      return Long.compare(a.longValue(), b.longValue());
    }
    if (a instanceof Double || a instanceof Float) {
      double value = a.doubleValue();
      if (Double.isNaN(value)) {
        return 1;
      }
      if (Double.isInfinite(value)) {
        return value > 0 ? 1 : -1;
      }
    }
    return new BigDecimal(a.toString()).compareTo(new BigDecimal(b.toString()));
  }

  private static Set<String> toStrings(JsonArray array) {
    Set<String> strings = new HashSet<>();
    for (Object item : array) {
      strings.add(String.valueOf(item));
    }
    return strings;
  }

  private static final class Unsupported extends RuntimeException {
    Unsupported() {
      super(null, null, false, false);
    }
  }
}

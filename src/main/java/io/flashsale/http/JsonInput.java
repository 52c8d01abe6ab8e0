package io.flashsale.http;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.UUID;

/** Strict reading of a JSON request body: a wrong type or an out-of-range value is a 400, never a guess. */
final class JsonInput {

  private final JsonObject body;

  private JsonInput(JsonObject body) {
    this.body = body;
  }

  /** An absent or empty body reads as {@code {}}; anything but a JSON object is refused. */
  static JsonInput of(Buffer raw) {
    if (raw == null || raw.length() == 0) {
      return new JsonInput(new JsonObject());
    }
    Object value;
    try {
      value = Json.decodeValue(raw);
    } catch (DecodeException e) {
      throw invalid("the body is not valid JSON");
    }
    if (!(value instanceof JsonObject object)) {
      throw invalid("the body must be a JSON object");
    }
    return new JsonInput(object);
  }

  boolean has(String field) {
    return body.containsKey(field);
  }

  /** A nested object, or null when absent; anything else is refused. */
  JsonObject object(String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject object)) {
      throw invalid(field + " must be an object");
    }
    return object;
  }

  /** A string that may be absent (null), never blank or longer than {@code maxLength}. */
  String optionalText(String field, int maxLength) {
    return body.containsKey(field) && body.getValue(field) != null ? text(field, maxLength) : null;
  }

  int integer(String field, int min, int max) {
    if (body.getValue(field) == null) {
      throw invalid(field + " is required");
    }
    return integer(field, 0, min, max);
  }

  int integer(String field, int fallback, int min, int max) {
    return (int) longInteger(field, fallback, min, max);
  }

  long longInteger(String field, long fallback, long min, long max) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Integer || value instanceof Long)) {
      throw invalid(field + " must be an integer between " + min + " and " + max);
    }
    long number = ((Number) value).longValue();
    if (number < min || number > max) {
      throw invalid(field + " must be an integer between " + min + " and " + max);
    }
    return number;
  }

  String text(String field, int maxLength) {
    Object value = body.getValue(field);
    if (!(value instanceof String text) || text.isBlank()) {
      throw invalid(field + " is required and must be a non-empty string");
    }
    if (text.length() > maxLength) {
      throw invalid(field + " must be at most " + maxLength + " characters");
    }
    if (text.indexOf('\0') >= 0) {
      throw invalid(field + " must not contain a NUL character");
    }
    return text;
  }

  /** An identifier such as a payment method id: letters, digits, '_' and '-' only. */
  String token(String field, String fallback, int maxLength) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String text) || !text.matches("[A-Za-z0-9_-]{1," + maxLength + "}")) {
      throw invalid(field + " must be 1 to " + maxLength + " letters, digits, '_' or '-'");
    }
    return text;
  }

  boolean bool(String field, boolean fallback) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Boolean flag)) {
      throw invalid(field + " must be true or false");
    }
    return flag;
  }

  Instant instant(String field, Instant fallback) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String text)) {
      throw invalid(field + " must be an ISO-8601 instant such as 2026-11-23T10:00:00Z");
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw invalid(field + " must be an ISO-8601 instant such as 2026-11-23T10:00:00Z");
    }
  }

  <E extends Enum<E>> E choice(String field, Class<E> type, E fallback) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    try {
      return Enum.valueOf(type, String.valueOf(value).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw invalid(field + " must be one of " + java.util.Arrays.toString(type.getEnumConstants()));
    }
  }

  /** A path id: anything that is not a UUID cannot name a sale or an order. */
  static UUID pathId(String raw, String what) {
    try {
      if (raw != null && raw.length() == 36) {
        return UUID.fromString(raw);
      }
    } catch (IllegalArgumentException e) {
      // falls through to the same answer as an unknown id
    }
    throw new FlashSaleException(ErrorCode.NOT_FOUND, "no " + what + " " + raw);
  }

  static FlashSaleException invalid(String detail) {
    return new FlashSaleException(ErrorCode.VALIDATION_FAILED, detail);
  }
}

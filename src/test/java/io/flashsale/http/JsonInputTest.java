package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.QueuePolicy;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Strict reading of request bodies, one rule at a time: a wrong type or range is a 400, never a guess. */
class JsonInputTest {

  private static JsonInput body(String json) {
    return JsonInput.of(Buffer.buffer(json));
  }

  /** Refused as a 400 VALIDATION_FAILED with exactly {@code detail}. */
  private static void refused(ThrowingCallable reading, String detail) {
    assertThatThrownBy(reading).isInstanceOf(FlashSaleException.class)
        .hasMessage(detail)
        .satisfies(e -> assertThat(((FlashSaleException) e).code()).isEqualTo(ErrorCode.VALIDATION_FAILED));
  }

  @Test
  void anAbsentOrEmptyBodyReadsAsAnEmptyObject() {
    assertThat(JsonInput.of(null).has("quantity")).isFalse();
    assertThat(JsonInput.of(Buffer.buffer()).integer("quantity", 1, 1, 10)).isEqualTo(1);
  }

  @Test
  void aBodyThatIsNotAJsonObjectIsRefused() {
    refused(() -> body("{\"quantity\": "), "the body is not valid JSON");
    refused(() -> body("[1, 2]"), "the body must be a JSON object");
    refused(() -> body("\"text\""), "the body must be a JSON object");
    refused(() -> body("null"), "the body must be a JSON object");
  }

  @Test
  void aRequiredNumberMustBePresentAndNotNull() {
    assertThat(body("{\"quantity\": 3}").integer("quantity", 1, 10)).isEqualTo(3);
    refused(() -> body("{}").integer("quantity", 1, 10), "quantity is required");
    refused(() -> body("{\"quantity\": null}").integer("quantity", 1, 10), "quantity is required");
  }

  @Test
  void anOptionalNumberFallsBackWhenAbsentOrExplicitlyNull() {
    assertThat(body("{}").integer("quantity", 1, 1, 10)).isEqualTo(1);
    assertThat(body("{\"quantity\": null}").integer("quantity", 1, 1, 10)).isEqualTo(1);
    assertThat(body("{}").longInteger("ttl", 300L, 1, 3_600)).isEqualTo(300L);
  }

  @Test
  void aNumberMustBeAWholeNumberNotAStringOrAFraction() {
    String detail = "quantity must be an integer between 1 and 10";
    refused(() -> body("{\"quantity\": \"3\"}").integer("quantity", 1, 10), detail);
    refused(() -> body("{\"quantity\": 2.5}").integer("quantity", 1, 10), detail);
    refused(() -> body("{\"quantity\": 2.0}").integer("quantity", 1, 10), detail);
    refused(() -> body("{\"quantity\": true}").integer("quantity", 1, 10), detail);
  }

  @Test
  void aNumberOutsideItsRangeIsRefusedAtBothEnds() {
    String detail = "quantity must be an integer between 1 and 10";
    assertThat(body("{\"quantity\": 1}").integer("quantity", 1, 10)).isEqualTo(1);
    assertThat(body("{\"quantity\": 10}").integer("quantity", 1, 10)).isEqualTo(10);
    refused(() -> body("{\"quantity\": 0}").integer("quantity", 1, 10), detail);
    refused(() -> body("{\"quantity\": 11}").integer("quantity", 1, 10), detail);
    refused(() -> body("{\"quantity\": -1}").integer("quantity", 1, 10), detail);
  }

  @Test
  void aNumberTooBigForAnIntIsRefusedNotWrappedAround() {
    String detail = "quantity must be an integer between 1 and " + Integer.MAX_VALUE;
    refused(() -> body("{\"quantity\": 4294967297}").integer("quantity", 1, Integer.MAX_VALUE), detail);
    refused(() -> body("{\"quantity\": 99999999999999999999999}").integer("quantity", 1, Integer.MAX_VALUE), detail);
    assertThat(body("{\"ttl\": 4294967297}").longInteger("ttl", 0, 0, Long.MAX_VALUE)).isEqualTo(4_294_967_297L);
  }

  @Test
  void textMustBeANonBlankStringWithinItsLength() {
    String required = "productName is required and must be a non-empty string";
    assertThat(body("{\"productName\": \"Kettle\"}").text("productName", 6)).isEqualTo("Kettle");
    refused(() -> body("{}").text("productName", 6), required);
    refused(() -> body("{\"productName\": null}").text("productName", 6), required);
    refused(() -> body("{\"productName\": \"   \"}").text("productName", 6), required);
    refused(() -> body("{\"productName\": 42}").text("productName", 6), required);
    refused(() -> body("{\"productName\": \"Kettles\"}").text("productName", 6),
        "productName must be at most 6 characters");
  }

  @Test
  void textWithANulCharacterIsRefused() {
    refused(() -> body("{\"productName\": \"Ket\\u0000tle\"}").text("productName", 20),
        "productName must not contain a NUL character");
  }

  @Test
  void optionalTextIsNullWhenAbsentOrNullButNeverBlank() {
    assertThat(body("{}").optionalText("note", 10)).isNull();
    assertThat(body("{\"note\": null}").optionalText("note", 10)).isNull();
    assertThat(body("{\"note\": \"hi\"}").optionalText("note", 10)).isEqualTo("hi");
    refused(() -> body("{\"note\": \"\"}").optionalText("note", 10), "note is required and must be a non-empty string");
  }

  @Test
  void aTokenIsLettersDigitsUnderscoresAndDashesWithinItsLength() {
    String detail = "paymentMethodId must be 1 to 8 letters, digits, '_' or '-'";
    assertThat(body("{}").token("paymentMethodId", "pm_card", 8)).isEqualTo("pm_card");
    assertThat(body("{\"paymentMethodId\": \"pm_vi-1\"}").token("paymentMethodId", null, 8)).isEqualTo("pm_vi-1");
    refused(() -> body("{\"paymentMethodId\": \"\"}").token("paymentMethodId", null, 8), detail);
    refused(() -> body("{\"paymentMethodId\": \"pm_card_visa\"}").token("paymentMethodId", null, 8), detail);
    refused(() -> body("{\"paymentMethodId\": \"pm card\"}").token("paymentMethodId", null, 8), detail);
    refused(() -> body("{\"paymentMethodId\": 7}").token("paymentMethodId", null, 8), detail);
  }

  @Test
  void aFlagIsTrueOrFalseNotAString() {
    assertThat(body("{}").bool("waitingRoom", true)).isTrue();
    assertThat(body("{\"waitingRoom\": false}").bool("waitingRoom", true)).isFalse();
    refused(() -> body("{\"waitingRoom\": \"false\"}").bool("waitingRoom", true), "waitingRoom must be true or false");
    refused(() -> body("{\"waitingRoom\": 0}").bool("waitingRoom", true), "waitingRoom must be true or false");
  }

  @Test
  void anInstantIsAnIso8601String() {
    String detail = "startTime must be an ISO-8601 instant such as 2026-11-23T10:00:00Z";
    Instant fallback = Instant.parse("2026-01-01T00:00:00Z");
    assertThat(body("{}").instant("startTime", fallback)).isEqualTo(fallback);
    assertThat(body("{\"startTime\": \"2026-11-23T10:00:00Z\"}").instant("startTime", null))
        .isEqualTo(Instant.parse("2026-11-23T10:00:00Z"));
    refused(() -> body("{\"startTime\": \"tomorrow\"}").instant("startTime", null), detail);
    refused(() -> body("{\"startTime\": 1764000000}").instant("startTime", null), detail);
  }

  @Test
  void aChoiceIsOneOfTheEnumsNamesInAnyCase() {
    assertThat(body("{}").choice("queuePolicy", QueuePolicy.class, QueuePolicy.FIFO)).isEqualTo(QueuePolicy.FIFO);
    assertThat(body("{\"queuePolicy\": \"fifo\"}").choice("queuePolicy", QueuePolicy.class, null))
        .isEqualTo(QueuePolicy.FIFO);
    assertThatThrownBy(() -> body("{\"queuePolicy\": \"fastest\"}").choice("queuePolicy", QueuePolicy.class, null))
        .isInstanceOf(FlashSaleException.class).hasMessageStartingWith("queuePolicy must be one of [");
  }

  @Test
  void aNestedObjectIsAnObjectOrAbsent() {
    assertThat(body("{}").object("shipping")).isNull();
    assertThat(body("{\"shipping\": {\"city\": \"Oslo\"}}").object("shipping").getString("city")).isEqualTo("Oslo");
    refused(() -> body("{\"shipping\": [\"Oslo\"]}").object("shipping"), "shipping must be an object");
  }

  @Test
  void aPathIdThatIsNotAUuidIsNotFoundRatherThanInvalid() {
    UUID id = UUID.randomUUID();
    assertThat(JsonInput.pathId(id.toString(), "sale")).isEqualTo(id);
    for (String raw : new String[] {null, "", "42", id + "0", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}) {
      assertThatThrownBy(() -> JsonInput.pathId(raw, "sale")).isInstanceOf(FlashSaleException.class)
          .satisfies(e -> assertThat(((FlashSaleException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
    }
  }
}

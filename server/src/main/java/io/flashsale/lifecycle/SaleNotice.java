package io.flashsale.lifecycle;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One countdown notice of one sale, such as "T-60": it goes out 60 minutes before {@code startTime}
 * to the e-mail addresses in {@code recipients}.
 */
public record SaleNotice(
    String saleId, String productName, String kind, Instant startTime, List<String> recipients) {

  private static final Pattern KIND = Pattern.compile("T-(\\d+)");

  public SaleNotice {
    Objects.requireNonNull(saleId, "saleId");
    Objects.requireNonNull(productName, "productName");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(startTime, "startTime");
    if (!KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException(
          "kind must read T-<minutes>, such as T-60 or T-5; got " + kind);
    }
    recipients = List.copyOf(recipients);
  }

  public int minutesBeforeStart() {
    return Integer.parseInt(kind.substring("T-".length()));
  }

  /**
   * The notice as a webhook receives it. The recipients stay out: subscribers' addresses are for
   * the mail channel, and a third-party receiver has no need to see them.
   */
  public JsonObject toJson() {
    return new JsonObject()
        .put("saleId", saleId)
        .put("productName", productName)
        .put("kind", kind)
        .put("startTime", startTime.toString());
  }
}

package io.flashsale.loadtest;

import io.vertx.core.json.JsonObject;

/** The load-test report as a person reads it in a terminal. */
final class ReportText {

  private ReportText() {}

  static String render(JsonObject report) {
    String phase = report.getString("mode").equals("queue") ? "join" : "purchase";
    JsonObject verdict = report.getJsonObject("verdict");
    JsonObject admission = report.getJsonObject("admission");
    StringBuilder text =
        new StringBuilder()
            .append("Flash sale ")
            .append(report.getString("saleId"))
            .append(" (")
            .append(report.getString("mode"))
            .append("): ")
            .append(report.getInteger("buyers"))
            .append(" buyers, ")
            .append(report.getInteger("units"))
            .append(" units, ")
            .append(report.getInteger("concurrency"))
            .append(" requests in flight\n")
            .append(line("hello-world", report.getJsonObject("helloWorld")))
            .append(line(phase, report.getJsonObject(phase)))
            .append(
                report.getDouble("throughputRatio") == null
                    ? ""
                    : String.format(
                        "%s / hello-world throughput ratio: %.3f%n",
                        phase, report.getDouble("throughputRatio")))
            .append("replies: ")
            .append(report.getJsonObject("replies").encode())
            .append('\n')
            .append("sell-out time: ")
            .append(
                report.getValue("sellOutSeconds") == null
                    ? "not sold out"
                    : report.getDouble("sellOutSeconds") + " s")
            .append('\n');
    if (report.getString("mode").equals("queue")) {
      text.append("admission rate: measured ")
          .append(admission.getValue("measuredPerSecond"))
          .append("/s, configured ")
          .append(admission.getInteger("configuredPerSecond"))
          .append("/s\n")
          .append("fairness: ")
          .append(report.getJsonObject("audit").getJsonObject("fairness").encode())
          .append('\n');
      JsonObject checkout = report.getJsonObject("checkout");
      if (checkout != null) {
        text.append("checkout: ")
            .append(checkout.getInteger("winnersSeen"))
            .append(" winners, ")
            .append(checkout.getInteger("abandoned"))
            .append(" walked away, replies ")
            .append(checkout.getJsonObject("replies").encode())
            .append(
                String.format(
                    ", p50 %.2f ms, p99 %.2f ms%n",
                    checkout.getDouble("p50Ms"), checkout.getDouble("p99Ms")))
            .append("fully paid after: ")
            .append(checkout.getValue("secondsToFullyPaid"))
            .append(" s; units recirculated: ")
            .append(checkout.getLong("unitsRecirculated"))
            .append(" (TTL ")
            .append(checkout.getInteger("checkoutTtlSeconds"))
            .append(" s)\n");
      }
      JsonObject live = report.getJsonObject("live");
      if (live.getInteger("sockets") > 0) {
        text.append("live: ")
            .append(live.getInteger("sockets"))
            .append(" sockets heard ")
            .append(live.getInteger("messages"))
            .append(" messages; last state heard ")
            .append(live.getJsonObject("lastStateHeard").encode())
            .append('\n');
      }
    }
    text.append("invariants: ")
        .append(verdict.getBoolean("held") ? "HELD " : "BROKEN ")
        .append(verdict.encode());
    return text.toString();
  }

  private static String line(String name, JsonObject stats) {
    return String.format(
        "%-12s %8d req %6d err %9.0f req/s   p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %8.2f ms%n",
        name,
        stats.getLong("requests"),
        stats.getLong("errors"),
        stats.getDouble("perSecond"),
        stats.getDouble("p50Ms"),
        stats.getDouble("p90Ms"),
        stats.getDouble("p99Ms"),
        stats.getDouble("maxMs"));
  }
}

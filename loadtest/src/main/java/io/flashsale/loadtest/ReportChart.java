package io.flashsale.loadtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * The load-test report as one self-contained HTML page: the figures and an inline SVG chart of
 * units sold and buyers waiting over time. No script, no external asset.
 */
final class ReportChart {

  private static final int WIDTH = 760;
  private static final int HEIGHT = 300;
  private static final int MARGIN = 48;

  private ReportChart() {}

  static String render(JsonObject report) {
    JsonArray timeline = report.getJsonArray("timeline");
    double maxT = 1;
    double maxSold = 1;
    double maxWaiting = 1;
    for (Object point : timeline) {
      JsonObject sample = (JsonObject) point;
      maxT = Math.max(maxT, sample.getDouble("t"));
      maxSold = Math.max(maxSold, sample.getInteger("sold"));
      maxWaiting = Math.max(maxWaiting, sample.getLong("waiting"));
    }
    String sold = polyline(timeline, "sold", maxT, maxSold);
    String waiting = polyline(timeline, "waiting", maxT, maxWaiting);
    String phase = report.getString("mode").equals("queue") ? "join" : "purchase";
    JsonObject stats = report.getJsonObject(phase);
    boolean held = report.getJsonObject("verdict").getBoolean("held");
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Flash sale load test</title>
        <style>
          body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
          table { border-collapse: collapse; } td, th { padding: .25rem .75rem; border-bottom: 1px solid #ddd; text-align: left; }
          .held { color: #0a6b2d; } .broken { color: #a31515; }
        </style></head><body>
        <h1>Flash sale load test</h1>
        <p>%d buyers, %d units, mode %s, %s. Verdict: <strong class="%s">%s</strong></p>
        <table>
          <tr><th>route</th><th>requests</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th><th>errors</th></tr>
          %s
          %s
        </table>
        <p>%s / hello-world throughput ratio: %s. Sell-out: %s s.</p>
        <h2>Units sold and buyers waiting over time</h2>
        <svg role="img" aria-label="units sold and buyers waiting over time" width="%d" height="%d" viewBox="0 0 %d %d">
          <rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>
          <polyline points="%s" fill="none" stroke="#0b5cad" stroke-width="2"/>
          <polyline points="%s" fill="none" stroke="#c25400" stroke-width="2" stroke-dasharray="6 3"/>
          <text x="%d" y="%d" font-size="12">0 s</text><text x="%d" y="%d" font-size="12" text-anchor="end">%.1f s</text>
          <text x="%d" y="%d" font-size="12" fill="#0b5cad">sold (max %d)</text>
          <text x="%d" y="%d" font-size="12" fill="#c25400">waiting (max %d)</text>
        </svg>
        <h2>Report</h2><pre>%s</pre>
        </body></html>
        """
        .formatted(
            report.getInteger("buyers"),
            report.getInteger("units"),
            report.getString("mode"),
            report.getString("at"),
            held ? "held" : "broken",
            held ? "invariants held" : "invariants broken",
            row("hello-world", report.getJsonObject("helloWorld")),
            row(phase, stats),
            phase,
            report.getDouble("throughputRatio") == null
                ? "n/a"
                : String.format("%.3f", report.getDouble("throughputRatio")),
            report.getValue("sellOutSeconds"),
            WIDTH,
            HEIGHT,
            WIDTH,
            HEIGHT,
            MARGIN,
            MARGIN / 2,
            WIDTH - 2 * MARGIN,
            HEIGHT - 2 * MARGIN,
            sold,
            waiting,
            MARGIN,
            HEIGHT - MARGIN + 16,
            WIDTH - MARGIN,
            HEIGHT - MARGIN + 16,
            maxT,
            MARGIN + 8,
            MARGIN / 2 + 16,
            (long) maxSold,
            MARGIN + 8,
            MARGIN / 2 + 32,
            (long) maxWaiting,
            escape(report.encodePrettily()));
  }

  private static String polyline(JsonArray timeline, String field, double maxT, double maxValue) {
    StringBuilder points = new StringBuilder();
    int plotWidth = WIDTH - 2 * MARGIN;
    int plotHeight = HEIGHT - 2 * MARGIN;
    for (Object point : timeline) {
      JsonObject sample = (JsonObject) point;
      double x = MARGIN + sample.getDouble("t") / maxT * plotWidth;
      double y =
          MARGIN / 2.0
              + plotHeight
              - ((Number) sample.getValue(field)).doubleValue() / maxValue * plotHeight;
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
    }
    return points.toString().trim();
  }

  private static String row(String name, JsonObject stats) {
    return "<tr><td>%s</td><td>%d</td><td>%.0f</td><td>%.2f</td><td>%.2f</td><td>%d</td></tr>"
        .formatted(
            name,
            stats.getLong("requests"),
            stats.getDouble("perSecond"),
            stats.getDouble("p50Ms"),
            stats.getDouble("p99Ms"),
            stats.getLong("errors"));
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}

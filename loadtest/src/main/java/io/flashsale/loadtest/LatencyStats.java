package io.flashsale.loadtest;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/** Throughput and latency of one phase of a run, from an HdrHistogram in microseconds. */
record LatencyStats(String name, long requests, long errors, double seconds, Histogram histogram) {

  double perSecond() {
    return seconds == 0 ? 0 : requests / seconds;
  }

  double percentileMillis(double percentile) {
    return histogram.getValueAtPercentile(percentile) / 1_000.0;
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("requests", requests)
        .put("errors", errors)
        .put("seconds", round(seconds))
        .put("perSecond", round(perSecond()))
        .put("p50Ms", round(percentileMillis(50)))
        .put("p90Ms", round(percentileMillis(90)))
        .put("p99Ms", round(percentileMillis(99)))
        .put("p999Ms", round(percentileMillis(99.9)))
        .put("maxMs", round(histogram.getMaxValue() / 1_000.0));
  }

  static Histogram newHistogram() {
    return new Histogram(TimeUnit.MINUTES.toMicros(2), 3);
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }
}

package io.flashsale.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * Fires {@code total} requests with at most {@code concurrency} in flight, each built by index, and
 * records every latency. Calls {@code onReply} with each request's index and answer.
 */
final class HttpLoad {

  /** One request to send: builds and sends it, resolving to the response with its body read. */
  interface Call {
    Future<Reply> send(HttpClient client);
  }

  record Reply(int status, Buffer body) {
    static Future<Reply> of(HttpClientResponse response) {
      return response.body().map(body -> new Reply(response.statusCode(), body));
    }
  }

  private HttpLoad() {}

  static Future<LatencyStats> run(
      String name,
      HttpClient client,
      int total,
      int concurrency,
      IntFunction<Call> callAt,
      BiConsumer<Integer, Reply> onReply) {
    Histogram histogram = LatencyStats.newHistogram();
    if (total == 0) {
      return Future.succeededFuture(new LatencyStats(name, 0, 0, 0, histogram));
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicLong errors = new AtomicLong();
    Promise<LatencyStats> finished = Promise.promise();
    long startNanos = System.nanoTime();
    Runnable[] worker = new Runnable[1];
    worker[0] =
        () -> {
          int index = next.getAndIncrement();
          if (index >= total) {
            return;
          }
          long sentNanos = System.nanoTime();
          callAt
              .apply(index)
              .send(client)
              .onComplete(
                  result -> {
                    synchronized (histogram) {
                      histogram.recordValue(Math.max(1, (System.nanoTime() - sentNanos) / 1_000));
                    }
                    if (result.succeeded()) {
                      if (result.result().status() >= 500) {
                        errors.incrementAndGet();
                      }
                      onReply.accept(index, result.result());
                    } else {
                      errors.incrementAndGet();
                      onReply.accept(
                          index, new Reply(-1, Buffer.buffer(String.valueOf(result.cause()))));
                    }
                    if (done.incrementAndGet() == total) {
                      double seconds = (System.nanoTime() - startNanos) / 1e9;
                      finished.complete(
                          new LatencyStats(name, total, errors.get(), seconds, histogram));
                    } else {
                      worker[0].run();
                    }
                  });
        };
    for (int i = 0; i < Math.min(concurrency, total); i++) {
      worker[0].run();
    }
    return finished.future();
  }
}

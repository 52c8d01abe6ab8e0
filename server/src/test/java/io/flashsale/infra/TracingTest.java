package io.flashsale.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.config.AppConfig;
import io.flashsale.support.Await;
import io.flashsale.support.Poll;
import io.flashsale.support.TestServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tracing as configured in production: the engine exports over OTLP/HTTP to a collector (here a
 * receiver the test runs, decoding the protobuf the real exporter sends). A request's server span
 * continues the caller's trace, and the Redis and SQL calls made for it are client spans in the
 * same trace.
 */
class TracingTest {

  private static final String CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

  private static final List<Span> received = new CopyOnWriteArrayList<>();
  private static Vertx collectorVertx;
  private static HttpServer collector;
  private static OpenTelemetrySdk sdk;
  private static Vertx vertx;
  private static TestServer server;

  @BeforeAll
  static void start() {
    collectorVertx = Vertx.vertx();
    collector =
        Await.result(
            collectorVertx
                .createHttpServer()
                .requestHandler(
                    request ->
                        request
                            .body()
                            .onSuccess(
                                body -> {
                                  try {
                                    ExportTraceServiceRequest export =
                                        ExportTraceServiceRequest.parseFrom(body.getBytes());
                                    export
                                        .getResourceSpansList()
                                        .forEach(
                                            resource ->
                                                resource
                                                    .getScopeSpansList()
                                                    .forEach(
                                                        scope ->
                                                            received.addAll(scope.getSpansList())));
                                    request
                                        .response()
                                        .putHeader("Content-Type", "application/x-protobuf")
                                        .end(
                                            Buffer.buffer(
                                                ExportTraceServiceResponse.getDefaultInstance()
                                                    .toByteArray()));
                                  } catch (Exception e) {
                                    request.response().setStatusCode(400).end();
                                  }
                                }))
                .listen(0, "127.0.0.1"));

    Map<String, String> tracing =
        Map.of(
            "FLASHSALE_CONFIG", "/nonexistent",
            "FLASHSALE_TRACING_OTLP_ENDPOINT",
                "http://127.0.0.1:" + collector.actualPort() + "/v1/traces",
            "FLASHSALE_TRACING_SAMPLE_RATIO", "1.0");
    sdk = Tracing.sdk(AppConfig.load(tracing).tracing());
    VertxOptions options = new VertxOptions();
    vertx = Tracing.install(Vertx.builder(), options, sdk).with(options).build();
    server = Await.result(TestServer.start(vertx, tracing));
  }

  @AfterAll
  static void stop() {
    Await.result(server.stop().eventually(vertx::close));
    sdk.close();
    Await.result(collectorVertx.close());
  }

  @Test
  void aRequestsRedisAndSqlCallsAreSpansInTheCallersTrace() {
    String saleId = Await.result(server.createSale(5, new JsonObject())).getString("saleId");
    HttpResponse<Buffer> bought = Await.result(server.purchase(saleId, "traced-buyer", 1));
    assertThat(bought.statusCode()).isEqualTo(201);
    String orderId = bought.bodyAsJsonObject().getString("orderId");

    HttpResponse<Buffer> order =
        Await.result(
            server
                .client()
                .get("/api/orders/" + orderId)
                .bearerTokenAuthentication(server.token("traced-buyer"))
                .putHeader("traceparent", "00-" + CALLER_TRACE + "-00f067aa0ba902b7-01")
                .send());
    assertThat(order.statusCode()).isEqualTo(200);

    String queued =
        Await.result(
                server.createSale(
                    5, new JsonObject().put("waitingRoom", true).put("admissionRatePerSecond", 1)))
            .getString("saleId");
    assertThat(Await.result(server.join(queued, "traced-joiner", 1)).statusCode()).isEqualTo(202);
    assertThat(Await.result(server.queueStatus(queued, "traced-joiner")).statusCode())
        .isEqualTo(200);

    // A server span ends once its response is written, which can be after the client has read
    // it: flush until the last request's span has reached the collector.
    Poll.until(
        () -> {
          assertThat(sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess())
              .isTrue();
          return queueStatusSpan().isPresent();
        },
        found -> found,
        Duration.ofSeconds(10));

    List<Span> callers = spansOf(CALLER_TRACE);
    assertThat(callers)
        .as("spans in the caller's trace: %s", describe(callers))
        .anySatisfy(
            span -> {
              assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
              assertThat(attribute(span, "url.path") + attribute(span, "http.url"))
                  .contains("/api/orders/" + orderId);
            })
        .anySatisfy(
            span -> {
              assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
              assertThat(attribute(span, "db.system")).isEqualTo("postgresql");
            });

    Span status =
        queueStatusSpan()
            .orElseThrow(
                () -> new AssertionError("no server span for queue/me in " + describe(received)));
    List<Span> statusTrace = spansOf(HexFormat.of().formatHex(status.getTraceId().toByteArray()));
    assertThat(statusTrace)
        .as("the queue status's trace: %s", describe(statusTrace))
        .anySatisfy(
            span -> {
              assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
              assertThat(attribute(span, "db.system")).isEqualTo("redis");
            });
  }

  private static Optional<Span> queueStatusSpan() {
    return received.stream()
        .filter(span -> span.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
        .filter(
            span ->
                (attribute(span, "url.path") + attribute(span, "http.url")).contains("/queue/me"))
        .findFirst();
  }

  private static List<Span> spansOf(String traceId) {
    return received.stream()
        .filter(span -> HexFormat.of().formatHex(span.getTraceId().toByteArray()).equals(traceId))
        .toList();
  }

  private static String attribute(Span span, String key) {
    return span.getAttributesList().stream()
        .filter(kv -> kv.getKey().equals(key))
        .map(KeyValue::getValue)
        .map(value -> value.getStringValue())
        .findFirst()
        .orElse("");
  }

  private static String describe(List<Span> spans) {
    return spans.stream()
        .map(
            span ->
                span.getKind()
                    + " "
                    + span.getName()
                    + " "
                    + span.getAttributesList().stream()
                        .map(kv -> kv.getKey() + "=" + kv.getValue().getStringValue())
                        .collect(Collectors.joining(",")))
        .collect(Collectors.joining("\n"));
  }
}

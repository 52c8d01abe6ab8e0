package io.flashsale.infra;

import io.flashsale.config.AppConfig.TracingConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import java.time.Duration;

/**
 * OpenTelemetry tracing, off unless {@code tracing.otlp-endpoint} is set: then Vert.x traces each
 * HTTP request (a server span, continuing a caller's W3C {@code traceparent}) and the Redis
 * commands, SQL statements and event-bus messages made on its behalf (client spans), and the spans
 * go to that OTLP/HTTP endpoint in batches. Off, no tracer is installed and nothing is paid.
 *
 * <p>Work done for many requests at once (a join batch, a reservation batch) runs under the trace
 * of the request that opened the batch.
 */
public final class Tracing {

  private Tracing() {}

  /** The SDK exporting to the configured endpoint, or null when tracing is off. */
  public static OpenTelemetrySdk sdk(TracingConfig config) {
    if (!config.enabled()) {
      return null;
    }
    OtlpHttpSpanExporter exporter =
        OtlpHttpSpanExporter.builder()
            .setEndpoint(config.otlpEndpoint())
            .setTimeout(Duration.ofSeconds(5))
            .build();
    SdkTracerProvider tracers =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.create(
                            Attributes.of(
                                AttributeKey.stringKey("service.name"), config.serviceName()))))
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
            .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
            .build();
    return OpenTelemetrySdk.builder()
        .setTracerProvider(tracers)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /** Installs the tracer in a Vert.x about to be built; nothing when {@code sdk} is null. */
  public static VertxBuilder install(
      VertxBuilder builder, VertxOptions options, OpenTelemetrySdk sdk) {
    if (sdk == null) {
      return builder;
    }
    options.setTracingOptions(new OpenTelemetryOptions());
    return builder.withTracer(new OpenTelemetryTracingFactory(sdk));
  }
}

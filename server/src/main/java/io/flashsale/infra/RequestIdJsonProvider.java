package io.flashsale.infra;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import net.logstash.logback.composite.AbstractFieldJsonProvider;

/**
 * Adds {@code "requestId"} to a JSON log line written while a request is served (see {@link
 * RequestIds}). The console appender encodes on the logging thread, which is the request's event
 * loop, so the id read here is the request's own.
 */
public final class RequestIdJsonProvider extends AbstractFieldJsonProvider<ILoggingEvent> {

  public RequestIdJsonProvider() {
    setFieldName("requestId");
  }

  @Override
  public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
    String id = RequestIds.current();
    if (id != null) {
      generator.writeStringField(getFieldName(), id);
    }
  }
}

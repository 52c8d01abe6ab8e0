package io.flashsale.infra;

import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a script's reply in the order its header names the fields: an outcome, then its fields, and
 * for a batch script one such group per buyer. Only a script's own class reads its reply.
 */
public final class ScriptReply {

  private final Response response;
  private int next;

  private ScriptReply(Response response) {
    this.response = response;
  }

  public static ScriptReply of(Response response) {
    return new ScriptReply(response);
  }

  public boolean hasMore() {
    return next < response.size();
  }

  public String string() {
    return response.get(next++).toString();
  }

  public long number() {
    return response.get(next++).toLong();
  }

  public int integer() {
    return response.get(next++).toInteger();
  }

  /** The next {@code count} fields, as strings. */
  public List<String> strings(int count) {
    List<String> fields = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      fields.add(string());
    }
    return fields;
  }

  /** Every field not read yet, as strings. */
  public List<String> rest() {
    return strings(response.size() - next);
  }
}

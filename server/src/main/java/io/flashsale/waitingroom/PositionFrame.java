package io.flashsale.waitingroom;

import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * The position message of one sale's live feed, the same text {@code JsonObject.encode()} gives,
 * with the part every connection shares (type, sale, state) encoded once per sale rather than per
 * connection and push; only the numbers are appended per connection. Used on one event loop.
 */
final class PositionFrame {

  private final String saleId;
  private final Map<String, String> heads = new HashMap<>();

  PositionFrame(String saleId) {
    this.saleId = saleId;
  }

  String encode(
      String type, String state, long position, long queueNumber, long estimatedWaitSeconds) {
    String head =
        heads.computeIfAbsent(
            type + '/' + state,
            key -> {
              String shared =
                  new JsonObject()
                      .put("type", type)
                      .put("saleId", saleId)
                      .put("state", state)
                      .encode();
              return shared.substring(0, shared.length() - 1) + ",\"position\":";
            });
    return new StringBuilder(head.length() + 80)
        .append(head)
        .append(position)
        .append(",\"ahead\":")
        .append(position - 1)
        .append(",\"queueNumber\":")
        .append(queueNumber)
        .append(",\"estimatedWaitSeconds\":")
        .append(estimatedWaitSeconds)
        .append('}')
        .toString();
  }
}

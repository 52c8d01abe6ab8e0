package io.flashsale.loadtest;

import io.flashsale.loadtest.HttpLoad.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Instant;
import java.util.Map;

/** The server under test, as the load test talks to it: plain HTTP calls with bearer tokens. */
record LoadTarget(HttpClient client, String adminToken) {

  /**
   * A keep-alive client to the server at {@code base} with up to {@code connections} connections.
   */
  static LoadTarget connect(Vertx vertx, URI base, int connections, String adminToken) {
    return new LoadTarget(
        vertx.createHttpClient(
            new HttpClientOptions()
                .setDefaultHost(base.getHost())
                .setDefaultPort(base.getPort())
                .setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1)),
        adminToken);
  }

  Future<Reply> send(HttpMethod method, String path, String token, Buffer body) {
    return send(method, path, token, body, Map.of());
  }

  Future<Reply> send(
      HttpMethod method, String path, String token, Buffer body, Map<String, String> headers) {
    RequestOptions options = new RequestOptions().setMethod(method).setURI(path);
    headers.forEach(options::putHeader);
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return client
        .request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(Reply::of);
  }

  HttpLoad.Call hello() {
    return c -> send(HttpMethod.GET, "/health/live", null, null);
  }

  Future<String> createSale(int units, JsonObject extra) {
    JsonObject sale =
        new JsonObject()
            .put("productId", "LOADTEST")
            .put("productName", "Load test sale")
            .put("quantity", units)
            .put("priceCents", 1_000)
            .put("currency", "EUR")
            .put("startTime", Instant.now().minusSeconds(1).toString())
            .mergeIn(extra);
    return send(HttpMethod.POST, "/api/admin/sales", adminToken, sale.toBuffer())
        .map(
            reply -> {
              if (reply.status() != 201) {
                throw new IllegalStateException(
                    "could not create the sale: " + reply.status() + " " + reply.body());
              }
              return reply.body().toJsonObject().getString("saleId");
            });
  }

  Future<JsonObject> report(String saleId) {
    return send(HttpMethod.GET, "/api/admin/sales/" + saleId + "/report", adminToken, null)
        .map(reply -> reply.body().toJsonObject());
  }

  static String outcome(Reply reply) {
    if (reply.status() < 0
        || reply.status() == 201
        || reply.status() == 202
        || reply.status() == 200) {
      return Integer.toString(reply.status());
    }
    try {
      return reply.status() + " " + reply.body().toJsonObject().getString("code");
    } catch (RuntimeException notJson) {
      return Integer.toString(reply.status());
    }
  }
}

package io.flashsale.http;

import io.flashsale.waitingroom.LiveFeed;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/** One HTTP server instance with its own live feed; deployed once per core, all sharing the port. */
public final class HttpServerVerticle extends VerticleBase {

  private final ApiServices services;
  private final int port;

  public HttpServerVerticle(ApiServices services, int port) {
    this.services = services;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    LiveFeed live = new LiveFeed(vertx, services.redis(), services.waitingRoom(), services.livePushMillis());
    return live.start().compose(ready -> vertx.createHttpServer(new HttpServerOptions()
            .setPort(port)
            .setCompressionSupported(false)
            .setTcpNoDelay(true))
        .requestHandler(ApiRouter.create(vertx, services, live))
        .listen()
        .map(HttpServer::actualPort));
  }
}

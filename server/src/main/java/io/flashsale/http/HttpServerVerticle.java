package io.flashsale.http;

import io.flashsale.waitingroom.LiveFeed;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.openapi.contract.OpenAPIContract;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP server instance with its own live feed; deployed once per core, all sharing the port.
 * Stopping drains: the server stops accepting connections and lets requests in progress (a
 * reservation half-way through its transaction) finish, up to a grace period.
 */
public final class HttpServerVerticle extends VerticleBase {

  private static final long DRAIN_SECONDS = 10;

  private final ApiServices services;
  private final OpenAPIContract contract;
  private final int port;
  private final boolean accessLog;
  private HttpServer server;

  /**
   * {@code contract}: loaded once per process ({@link #loadContract}) and shared, read-only, by
   * every instance.
   */
  public HttpServerVerticle(
      ApiServices services, OpenAPIContract contract, int port, boolean accessLog) {
    this.services = services;
    this.contract = contract;
    this.port = port;
    this.accessLog = accessLog;
  }

  /**
   * The API's contract, {@code openapi.yaml}, read and checked: once, before the servers are
   * deployed.
   */
  public static Future<OpenAPIContract> loadContract(Vertx vertx) {
    return ContractValidation.load(vertx);
  }

  @Override
  public Future<?> start() {
    LiveFeed live =
        new LiveFeed(
            vertx,
            services.pulses(),
            services.waitingRoom(),
            services.presence(),
            services.clock());
    return live.start()
        .compose(
            ready ->
                vertx
                    .createHttpServer(
                        new HttpServerOptions()
                            .setPort(port)
                            .setCompressionSupported(false)
                            // Live pushes are ~150-byte frames: deflate saves nothing there, and
                            // a socket that negotiated it (every browser asks) keeps a zlib
                            // deflater and inflater for its life.
                            .setPerMessageWebSocketCompressionSupported(false)
                            .setPerFrameWebSocketCompressionSupported(false)
                            .setTcpNoDelay(true)
                            // Every response and push is written from its connection's own event
                            // loop (infra/CallerContext, the stores' deadline wrappers), so a
                            // connection needs no queue for writes from other threads: about
                            // 4.7 KB less per open WebSocket.
                            .setStrictThreadMode(true)
                            // HTTP/1.1 only (no h2c upgrade): the pipeline is then built when the
                            // connection opens, before its first request, so the HTTP-version
                            // guard sees that request too.
                            .setHttp2ClearTextEnabled(false))
                    .requestHandler(
                        new RequestGate(
                            ApiRouter.create(vertx, services, live, contract, accessLog)))
                    .invalidRequestHandler(Problems::invalidRequest)
                    .connectionHandler(HttpVersionGuard::install)
                    .listen()
                    .onSuccess(listening -> server = listening)
                    .map(HttpServer::actualPort));
  }

  @Override
  public Future<?> stop() {
    return server == null
        ? Future.succeededFuture()
        : server.shutdown(DRAIN_SECONDS, TimeUnit.SECONDS);
  }
}

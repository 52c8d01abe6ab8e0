package io.flashsale.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * A request line naming an HTTP version other than 1.0 or 1.1 ({@code GET / HTTP/9.9}) is decoded
 * by Netty without complaint, and Vert.x then answers it {@code 501} with an empty body before any
 * handler of ours runs: a 5xx that is not an outage. This marks such a request as undecodable right
 * after Netty's decoder, so Vert.x hands it to the invalid-request handler, which answers 400
 * problem+json like every other malformed request. It reaches into Vert.x's connection for the
 * Netty pipeline (an internal class): if that ever changes, the guard is skipped and the old 501
 * comes back, nothing worse.
 */
final class HttpVersionGuard extends ChannelInboundHandlerAdapter {

  private static final String NAME = "flashsale-http-version";
  private static final String DECODER = "httpDecoder";

  static void install(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(DECODER) != null && pipeline.get(NAME) == null) {
        pipeline.addAfter(DECODER, NAME, new HttpVersionGuard());
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()) {
      HttpVersion version = request.protocolVersion();
      if (!HttpVersion.HTTP_1_1.equals(version) && !HttpVersion.HTTP_1_0.equals(version)) {
        request.setDecoderResult(
            DecoderResult.failure(
                new IllegalArgumentException(
                    "HTTP version " + version.text() + " is not supported; use HTTP/1.1")));
      }
    }
    super.channelRead(ctx, msg);
  }
}

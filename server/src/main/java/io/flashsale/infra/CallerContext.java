package io.flashsale.infra;

import io.vertx.core.Future;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;

/**
 * Keeps a request on its own event loop. A Vert.x future remembers the context it was made on and
 * runs every later callback there, so a future shared between requests (a cached read, say) would
 * carry each request that waits on it over to the event loop of the request that made it: the rest
 * of that request, its response included, would run there, and one event loop would end up doing
 * the work of all of them.
 */
public final class CallerContext {

  private CallerContext() {}

  /** {@code shared}, as a future of the caller's own context (or of none, if already complete). */
  public static <T> Future<T> resume(Future<T> shared) {
    if (shared.isComplete()) {
      return shared.succeeded()
          ? Future.succeededFuture(shared.result())
          : Future.failedFuture(shared.cause());
    }
    ContextInternal caller = ContextInternal.current();
    if (caller == null) {
      return shared;
    }
    PromiseInternal<T> own = caller.promise();
    shared.onComplete(own);
    return own.future();
  }
}

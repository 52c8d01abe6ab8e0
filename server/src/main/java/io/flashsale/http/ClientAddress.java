package io.flashsale.http;

import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * The client's IP for rate limiting. Behind a load balancer every request comes from the balancer,
 * so X-Forwarded-For is honoured, but only when the request itself comes from a configured trusted
 * proxy: anyone else could write any address into that header.
 */
public record ClientAddress(Set<String> trustedProxies) {

  public String of(RoutingContext ctx) {
    String peer =
        ctx.request().remoteAddress() == null ? "" : ctx.request().remoteAddress().hostAddress();
    String forwarded = ctx.request().getHeader("X-Forwarded-For");
    if (forwarded == null || !trustedProxies.contains(peer)) {
      return peer;
    }
    // The nearest hop not added by our own proxies is the client as our edge saw it.
    String[] hops = forwarded.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].trim();
      if (!hop.isEmpty() && !trustedProxies.contains(hop)) {
        return hop.length() > 64 ? hop.substring(0, 64) : hop;
      }
    }
    return peer;
  }
}

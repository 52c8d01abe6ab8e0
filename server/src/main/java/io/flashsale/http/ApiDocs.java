package io.flashsale.http;

import io.vertx.ext.web.Router;

/**
 * The contract for people: {@code /openapi.yaml} as written, and {@code /docs}, Swagger UI from its
 * WebJar (served by the {@code /webjars/*} route, no CDN) pointed at that file.
 */
final class ApiDocs {

  /** Swagger UI may style its widgets inline; scripts still come only from this server. */
  private static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; script-src 'self'; "
          + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
          + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  private ApiDocs() {}

  static void mount(Router router) {
    router
        .get("/openapi.yaml")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "application/yaml; charset=utf-8")
                    .putHeader("Cache-Control", "public, max-age=60")
                    .sendFile(ContractValidation.CONTRACT));
    router
        .get("/docs")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "text/html; charset=utf-8")
                    .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .sendFile("apidocs/index.html"));
    router
        .get("/docs/init.js")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "text/javascript; charset=utf-8")
                    .sendFile("apidocs/init.js"));
  }
}

package io.flashsale.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Clock;
import java.time.Duration;

/**
 * The buyer's page and the admin dashboard: static files from {@code webroot/} and WebJars from the
 * classpath, the demo sign-in, and the dashboard's live figures. Mounted before the API's own
 * authentication, so each route here says itself what it needs.
 */
public final class WebPages {

  /** What the pages need to know of the configuration. */
  public record Settings(boolean demo, Duration waitlistLead) {}

  private static final int DEMO_TOKEN_SECONDS = 3_600;
  // Scripts and styles only from this server: a page that can be made to load another
  // origin's script hands that origin the buyer's token.
  private static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; script-src 'self'; "
          + "style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self'; "
          + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  private WebPages() {}

  static void mount(Router router, ApiServices services, ContractValidation contract) {
    Settings settings = services.web();
    StaticHandler pages =
        StaticHandler.create("webroot").setIndexPage("index.html").setMaxAgeSeconds(60);
    router
        .getWithRegex("^/$|^/[a-z-]+\\.html$|^/(css|js)/[A-Za-z0-9_.-]+$")
        .handler(WebPages::securityHeaders)
        .handler(pages);
    router.get("/admin").handler(ctx -> ctx.reroute("/admin.html"));
    router.get("/signin").handler(ctx -> ctx.reroute("/signin.html"));
    // WebJar paths carry their version, so a browser may keep them for a long time.
    router
        .get("/webjars/*")
        .handler(
            StaticHandler.create("META-INF/resources/webjars").setMaxAgeSeconds(365L * 24 * 3_600));

    router
        .get("/ui/settings.json")
        .handler(contract.of("pageSettings"))
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "application/json")
                    .putHeader("Cache-Control", "no-store")
                    .end(
                        new JsonObject()
                            .put("demo", settings.demo())
                            .put("waitlistLeadSeconds", settings.waitlistLead().toSeconds())
                            .encode()));

    if (settings.demo()) {
      router
          .post("/api/demo/token")
          .handler(BodyHandler.create(false).setBodyLimit(4_096))
          .handler(contract.of("demoToken"))
          .handler(ctx -> demoToken(ctx, services.auth(), services.clock()));
    } else {
      // Not a refusal but absence: without demo mode there is no such endpoint, token or not.
      router.route("/api/demo/*").handler(ctx -> ctx.fail(404));
    }
  }

  /**
   * Demo sign-in: anyone may name themselves, as buyer or admin. This is why it exists only in demo
   * mode; a real shop's tokens come from its identity provider.
   */
  private static void demoToken(RoutingContext ctx, BearerAuth auth, Clock clock) {
    JsonObject input = ContractValidation.body(ctx);
    String name = input.getString("name").trim();
    boolean admin = input.getBoolean("admin", false);
    String token = auth.issue(name, admin, DEMO_TOKEN_SECONDS);
    ctx.response()
        .setStatusCode(201)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(
            new JsonObject()
                .put("token", token)
                .put("userId", name)
                .put("admin", admin)
                .put("expiresAt", clock.instant().plusSeconds(DEMO_TOKEN_SECONDS).toString())
                .encode());
  }

  private static void securityHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }
}

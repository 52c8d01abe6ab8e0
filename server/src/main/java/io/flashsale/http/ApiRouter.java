package io.flashsale.http;

import io.flashsale.checkout.LeavingTheLine;
import io.flashsale.waitingroom.LiveFeed;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.LoggerFormat;
import io.vertx.ext.web.handler.LoggerHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import java.util.List;

/**
 * The router: what every request goes through, in order, then each resource's routes, mounted by
 * its own class given only the services it needs. Every route is checked against the contract
 * ({@code openapi.yaml}) before its handler runs.
 */
public final class ApiRouter {

  public static final int MAX_BODY_BYTES = 64 * 1024;

  private ApiRouter() {}

  public static Router create(
      Vertx vertx,
      ApiServices services,
      LiveFeed live,
      OpenAPIContract openapi,
      boolean accessLog) {
    ContractValidation contract = new ContractValidation(openapi);
    BotAttempts attempts = new BotAttempts(services.clientAddress());
    SaleRoutes sales =
        new SaleRoutes(
            services.pool(),
            services.sales(),
            services.catalog(),
            services.timeline(),
            services.audit(),
            services.clock());
    QueueRoutes queue =
        new QueueRoutes(
            services.catalog(),
            services.botDefence(),
            attempts,
            services.waitingRoom(),
            new LeavingTheLine(services.waitingRoom(), services.checkout()),
            services.admissionTokens(),
            services.auth(),
            live);

    Router router = Router.router(vertx);
    if (accessLog) {
      router.route().handler(LoggerHandler.create(LoggerFormat.DEFAULT));
    }
    router.route().handler(new RequestTimings(services.metrics()));
    router.route().failureHandler(Problems::handleFailure);
    for (int status : List.of(400, 401, 403, 404, 405, 413, 414, 415, 416, 417, 431, 500)) {
      router.errorHandler(status, Problems::handleStatus);
    }

    new HealthRoutes(services.pool(), services.redis(), services.metrics(), services.readiness())
        .mount(router, contract);
    ApiDocs.mount(router);

    router.route("/api/*").handler(JsonOnly::check);
    queue.mountLiveFeed(router, contract);
    // The web pages, the demo sign-in and the dashboard's figures: they say themselves what auth
    // they need.
    WebPages.mount(router, services, contract);

    sales.markPublic(router);
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    router.route("/api/*").handler(services.auth()::authenticate);
    router.route("/api/admin/*").handler(BearerAuth::requireAdmin);

    // The router tries routes in the order they were added and matches every route with a path
    // parameter by regular expression, before it looks at the method: the routes a sale's herd
    // calls (join, status, purchase) come first.
    queue.mount(router, contract);
    new OrderRoutes(
            services.pool(),
            services.catalog(),
            services.botDefence(),
            attempts,
            services.directPurchase(),
            services.orders(),
            services.checkout())
        .mount(router, contract);
    sales.mount(router, contract);
    new BlacklistRoutes(services.blacklist(), services.operatorLog()).mount(router, contract);
    OperatorRoutes.mount(router, services, contract);
    return router;
  }
}

package io.flashsale.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The engine under test for one test class: a Vert.x of its own and a {@link TestServer} with a
 * database of its own, started before the class's first test and stopped, with the Vert.x closed,
 * after its last.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final Engine engine = Engine.start(Map.of("FLASHSALE_CHECKOUT_SWEEP_MS", "200"));
 *
 * @Test
 * void aBuyerHoldsAUnit() {
 *   String saleId = Await.result(engine.server().createSale(10, new JsonObject())).getString("saleId");
 *   ...
 * }
 * }</pre>
 */
public final class Engine implements BeforeAllCallback, AfterAllCallback {

  private final Function<Vertx, Future<Map<String, String>>> settings;
  private final boolean secondNode;
  private Vertx vertx;
  private TestServer server;
  private TestServer second;

  private Engine(Function<Vertx, Future<Map<String, String>>> settings, boolean secondNode) {
    this.settings = settings;
    this.secondNode = secondNode;
  }

  /** An engine with the test defaults of {@link TestServer}. */
  public static Engine start() {
    return start(Map.of());
  }

  /** {@code settings} use the environment-variable names, as in production. */
  public static Engine start(Map<String, String> settings) {
    return new Engine(vertx -> Future.succeededFuture(settings), false);
  }

  /**
   * For settings that name something the test starts first on the engine's Vert.x, such as a fake
   * service the engine calls; it is closed with the Vert.x.
   */
  public static Engine start(Function<Vertx, Future<Map<String, String>>> settings) {
    return new Engine(settings, false);
  }

  /** Adds a second node, configured alike, on the same database and Redis: a scaled deployment. */
  public Engine withSecondNode() {
    return new Engine(settings, true);
  }

  public Vertx vertx() {
    return vertx;
  }

  public TestServer server() {
    return server;
  }

  /** The node beside {@link #server()}; only with {@link #withSecondNode()}. */
  public TestServer secondNode() {
    if (!secondNode) {
      throw new IllegalStateException("this engine was declared without a second node");
    }
    return second;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    vertx = Vertx.vertx();
    Map<String, String> resolved = Await.result(settings.apply(vertx));
    server = Await.result(TestServer.start(vertx, resolved));
    if (secondNode) {
      second = Await.result(TestServer.startBeside(vertx, server, resolved));
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (vertx == null) {
      return;
    }
    Future<Void> stopped =
        Future.join(
                server == null ? Future.succeededFuture() : server.stop(),
                second == null ? Future.succeededFuture() : second.stop())
            .mapEmpty();
    Await.result(stopped.eventually(vertx::close));
    vertx = null;
    server = null;
    second = null;
  }
}

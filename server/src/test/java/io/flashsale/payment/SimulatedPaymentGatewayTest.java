package io.flashsale.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.Migrations;
import io.flashsale.infra.PgUrls;
import io.flashsale.payment.PaymentGateway.Authorization;
import io.flashsale.payment.PaymentGateway.AuthorizationRequest;
import io.flashsale.payment.PaymentGateway.Capture;
import io.flashsale.payment.SimulatedPaymentGateway.State;
import io.flashsale.support.Await;
import io.flashsale.support.TestStores;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two simulated gateways, each with its own connection pool, on one database: two nodes of a demo
 * cluster. What one authorises the other captures or voids, and races between them settle once.
 */
class SimulatedPaymentGatewayTest {

  private static Vertx vertx;
  private static final List<Pool> pools = new ArrayList<>();
  private static SimulatedPaymentGateway nodeA;
  private static SimulatedPaymentGateway nodeB;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    String pgUrl = TestStores.get().freshDatabase();
    Migrations.migrate(pgUrl);
    nodeA = gatewayOn(pgUrl);
    nodeB = gatewayOn(pgUrl);
  }

  @AfterAll
  static void stop() {
    nodeA.close();
    nodeB.close();
    Await.result(Future.all(pools.stream().map(Pool::close).toList()).eventually(vertx::close));
  }

  private static SimulatedPaymentGateway gatewayOn(String pgUrl) {
    Pool pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(8))
            .connectingTo(PgUrls.connectOptions(pgUrl))
            .using(vertx)
            .build();
    pools.add(pool);
    return new SimulatedPaymentGateway(
        vertx, pool, Duration.ZERO, 0.0, 0.0, Duration.ofMinutes(10), Clock.systemUTC());
  }

  @Test
  void aCardAuthorisedThroughOneNodeIsCapturedThroughTheOther() {
    Authorization auth = Await.result(nodeA.authorize(request("buyer-1", "pm_card_visa")));

    Capture capture = Await.result(nodeB.capture(auth.authorizationId(), 1_999, "capture:order-1"));

    assertThat(capture.approved()).as("node B knows node A's authorisation").isTrue();
    assertThat(capture.captureId()).startsWith("cap_");
    assertThat(entry(auth))
        .satisfies(
            entry -> {
              assertThat(entry.state()).isEqualTo(State.CAPTURED);
              assertThat(entry.captures()).isEqualTo(1);
            });
  }

  @Test
  void anAuthorisationRetriedThroughTheOtherNodeIsTheSameHold() {
    AuthorizationRequest request = request("buyer-2", "pm_card_visa");
    List<Future<Authorization>> racing = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      racing.add((i % 2 == 0 ? nodeA : nodeB).authorize(request));
    }
    Await.result(Future.all(racing));

    assertThat(racing.stream().map(auth -> auth.result().authorizationId()).distinct()).hasSize(1);
    assertThat(Await.result(nodeA.ledger()).values())
        .filteredOn(entry -> entry.userId().equals("buyer-2"))
        .hasSize(1);
  }

  @Test
  void aCaptureRacingOnBothNodesCapturesOnceWhateverTheKeys() {
    Authorization sameKey = Await.result(nodeA.authorize(request("buyer-3", "pm_card_visa")));
    Authorization ownKeys = Await.result(nodeA.authorize(request("buyer-4", "pm_card_visa")));
    List<Future<Capture>> retries = new ArrayList<>();
    List<Future<Capture>> rivals = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      SimulatedPaymentGateway node = i % 2 == 0 ? nodeA : nodeB;
      retries.add(node.capture(sameKey.authorizationId(), 1_999, "capture:order-3"));
      rivals.add(node.capture(ownKeys.authorizationId(), 1_999, "capture:order-4:" + i));
    }
    Await.result(Future.all(Future.all(retries), Future.all(rivals)));

    assertThat(retries.stream().map(capture -> capture.result().captureId()).distinct())
        .as("one key: every retry replays the one capture")
        .singleElement()
        .isNotNull();
    assertThat(rivals)
        .as("different keys: one captures, the rest are declined")
        .filteredOn(capture -> capture.result().approved())
        .hasSize(1);
    assertThat(entry(sameKey).captures()).isEqualTo(1);
    assertThat(entry(ownKeys).captures()).isEqualTo(1);
  }

  @Test
  void aVoidThroughOneNodeIsSeenByTheOther() {
    Authorization auth = Await.result(nodeA.authorize(request("buyer-5", "pm_card_visa")));

    Await.result(nodeB.voidAuthorization(auth.authorizationId(), "void:" + auth.authorizationId()));
    Capture afterVoid =
        Await.result(nodeA.capture(auth.authorizationId(), 1_999, "capture:order-5"));

    assertThat(afterVoid.approved()).isFalse();
    assertThat(entry(auth).state()).isEqualTo(State.VOIDED);
    assertThat(entry(auth).captures()).isZero();
  }

  @Test
  void anAuthorisationTheLedgerDoesNotHoldIsAnErrorNotADecline() {
    AsyncResult<Capture> capture =
        outcomeOf(nodeA.capture("auth_never_issued", 1_999, "capture:order-6"));
    AsyncResult<Void> voided =
        outcomeOf(nodeB.voidAuthorization("auth_never_issued", "void:auth_never_issued"));

    assertThat(capture.failed()).as("not an answer, declined or not").isTrue();
    assertThat(capture.cause()).isInstanceOf(AuthorizationUnknownException.class);
    assertThat(voided.cause()).isInstanceOf(AuthorizationUnknownException.class);
    assertThat(Await.result(nodeA.ledger())).doesNotContainKey("auth_never_issued");
  }

  private static SimulatedPaymentGateway.Ledger entry(Authorization auth) {
    return Await.result(nodeB.ledger()).get(auth.authorizationId());
  }

  private static AuthorizationRequest request(String userId, String paymentMethod) {
    return new AuthorizationRequest(
        "preauth:" + UUID.randomUUID() + ":" + userId, userId, paymentMethod, 1_999, "EUR");
  }

  private static <T> AsyncResult<T> outcomeOf(Future<T> future) {
    return Await.result(future.transform(outcome -> Future.succeededFuture(outcome)));
  }
}

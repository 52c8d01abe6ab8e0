package io.flashsale;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.Deployments.Name;
import io.flashsale.support.Engine;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DeploymentsTest {

  @RegisterExtension static final Engine engine = Engine.start();

  @Test
  void theStopOrderNamesEveryDeploymentOnceHttpFirstReservationsLast() {
    List<Name> named = Deployments.STOP_ORDER.stream().flatMap(Set::stream).toList();
    assertThat(named).containsExactlyInAnyOrder(Name.values());
    assertThat(Deployments.STOP_ORDER.get(0)).containsExactly(Name.HTTP);
    assertThat(Deployments.STOP_ORDER.get(Deployments.STOP_ORDER.size() - 1))
        .containsExactly(Name.RESERVATIONS);
  }

  @Test
  void aStartedEngineHasEveryDeploymentUnderItsName() {
    var ids = engine.server().engine().deployments().ids();
    assertThat(ids.keySet()).isEqualTo(EnumSet.allOf(Name.class));
    assertThat(ids.values()).doesNotContainNull().doesNotHaveDuplicates();
    assertThat(engine.vertx().deploymentIDs()).containsAll(ids.values());
  }
}

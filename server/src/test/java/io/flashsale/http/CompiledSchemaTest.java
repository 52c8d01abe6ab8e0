package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The fast path says "valid" exactly when vertx-json-schema does, on the contract's own bodies. */
class CompiledSchemaTest {

  private static Vertx vertx;
  private static ContractValidation validation;

  @BeforeAll
  static void load() {
    vertx = Vertx.vertx();
    validation = new ContractValidation(Await.result(HttpServerVerticle.loadContract(vertx)));
  }

  @AfterAll
  static void close() {
    Await.result(vertx.close());
  }

  static List<String[]> bodies() {
    String sale =
        "\"productId\":\"p\",\"productName\":\"n\",\"quantity\":3,\"priceCents\":100,\"currency\":\"EUR\"";
    return List.of(
        new String[] {"purchase", "{}"},
        new String[] {"purchase", "{\"quantity\":1}"},
        new String[] {"purchase", "{\"quantity\":1000}"},
        new String[] {"purchase", "{\"quantity\":1001}"},
        new String[] {"purchase", "{\"quantity\":0}"},
        new String[] {"purchase", "{\"quantity\":1.0}"},
        new String[] {"purchase", "{\"quantity\":1.5}"},
        new String[] {"purchase", "{\"quantity\":\"1\"}"},
        new String[] {"purchase", "{\"quantity\":1e400}"},
        new String[] {"purchase", "{\"quantity\":99999999999999999999}"},
        new String[] {"purchase", "{\"quantity\":true}"},
        new String[] {"purchase", "[1]"},
        new String[] {"purchase", "{\"pad\":1}"},
        new String[] {"purchase", "{\"paymentMethodId\":\"x\"}"},
        new String[] {"purchase", "{\"proofOfWork\":{\"challenge\":\"c\",\"solution\":\"1\"}}"},
        new String[] {"purchase", "{\"proofOfWork\":{\"challenge\":\"c\",\"solution\":1}}"},
        new String[] {"purchase", "{\"proofOfWork\":{\"other\":\"c\"}}"},
        new String[] {"purchase", "{\"proofOfWork\":\"x\"}"},
        new String[] {"purchase", "{\"captchaToken\":\"t\"}"},
        new String[] {"purchase", "{\"captchaToken\":\" \"}"},
        new String[] {"purchase", "{\"captchaToken\":\"a\\u0000b\"}"},
        new String[] {"purchase", "{\"captchaToken\":\"\"}"},
        new String[] {"joinQueue", "{\"quantity\":2,\"paymentMethodId\":\"card_1\"}"},
        new String[] {"joinQueue", "{\"paymentMethodId\":\"a b\"}"},
        new String[] {"joinQueue", "{\"paymentMethodId\":\"\"}"},
        new String[] {"joinQueue", "{\"paymentMethodId\":\"" + "a".repeat(128) + "\"}"},
        new String[] {"joinQueue", "{\"paymentMethodId\":\"" + "a".repeat(129) + "\"}"},
        new String[] {"joinQueue", "{\"paymentMethodId\":\"💥\"}"},
        new String[] {"createSale", "{" + sale + "}"},
        new String[] {"createSale", "{" + sale + ",\"queuePolicy\":\"FIFO\"}"},
        new String[] {"createSale", "{" + sale + ",\"queuePolicy\":\"fifo\"}"},
        new String[] {"createSale", "{" + sale + ",\"startTime\":\"2030-01-01T00:00:00Z\"}"},
        new String[] {"createSale", "{" + sale + ",\"priceCents\":100000000001}"},
        new String[] {"createSale", "{" + sale + ",\"currency\":\"eur\"}"},
        new String[] {"subscribe", "{\"email\":\"a@b\"}"},
        new String[] {"subscribe", "{\"email\":\"a @b\"}"},
        new String[] {"addToBlacklist", "{\"userId\":\"u\",\"reason\":\"r\"}"},
        new String[] {"addToBlacklist", "{\"fingerprint\":\"f\",\"reason\":\"r\"}"},
        new String[] {
          "addToBlacklist", "{\"userId\":\"u\",\"fingerprint\":\"f\",\"reason\":\"r\"}"
        },
        new String[] {"addToBlacklist", "{\"reason\":\"r\"}"},
        new String[] {"setAdmissionRate", "{\"admissionRatePerSecond\":100000}"},
        new String[] {"setAdmissionRate", "{\"admissionRatePerSecond\":100001}"},
        new String[] {"demoToken", "{\"name\":\"Ann Lee\",\"admin\":true}"},
        new String[] {"demoToken", "{\"name\":\"-x\"}"});
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("bodies")
  void theFastPathAgreesWithVertxJsonSchema(String operation, String body) {
    Boolean[] verdicts = validation.verdicts(operation, Json.decodeValue(body));

    if (!operation.equals("createSale")) {
      assertThat(verdicts[0]).as("compiled").isNotNull();
    }
    if (verdicts[0] != null) {
      assertThat(verdicts[0]).as("fast path vs vertx-json-schema").isEqualTo(verdicts[1]);
    }
  }
}

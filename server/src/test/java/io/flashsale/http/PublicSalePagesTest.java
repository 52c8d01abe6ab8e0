package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A sale's page data is public and cacheable, so a CDN can serve the herd; the rest still needs a
 * token.
 */
class PublicSalePagesTest {

  @RegisterExtension static final Engine engine = Engine.start();

  @Test
  void aSaleIsReadWithoutATokenAndRevalidatedByItsETag() {
    String saleId =
        Await.result(engine.server().createSale(5, new JsonObject())).getString("saleId");

    HttpResponse<Buffer> first = get("/api/sales/" + saleId, null);
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(200);
    assertThat(first.bodyAsJsonObject().getString("saleId")).isEqualTo(saleId);
    assertThat(first.getHeader("Cache-Control")).isEqualTo("public, max-age=1");
    String etag = first.getHeader("ETag");
    assertThat(etag).matches("\"[0-9a-f]{24}\"");

    HttpResponse<Buffer> unchanged = get("/api/sales/" + saleId, etag);
    assertThat(unchanged.statusCode()).isEqualTo(304);
    assertThat(unchanged.body())
        .as("no body with a 304")
        .satisfiesAnyOf(
            body -> assertThat(body).isNull(), body -> assertThat(body.length()).isZero());
    assertThat(unchanged.getHeader("ETag")).isEqualTo(etag);
    assertThat(get("/api/sales/" + saleId, "\"other\", W/" + etag).statusCode())
        .as("a list, weak form")
        .isEqualTo(304);
    assertThat(get("/api/sales/" + saleId, "\"other\"").statusCode()).isEqualTo(200);

    // A unit sold changes the sale's figures, so its tag: the old one no longer matches.
    assertThat(Await.result(engine.server().purchase(saleId, "etag-buyer", 1)).statusCode())
        .isEqualTo(201);
    HttpResponse<Buffer> changed = get("/api/sales/" + saleId, etag);
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(changed.bodyAsJsonObject().getInteger("quantitySold")).isEqualTo(1);
    assertThat(changed.getHeader("ETag")).isNotEqualTo(etag);
  }

  @Test
  void theListIsPublicAndEverythingElseStillNeedsAToken() {
    String saleId =
        Await.result(engine.server().createSale(5, new JsonObject())).getString("saleId");

    HttpResponse<Buffer> list = get("/api/sales", null);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.getHeader("Cache-Control")).isEqualTo("public, max-age=1");
    assertThat(list.bodyAsString()).contains(saleId);

    HttpResponse<Buffer> unknown = get("/api/sales/" + UUID.randomUUID(), null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(unknown.getHeader("Cache-Control")).as("a refusal is not cached as public").isNull();

    assertThat(get("/api/sales/" + saleId + "/queue/me", null).statusCode()).isEqualTo(401);
    assertThat(
            Await.result(
                    engine
                        .server()
                        .client()
                        .post("/api/sales/" + saleId + "/purchase")
                        .sendJsonObject(new JsonObject().put("quantity", 1)))
                .statusCode())
        .isEqualTo(401);
  }

  private static HttpResponse<Buffer> get(String path, String ifNoneMatch) {
    var request = engine.server().client().get(path);
    if (ifNoneMatch != null) {
      request.putHeader("If-None-Match", ifNoneMatch);
    }
    return Await.result(request.send());
  }
}

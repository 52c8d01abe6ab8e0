package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.flashsale.support.Await;
import io.flashsale.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tokens from the shop's own OpenID Connect provider, a real one (mock-oauth2-server: discovery
 * document, JWKS, signed tokens) started here: the engine finds the keys through discovery, checks
 * issuer, audience and expiry, reads roles from a configured nested claim, and follows a key
 * rotation in the middle of a sale without a restart.
 */
class OidcTokensTest {

  private static final String ISSUER_ID = "shop";
  private static final String AUDIENCE = "flash-sale";

  private static Vertx vertx;
  private static MockOAuth2Server provider;
  private static KeyProvider keys;
  private static int providerPort;
  private static String issuer;
  private static TestServer server;

  @BeforeAll
  static void start() throws IOException {
    providerPort = freePort();
    startProvider(rsaKey(), "RS256");
    issuer = provider.issuerUrl(ISSUER_ID).toString();
    vertx = Vertx.vertx();
    server =
        Await.result(
            TestServer.start(
                vertx,
                Map.of(
                    "FLASHSALE_OIDC_ISSUER",
                    issuer,
                    "FLASHSALE_OIDC_AUDIENCE",
                    AUDIENCE,
                    "FLASHSALE_OIDC_UNKNOWN_KEY_REFETCH_MS",
                    "0",
                    "FLASHSALE_JWT_ROLES_CLAIM",
                    "realm_access.roles")));
  }

  @AfterAll
  static void stop() throws IOException {
    Await.result(server.stop().eventually(vertx::close));
    provider.shutdown();
  }

  @Test
  void theProvidersTokensBuyAndItsAdminRoleComesFromTheConfiguredClaim() {
    String admin = token("shop-admin", Map.of("realm_access", Map.of("roles", List.of("admin"))));
    String saleId = createSale(admin, 5);
    assertThat(purchase(saleId, token("oidc-buyer", Map.of())).statusCode()).isEqualTo(201);

    // "roles" at the top level is not the configured claim: no admin rights from it.
    HttpResponse<Buffer> notAdmin =
        post(
            "/api/admin/sales",
            token("top-level-roles", Map.of("roles", List.of("admin"))),
            saleBody(1));
    assertThat(notAdmin.statusCode()).isEqualTo(403);
    // The engine's own HS256 tokens are still taken beside the provider's
    // (jwt.accept-secret-tokens).
    assertThat(Await.result(server.purchase(saleId, "hs256-buyer", 1)).statusCode()).isEqualTo(201);
  }

  @Test
  void tokensFromAnotherIssuerAudienceOrWithoutExpiryAreRefused() throws JOSEException {
    String saleId = createSale(adminToken(), 5);
    RSAKey shopKey = (RSAKey) keys.signingKey(ISSUER_ID);
    Instant now = Instant.now();
    Map<String, String> refused =
        Map.of(
            "another issuer of the same provider",
                provider.issueToken("other", "intruder-1", AUDIENCE, Map.of(), 3_600).serialize(),
            "a token for another audience",
                provider
                    .issueToken(ISSUER_ID, "intruder-2", "payments", Map.of(), 3_600)
                    .serialize(),
            "the shop's key but a foreign iss",
                signed(shopKey, claims("intruder-3", now).issuer("https://elsewhere.example/")),
            "no exp",
                signed(
                    shopKey,
                    new JWTClaimsSet.Builder()
                        .subject("intruder-4")
                        .issuer(issuer)
                        .audience(AUDIENCE)
                        .issueTime(Date.from(now))),
            "expired a minute ago",
                signed(
                    shopKey,
                    claims("intruder-5", now).expirationTime(Date.from(now.minusSeconds(60)))),
            "a key the provider never published", signed(rsaKey(), claims("intruder-6", now)));
    refused.forEach(
        (why, token) -> {
          HttpResponse<Buffer> response = purchase(saleId, token);
          assertThat(response.statusCode()).as(why).isEqualTo(401);
          assertThat(response.getHeader("Content-Type"))
              .as(why)
              .startsWith("application/problem+json");
        });
    assertThat(purchase(saleId, signed(shopKey, claims("hand-signed-buyer", now))).statusCode())
        .as("the same hand-made token, correctly formed, is taken")
        .isEqualTo(201);
    assertThat(soldOf(saleId)).as("no refused token bought anything").isEqualTo(1);
  }

  @Test
  void aKeyRotationMidSaleNeedsNoRestart() throws IOException, JOSEException {
    String saleId = createSale(adminToken(), 10);
    String before = token("before-rotation", Map.of());
    assertThat(purchase(saleId, before).statusCode()).isEqualTo(201);

    // The provider is redeployed with a new key: another algorithm (ES256) under the same key id.
    provider.shutdown();
    startProvider(new ECKeyGenerator(Curve.P_256).keyID(ISSUER_ID).generate(), "ES256");
    assertThat(purchase(saleId, token("after-rotation", Map.of())).statusCode())
        .as("ES256, read on first sight")
        .isEqualTo(201);
    assertThat(purchase(saleId, token("before-rotation-again", Map.of())).statusCode())
        .isEqualTo(201);

    // And once more, RS256 again but a new key under the same id: the signature fails, the keys are
    // re-read.
    provider.shutdown();
    startProvider(rsaKey(), "RS256");
    assertThat(purchase(saleId, token("second-rotation", Map.of())).statusCode()).isEqualTo(201);
    // A token signed with a key the provider no longer publishes is refused.
    assertThat(purchase(saleId, before).statusCode()).isEqualTo(401);
    assertThat(soldOf(saleId)).isEqualTo(4);
  }

  @Test
  void withSecretTokensOffOnlyTheProvidersAreTaken() {
    TestServer strict =
        Await.result(
            TestServer.start(
                vertx,
                Map.of(
                    "FLASHSALE_OIDC_ISSUER", issuer,
                    "FLASHSALE_OIDC_AUDIENCE", AUDIENCE,
                    "FLASHSALE_JWT_ACCEPT_SECRET_TOKENS", "false")));
    try {
      HttpResponse<Buffer> secret =
          Await.result(
              strict
                  .client()
                  .get("/api/me/orders")
                  .bearerTokenAuthentication(strict.token("hs-user"))
                  .send());
      assertThat(secret.statusCode()).isEqualTo(401);
      HttpResponse<Buffer> oidc =
          Await.result(
              strict
                  .client()
                  .get("/api/me/orders")
                  .bearerTokenAuthentication(token("oidc-user", Map.of()))
                  .send());
      assertThat(oidc.statusCode()).as(oidc.bodyAsString()).isEqualTo(200);
    } finally {
      Await.result(strict.stop());
    }
  }

  private static void startProvider(JWK key, String algorithm) throws IOException {
    keys = new KeyProvider(List.of(key), algorithm);
    provider =
        new MockOAuth2Server(
            new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(keys)));
    provider.start(InetAddress.getByName("127.0.0.1"), providerPort);
  }

  private static RSAKey rsaKey() {
    try {
      return new RSAKeyGenerator(2048).keyID(ISSUER_ID).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String token(String subject, Map<String, Object> claims) {
    return provider.issueToken(ISSUER_ID, subject, AUDIENCE, claims, 3_600).serialize();
  }

  private static String adminToken() {
    return token("shop-admin", Map.of("realm_access", Map.of("roles", List.of("admin"))));
  }

  private static JWTClaimsSet.Builder claims(String subject, Instant now) {
    return new JWTClaimsSet.Builder()
        .subject(subject)
        .issuer(issuer)
        .audience(AUDIENCE)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(1, ChronoUnit.HOURS)));
  }

  private static String signed(RSAKey key, JWTClaimsSet.Builder claims) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
              claims.build());
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String createSale(String adminToken, int quantity) {
    HttpResponse<Buffer> created = post("/api/admin/sales", adminToken, saleBody(quantity));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    return created.bodyAsJsonObject().getString("saleId");
  }

  private static JsonObject saleBody(int quantity) {
    return new JsonObject()
        .put("productId", "SKU-OIDC")
        .put("productName", "Provider-signed sale")
        .put("quantity", quantity)
        .put("priceCents", 1_000)
        .put("currency", "EUR")
        .put("startTime", Instant.now().minusSeconds(1).toString())
        .put("endTime", Instant.now().plus(1, ChronoUnit.HOURS).toString());
  }

  private static HttpResponse<Buffer> purchase(String saleId, String token) {
    return post("/api/sales/" + saleId + "/purchase", token, new JsonObject().put("quantity", 1));
  }

  private static HttpResponse<Buffer> post(String path, String token, JsonObject body) {
    return Await.result(
        server.client().post(path).bearerTokenAuthentication(token).sendJsonObject(body));
  }

  private static int soldOf(String saleId) {
    return Await.result(server.client().get("/api/sales/" + saleId).send())
        .bodyAsJsonObject()
        .getInteger("quantitySold");
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

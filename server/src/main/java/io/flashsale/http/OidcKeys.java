package io.flashsale.http;

import io.flashsale.infra.CallerContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.security.SignatureException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shop's OpenID Connect provider, as far as tokens go: its signing keys, read from its JWKS
 * (found through its discovery document unless a JWKS URL is given), kept in memory and re-read
 * every {@code refreshEvery}; a token signed by a key we do not hold (a rotation) makes us re-read
 * them at once, at most every {@code refetchAtMostEvery}, so a rotation needs no restart and a
 * flood of forged tokens costs the provider one request per interval. {@code iss}, {@code aud} and
 * {@code exp} are checked by the verifier built from the keys.
 *
 * <p>Shared by every event loop: the verifier and the fetch in progress are atomic references.
 */
public final class OidcKeys {

  private static final Logger LOG = LoggerFactory.getLogger(OidcKeys.class);

  /** What an OpenID provider signs with; HS256 (a shared secret) is never taken from a JWKS. */
  static final Set<String> ALGORITHMS =
      Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");

  /** {@code jwksUrl} empty: taken from {@code issuer}'s discovery document. */
  public record Settings(
      String issuer,
      String jwksUrl,
      String audience,
      int leewaySeconds,
      Duration refreshEvery,
      Duration refetchAtMostEvery) {}

  private final Vertx vertx;
  private final WebClient client;
  private final Settings settings;
  private final AtomicReference<JWTAuth> verifier = new AtomicReference<>();
  private final AtomicReference<Future<JWTAuth>> fetching = new AtomicReference<>();
  private volatile long lastFetchStartedNanos;
  private volatile boolean fetchedOnce;
  private long timer = -1;

  public OidcKeys(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
    this.client = WebClient.create(vertx);
  }

  /**
   * Reads the keys and starts the periodic refresh. A provider that cannot be reached now does not
   * stop the engine: its tokens are refused (401) until a later read succeeds.
   */
  public Future<Void> start() {
    timer = vertx.setPeriodic(settings.refreshEvery().toMillis(), tick -> fetch());
    return fetch()
        .onFailure(
            failure ->
                LOG.warn(
                    "could not read the OpenID provider's keys yet ("
                        + failure.getMessage()
                        + "): its tokens are refused until they can be read"))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  public void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    client.close();
  }

  /** Verifies a token the provider signed: signature, {@code iss}, {@code aud}, {@code exp}. */
  Future<User> authenticate(String token, String algorithm) {
    if (!ALGORITHMS.contains(algorithm)) {
      return Future.failedFuture(
          "the token's algorithm " + algorithm + " is not taken from an OpenID provider");
    }
    JWTAuth current = verifier.get();
    Future<User> first =
        current == null
            ? Future.failedFuture(new NoSuchKeyIdException(algorithm))
            : current.authenticate(new TokenCredentials(token));
    return first.recover(
        failure ->
            signedByKeyWeLack(failure)
                ? refetch()
                    .compose(
                        fresh ->
                            fresh == current
                                ? Future.failedFuture(failure)
                                : fresh.authenticate(new TokenCredentials(token)))
                : Future.failedFuture(failure));
  }

  /** A key we have never seen, or one the provider has replaced under the same id. */
  private static boolean signedByKeyWeLack(Throwable failure) {
    return failure instanceof NoSuchKeyIdException || failure instanceof SignatureException;
  }

  /** The keys read again unless that was tried within the last {@code refetchAtMostEvery}. */
  private Future<JWTAuth> refetch() {
    Future<JWTAuth> inProgress = fetching.get();
    if (inProgress != null) {
      return CallerContext.resume(inProgress);
    }
    long sinceLast = System.nanoTime() - lastFetchStartedNanos;
    JWTAuth current = verifier.get();
    if (fetchedOnce && sinceLast < settings.refetchAtMostEvery().toNanos()) {
      return current == null
          ? Future.failedFuture("the OpenID provider's keys could not be read")
          : Future.succeededFuture(current);
    }
    return fetch();
  }

  private Future<JWTAuth> fetch() {
    Promise<JWTAuth> promise = Promise.promise();
    Future<JWTAuth> mine = promise.future();
    if (!fetching.compareAndSet(null, mine)) {
      return fetching.get() == null ? fetch() : CallerContext.resume(fetching.get());
    }
    lastFetchStartedNanos = System.nanoTime();
    jwksUrl()
        .compose(url -> getJson(url, "JWKS"))
        .map(this::verifierFor)
        .onComplete(
            done -> {
              fetchedOnce = true;
              if (done.succeeded()) {
                verifier.set(done.result());
              }
              fetching.set(null);
              promise.handle(done);
            });
    return CallerContext.resume(mine);
  }

  private Future<String> jwksUrl() {
    if (!settings.jwksUrl().isBlank()) {
      return Future.succeededFuture(settings.jwksUrl());
    }
    String issuer = settings.issuer();
    String discovery =
        (issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer)
            + "/.well-known/openid-configuration";
    return getJson(discovery, "discovery document")
        .map(
            document -> {
              // OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer we
              // expect.
              if (!issuer.equals(document.getString("issuer"))) {
                throw new IllegalStateException(
                    "the discovery document names issuer "
                        + document.getString("issuer")
                        + ", not "
                        + issuer);
              }
              String jwks = document.getString("jwks_uri");
              if (jwks == null || jwks.isBlank()) {
                throw new IllegalStateException("the discovery document has no jwks_uri");
              }
              return jwks;
            });
  }

  private Future<JsonObject> getJson(String url, String what) {
    return client
        .getAbs(url)
        .timeout(5_000)
        .putHeader("Accept", "application/json")
        .send()
        .map(
            (HttpResponse<Buffer> response) -> {
              if (response.statusCode() != 200) {
                throw new IllegalStateException(
                    "the " + what + " at " + url + " answered " + response.statusCode());
              }
              return response.bodyAsJsonObject();
            });
  }

  private JWTAuth verifierFor(JsonObject jwks) {
    JsonArray keys = jwks.getJsonArray("keys", new JsonArray());
    List<JsonObject> signing =
        keys.stream()
            .filter(JsonObject.class::isInstance)
            .map(JsonObject.class::cast)
            .filter(key -> !"enc".equals(key.getString("use")))
            .filter(
                key -> key.getString("alg") == null || ALGORITHMS.contains(key.getString("alg")))
            .toList();
    if (signing.isEmpty()) {
      throw new IllegalStateException("the JWKS holds no signing key");
    }
    return JWTAuth.create(
        vertx,
        new JWTAuthOptions()
            .setJwks(signing)
            .setJWTOptions(
                new JWTOptions()
                    .setIssuer(settings.issuer())
                    .setAudience(List.of(settings.audience()))
                    .setLeeway(settings.leewaySeconds())));
  }
}

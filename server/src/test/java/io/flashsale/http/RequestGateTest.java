package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/**
 * The door in front of the router, without a server: which requests it refuses and why. The
 * raw-socket tests (BadInputTest) prove the same refusals reach a client as problem+json.
 */
class RequestGateTest {

  private static final HostAndPort HOST = HostAndPort.create("shop.test", 8080);

  /** Only what the gate reads: the version, the authority, the URI and the Expect header. */
  private static HttpServerRequest request(
      HttpVersion version, HostAndPort authority, String uri, String expect) {
    return (HttpServerRequest)
        Proxy.newProxyInstance(
            RequestGateTest.class.getClassLoader(),
            new Class<?>[] {HttpServerRequest.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "version" -> version;
                  case "authority" -> authority;
                  case "uri" -> uri;
                  case "getHeader" -> "Expect".equalsIgnoreCase(args[0].toString()) ? expect : null;
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  private static HttpServerRequest request(String uri) {
    return request(HttpVersion.HTTP_1_1, HOST, uri, null);
  }

  @Test
  void aWellFormedRequestGoesOn() {
    assertThat(RequestGate.refusal(request("/api/sales/42?x=%2F%2f"))).isNull();
    assertThat(RequestGate.refusal(request(HttpVersion.HTTP_1_1, HOST, "/", "100-continue")))
        .isNull();
    assertThat(RequestGate.refusal(request(HttpVersion.HTTP_1_1, HOST, "/", " 100-Continue ")))
        .isNull();
  }

  @Test
  void http11WithoutAHostIsRefusedButHttp10NeedsNone() {
    assertThat(RequestGate.refusal(request(HttpVersion.HTTP_1_1, null, "/", null)))
        .contains("Host header");
    assertThat(RequestGate.refusal(request(HttpVersion.HTTP_1_0, null, "/", null))).isNull();
  }

  @Test
  void aMalformedPercentEscapeIsRefused() {
    assertThat(RequestGate.refusal(request("/api/sales/%zz"))).contains("percent-escape");
    assertThat(RequestGate.refusal(request(null))).contains("percent-escape");
  }

  @Test
  void anExpectationOtherThan100ContinueIsRefusedAsSuch() {
    assertThat(RequestGate.refusal(request(HttpVersion.HTTP_1_1, HOST, "/", "200-ok")))
        .as("starts with Expect: answered 417, not 400")
        .startsWith("Expect");
  }

  @Test
  void everyPercentMustBeFollowedByTwoHexDigits() {
    assertThat(RequestGate.hasValidEscapes("/plain/path")).isTrue();
    assertThat(RequestGate.hasValidEscapes("/a%20b%2Fc%ff")).isTrue();
    assertThat(RequestGate.hasValidEscapes("/%41%42")).isTrue();
    assertThat(RequestGate.hasValidEscapes("/50%")).as("at the end").isFalse();
    assertThat(RequestGate.hasValidEscapes("/50%2")).as("one digit at the end").isFalse();
    assertThat(RequestGate.hasValidEscapes("/%g0")).isFalse();
    assertThat(RequestGate.hasValidEscapes("/%0g")).isFalse();
    assertThat(RequestGate.hasValidEscapes("/ok%20then%")).as("the last of several").isFalse();
    assertThat(RequestGate.hasValidEscapes("/%%41")).as("a percent is not a digit").isFalse();
  }
}

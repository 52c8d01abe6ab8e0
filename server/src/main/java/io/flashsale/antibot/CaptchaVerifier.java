package io.flashsale.antibot;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;

/**
 * Checks a CAPTCHA response token with the provider's siteverify endpoint, the shape that
 * Cloudflare Turnstile, hCaptcha and reCAPTCHA share: a form POST of secret, response and remoteip,
 * answered by {@code {success, hostname, action, error-codes}}. A provider that does not answer in
 * time is an outage (503), not a verdict on the buyer.
 */
public final class CaptchaVerifier {

  /** {@code expectedHostname} and {@code expectedAction} empty: not checked. */
  public record Settings(
      String verifyUrl,
      String secret,
      Duration timeout,
      String expectedHostname,
      String expectedAction) {}

  private final WebClient client;
  private final Settings settings;

  public CaptchaVerifier(Vertx vertx, Settings settings) {
    this.client = WebClient.create(vertx);
    this.settings = settings;
  }

  public Future<Void> verify(String token, String remoteIp) {
    if (token == null || token.isBlank() || token.length() > 4_096) {
      return Future.failedFuture(
          Rejection.CAPTCHA_MISSING.exception("this sale needs a CAPTCHA token"));
    }
    if (settings.verifyUrl().isBlank()) {
      return Future.failedFuture(
          new FlashSaleException(
              ErrorCode.UNAVAILABLE,
              "CAPTCHA verification is not configured (antibot.captcha.verify-url)"));
    }
    MultiMap form =
        MultiMap.caseInsensitiveMultiMap()
            .add("secret", settings.secret())
            .add("response", token)
            .add("remoteip", remoteIp == null ? "" : remoteIp);
    return client
        .postAbs(settings.verifyUrl())
        .timeout(settings.timeout().toMillis())
        .sendForm(form)
        .recover(
            unreachable ->
                Future.failedFuture(
                    new FlashSaleException(
                        ErrorCode.UNAVAILABLE, "the CAPTCHA provider did not answer; try again")))
        .compose(
            response -> {
              if (response.statusCode() != 200) {
                return Future.failedFuture(
                    new FlashSaleException(
                        ErrorCode.UNAVAILABLE,
                        "the CAPTCHA provider answered " + response.statusCode() + "; try again"));
              }
              JsonObject verdict;
              try {
                verdict = response.bodyAsJsonObject();
              } catch (RuntimeException notJson) {
                return Future.failedFuture(
                    new FlashSaleException(
                        ErrorCode.UNAVAILABLE,
                        "the CAPTCHA provider's answer was unreadable; try again"));
              }
              return verdict != null && accepts(verdict)
                  ? Future.succeededFuture()
                  : Future.failedFuture(
                      Rejection.CAPTCHA_REJECTED.exception("the CAPTCHA was not solved"));
            });
  }

  private boolean accepts(JsonObject verdict) {
    return Boolean.TRUE.equals(verdict.getValue("success"))
        && (settings.expectedHostname().isBlank()
            || settings.expectedHostname().equals(verdict.getValue("hostname")))
        && (settings.expectedAction().isBlank()
            || settings.expectedAction().equals(verdict.getValue("action")));
  }
}

package io.flashsale.http;

import io.flashsale.antibot.BotDefence.Attempt;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * What the bot defence needs to know about a request: who, from where, which device, and its
 * proofs.
 */
final class BotAttempts {

  /** The header a client sends its device fingerprint in (e.g. a FingerprintJS visitor id). */
  static final String DEVICE_HEADER = "X-Device-Fingerprint";

  private final ClientAddress clientAddress;

  BotAttempts(ClientAddress clientAddress) {
    this.clientAddress = clientAddress;
  }

  /** The header was checked by the contract (DeviceFingerprint), the body's fields too. */
  Attempt of(RoutingContext ctx, JsonObject input) {
    String device = ctx.request().getHeader(DEVICE_HEADER);
    JsonObject work = input.getJsonObject("proofOfWork");
    return new Attempt(
        Caller.of(ctx).userId(),
        clientAddress.of(ctx),
        device == null ? "" : device,
        work == null ? null : work.getString("challenge"),
        work == null ? null : work.getString("solution"),
        input.getString("captchaToken"));
  }
}

package io.flashsale.loadtest;

import io.flashsale.config.AppConfig;
import java.net.URI;
import picocli.CommandLine.Option;

/** The server a command drives and the secret it mints tokens with: shared by the commands. */
final class ServerOptions {

  @Option(names = "--url", description = "server base URL (default: ${DEFAULT-VALUE})")
  String url = "http://127.0.0.1:8080";

  @Option(
      names = "--jwt-secret",
      description = "the server's HS256 secret (default: from conf/ and FLASHSALE_JWT_SECRET)")
  String jwtSecret;

  URI base() {
    return URI.create(url);
  }

  /** The secret given, else the one the server's own configuration would use. */
  String secret() {
    return jwtSecret != null ? jwtSecret : AppConfig.load().jwtSecret();
  }
}

package io.flashsale.support;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The repository's root, for tests that read files outside their module (k8s/, deploy/, docs/,
 * conf/, the Dockerfile). Maven runs a module's tests in the module's folder, an IDE may run them
 * from the root: both find the same files.
 */
public final class SourceTree {

  /** The nearest folder, from the working directory up, that holds the parent pom and conf/. */
  public static final Path ROOT = find();

  private SourceTree() {}

  /** {@code relative} (e.g. "k8s" or "docs/runbook.md") under the repository's root. */
  public static Path path(String relative) {
    return ROOT.resolve(relative);
  }

  private static Path find() {
    Path start = Path.of("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("pom.xml"))
          && Files.isRegularFile(dir.resolve("conf/flashsale.properties"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "no repository root (pom.xml beside conf/flashsale.properties) above " + start);
  }
}

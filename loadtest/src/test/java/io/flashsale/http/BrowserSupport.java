package io.flashsale.http;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.http.ClientConfig;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's Chromium and ChromeDriver, driven through Selenium with the system driver named
 * explicitly (Selenium Manager never downloads anything), headless with a fresh profile each time,
 * plus axe-core from its WebJar for the accessibility checks. Every wait is bounded.
 */
final class BrowserSupport implements AutoCloseable {

  // Overridable so that the skip path can be tried on a machine that has a browser.
  static final String CHROMIUM = System.getProperty("flashsale.chromium", "/usr/bin/chromium");
  static final String CHROMEDRIVER =
      System.getProperty("flashsale.chromedriver", "/usr/bin/chromedriver");
  static final String AXE_SCRIPT = "META-INF/resources/webjars/axe-core/4.6.3/axe.min.js";
  static final Path SCREENSHOTS = Path.of("target", "screenshots");
  static final Duration WAIT = Duration.ofSeconds(30);

  private final ChromeDriverService service;
  private final List<WebDriver> drivers = new ArrayList<>();
  private final List<Path> profiles = new ArrayList<>();

  static boolean available() {
    return Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER));
  }

  static String unavailableMessage() {
    return "browser tests skipped: "
        + CHROMIUM
        + " and "
        + CHROMEDRIVER
        + " are needed (Debian packages chromium and "
        + "chromium-driver; .ci/run installs them)";
  }

  BrowserSupport() throws IOException {
    Files.createDirectories(SCREENSHOTS);
    service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER))
            .usingAnyFreePort()
            .withTimeout(Duration.ofSeconds(30))
            .withLogFile(Path.of("target", "chromedriver.log").toFile())
            .build();
    service.start();
  }

  /** A new headless browser with an empty profile, its window {@code width} x {@code height}. */
  WebDriver open(int width, int height) throws IOException {
    Path profile = Files.createTempDirectory("flashsale-chromium-");
    profiles.add(profile);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    // Without the background-networking flags Chromium keeps calling home, and this machine's
    // closed network refuses it many times a second.
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + profile,
        "--window-size=" + width + "," + height);
    WebDriver driver =
        new ChromeDriver(
            service,
            options,
            ClientConfig.defaultConfig()
                .connectionTimeout(Duration.ofSeconds(30))
                .readTimeout(Duration.ofSeconds(90)));
    driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
    drivers.add(driver);
    return driver;
  }

  static WebDriverWait waitOn(WebDriver driver) {
    return new WebDriverWait(driver, WAIT, Duration.ofMillis(50));
  }

  static Path screenshot(WebDriver driver, String name) {
    Path target = SCREENSHOTS.resolve(name + ".png");
    try {
      Files.copy(
          ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(),
          target,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return target;
  }

  /**
   * Runs axe-core on the page as it stands and returns the violations of serious or critical impact
   * (labels, contrast, headings, names of controls...), one line each.
   */
  @SuppressWarnings("unchecked")
  static List<String> seriousAccessibilityViolations(WebDriver driver) {
    JavascriptExecutor js = (JavascriptExecutor) driver;
    js.executeScript(axeSource());
    Object found =
        js.executeAsyncScript(
            """
        const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] })
          .then(result => done(result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at '
              + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', '))))
          .catch(e => done(['axe failed: ' + e]));
        """);
    return (List<String>) found;
  }

  private static String axeSource() {
    try (InputStream in = BrowserSupport.class.getClassLoader().getResourceAsStream(AXE_SCRIPT)) {
      if (in == null) {
        throw new IllegalStateException(AXE_SCRIPT + " is not on the test classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (WebDriver driver : drivers) {
      try {
        driver.quit();
      } catch (RuntimeException alreadyGone) {
        // The browser died with the test that failed; nothing more to release.
      }
    }
    service.stop();
    for (Path profile : profiles) {
      try (var files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      } catch (IOException ignored) {
        // A temporary profile left behind is harmless.
      }
    }
  }
}

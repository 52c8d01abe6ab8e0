package io.flashsale.http;

import static io.flashsale.http.BrowserSupport.seriousAccessibilityViolations;
import static io.flashsale.http.BrowserSupport.waitOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flashsale.antibot.ProofOfWork;
import io.flashsale.loadtest.LoadTest;
import io.flashsale.support.Await;
import io.flashsale.support.Sql;
import io.flashsale.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The web pages in a real browser (headless Chromium) against a real server, Redis and PostgreSQL:
 * a buyer signs in, joins a queued sale, watches the line move, pays in one click; the next buyer
 * is told it is sold out; an admin creates a sale through the form and watches its charts move
 * while a few hundred buyers arrive. Each page is checked with axe-core.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@EnabledIf(
    value = "io.flashsale.http.BrowserSupport#available",
    disabledReason =
        "browser tests skipped: "
            + "/usr/bin/chromium and /usr/bin/chromedriver are needed (Debian packages chromium and chromium-driver; "
            + ".ci/run installs them)")
class WebUiBrowserTest {

  private static Vertx vertx;
  private static TestServer server;
  private static BrowserSupport browsers;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(BrowserSupport.available(), BrowserSupport.unavailableMessage());
    vertx = Vertx.vertx();
    server =
        Await.result(
            TestServer.start(
                vertx,
                Map.of(
                    "FLASHSALE_DEMO", "true",
                    "FLASHSALE_WAITINGROOM_LIVE_PUSH_MS", "100",
                    "FLASHSALE_LIFECYCLE_TICK_MS", "200",
                    "FLASHSALE_CHECKOUT_SWEEP_MS", "200")));
    base = "http://127.0.0.1:" + server.port();
    browsers = new BrowserSupport();
  }

  @AfterAll
  static void stop() {
    if (browsers != null) {
      browsers.close();
    }
    if (server != null) {
      Await.result(server.stop().eventually(vertx::close));
    }
  }

  @Test
  void aBuyerJoinsTheLineWatchesItMoveAndPaysInOneClickThenTheNextBuyerIsToldItIsSoldOut()
      throws Exception {
    WebDriver browser = browsers.open(1280, 1000);
    browser.get(base + "/signin.html");
    waitOn(browser).until(ExpectedConditions.visibilityOfElementLocated(By.id("name")));
    assertAccessible(browser, "sign-in page");

    // Ten buyers are already in line, and two are let in per second: the browser's buyer is
    // eleventh, so there is a line to watch move. The sale is made only now, so the browser's
    // start-up does not eat into it.
    String saleId = createQueuedSale(11, 2, 8, "Limited sneakers");
    for (int i = 0; i < 10; i++) {
      joinWithProofOfWork(saleId, "ahead-" + i);
    }

    // Before signing in, the list and the product page show the sale (public, cacheable data),
    // and the page asks to sign in only to join.
    browser.get(base + "/");
    waitOn(browser)
        .until(
            ExpectedConditions.textToBePresentInElementLocated(By.id("sales"), "Limited sneakers"));
    browser.get(base + "/sale.html?sale=" + saleId);
    waitOn(browser).until(ExpectedConditions.textToBe(By.id("product"), "Limited sneakers"));
    assertThat(browser.findElement(By.id("price")).getText()).contains("19.99");
    WebElement signInToJoin =
        waitOn(browser).until(ExpectedConditions.elementToBeClickable(By.id("join")));
    assertThat(signInToJoin.getText()).isEqualTo("Sign in to join the line");
    assertThat(browser.findElement(By.id("card")).isDisplayed())
        .as("no card to choose before signing in")
        .isFalse();
    assertAccessible(browser, "sale page before sign-in");
    BrowserSupport.screenshot(browser, "buyer-before-sign-in");
    signInToJoin.click();
    waitOn(browser).until(ExpectedConditions.urlContains("/signin.html?next="));

    signIn(browser, "alice", false, "/sale.html?sale=" + saleId);
    waitOn(browser).until(ExpectedConditions.textToBe(By.id("product"), "Limited sneakers"));
    assertThat(browser.findElement(By.id("join")).getText()).isEqualTo("Join the line");
    WebElement join = waitOn(browser).until(ExpectedConditions.elementToBeClickable(By.id("join")));
    assertThat(browser.findElement(By.id("price")).getText()).contains("19.99");
    join.sendKeys(Keys.ENTER);

    // The proof of work is solved in a Web Worker; then the live view takes over.
    List<Long> positions = new ArrayList<>();
    boolean pictured = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String state = state(browser);
    while (!"RESERVED".equals(state) && !"PAID".equals(state) && System.nanoTime() < deadline) {
      if ("QUEUED".equals(state)) {
        String shown = browser.findElement(By.id("position")).getText().replaceAll("[^0-9]", "");
        if (!shown.isEmpty()
            && (positions.isEmpty()
                || positions.get(positions.size() - 1) != Long.parseLong(shown))) {
          positions.add(Long.parseLong(shown));
        }
        // Pictured once the line has visibly moved, while there is still some of it left.
        if (!pictured && positions.size() >= 2 && Long.parseLong(shown) > 1) {
          BrowserSupport.screenshot(browser, "buyer-in-line");
          pictured = true;
          assertAccessible(browser, "sale page, in line");
        }
      }
      Thread.sleep(50);
      state = state(browser);
    }
    assertThat(state).as("the buyer was admitted and holds a reservation").isEqualTo("RESERVED");
    assertThat(pictured).as("the page was seen (and checked) while the line moved").isTrue();
    assertThat(positions)
        .as("positions seen on the page")
        .hasSizeGreaterThanOrEqualTo(2)
        .isSortedAccordingTo((a, b) -> Long.compare(b, a));
    assertThat(positions.get(positions.size() - 1)).isLessThan(positions.get(0));

    // One click (here one key: the Pay button has the focus as soon as the hold is shown).
    WebElement pay = waitOn(browser).until(ExpectedConditions.elementToBeClickable(By.id("pay")));
    assertThat(browser.findElement(By.id("hold-countdown")).getText())
        .startsWith("Your hold ends in");
    assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("pay");
    assertAccessible(browser, "sale page, reserved");
    pay.sendKeys(Keys.ENTER);
    waitOn(browser).until(driver -> "PAID".equals(state(driver)));
    assertThat(browser.findElement(By.id("state")).getText()).startsWith("Paid.");
    BrowserSupport.screenshot(browser, "buyer-paid");
    try (Connection db = server.database();
        ResultSet order =
            Sql.query(
                db,
                "SELECT status FROM sale_orders WHERE sale_id = ? AND user_id = ?",
                UUID.fromString(saleId),
                "alice")) {
      assertThat(order.next()).isTrue();
      assertThat(order.getString(1)).isEqualTo("PAID");
    }

    // Her orders, from the account menu: the paid one, named by its sale.
    browser.findElement(By.linkText("My orders")).click();
    WebElement paidOrder =
        waitOn(browser)
            .until(
                ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector("#orders .card[data-status=PAID]")));
    assertThat(paidOrder.getText()).contains("Limited sneakers").contains("Paid").contains("19.99");
    assertAccessible(browser, "my orders");
    BrowserSupport.screenshot(browser, "buyer-orders");

    // The next buyer, on a phone-sized window, arrives after the last unit is gone.
    browser.findElement(By.id("sign-out")).click();
    browser.manage().window().setSize(new Dimension(390, 844));
    signIn(browser, "bob", false, "/sale.html?sale=" + saleId);
    waitOn(browser).until(ExpectedConditions.elementToBeClickable(By.id("join"))).click();
    waitOn(browser).until(driver -> "SOLD_OUT".equals(state(driver)));
    assertThat(browser.findElement(By.id("state")).getText()).startsWith("Sold out.");
    Number overflow =
        (Number)
            ((JavascriptExecutor) browser)
                .executeScript(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth");
    assertThat(overflow.intValue())
        .as("nothing wider than a phone's screen")
        .isLessThanOrEqualTo(0);
    BrowserSupport.screenshot(browser, "buyer-sold-out-phone");

    // A waitlisted buyer keeps listening; when the socket drops, the page polls and reconnects.
    waitOn(browser)
        .until(
            ExpectedConditions.textToBe(
                By.id("connection"), "Live: your place updates by itself."));
    ((JavascriptExecutor) browser).executeScript("window.liveTicket.socket.close()");
    waitOn(browser)
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("connection"), "Reconnecting"));
    waitOn(browser)
        .until(
            ExpectedConditions.textToBe(
                By.id("connection"), "Live: your place updates by itself."));
    assertThat(state(browser)).isEqualTo("SOLD_OUT");

    browser.get(base + "/");
    waitOn(browser)
        .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#sales .card")));
    assertThat(browser.findElement(By.id("sales")).getText()).contains("Limited sneakers");
    assertAccessible(browser, "list of sales");
  }

  @Test
  void anAdminCreatesASaleThroughTheFormAndWatchesItsChartsMoveWhileBuyersArrive()
      throws Exception {
    WebDriver browser = browsers.open(1280, 1500);
    signIn(browser, "boss", true, null);
    waitOn(browser).until(ExpectedConditions.urlContains("/admin"));
    WebElement name =
        waitOn(browser).until(ExpectedConditions.visibilityOfElementLocated(By.id("productName")));

    String product = "Browser launch " + UUID.randomUUID().toString().substring(0, 8);
    name.sendKeys(product);
    type(browser, "quantity", "0");
    type(browser, "startsIn", "0");
    type(browser, "admissionRatePerSecond", "30");
    new Select(browser.findElement(By.id("queuePolicy"))).selectByValue("FIFO");
    browser.findElement(By.id("create-button")).click();
    // The form refuses what the server would refuse, and says why next to the field.
    WebElement quantityError =
        waitOn(browser)
            .until(ExpectedConditions.visibilityOfElementLocated(By.id("quantity-error")));
    assertThat(quantityError.getText()).contains("whole number from 1");
    assertThat(browser.findElement(By.id("quantity")).getAttribute("aria-invalid"))
        .isEqualTo("true");
    assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("quantity");

    int units = 120;
    type(browser, "quantity", Integer.toString(units));
    browser.findElement(By.id("create-button")).click();
    JavascriptExecutor js = (JavascriptExecutor) browser;
    waitOn(browser)
        .until(
            driver ->
                js.executeScript(
                        "return window.dashboard.saleId && window.dashboard.polls >= 2 ? window.dashboard.saleId : null")
                    != null);
    String saleId = (String) js.executeScript("return window.dashboard.saleId");
    assertThat(browser.findElement(By.id("message")).getText()).contains("Sale created");
    assertThat(browser.findElement(By.id("live-heading")).getText()).contains(product);

    // A few hundred buyers, through the project's own load test pointed at the sale on screen.
    ExecutorService loader = Executors.newSingleThreadExecutor();
    try {
      int exit =
          loader
              .submit(
                  () ->
                      LoadTest.run(
                          new String[] {
                            "--url",
                            base,
                            "--sale",
                            saleId,
                            "--buyers",
                            "300",
                            "--concurrency",
                            "32",
                            "--warmup",
                            "0",
                            "--baseline-requests",
                            "0",
                            "--jwt-secret",
                            TestServer.JWT_SECRET,
                            "--settle-timeout",
                            "60"
                          }))
              .get(120, TimeUnit.SECONDS);
      assertThat(exit).as("the load test's verdict: invariants held").isZero();
    } finally {
      loader.shutdownNow();
    }

    waitOn(browser).until(ExpectedConditions.textToBe(By.id("stat-sold"), units + " of " + units));
    waitOn(browser).until(ExpectedConditions.textToBe(By.id("stat-recon"), "In balance"));
    assertThat(
            Long.parseLong(
                browser.findElement(By.id("stat-queue")).getText().replaceAll("[^0-9]", "")))
        .as("the buyers who did not get a unit wait on the waitlist")
        .isEqualTo(300 - units);
    assertThat(browser.findElement(By.id("stat-reservations")).getText())
        .isEqualTo(Integer.toString(units));

    @SuppressWarnings("unchecked")
    List<Object> sold =
        (List<Object>) js.executeScript("return window.dashboard.samples.map(s => s.sold)");
    @SuppressWarnings("unchecked")
    List<Object> queue =
        (List<Object>) js.executeScript("return window.dashboard.samples.map(s => s.queueDepth)");
    assertThat(sold)
        .as("the sold line rose from nothing to the whole stock while the page was open")
        .first()
        .isEqualTo(0L);
    assertThat(sold).last().isEqualTo((long) units);
    assertThat(queue)
        .as("the queue line rose above zero")
        .anyMatch(depth -> ((Number) depth).longValue() > 0);
    Number plotted =
        (Number) js.executeScript("return window.dashboard.charts.units.data[1].length");
    assertThat(plotted.intValue()).as("the chart holds every sample").isEqualTo(sold.size());
    Number ratesPlotted =
        (Number)
            js.executeScript(
                "return Math.max(...window.dashboard.charts.rates.data[1].filter(v => v != null))");
    assertThat(ratesPlotted.doubleValue()).as("admissions per second were plotted").isPositive();

    BrowserSupport.screenshot(browser, "admin");
    assertAccessible(browser, "admin dashboard");
    try (Connection db = server.database();
        ResultSet row =
            Sql.query(
                db,
                "SELECT product_name, quantity_available, queue_policy FROM flash_sales"
                    + " WHERE sale_id = ?",
                UUID.fromString(saleId))) {
      assertThat(row.next()).isTrue();
      assertThat(row.getString(1)).isEqualTo(product);
      assertThat(row.getInt(2)).isEqualTo(units);
      assertThat(row.getString(3)).isEqualTo("FIFO");
    }

    // The operator pauses admission from the dashboard; the server records who did it.
    browser.findElement(By.id("control-pause")).click();
    waitOn(browser)
        .until(
            ExpectedConditions.textToBePresentInElementLocated(By.id("control-result"), "paused"));
    try (Connection db = server.database();
        ResultSet row =
            Sql.query(
                db,
                "SELECT s.admission_paused, a.action FROM flash_sales s"
                    + " JOIN operator_actions a ON a.sale_id = s.sale_id WHERE s.sale_id = ?",
                UUID.fromString(saleId))) {
      assertThat(row.next()).isTrue();
      assertThat(row.getBoolean(1)).isTrue();
      assertThat(row.getString(2)).isEqualTo("PAUSE");
    }
  }

  private static void signIn(WebDriver browser, String name, boolean admin, String next) {
    browser.get(
        base
            + "/signin.html"
            + (next == null ? "" : "?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8)));
    WebElement field =
        waitOn(browser).until(ExpectedConditions.visibilityOfElementLocated(By.id("name")));
    if (admin) {
      browser.findElement(By.id("admin")).click();
    }
    String before = browser.getCurrentUrl();
    field.sendKeys(name, Keys.ENTER);
    waitOn(browser).until(driver -> !driver.getCurrentUrl().equals(before));
  }

  private static void type(WebDriver browser, String id, String text) {
    WebElement field = browser.findElement(By.id(id));
    field.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
    field.sendKeys(text);
  }

  private static String state(WebDriver browser) {
    return browser.findElement(By.id("state")).getAttribute("data-state");
  }

  private static void assertAccessible(WebDriver browser, String page) {
    assertThat(seriousAccessibilityViolations(browser))
        .as("serious or critical accessibility violations on the " + page)
        .isEmpty();
  }

  private static String createQueuedSale(int units, int rate, int powBits, String name) {
    return Await.result(
            server.createSale(
                units,
                new JsonObject()
                    .put("productName", name)
                    .put("waitingRoom", true)
                    .put("queuePolicy", "FIFO")
                    .put("admissionRatePerSecond", rate)
                    .put("proofOfWorkDifficulty", powBits)
                    .put("startTime", Instant.now().plusSeconds(1).toString())
                    .put("endTime", Instant.now().plus(Duration.ofHours(1)).toString())))
        .getString("saleId");
  }

  /** A buyer ahead in line, as the load test joins: fetch a challenge, solve it, join. */
  private static void joinWithProofOfWork(String saleId, String user) {
    String token = server.token(user);
    Future<Integer> joined =
        server
            .client()
            .get("/api/sales/" + saleId + "/challenge")
            .bearerTokenAuthentication(token)
            .send()
            .compose(
                challenge -> {
                  JsonObject issued = challenge.bodyAsJsonObject();
                  String solution =
                      ProofOfWork.solve(
                          issued.getString("challenge"), issued.getInteger("difficulty"));
                  return server
                      .client()
                      .post("/api/sales/" + saleId + "/queue")
                      .bearerTokenAuthentication(token)
                      .sendJsonObject(
                          new JsonObject()
                              .put("quantity", 1)
                              .put("paymentMethodId", "pm_card_visa")
                              .put(
                                  "proofOfWork",
                                  new JsonObject()
                                      .put("challenge", issued.getString("challenge"))
                                      .put("solution", solution)));
                })
            .map(reply -> reply.statusCode());
    assertThat(Await.result(joined)).isEqualTo(202);
  }
}

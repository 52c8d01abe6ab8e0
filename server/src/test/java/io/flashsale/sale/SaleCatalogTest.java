package io.flashsale.sale;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.Migrations;
import io.flashsale.infra.PgUrls;
import io.flashsale.support.Await;
import io.flashsale.support.Poll;
import io.flashsale.support.Sql;
import io.flashsale.support.TestStores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The catalog of sale definitions against a real PostgreSQL, on a clock the test moves: a sale once
 * read is served while its refresh waits on a locked table, so a held-up database stalls one read,
 * not every buyer's pre-check.
 */
class SaleCatalogTest {

  private static final long MAX_AGE_MS = 1_000;

  private final AtomicLong now =
      new AtomicLong(Instant.parse("2026-12-01T12:00:00Z").toEpochMilli());
  private Vertx vertx;
  private Pool pool;
  private String pgUrl;
  private SaleRepository sales;
  private SaleCatalog catalog;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    pgUrl = TestStores.get().freshDatabase();
    Migrations.migrate(pgUrl);
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(4))
            .connectingTo(PgUrls.connectOptions(pgUrl))
            .using(vertx)
            .build();
    sales = new SaleRepository();
    catalog = new SaleCatalog(pool, sales, new MovingClock(now), MAX_AGE_MS);
  }

  @AfterEach
  void stop() {
    Await.result(pool.close());
    Await.result(vertx.close());
  }

  @Test
  void servesTheKnownSaleWhileItsRefreshWaitsOnALockedTable() throws Exception {
    FlashSale sale = Await.result(sales.insert(pool, newSale("Lamp")));
    assertThat(Await.result(catalog.get(id(sale))).productName()).isEqualTo("Lamp");

    try (Connection db = TestStores.jdbc(pgUrl);
        Statement statement = db.createStatement()) {
      db.setAutoCommit(false);
      Sql.update(
          db, "UPDATE flash_sales SET product_name = ? WHERE sale_id = ?", "Desk lamp", id(sale));
      statement.execute("LOCK TABLE flash_sales IN ACCESS EXCLUSIVE MODE");
      now.addAndGet(MAX_AGE_MS + 1);

      // Every read of the table now waits for the lock: a stale entry that waited for its refresh
      // would never answer.
      for (int i = 0; i < 3; i++) {
        Future<FlashSale> served = catalog.get(id(sale));
        assertThat(Await.result(served, Duration.ofSeconds(10)).productName())
            .as("the known sale, served while the refresh waits")
            .isEqualTo("Lamp");
      }
      assertThat(activeReads()).as("one refresh on its way, not one per caller").isEqualTo(1);
      db.commit();
    }

    Poll.until(
        () -> Await.result(catalog.get(id(sale))).productName(),
        "Desk lamp"::equals,
        Duration.ofSeconds(10));
  }

  @Test
  void aForgottenSaleIsReadAgainAtOnce() {
    FlashSale sale = Await.result(sales.insert(pool, newSale("Chair")));
    assertThat(Await.result(catalog.get(id(sale))).admissionPaused()).isFalse();

    Await.result(sales.setAdmissionPaused(pool, id(sale), true));
    assertThat(Await.result(catalog.get(id(sale))).admissionPaused())
        .as("within its max age the catalog answers from memory")
        .isFalse();
    catalog.forget(id(sale));

    assertThat(Await.result(catalog.get(id(sale))).admissionPaused()).isTrue();
  }

  /** Statements of the test's pool waiting on a lock (the catalog's reads of flash_sales). */
  private int activeReads() {
    return Poll.until(
        () -> {
          try (Connection db = TestStores.jdbc(pgUrl);
              Statement statement = db.createStatement();
              var rows =
                  statement.executeQuery(
                      "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                          + " AND datname = current_database()")) {
            rows.next();
            return rows.getInt(1);
          } catch (SQLException e) {
            throw new AssertionError(e);
          }
        },
        waiting -> waiting > 0,
        Duration.ofSeconds(10));
  }

  private static UUID id(FlashSale sale) {
    return UUID.fromString(sale.saleId());
  }

  private static NewSale newSale(String name) {
    Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    return new NewSale(
        "P-" + name,
        name,
        10,
        100,
        "EUR",
        start,
        start.plusSeconds(3_600),
        1,
        100,
        300,
        false,
        QueuePolicy.FIFO,
        0,
        false,
        1);
  }

  /** Reads the test's moving time; only {@link SaleCatalog}'s max age looks at it here. */
  private static final class MovingClock extends Clock {
    private final AtomicLong millis;

    MovingClock(AtomicLong millis) {
      this.millis = millis;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }
}

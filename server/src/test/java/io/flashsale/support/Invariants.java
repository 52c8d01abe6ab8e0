package io.flashsale.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/** SPEC section 10, read from PostgreSQL itself, not from what the API answered. */
public final class Invariants {

  public record SaleFigures(
      int quantityAvailable,
      int quantitySold,
      int heldOrPaid,
      int maxPerUser,
      int perUserLimit,
      int eligibilityTotal,
      String status) {}

  private Invariants() {}

  public static SaleFigures figures(Connection db, String saleId) throws SQLException {
    try (PreparedStatement query =
        db.prepareStatement(
            """
        SELECT s.quantity_available, s.quantity_sold, s.per_user_limit, s.status,
               (SELECT coalesce(sum(quantity), 0) FROM sale_orders o
                 WHERE o.sale_id = s.sale_id AND o.status IN ('RESERVED', 'PAID')) AS held_or_paid,
               (SELECT coalesce(max(per_user), 0) FROM (
                  SELECT sum(quantity) AS per_user FROM sale_orders o
                   WHERE o.sale_id = s.sale_id AND o.status IN ('RESERVED', 'PAID') GROUP BY user_id) u) AS max_per_user,
               (SELECT coalesce(sum(quantity_purchased), 0) FROM user_sale_eligibility e
                 WHERE e.sale_id = s.sale_id) AS eligibility_total
          FROM flash_sales s WHERE s.sale_id = ?""")) {
      query.setObject(1, UUID.fromString(saleId));
      try (ResultSet row = query.executeQuery()) {
        assertThat(row.next()).as("sale %s exists", saleId).isTrue();
        return new SaleFigures(
            row.getInt("quantity_available"),
            row.getInt("quantity_sold"),
            row.getInt("held_or_paid"),
            row.getInt("max_per_user"),
            row.getInt("per_user_limit"),
            row.getInt("eligibility_total"),
            row.getString("status"));
      }
    }
  }

  /** I1 and I2, plus the eligibility rows agreeing with the orders. */
  public static SaleFigures assertNoOversell(Connection db, String saleId) throws SQLException {
    SaleFigures f = figures(db, saleId);
    assertThat(f.heldOrPaid())
        .as("I1: held+paid <= available")
        .isLessThanOrEqualTo(f.quantityAvailable());
    assertThat(f.heldOrPaid()).as("I1: held+paid = quantity_sold").isEqualTo(f.quantitySold());
    assertThat(f.maxPerUser())
        .as("I2: no buyer over the per-user limit")
        .isLessThanOrEqualTo(f.perUserLimit());
    assertThat(f.eligibilityTotal())
        .as("eligibility rows count the held+paid units")
        .isEqualTo(f.heldOrPaid());
    return f;
  }

  public static int count(Connection db, String sql, Object... parameters) throws SQLException {
    try (PreparedStatement query = db.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        query.setObject(i + 1, parameters[i]);
      }
      try (ResultSet row = query.executeQuery()) {
        row.next();
        return row.getInt(1);
      }
    }
  }
}

package io.flashsale.support;

import io.flashsale.infra.SaleKeys;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

/**
 * Everything a refused request could have touched, PostgreSQL and Redis, as one comparable string:
 * equal before and after means the request changed nothing.
 */
public final class StoreSnapshot {

  private static final List<String> QUERIES =
      List.of(
          "SELECT count(*), coalesce(sum(quantity_sold), 0), string_agg(status, ',' ORDER BY sale_id) FROM flash_sales",
          "SELECT count(*), string_agg(order_id || status, ',' ORDER BY order_id) FROM sale_orders",
          "SELECT count(*), coalesce(sum(quantity_purchased), 0) FROM user_sale_eligibility",
          "SELECT count(*) FROM sale_subscriptions",
          "SELECT count(*) FROM blacklisted_accounts",
          "SELECT count(*) FROM payment_authorizations");

  private StoreSnapshot() {}

  public static String of(TestServer server, List<String> saleIds) throws Exception {
    StringBuilder state = new StringBuilder();
    try (Connection db = server.database();
        Statement statement = db.createStatement()) {
      for (String sql : QUERIES) {
        try (ResultSet row = statement.executeQuery(sql)) {
          row.next();
          for (int column = 1; column <= row.getMetaData().getColumnCount(); column++) {
            state.append(row.getString(column)).append('|');
          }
        }
      }
    }
    for (String saleId : saleIds) {
      SaleKeys keys = new SaleKeys(saleId);
      state
          .append(
              Await.result(
                  server
                      .services()
                      .api()
                      .redis()
                      .batch(
                          List.of(
                              Request.cmd(Command.GET).arg(keys.stock()),
                              Request.cmd(Command.HLEN).arg(keys.line(0, 1).tickets()),
                              Request.cmd(Command.HLEN).arg(keys.buyers()),
                              Request.cmd(Command.HLEN).arg(keys.inflight())))))
          .append('|');
    }
    return state.toString();
  }
}

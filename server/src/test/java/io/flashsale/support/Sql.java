package io.flashsale.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Parameterised SQL for tests that read or nudge the database directly: values travel as {@code ?}
 * parameters, never spliced into the text (a UUID goes as a {@link java.util.UUID}).
 */
public final class Sql {

  private Sql() {}

  /** The rows of {@code sql}; closing them closes the statement too. */
  public static ResultSet query(Connection db, String sql, Object... parameters)
      throws SQLException {
    PreparedStatement statement = prepare(db, sql, parameters);
    try {
      statement.closeOnCompletion();
      return statement.executeQuery();
    } catch (SQLException e) {
      statement.close();
      throw e;
    }
  }

  /** Runs an INSERT, UPDATE or DELETE; answers how many rows it changed. */
  public static int update(Connection db, String sql, Object... parameters) throws SQLException {
    try (PreparedStatement statement = prepare(db, sql, parameters)) {
      return statement.executeUpdate();
    }
  }

  private static PreparedStatement prepare(Connection db, String sql, Object... parameters)
      throws SQLException {
    PreparedStatement statement = db.prepareStatement(sql);
    try {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      return statement;
    } catch (SQLException e) {
      statement.close();
      throw e;
    }
  }
}

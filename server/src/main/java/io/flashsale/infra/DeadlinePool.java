package io.flashsale.infra;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.TransactionPropagation;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.impl.SocketConnectionBase;
import io.vertx.sqlclient.internal.Connection;
import io.vertx.sqlclient.internal.SqlConnectionInternal;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collector;

/**
 * The PostgreSQL pool with a client-side deadline on every call: a query, or a whole transaction
 * (lease, BEGIN, statements, COMMIT), answers within the deadline or fails with {@link
 * StoreTimeoutException}. A frozen database (SIGSTOP, a partition) never answers and never resets
 * the socket, so without this a request waits until it comes back; and a connection stuck on it is
 * closed rather than handed to the next request.
 */
final class DeadlinePool implements Pool {

  private final Pool pool;
  private final StoreDeadline deadline;

  DeadlinePool(Vertx vertx, Pool pool, Duration deadline) {
    this.pool = pool;
    this.deadline = new StoreDeadline(vertx, "PostgreSQL", deadline);
  }

  @Override
  public <T> Future<T> withConnection(Function<SqlConnection, Future<T>> work) {
    return deadline.run(pool::getConnection, work, SqlConnection::close, DeadlinePool::discard);
  }

  @Override
  public <T> Future<T> withTransaction(Function<SqlConnection, Future<T>> work) {
    // As Pool's own: commit on success, roll back on failure (a failed statement has already
    // rolled it back; then this rollback fails and the first failure stands).
    return withConnection(
        conn ->
            conn.begin()
                .compose(
                    tx -> {
                      Future<T> done;
                      try {
                        done = work.apply(conn);
                      } catch (RuntimeException e) {
                        done = Future.failedFuture(e);
                      }
                      return done.compose(
                          result -> tx.commit().map(result),
                          failure ->
                              tx.rollback()
                                  .transform(rolledBack -> Future.<T>failedFuture(failure)));
                    }));
  }

  @Override
  public <T> Future<T> withTransaction(
      TransactionPropagation propagation, Function<SqlConnection, Future<T>> work) {
    if (propagation != TransactionPropagation.NONE) {
      throw new UnsupportedOperationException(
          "only TransactionPropagation.NONE is bounded by the store deadline");
    }
    return withTransaction(work);
  }

  /**
   * The lease alone is bounded: work on the connection is the caller's to bound; prefer {@link
   * #withConnection} or {@link #withTransaction}.
   */
  @Override
  public Future<SqlConnection> getConnection() {
    return deadline.lease(pool::getConnection, SqlConnection::close);
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return new BoundedQuery<>(client -> client.query(sql));
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return new BoundedPreparedQuery<>(client -> client.preparedQuery(sql));
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
    return new BoundedPreparedQuery<>(client -> client.preparedQuery(sql, options));
  }

  @Override
  public int size() {
    return pool.size();
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }

  /**
   * Closes the socket under a pooled connection, so the pool drops it: handing it back would queue
   * the next borrower behind a command the database has not answered.
   */
  private static void discard(SqlConnection conn) {
    Connection pooled = conn instanceof SqlConnectionInternal internal ? internal.unwrap() : null;
    if (pooled != null && pooled.unwrap() instanceof SocketConnectionBase socket) {
      socket.socket().close();
    } else {
      conn.close();
    }
  }

  /** A query built on the leased connection each time it runs. */
  private class BoundedQuery<T> implements Query<T> {
    final Function<SqlClient, Query<T>> build;

    BoundedQuery(Function<SqlClient, Query<T>> build) {
      this.build = build;
    }

    @Override
    public Future<T> execute() {
      return withConnection(conn -> build.apply(conn).execute());
    }

    @Override
    public <R> Query<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
      return new BoundedQuery<>(client -> build.apply(client).collecting(collector));
    }

    @Override
    public <U> Query<RowSet<U>> mapping(Function<Row, U> mapper) {
      return new BoundedQuery<>(client -> build.apply(client).mapping(mapper));
    }
  }

  private final class BoundedPreparedQuery<T> implements PreparedQuery<T> {
    private final Function<SqlClient, PreparedQuery<T>> build;

    BoundedPreparedQuery(Function<SqlClient, PreparedQuery<T>> build) {
      this.build = build;
    }

    @Override
    public Future<T> execute() {
      return withConnection(conn -> build.apply(conn).execute());
    }

    @Override
    public Future<T> execute(Tuple arguments) {
      return withConnection(conn -> build.apply(conn).execute(arguments));
    }

    @Override
    public Future<T> executeBatch(List<Tuple> batch) {
      return withConnection(conn -> build.apply(conn).executeBatch(batch));
    }

    @Override
    public <R> PreparedQuery<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
      return new BoundedPreparedQuery<>(client -> build.apply(client).collecting(collector));
    }

    @Override
    public <U> PreparedQuery<RowSet<U>> mapping(Function<Row, U> mapper) {
      return new BoundedPreparedQuery<>(client -> build.apply(client).mapping(mapper));
    }
  }
}

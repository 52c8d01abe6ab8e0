package io.flashsale.infra;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One deadline for one unit of store work: leasing a connection, the work on it, and giving
 * it back. Past the deadline the caller gets a {@link StoreTimeoutException} at once, and a
 * connection still busy with the work is closed, not given back: its socket may hold a
 * command the frozen store has not answered, and the next borrower would queue behind it.
 * A lease that arrives after the deadline goes back to the pool unused, so nothing is sent
 * on behalf of a caller who has already been told "unavailable".
 */
final class StoreDeadline {

  private final Vertx vertx;
  private final String store;
  private final Duration deadline;

  StoreDeadline(Vertx vertx, String store, Duration deadline) {
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("a store deadline must be positive, got " + deadline);
    }
    this.vertx = vertx;
    this.store = store;
    this.deadline = deadline;
  }

  /**
   * Runs {@code work} on a connection from {@code lease}; {@code giveBack} returns it to its
   * pool, {@code discard} closes it for good.
   */
  <C, T> Future<T> run(Supplier<Future<C>> lease, Function<C, Future<T>> work, Consumer<C> giveBack,
                       Consumer<C> discard) {
    Promise<T> answer = Promise.promise();
    // Holds the connection while the work runs; whoever takes it out (the work finishing or
    // the deadline passing) decides its fate, exactly once.
    AtomicReference<C> busy = new AtomicReference<>();
    long timer = vertx.setTimer(deadline.toMillis(), fired -> {
      if (answer.tryFail(new StoreTimeoutException(store, deadline))) {
        C stuck = busy.getAndSet(null);
        if (stuck != null) {
          discard.accept(stuck);
        }
      }
    });
    Future<C> leased;
    try {
      leased = lease.get();
    } catch (RuntimeException e) {
      leased = Future.failedFuture(e);
    }
    leased.onComplete(acquired -> {
      if (acquired.failed()) {
        vertx.cancelTimer(timer);
        answer.tryFail(acquired.cause());
        return;
      }
      C connection = acquired.result();
      busy.set(connection);
      if (answer.future().isComplete()) {
        if (busy.compareAndSet(connection, null)) {
          giveBack.accept(connection);
        }
        return;
      }
      Future<T> done;
      try {
        done = work.apply(connection);
      } catch (RuntimeException e) {
        done = Future.failedFuture(e);
      }
      done.onComplete(outcome -> {
        if (busy.compareAndSet(connection, null)) {
          vertx.cancelTimer(timer);
          giveBack.accept(connection);
          if (outcome.succeeded()) {
            answer.tryComplete(outcome.result());
          } else {
            answer.tryFail(outcome.cause());
          }
        }
      });
    });
    return answer.future();
  }

  /** Just the lease, bounded; one that arrives too late goes straight back through {@code giveBack}. */
  <C> Future<C> lease(Supplier<Future<C>> lease, Consumer<C> giveBack) {
    Promise<C> answer = Promise.promise();
    long timer = vertx.setTimer(deadline.toMillis(),
        fired -> answer.tryFail(new StoreTimeoutException(store, deadline)));
    lease.get().onComplete(acquired -> {
      vertx.cancelTimer(timer);
      if (acquired.failed()) {
        answer.tryFail(acquired.cause());
      } else if (!answer.tryComplete(acquired.result())) {
        giveBack.accept(acquired.result());
      }
    });
    return answer.future();
  }

  Duration deadline() {
    return deadline;
  }
}

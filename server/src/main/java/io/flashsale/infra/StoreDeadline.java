package io.flashsale.infra;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One deadline for one unit of store work: leasing a connection, the work on it, and giving it
 * back. A store that has answered nothing at all for the deadline is taken as frozen (or
 * partitioned away): every call waiting on it fails with {@link StoreTimeoutException}, and a
 * connection still busy with the work is closed, not given back, because its socket holds a command
 * the store has not answered and the next borrower would queue behind it. A store that is answering
 * other calls is busy, not gone (a herd queueing for the pool, a hot row lock): a call waits on it
 * up to {@link #BUSY_FACTOR} deadlines. A lease that arrives after its call gave up goes back to
 * the pool unused, so nothing is sent on behalf of a caller who has already been told
 * "unavailable".
 */
final class StoreDeadline {

  /**
   * A promise whose callbacks run on the caller's context, whichever thread the store's client
   * answers on: a pooled connection belongs to the event loop that opened it, so without this the
   * rest of a request (its response included) would run on that loop, not the request's own.
   */
  private static <T> Promise<T> callersPromise() {
    ContextInternal caller = ContextInternal.current();
    return caller != null ? caller.promise() : Promise.promise();
  }

  /** The longest a call waits on a store that is still answering others, in deadlines. */
  static final int BUSY_FACTOR = 4;

  private static final long RECHECK_MILLIS = 250;

  private final Vertx vertx;
  private final String store;
  private final Duration deadline;
  private final AtomicLong lastAnswer = new AtomicLong(System.nanoTime());

  StoreDeadline(Vertx vertx, String store, Duration deadline) {
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("a store deadline must be positive, got " + deadline);
    }
    this.vertx = vertx;
    this.store = store;
    this.deadline = deadline;
  }

  /**
   * Runs {@code work} on a connection from {@code lease}; {@code giveBack} returns it to its pool,
   * {@code discard} closes it for good.
   */
  <C, T> Future<T> run(
      Supplier<Future<C>> lease,
      Function<C, Future<T>> work,
      Consumer<C> giveBack,
      Consumer<C> discard) {
    Promise<T> answer = callersPromise();
    // Holds the connection while the work runs; whoever takes it out (the work finishing or
    // the deadline passing) decides its fate, exactly once.
    AtomicReference<C> busy = new AtomicReference<>();
    long started = System.nanoTime();
    watch(
        started,
        answer,
        () -> {
          C stuck = busy.getAndSet(null);
          if (stuck != null) {
            discard.accept(stuck);
          }
        });
    Future<C> leased;
    try {
      leased = lease.get();
    } catch (RuntimeException e) {
      leased = Future.failedFuture(e);
    }
    leased.onComplete(
        acquired -> {
          if (acquired.failed()) {
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
          done.onComplete(
              outcome -> {
                if (busy.compareAndSet(connection, null)) {
                  giveBack.accept(connection);
                  if (outcome.succeeded()) {
                    lastAnswer.accumulateAndGet(System.nanoTime(), Math::max);
                    answer.tryComplete(outcome.result());
                  } else {
                    answer.tryFail(outcome.cause());
                  }
                }
              });
        });
    return answer.future();
  }

  /**
   * Fails {@code answer} once the store has answered nothing for a deadline (or the call has waited
   * {@link #BUSY_FACTOR} of them), then runs {@code onGivenUp}; stops once answered.
   */
  private void watch(long started, Promise<?> answer, Runnable onGivenUp) {
    long timer = vertx.setTimer(deadline.toMillis(), first -> check(started, answer, onGivenUp));
    // An answered call drops its timer at once: thousands of calls a second would otherwise each
    // leave one in the event loop's queue for a whole deadline.
    answer.future().onComplete(done -> vertx.cancelTimer(timer));
  }

  private void check(long started, Promise<?> answer, Runnable onGivenUp) {
    if (answer.future().isComplete()) {
      return;
    }
    long now = System.nanoTime();
    long limit = deadline.toNanos();
    boolean silent = now - lastAnswer.get() >= limit;
    if (silent || now - started >= limit * BUSY_FACTOR) {
      if (answer.tryFail(new StoreTimeoutException(store, deadline))) {
        onGivenUp.run();
      }
    } else {
      vertx.setTimer(RECHECK_MILLIS, again -> check(started, answer, onGivenUp));
    }
  }

  /**
   * Just the lease, bounded; one that arrives too late goes straight back through {@code giveBack}.
   */
  <C> Future<C> lease(Supplier<Future<C>> lease, Consumer<C> giveBack) {
    Promise<C> answer = callersPromise();
    watch(System.nanoTime(), answer, () -> {});
    lease
        .get()
        .onComplete(
            acquired -> {
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

package io.flashsale.antibot;

import io.flashsale.antibot.RateLimits.Check;
import io.flashsale.antibot.RateLimits.Refusal;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sale's rate-limit counters: per dimension (user, IP, device) and fixed window, one Redis
 * string of {@link #ROWS} rows of 2^{@link #WIDTH_BITS} saturating counters ({@code
 * infra/SaleKeys.rateLimits}), instead of a key per user, address and device: a herd of new buyers
 * creates and expires no key at all, and a batch is counted with one {@code BITFIELD ... OVERFLOW
 * SAT INCRBY} per string, each request adding one to its subject's counter in every row.
 *
 * <p>A subject's counter in each row is picked by SipHash of the sale, the dimension, the window
 * and the subject, under a key derived from the server secret every instance holds: nobody can pick
 * an address or a device that lands on an honest buyer's counters, and a chance collision lasts one
 * window, since the next window places everyone anew. A counter holds the requests of every subject
 * that shares it, so a subject's count is the least of its rows': sharing can only make it look
 * busier (refuse, never let through). docs/scaling.md works out how often that refuses anyone.
 *
 * <p>Windows follow this instance's clock (the injected {@link Clock}): instances' clocks differ by
 * milliseconds, windows last seconds. The counters are chosen here, not in Lua: Redis is handed
 * their offsets and only adds. Either here ({@link #count}, one round trip before the batch's
 * script, which is then told who was refused), or inside the batch's own script ({@link #inScript},
 * the join script of a one-slot line: the batch is one round trip).
 */
public final class RateLimitSketch {

  /** Counters a subject has in each window: one per row; its count is the least of them. */
  static final int ROWS = 1;

  /** Counters per row, as a power of two: 1,048,576. */
  static final int WIDTH_BITS = 20;

  /** How long a window's string outlives the window, for instances whose clock is behind. */
  private static final long LINGER_MILLIS = 1_000;

  static {
    // One SipHash output places a subject in every row.
    if (ROWS * WIDTH_BITS > Long.SIZE) {
      throw new AssertionError("the sketch's rows need more than 64 bits of hash");
    }
  }

  private final SipHash hash;
  private final Clock clock;

  /**
   * {@code serverSecret}: what every instance shares (jwt.secret); the hash key is derived from it.
   */
  public RateLimitSketch(String serverSecret, Clock clock) {
    ByteBuffer key = ByteBuffer.wrap(derivedKey(serverSecret)).order(ByteOrder.LITTLE_ENDIAN);
    this.hash = new SipHash(key.getLong(), key.getLong());
    this.clock = clock;
  }

  /**
   * The counter type for a limit: the narrowest that saturates above its allowance, so a count past
   * it stays past it.
   */
  static String type(int allowance) {
    for (int bits : new int[] {4, 8, 16}) {
      if (allowance < (1 << bits) - 1) {
        return "u" + bits;
      }
    }
    return "u32";
  }

  /** The subject's counters in one window, as BITFIELD offsets ({@code #n}: the n-th counter). */
  List<String> cells(String saleId, Check check, long window) {
    long placed =
        hash.hash(
            (saleId + '\n' + check.dimension().word() + '\n' + window + '\n' + check.subject())
                .getBytes(StandardCharsets.UTF_8));
    long mask = (1L << WIDTH_BITS) - 1;
    String[] cells = new String[ROWS];
    for (int row = 0; row < ROWS; row++) {
      cells[row] = "#" + (((long) row << WIDTH_BITS) | (placed >>> (row * WIDTH_BITS)) & mask);
    }
    return Arrays.asList(cells);
  }

  /**
   * Counts each request of a batch against its limits in one round trip (a BITFIELD and a PEXPIRE
   * per window string, pipelined): per request, null if every limit let it through, or the refusal
   * of the limit that makes it wait longest.
   */
  Future<List<Refusal>> count(
      Redis redis, SaleKeys keys, int lineShards, List<List<Check>> requests) {
    long now = clock.millis();
    Map<String, Window> windows = new LinkedHashMap<>();
    List<Counted> counted = new ArrayList<>();
    for (List<Check> checks : requests) {
      for (Check check : checks) {
        long window = Math.floorDiv(now, check.windowMillis());
        String type = type(check.allowance());
        Window counters =
            windows.computeIfAbsent(
                keys.rateLimits(
                    lineShards, check.dimension().word(), type, check.windowMillis(), window),
                key -> new Window(key, (window + 1) * check.windowMillis()));
        counted.add(new Counted(counters, counters.add(type, cells(keys.saleId(), check, window))));
      }
    }
    if (windows.isEmpty()) {
      return Future.succeededFuture(Arrays.asList(new Refusal[requests.size()]));
    }
    // One pipelined BITFIELD and PEXPIRE per window string; each dimension's strings have a slot
    // of their own, so the strings are sent side by side, not as one batch.
    List<Future<List<Response>>> sent = new ArrayList<>(windows.size());
    for (Window window : windows.values()) {
      sent.add(
          redis.batch(
              List.of(
                  window.bitfield,
                  Request.cmd(Command.PEXPIRE)
                      .arg(window.key)
                      .arg(window.endsAt - now + LINGER_MILLIS))));
    }
    return Future.all(sent)
        .map(
            done -> {
              int at = 0;
              for (Window window : windows.values()) {
                window.counts = sent.get(at++).result().get(0);
              }
              List<Refusal> refusals = new ArrayList<>(requests.size());
              int next = 0;
              for (List<Check> checks : requests) {
                Refusal refusal = null;
                for (Check check : checks) {
                  Counted count = counted.get(next++);
                  if (count.least() > check.allowance()) {
                    long wait = Math.max(1, count.window.endsAt - now);
                    if (refusal == null || wait > refusal.retryAfterMillis()) {
                      refusal = new Refusal(check, wait);
                    }
                  }
                }
                refusals.add(refusal);
              }
              return refusals;
            });
  }

  /**
   * A batch's counting as its own script does it, in the same call (one round trip): the window
   * strings (the script's extra keys, in the sale's own slot: {@code SaleKeys.rateLimits} of a
   * one-shard line), per string its allowance, rows and expiry, and per string the batch's {@code
   * BITFIELD} ops, ready to hand over: one {@code INCRBY} per request and row. The script adds them
   * and answers, per refused request, which strings refused it; {@link InScript#refusal} turns that
   * into the refusal with the longest wait.
   */
  public InScript inScript(SaleKeys keys, List<List<Check>> requests) {
    long now = clock.millis();
    InScript counting = new InScript(requests.size());
    for (int request = 0; request < requests.size(); request++) {
      for (Check check : requests.get(request)) {
        long window = Math.floorDiv(now, check.windowMillis());
        String type = type(check.allowance());
        long endsAt = (window + 1) * check.windowMillis();
        InScript.Window counters =
            counting.window(
                keys.rateLimits(1, check.dimension().word(), type, check.windowMillis(), window),
                type,
                check.allowance(),
                Math.max(1, endsAt - now),
                endsAt - now + LINGER_MILLIS);
        counters.carried[request] = check;
        counters.cells[request] = cells(keys.saleId(), check, window).toArray(String[]::new);
      }
    }
    return counting;
  }

  /** {@link #inScript}: what the script is handed, and how its answer is read. */
  public static final class InScript {
    private final int requests;
    private final List<Window> windows = new ArrayList<>(3);

    /** One window string: its limit, and each request's check and counters there, if it has one. */
    private static final class Window {
      final String key;
      final String type;
      final int allowance;
      final long waitMillis;
      final long expiresInMillis;
      final Check[] carried;
      final String[][] cells;

      Window(String key, String type, int allowance, long waitMillis, long expiresInMillis, int n) {
        this.key = key;
        this.type = type;
        this.allowance = allowance;
        this.waitMillis = waitMillis;
        this.expiresInMillis = expiresInMillis;
        this.carried = new Check[n];
        this.cells = new String[n][];
      }
    }

    private InScript(int requests) {
      this.requests = requests;
    }

    private Window window(
        String key, String type, int allowance, long waitMillis, long expiresInMillis) {
      for (Window window : windows) {
        if (window.key.equals(key)) {
          return window;
        }
      }
      Window window = new Window(key, type, allowance, waitMillis, expiresInMillis, requests);
      windows.add(window);
      return window;
    }

    /** The window strings, the script's keys after its own. */
    public List<String> keys() {
      return windows.stream().map(window -> window.key).toList();
    }

    /** How many window strings; then, per string, its allowance, rows and expiry (ms). */
    public void header(List<String> args) {
      args.add(Integer.toString(windows.size()));
      for (Window window : windows) {
        args.add(Integer.toString(window.allowance));
        args.add(Integer.toString(ROWS));
        args.add(Long.toString(window.expiresInMillis));
      }
    }

    /**
     * Per window string, per request, per row, a {@code BITFIELD} op: {@code INCRBY type #n 1}, or
     * {@code INCRBY type #0 0} for a request that does not carry the limit (it adds nothing).
     */
    public void ops(List<String> args) {
      for (Window window : windows) {
        for (int request = 0; request < requests; request++) {
          String[] cells = window.cells[request];
          for (int row = 0; row < ROWS; row++) {
            args.add("INCRBY");
            args.add(window.type);
            args.add(cells == null ? "#0" : cells[row]);
            args.add(cells == null ? "0" : "1");
          }
        }
      }
    }

    /**
     * The refusal of a request the script refused: {@code refusedBy}, the window strings that
     * refused it as a bit mask (bit d: the d-th string); the one whose window ends last, and of
     * those the first dimension (user, IP, device), as {@link RateLimitSketch#count} chooses.
     */
    public Refusal refusal(int request, long refusedBy) {
      Refusal refusal = null;
      for (int string = 0; string < windows.size(); string++) {
        Window window = windows.get(string);
        if ((refusedBy & (1L << string)) == 0) {
          continue;
        }
        Check check = window.carried[request];
        if (refusal == null
            || window.waitMillis > refusal.retryAfterMillis()
            || window.waitMillis == refusal.retryAfterMillis()
                && check.dimension().ordinal() < refusal.check().dimension().ordinal()) {
          refusal = new Refusal(check, window.waitMillis);
        }
      }
      return refusal;
    }
  }

  /** One window string of the batch: its BITFIELD, and where its answer is among the replies. */
  private static final class Window {
    final String key;
    final long endsAt;
    final Request bitfield;
    int counters;
    Response counts;

    Window(String key, long endsAt) {
      this.key = key;
      this.endsAt = endsAt;
      this.bitfield = Request.cmd(Command.BITFIELD).arg(key).arg("OVERFLOW").arg("SAT");
    }

    /** Adds one to each of the cells; the index of the first one's answer. */
    int add(String type, List<String> cells) {
      int first = counters;
      for (String cell : cells) {
        bitfield.arg("INCRBY").arg(type).arg(cell).arg("1");
        counters++;
      }
      return first;
    }
  }

  /** One limit of one request: its window string, and its first counter's answer there. */
  private record Counted(Window window, int first) {
    /** The least of the subject's counters, this request included. */
    long least() {
      long least = Long.MAX_VALUE;
      for (int row = 0; row < ROWS; row++) {
        least = Math.min(least, window.counts.get(first + row).toLong());
      }
      return least;
    }
  }

  private static byte[] derivedKey(String serverSecret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(serverSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal("flashsale rate-limit sketch".getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}

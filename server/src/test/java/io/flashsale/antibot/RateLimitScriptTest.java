package io.flashsale.antibot;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.antibot.RateLimitScript.Result;
import io.flashsale.antibot.RateLimits.Check;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code rate_limit.lua} (with {@code lib/gcra.lua}) alone, through its class, one behaviour per
 * test.
 */
class RateLimitScriptTest {

  private static final RateLimitScript script = new RateLimitScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private Result check(Check... checks) {
    return Await.result(script.run(List.of(checks)));
  }

  /** One request a minute at the steady rate: the burst is all a test sees. */
  private Check perMinute(String dimension, String subject, int burst) {
    return new Check(keys.rateLimit(dimension, subject), 60_000, burst, dimension);
  }

  @Test
  void allowsTheBurstThenRefusesWithTheTimeToWait() {
    Check user = perMinute("user", "ann", 3);

    for (int i = 0; i < 3; i++) {
      assertThat(check(user)).isEqualTo(new Result(true, 0, null));
    }
    Result refused = check(user);

    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryAfterMillis()).isBetween(1L, 60_000L);
    assertThat(refused.refusedBy()).isEqualTo(user);
  }

  @Test
  void namesTheLimitThatSaidWait() {
    Check ip = perMinute("ip", "10.0.0.1", 5);
    Check user = perMinute("user", "ann", 1);
    check(ip, user);

    assertThat(check(ip, user).refusedBy()).isEqualTo(user);
    assertThat(check(user, ip).refusedBy()).isEqualTo(user);
  }

  @Test
  void aRefusedRequestCostsItsOtherLimitsNothing() {
    Check ip = perMinute("ip", "10.0.0.1", 2);
    Check user = perMinute("user", "ann", 1);
    check(ip, user);
    String ipBefore = TestRedis.get(ip.key());

    assertThat(check(ip, user).allowed()).isFalse();

    assertThat(TestRedis.get(ip.key())).isEqualTo(ipBefore);
    assertThat(check(ip).allowed()).as("the second of the address' burst is still there").isTrue();
    assertThat(check(ip).allowed()).isFalse();
  }

  @Test
  void keepsEachLimitOnRedisClockAndForgetsItOnceIdle() {
    Check user = perMinute("user", "ann", 2);
    long before = TestRedis.nowMillis();

    check(user);

    long after = TestRedis.nowMillis();
    assertThat(Long.parseLong(TestRedis.get(user.key())))
        .as("theoretical arrival time: now + one interval")
        .isBetween(before + 60_000, after + 60_000);
    assertThat(TestRedis.send(Command.PTTL, user.key()).toLong()).isBetween(1L, 61_000L);
  }

  @Test
  void allowsAgainOnceTheWaitIsOver() throws InterruptedException {
    // Long enough that the second request cannot miss the wait on a busy machine, short enough to
    // sit out.
    Check user = new Check(keys.rateLimit("user", "ann"), 250, 1, "user");
    check(user);
    Result refused = check(user);
    assertThat(refused.allowed()).isFalse();

    Thread.sleep(refused.retryAfterMillis() + 2);

    assertThat(check(user).allowed()).isTrue();
  }
}

package io.flashsale.waitingroom;

import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.SaleStatus;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

/**
 * The operator controls every admission step reads from Redis (paused, rate, ended), mirrored from
 * the sale's row: written after each control commits, and again at warm-up, so a Redis that lost
 * its data gets them back with the rest of the sale.
 */
public final class AdmissionControl {

  private final Redis redis;

  public AdmissionControl(Redis redis) {
    this.redis = redis;
  }

  public Future<Void> mirror(FlashSale sale) {
    return redis
        .send(
            Request.cmd(Command.HSET)
                .arg(new SaleKeys(sale.saleId()).control())
                .arg("paused")
                .arg(sale.admissionPaused() ? "1" : "0")
                .arg("rate")
                .arg(sale.admissionRatePerSecond())
                .arg("ended")
                .arg(sale.status() == SaleStatus.ENDED ? "1" : "0"))
        .mapEmpty();
  }
}

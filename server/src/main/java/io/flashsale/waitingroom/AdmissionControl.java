package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.SaleStatus;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

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
    SaleKeys keys = new SaleKeys(sale.saleId());
    List<String> hashes = new ArrayList<>();
    hashes.add(keys.control());
    // Each shard of a sharded line has a copy, for the pre-authorisation claim in its slot.
    for (LineKeys line : keys.lines(sale.lineShards())) {
      if (!line.inSaleSlot()) {
        hashes.add(line.control());
      }
    }
    List<Future<Response>> writes = new ArrayList<>(hashes.size());
    for (String hash : hashes) {
      writes.add(redis.send(write(hash, sale)));
    }
    return Future.all(writes).mapEmpty();
  }

  /** The controls of {@code sale} written into {@code hash} (the sale's, or a shard's copy). */
  public static Request write(String hash, FlashSale sale) {
    return Request.cmd(Command.HSET)
        .arg(hash)
        .arg("paused")
        .arg(sale.admissionPaused() ? "1" : "0")
        .arg("rate")
        .arg(sale.admissionRatePerSecond())
        .arg("ended")
        .arg(sale.status() == SaleStatus.ENDED ? "1" : "0");
  }
}

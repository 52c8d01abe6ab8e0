package io.flashsale.lifecycle;

import io.vertx.core.Future;
import java.util.List;

/**
 * Tells a sale's subscribers that it is about to start. A failed future means the notice did not
 * reach everyone and should be sent again, whole; every channel accepts that retry.
 */
public interface Notifier {

  Future<Void> notify(SaleNotice notice);

  /** One notifier over several channels (mail, webhook); it fails when any channel failed. */
  static Notifier all(List<Notifier> channels) {
    List<Notifier> each = List.copyOf(channels);
    // join, not all: even after one channel failed we wait for the others to finish, so the
    // caller's retry never runs alongside a send of this attempt that is still in flight.
    return notice ->
        Future.join(each.stream().map(channel -> channel.notify(notice)).toList()).mapEmpty();
  }
}

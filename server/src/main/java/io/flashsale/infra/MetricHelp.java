package io.flashsale.infra;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.Map;

/**
 * The HELP text of every {@code flashsale.*} meter, in one place: a meter registered without a
 * description (most are counters made where they count) gets its text from here, so the Prometheus
 * page explains each figure to whoever is on call. A test checks none is missing.
 */
public final class MetricHelp implements MeterFilter {

  static final Map<String, String> TEXT =
      Map.ofEntries(
          Map.entry(
              "flashsale.admissions", "Buyers let out of a sale's line by the admission step"),
          Map.entry(
              "flashsale.admissions.skipped",
              "Buyers an admission step passed over, by reason (ABSENT: not seen within the presence window)"),
          Map.entry(
              "flashsale.authorizations.voided", "Card holds released at the payment gateway"),
          Map.entry("flashsale.bot.rejections", "Requests refused by the bot defences, by reason"),
          Map.entry(
              "flashsale.checkouts", "Checkouts of held orders (one-click payment), by outcome"),
          Map.entry(
              "flashsale.cluster.members",
              "Cluster members this node sees, itself included (clustered mode only): fewer than run means a node is down or the cluster is split"),
          Map.entry(
              "flashsale.eventloop.lag",
              "How much later than asked an event loop ran a probe task (every 200 ms on every loop): time requests wait"),
          Map.entry(
              "flashsale.holds.expired",
              "Held orders whose checkout time ran out; their units went back"),
          Map.entry(
              "flashsale.holds.overdue",
              "Held orders still RESERVED 30 s or more past their expiry: the expiry sweep is not releasing them"),
          Map.entry("flashsale.operator.actions", "Operator actions on sales, by action"),
          Map.entry(
              "flashsale.preauthorization.group",
              "Pre-authorisation answers recorded per PostgreSQL statement and Redis call"),
          Map.entry(
              "flashsale.preauthorizations",
              "Card pre-authorisations for buyers in line, by outcome"),
          Map.entry(
              "flashsale.queue.away",
              "Buyers of a sale set aside as absent (not seen within the presence window)"),
          Map.entry(
              "flashsale.queue.dropped", "Buyers dropped from a line once their grace ran out"),
          Map.entry("flashsale.queue.joins", "Waiting-room joins, by outcome"),
          Map.entry("flashsale.queue.leaves", "Buyers who left a line"),
          Map.entry(
              "flashsale.queue.present", "Buyers in a sale's line seen within the presence window"),
          Map.entry("flashsale.queue.waiting", "Buyers waiting in a sale's line"),
          Map.entry(
              "flashsale.reconciliation.discrepancies",
              "Differences reconciliation found between the stores, by kind"),
          Map.entry(
              "flashsale.reconciliation.drift",
              "Units by which a sale's Redis stock differs from PostgreSQL's books"),
          Map.entry("flashsale.reconciliation.repairs", "Drift repairs reconciliation made"),
          Map.entry(
              "flashsale.reconciliation.units.recovered",
              "Units returned to a sale's pool by reconciliation (takes that never reached PostgreSQL)"),
          Map.entry(
              "flashsale.redis.memory.limit",
              "Memory Redis may use: its maxmemory, or the machine's memory when maxmemory is not set (NaN: Redis not answering)"),
          Map.entry(
              "flashsale.redis.memory.used",
              "Memory Redis uses, from INFO memory (NaN: Redis not answering)"),
          Map.entry(
              "flashsale.redis.rebuilds", "Rebuilds of a sale's Redis state after Redis lost it"),
          Map.entry("flashsale.reservations", "Reservations, by outcome"),
          Map.entry(
              "flashsale.sale.admission.paused",
              "1 while an operator has paused a waiting-room sale's admission"),
          Map.entry(
              "flashsale.sale.admission.rate.per.second",
              "A waiting-room sale's configured admission rate (buyers per second, cluster-wide)"),
          Map.entry(
              "flashsale.sale.open",
              "1 while a sale is open for buying (started, not past its end, not ended)"),
          Map.entry(
              "flashsale.sale.starts.in",
              "Seconds until a sale starts (T-0); negative once it has started"),
          Map.entry(
              "flashsale.sale.units.remaining",
              "Units of a sale neither held nor paid, by PostgreSQL's books"));

  @Override
  public Meter.Id map(Meter.Id id) {
    String text = id.getDescription() == null ? TEXT.get(id.getName()) : null;
    return text == null
        ? id
        : new Meter.Id(
            id.getName(), Tags.of(id.getTagsAsIterable()), id.getBaseUnit(), text, id.getType());
  }
}

package io.flashsale.infra;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.flashsale.config.AppConfig.ClusterConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Clustered mode: Vert.x over Hazelcast, so the event bus (live outcomes, operator changes) spans
 * every node. Membership only; the sale's state stays in Redis and PostgreSQL, so a node that
 * leaves or dies takes nothing with it.
 */
public final class Clustering {

  private Clustering() {}

  /** The Vert.x defaults (the maps and multimap its cluster manager needs) with our discovery. */
  public static HazelcastClusterManager manager(ClusterConfig cluster) {
    Config hazelcast = ConfigUtil.loadConfig();
    hazelcast.setClusterName("flash-sale");
    // Vert.x stops Hazelcast itself, after the HTTP servers drained.
    hazelcast.setProperty("hazelcast.shutdownhook.enabled", "false");
    hazelcast.setProperty("hazelcast.logging.type", "slf4j");
    hazelcast.setProperty("hazelcast.phone.home.enabled", "false");
    // Nodes that start together can form two clusters when each misses the others' first join
    // attempt; Hazelcast merges them only when its split-brain check runs, 300 s after start by
    // default, and until then an event-bus publish reaches only its own side. Checked every 10 s.
    hazelcast.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
    hazelcast.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
    NetworkConfig network =
        hazelcast.getNetworkConfig().setPort(cluster.port()).setPortAutoIncrement(false);
    if (!cluster.host().isBlank()) {
      network.setPublicAddress(cluster.host() + ":" + cluster.port());
    }
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    if (cluster.discovery().equals("kubernetes")) {
      var kubernetes =
          join.getKubernetesConfig()
              .setEnabled(true)
              .setProperty("service-name", cluster.kubernetesService());
      if (!cluster.kubernetesNamespace().isBlank()) {
        kubernetes.setProperty("namespace", cluster.kubernetesNamespace());
      }
    } else {
      join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    }
    return new HazelcastClusterManager(hazelcast);
  }

  /**
   * {@code flashsale.cluster.members}: the members this node sees, itself included (fewer than the
   * deployment runs: a node is down, or the cluster is split and events reach only one side).
   */
  public static void registerMembers(MeterRegistry metrics, HazelcastClusterManager cluster) {
    Gauge.builder("flashsale.cluster.members", cluster, members -> members.getNodes().size())
        .register(metrics);
  }

  /** Where other nodes reach this node's event bus. */
  public static VertxOptions eventBus(VertxOptions options, ClusterConfig cluster) {
    EventBusOptions eventBus = options.getEventBusOptions().setPort(cluster.eventBusPort());
    if (!cluster.host().isBlank()) {
      eventBus.setHost(cluster.host()).setClusterPublicHost(cluster.host());
    }
    return options;
  }
}

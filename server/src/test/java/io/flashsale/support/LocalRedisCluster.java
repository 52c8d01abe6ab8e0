package io.flashsale.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Redis Cluster of masters only, from the machine's {@code redis-server} and {@code
 * redis-cli}, each node a process of its own on a free port, keeping nothing on disk. Every wait is
 * bounded, so a cluster that never forms fails the test instead of hanging the build.
 */
public final class LocalRedisCluster implements AutoCloseable {

  public static final Path SERVER = Path.of("/usr/bin/redis-server");
  public static final Path CLI = Path.of("/usr/bin/redis-cli");

  private final Path dir;
  private final List<Integer> ports;
  private final List<Process> processes;

  private LocalRedisCluster(Path dir, List<Integer> ports, List<Process> processes) {
    this.dir = dir;
    this.ports = ports;
    this.processes = processes;
  }

  public static boolean available() {
    return Files.isExecutable(SERVER) && Files.isExecutable(CLI);
  }

  /**
   * Starts {@code masters} nodes, joins them with {@code redis-cli --cluster create} and waits for
   * cluster_state:ok.
   */
  public static LocalRedisCluster start(int masters) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("fs-redis-cluster");
    List<Integer> ports = freeNodePorts(masters);
    List<Process> processes = new ArrayList<>();
    LocalRedisCluster cluster = new LocalRedisCluster(dir, ports, processes);
    try {
      for (int port : ports) {
        processes.add(
            new ProcessBuilder(
                    SERVER.toString(),
                    "--port",
                    Integer.toString(port),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes-" + port + ".conf",
                    "--cluster-node-timeout",
                    "5000",
                    "--dir",
                    dir.toString(),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--logfile",
                    dir.resolve("redis-" + port + ".log").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis-" + port + ".out").toFile())
                .start());
      }
      for (int port : ports) {
        cluster.awaitNode(port, reply -> reply.equals("PONG"), Duration.ofSeconds(15), "PING");
      }
      List<String> create = new ArrayList<>(List.of(CLI.toString(), "--cluster", "create"));
      ports.forEach(port -> create.add("127.0.0.1:" + port));
      create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      String created = run(create, Duration.ofSeconds(30));
      if (!created.contains("All 16384 slots covered")) {
        throw new IllegalStateException(
            "redis-cli --cluster create did not cover every slot:\n" + created);
      }
      for (int port : ports) {
        cluster.awaitNode(
            port,
            reply ->
                reply.contains("cluster_state:ok")
                    && reply.contains("cluster_known_nodes:" + masters),
            Duration.ofSeconds(20),
            "CLUSTER",
            "INFO");
      }
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  public List<Integer> ports() {
    return ports;
  }

  /** The seed list the application takes as {@code redis.url} in cluster mode. */
  public String seedUrls() {
    return ports.stream().map(port -> "redis://127.0.0.1:" + port).collect(Collectors.joining(","));
  }

  /** One command on one node, as redis-cli prints it (no redirects followed: -c is not given). */
  public String command(int port, String... args) {
    List<String> line =
        new ArrayList<>(List.of(CLI.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port)));
    line.addAll(List.of(args));
    try {
      return run(line, Duration.ofSeconds(10)).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The port of the master serving {@code key}: CLUSTER KEYSLOT, then the slot ranges each node
   * calls its own.
   */
  public int nodeOf(String key) {
    int slot = Integer.parseInt(command(ports.get(0), "CLUSTER", "KEYSLOT", key));
    for (int port : ports) {
      String myself =
          command(port, "CLUSTER", "NODES")
              .lines()
              .filter(line -> line.contains("myself"))
              .findFirst()
              .orElseThrow();
      String[] fields = myself.split(" ");
      for (int i = 8; i < fields.length; i++) {
        String[] range = fields[i].split("-");
        int from = Integer.parseInt(range[0]);
        int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
        if (slot >= from && slot <= to) {
          return port;
        }
      }
    }
    throw new IllegalStateException("no master owns slot " + slot);
  }

  /**
   * Stops every node (SIGTERM, then a bounded wait, then SIGKILL) and removes the temp directory.
   */
  @Override
  public void close() {
    for (Process process : processes) {
      process.destroy();
    }
    for (Process process : processes) {
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // A temp directory left behind is harmless; the nodes are already stopped.
    }
  }

  private void awaitNode(int port, Predicate<String> ready, Duration limit, String... args)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        last = command(port, args);
        if (ready.test(last)) {
          return;
        }
      } catch (RuntimeException e) {
        last = e.toString();
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "Redis node "
            + port
            + " not ready within "
            + limit
            + " ("
            + String.join(" ", args)
            + "): "
            + last
            + "; log in "
            + dir);
  }

  private static String run(List<String> command, Duration limit)
      throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    // redis-cli prints little; reading after exit cannot dead-lock on a full pipe at these sizes,
    // but read on a thread anyway so a chatty reply never blocks the process.
    StringBuilder out = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try {
                out.append(
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                out.append(e);
              }
            });
    reader.start();
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(
          String.join(" ", command) + " did not finish within " + limit);
    }
    reader.join(limit.toMillis());
    return out.toString();
  }

  /** Free ports whose cluster bus port (port + 10000) is free too. */
  private static List<Integer> freeNodePorts(int count) throws IOException {
    List<Integer> ports = new ArrayList<>();
    InetAddress loopback = InetAddress.getLoopbackAddress();
    while (ports.size() < count) {
      try (ServerSocket socket = new ServerSocket(0, 1, loopback)) {
        int port = socket.getLocalPort();
        if (port + 10_000 > 65_535 || ports.contains(port)) {
          continue;
        }
        try (ServerSocket bus = new ServerSocket(port + 10_000, 1, loopback)) {
          ports.add(port);
        } catch (IOException busTaken) {
          // try another
        }
      }
    }
    return ports;
  }
}

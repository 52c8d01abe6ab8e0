package io.flashsale.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code kill -SIG} for store processes (Java has no SIGSTOP of its own), shared by the fault
 * tests.
 */
final class Signals {

  private Signals() {}

  /** Signals a process and every process under it (PostgreSQL's postmaster and its backends). */
  static void sendToTree(String signal, long pid) throws IOException, InterruptedException {
    assertThat(send(signal, tree(pid))).as("kill -%s of the tree under %d", signal, pid).isTrue();
  }

  /** The process and its descendants, the postmaster first so it forks no backend meanwhile. */
  static List<ProcessHandle> tree(long pid) {
    List<ProcessHandle> processes = new ArrayList<>();
    ProcessHandle.of(pid)
        .ifPresent(
            process -> {
              processes.add(process);
              process.descendants().forEach(processes::add);
            });
    return processes;
  }

  /**
   * The postmaster's pid, from its data folder: zonky starts it through pg_ctl, so it is no child
   * of ours.
   */
  static long postmaster(Path dataDirectory) throws IOException {
    return Long.parseLong(
        Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).trim());
  }

  /**
   * True if every process took the signal. False is normal in a teardown: a backend may exit
   * between the listing and the kill.
   */
  static boolean send(String signal, List<ProcessHandle> processes)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    processes.stream()
        .filter(ProcessHandle::isAlive)
        .forEach(process -> command.add(Long.toString(process.pid())));
    if (command.size() == 2) {
      return true;
    }
    Process kill = new ProcessBuilder(command).inheritIO().start();
    return kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
  }
}

package org.ckpt4j.spi.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.ckpt4j.spi.StoreOptions;

/**
 * Who holds a claim on a backup dir, as its claim record and lease say (R6.3): the holder's own lease timeout,
 * which governs a takeover (a newcomer waits for the longer of the holder's and its own), and its process and
 * machine, so that a restart on the same machine takes over at once from a holder whose process is gone. Every
 * field but the description may be absent (records of older versions): -1 or null.
 *
 * <p>{@code machine} is the host name and, on Linux, the boot id and the pid namespace: two containers or two
 * machines with the same host name are different machines, so a pid is only ever looked up where it means the
 * same process. Where the boot id cannot be read ({@code /proc} absent: not Linux), the host name alone names the
 * machine; where it should be readable but is not, the machine is unknown and a restart waits out the lease.
 *
 * @param description "pid N on HOST", for messages
 * @param leaseTimeoutMs the holder's {@link StoreOptions#leaseTimeout()} in ms, or -1
 * @param pid the holder's process id, or -1
 * @param processStart the holder process's start instant ({@link ProcessHandle.Info#startInstant()}) as text, or
 *     null: a live process with this pid but another start instant is another process (pid reuse)
 * @param host the holder's host name, or null
 * @param machine the holder's machine identity, or null
 */
record Holder(String description, long leaseTimeoutMs, long pid, String processStart, String host,
    String machine) {
  /** The most a holder's lease timeout read from storage can make a newcomer wait: StoreOptions' maximum. */
  static final long MAX_LEASE_TIMEOUT_MS = 3_600_000;

  private static volatile Holder self;

  /** This process, holding with {@code leaseTimeoutMs}. */
  static Holder current(long leaseTimeoutMs) {
    Holder s = self;
    if (s == null) {
      ProcessHandle me = ProcessHandle.current();
      String host = hostName();
      s = new Holder("pid " + me.pid() + " on " + host, -1, me.pid(),
          me.info().startInstant().map(Instant::toString).orElse(null), host, machine(host));
      self = s;
    }
    return new Holder(s.description, leaseTimeoutMs, s.pid, s.processStart, s.host, s.machine);
  }

  /** Adds this holder's fields to a claim record or a lease. */
  void writeTo(Map<String, Object> rec) {
    rec.put("holder", description);
    if (leaseTimeoutMs > 0) {
      rec.put("leaseTimeoutMs", leaseTimeoutMs);
    }
    if (pid > 0) {
      rec.put("pid", pid);
    }
    if (processStart != null) {
      rec.put("processStart", processStart);
    }
    if (host != null) {
      rec.put("host", host);
    }
    if (machine != null) {
      rec.put("machine", machine);
    }
  }

  /** The holder fields of a verified record or lease (absent ones as -1 or null). */
  static Holder of(Map<String, Object> rec) {
    check(rec);
    return new Holder(rec.get("holder") == null ? "unknown holder" : (String) rec.get("holder"),
        number(rec, "leaseTimeoutMs"), number(rec, "pid"), (String) rec.get("processStart"),
        (String) rec.get("host"), (String) rec.get("machine"));
  }

  /** @throws IllegalArgumentException if a holder field present in {@code rec} has the wrong type or range */
  static void check(Map<String, Object> rec) {
    for (String k : new String[] {"holder", "processStart", "host", "machine"}) {
      if (rec.containsKey(k) && !(rec.get(k) instanceof String)) {
        throw new IllegalArgumentException(k + " is not a string");
      }
    }
    for (String k : new String[] {"leaseTimeoutMs", "pid"}) {
      if (rec.containsKey(k) && !(rec.get(k) instanceof Long && (Long) rec.get(k) > 0)) {
        throw new IllegalArgumentException(k + " is not a positive number");
      }
    }
  }

  private static long number(Map<String, Object> rec, String key) {
    Object v = rec.get(key);
    return v == null ? -1 : (Long) v;
  }

  /**
   * How long a newcomer with lease timeout {@code ownMs} waits for this holder's lease to stay unchanged: the
   * longer of the two (the holder heartbeats every quarter of its own timeout), the holder's capped at
   * {@link #MAX_LEASE_TIMEOUT_MS}.
   */
  long silenceToWaitMs(long ownMs) {
    return Math.max(ownMs, Math.min(leaseTimeoutMs, MAX_LEASE_TIMEOUT_MS));
  }

  /**
   * Whether this holder's process is provably gone: it ran on this very machine (same {@code machine}), and no
   * process has its pid, or the one that has it started at another instant (the pid was reused).
   */
  boolean provablyGone() {
    Holder me = current(-1);
    if (pid <= 0 || machine == null || !machine.equals(me.machine)) {
      return false;
    }
    if (pid == me.pid) {
      return false; // this JVM (another store in it): alive
    }
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) {
      return true;
    }
    if (processStart == null) {
      return false;
    }
    Optional<Instant> started = p.get().info().startInstant();
    return started.isPresent() && !started.get().toString().equals(processStart);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown-host";
    }
  }

  /** The host name plus, on Linux, the boot id and pid namespace; null if those should exist but are unreadable. */
  private static String machine(String host) {
    Path proc = Path.of("/proc");
    if (!Files.isDirectory(proc)) {
      return "unknown-host".equals(host) ? null : host;
    }
    try {
      String boot = Files.readString(proc.resolve("sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).trim();
      String pidNamespace = Files.readSymbolicLink(proc.resolve("self/ns/pid")).toString();
      return host + " boot " + boot + " " + pidNamespace;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}

package org.ckpt4j.spi.internal;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.SharedBackupDirException;
import org.ckpt4j.spi.backend.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease role of the protocol (R6.3; docs/contract.md, "Open"). The holder of claim {@code n} rewrites its
 * lease {@code lease/<n>.json} every quarter of its lease timeout, naming itself ({@link Holder}) and the time by
 * its clock. A store that finds the backup dir claimed waits for that lease to stay unchanged for the holder's
 * lease timeout, or its own if longer; it takes over at once from a holder whose process is gone from this
 * machine, or whose lease is older than twice that timeout by this store's clock, and is refused as soon as the
 * lease changes.
 *
 * <p>Lease times come from an injected {@link Clock}; waits are measured with {@link System#nanoTime()}, which no
 * step of the wall clock moves.
 */
final class Leases {
  private static final Logger LOG = LoggerFactory.getLogger(Leases.class);
  static final String DIR = "lease/";

  private final ObjectStore objects;
  private final Clock clock;

  Leases(ObjectStore objects, Clock clock) {
    this.objects = objects;
    this.clock = clock;
  }

  /**
   * A lease as read: its bytes (compared to tell a change; empty for an oversized lease, which is never read
   * whole) and, if it verified, its holder and renewal time (else null).
   */
  @SuppressWarnings("ArrayRecordComponent") // compared with Arrays.equals by its one user, never by equals()
  record Lease(byte[] raw, Holder holder, Instant renewedAt) {}

  static String key(long claim) {
    return Layout.slotKey(DIR, claim);
  }

  /** Writes (replaces) the lease of {@code claim}, renewed now by this store's clock. */
  void write(String storeId, long claim, Holder holder, long beat) throws IOException {
    Map<String, Object> lease = new TreeMap<>();
    lease.put("storeId", storeId);
    lease.put("epoch", claim);
    holder.writeTo(lease);
    lease.put("beat", beat);
    lease.put("timeMillis", clock.millis());
    objects.put(key(claim), Records.sealed(lease));
  }

  /** The lease of {@code claim}, or null if there is none. */
  Lease read(long claim) throws IOException {
    byte[] raw;
    try {
      raw = Records.readSmall(objects, key(claim)).orElse(null);
    } catch (CorruptCheckpointException oversized) {
      LOG.debug("{}: {}", objects.uri(), oversized.getMessage());
      return new Lease(new byte[0], null, null);
    }
    if (raw == null) {
      return null;
    }
    try {
      Map<String, Object> lease = Records.unseal(raw);
      return new Lease(raw, Holder.of(lease), Instant.ofEpochMilli((Long) lease.get("timeMillis")));
    } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
      LOG.debug("{}: unreadable lease {} ({})", objects.uri(), key(claim), e.toString());
      return new Lease(raw, null, null);
    }
  }

  /**
   * Returns once the holder of {@code claim} has been silent (its lease unchanged) for its lease timeout (as its
   * lease, or else {@code fromClaimRecord}, gives it; at least {@code ownTimeoutMs}), at once if its lease is older
   * than twice that by this clock, or at once if it ran on this machine and its process is gone.
   *
   * @param fromClaimRecord the holder as its claim record names it, or null
   * @throws SharedBackupDirException as soon as the holder's lease changes (it is alive)
   */
  void awaitSilence(long claim, Holder fromClaimRecord, long ownTimeoutMs) throws IOException {
    Lease first = read(claim);
    Holder holder = first != null && first.holder() != null ? first.holder() : fromClaimRecord;
    String who = (holder == null ? "unknown holder" : holder.description()) + " (claim #" + claim + ")";
    if (first != null && first.holder() == null) {
      LOG.warn("{}: the lease of {} is unreadable; waiting for it to stay unchanged", objects.uri(), who);
    }
    if (holder != null && holder.provablyGone()) {
      LOG.info("{}: taking over from {}: its process is gone from this machine", objects.uri(), who);
      return;
    }
    long timeout = holder == null ? ownTimeoutMs : holder.silenceToWaitMs(ownTimeoutMs);
    if (first != null && first.renewedAt() != null) {
      long age = clock.millis() - first.renewedAt().toEpochMilli();
      if (age > 2 * timeout) {
        LOG.info("{}: taking over from {}: silent for {} ms", objects.uri(), who, age);
        return;
      }
    }
    LOG.info("{}: held by {}; waiting up to {} ms for it to prove alive or time out", objects.uri(), who, timeout);
    byte[] seen = first == null ? null : first.raw();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
    long poll = Math.max(5, timeout / 20);
    while (System.nanoTime() < deadline) {
      sleep(poll);
      Lease now = read(claim);
      if (!Arrays.equals(seen, now == null ? null : now.raw())) {
        throw new SharedBackupDirException(objects.uri(), "the backup dir is in use by a live store: " + who
            + ", whose lease timeout is " + timeout + " ms. Give each training run its own backup dir, or stop "
            + "the other run first", who);
      }
    }
    LOG.info("{}: taking over from {}: silent for {} ms", objects.uri(), who, timeout);
  }

  private static void sleep(long ms) throws IOException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting for the backup dir's holder");
    }
  }

  /** The daemon thread a holder heartbeats on, named for its backup dir. */
  static ScheduledExecutorService heartbeatThread(java.net.URI uri) {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ckpt4j-lease " + uri);
      t.setDaemon(true);
      return t;
    });
  }
}

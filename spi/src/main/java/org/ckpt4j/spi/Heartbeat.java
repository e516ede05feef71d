package org.ckpt4j.spi;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A holder's heartbeat (docs/contract.md, R6.3): its lease ({@link Leases}) rewritten every quarter of its lease
 * timeout on a daemon thread of its own, which never takes the store's lock, so long commits do not silence it.
 * What each beat checks first (fencing) is the store's business: it hands over the beat to run.
 */
final class Heartbeat {
  private final Leases leases;
  private final String storeId;
  private final long claim;
  private final Holder holder;
  private final AtomicLong beats = new AtomicLong();
  /** Null for a store that holds no claim (read-only). */
  private final ScheduledExecutorService executor;

  Heartbeat(Leases leases, String storeId, long claim, Holder holder, URI uri, boolean threaded) {
    this.leases = leases;
    this.storeId = storeId;
    this.claim = claim;
    this.holder = holder;
    this.executor = threaded ? Leases.heartbeatThread(uri) : null;
  }

  /** Writes the lease once more. */
  void writeLease() throws IOException {
    leases.write(storeId, claim, holder, beats.getAndIncrement());
  }

  /** Runs {@code beat} every quarter of {@code leaseTimeoutMs} (at least every 10 ms). */
  void start(long leaseTimeoutMs, Runnable beat) {
    long period = Math.max(10, leaseTimeoutMs / 4);
    // a beat catches its own failures (a failed renewal is logged and retried at the next beat); the future
    // would only report cancellation at stop()
    var unused = executor.scheduleWithFixedDelay(beat, period, period, TimeUnit.MILLISECONDS);
  }

  /** Stops beating, waiting up to 5 s for a beat in flight. */
  void stop() {
    if (executor != null) {
      // shutdown, not shutdownNow: interrupting a heartbeat in flight would break its channel mid-write
      executor.shutdown();
      try {
        executor.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

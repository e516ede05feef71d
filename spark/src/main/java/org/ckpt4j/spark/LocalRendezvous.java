package org.ckpt4j.spark;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The rendezvous of the barrier tasks of one stage attempt when they all run in this JVM (the embedded
 * {@code local[N]} Spark): each posts its ring address and waits for the others'. It replaces
 * {@code BarrierTaskContext.allGather} there, whose caller sleeps in steps of a whole second while it waits
 * (measured: the first task to arrive waits ~1000 ms, however soon the last one comes), which was half of the
 * time from a worker's failure to training again. Tasks on executors of a cluster still use {@code allGather}.
 */
final class LocalRendezvous implements AutoCloseable {
  private static final ConcurrentHashMap<String, LocalRendezvous> OPEN = new ConcurrentHashMap<>();

  private final String key;
  private final String[] addresses;
  private int arrived;
  private int left;
  private boolean aborted;

  private LocalRendezvous(String key, int n) {
    this.key = key;
    this.addresses = new String[n];
  }

  /** The rendezvous of {@code n} tasks named {@code key} (the job and the stage attempt). */
  static LocalRendezvous join(String key, int n) {
    LocalRendezvous r = OPEN.computeIfAbsent(key, k -> new LocalRendezvous(k, n));
    if (r.addresses.length != n) {
      throw new IllegalStateException("rendezvous " + key + " is for " + r.addresses.length + " tasks, not " + n);
    }
    return r;
  }

  /**
   * Posts {@code address} as task {@code rank}'s and returns every task's, by rank, once all have posted.
   *
   * @throws CollectiveException when not all have posted within {@code timeoutMs} or the rendezvous was closed
   *     (its task was killed)
   */
  synchronized String[] exchange(int rank, String address, long timeoutMs) throws CollectiveException {
    if (addresses[rank] != null) {
      throw new IllegalStateException("task " + rank + " posted twice to rendezvous " + key);
    }
    addresses[rank] = address;
    arrived++;
    notifyAll();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    try {
      while (arrived < addresses.length && !aborted) {
        long wait = (deadline - System.nanoTime()) / 1_000_000;
        if (wait <= 0) {
          OPEN.remove(key, this);
          throw new CollectiveException(rank, -1, "rendezvous: " + arrived + " of " + addresses.length
              + " tasks arrived within " + timeoutMs + " ms", null);
        }
        wait(wait);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      aborted = true;
    }
    if (arrived < addresses.length) {
      OPEN.remove(key, this);
      throw new CollectiveException(rank, -1, "rendezvous aborted (the task was killed or interrupted)", null);
    }
    if (++left == addresses.length) {
      OPEN.remove(key, this);
    }
    return addresses.clone();
  }

  /** Aborts a wait in progress (from a task's kill listener); the attempt is over. */
  @Override
  public synchronized void close() {
    if (arrived < addresses.length) {
      aborted = true;
      OPEN.remove(key, this);
      notifyAll();
    }
  }
}

package org.ckpt4j.tck;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * R0: the {@link ObjectStore} primitives the protocol rests on, checked on the backend's raw objects: an exclusive
 * create-if-absent (threads and processes racing), opens racing on a fresh dir, a complete {@code list()} past
 * every real page size, a {@code delete()} that is a no-op for a missing object and never hides a failure.
 */
final class ObjectStoreRules {
  /** More objects under one prefix than any real listing page holds (S3, GCS: 1,000; Azure: 5,000). */
  static final int MANY = 5_003;
  private final Kit kit;

  ObjectStoreRules(Kit kit) {
    this.kit = kit;
  }

  private static byte[] payload(String who, int round) {
    return (who + "/round-" + round + "/" + Long.toHexString(System.nanoTime())).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * R0.1: 8 threads, each with its own client ({@code raw(dir)}), race {@code putIfAbsent} on one key, 30 rounds:
   * exactly one wins each round and the stored bytes are the winner's.
   */
  void createIfAbsentExclusiveAcrossThreads() throws Exception {
    kit.assumeRawAccess();
    URI dir = kit.newDir();
    int threads = 8;
    int rounds = 30;
    List<ObjectStore> clients = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int t = 0; t < threads; t++) {
        clients.add(kit.raw(dir));
      }
      for (int round = 0; round < rounds; round++) {
        String key = "race/r" + round;
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<byte[]>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          ObjectStore c = clients.get(t);
          byte[] mine = payload("thread-" + t, round);
          fs.add(pool.submit(() -> {
            start.await();
            return c.putIfAbsent(key, mine) ? mine : null;
          }));
        }
        List<String> winners = new ArrayList<>();
        byte[] won = null;
        for (Future<byte[]> f : fs) {
          byte[] b;
          try {
            b = f.get();
          } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("R0.1: putIfAbsent(" + key + ") raced by " + threads + " threads raised "
                + e.getCause() + "; " + kit.reproduce(), e.getCause());
          }
          if (b != null) {
            winners.add(new String(b, StandardCharsets.UTF_8));
            won = b;
          }
        }
        checkRound(clients.get(0), key, round, winners, won, threads + " threads");
      }
    } finally {
      pool.shutdownNow();
      clients.forEach(Kit::closeQuietly);
    }
  }

  private void checkRound(ObjectStore raw, String key, int round, List<String> winners, byte[] won, String who)
      throws IOException {
    if (winners.size() != 1) {
      throw new AssertionError("R0.1: round " + round + " of " + who + " racing putIfAbsent(" + key + "): "
          + winners.size() + " won " + winners + ": create-if-absent is not exclusive, exactly one must win; "
          + kit.reproduce());
    }
    Optional<byte[]> stored = raw.get(key);
    if (stored.isEmpty() || !java.util.Arrays.equals(stored.get(), won)) {
      throw new AssertionError("R0.1: round " + round + " of " + who + " racing putIfAbsent(" + key + "): the "
          + "winner was " + winners.get(0) + " but the stored object is " + stored.map(b -> "\"" + new String(b,
              StandardCharsets.UTF_8) + "\"").orElse("absent") + ": a loser overwrote it, create-if-absent is not "
          + "exclusive; " + kit.reproduce());
    }
  }

  /**
   * R0.1 across processes ({@link Capability#CROSS_PROCESS}, and the provider's {@code objectStore()} in the
   * child JVMs): 3 child JVMs race {@code putIfAbsent} on one key per round, 30 rounds started together by the
   * clock; exactly one wins each round and the stored bytes are the winner's.
   */
  void createIfAbsentExclusiveAcrossProcesses() throws Exception {
    kit.assumeCapability(Capability.CROSS_PROCESS);
    kit.assumeRawAccess();
    URI dir = kit.newDir();
    int n = 3;
    int rounds = 30;
    List<Child> children = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        children.add(Child.start(kit, "race", Map.of("uri", dir.toString(), "id", Integer.toString(i),
            "rounds", Integer.toString(rounds))));
      }
      for (Child c : children) {
        String ready = c.await("READY", CrossProcessRules.START_TIMEOUT);
        org.junit.jupiter.api.Assumptions.assumeTrue(!ready.contains("NORAW"), "not applicable: the provider "
            + "gives child JVMs no objectStore() (a fixture's objects() factory cannot be passed to another "
            + "process)");
      }
      long startAt = System.currentTimeMillis() + 500;
      for (Child c : children) {
        c.send("GO " + startAt);
      }
      for (Child c : children) {
        c.await("DONE", CrossProcessRules.START_TIMEOUT + rounds * 200L);
      }
      try (ObjectStore raw = kit.raw(dir)) {
        for (int round = 0; round < rounds; round++) {
          List<String> winners = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            if (children.get(i).lines().contains("WON " + round)) {
              winners.add("child-" + i);
            }
          }
          byte[] won = winners.size() == 1 ? ("child-" + winners.get(0).substring(6) + "/round-" + round)
              .getBytes(StandardCharsets.UTF_8) : null;
          if (winners.size() == 1) {
            Optional<byte[]> stored = raw.get("race/r" + round);
            String s = stored.map(b -> new String(b, StandardCharsets.UTF_8)).orElse("absent");
            if (!s.equals(new String(won, StandardCharsets.UTF_8))) {
              throw new AssertionError("R0.1: round " + round + " of " + n + " processes racing putIfAbsent: the "
                  + "winner was " + winners.get(0) + " but the stored object is \"" + s + "\": a loser overwrote "
                  + "it, create-if-absent is not exclusive; " + kit.reproduce());
            }
          } else {
            checkRound(raw, "race/r" + round, round, winners, won, n + " processes");
          }
        }
      }
    } finally {
      for (Child c : children) {
        c.close();
      }
    }
  }

  /**
   * R0.2 (R6.3 on a fresh dir): 4 threads call {@code CheckpointStores.open} on the same fresh backup dir at once,
   * 8 rounds, and keep what they opened until all are done: at most one holds it.
   */
  void racingOpensOnFreshDir() throws Exception {
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 8; round++) {
        URI dir = kit.newDir();
        CyclicBarrier start = new CyclicBarrier(threads);
        CyclicBarrier end = new CyclicBarrier(threads);
        List<Future<String>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          fs.add(pool.submit(() -> {
            start.await();
            CheckpointStore s = null;
            String outcome;
            try {
              s = kit.open(dir, kit.rw(Kit.OWNER).leaseTimeout(Duration.ofSeconds(2)).build());
              outcome = "HELD";
            } catch (CheckpointStoreException e) {
              outcome = e.getClass().getSimpleName();
            }
            end.await();
            Kit.closeQuietly(s);
            return outcome;
          }));
        }
        List<String> outcomes = new ArrayList<>();
        for (Future<String> f : fs) {
          try {
            outcomes.add(f.get());
          } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("R0.2: an open racing others on a fresh backup dir raised " + e.getCause()
                + "; " + kit.reproduce(), e.getCause());
          }
        }
        if (outcomes.stream().filter("HELD"::equals).count() > 1) {
          throw new AssertionError("R0.2: round " + round + ": " + threads + " CheckpointStores.open calls racing "
              + "on a fresh backup dir: outcomes " + outcomes + "; at most one may hold it (is create-if-absent "
              + "exclusive?); " + kit.reproduce());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * R0.3: {@code list()} returns every object when one prefix holds more than any real listing page
   * ({@value #MANY} small objects, written once per run), under that prefix and under the empty prefix, and
   * nothing from a neighbouring prefix.
   */
  void listReturnsEveryObject() throws Exception {
    kit.assumeRawAccess();
    URI dir = kit.newDir();
    Set<String> written = java.util.concurrent.ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<ObjectStore> clients = new ArrayList<>();
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        ObjectStore c = kit.raw(dir);
        clients.add(c);
        int from = t;
        fs.add(pool.submit(() -> {
          for (int i = from; i < MANY; i += 8) {
            String key = String.format("many/%05d-%s", i, Integer.toHexString(i * 7919));
            c.put(key, new byte[] {(byte) i});
            written.add(key);
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
      clients.forEach(Kit::closeQuietly);
    }
    try (ObjectStore raw = kit.raw(dir)) {
      raw.put("many-neighbour/x", new byte[] {1});
      List<String> listed = raw.list("many/");
      checkListing("list(\"many/\")", written, listed);
      Set<String> all = new TreeSet<>(raw.list(""));
      all.remove("many-neighbour/x");
      checkListing("list(\"\")", written, new ArrayList<>(all));
    }
  }

  private void checkListing(String call, Set<String> written, List<String> listed) {
    Set<String> got = new HashSet<>(listed);
    Set<String> missing = new TreeSet<>(written);
    missing.removeAll(got);
    Set<String> extra = new TreeSet<>(got);
    extra.removeAll(written);
    if (!missing.isEmpty() || !extra.isEmpty() || listed.size() != got.size()) {
      throw new AssertionError("R0.3: " + call + " over " + written.size() + " objects returned " + listed.size()
          + " names (" + got.size() + " distinct): " + missing.size() + " missing" + sample(missing) + ", "
          + extra.size() + " not written" + sample(extra) + " (does it follow every page of the listing?); "
          + kit.reproduce());
    }
  }

  private static String sample(Set<String> s) {
    return s.isEmpty() ? "" : " e.g. " + new ArrayList<>(s).subList(0, Math.min(3, s.size()));
  }

  /**
   * R0.4: {@code delete()} of an object that does not exist (never written, or deleted already) returns normally;
   * with a transport fault hook, a delete whose request fails either raises or has removed the object: it never
   * returns normally with the object still there.
   */
  void deleteOfMissingIsNoOpAndFailuresRaise() throws Exception {
    kit.assumeRawAccess();
    URI dir = kit.newDir();
    try (ObjectStore raw = kit.raw(dir)) {
      try {
        raw.delete("never/written-" + kit.random().nextInt(1_000_000));
        raw.put("once", new byte[] {1, 2, 3});
        raw.delete("once");
        raw.delete("once");
      } catch (IOException e) {
        throw new AssertionError("R0.4: delete() of a missing object raised " + e + "; it must be a no-op (a "
            + "retried or repeated delete finds nothing); " + kit.reproduce(), e);
      }
      if (raw.get("once").isPresent()) {
        throw new AssertionError("R0.4: get() finds an object after delete() returned; " + kit.reproduce());
      }
      TransportFaults hook = kit.fixture.transportFaults().orElse(null);
      if (hook == null) {
        return;
      }
      int swallowed = 0;
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String key = "doomed-" + i;
        raw.put(key, new byte[] {(byte) i});
        hook.disarm();
        hook.failRequest(1, TransportFaults.Kind.FAIL_BEFORE);
        String outcome;
        try {
          raw.delete(key);
          outcome = "returned";
        } catch (IOException e) {
          outcome = "raised " + e.getClass().getSimpleName();
        } finally {
          hook.disarm();
        }
        boolean still = raw.get(key).isPresent();
        seen.add(key + ": " + outcome + (still ? ", object still there" : ", object gone"));
        if (outcome.equals("returned") && still) {
          swallowed++;
        }
      }
      if (swallowed > 0) {
        throw new AssertionError("R0.4: a delete() whose request failed returned normally with the object still "
            + "there (" + swallowed + " of 5): " + seen + "; a failing delete must raise; " + kit.reproduce());
      }
    }
  }

  /** For the child JVMs of {@link #createIfAbsentExclusiveAcrossProcesses}: the races of one process. */
  static void raceInChild(ObjectStore objects, String id, int rounds, long startAt, java.io.PrintStream out)
      throws IOException, InterruptedException {
    for (int round = 0; round < rounds; round++) {
      long wait = startAt + round * 100L - System.currentTimeMillis();
      if (wait > 0) {
        Thread.sleep(wait);
      }
      boolean won = objects.putIfAbsent("race/r" + round, ("child-" + id + "/round-" + round).getBytes(
          StandardCharsets.UTF_8));
      out.println((won ? "WON " : "LOST ") + round);
    }
    out.println("DONE");
  }
}

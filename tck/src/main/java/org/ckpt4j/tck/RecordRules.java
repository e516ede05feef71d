package org.ckpt4j.tck;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.SharedBackupDirException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ObjectStore;
import org.junit.jupiter.api.Assumptions;

/**
 * Rules on what an open may conclude from what it reads: an unreadable record (R4.5), the holder's lease timeout
 * (R6.3), names that merely look like the store's temporary files (R6.1, R5.2), a read-only store's
 * {@code previous()} (R2.4, R4.3).
 */
final class RecordRules {
  private final Kit kit;

  RecordRules(Kit kit) {
    this.kit = kit;
  }

  // ------------------------------------------------------------------------------------------- R4.5

  /**
   * R4.5: for each way of making the newest commit record unreadable ({@link Records.Damage}), without and with
   * keepPrevious: a read-write open refuses (or its latest() raises CorruptCheckpointException) without
   * keepPrevious and falls back to the previous checkpoint with it; no object of the data is deleted; once the
   * record is repaired, the checkpoint reads back whole.
   */
  void unreadableRecordNeverDeletesData() throws Exception {
    kit.assumeRawAccess();
    for (Records.Damage damage : Records.Damage.values()) {
      for (boolean keepPrevious : new boolean[] {false, true}) {
        unreadableRecord(damage, keepPrevious);
      }
    }
  }

  private void unreadableRecord(Records.Damage damage, boolean keepPrevious) throws Exception {
    URI dir = kit.newDir();
    String situation = "R4.5 (newest commit record damaged: " + damage + ", keepPrevious=" + keepPrevious + ")";
    StoreOptions options = kit.rw(Kit.OWNER).keepPrevious(keepPrevious).build();
    Content a = kit.smallContent("a");
    Content b = kit.smallContent("b");
    try (CheckpointStore s = kit.open(dir, options)) {
      a.commit(s);
      b.commit(s);
    }
    try (ObjectStore raw = kit.raw(dir)) {
      Optional<String> key = Records.newestCommitKey(raw);
      Assumptions.assumeTrue(key.isPresent(), "not applicable: the store does not use the ckpt4j log layout "
          + "(no log/<seq>.json commit record)");
      byte[] original = raw.get(key.get()).orElseThrow();
      Map<String, byte[]> before = kit.snapshot(dir);
      raw.put(key.get(), Records.damage(original, damage));
      String outcome = openDamaged(dir, options, keepPrevious, a, situation);
      List<String> lost = new ArrayList<>();
      for (Map.Entry<String, byte[]> e : before.entrySet()) {
        if (!e.getKey().equals(key.get()) && !e.getKey().startsWith("lease/") && !e.getKey().startsWith("log/")) {
          Optional<byte[]> now = raw.get(e.getKey());
          if (now.isEmpty()) {
            lost.add(e.getKey() + " (deleted)");
          } else if (!java.util.Arrays.equals(now.get(), e.getValue())) {
            lost.add(e.getKey() + " (changed)");
          }
        }
      }
      raw.put(key.get(), original);
      if (!lost.isEmpty()) {
        throw new AssertionError(situation + ": an open that found " + key.get() + " unreadable (" + outcome
            + ") removed data that record names: " + lost + "; an unreadable record is never a reason to delete "
            + "data; " + kit.reproduce());
      }
    }
    try (CheckpointStore ro = kit.openReadOnly(dir)) {
      kit.assertLatestIsOneOf(ro, situation + ", after the record was repaired, a read-only store", b);
    }
    try (CheckpointStore s = kit.open(dir, options)) {
      kit.assertLatestIsOneOf(s, situation + ", after the record was repaired, a read-write store", b);
      if (keepPrevious) {
        Checkpoint p = s.previous().orElseThrow(() -> new AssertionError(situation + ": after the repair, "
            + "previous() is empty instead of " + a.describe() + "; " + kit.reproduce()));
        verify(a, p, situation + ", previous() after the repair");
      }
    }
  }

  /** Opens read-write over the damaged record; returns what happened, throws if the contract was broken. */
  private String openDamaged(URI dir, StoreOptions options, boolean keepPrevious, Content previous,
      String situation) throws IOException {
    CheckpointStore s;
    try {
      s = kit.open(dir, options);
    } catch (CheckpointStoreException e) {
      if (keepPrevious) {
        throw new AssertionError(situation + ": the read-write open refused with " + e + " instead of falling "
            + "back to the previous checkpoint " + previous.describe() + " (R4.3); " + kit.reproduce(), e);
      }
      return "open refused: " + e.getClass().getSimpleName();
    }
    try {
      Optional<Checkpoint> latest;
      try {
        latest = s.latest();
      } catch (CorruptCheckpointException e) {
        if (!keepPrevious) {
          return "latest() raised CorruptCheckpointException";
        }
        Checkpoint p = s.previous().orElseThrow(() -> new AssertionError(situation + ": latest() raised " + e
            + " and previous() is empty instead of the fallback " + previous.describe() + "; " + kit.reproduce()));
        verify(previous, p, situation + ", previous() as the fallback");
        return "latest() corrupt, previous() whole";
      }
      if (latest.isEmpty()) {
        throw new AssertionError(situation + ": latest() is empty: a store that reports no checkpoint over an "
            + "unreadable commit record invites a fresh start that supersedes it; expected "
            + (keepPrevious ? "the previous checkpoint " + previous.describe() : "CorruptCheckpointException")
            + "; " + kit.reproduce());
      }
      if (!keepPrevious) {
        throw new AssertionError(situation + ": latest() returned checkpoint #" + latest.get().sequence() + " "
            + latest.get().metadata().get(Content.LABEL) + " although the newest commit record is unreadable and "
            + "no previous checkpoint is kept; expected CorruptCheckpointException; " + kit.reproduce());
      }
      verify(previous, latest.get(), situation + ", latest() as the fallback");
      return "fell back to the previous checkpoint";
    } finally {
      s.close();
    }
  }

  private void verify(Content expected, Checkpoint cp, String situation) throws IOException {
    Optional<Content> claimed = Content.fromMetadata(cp.metadata());
    if (claimed.isEmpty() || !claimed.get().label.equals(expected.label)) {
      throw new AssertionError(situation + ": got checkpoint #" + cp.sequence() + " " + claimed.map(
          Content::describe).orElse("without the kit's metadata") + ", expected " + expected.describe() + "; "
          + kit.reproduce());
    }
    try {
      expected.verify(cp);
    } catch (CheckpointStoreException | AssertionError e) {
      throw new AssertionError(situation + ": reading " + expected.describe() + " failed: " + e + "; "
          + kit.reproduce(), e);
    }
  }

  // ------------------------------------------------------------------------------------------- R6.3

  /**
   * R6.3: the holder's lease timeout governs a takeover. A store holds the backup dir with a lease timeout of a
   * few seconds and heartbeats; stores with a lease timeout of 100-200 ms (the shortest allowed) try to open it in turn
   * and must all be refused as shared; the holder then still commits.
   */
  void holderLeaseTimeoutGoverns() throws Exception {
    URI dir = kit.newDir();
    Duration holderTimeout = Duration.ofSeconds(6);
    Content a = kit.smallContent("a");
    Content b = kit.smallContent("b");
    try (CheckpointStore holder = kit.open(dir, kit.rw(Kit.OWNER).leaseTimeout(holderTimeout).build())) {
      a.commit(holder);
      for (int round = 0; round < 3; round++) {
        long shortMs = 100 + kit.random().nextInt(100);
        long t0 = System.nanoTime();
        try (CheckpointStore second = kit.open(dir, kit.rw(Kit.OWNER).leaseTimeout(Duration.ofMillis(shortMs))
            .build())) {
          throw new AssertionError("R6.3: a store with a lease timeout of " + shortMs + " ms took over (after "
              + (System.nanoTime() - t0) / 1_000_000 + " ms, round " + round + ") a backup dir held by a live, "
              + "heartbeating store whose lease timeout is " + holderTimeout.toMillis() + " ms: the holder's "
              + "timeout must govern; " + kit.reproduce());
        } catch (SharedBackupDirException expected) {
          // refused: the holder proved alive within its own timeout
        }
      }
      try {
        b.commit(holder);
      } catch (CheckpointStoreException e) {
        throw new AssertionError("R6.3: the holder could not commit after stores with shorter lease timeouts "
            + "were refused: " + e + "; " + kit.reproduce(), e);
      }
    }
    kit.assertLatestIsOneOf(dir, "R6.3: after the holder committed and closed", b);
  }

  /**
   * R6.3 over time: a store holds the backup dir (lease timeout 1 s) for 4 lease timeouts while another thread
   * keeps trying to open it: every attempt is refused as shared, and the holder commits at the end (its claim
   * held throughout).
   */
  void holderKeepsClaimOverManyLeaseTimeouts() throws Exception {
    URI dir = kit.newDir();
    Duration timeout = Duration.ofSeconds(1).compareTo(kit.fixture.leaseTimeout()) > 0 ? Duration.ofSeconds(1)
        : kit.fixture.leaseTimeout();
    StoreOptions options = kit.rw(Kit.OWNER).leaseTimeout(timeout).build();
    Content a = kit.smallContent("a");
    Content b = kit.smallContent("b");
    List<String> attempts = new ArrayList<>();
    try (CheckpointStore holder = kit.open(dir, options)) {
      a.commit(holder);
      long end = System.nanoTime() + 4 * timeout.toNanos();
      while (System.nanoTime() < end) {
        long t0 = System.nanoTime();
        try (CheckpointStore second = kit.open(dir, options)) {
          throw new AssertionError("R6.3: " + (System.nanoTime() - end + 4 * timeout.toNanos()) / 1_000_000
              + " ms after it opened, a store whose lease timeout is " + timeout.toMillis() + " ms was taken over "
              + "by another open (attempt " + (attempts.size() + 1) + ", after refusals " + attempts + "): the "
              + "holder's heartbeat must keep its claim alive; " + kit.reproduce());
        } catch (SharedBackupDirException expected) {
          attempts.add((System.nanoTime() - t0) / 1_000_000 + " ms");
        }
      }
      try {
        b.commit(holder);
      } catch (CheckpointStoreException e) {
        throw new AssertionError("R6.3: a store that held its backup dir for 4 lease timeouts while others were "
            + "refused could not commit: " + e + "; " + kit.reproduce(), e);
      }
    }
    kit.assertLatestIsOneOf(dir, "R6.3 after the holder committed", b);
  }

  // -------------------------------------------------------------------------------------- R6.1 / R5.2

  /** User files named like temporary files but not where (or not as) the store names its own. */
  static Map<String, byte[]> tempLookalikes(java.util.SplittableRandom r) {
    String hex = Long.toHexString(r.nextLong() | Long.MIN_VALUE);
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put(".ckpt4j-tmp-notes.txt", content(r));
    m.put("notes/.ckpt4j-tmp-" + hex + "-ckpt4j.json", content(r));
    m.put("log/old/.ckpt4j-tmp-" + hex + "-00000000000000000001.json", content(r));
    return m;
  }

  private static byte[] content(java.util.SplittableRandom r) {
    byte[] b = new byte[1 + r.nextInt(200)];
    r.nextBytes(b);
    return b;
  }

  /**
   * R6.1, R5.2: files whose names start with {@code .ckpt4j-tmp-} but lie outside where the store puts its
   * temporary files are foreign: an empty dir or a backup dir holding them is refused, and neither that refusal,
   * nor commits, nor delete() of a store that was open when they appeared removes them. They are observed by
   * raw {@code get}, not through {@code list()}.
   */
  void tempLookalikesAreForeign() throws Exception {
    kit.assumeRawAccess();
    URI fresh = kit.newDir();
    Map<String, byte[]> planted = tempLookalikes(kit.random());
    plant(fresh, planted);
    expectRefused(fresh, planted, "an otherwise empty dir");

    URI backup = kit.newDir();
    Content a = kit.smallContent("a");
    try (CheckpointStore s = kit.open(backup)) {
      a.commit(s);
    }
    plant(backup, planted);
    expectRefused(backup, planted, "a backup dir");

    URI live = kit.newDir();
    try (CheckpointStore s = kit.open(live)) {
      kit.smallContent("x").commit(s);
      plant(live, planted);
      kit.smallContent("y").commit(s);
      assertPresent(live, planted, "R5.2: after a commit of a store that was open when they appeared");
      s.delete();
    }
    assertPresent(live, planted, "R5.2: after delete() of a store that was open when they appeared");
  }

  private void plant(URI dir, Map<String, byte[]> objects) throws IOException {
    try (ObjectStore raw = kit.raw(dir)) {
      for (Map.Entry<String, byte[]> e : objects.entrySet()) {
        raw.put(e.getKey(), e.getValue());
      }
    }
  }

  private void expectRefused(URI dir, Map<String, byte[]> planted, String where) throws IOException {
    try (CheckpointStore s = kit.open(dir)) {
      throw new AssertionError("R6.1: " + where + " holding user files " + planted.keySet() + " (named like "
          + "temporary files, but not where the store puts its own) was opened read-write instead of refused "
          + "with ForeignContentException; " + kit.reproduce());
    } catch (ForeignContentException expected) {
      // refused
    }
    assertPresent(dir, planted, "R6.1: after refusing " + where);
  }

  private void assertPresent(URI dir, Map<String, byte[]> planted, String when) throws IOException {
    List<String> problems = new ArrayList<>();
    try (ObjectStore raw = kit.raw(dir)) {
      for (Map.Entry<String, byte[]> e : planted.entrySet()) {
        Optional<byte[]> now = raw.get(e.getKey());
        if (now.isEmpty()) {
          problems.add(e.getKey() + " is gone (raw get finds nothing)");
        } else if (!java.util.Arrays.equals(now.get(), e.getValue())) {
          problems.add(e.getKey() + " was changed");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new AssertionError(when + ": user files named like temporary files were not left alone: " + problems
          + "; " + kit.reproduce());
    }
  }

  // ------------------------------------------------------------------------------------- R2.4 / R4.3

  /**
   * R2.4, R4.3: a read-only store's previous() is empty when the backup dir keeps no previous checkpoint
   * (written without keepPrevious), whatever the read-only store's own keepPrevious; where one is kept, it is
   * returned whole.
   */
  void readOnlyPreviousOnlyWhenKept() throws Exception {
    URI dir = kit.newDir();
    Content a = kit.smallContent("a");
    Content b = kit.smallContent("b");
    try (CheckpointStore s = kit.open(dir)) {
      a.commit(s);
      b.commit(s);
    }
    for (boolean kp : new boolean[] {false, true}) {
      try (CheckpointStore ro = kit.open(dir, kit.ro().keepPrevious(kp).build())) {
        kit.assertLatestIsOneOf(ro, "R2.4: a read-only store", b);
        Optional<Checkpoint> p = ro.previous();
        if (p.isPresent()) {
          String read;
          try {
            a.verify(p.get());
            read = "it reads whole";
          } catch (CheckpointStoreException | AssertionError e) {
            read = "reading it fails: " + e;
          }
          if (!read.startsWith("it reads whole")) {
            throw new AssertionError("R2.4/R4.3: previous() of a read-only store (keepPrevious=" + kp + ") "
                + "returned checkpoint #" + p.get().sequence() + " " + p.get().metadata().get(Content.LABEL)
                + " although the backup dir was written without keepPrevious, so its data is gone (" + read
                + "); previous() must be empty when no previous checkpoint is kept; " + kit.reproduce());
          }
        }
      }
    }
    URI kept = kit.newDir();
    Content c = kit.smallContent("c");
    try (CheckpointStore s = kit.open(kept, kit.rw(Kit.OWNER).keepPrevious(true).build())) {
      a.commit(s);
      b.commit(s);
      c.commit(s);
    }
    try (CheckpointStore ro = kit.open(kept, kit.ro().keepPrevious(true).build())) {
      Checkpoint p = ro.previous().orElseThrow(() -> new AssertionError("R4.3: previous() of a read-only store "
          + "is empty on a backup dir written with keepPrevious; expected " + b.describe() + "; "
          + kit.reproduce()));
      verify(b, p, "R4.3: previous() of a read-only store");
    }
  }
}

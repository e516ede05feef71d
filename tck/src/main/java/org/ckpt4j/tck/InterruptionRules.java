package org.ckpt4j.tck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;

/** R3: interrupted writes leave the previous checkpoint (or, for an interrupted commit, the new one), whole. */
final class InterruptionRules {
  private final Kit kit;

  InterruptionRules(Kit kit) {
    this.kit = kit;
  }

  /** How a trial interrupts a write. */
  enum Kind {
    USER_EXCEPTION_IN_STREAM, THREAD_INTERRUPT, ABANDONED_WRITER, OBJECT_FAULT, STREAM_FAULT, SEVERED, TRANSPORT_FAULT
  }

  /** Requests a commit was last seen to make (the transport-fault trials draw N within them). */
  private long commitRequests = 12;
  private int transportArmed;
  private int transportFired;

  /** Counts a fault trial only if its armed fault fired; one the operation never reached is logged. */
  private void countFired(boolean fired, String what, List<String> log) {
    if (fired) {
      kit.faultTrials.incrementAndGet();
    } else {
      kit.unfiredFaults.incrementAndGet();
      log.add("  the armed fault (" + what + ") did not fire: the operation ended first; not counted");
    }
  }

  /** Runs the randomized trials on one backup dir; returns a log of what happened. */
  void randomizedTrials() throws Exception {
    URI dir = kit.newDir();
    SplittableRandom r = kit.random();
    List<Kind> kinds = new ArrayList<>(List.of(Kind.USER_EXCEPTION_IN_STREAM, Kind.THREAD_INTERRUPT,
        Kind.ABANDONED_WRITER));
    if (kit.hasObjectFaults()) {
      kinds.addAll(List.of(Kind.OBJECT_FAULT, Kind.OBJECT_FAULT, Kind.STREAM_FAULT, Kind.SEVERED));
    }
    if (kit.fixture.transportFaults().isPresent()) {
      kinds.add(Kind.TRANSPORT_FAULT);
      kinds.add(Kind.TRANSPORT_FAULT);
    }
    Content committed = null;
    List<String> log = new ArrayList<>();
    int trials = kit.settings.interruptionTrials;
    for (int t = 0; t < trials; t++) {
      Kind kind = kinds.get(r.nextInt(kinds.size()));
      Content next = Content.random("t" + t, r, 3, Math.min(kit.settings.maxBlobBytes, 1 << 20));
      String step = "trial " + t + ": " + kind + " while writing " + next.describe() + " over "
          + (committed == null ? "none" : committed.label);
      log.add(step);
      boolean returned;
      try {
        returned = runTrial(dir, kind, next, committed, r, log);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "\nsteps so far:\n  " + String.join("\n  ", log), e);
      }
      kit.interruptionTrials.incrementAndGet();
      Content seen = kit.assertLatestIsOneOf(dir, "R3.1 after " + step + (returned ? " (commit returned)" : ""),
          returned ? new Content[] {next} : new Content[] {committed, next});
      log.add("  -> commit " + (returned ? "returned" : "did not return") + "; latest: "
          + (seen == null ? "none" : seen.label));
      committed = seen;
      if (r.nextInt(3) == 0) {
        Content clean = kit.smallContent("clean" + t);
        try (CheckpointStore s = kit.open(dir)) {
          clean.commit(s);
        }
        committed = clean;
        log.add("  clean commit " + clean.label);
      }
    }
    if (transportArmed >= 3 && transportFired == 0) {
      throw new AssertionError("R3.1: none of the " + transportArmed + " transport faults armed during the "
          + "trials fired: the hook's failRequest(n) must count from now (1 = the next request); "
          + kit.reproduce());
    }
    // The last trial may have left leftovers the protocol is allowed to keep until the next commit (a fault in
    // the prune of a commit that returned): R3.2 is about what a clean commit leaves, so make one.
    Content last = kit.smallContent("final-clean");
    try (CheckpointStore s = kit.open(dir)) {
      last.commit(s);
    }
    assertNoLeftovers(dir, last, "R3.2 after " + trials + " interrupted writes and a clean commit");
  }

  /**
   * One interrupted write attempt with a store of its own. Returns whether commit returned normally.
   */
  private boolean runTrial(URI dir, Kind kind, Content next, Content committed, SplittableRandom r,
      List<String> log)
      throws Exception {
    StoreOptions opts = kit.rw(Kit.OWNER).build();
    FaultyObjectStore faulty = null;
    CheckpointStore s;
    if (kind == Kind.OBJECT_FAULT || kind == Kind.STREAM_FAULT || kind == Kind.SEVERED) {
      faulty = kit.faulty(dir, opts);
      s = kit.openOver(faulty, opts);
      faulty.countCallsOf(Thread.currentThread());
    } else {
      s = kit.open(dir, opts);
    }
    boolean returned = false;
    long total = Math.max(1, next.totalBytes());
    try {
      switch (kind) {
        case USER_EXCEPTION_IN_STREAM: {
          long at = r.nextLong(total);
          try (CheckpointWriter w = s.begin()) {
            writeUntil(w, next, at, () -> {
              throw new IllegalStateException("tck: user code failed at byte " + at);
            });
            returned = commit(w, next);
          } catch (IllegalStateException expected) {
            log.add("  user exception at byte " + at);
          }
          break;
        }
        case THREAD_INTERRUPT: {
          long at = r.nextLong(total);
          try (CheckpointWriter w = s.begin()) {
            writeUntil(w, next, at, () -> Thread.currentThread().interrupt());
            returned = commit(w, next);
          } catch (IOException e) {
            log.add("  interrupted at byte " + at + ": " + e);
          } finally {
            Thread.interrupted();
          }
          break;
        }
        case ABANDONED_WRITER: {
          long at = r.nextLong(total);
          CheckpointWriter w = s.begin();
          writeUntil(w, next, at, () -> { });
          log.add("  abandoned after byte " + at);
          kit.assertLatestIsOneOf(dir, "R3.1 while a writer is abandoned (store still open)", committed);
          // the writer is never closed; the store is closed below
          break;
        }
        case OBJECT_FAULT: {
          long n = 1 + r.nextInt(20);
          TransportFaults.Kind how = r.nextBoolean() ? TransportFaults.Kind.FAIL_BEFORE
              : TransportFaults.Kind.LOSE_RESPONSE;
          long before = faulty.injected();
          faulty.failCall(n, how);
          try {
            returned = next.commit(s) != null;
          } catch (IOException e) {
            log.add("  " + e.getMessage());
          }
          countFired(faulty.injected() > before, "call #" + n, log);
          break;
        }
        case STREAM_FAULT: {
          long at = r.nextLong(total);
          long before = faulty.injected();
          faulty.failStreamAt(at);
          try {
            returned = next.commit(s) != null;
          } catch (IOException e) {
            log.add("  " + e.getMessage());
          }
          countFired(faulty.injected() > before, "stream byte " + at, log);
          break;
        }
        case SEVERED: {
          long at = r.nextLong(total);
          CheckpointWriter w = s.begin();
          kit.faultTrials.incrementAndGet();
          try {
            writeUntil(w, next, at, faulty::sever);
            returned = commit(w, next);
          } catch (IOException e) {
            log.add("  severed at byte " + at + " (like a crash): " + e.getMessage());
          }
          break;
        }
        case TRANSPORT_FAULT: {
          TransportFaults hook = kit.fixture.transportFaults().orElseThrow();
          hook.disarm();
          // n counts from now (1 = the next request), within the requests a commit was seen to make
          long n = 1 + r.nextInt((int) Math.max(1, Math.min(commitRequests, 1000)));
          TransportFaults.Kind how = r.nextBoolean() ? TransportFaults.Kind.FAIL_BEFORE
              : TransportFaults.Kind.LOSE_RESPONSE;
          long injectedBefore = hook.injected();
          hook.failRequest(n, how);
          try {
            returned = next.commit(s) != null;
          } catch (IOException e) {
            log.add("  transport fault #" + n + " " + how + ": " + e);
          } finally {
            long seen = hook.requests();
            hook.disarm();
            boolean fired = injectedBefore >= 0 ? hook.injected() > injectedBefore : seen >= n;
            transportArmed++;
            if (fired) {
              transportFired++;
            } else {
              commitRequests = Math.max(1, seen);
            }
            countFired(fired, "transport request #" + n + " (the commit made " + seen + ")", log);
          }
          break;
        }
        default:
          throw new AssertionError(kind);
      }
    } finally {
      if (faulty != null && kind != Kind.SEVERED) {
        faulty.disarm();
      }
      Kit.closeQuietly(s);
    }
    return returned;
  }

  private static boolean commit(CheckpointWriter w, Content c) throws IOException {
    w.commit(c.metadata());
    return true;
  }

  /** Streams the content's blobs, running {@code atByte} once the given total offset is reached. */
  static void writeUntil(CheckpointWriter w, Content c, long at, Runnable atByte) throws IOException {
    long done = 0;
    boolean fired = false;
    for (Map.Entry<String, long[]> e : c.blobs.entrySet()) {
      long size = e.getValue()[0];
      WritableByteChannel ch = w.newBlob(e.getKey());
      long from = 0;
      if (!fired && at >= done && at <= done + size) {
        from = at - done;
        Content.streamRange(ch, size, e.getValue()[1], 0, from);
        fired = true;
        atByte.run();
      }
      Content.streamRange(ch, size, e.getValue()[1], from, Long.MAX_VALUE);
      ch.close();
      done += size;
    }
    if (!fired) {
      atByte.run();
    }
  }

  /**
   * Systematic: every call the store makes during a commit fails in turn, before reaching the storage and
   * after succeeding (response lost). Afterwards the latest checkpoint is the previous or the new one, whole;
   * and the same store, with the fault gone, commits again (it recognises its own records: "I already won").
   */
  void everyCallOfACommitFailsInTurn() throws Exception {
    URI dir = kit.newDir();
    StoreOptions opts = kit.rw(Kit.OWNER).build();
    Content base = kit.smallContent("base");
    long calls;
    // the probe has the shape of the commits below, so it makes as many calls
    try (FaultyObjectStore f = kit.faulty(dir, opts); CheckpointStore s = kit.openOver(f, opts)) {
      base.commit(s);
      f.countCallsOf(Thread.currentThread());
      f.failCall(Long.MAX_VALUE, TransportFaults.Kind.FAIL_BEFORE);
      new Content("probe", Map.of("a", new long[] {1000, 1}, "b/c", new long[] {7, 2}), Map.of()).commit(s);
      calls = f.calls();
    }
    Content committed = kit.assertLatestIsOneOf(dir, "after the probe commit", kit.lastCommittedOrNull(dir));
    List<String> log = new ArrayList<>();
    for (TransportFaults.Kind how : TransportFaults.Kind.values()) {
      for (long n = 1; n <= calls + 1; n++) {
        Content next = new Content(how + "-" + n, Map.of("a", new long[] {1000 + n, n}, "b/c", new long[] {7, -n}),
            Map.of());
        String step = "call #" + n + " of " + calls + " fails (" + how + ")";
        boolean returned = false;
        String failure = "none";
        FaultyObjectStore f = kit.faulty(dir, opts);
        try (CheckpointStore s = kit.openOver(f, opts)) {
          f.countCallsOf(Thread.currentThread());
          f.failCall(n, how);
          kit.faultTrials.incrementAndGet();
          try {
            next.commit(s);
            returned = true;
          } catch (IOException e) {
            failure = String.valueOf(f.lastFault());
          }
          f.disarm();
          log.add(step + ": commit " + (returned ? "returned" : "failed at " + failure));
          try {
            committed = kit.assertLatestIsOneOf(dir, "R3.1 after " + step + (returned ? " (commit returned)"
                : " (commit failed at " + failure + ")"), returned ? new Content[] {next}
                : new Content[] {committed, next});
          } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n  steps:\n  " + String.join("\n  ", log), e);
          }
          Content again = new Content("again-" + how + "-" + n, Map.of("z", new long[] {10, n}), Map.of());
          try {
            again.commit(s);
          } catch (IOException e) {
            throw new AssertionError("R3.1/R6.4: after " + step + " (commit " + (returned ? "returned" :
                "failed") + "), the same store could not commit again although nobody else touched the backup "
                + "dir: " + e + ". If this is a FencedWriterException, the store did not recognise its own "
                + "record written by the call whose response was lost (\"I already won\"); " + kit.reproduce(),
                e);
          }
          committed = again;
        }
      }
    }
    kit.assertLatestIsOneOf(dir, "after the sweep", committed);
  }

  /** R3.2: after a clean commit, the storage holds little more than the live checkpoint. */
  void assertNoLeftovers(URI dir, Content live, String when) throws IOException {
    if (!kit.hasRawAccess()) {
      return;
    }
    Map<String, byte[]> snap = kit.snapshot(dir);
    long liveBytes = live == null ? 0 : live.totalBytes();
    long slack = 64 * 1024;
    if (Kit.bytes(snap) > liveBytes + slack) {
      throw new AssertionError(when + ": the storage holds " + Kit.bytes(snap) + " bytes in " + snap.size()
          + " objects, but the live checkpoint " + (live == null ? "(none)" : live.label) + " has " + liveBytes
          + " bytes (+" + slack + " allowed for records): leftovers of failed writes were not removed; objects: "
          + snap.keySet() + "; " + kit.reproduce());
    }
  }

  /**
   * R3.2 directly: leftovers of abandoned and crashed writes of large blobs are gone after the next commit: of
   * a writer that died mid-blob, and (with fault injection) of one that died at its commit record, after all
   * its data was stored whole.
   */
  void leftoversRemovedByNextOpenAndCommit() throws Exception {
    kit.assumeRawAccess();
    URI dir = kit.newDir();
    Content base = new Content("base", Map.of("w", new long[] {1000, 1}), Map.of());
    try (CheckpointStore s = kit.open(dir)) {
      base.commit(s);
    }
    Content big = new Content("big", Map.of("w", new long[] {600_000, 2}, "v", new long[] {500_000, 3}),
        Map.of());
    StoreOptions opts = kit.rw(Kit.OWNER).build();
    // a store whose process "dies" while writing: with fault injection, every call fails from the middle
    // of the second blob on (nothing cleans up); without, the writer is abandoned and the store closed
    if (kit.hasObjectFaults()) {
      FaultyObjectStore f = kit.faulty(dir, opts);
      CheckpointStore s = kit.openOver(f, opts);
      CheckpointWriter w = s.begin();
      try {
        writeUntil(w, big, 900_000, f::sever);
        throw new AssertionError("writing went on after the storage was severed");
      } catch (FaultyObjectStore.InjectedFault expected) {
        // the "process" died here
      }
      Kit.closeQuietly(w);
      Kit.closeQuietly(s);
      FaultyObjectStore f2 = kit.faulty(dir, opts);
      CheckpointStore s2 = kit.openOver(f2, opts);
      f2.severAt("putIfAbsent(" + "log/");
      try {
        big.commit(s2);
        throw new AssertionError("a commit went on after the storage was severed at its commit record");
      } catch (IOException expected) {
        // the "process" died here, its data stored whole but not committed
      }
      Kit.closeQuietly(s2);
    } else {
      CheckpointStore s = kit.open(dir);
      CheckpointWriter w = s.begin();
      writeUntil(w, big, 900_000, () -> { });
      s.close();
    }
    Content next = new Content("next", Map.of("n", new long[] {100, 4}), Map.of());
    try (CheckpointStore s = kit.open(dir)) {
      kit.assertLatestIsOneOf(s, "R3.1 after a writer died", base);
      next.commit(s);
    }
    assertNoLeftovers(dir, next, "R3.2 after a writer died mid-blob and the next store committed");
  }

  /**
   * R5.4: every call of a {@code delete()} fails in turn (before reaching storage, then with its response lost);
   * the process lives on and closes the store. Readers then find the backup dir either untouched (the delete
   * failed before it started removing) or without a checkpoint, never a half-deleted one; the next read-write
   * open removes what is left.
   */
  void everyCallOfADeleteFailsInTurn() throws Exception {
    kit.assumeObjectFaults();
    StoreOptions opts = kit.rw(Kit.OWNER).keepPrevious(true).build();
    Content a = kit.smallContent("a");
    Content b = kit.smallContent("b");
    long calls;
    try (FaultyObjectStore f = kit.faulty(kit.newDir(), opts); CheckpointStore s = kit.openOver(f, opts)) {
      a.commit(s);
      b.commit(s);
      f.countCallsOf(Thread.currentThread());
      f.failCall(Long.MAX_VALUE, TransportFaults.Kind.FAIL_BEFORE);
      s.delete();
      calls = f.calls();
    }
    for (TransportFaults.Kind how : TransportFaults.Kind.values()) {
      for (long n = 1; n <= calls; n++) {
        URI dir = kit.newDir();
        String step = "call #" + n + " of the " + calls + " of a delete() fails (" + how + ")";
        FaultyObjectStore f = kit.faulty(dir, opts);
        CheckpointStore s = kit.openOver(f, opts);
        a.commit(s);
        b.commit(s);
        f.countCallsOf(Thread.currentThread());
        f.failCall(n, how);
        kit.faultTrials.incrementAndGet();
        boolean returned = false;
        try {
          s.delete();
          returned = true;
        } catch (IOException e) {
          step += ", at " + f.lastFault();
        }
        f.disarm();
        s.close();
        try (CheckpointStore r = kit.open(dir, kit.ro().keepPrevious(true).build())) {
          Optional<Checkpoint> latest = r.latest();
          if (latest.isPresent()) {
            if (returned) {
              throw new AssertionError("R5.1: after " + step + ", delete() returned, but latest() is #"
                  + latest.get().sequence() + "; " + kit.reproduce());
            }
            try {
              b.verify(latest.get());
              Checkpoint previous = r.previous().orElseThrow(() -> new AssertionError("previous() is empty"));
              a.verify(previous);
            } catch (IOException | AssertionError e) {
              throw new AssertionError("R5.4: after " + step + " and close(), latest() still returns checkpoint #"
                  + latest.get().sequence() + " but it is no longer whole: " + e + ". A delete must make the "
                  + "backup dir read as empty before it removes anything (a tombstone), and no record written "
                  + "after that (the release at close) may lead readers past it; " + kit.reproduce(), e);
            }
          } else if (r.previous().isPresent()) {
            throw new AssertionError("R5.4: after " + step + ", latest() is empty but previous() is #"
                + r.previous().get().sequence() + "; " + kit.reproduce());
          }
        }
        Content c = kit.smallContent("c");
        try (CheckpointStore again = kit.open(dir, kit.rw(Kit.OWNER).build())) { // keeps c alone
          c.commit(again);
        }
        assertNoLeftovers(dir, c, "R5.4 after " + step + " and a commit by the next store");
      }
    }
  }

  /** How often {@link #restartsLeaveNoTrail} reopens the store. */
  static final int RESTARTS = 20;

  void restartsLeaveNoTrail() throws Exception {
    kit.assumeRawAccess();
    URI dir = kit.newDir();
    Content kept = kit.smallContent("kept");
    try (CheckpointStore s = kit.open(dir)) {
      kept.commit(s);
    }
    Set<String> afterFirst = null;
    for (int i = 1; i <= RESTARTS; i++) {
      try (CheckpointStore s = kit.open(dir)) {
        if (i == RESTARTS) {
          kit.assertLatestIsOneOf(s, "R3.3 after " + RESTARTS + " restarts without a commit", kept);
        }
      }
      Set<String> now = kit.snapshot(dir).keySet();
      if (afterFirst == null) {
        afterFirst = now;
      } else if (now.size() > afterFirst.size()) {
        Set<String> added = new TreeSet<>(now);
        added.removeAll(afterFirst);
        throw new AssertionError("R3.3: after " + i + " restarts without a commit the storage holds " + now.size()
            + " objects, after the first " + afterFirst.size() + ": restarts leave a trail (added: " + added
            + "); " + kit.reproduce());
      }
    }
  }

  static UncheckedIOException unchecked(IOException e) {
    return new UncheckedIOException(e);
  }
}

package org.ckpt4j.tck;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.FencedWriterException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.Capability;

/** Rules that need other processes: SIGKILL crashes (R7.1, R3.1, R6.3), SIGSTOP pauses (R6.4), readers (R8). */
final class CrossProcessRules {
  static final long START_TIMEOUT = 60_000;
  private final Kit kit;

  CrossProcessRules(Kit kit) {
    this.kit = kit;
  }

  /**
   * A child JVM commits in a loop on one backup dir and is SIGKILLed at a random moment, trial after trial. After
   * each kill the parent opens the dir read-write (taking over the dead holder's claim) and finds the last
   * checkpoint the child committed, or the one it was committing, byte-identical.
   */
  void sigkillTrials() throws Exception {
    kit.assumeCapability(Capability.CROSS_PROCESS);
    URI dir = kit.newDir();
    SplittableRandom r = kit.random();
    Content committed = null;
    List<String> log = new ArrayList<>();
    long maxBytes = Math.min(kit.settings.maxBlobBytes, 512 * 1024);
    // Each trial's child JVM is started during the previous trial (it warms up, then waits for GO): its start-up
    // overlaps the parent's takeover and verification instead of adding to them.
    java.nio.file.Path nextEvents = null;
    Child next = null;
    try {
      for (int t = 0; t < kit.settings.crashTrials; t++) {
        if (next == null) {
          nextEvents = java.nio.file.Files.createTempFile("ckpt4j-tck-events", ".txt");
          next = startWriter(dir, r.nextLong(), "g" + t, maxBytes, nextEvents);
        }
        java.nio.file.Path events = nextEvents;
        Child child = next;
        next = null;
        List<String> lines;
        try {
          child.await("READY", START_TIMEOUT);
          child.send("GO");
          if (r.nextInt(4) == 0) {
            Thread.sleep(r.nextInt(60)); // while opening: claiming, taking over, pruning the last crash's leftovers
          } else {
            awaitEvent(child, events, "OPENED");
            Thread.sleep(r.nextInt(300));
          }
          child.kill();
          lines = java.nio.file.Files.readAllLines(events);
        } finally {
          child.close();
          java.nio.file.Files.deleteIfExists(events);
        }
        if (t + 1 < kit.settings.crashTrials) {
          nextEvents = java.nio.file.Files.createTempFile("ckpt4j-tck-events", ".txt");
          next = startWriter(dir, r.nextLong(), "g" + (t + 1), maxBytes, nextEvents);
        }
        kit.crashTrials.incrementAndGet();
        Content lastCommitted = committed;
        Content inFlight = null;
        int commits = 0;
        for (String line : lines) {
          if (line.startsWith("BEGIN ")) {
            String[] parts = line.split(" ", 3);
            inFlight = Content.fromMetadata(Map.of(Content.LABEL, parts[1], Content.SPEC, parts.length > 2
                ? parts[2] : "")).orElseThrow();
          } else if (line.startsWith("COMMITTED ")) {
            lastCommitted = inFlight;
            inFlight = null;
            commits++;
          } else if (line.startsWith("ERROR")) {
            throw new AssertionError("trial " + t + ": the child failed before it was killed: " + line);
          }
        }
        String step = "trial " + t + ": SIGKILL after " + lines.size() + " lines of output, " + commits + " commits"
            + (inFlight == null ? ""
            : ", while committing " + inFlight.label) + "; last committed: " + (lastCommitted == null ? "none"
            : lastCommitted.label);
        log.add(step);
        try (CheckpointStore s = kit.open(dir)) {
          committed = kit.assertLatestIsOneOf(s, "R7.1/R3.1 after " + step, lastCommitted, inFlight);
        } catch (AssertionError e) {
          throw new AssertionError(e.getMessage() + "\n  trials:\n  " + String.join("\n  ", log), e);
        }
        // the user-level metadata of the child's checkpoints carries no label of ours: keep what we verified
      }
    } finally {
      if (next != null) {
        next.close();
        java.nio.file.Files.deleteIfExists(nextEvents);
      }
    }
    new InterruptionRules(kit).assertNoLeftovers(dir, committedAfterCleanCommit(dir), "R3.2 after "
        + kit.settings.crashTrials + " SIGKILLed writers and a clean commit");
  }

  private Child startWriter(URI dir, long seed, String gen, long maxBytes, java.nio.file.Path events)
      throws java.io.IOException {
    return Child.start(kit, "writer", Map.of("uri", dir.toString(), "seed", Long.toString(seed), "gen", gen,
        "maxBytes", Long.toString(maxBytes), "events", events.toString(), "waitGo", "true"));
  }

  private static void awaitEvent(Child child, java.nio.file.Path events, String prefix) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT * 1_000_000;
    while (System.nanoTime() < deadline) {
      for (String l : java.nio.file.Files.readAllLines(events)) {
        if (l.startsWith(prefix)) {
          return;
        }
        if (l.startsWith("ERROR")) {
          throw new AssertionError("the child failed: " + l + "; stderr: " + child.stderrTail());
        }
      }
      if (child.lines().stream().anyMatch(l -> l.startsWith("ERROR"))) {
        throw new AssertionError("the child failed: " + child.lines() + "; stderr: " + child.stderrTail());
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the child did not report " + prefix + "; stderr: " + child.stderrTail());
  }

  private Content committedAfterCleanCommit(URI dir) throws Exception {
    Content clean = kit.smallContent("after-crashes");
    try (CheckpointStore s = kit.open(dir)) {
      clean.commit(s);
    }
    return clean;
  }

  /**
   * R6.4 across processes: a child begins a checkpoint and is paused with SIGSTOP; another store takes over,
   * commits and closes, and a third opens (its prune frees the log slot the child will try next) and commits.
   * The child, continued, writes its blobs only then (nothing pruned them) and commits: it must be fenced, no log
   * record naming its checkpoint may stay (raw get), and the store that took over commits on.
   */
  void sigstopPausedWriterFenced() throws Exception {
    kit.assumeCapability(Capability.CROSS_PROCESS);
    URI dir = kit.newDir();
    Content mine = kit.smallContent("taker");
    try (Child child = Child.start(kit, "paused", Map.of("uri", dir.toString(), "seed",
        Long.toString(kit.random().nextLong())))) {
      child.await("WROTE", START_TIMEOUT);
      child.signal("STOP");
      try (CheckpointStore b = kit.open(dir)) {
        kit.smallContent("taker0").commit(b);
      }
      try (CheckpointStore s = kit.open(dir)) {
        mine.commit(s);
        child.send("GO");
        child.signal("CONT");
        String outcome = waitOutcome(child);
        List<String> left = hasRaw() ? recordsOf(dir, "child-second") : List.of();
        if (!outcome.startsWith("FENCED")) {
          throw new AssertionError("R6.4: a writer paused (SIGSTOP) while other stores took over its backup dir "
              + "and committed was not fenced when it continued and committed blobs written after the takeover: "
              + "it printed " + outcome + "; log records naming its checkpoint (raw get): " + left + "; "
              + kit.reproduce());
        }
        if (!left.isEmpty()) {
          throw new AssertionError("R6.4: the fenced child's commit record stays in the log " + left + " (read by "
              + "raw get): a record of a fenced writer must be removed, never become latest; " + kit.reproduce());
        }
        kit.assertLatestIsOneOf(s, "R6.4 after the paused child tried to commit", mine);
        Content next = kit.smallContent("taker2");
        next.commit(s);
        kit.assertLatestIsOneOf(dir, "R6.4: the store that took over commits on", next);
      } finally {
        try {
          child.signal("CONT");
        } catch (java.io.IOException alreadyGone) {
          // the child has exited: nothing to continue (kill's "No such process" is kept out of the build log)
        }
      }
      child.waitFor(START_TIMEOUT);
    }
  }

  private static String waitOutcome(Child child) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT * 1_000_000;
    while (System.nanoTime() < deadline) {
      for (String l : child.lines()) {
        if (l.startsWith("FENCED") || l.startsWith("COMMITTED child-second") || l.startsWith("ERROR")) {
          return l;
        }
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the paused child printed no outcome: " + child.lines());
  }

  /**
   * R8 across processes: two child JVMs read and verify the latest checkpoint in a loop while this process
   * commits; every read is a complete, verified checkpoint or SupersededCheckpointException.
   */
  void readersInOtherProcesses() throws Exception {
    kit.assumeCapability(Capability.CROSS_PROCESS);
    URI dir = kit.newDir();
    try (CheckpointStore s = kit.open(dir)) {
      kit.smallContent("first").commit(s);
      List<Child> readers = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          readers.add(Child.start(kit, "reader", Map.of("uri", dir.toString(), "millis", "2500")));
        }
        for (Child c : readers) {
          c.await("OPENED", START_TIMEOUT);
        }
        int commits = 0;
        while (readers.stream().anyMatch(c -> c.lines().stream().noneMatch(l -> l.startsWith("READS")
            || l.startsWith("FAIL") || l.startsWith("ERROR")))) {
          Content c = Content.random("w" + commits, kit.random(), 3, 300_000);
          c.commit(s);
          commits++;
          if (commits > 100_000) {
            break;
          }
        }
        for (Child c : readers) {
          int exit = c.waitFor(START_TIMEOUT);
          String last = c.lines().isEmpty() ? "" : c.lines().get(c.lines().size() - 1);
          if (exit != 0) {
            throw new AssertionError("R8: a reader in another process, reading while this process made " + commits
                + " commits, observed: " + last + "; stderr: " + c.stderrTail() + "; " + kit.reproduce());
          }
          if (!last.startsWith("READS ok=") || last.startsWith("READS ok=0 ")) {
            throw new AssertionError("R8: a reader in another process read no checkpoint: " + c.lines());
          }
        }
      } finally {
        for (Child c : readers) {
          c.close();
        }
      }
    }
  }

  /**
   * R6.4 in-process with fault injection: a store whose background work is paused (its lease heartbeat blocks,
   * as in a long GC pause) loses its claim to a second store, which commits; the paused store's commit raises
   * FencedWriterException and nothing it wrote becomes visible.
   */
  void pausedWriterFenced() throws Exception {
    kit.assumeObjectFaults();
    URI dir = kit.newDir();
    StoreOptions opts = kit.rw(Kit.OWNER).build();
    FaultyObjectStore f = kit.faulty(dir, opts);
    Content first = kit.smallContent("first");
    Content paused = new Content("paused", Map.of("p", new long[] {200_000, 5}), Map.of());
    Content taker = kit.smallContent("taker");
    Content taker2 = kit.smallContent("taker2");
    try (CheckpointStore a = kit.openOver(f, opts)) {
      first.commit(a);
      f.pauseOtherThreads(Thread.currentThread());
      try {
        // Another store takes over and closes; a third opens (its prune frees the log slot the paused writer
        // will try next) and commits. The paused writer writes its blobs only now, so no prune removes them:
        // its commit finds its slot free and its data whole, and only the check after creating the record (a
        // newer record of another store follows) can fence it.
        try (CheckpointStore b = kit.open(dir)) {
          taker.commit(b);
        }
        try (CheckpointStore c = kit.open(dir)) {
          taker2.commit(c);
          try (CheckpointWriter w = a.begin()) {
            paused.writeBlobs(w);
            try {
              w.commit(paused.metadata());
              throw new AssertionError("R6.4: the commit of a store whose claim was taken over (its heartbeat was "
                  + "paused for longer than the lease timeout, another store committed, closed, and a third "
                  + "committed) returned instead of raising FencedWriterException; log records naming its checkpoint (raw "
                  + "get): " + recordsOf(dir, paused) + "; " + kit.reproduce());
            } catch (FencedWriterException expected) {
              // fenced
            }
          }
          List<String> left = recordsOf(dir, paused);
          if (!left.isEmpty()) {
            throw new AssertionError("R6.4: the fenced writer's commit record stays in the log " + left + " (read "
                + "by raw get): a record of a fenced writer must be removed, never become latest; "
                + kit.reproduce());
          }
          kit.assertLatestIsOneOf(c, "R6.4 after the fenced commit", taker2);
          Content next = kit.smallContent("taker3");
          next.commit(c);
          kit.assertLatestIsOneOf(dir, "R6.4: the store that took over commits on", next);
          new InterruptionRules(kit).assertNoLeftovers(dir, next, "R6.4: after the fenced writer and a commit "
              + "of the store that took over");
        }
      } finally {
        f.resume();
      }
    }
  }

  /** The log records (observed by raw list and get) that name {@code c}'s checkpoint. */
  private List<String> recordsOf(URI dir, Content c) throws IOException {
    return recordsOf(dir, c.label);
  }

  private boolean hasRaw() throws IOException {
    return kit.hasRawAccess();
  }

  /** The log records (observed by raw list and get) whose bytes contain {@code label}. */
  private List<String> recordsOf(URI dir, String label) throws IOException {
    List<String> found = new java.util.ArrayList<>();
    try (org.ckpt4j.spi.backend.ObjectStore raw = kit.raw(dir)) {
      for (String key : raw.list("log/")) {
        Optional<byte[]> b = raw.get(key);
        if (b.isPresent() && new String(b.get(), java.nio.charset.StandardCharsets.UTF_8).contains(label)) {
          found.add(key);
        }
      }
    }
    return found;
  }

}

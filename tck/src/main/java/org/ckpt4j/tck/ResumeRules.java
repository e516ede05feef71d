package org.ckpt4j.tck;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ckpt4j.resume.BackupAndRestore;
import org.ckpt4j.resume.StoreOpener;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.tck.ReferenceTraining.LrSchedule;

/**
 * End-to-end resume: the kit's pure-Java {@link ReferenceTraining} loop with {@code ckpt4j-resume}'s
 * {@link BackupAndRestore} (the code the ND4J trainer goes through) on the backend under test, interrupted at
 * random batches (exceptions, storage faults mid-save through a fault-injecting store handed over by a
 * {@link StoreOpener}, SIGKILL of a training child JVM) and rerun until complete, ends with weights
 * bit-identical to an uninterrupted run; every rerun must resume from the checkpoint that was latest, with the
 * stateful learning-rate schedule's state.
 */
final class ResumeRules {
  static final int BATCHES = ReferenceTraining.BATCHES;
  private final Kit kit;

  ResumeRules(Kit kit) {
    this.kit = kit;
  }

  /** Throws at the start of one global batch. */
  static ReferenceTraining.Hook failAt(int globalBatch) {
    return (epoch, batch, backup) -> {
      if (epoch * ReferenceTraining.BATCHES_PER_EPOCH + batch == globalBatch) {
        throw new IllegalStateException("tck: simulated failure at global batch " + globalBatch);
      }
    };
  }

  static BackupAndRestore.Builder backup(StoreOpener dir, Duration lease, Map<String, String> properties) {
    BackupAndRestore.Builder b = BackupAndRestore.builder(dir)
        .saveFreq(BackupAndRestore.SaveFreq.everyBatches(5)).leaseTimeout(lease);
    properties.forEach(b::storeProperty);
    return b;
  }

  static BackupAndRestore.Builder backup(URI dir, Duration lease, Map<String, String> properties) {
    return backup(StoreOpener.of(dir), lease, properties);
  }

  /** Fits the reference model with the {@link LrSchedule}; returns the weights' SHA-256. */
  static String fit(BackupAndRestore backup, ReferenceTraining.Hook extra) throws IOException {
    return fit(backup, extra, new LrSchedule());
  }

  static String fit(BackupAndRestore backup, ReferenceTraining.Hook extra, LrSchedule schedule)
      throws IOException {
    return ReferenceTraining.fit(backup, extra, schedule);
  }

  /** The id of the latest checkpoint in {@code dir}, or "none". */
  private String latestId(URI dir) throws IOException {
    try (CheckpointStore s = kit.openReadOnly(dir)) {
      return s.latest().map(Checkpoint::id).orElse("none");
    }
  }

  /**
   * A resume happened from exactly the checkpoint that was latest, no older than the newest one an interrupted
   * run committed ({@code committed}: its sequence, or -1), and the schedule's state came with it.
   */
  private boolean checkResumedFrom(String expectedId, long committed, BackupAndRestore backup,
      LrSchedule schedule, List<String> log) {
    String got = backup.restoredCheckpoint().map(c -> c.id() + " (#" + c.sequence() + ")").orElse("none");
    long gotSequence = backup.restoredCheckpoint().map(Checkpoint::sequence).orElse(-1L);
    log.add("  resumed from " + got + " (latest before the attempt: " + expectedId + ", newest committed by an "
        + "interrupted run: #" + committed + "), schedule count " + schedule.restoredCount);
    boolean none = got.equals("none");
    if (none ? !expectedId.equals("none") : !got.startsWith(expectedId + " ")) {
      throw new AssertionError("RESUME: a rerun resumed from checkpoint " + got + " but the latest checkpoint "
          + "of the backup dir was " + expectedId + "; steps: " + log + "; " + kit.reproduce());
    }
    if (gotSequence < committed) {
      throw new AssertionError("RESUME: a rerun resumed from checkpoint " + got + ", older than checkpoint #"
          + committed + " that the interrupted run had committed: latest() did not return the newest "
          + "checkpoint; steps: " + log + "; " + kit.reproduce());
    }
    if (!expectedId.equals("none") && schedule.restoredCount <= 0) {
      throw new AssertionError("RESUME: a rerun resumed from checkpoint " + got + " but the stateful callback's "
          + "state was not restored (count " + schedule.restoredCount + "); steps: " + log + "; "
          + kit.reproduce());
    }
    return !expectedId.equals("none");
  }

  String reference() throws IOException {
    return fit(backup(kit.newDir(), kit.fixture.leaseTimeout(), kit.fixture.properties()).build(), null);
  }

  /**
   * Exceptions thrown by a callback at random batches and (with fault injection) storage calls failing during
   * saves, each followed by a rerun on the same backup dir, then a run without interruption: its weights are
   * bit-identical to the uninterrupted reference run's.
   */
  void exceptionsAndStorageFaults() throws Exception {
    String expected = reference();
    URI dir = kit.newDir();
    SplittableRandom r = kit.random();
    List<String> log = new ArrayList<>();
    int planned = 4;
    int resumes = 0;
    long committed = -1; // the newest checkpoint an interrupted attempt committed, by sequence
    for (int attempt = 0; attempt <= planned; attempt++) {
      boolean last = attempt == planned;
      // the first attempt is always interrupted after two saves (every 5 batches): a resume must follow
      boolean storageFault = attempt > 0 && !last && kit.hasObjectFaults() && r.nextBoolean();
      String expectedId = latestId(dir);
      LrSchedule schedule = new LrSchedule();
      BackupAndRestore backup = null;
      try {
        String sha;
        if (last) {
          log.add("attempt " + attempt + ": no interruption");
          backup = backup(dir, kit.fixture.leaseTimeout(), kit.fixture.properties()).build();
          sha = fit(backup, null, schedule);
        } else if (storageFault) {
          FaultyObjectStore f = kit.faulty(dir, kit.rw("tck").build());
          long n = 3 + r.nextInt(80);
          TransportFaults.Kind how = r.nextBoolean() ? TransportFaults.Kind.FAIL_BEFORE
              : TransportFaults.Kind.LOSE_RESPONSE;
          f.failCall(n, how);
          kit.faultTrials.incrementAndGet();
          log.add("attempt " + attempt + ": storage call #" + n + " fails (" + how + ")");
          // the fault-injecting store goes to BackupAndRestore directly, as any caller's own store opener would
          StoreOpener faulty = options -> kit.openOver(f, options);
          backup = backup(faulty, kit.fixture.leaseTimeout(), kit.fixture.properties()).build();
          sha = fit(backup, null, schedule);
        } else {
          // the first attempt fails after two saves (steps 5 and 10): the rerun must take the newer checkpoint
          int at = attempt == 0 ? 11 + r.nextInt(BATCHES - 11) : r.nextInt(BATCHES);
          log.add("attempt " + attempt + ": exception at global batch " + at);
          backup = backup(dir, kit.fixture.leaseTimeout(), kit.fixture.properties()).build();
          sha = fit(backup, failAt(at), schedule);
        }
        log.add("  completed");
        resumes += checkResumedFrom(expectedId, committed, backup, schedule, log) ? 1 : 0;
        committed = -1; // deleted on completion
        assertSame(expected, sha, log);
        if (!last) {
          // a run that completes deletes its backup: the next attempts start over, which must match too
          log.add("  (the fault was not reached; the backup was deleted on completion)");
        }
      } catch (IllegalStateException | IOException e) {
        kit.interruptionTrials.incrementAndGet();
        log.add("  interrupted: " + e);
        if (backup != null && (backup.restoredCheckpoint().isPresent() || schedule.restoredCount >= 0)) {
          resumes += checkResumedFrom(expectedId, committed, backup, schedule, log) ? 1 : 0;
        }
        if (backup != null && schedule.count >= BATCHES) {
          // training had finished: the fault hit the last save or the delete on completion, which may have
          // begun (its tombstone empties the dir), so the next attempt may rightly start over
          committed = -1;
          log.add("  (training had finished: the fault came at completion; a fresh start is allowed)");
        } else if (backup != null) {
          committed = Math.max(committed, backup.lastSaved().map(Checkpoint::sequence).orElse(-1L));
        }
      }
    }
    if (resumes == 0) {
      throw new AssertionError("RESUME: no rerun resumed from a checkpoint, although the first attempt was "
          + "interrupted after its first save; steps: " + log + "; " + kit.reproduce());
    }
  }

  /**
   * ({@link Capability#CROSS_PROCESS}) A child JVM trains with BackupAndRestore on the backend and is
   * SIGKILLed at random moments, twice, then a child trains to completion: its weights are bit-identical to the
   * reference run's (computed in this JVM; the children inherit its numeric environment).
   */
  void sigkilledTraining() throws Exception {
    kit.assumeCapability(Capability.CROSS_PROCESS);
    String expected = reference();
    URI dir = kit.newDir();
    SplittableRandom r = kit.random();
    List<String> log = new ArrayList<>();
    int resumes = 0;
    long committed = -1; // the newest checkpoint a killed child reported committed, by sequence
    for (int attempt = 0; attempt < 3; attempt++) {
      boolean kill = attempt < 2;
      String expectedId = latestId(dir);
      // a child to be killed holds before its last batch instead of completing (a fast machine would finish)
      try (Child child = Child.start(kit, "train", Map.of("uri", dir.toString(), "holdAt",
          Integer.toString(kill ? BATCHES - 1 : -1)))) {
        child.await("TRAINING", 180_000);
        // RESUMED <checkpoint id or none> <restored schedule count> <sequence or -1>
        String[] resumed = child.await("RESUMED", 10_000).split(" ", -1);
        String got = resumed[1] + " (#" + resumed[3] + ")";
        log.add("attempt " + attempt + ": resumed from " + got + " with schedule count " + resumed[2]
            + " (latest before: " + expectedId + ", newest committed by a killed child: #" + committed + ")");
        if (!resumed[1].equals(expectedId)) {
          throw new AssertionError("RESUME: a training child resumed from " + got + " but the latest "
              + "checkpoint of the backup dir was " + expectedId + "; steps: " + log + "; " + kit.reproduce());
        }
        if (Long.parseLong(resumed[3]) < committed) {
          throw new AssertionError("RESUME: a training child resumed from checkpoint " + got + ", older than "
              + "checkpoint #" + committed + " that the killed child had committed: latest() did not return the "
              + "newest checkpoint; steps: " + log + "; " + kit.reproduce());
        }
        if (!expectedId.equals("none")) {
          resumes++;
          if (Long.parseLong(resumed[2]) <= 0) {
            throw new AssertionError("RESUME: a training child resumed from " + got + " without the stateful "
                + "callback's state (count " + resumed[2] + "); steps: " + log + "; " + kit.reproduce());
          }
        }
        if (attempt == 0) {
          expectSecondRunRefused(dir);
        }
        if (kill) {
          if (attempt == 0) {
            // the first kill comes after two saves (steps 5 and 10; epoch 1 starts at step 12), so the next child
            // must resume, and from the newer of two checkpoints
            child.await("TRAINING 1/", 60_000);
          }
          Thread.sleep(r.nextInt(1500));
          child.kill();
          kit.crashTrials.incrementAndGet();
          log.add("attempt " + attempt + ": killed after " + child.lines());
          for (String line : child.lines()) {
            if (line.startsWith("SAVED ")) {
              committed = Math.max(committed, Long.parseLong(line.substring(6).trim()));
            } else if (line.startsWith("DONE ")) {
              committed = -1; // it completed before the kill, and deleted its backup
            }
          }
          continue;
        }
        int exit = child.waitFor(300_000);
        String done = child.lines().stream().filter(l -> l.startsWith("DONE ")).findFirst().orElse(null);
        log.add("attempt " + attempt + ": exit " + exit + ", " + child.lines());
        if (exit != 0 || done == null) {
          throw new AssertionError("RESUME: the last training child failed: " + log + "; stderr: "
              + child.stderrTail());
        }
        assertSame(expected, done.substring(5), log);
      }
    }
    log.add("resumes: " + resumes);
    if (resumes == 0) {
      throw new AssertionError("RESUME: no training child resumed from a checkpoint, although the first was "
          + "killed after a save; steps: " + log + "; " + kit.reproduce());
    }
  }

  /**
   * R6.3 for training runs: a second fit on a backup dir that a live run (the child) uses is refused. The second
   * run waits up to {@link Kit#LIVENESS_TIMEOUT} for the child to prove alive (with the fixture's 400 ms, a child
   * held up by a busy 2-core machine was once taken for dead and taken over).
   */
  private void expectSecondRunRefused(URI dir) throws IOException {
    try {
      fit(backup(dir, kit.livenessTimeout(), kit.fixture.properties()).build(), null);
      throw new AssertionError("R6.3: a second training run on a backup dir in use by a live run (a child JVM) "
          + "completed instead of being refused with SharedBackupDirException; " + kit.reproduce());
    } catch (org.ckpt4j.spi.SharedBackupDirException expected) {
      // refused, as it must be
    }
  }

  private void assertSame(String expected, String sha, List<String> log) {
    if (!expected.equals(sha)) {
      throw new AssertionError("RESUME: after interruptions and reruns the weights differ from an uninterrupted "
          + "run's (sha256 " + sha + " vs " + expected + "); steps: " + log + "; " + kit.reproduce());
    }
  }
}

package org.ckpt4j.tck;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.ObjectStore;
import org.junit.jupiter.api.Assumptions;

/**
 * R7.2 on a simulated disk ({@link PowerLossDisk}): power is cut at random file system operations of commits,
 * deletes, closes and opens, and after each cut the machine "reboots" with only what was made durable.
 */
final class PowerLossRules {
  /**
   * The lease timeout of the stores here: after a cut the next open waits for the dead holder's lease to fall
   * silent (it ran in this very process, so it is not known dead), and nothing else competes for the dir.
   */
  private static final Duration LEASE = Duration.ofMillis(100);

  private final Kit kit;
  private final List<String> log = new ArrayList<>();
  private CheckpointStore store;
  /** The last checkpoint whose commit returned (null: none, or a delete returned since). */
  private Content mustSurvive;
  /** The checkpoint being committed when the power went, which may or may not have survived. */
  private Content inFlight;
  private boolean deleting;

  PowerLossRules(Kit kit) {
    this.kit = kit;
  }

  /**
   * {@code powerCuts} trials on one backup dir. Each boots the disk, opens a store (which must succeed: the
   * backup dir is never left unopenable), checks that latest is the last checkpoint whose commit returned or the
   * one in flight at the cut, whole and verified, then arms a cut at a random counted operation of a short
   * script (commits, a close and reopen, now and then a delete) and cuts the power at the end if the armed cut
   * did not fire: everything that returned must survive that too.
   */
  void powerCuts() throws Exception {
    TckFixture.PathObjects objects = kit.fixture.pathObjects().orElse(null);
    Assumptions.assumeTrue(objects != null, "untested: the kit simulates power loss only for a backend over "
        + "java.nio.file paths (TckFixture.Builder.pathObjects); an object store's durability is its server's");
    kit.assumeCapability(Capability.POWER_LOSS_DURABLE);
    StoreOptions opts = kit.rw(Kit.OWNER).leaseTimeout(LEASE).build();
    long estimate = 0;
    try (PowerLossDisk disk = kit.fixture.newDisk()) {
      for (int t = 1; t <= kit.settings.powerCuts + 1; t++) {
        Path root = disk.boot().resolve("tck").resolve("backup");
        String when = t == 1 ? "on a new disk" : "after power cut #" + (t - 1) + " (" + disk.lastCut() + ")";
        checkAfterBoot(objects, root, opts, when);
        if (t > kit.settings.powerCuts) {
          break;
        }
        // a cut point over the whole script, or (estimate 0: the first trial measures it) after it
        if (estimate > 0) {
          disk.armPowerCut(1 + kit.random().nextLong(estimate + estimate / 4 + 1));
        }
        String script = script(objects, root, opts, disk, t);
        if (!disk.isDown()) {
          estimate = Math.max(estimate, disk.operations());
          disk.cutPower();
        }
        log.add("trial " + t + ": " + script + "; " + disk.lastCut());
        kit.powerCuts.incrementAndGet();
        Kit.closeQuietly(store);
        store = null;
      }
      store.close();
    } finally {
      Kit.closeQuietly(store);
    }
  }

  /** Opens the rebooted store and checks latest; leaves the store open for the next script. */
  private void checkAfterBoot(TckFixture.PathObjects objects, Path root, StoreOptions opts, String when)
      throws IOException {
    List<Content> allowed = new ArrayList<>();
    allowed.add(mustSurvive);
    if (inFlight != null) {
      allowed.add(inFlight);
    }
    if (deleting) {
      allowed.add(null);
    }
    try {
      store = kit.openOver(objects.open(root, opts), opts);
    } catch (IOException | RuntimeException e) {
      throw failure(when + ": the store did not open: " + e, e);
    }
    try {
      mustSurvive = kit.assertLatestIsOneOf(store, when, allowed.toArray(new Content[0]));
    } catch (AssertionError e) {
      throw failure(e.getMessage().replace("; " + kit.reproduce(), "") + (mustSurvive != null ? " (" + mustSurvive.label + "'s commit had returned)"
          : ""), e);
    } catch (IOException | RuntimeException e) {
      throw failure(when + ": latest() or reading it raised " + e + "; allowed: " + describe(allowed), e);
    }
    inFlight = null;
    deleting = false;
  }

  /** A few commits, maybe a close and reopen, now and then a delete; a failure is expected only from a cut. */
  private String script(TckFixture.PathObjects objects, Path root, StoreOptions opts, PowerLossDisk disk, int t) {
    List<String> steps = new ArrayList<>();
    try {
      int actions = 1 + kit.random().nextInt(3);
      for (int i = 0; i < actions; i++) {
        int a = kit.random().nextInt(12);
        if (a < 9) {
          inFlight = kit.smallContent("pc" + t + "-" + i);
          steps.add("commit " + inFlight.label);
          inFlight.commit(store);
          mustSurvive = inFlight;
          inFlight = null;
        } else if (a < 11) {
          steps.add("close and reopen");
          store.close();
          store = kit.openOver(objects.open(root, opts), opts);
        } else {
          steps.add("delete");
          deleting = true;
          store.delete();
          mustSurvive = null;
          deleting = false;
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!disk.isDown()) {
        throw failure("trial " + t + ": " + String.join(", ", steps) + " failed without a power cut: " + e, e);
      }
      steps.add("(cut: " + e.getClass().getSimpleName() + ")");
    }
    return String.join(", ", steps);
  }

  /** Writer crashes of R3.2 on the disk. */
  private static final int CRASHES = 6;

  /**
   * R3.2 for a backend over NIO paths: writers crash (a simulated SIGKILL) at a link or rename of the file
   * system, where a write-then-publish has its temporary file in place, {@value #CRASHES} times, each followed by
   * the next open; after a last commit and close, the backup dir holds no file that the backend's own
   * {@code list()} does not show, observed by walking the directory (the local backend hides its
   * {@code .ckpt4j-tmp-*} files from {@code list()}, so only a walk sees that they were never purged). Does
   * nothing without {@code pathObjects}.
   */
  void crashedWritersLeaveNoHiddenFiles() throws Exception {
    TckFixture.PathObjects objects = kit.fixture.pathObjects().orElse(null);
    if (objects == null) {
      return;
    }
    StoreOptions opts = kit.rw(Kit.OWNER).leaseTimeout(LEASE).build();
    try (PowerLossDisk disk = kit.fixture.newDisk()) {
      Path root = disk.boot().resolve("backup");
      store = kit.openOver(objects.open(root, opts), opts);
      for (int i = 0; i < CRASHES; i++) {
        disk.armCrash(1 + kit.random().nextInt(60), op -> op.startsWith("link ") || op.startsWith("rename "));
        try {
          for (int k = 0; k < 4; k++) {
            kit.smallContent("crash" + i + "-" + k).commit(store);
          }
        } catch (IOException | RuntimeException e) {
          if (!disk.isDown()) {
            throw failure("R3.2: a commit failed without a crash: " + e, e);
          }
        }
        disk.crashProcess();
        log.add("crash " + (i + 1) + ": " + disk.lastCut());
        kit.processCrashes.incrementAndGet();
        Kit.closeQuietly(store);
        root = disk.boot().resolve("backup");
        store = kit.openOver(objects.open(root, opts), opts);
      }
      Content last = kit.smallContent("after-crashes");
      last.commit(store);
      store.close();
      store = null;
      List<String> hidden = new ArrayList<>();
      Path dir = root;
      try (ObjectStore raw = objects.open(dir, opts); java.util.stream.Stream<Path> files = Files.walk(dir)) {
        Set<String> listed = new HashSet<>(raw.list(""));
        files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).filter(k -> !listed.contains(k))
            .sorted().forEach(hidden::add);
      }
      if (!hidden.isEmpty()) {
        throw failure("R3.2: after " + CRASHES + " writers crashed mid-write and the next store opened, committed"
            + " and closed, files that the backend's list() does not show remain (incomplete writes never purged;"
            + " found by walking the backup dir): " + hidden, null);
      }
    } finally {
      Kit.closeQuietly(store);
    }
  }

  private static String describe(List<Content> allowed) {
    List<String> names = new ArrayList<>();
    allowed.forEach(c -> names.add(c == null ? "none" : c.label));
    return names.toString();
  }

  private AssertionError failure(String what, Throwable cause) {
    List<String> tail = log.subList(Math.max(0, log.size() - 12), log.size());
    return new AssertionError((what.startsWith("R3.2") ? "" : "R7.2: ") + what + "\n  the last trials:\n  " + String.join("\n  ", tail) + "\n  "
        + kit.reproduce(), cause);
  }
}

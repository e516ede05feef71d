package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckpt4j.resume.StoreOpener;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * The ND4J trainer's exact-resume property, on any backend: for random small models, datasets, optimizers,
 * losses, save frequencies and interruption points (callback exceptions at epoch/batch begin/end, storage
 * failures in the middle of a save), a run interrupted any number of times and resumed each time ends with
 * weights bit-identical to an uninterrupted run, and the completing fit's history equals the uninterrupted
 * history for the epochs it ran. The store is the backend's own, opened over its objects behind
 * {@link FaultyObjects} through a {@link StoreOpener}. Public (in the trainer's test-jar) so that a module with
 * every backend ({@code ckpt4j-cli}) runs it against each; backends never depend on the trainer.
 */
public final class ExactResume {
  private ExactResume() {}

  /** Where a backend's backup dirs live: a fresh one per example, and the backend's store properties. */
  public interface Dirs {
    String newDir() throws IOException;

    default Map<String, String> properties() {
      return Map.of();
    }
  }

  /** Interrupted fits and fits resumed from a backup: a property that never resumes would prove nothing. */
  public record Counts(int interruptions, int resumes) {}

  /**
   * Runs {@code examples} examples from {@code seed} on the backend of {@code dirs}; fails (shrunk, with the
   * scenario printed) on the first run that does not end bit-identical.
   */
  public static Counts check(String backend, Dirs dirs, int examples, long seed) {
    AtomicInteger interruptions = new AtomicInteger();
    AtomicInteger resumes = new AtomicInteger();
    System.out.println("ExactResume[" + backend + "] seed=" + seed + " examples=" + examples
        + " (rerun with -Dckpt4j.trainer.seed=" + seed + ")");
    qt().withExamples(examples).withFixedSeed(seed)
        .forAll(longs().between(0, 1_000_000_000L), longs().between(0, 1_000_000_000L), integers().between(1, 4))
        .checkAssert((configSeed, interruptSeed, count) -> {
          try {
            check(new Scenario(configSeed, interruptSeed, count), dirs, interruptions, resumes);
          } catch (IOException e) {
            throw new UncheckedIOException(backend + ": " + e, e);
          }
        });
    System.out.println("ExactResume[" + backend + "]: " + interruptions + " interrupted fits, " + resumes
        + " fits resumed from a backup");
    assertThat(interruptions.get()).as(backend + ": interrupted fits").isGreaterThanOrEqualTo(examples / 3);
    assertThat(resumes.get()).as(backend + ": fits resumed from a backup").isGreaterThanOrEqualTo(examples / 5);
    return new Counts(interruptions.get(), resumes.get());
  }

  /** Opens {@code dir}'s store over its provider's objects, behind {@link FaultyObjects}. */
  static StoreOpener faulty(String dir) throws IOException {
    URI uri = CheckpointStores.toUri(dir);
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    return options -> {
      for (CheckpointStoreProvider p : ServiceLoader.load(CheckpointStoreProvider.class)) {
        if (p.schemes().contains(scheme)) {
          ObjectStore objects = p.objectStore(uri, options).orElseThrow(() -> new IllegalStateException(
              "the provider of " + scheme + ": gives no ObjectStore to inject faults into"));
          return CheckpointStores.overObjects(FaultyObjects.wrap(objects, !scheme.equals("mem")), options);
        }
      }
      throw new IllegalStateException("no provider of " + scheme + ": on the test class path");
    };
  }

  private static void check(Scenario s, Dirs dirs, AtomicInteger interruptions, AtomicInteger resumes)
      throws IOException {
    Sequential reference = s.model();
    History full = reference.fit(s.x(), s.y(), s.epochs, s.batchSize, s.shuffle, s.callbacks(null, null), false);

    StoreOpener dir = faulty(dirs.newDir());
    History last = null;
    Sequential model = null;
    for (Scenario.Interruption i : s.interruptions) {
      model = s.model(); // a fresh process
      BackupAndRestore backup = s.backup(dir, dirs.properties());
      last = s.attempt(model, backup, i);
      if (backup.restoredCheckpoint().isPresent()) {
        resumes.incrementAndGet();
      }
      if (last != null) {
        break; // the interruption point was already behind the resumed position: the fit completed
      }
      interruptions.incrementAndGet();
    }
    if (last == null) {
      model = s.model();
      BackupAndRestore backup = s.backup(dir, dirs.properties());
      last = model.fit(s.x(), s.y(), s.epochs, s.batchSize, s.shuffle, s.callbacks(backup, null), false);
      if (backup.restoredCheckpoint().isPresent()) {
        resumes.incrementAndGet();
      }
    }
    Fixtures.assertBitIdentical(model, reference, s);
    List<Integer> ran = last.epochs();
    if (!ran.isEmpty()) {
      assertThat(ran).as("%s: epochs run", s).isEqualTo(full.epochs().subList(ran.get(0), s.epochs));
      assertThat(last.loss()).as("%s: loss history", s).isEqualTo(full.loss().subList(ran.get(0), s.epochs));
      assertThat(last.asMap()).as("%s: metrics", s).containsOnlyKeys(full.asMap().keySet());
    }
  }
}

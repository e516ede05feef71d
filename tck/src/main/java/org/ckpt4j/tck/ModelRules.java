package org.ckpt4j.tck;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;
import org.quicktheories.core.Gen;

/**
 * Model-based: random sequences of open / begin / write / commit / abort / abandon / latest / read-only read /
 * delete / close / reopen run against the store and a reference model; QuickTheories shrinks a failing
 * sequence to a short script whose every step prints itself.
 */
final class ModelRules {
  private final Kit kit;

  ModelRules(Kit kit) {
    this.kit = kit;
  }

  /** One generated step: what it does is fixed by (kind, a, b), so a failing script reads the same on replay. */
  static final class Step {
    final int kind;
    final int a;
    final long b;
    final long maxBytes;

    Step(int kind, int a, long b, long maxBytes) {
      this.kind = kind;
      this.a = a;
      this.b = b;
      this.maxBytes = maxBytes;
    }

    String name() {
      if (a % 17 == 16) {
        return new String[] {"../escape", "/abs", "a//b", "sp ace"}[a % 4];
      }
      return Content.randomName(new SplittableRandom(a % 7), a % 5);
    }

    long size() {
      return Content.randomSize(new SplittableRandom(b), maxBytes);
    }

    @Override
    public String toString() {
      switch (kind) {
        case 0: return "reopen the store";
        case 1: return "begin";
        case 2: case 3: case 4: return "write blob \"" + name() + "\" of " + size() + " bytes (seed " + b + ")";
        case 5: return "commit";
        case 6: return "abort (close the writer)";
        case 7: return "abandon the writer (never closed)";
        case 8: return "latest() and read it whole";
        case 9: return "read through a new read-only store";
        case 10: return "delete()";
        case 11: return "close the store";
        default: throw new AssertionError(kind);
      }
    }
  }

  /** The model: what the store must hold. */
  private static final class Model {
    Content committed;
    int commits;
  }

  /** The system under test and the writer state the model tracks. */
  private final class Sut {
    final URI dir;
    CheckpointStore store;
    CheckpointWriter writer;
    boolean abandoned;
    final Map<String, long[]> writing = new TreeMap<>();

    Sut(URI dir) {
      this.dir = dir;
    }

    void close() {
      Kit.closeQuietly(store);
      store = null;
      writer = null;
      abandoned = false;
      writing.clear();
    }
  }

  /** Step kinds by weight (percent): writes, begins and commits dominate, so scripts do real work. */
  private static final int[] WEIGHTS = {4, 14, 12, 12, 10, 14, 7, 3, 10, 6, 3, 5};

  /** Order in which percent ranges map to kinds: a read first, so shrinking turns steps into harmless reads. */
  private static final int[] ORDER = {8, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 0};

  static int kind(int percent) {
    int acc = 0;
    for (int k : ORDER) {
      acc += WEIGHTS[k];
      if (percent < acc) {
        return k;
      }
    }
    return ORDER[ORDER.length - 1];
  }

  void run() {
    long maxBytes = kit.settings.maxBlobBytes;
    Gen<Step> steps = integers().between(0, 99).zip(integers().between(0, 1000), longs().all(),
        (k, a, b) -> new Step(kind(k), a, b, maxBytes));
    Gen<List<Step>> scripts = lists().of(steps).ofSizeBetween(1, 40);
    // reopen / begin / write / commit / abort / abandon / latest / read-only / delete / close
    qt().withFixedSeed(kit.testSeed()).withExamples(kit.settings.sequences).withShrinkCycles(300)
        .forAll(scripts).checkAssert(this::runScript);
  }

  private void runScript(List<Step> script) {
    kit.sequences.incrementAndGet();
    List<String> done = new ArrayList<>();
    Sut sut;
    try {
      sut = new Sut(kit.newDir());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    Model model = new Model();
    try {
      done.add("open the store");
      sut.store = kit.open(sut.dir);
      for (Step step : script) {
        done.add(step.toString());
        apply(step, sut, model);
      }
      done.add("(end) close, then read through a new read-only store");
      sut.close();
      expectLatest(kit.openReadOnly(sut.dir), model, true);
    } catch (Throwable e) {
      throw new AssertionError("model-based sequence failed at step " + done.size() + ": " + e + "\n  script:\n  "
          + String.join("\n  ", done) + "\n  " + kit.reproduce(), e);
    } finally {
      sut.close();
    }
  }

  private void apply(Step step, Sut sut, Model model) throws Exception {
    switch (step.kind) {
      case 0:
        sut.close();
        sut.store = kit.open(sut.dir);
        return;
      case 1:
        if (sut.store == null) {
          return;
        }
        if (sut.writer != null || sut.abandoned) {
          expectThrows(IllegalStateException.class, () -> sut.store.begin(), "begin() while a writer is open");
          return;
        }
        sut.writer = sut.store.begin();
        return;
      case 2: case 3: case 4: {
        if (sut.writer == null) {
          return;
        }
        String name = step.name();
        if (!org.ckpt4j.spi.BlobNames.isValid(name) || sut.writing.containsKey(name)) {
          expectThrows(IllegalArgumentException.class, () -> sut.writer.newBlob(name), "newBlob(\"" + name
              + "\")" + (sut.writing.containsKey(name) ? " a second time" : ""));
          return;
        }
        try (WritableByteChannel ch = sut.writer.newBlob(name)) {
          Content.stream(ch, step.size(), step.b, Long.MAX_VALUE);
        }
        sut.writing.put(name, new long[] {step.size(), step.b});
        return;
      }
      case 5: {
        if (sut.writer == null) {
          return;
        }
        Content c = new Content("m" + model.commits, sut.writing, Map.of("step", Integer.toString(model.commits)));
        Checkpoint cp = sut.writer.commit(c.metadata());
        c.verify(cp);
        sut.writer.close();
        sut.writer = null;
        sut.writing.clear();
        model.committed = c;
        model.commits++;
        return;
      }
      case 6:
        if (sut.writer != null) {
          sut.writer.close();
          sut.writer = null;
          sut.writing.clear();
        }
        return;
      case 7:
        if (sut.writer != null) {
          sut.writer = null;
          sut.abandoned = true;
          sut.writing.clear();
        }
        return;
      case 8:
        if (sut.store != null) {
          expectLatest(sut.store, model, false);
        }
        return;
      case 9:
        expectLatest(kit.openReadOnly(sut.dir), model, true);
        return;
      case 10:
        if (sut.store == null) {
          return;
        }
        sut.store.delete();
        sut.close();
        model.committed = null;
        return;
      case 11:
        sut.close();
        return;
      default:
        throw new AssertionError(step.kind);
    }
  }

  private static void expectLatest(CheckpointStore s, Model model, boolean close) throws IOException {
    try {
      Optional<Checkpoint> latest = s.latest();
      if (model.committed == null) {
        if (latest.isPresent()) {
          throw new AssertionError("the model holds no checkpoint, the store returned one with metadata "
              + latest.get().metadata() + " and blobs " + latest.get().blobs());
        }
      } else {
        model.committed.verify(latest.orElseThrow(() -> new AssertionError("the model holds "
            + model.committed.describe() + ", latest() is empty")));
      }
    } finally {
      if (close) {
        s.close();
      }
    }
  }

  interface Call {
    void run() throws Exception;
  }

  private static void expectThrows(Class<? extends Throwable> type, Call call, String what) throws Exception {
    try {
      call.run();
    } catch (Throwable t) {
      if (type.isInstance(t)) {
        return;
      }
      throw new AssertionError(what + " should throw " + type.getSimpleName() + ", threw " + t, t);
    }
    throw new AssertionError(what + " should throw " + type.getSimpleName() + ", returned normally");
  }
}

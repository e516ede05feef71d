package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ckpt4j.resume.BlobLayout;
import org.ckpt4j.resume.JsonCodec;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Crafted checkpoints (issue 17 item 7): manifests and {@code .npy} headers with valid checksums and random
 * damage (a field replaced by a value of another type or range, a field removed or added, deep nesting, huge
 * numbers, bytes flipped, inserted or deleted; a header's type, order or shape replaced) never produce anything
 * but a clean resume or a {@link CorruptCheckpointException}: no StackOverflowError, NumberFormatException,
 * ClassCastException, NullPointerException, ND4J error, or out-of-range position.
 *
 * <p>Examples: {@code -Dckpt4j.trainer.examples=N} (default 60, shared with {@link ExactResumeProperties}, here
 * times 3); seed: {@code -Dckpt4j.trainer.seed=S}.
 */
class CraftedCheckpointProperties {
  private static final long SEED = ExactResumeProperties.SEED;
  private static final Object[] VALUES = {Long.MAX_VALUE, Long.MIN_VALUE, 99999L, -1L, 0L, 1L, 2L, 3L, 5L,
      Integer.MAX_VALUE + 1L, 1e308, -0.5, 0.0, 2.5, "x", "", true, false, null, Map.of(), List.of(),
      List.of(1L, 2L), List.of(-1L), Map.of("x", 1L), "@DEEP@", "@HUGE@", "@HUGEDOUBLE@"};
  private static Crafted.Content template;
  private static final java.util.concurrent.atomic.AtomicInteger RESUMED = new java.util.concurrent.atomic.AtomicInteger();
  private static final java.util.concurrent.atomic.AtomicInteger REFUSED = new java.util.concurrent.atomic.AtomicInteger();

  /** A mid-epoch checkpoint of an Adam model with a stateful callback: every kind of blob and field. */
  @BeforeAll
  static void writeTemplate() throws IOException {
    String dir = Fixtures.memDir("crafted-template");
    BackupAndRestore backup = BackupAndRestore.builder(dir).saveFreq(BackupAndRestore.SaveFreq.everyBatches(2))
        .build();
    assertThatThrownBy(() -> Crafted.model().fit(Fixtures.seedX(), Crafted.y(), 3, 2, true,
        List.of(backup, new LrSchedule(1e-3, 0.9), new Fixtures.RaiseAtEpoch(2)), false))
        .isInstanceOf(Fixtures.Boom.class);
    template = Crafted.latest(dir);
    assertThat(template.blobs()).containsKeys(BlobLayout.MANIFEST, BlobLayout.ORDER,
        "callbacks/lr-schedule/lossTrail.npy", "optimizer/0/W.m.npy");
  }

  @Test
  void craftedManifestsAndHeaders_resumeCleanlyOrAreRefusedAsCorrupt() {
    System.out.println("CraftedCheckpointProperties seed=" + SEED + " (rerun with -Dckpt4j.trainer.seed=" + SEED
        + ")");
    qt().withExamples(3 * ExactResumeProperties.EXAMPLES).withFixedSeed(SEED)
        .forAll(integers().between(0, 3), longs().all())
        .checkAssert((kind, seed) -> check(damage(kind, seed)));
    System.out.println("CraftedCheckpointProperties: " + RESUMED + " resumed, " + REFUSED + " refused");
    // damage that is never refused would mean the checks are never reached
    assertThat(REFUSED.get()).isGreaterThan(ExactResumeProperties.EXAMPLES);
  }

  /** Damage and what it is, printed when the property fails. */
  record Damage(String what, Crafted.Content content) {
    @Override
    public String toString() {
      return what;
    }
  }

  static Damage damage(int kind, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    switch (kind) {
      case 0: return fieldDamage(r);
      case 1: {
        byte[] m = template.blobs().get(BlobLayout.MANIFEST);
        return bytesDamage(r, BlobLayout.MANIFEST, 0, m.length);
      }
      case 2: return headerDamage(r);
      default: {
        List<String> npys = npys();
        String name = npys.get(r.nextInt(npys.size()));
        byte[] b = template.blobs().get(name);
        int headerEnd = 10 + ((b[8] & 0xff) | (b[9] & 0xff) << 8);
        return bytesDamage(r, name, 0, headerEnd);
      }
    }
  }

  private static List<String> npys() {
    List<String> names = new ArrayList<>(template.blobs().keySet());
    names.remove(BlobLayout.MANIFEST);
    return names;
  }

  @SuppressWarnings("unchecked")
  private static Damage fieldDamage(SplittableRandom r) {
    Map<String, Object> m = (Map<String, Object>) JsonCodec.parse(template.blobs().get(BlobLayout.MANIFEST));
    List<String> path = new ArrayList<>();
    Object at = m;
    do {
      List<String> keys = new ArrayList<>(((Map<String, Object>) at).keySet());
      if (keys.isEmpty() || r.nextInt(5) == 0) {
        path.add("extra");
        break;
      }
      String k = keys.get(r.nextInt(keys.size()));
      path.add(k);
      at = ((Map<String, Object>) at).get(k);
    } while (at instanceof Map && r.nextBoolean());
    boolean remove = r.nextInt(6) == 0;
    Object value = VALUES[r.nextInt(VALUES.length)];
    byte[] json;
    if (remove) {
      Map<String, Object> parent = m;
      for (String k : path.subList(0, path.size() - 1)) {
        parent = (Map<String, Object>) parent.get(k);
      }
      parent.remove(path.get(path.size() - 1));
      json = JsonCodec.bytes(m);
    } else {
      json = Crafted.setField(JsonCodec.bytes(m), path, value);
    }
    String text = new String(json, StandardCharsets.UTF_8)
        .replace("\"@DEEP@\"", "[".repeat(20_000) + "]".repeat(20_000))
        .replace("\"@HUGE@\"", "9".repeat(400))
        .replace("\"@HUGEDOUBLE@\"", "1e99999");
    String what = "manifest field " + String.join(".", path) + (remove ? " removed" : " = " + value);
    return new Damage(what, template.with(BlobLayout.MANIFEST,
        b -> text.getBytes(StandardCharsets.UTF_8)));
  }

  private static Damage bytesDamage(SplittableRandom r, String name, int from, int to) {
    int at = from + r.nextInt(to - from);
    int op = r.nextInt(3);
    byte v = (byte) "0123456789-.,:[]{}\"eE ()'<>|fi9\u0000".charAt(r.nextInt(32));
    String what = name + ": byte " + at + (op == 0 ? " set to " + (char) v : op == 1 ? " deleted" : " inserted "
        + (char) v);
    return new Damage(what, template.with(name, b -> {
      if (op == 0) {
        b[at] = v;
        return b;
      }
      byte[] c = new byte[op == 1 ? b.length - 1 : b.length + 1];
      System.arraycopy(b, 0, c, 0, at);
      if (op == 1) {
        System.arraycopy(b, at + 1, c, at, b.length - at - 1);
      } else {
        c[at] = v;
        System.arraycopy(b, at, c, at + 1, b.length - at);
      }
      return c;
    }));
  }

  private static Damage headerDamage(SplittableRandom r) {
    List<String> npys = npys();
    String name = npys.get(r.nextInt(npys.size()));
    String[] descrs = {"<f4", "<f8", "<i4", "<i8", ">f4", "|b1", "<f2", "<u8", "<c16"};
    String[] dims = {"0", "1", "2", "3", "4", "5", "20", "99999", "2147483648", "99999999999999999999", "-1", ""};
    int rank = r.nextInt(5);
    StringBuilder shape = new StringBuilder();
    for (int k = 0; k < rank; k++) {
      shape.append(k == 0 ? "" : ", ").append(dims[r.nextInt(dims.length)]);
    }
    if (rank == 1 || r.nextInt(4) == 0) {
      shape.append(',');
    }
    String dict = "{'descr': '" + descrs[r.nextInt(descrs.length)] + "', 'fortran_order': "
        + (r.nextInt(4) == 0 ? "True" : "False") + ", 'shape': (" + shape + "), }";
    return new Damage(name + ": header " + dict, template.with(name, b -> Crafted.setNpyHeader(b, dict)));
  }

  private static void check(Damage d) {
    String dir = Fixtures.memDir("crafted");
    try {
      Crafted.commit(dir, d.content(), template.fingerprint(), false);
    } catch (IOException e) {
      throw new AssertionError(d + ": could not write the crafted checkpoint", e);
    }
    BackupAndRestore backup = new BackupAndRestore(dir);
    try {
      Crafted.model().fit(Fixtures.seedX(), Crafted.y(), 3, 2, true, List.of(backup, new LrSchedule(1e-3, 0.9)),
          false);
      RESUMED.incrementAndGet();
    } catch (CorruptCheckpointException e) {
      assertThat(e.objectName()).as("%s: %s", d, e).isPresent();
      REFUSED.incrementAndGet();
    } catch (NonFiniteLossException e) {
      // a crafted learning rate or moment may make training diverge after a clean resume: it is caught too
      assertThat(backup.restoredCheckpoint()).as("%s: %s", d, e).isPresent();
      RESUMED.incrementAndGet();
    } catch (Throwable e) {
      throw new AssertionError(d + ": neither a clean resume nor a CorruptCheckpointException: " + e, e);
    }
  }
}

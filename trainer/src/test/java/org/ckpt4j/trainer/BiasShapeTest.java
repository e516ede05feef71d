package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.ckpt4j.resume.BlobLayout;
import org.ckpt4j.resume.JsonCodec;
import org.junit.jupiter.api.Test;

/**
 * Biases are stored as numpy users expect them, {@code (units,)} like Keras's {@code get_weights()}, and backups
 * written when they were stored as {@code (1, units)} still resume exactly.
 */
class BiasShapeTest {
  private static final Pattern BIAS = Pattern.compile("(model|optimizer)/\\d+/b(\\.[a-z]+)?\\.npy");

  /** An Adam run (Dense(4), Dense(3)) interrupted at the start of epoch 2, its backup left behind. */
  private static String interrupted() {
    String dir = Fixtures.memDir("bias-shape");
    assertThatThrownBy(() -> Crafted.model().fit(Fixtures.seedX(), Crafted.y(), 4, 2, true,
        List.of(new BackupAndRestore(dir), new Fixtures.RaiseAtEpoch(2)), false))
        .isInstanceOf(Fixtures.Boom.class);
    return dir;
  }

  private static String headerDict(byte[] npy) {
    int length = (npy[8] & 0xff) | (npy[9] & 0xff) << 8;
    return new String(npy, 10, length, StandardCharsets.US_ASCII).trim();
  }

  @Test
  @SuppressWarnings("unchecked")
  void biasesAndTheirOptimizerSlots_areStoredWithShapeUnits_weightsStayTwoDimensional() throws Exception {
    Crafted.Content c = Crafted.latest(interrupted());
    for (String name : List.of("model/0/b.npy", "optimizer/0/b.m.npy", "optimizer/0/b.v.npy")) {
      assertThat(headerDict(c.blobs().get(name))).as(name).contains("'shape': (4,)");
    }
    assertThat(headerDict(c.blobs().get("model/1/b.npy"))).contains("'shape': (3,)");
    assertThat(headerDict(c.blobs().get("model/0/W.npy"))).contains("'shape': (20, 4)");
    Map<String, Object> manifest = (Map<String, Object>) JsonCodec.parse(c.blobs().get(BlobLayout.MANIFEST));
    Map<String, Object> tensors = (Map<String, Object>) manifest.get("tensors");
    assertThat(((Map<String, Object>) tensors.get("model/0/b.npy")).get("shape")).isEqualTo(List.of(4L));
    assertThat(Crafted.model().weights().get(1).shape()).containsExactly(4L);
  }

  @Test
  @SuppressWarnings("unchecked")
  void aBackupHoldingBiasesAsOneByUnits_resumesBitIdentical() throws Exception {
    String dir = interrupted();
    Crafted.Content c = Crafted.latest(dir);
    Map<String, byte[]> blobs = new LinkedHashMap<>(c.blobs());
    Map<String, Object> manifest = (Map<String, Object>) JsonCodec.parse(blobs.get(BlobLayout.MANIFEST));
    Map<String, Object> tensors = (Map<String, Object>) manifest.get("tensors");
    int changed = 0;
    for (String name : new ArrayList<>(blobs.keySet())) {
      if (BIAS.matcher(name).matches()) {
        Map<String, Object> entry = new LinkedHashMap<>((Map<String, Object>) tensors.get(name));
        long units = (Long) ((List<Object>) entry.get("shape")).get(0);
        entry.put("shape", List.of(1L, units));
        tensors.put(name, entry);
        blobs.put(name, Crafted.setNpyHeader(blobs.get(name),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, " + units + "), }"));
        changed++;
      }
    }
    assertThat(changed).isEqualTo(6); // 2 layers x (bias, Adam's m and v)
    blobs.put(BlobLayout.MANIFEST, JsonCodec.bytes(manifest));
    Crafted.commit(dir, new Crafted.Content(blobs, c.metadata()), c.fingerprint(), false);

    BackupAndRestore backup = new BackupAndRestore(dir);
    Sequential resumed = Crafted.model();
    History h = resumed.fit(Fixtures.seedX(), Crafted.y(), 4, 2, true, List.of(backup), false);
    assertThat(h.epochs()).containsExactly(2, 3);
    assertThat(resumed.weights().get(1).shape()).containsExactly(4L);
    Sequential straight = Crafted.model();
    straight.fit(Fixtures.seedX(), Crafted.y(), 4, 2, true, List.of(), false);
    Fixtures.assertBitIdentical(resumed, straight);
  }
}

package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.ckpt4j.resume.BlobLayout;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.junit.jupiter.api.Test;

/**
 * The crafted checkpoints of issue 17 item 7, one by one: valid checksums, content that used to crash or
 * mislead the trainer. Each is refused as corrupt, naming the field, and a kept previous checkpoint is used.
 */
class CraftedCheckpointTest {

  /** A run interrupted at the start of epoch 2 (checkpoints after epochs 0 and 1), keeping the previous one. */
  private static String interrupted(boolean keepPrevious) {
    String dir = Fixtures.memDir("crafted-one");
    assertThatThrownBy(() -> Crafted.model().fit(Fixtures.seedX(), Crafted.y(), 4, 2, true,
        List.of(BackupAndRestore.builder(dir).keepPrevious(keepPrevious).build(), new Fixtures.RaiseAtEpoch(2)),
        false)).isInstanceOf(Fixtures.Boom.class);
    return dir;
  }

  private static void craft(String dir, String blob, java.util.function.UnaryOperator<byte[]> change,
      boolean keepPrevious) throws IOException {
    Crafted.Content c = Crafted.latest(dir);
    Crafted.commit(dir, c.with(blob, change), c.fingerprint(), keepPrevious);
  }

  private static History resume(String dir, BackupAndRestore backup) throws IOException {
    return Crafted.model().fit(Fixtures.seedX(), Crafted.y(), 4, 2, true, List.of(backup), false);
  }

  @Test
  void batchBeyondTheEpoch_isRefusedNamingTheField_insteadOfSkippingTheEpoch() throws Exception {
    String dir = interrupted(false);
    craft(dir, BlobLayout.MANIFEST, m -> Crafted.setField(m, List.of("position", "batch"), 99999L), false);
    assertThatThrownBy(() -> resume(dir, new BackupAndRestore(dir)))
        .isInstanceOfSatisfying(CorruptCheckpointException.class, e -> {
          assertThat(e.getCause()).isInstanceOfSatisfying(CorruptCheckpointException.class, c -> {
            assertThat(c.objectName()).contains(BlobLayout.MANIFEST);
            assertThat(c.getMessage()).contains("field position.batch");
          });
        });
  }

  @Test
  void craftedLatest_fallsBackToTheKeptPrevious_andEndsBitIdentical() throws Exception {
    String dir = interrupted(true);
    craft(dir, BlobLayout.MANIFEST, m -> Crafted.setField(m, List.of("position", "batch"), 99999L), true);
    BackupAndRestore backup = BackupAndRestore.builder(dir).keepPrevious(true).build();
    Sequential resumed = Crafted.model();
    History h = resumed.fit(Fixtures.seedX(), Crafted.y(), 4, 2, true, List.of(backup), false);
    assertThat(backup.restoredFromPrevious()).isTrue();
    assertThat(h.epochs()).containsExactly(2, 3);
    Sequential straight = Crafted.model();
    straight.fit(Fixtures.seedX(), Crafted.y(), 4, 2, true, List.of(), false);
    Fixtures.assertBitIdentical(resumed, straight);
  }

  @Test
  void deeplyNestedManifest_isCorrupt_notAStackOverflowError() throws Exception {
    String dir = interrupted(false);
    String deep = "{\"format\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}";
    craft(dir, BlobLayout.MANIFEST, m -> deep.getBytes(StandardCharsets.UTF_8), false);
    assertThatThrownBy(() -> resume(dir, new BackupAndRestore(dir)))
        .isInstanceOfSatisfying(CorruptCheckpointException.class,
            e -> assertThat(e.objectName()).contains(BlobLayout.MANIFEST));
  }

  @Test
  void hugeNpyDimension_isCorruptNamingTheBlob_notANumberFormatException() throws Exception {
    String dir = interrupted(false);
    craft(dir, "model/0/W.npy", b -> Crafted.setNpyHeader(b,
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 4), }"), false);
    assertThatThrownBy(() -> resume(dir, new BackupAndRestore(dir)))
        .isInstanceOfSatisfying(CorruptCheckpointException.class,
            e -> assertThat(e.getCause()).isInstanceOfSatisfying(CorruptCheckpointException.class,
                c -> assertThat(c.objectName()).contains("model/0/W.npy")));
  }

  @Test
  void aShuffleOrderThatIsNoPermutation_isCorrupt_notAnIndexOutOfBounds() throws Exception {
    String dir = Fixtures.memDir("crafted-order");
    assertThatThrownBy(() -> Crafted.model().fit(Fixtures.seedX(), Crafted.y(), 4, 2, true,
        List.of(BackupAndRestore.builder(dir).saveFreq(BackupAndRestore.SaveFreq.everyBatches(1)).build(),
            new Fixtures.RaiseAtEpoch(1)), false)).isInstanceOf(Fixtures.Boom.class);
    Crafted.Content c = Crafted.latest(dir);
    // epoch 0 ended at batch 3 of 3; the last save within it holds the order: make one index point past the data
    craft(dir, BlobLayout.ORDER, b -> {
      b[b.length - 4] = 100;
      return b;
    }, false);
    assertThat(c.blobs()).containsKey(BlobLayout.ORDER);
    assertThatThrownBy(() -> resume(dir, new BackupAndRestore(dir)))
        .isInstanceOfSatisfying(CorruptCheckpointException.class,
            e -> assertThat(e.getCause()).isInstanceOfSatisfying(CorruptCheckpointException.class,
                x -> assertThat(x.objectName()).contains(BlobLayout.ORDER)));
  }
}

package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.ckpt4j.resume.RunMismatchException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A run's identity (the owner fingerprint that {@code ckpt4j inspect} shows) describes sparse targets as the user
 * gave them, class ids and their number of classes, not as the one-hot matrix the trainer computes from them.
 */
class SparseLabelsFingerprintTest {

  /** A sparse-label Adam run (3 classes) interrupted at the start of epoch 2. */
  private static String interrupted(INDArray y) {
    String dir = Fixtures.memDir("sparse-fp");
    assertThatThrownBy(() -> Crafted.model().fit(Fixtures.seedX(), y, 4, 2, true,
        List.of(new BackupAndRestore(dir), new Fixtures.RaiseAtEpoch(2)), false))
        .isInstanceOf(Fixtures.Boom.class);
    return dir;
  }

  @Test
  void sparseTargets_areDescribedAsClassIdsWithTheNumberOfClasses() throws Exception {
    String dir = interrupted(Crafted.y());
    BackupAndRestore backup = new BackupAndRestore(dir);
    Crafted.model().fit(Fixtures.seedX(), Crafted.y(), 4, 2, true, List.of(backup), false);
    TrainingCheckpoint restored = backup.restoredPosition().orElseThrow();
    assertThat(restored.fingerprint().get("y")).matches("int\\[5] class ids of 3 classes:sha256=[0-9a-f]{64}");
    assertThat(restored.fingerprint().get("x")).matches("float\\[5,20]:sha256=[0-9a-f]{64}");
  }

  @Test
  void theSameClassIdsGivenAsIntegerColumn_resumeTheFloatRun() throws Exception {
    String dir = interrupted(Crafted.y()); // float32 [5]
    INDArray column = Nd4j.createFromArray(new int[][] {{0}, {1}, {2}, {1}, {0}});
    BackupAndRestore backup = new BackupAndRestore(dir);
    Sequential resumed = Crafted.model();
    History h = resumed.fit(Fixtures.seedX(), column, 4, 2, true, List.of(backup), false);
    assertThat(h.epochs()).containsExactly(2, 3);
    Sequential straight = Crafted.model();
    straight.fit(Fixtures.seedX(), Crafted.y(), 4, 2, true, List.of(), false);
    Fixtures.assertBitIdentical(resumed, straight);
  }

  @Test
  void otherClassIds_areAnotherRun_namingY() {
    String dir = interrupted(Crafted.y());
    INDArray other = Nd4j.createFromArray(2f, 1f, 0f, 1f, 0f);
    assertThatThrownBy(() -> Crafted.model().fit(Fixtures.seedX(), other, 4, 2, true,
        List.of(new BackupAndRestore(dir)), false))
        .isInstanceOfSatisfying(RunMismatchException.class, e -> {
          assertThat(e.differingFields()).containsExactly("y");
          assertThat(e.storedFingerprint()).contains("class ids of 3 classes");
        });
  }
}

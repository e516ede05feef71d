package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Async save: the same exact resume as a synchronous save, with the writing on a background thread. */
class AsyncSaveTest {

  @Test
  void asyncSaves_resumeBitIdenticalAfterAnInterruption_midEpochToo() throws Exception {
    for (BackupAndRestore.SaveFreq freq : List.of(BackupAndRestore.SaveFreq.EPOCH,
        BackupAndRestore.SaveFreq.everyBatches(3))) {
      String dir = Fixtures.memDir("async-" + freq);
      BackupAndRestore first = BackupAndRestore.builder(dir).saveFreq(freq).asyncSave(true).build();
      assertThatThrownBy(() -> Fixtures.seedModel().fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true,
          List.of(first, new Fixtures.RaiseAtEpoch(4)), false)).isInstanceOf(Fixtures.Boom.class);
      assertThat(first.savesWritten()).isPositive();

      Sequential resumed = Fixtures.seedModel();
      BackupAndRestore second = BackupAndRestore.builder(dir).saveFreq(freq).asyncSave(true).build();
      History h = resumed.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true, List.of(second), false);
      // the save submitted right before the interruption was completed, not lost
      assertThat(second.restoredCheckpoint()).isPresent();
      if (freq == BackupAndRestore.SaveFreq.EPOCH) {
        assertThat(h.epochs()).containsExactly(4, 5, 6, 7, 8, 9);
      } else {
        // 5 batches an epoch, a save every 3: the last one before epoch 4 is at epoch 3, batch 3
        assertThat(h.epochs()).containsExactly(3, 4, 5, 6, 7, 8, 9);
        assertThat(second.restoredCheckpoint().get().metadata()).containsEntry("epoch", "3");
      }

      Sequential uninterrupted = Fixtures.seedModel();
      uninterrupted.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true, List.of(), false);
      Fixtures.assertBitIdentical(resumed, uninterrupted);
    }
  }
}

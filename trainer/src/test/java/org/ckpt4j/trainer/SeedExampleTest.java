package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The seed example of Keras's BackupAndRestore documentation, verbatim: 5 samples of 20 features (0..99), zero
 * targets, one dense layer of 10, SGD, MSE, 10 epochs, batch size 1; a callback raises at the start of epoch 4.
 */
class SeedExampleTest {

  @Test
  void rerunAfterInterruptionRunsEpochs4To9AndEndsBitIdenticalToAnUninterruptedRun() throws Exception {
    String dir = Fixtures.memDir("seed");
    Sequential model = Fixtures.seedModel();
    BackupAndRestore backup = new BackupAndRestore(dir);

    assertThatThrownBy(() -> model.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true,
        List.of(backup, new Fixtures.RaiseAtEpoch(4)), false))
        .isInstanceOf(Fixtures.Boom.class);

    // the same model object, as in the Keras example
    History history = model.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true, List.of(backup), false);
    assertThat(history.epochs()).containsExactly(4, 5, 6, 7, 8, 9);
    assertThat(history.loss()).hasSize(6);
    assertThat(backup.restoredCheckpoint()).isPresent();
    assertThat(backup.restoredCheckpoint().orElseThrow().metadata()).containsEntry("epoch", "4").containsEntry("batch", "0");

    Sequential uninterrupted = Fixtures.seedModel();
    History full = uninterrupted.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true, List.of(), false);
    assertThat(full.epochs()).hasSize(10);
    Fixtures.assertBitIdentical(model, uninterrupted);
    assertThat(history.loss()).isEqualTo(full.loss().subList(4, 10));
  }

  @Test
  void withKerasDefaultLearningRateTheLossOverflowsAndFitStopsKeepingTheLastGoodBackup() throws Exception {
    String dir = Fixtures.memDir("seed-nan");
    BackupAndRestore backup = BackupAndRestore.builder(dir).build();
    Sequential model = Fixtures.seedModel(0.01);
    assertThatThrownBy(() -> model.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true, List.of(backup), false))
        .isInstanceOfSatisfying(NonFiniteLossException.class, e -> {
          assertThat(e.epoch()).isEqualTo(2);
          assertThat(e.batch()).isZero();
          assertThat(e.getMessage()).contains("epoch 2");
        });
    // the last good backup (end of epoch 1) stays, and a rerun resumes from it
    Sequential rerun = Fixtures.seedModel(0.01);
    assertThatThrownBy(() -> rerun.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true, List.of(backup), false))
        .isInstanceOf(NonFiniteLossException.class);
    assertThat(backup.restoredCheckpoint().orElseThrow().metadata()).containsEntry("epoch", "2").containsEntry("batch", "0");
  }

  @Test
  void aFreshModelInANewFitResumesTooAndTheBackupIsDeletedAtTheEnd() throws Exception {
    String dir = Fixtures.memDir("seed-fresh");
    assertThatThrownBy(() -> Fixtures.seedModel().fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true,
        List.of(new BackupAndRestore(dir), new Fixtures.RaiseAtEpoch(4)), false))
        .isInstanceOf(Fixtures.Boom.class);

    Sequential resumed = Fixtures.seedModel();
    History h = resumed.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true, List.of(new BackupAndRestore(dir)),
        false);
    assertThat(h.epochs()).containsExactly(4, 5, 6, 7, 8, 9);

    // deleteCheckpoint defaults to true: a third fit starts from scratch
    History again = Fixtures.seedModel().fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true,
        List.of(new BackupAndRestore(dir)), false);
    assertThat(again.epochs()).hasSize(10);
  }
}

package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.ckpt4j.resume.BlobLayout;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.junit.jupiter.api.Test;

/** The Java API of issue 21 item 5: options with Keras's names, typed restored position, pretty manifest. */
class FitOptionsTest {

  @Test
  void defaults_areKeras() {
    FitOptions o = FitOptions.builder().build();
    assertThat(o.epochs()).isEqualTo(1);
    assertThat(o.batchSize()).isEqualTo(32);
    assertThat(o.shuffle()).isTrue();
    assertThat(o.callbacks()).isEmpty();
    assertThatThrownBy(() -> FitOptions.builder().batchSize(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("batchSize (0)");
    assertThatThrownBy(() -> FitOptions.builder().verbose(2)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fitWithOptions_resumesAndEndsBitIdentical_andTheRestoredPositionIsTyped() throws Exception {
    String dir = Fixtures.memDir("options");
    assertThatThrownBy(() -> Fixtures.seedModel().fit(Fixtures.seedX(), Fixtures.seedY(), FitOptions.builder()
        .epochs(6).batchSize(2).verbose(0).callbacks(new BackupAndRestore(dir), new Fixtures.RaiseAtEpoch(4))
        .build())).isInstanceOf(Fixtures.Boom.class);
    byte[] manifest = Crafted.latest(dir).blobs().get(BlobLayout.MANIFEST);
    String text = new String(manifest, StandardCharsets.UTF_8);
    assertThat(text).startsWith("{\n  \"format\": ").contains("\n  \"position\": {\n    \"epoch\": 4,");

    BackupAndRestore backup = new BackupAndRestore(dir);
    Sequential resumed = Fixtures.seedModel();
    History h = resumed.fit(Fixtures.seedX(), Fixtures.seedY(), FitOptions.builder().epochs(6).batchSize(2)
        .verbose(0).callbacks(backup).build());
    assertThat(h.epochs()).containsExactly(4, 5);
    TrainingCheckpoint position = backup.restoredPosition().orElseThrow();
    assertThat(position.epoch()).isEqualTo(4);
    assertThat(position.batch()).isZero();
    assertThat(position.globalStep()).isEqualTo(12);
    assertThat(position.tensors().get("model/0/W.npy").shape()).containsExactly(20, 10);

    Sequential straight = Fixtures.seedModel();
    straight.fit(Fixtures.seedX(), Fixtures.seedY(), 6, 2, true, List.of(), false);
    Fixtures.assertBitIdentical(resumed, straight);
  }

  @Test
  void storageFailures_areUncheckedAtTheFitLevel_withTheTypedCause() {
    assertThatThrownBy(() -> Fixtures.seedModel().fit(Fixtures.seedX(), Fixtures.seedY(), FitOptions.builder()
        .verbose(0).callbacks(new BackupAndRestore("nosuch://b/x")).build()))
        .isInstanceOfSatisfying(BackupStorageException.class,
            e -> assertThat(e.getCause()).isInstanceOf(UnsupportedSchemeException.class));
  }
}
